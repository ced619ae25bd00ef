//! The runtime end to end on a real SQLite file: sign-in, role refusals recorded in the audit
//! trail, idle sign-out, camera frame drop counting, and an orderly shutdown that joins every
//! thread and keeps every acknowledged record.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use qcstation::auth::new_secret_hash;
use qcstation::camera::{DemoScene, FrameSize, SourceSpec};
use qcstation::domain::{Actor, Role};
use qcstation::runtime::{
    AuditEvent, AuditQuery, StationCommand, StationEvent, UsersCommand, UsersEvent,
};
use qcstation::runtime::{Command, Event, Runtime, RuntimeOptions, SessionPolicy, SignOutReason};
use qcstation::store::{AuditFilter, AuditSeal, LockoutPolicy, Store, StoreReader};

fn options(dir: &std::path::Path, cameras: Vec<(String, SourceSpec)>) -> RuntimeOptions {
    RuntimeOptions {
        session: SessionPolicy {
            lockout: LockoutPolicy {
                max_failed_attempts: 3,
                lockout_secs: 60,
            },
            idle_signout: None,
        },
        cameras: Some(cameras),
        ..RuntimeOptions::scratch(dir.join("station.sqlite"))
    }
}

/// The audit rows whose action starts with `action`.
fn rows_of(reader: &StoreReader, action: &str) -> Vec<qcstation::store::AuditRow> {
    reader
        .audit(&AuditFilter {
            action_prefix: action.into(),
            ..AuditFilter::default()
        })
        .unwrap()
}

/// Waits for the first event `pick` accepts, skipping others (health, lists).
fn wait_for<T>(runtime: &Runtime, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Some(found) = runtime
            .next_event(Duration::from_millis(100))
            .and_then(&mut pick)
        {
            return found;
        }
    }
    panic!("the expected event did not arrive");
}

fn sign_in(runtime: &Runtime, name: &str, secret: &str) {
    runtime
        .send(Command::Users(UsersCommand::SignIn {
            name: name.into(),
            secret: secret.into(),
        }))
        .unwrap();
    let actor = wait_for(runtime, |event| match event {
        Event::Users(UsersEvent::SignedIn(actor)) => Some(actor),
        Event::Users(UsersEvent::SignInRefused(reason)) => panic!("refused: {reason}"),
        _ => None,
    });
    assert_eq!(actor.name, name);
}

#[test]
fn operator_is_refused_admin_actions_and_the_refusal_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "olga", "1234");
    runtime
        .send(Command::Users(UsersCommand::Add {
            name: "mallory".into(),
            role: Role::Admin,
            secret: "Mallory-pass-1".into(),
        }))
        .unwrap();
    let refusal = wait_for(&runtime, |event| match event {
        Event::Refused(text) => Some(text),
        Event::Done(text) => panic!("an operator added a user: {text}"),
        _ => None,
    });
    assert!(
        refusal.contains("olga (operator) may not add a user"),
        "{refusal}"
    );
    // A query needing a higher role is refused too, and recorded through the writer.
    runtime
        .send(Command::Audit(AuditQuery::Rows(AuditFilter::default())))
        .unwrap();
    wait_for(&runtime, |event| match event {
        Event::Refused(text) => Some(text),
        Event::Audit(AuditEvent::Rows { .. }) => panic!("an operator read the audit trail"),
        _ => None,
    });
    let report = runtime.shutdown();
    assert!(report.timed_out.is_empty(), "{report:?}");

    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    assert!(
        reader
            .users()
            .unwrap()
            .iter()
            .all(|user| user.name != "mallory")
    );
    let denied = rows_of(&reader, "denied");
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert!(denied.iter().all(|row| row.entry.user_name == "olga"));
    assert!(reader.verify_audit().unwrap().is_intact());
}

#[test]
fn admin_changes_are_committed_before_they_are_reported_and_survive_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "ada", "Demo-admin-2026");
    for index in 0..20 {
        runtime
            .send(Command::Users(UsersCommand::Add {
                name: format!("op{index}"),
                role: Role::Operator,
                secret: "4321".into(),
            }))
            .unwrap();
    }
    let mut done = 0;
    while done < 20 {
        wait_for(&runtime, |event| match event {
            Event::Done(text) if text.starts_with("Added op") => Some(()),
            Event::Failed { error, .. } => panic!("{error}"),
            _ => None,
        });
        done += 1;
    }
    // Acknowledged means committed: another connection sees the users now, before shutdown.
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    assert_eq!(reader.users().unwrap().len(), 4 + 20);
    let report = runtime.shutdown();
    let mut joined = report.joined.clone();
    joined.sort();
    assert_eq!(
        joined,
        vec![
            "audit-verify",
            "health",
            "inventory",
            "store-reader",
            "store-writer"
        ]
    );
    let sign_outs = rows_of(&reader, "sign_out");
    assert_eq!(
        sign_outs[0].entry.reason.as_deref(),
        Some("station shut down")
    );
}

