//! Scan sessions through the public runtime on the demo's simulated hand-held reader: the
//! reader shows the part presented (a rendered laser mark of its UID), the real decoder reads
//! the frames, the store judges each code. A code held in view counts once; shown again after
//! it left the view it is a duplicate; the summary names the part left out and the stranger.
//! Below the free-space minimum scans are recorded without their crops.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use qcstation::domain::{Actor, ItemStatus};
use qcstation::runtime::{
    LEFT_VIEW_AFTER, Runtime, RuntimeOptions, ScanFrom, ScanPlan, ScannerCommand, ScannerEvent,
    ScannerHandle,
};
use qcstation::store::{Expected, ScanResult, Store};

/// A batch of three verified items in a fresh database; its id and UIDs.
fn verified_batch(path: &std::path::Path) -> (i64, Vec<String>) {
    common::batch_in(path, &[ItemStatus::Engraved, ItemStatus::Verified])
}

/// A laser mark of `payload` on metal, saved in `dir`.
fn mark_image(dir: &std::path::Path, payload: &str, seed: u64) -> String {
    use qcstation::scan::synth::{MarkParams, Tier, render};
    let mut params = MarkParams::sample(seed, Tier::Normal, 640, 480);
    params.payload = payload.to_owned();
    let path = dir.join(format!("{payload}-{seed}.png"));
    render(&params).unwrap().image.save(&path).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The next scan recorded (other events are returned as failures).
fn next_scan(scanner: &ScannerHandle) -> (String, ScanResult) {
    match scanner.events().recv_timeout(Duration::from_secs(60)) {
        Ok(ScannerEvent::Scanned(record)) => (record.code_text, record.result),
        other => {
            let view = scanner.view();
            panic!(
                "expected a scan, got {other:?}; {} frames, {} decoder failures, holding {:?}, in view {:?}",
                view.frames, view.decoder_failures, view.presented, view.codes_in_view
            )
        }
    }
}

/// A runtime scanning the simulated reader, with images paused below `min_free_bytes`.
fn scanning_runtime(database: &std::path::Path, min_free_bytes: u64) -> Runtime {
    Runtime::start(RuntimeOptions {
        // An unoptimised test build needs more than the live budget to read a frame.
        scanning: Some(ScanPlan {
            source: ScanFrom::Simulated,
            budget: Duration::from_secs(5),
        }),
        min_free_bytes,
        ..RuntimeOptions::scratch(database.to_owned())
    })
    .unwrap()
}

/// Starts a session `name` against the batch as the console; its id once the scanner has it.
fn start_session(scanner: &ScannerHandle, name: &str, batch_id: i64) -> i64 {
    scanner
        .send(ScannerCommand::Start {
            actor: Actor::console("test"),
            name: name.into(),
            expected: Expected::Batch(batch_id),
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(session) = &scanner.view().session {
            return session.id;
        }
        assert!(Instant::now() < deadline, "the session did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_session_against_a_batch_counts_each_part_once_and_names_the_one_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("station.sqlite");
    let (batch_id, uids) = verified_batch(&database);
    let runtime = scanning_runtime(&database, 0);
    let scanner = runtime.scanner().unwrap().clone();
    let actor = Actor::console("test");
    start_session(&scanner, "Assembly line 2", batch_id);

    scanner
        .send(ScannerCommand::Present(Some(uids[0].clone())))
        .unwrap();
    assert_eq!(next_scan(&scanner), (uids[0].clone(), ScanResult::Known));
    // Held in view for a while: counted once.
    let frames_before = scanner.view().frames;
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        scanner.view().frames > frames_before,
        "frames keep being read"
    );
    assert!(
        scanner.events().try_recv().is_err(),
        "held in view counts once"
    );

    // Taken away, then shown again: scanned again, a duplicate.
    scanner.send(ScannerCommand::Present(None)).unwrap();
    std::thread::sleep(LEFT_VIEW_AFTER + Duration::from_millis(500));
    scanner
        .send(ScannerCommand::Present(Some(uids[0].clone())))
        .unwrap();
    assert_eq!(
        next_scan(&scanner),
        (uids[0].clone(), ScanResult::Duplicate)
    );
    // The next part replaces it, then a code that is nobody's UID.
    scanner
        .send(ScannerCommand::Present(Some(uids[1].clone())))
        .unwrap();
    assert_eq!(next_scan(&scanner), (uids[1].clone(), ScanResult::Known));
    scanner
        .send(ScannerCommand::Present(Some(
            "PAD-V0100-L2025-09-99999".into(),
        )))
        .unwrap();
    assert_eq!(
        next_scan(&scanner),
        ("PAD-V0100-L2025-09-99999".into(), ScanResult::Unknown)
    );

    scanner.send(ScannerCommand::Close { actor }).unwrap();
    let (session, summary) = loop {
        match scanner
            .events()
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
        {
            ScannerEvent::Closed(session, summary) => break (session, summary),
            ScannerEvent::Scanned(_) | ScannerEvent::Exported(_) => {}
            ScannerEvent::Failed(err) => panic!("{err}"),
        }
    };
    assert!(!session.is_open());
    assert_eq!(summary.expected, 3);
    assert_eq!(summary.seen_expected, 2);
    assert_eq!(summary.missing, [uids[2].clone()]);
    assert_eq!(summary.extra, ["PAD-V0100-L2025-09-99999".to_owned()]);
    drop(runtime);

    // Each scan kept its crop of the code.
    let store = Store::open(&database).unwrap();
    let scans = store.scans(session.id, 0).unwrap();
    assert_eq!(scans.len(), 4);
    for scan in &scans {
        let crop = dir
            .path()
            .join("images")
            .join(scan.image_path.as_ref().unwrap());
        let image = image::open(&crop).unwrap();
        assert!(
            image.width() > 40 && image.height() > 40,
            "{}",
            crop.display()
        );
    }
}

/// Below the free-space minimum a scan is judged and recorded as ever, without its crop.
#[test]
fn below_the_free_space_minimum_a_scan_is_recorded_without_its_crop() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("station.sqlite");
    let (batch_id, uids) = verified_batch(&database);
    // No disk has this much free: images are paused from the start.
    let runtime = scanning_runtime(&database, u64::MAX);
    let scanner = runtime.scanner().unwrap().clone();
    let session_id = start_session(&scanner, "Full disk", batch_id);
    scanner
        .send(ScannerCommand::Present(Some(uids[0].clone())))
        .unwrap();
    assert_eq!(next_scan(&scanner), (uids[0].clone(), ScanResult::Known));
    drop(runtime);

    let scans = Store::open(&database)
        .unwrap()
        .scans(session_id, 0)
        .unwrap();
    assert_eq!(scans.len(), 1);
    assert_eq!(scans[0].image_path, None);
    assert!(!dir.path().join("images").join("scans").exists());
}

/// The same judgement from the CLI on image files: each image one view, a code in a later image
/// a duplicate, the summary naming the part left out; exit 1 because something is missing.
#[test]
fn scan_session_on_files_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    // Demo mode (no config): the database is demo.sqlite in the data directory.
    let (batch_id, uids) = verified_batch(&dir.path().join("demo.sqlite"));
    let (first, second) = (
        mark_image(dir.path(), &uids[0], 1),
        mark_image(dir.path(), &uids[1], 2),
    );
    let csv = dir.path().join("report.csv");
    let batch = batch_id.to_string();
    let output = common::qcstation(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "scan-session",
        "--json",
        "--name",
        "Receiving",
        "--batch",
        &batch,
        &first,
        &second,
        &first,
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = common::json_lines(&output);
    let results: Vec<&str> = lines[..3]
        .iter()
        .map(|line| line["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["known", "known", "duplicate"]);
    assert_eq!(lines[0]["code"], uids[0].as_str());
    let summary = &lines[3];
    assert_eq!(summary["expected"], 3);
    assert_eq!(summary["seen_expected"], 2);
    assert_eq!(summary["missing"], serde_json::json!([uids[2]]));
    assert_eq!(summary["counts"]["duplicate"], 1);
    let report = std::fs::read_to_string(&csv).unwrap();
    assert!(report.contains(&format!("missing,{}", uids[2])), "{report}");
    // Recorded in the station database like a session on the panel.
    let store = Store::open(&dir.path().join("demo.sqlite")).unwrap();
    let session = &store.scan_sessions(0).unwrap()[0];
    assert_eq!(session.name, "Receiving");
    assert!(!session.is_open());
}

/// A mark verified from an image file: its own UID verifies the item with a grade; another
/// item's mark fails it, saying what was read.
#[test]
fn items_verify_on_files_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("demo.sqlite");
    let (_, uids) = common::batch_in(&database, &[ItemStatus::Engraved]);
    let own = mark_image(dir.path(), &uids[0], 3);
    let data_dir = dir.path().to_str().unwrap();
    let output = common::qcstation(&[
        "--data-dir",
        data_dir,
        "items",
        "verify",
        &uids[0],
        &own,
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = &common::json_lines(&output)[0];
    assert_eq!(line["verified"], true);
    assert_eq!(line["attempts"], 1);
    assert!(
        ["A", "B", "C", "D", "F"].contains(&line["grade"].as_str().unwrap()),
        "{line}"
    );
    let output = common::qcstation(&[
        "--data-dir",
        data_dir,
        "items",
        "verify",
        &uids[1],
        &own,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let line = &common::json_lines(&output)[0];
    assert_eq!(line["verified"], false);
    assert!(
        line["reason"].as_str().unwrap().contains(&uids[0]),
        "{line}"
    );
    // A photo that cannot be read is no verdict on the mark: nothing is recorded.
    let missing = dir.path().join("no-such-photo.png");
    let output = common::qcstation(&[
        "--data-dir",
        data_dir,
        "items",
        "verify",
        &uids[2],
        missing.to_str().unwrap(),
    ]);
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nothing recorded") && stderr.contains("no-such-photo.png"),
        "{stderr}"
    );
    let store = Store::open(&database).unwrap();
    let status = |uid: &str| store.item(&uid.parse().unwrap()).unwrap().unwrap().status;
    assert_eq!(status(&uids[0]), ItemStatus::Verified);
    assert_eq!(status(&uids[1]), ItemStatus::EngraveFailed);
    assert_eq!(status(&uids[2]), ItemStatus::Engraved);
    assert!(
        store
            .verifications(&uids[2].parse().unwrap(), 0)
            .unwrap()
            .is_empty()
    );
    let kept = dir.path().join("images").join(
        store.verifications(&uids[0].parse().unwrap(), 0).unwrap()[0]
            .image_path
            .as_ref()
            .unwrap(),
    );
    assert!(kept.is_file(), "{}", kept.display());
}

/// A station camera as the reader: a folder camera replaying photos of two parts in turn. Each
/// part is scanned once although it keeps coming back into view.
#[test]
fn a_station_camera_feeds_the_scanner_and_parts_that_stay_in_view_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("station.sqlite");
    let (_, uids) = verified_batch(&database);
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    for (index, uid) in uids.iter().take(2).enumerate() {
        let image = mark_image(dir.path(), uid, 10 + index as u64);
        std::fs::copy(&image, frames.join(format!("{index:03}.png"))).unwrap();
    }
    let spec = format!("folder:{}?fps=5", frames.display());
    let runtime = Runtime::start(RuntimeOptions {
        cameras: Some(vec![("Reader".to_owned(), spec.parse().unwrap())]),
        scanning: Some(ScanPlan {
            source: ScanFrom::Camera("Reader".into()),
            budget: Duration::from_secs(5),
        }),
        ..RuntimeOptions::scratch(database)
    })
    .unwrap();
    let scanner = runtime.scanner().unwrap().clone();
    let deadline = Instant::now() + Duration::from_secs(10);
    while scanner.view().source.is_empty() {
        assert!(Instant::now() < deadline, "the scanner did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(scanner.view().source, "camera Reader");
    scanner
        .send(ScannerCommand::Start {
            actor: Actor::console("test"),
            name: "Bench".into(),
            expected: Expected::Nothing,
        })
        .unwrap();
    let mut seen = vec![next_scan(&scanner), next_scan(&scanner)];
    seen.sort();
    assert_eq!(
        seen,
        [
            (uids[0].clone(), ScanResult::Known),
            (uids[1].clone(), ScanResult::Known)
        ]
    );
    // Both keep coming back every 0.4 s: nothing more is recorded.
    std::thread::sleep(Duration::from_secs(2));
    assert!(scanner.events().try_recv().is_err());
    assert!(scanner.view().frames >= 5);
}
