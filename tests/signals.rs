//! SIGTERM closes the station in order: the close callback runs, and shutdown still joins every
//! thread and records the sign-out. (Its own test binary: it raises signals at itself.)

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use qcstation::runtime::{Command, Event, Runtime, RuntimeOptions};
use qcstation::runtime::{UsersCommand, UsersEvent};
use qcstation::store::{AuditFilter, StoreReader};

/// Signals go to every watcher of the process: a SIGTERM raised by one test would reach the
/// other test's runtime while it shuts down (and make it exit, as a second signal should). The
/// tests take turns.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn start(dir: &std::path::Path, demo: bool) -> Runtime {
    Runtime::start(RuntimeOptions {
        demo,
        ..RuntimeOptions::scratch(dir.join("station.sqlite"))
    })
    .unwrap()
}

#[test]
fn sigterm_asks_the_face_to_close_and_shutdown_stays_orderly() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let mut runtime = start(dir.path(), true);
    let (closed_tx, closed_rx) = crossbeam_channel::bounded(1);
    runtime
        .close_on_termination(move || {
            closed_tx.try_send(()).ok();
        })
        .unwrap();
    runtime
        .send(Command::Users(UsersCommand::SignIn {
            name: "olga".into(),
            secret: "1234".into(),
        }))
        .unwrap();
    while !matches!(
        runtime.next_event(Duration::from_secs(10)),
        Some(Event::Users(UsersEvent::SignedIn(_)))
    ) {}

    signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
    closed_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the close callback ran");

    let started = std::time::Instant::now();
    let report = runtime.shutdown();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "an orderly shutdown took {took:?}"
    );
    assert!(report.joined.contains(&"signals".to_owned()), "{report:?}");
    assert!(report.timed_out.is_empty(), "{report:?}");
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let rows = reader
        .audit(&AuditFilter {
            action_prefix: "sign_out".into(),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(rows[0].entry.reason.as_deref(), Some("station shut down"));
}

#[test]
fn shutdown_without_a_signal_ends_the_signals_thread() {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().unwrap();
    let mut runtime = start(dir.path(), false);
    runtime.close_on_termination(|| {}).unwrap();
    let report = runtime.shutdown();
    assert!(report.joined.contains(&"signals".to_owned()), "{report:?}");
}