#[test]
fn wrong_pins_lock_the_account_through_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    let mut refusals = Vec::new();
    for _ in 0..4 {
        runtime
            .send(Command::Users(UsersCommand::SignIn {
                name: "olga".into(),
                secret: "9999".into(),
            }))
            .unwrap();
        refusals.push(wait_for(&runtime, |event| match event {
            Event::Users(UsersEvent::SignInRefused(text)) => Some(text),
            Event::Users(UsersEvent::SignedIn(_)) => panic!("signed in with a wrong PIN"),
            _ => None,
        }));
    }
    assert!(refusals[0].contains("2 attempts left"), "{refusals:?}");
    assert!(refusals[2].contains("locked"), "{refusals:?}");
    assert!(refusals[3].contains("locked"), "{refusals:?}");
}

#[test]
fn idle_user_is_signed_out_and_it_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), vec![]);
    opts.session.idle_signout = Some(Duration::from_millis(800));
    let runtime = Runtime::start(opts).unwrap();
    sign_in(&runtime, "vic", "0000");
    let reason = wait_for(&runtime, |event| match event {
        Event::Users(UsersEvent::SignedOut { reason, .. }) => Some(reason),
        _ => None,
    });
    assert_eq!(reason, SignOutReason::Idle);
    assert!(runtime.session().actor().is_none());
    // Actions now need a user again.
    runtime.send(Command::Users(UsersCommand::List)).unwrap();
    let text = wait_for(&runtime, |event| match event {
        Event::Refused(text) => Some(text),
        _ => None,
    });
    assert!(text.contains("Sign in first"), "{text}");
    drop(runtime);
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let rows = rows_of(&reader, "sign_out");
    assert!(rows[0].entry.reason.as_deref().unwrap().starts_with("idle"));
}

#[test]
fn unviewed_camera_frames_are_counted_as_dropped_and_capture_threads_join() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SourceSpec::demo(DemoScene::Qr)
        .with_size(FrameSize::new(160, 120))
        .with_fps(100.0);
    let runtime = Runtime::start(options(
        dir.path(),
        vec![("fast".into(), spec.clone()), ("also".into(), spec)],
    ))
    .unwrap();
    let camera = runtime.cameras()[0].clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    while camera.slot.counters().produced < 20 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let frame = camera.slot.take_newer(0).expect("a frame");
    let counters = camera.slot.counters();
    assert!(counters.produced >= 20, "{counters:?}");
    assert_eq!(counters.shown, 1);
    // Every frame but the one taken (and possibly one published since) was dropped.
    assert!(
        counters.dropped + 2 >= counters.produced && counters.dropped < counters.produced,
        "{counters:?}"
    );
    assert!(frame.seq >= 20);
    let report = runtime.shutdown();
    assert!(report.joined.contains(&"camera-0".to_owned()));
    assert!(report.joined.contains(&"camera-1".to_owned()));
    assert_eq!(report.joined.len(), 7);
}

#[test]
fn a_camera_that_cannot_open_reports_and_keeps_retrying() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let spec: SourceSpec = format!("folder:{}", missing.display()).parse().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![("bay".into(), spec)])).unwrap();
    let slot = runtime.cameras()[0].slot.clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while slot.counters().errors < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(slot.counters().errors >= 2, "it retried");
    match slot.state() {
        qcstation::camera::CameraState::Reconnecting { error, .. } => {
            assert!(error.contains("no-such-folder"), "{error}");
        }
        other => panic!("{other:?}"),
    }
    // Frames appear once the folder does (a camera plugged back in).
    std::fs::create_dir(&missing).unwrap();
    image::RgbaImage::from_pixel(32, 24, image::Rgba([9, 9, 9, 255]))
        .save(missing.join("0001.png"))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while slot.counters().produced == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(slot.counters().produced > 0, "the camera came back");
    assert_eq!(slot.state(), qcstation::camera::CameraState::Live);
}

#[test]
fn admin_renames_the_station_and_the_new_name_is_reported_after_commit() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "ada", "Demo-admin-2026");
    runtime
        .send(Command::Station(StationCommand::Rename {
            name: "Line 4 porosity".into(),
        }))
        .unwrap();
    let settings = wait_for(&runtime, |event| match event {
        Event::Station(StationEvent::Settings(settings)) => Some(settings),
        _ => None,
    });
    assert_eq!(settings.station_name, "Line 4 porosity");
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    assert_eq!(reader.settings().unwrap().station_name, "Line 4 porosity");
}

#[test]
fn the_writer_never_waits_for_a_ui_that_does_not_drain_events() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "ada", "Demo-admin-2026");
    // Nobody drains events from here on: 1500 changes each produce two events, more than the
    // event queue holds. The writer must keep committing anyway.
    let mut sent = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sent < 1500 {
        assert!(
            Instant::now() < deadline,
            "the writer stopped taking commands"
        );
        match runtime.send(Command::Station(StationCommand::Rename {
            name: format!("Line {sent}"),
        })) {
            Ok(()) => sent += 1,
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let database = dir.path().join("station.sqlite");
    let reader = StoreReader::open(&database).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while reader.settings().unwrap().station_name != "Line 1499" {
        assert!(
            Instant::now() < deadline,
            "the last change was never committed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        runtime.events_dropped() > 0,
        "the queue should have overflowed"
    );
    let report = runtime.shutdown();
    assert!(report.timed_out.is_empty(), "{report:?}");
}

/// An admin working on the same database file from elsewhere (the CLI, another station).
fn admin_store(dir: &std::path::Path) -> (Store, Actor) {
    let path = dir.join("station.sqlite");
    let store = Store::open_sealed(&path, &AuditSeal::in_data_dir(dir, &path)).unwrap();
    (store, Actor::console("test-admin"))
}

fn user_id(dir: &std::path::Path, name: &str) -> i64 {
    StoreReader::open(&dir.join("station.sqlite"))
        .unwrap()
        .users()
        .unwrap()
        .into_iter()
        .find(|user| user.name == name)
        .unwrap()
        .id
}

#[test]
fn a_user_demoted_while_signed_in_acts_with_the_new_role_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    let (mut admin, console) = admin_store(dir.path());
    admin
        .add_user(
            &console,
            "bob",
            Role::Admin,
            &new_secret_hash(Role::Admin, "Second-admin-1").unwrap(),
        )
        .unwrap();
    sign_in(&runtime, "bob", "Second-admin-1");
    admin
        .set_role(
            &console,
            user_id(dir.path(), "bob"),
            Role::Engineer,
            "too many admins",
        )
        .unwrap();
    // The writer re-reads the role before acting: adding a user is refused with the new role.
    runtime
        .send(Command::Users(UsersCommand::Add {
            name: "mallory".into(),
            role: Role::Operator,
            secret: "1234".into(),
        }))
        .unwrap();
    let mut notice = None;
    let mut session_role = None;
    let refusal = wait_for(&runtime, |event| match event {
        Event::Users(UsersEvent::SignedIn(actor)) => {
            session_role = Some(actor.role);
            None
        }
        Event::Done(text) if text.contains("Your role is now") => {
            notice = Some(text);
            None
        }
        Event::Refused(text) => Some(text),
        Event::Done(text) => panic!("a demoted admin added a user: {text}"),
        _ => None,
    });
    assert_eq!(session_role, Some(Role::Engineer));
    assert!(notice.unwrap().contains("Your role is now engineer"));
    assert!(
        refusal.contains("bob (engineer) may not add a user"),
        "{refusal}"
    );
    assert_eq!(runtime.session().actor().unwrap().role, Role::Engineer);

    // The reader does the same before a query: demoted to operator, bob may not read the trail.
    admin
        .set_role(
            &console,
            user_id(dir.path(), "bob"),
            Role::Operator,
            "moved to the line",
        )
        .unwrap();
    runtime
        .send(Command::Audit(AuditQuery::Rows(AuditFilter::default())))
        .unwrap();
    wait_for(&runtime, |event| match event {
        Event::Refused(text) if text.contains("bob (operator) may not") => Some(()),
        Event::Audit(AuditEvent::Rows { .. }) => panic!("an operator read the audit trail"),
        _ => None,
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while runtime.session().actor().unwrap().role != Role::Operator {
        assert!(Instant::now() < deadline, "the session kept the old role");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(runtime);
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let denied = rows_of(&reader, "denied");
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert!(denied.iter().all(|row| row.entry.user_name == "bob"));
    assert!(reader.users().unwrap().iter().all(|u| u.name != "mallory"));
    assert!(reader.verify_audit().unwrap().is_intact());
}

#[test]
fn a_user_disabled_while_signed_in_is_signed_out_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "olga", "1234");
    let (mut admin, console) = admin_store(dir.path());
    admin
        .set_disabled(
            &console,
            user_id(dir.path(), "olga"),
            true,
            "left the company",
        )
        .unwrap();
    runtime.send(Command::Users(UsersCommand::SignOut)).unwrap();
    let reason = wait_for(&runtime, |event| match event {
        Event::Users(UsersEvent::SignedOut { name, reason }) => {
            assert_eq!(name, "olga");
            Some(reason)
        }
        _ => None,
    });
    match reason {
        SignOutReason::AccountChanged(message) => {
            assert_eq!(message, "Your account was disabled by an administrator.")
        }
        other => panic!("{other:?}"),
    }
    let refusal = wait_for(&runtime, |event| match event {
        Event::Refused(text) => Some(text),
        _ => None,
    });
    assert!(refusal.contains("disabled"), "{refusal}");
    assert!(runtime.session().actor().is_none());
    drop(runtime);
    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let sign_outs = rows_of(&reader, "sign_out");
    assert_eq!(sign_outs.len(), 1, "{sign_outs:?}");
    assert_eq!(sign_outs[0].entry.user_name, "olga");
    assert_eq!(
        sign_outs[0].entry.reason.as_deref(),
        Some("account disabled by an administrator")
    );
}

/// Waits for `count` outcomes of `AddUser` commands: (name of the command, saved?).
fn add_user_outcomes(
    runtime: &Runtime,
    count: usize,
) -> Vec<(&'static str, Result<String, String>)> {
    (0..count)
        .map(|_| {
            wait_for(runtime, |event| match event {
                Event::Done(text) if text.starts_with("Added") => Some(("add user", Ok(text))),
                Event::Failed { what, error } => Some((what, Err(error))),
                _ => None,
            })
        })
        .collect()
}

#[test]
fn a_failed_commit_is_reported_record_by_record_and_the_writer_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "ada", "Demo-admin-2026");
    // From another connection: a deferred foreign key that makes the writer's COMMIT fail
    // whenever a user named full* is added in the batch.
    let conn = rusqlite::Connection::open(dir.path().join("station.sqlite")).unwrap();
    conn.execute_batch(
        "CREATE TABLE test_parent (id INTEGER PRIMARY KEY);
         CREATE TABLE test_child (
             parent INTEGER REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TRIGGER test_fail_commit AFTER INSERT ON users
         WHEN NEW.name LIKE 'full%' BEGIN INSERT INTO test_child VALUES (7); END;",
    )
    .unwrap();
    for index in 0..3 {
        runtime
            .send(Command::Users(UsersCommand::Add {
                name: format!("full{index}"),
                role: Role::Operator,
                secret: "4321".into(),
            }))
            .unwrap();
    }
    for (what, outcome) in add_user_outcomes(&runtime, 3) {
        assert_eq!(what, "add user", "each record is named");
        let error = outcome.expect_err("nothing of a failed batch is reported saved");
        assert!(
            error.contains("not saved") && error.contains("FOREIGN KEY"),
            "{error}"
        );
    }
    // The writer rolled back and serves the next command.
    conn.execute_batch("DROP TRIGGER test_fail_commit").unwrap();
    runtime
        .send(Command::Users(UsersCommand::Add {
            name: "after".into(),
            role: Role::Operator,
            secret: "4321".into(),
        }))
        .unwrap();
    let (_, outcome) = add_user_outcomes(&runtime, 1).remove(0);
    assert_eq!(outcome.unwrap(), "Added after as operator.");

    // SQLite rolling the transaction back itself mid-batch is noticed too.
    conn.execute_batch(
        "CREATE TRIGGER test_rollback BEFORE INSERT ON users WHEN NEW.name = 'gone'
         BEGIN SELECT RAISE(ROLLBACK, 'test: the transaction is rolled back'); END;",
    )
    .unwrap();
    runtime
        .send(Command::Users(UsersCommand::Add {
            name: "gone".into(),
            role: Role::Operator,
            secret: "4321".into(),
        }))
        .unwrap();
    let (what, outcome) = add_user_outcomes(&runtime, 1).remove(0);
    assert_eq!(what, "add user");
    assert!(outcome.unwrap_err().contains("not saved"));
    runtime
        .send(Command::Users(UsersCommand::Add {
            name: "later".into(),
            role: Role::Operator,
            secret: "4321".into(),
        }))
        .unwrap();
    let (_, outcome) = add_user_outcomes(&runtime, 1).remove(0);
    assert_eq!(outcome.unwrap(), "Added later as operator.");
    drop(runtime);

    let reader = StoreReader::open(&dir.path().join("station.sqlite")).unwrap();
    let names: Vec<String> = reader
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert!(names.contains(&"after".to_owned()) && names.contains(&"later".to_owned()));
    assert!(
        names
            .iter()
            .all(|name| !name.starts_with("full") && name != "gone"),
        "{names:?}"
    );
    assert!(reader.verify_audit().unwrap().is_intact());
}

/// A capability's record for the test: one audit row, acknowledged on a channel.
struct TestRecord {
    label: String,
    fail: bool,
    acks: crossbeam_channel::Sender<(String, Result<(), String>, bool)>,
    database: std::path::PathBuf,
}

impl qcstation::runtime::StoreRecord for TestRecord {
    fn name(&self) -> &'static str {
        "save test record"
    }

    fn write(
        &mut self,
        store: &mut Store,
        _actor: Option<&Actor>,
    ) -> Result<(), qcstation::store::StoreError> {
        if self.fail {
            return Err(qcstation::store::StoreError::Invalid(format!(
                "{} is malformed",
                self.label
            )));
        }
        store.append_audit(&qcstation::store::AuditEntry::new(
            "inspector",
            "test.record",
            "record",
            &self.label,
        ))?;
        Ok(())
    }

    fn acknowledge(self: Box<Self>, outcome: Result<(), String>) {
        // Acknowledged only once committed: another connection must already see the row.
        let reader = StoreReader::open(&self.database).unwrap();
        let visible = reader
            .audit(&AuditFilter {
                action_prefix: "test.record".into(),
                ..AuditFilter::default()
            })
            .unwrap()
            .iter()
            .any(|row| row.entry.entity_id == self.label);
        self.acks.send((self.label, outcome, visible)).unwrap();
    }
}

#[test]
fn capability_records_are_acknowledged_after_their_commit_and_failures_are_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    let store = runtime.store().unwrap();
    let (acks_tx, acks) = crossbeam_channel::bounded(16);
    for (label, fail) in [("r1", false), ("bad", true), ("r2", false)] {
        store
            .submit(Box::new(TestRecord {
                label: label.into(),
                fail,
                acks: acks_tx.clone(),
                database: dir.path().join("station.sqlite"),
            }))
            .unwrap();
    }
    let mut got: Vec<(String, Result<(), String>, bool)> = (0..3)
        .map(|_| acks.recv_timeout(Duration::from_secs(20)).unwrap())
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got[0].0, "bad");
    assert!(got[0].1.as_ref().unwrap_err().contains("bad is malformed"));
    assert!(!got[0].2, "the failed record left no row");
    for (label, outcome, visible) in &got[1..] {
        assert!(outcome.is_ok(), "{label}: {outcome:?}");
        assert!(visible, "{label} was acknowledged before it was committed");
    }
    runtime.shutdown();
}

#[test]
fn a_long_chain_check_reports_progress_and_does_not_hold_up_lists() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("station.sqlite");
    {
        let seal = AuditSeal::in_data_dir(dir.path(), &database);
        let mut store = Store::open_sealed(&database, &seal).unwrap();
        store.begin_batch().unwrap();
        for n in 0..60_000 {
            store
                .append_audit(&qcstation::store::AuditEntry::new(
                    "line",
                    "test.step",
                    "part",
                    &n.to_string(),
                ))
                .unwrap();
        }
        store.commit_batch().unwrap();
    }
    let runtime = Runtime::start(options(dir.path(), vec![])).unwrap();
    sign_in(&runtime, "ada", "Demo-admin-2026");
    runtime.send(AuditQuery::Verify).unwrap();
    runtime.send(UsersCommand::List).unwrap();
    let (mut progress, mut users_before_verdict) = (Vec::new(), false);
    let report = wait_for(&runtime, |event| match event {
        Event::Audit(AuditEvent::VerifyProgress { checked, total }) => {
            progress.push((checked, total));
            None
        }
        Event::Users(UsersEvent::List(_)) => {
            users_before_verdict = true;
            None
        }
        Event::Audit(AuditEvent::Verified(report)) => Some(report),
        _ => None,
    });
    assert!(report.is_intact(), "{report:?}");
    assert!(report.rows_checked > 60_000);
    assert!(
        users_before_verdict,
        "the user list waited for the chain check"
    );
    assert!(
        progress
            .iter()
            .any(|&(checked, total)| checked > 0 && checked <= total),
        "{progress:?}"
    );
}
