//! Backups and restores on real SQLite files and through the built binary: a backup taken while
//! another connection keeps committing restores to a database whose sealed audit trail verifies
//! and holds every row acknowledged before the backup began; a byte flipped in the database or
//! in an image is refused naming that file, and the data directory is left as it was; a running
//! station is refused; an altered trail in a consistent-looking backup is refused; the CLI's
//! round trip and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qcstation::backup::{
    self, BackupError, BackupRequest, Pacing, RestoreRequest, SKIPPED_FOLDERS, Step,
};
use qcstation::domain::Actor;
use qcstation::store::{AuditEntry, AuditFilter, AuditSeal, CopyPacing, Store, StoreReader};
use sha2::{Digest as _, Sha256};

fn database(dir: &Path) -> PathBuf {
    dir.join("station.sqlite")
}

/// The station's store as the station opens it: sealed with the key in its data directory.
fn open_station(dir: &Path) -> Store {
    let path = database(dir);
    Store::open_sealed(&path, &AuditSeal::in_data_dir(dir, &path)).unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Deterministic "image" bytes.
fn image_bytes(seed: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) ^ seed) as u8)
        .collect()
}

/// A station with demo users, `rows` audit rows, images, a stored cross-check file, and the
/// folders a backup leaves out.
fn station_with_records(dir: &Path, rows: usize) {
    let mut store = open_station(dir);
    store.seed_demo(qcstation::auth::new_secret_hash).unwrap();
    store.begin_batch().unwrap();
    for index in 0..rows {
        store
            .append_audit(
                &AuditEntry::new("ada", "test.fill", "part", &index.to_string())
                    .reason("x".repeat(1000)),
            )
            .unwrap();
    }
    store.commit_batch().unwrap();
    for index in 0..5 {
        write(
            &dir.join(format!("images/2026-03-01/cam1/part-{index}.png")),
            &image_bytes(index, 50_000),
        );
    }
    write(&dir.join("images/marks/m-1.png"), &image_bytes(99, 3_000));
    write(
        &dir.join("crosscheck/files/0123abcd.pdf"),
        b"%PDF-1.7 traveler",
    );
    write(&dir.join("crosscheck/files/half.pdf.partial"), b"%PDF-");
    write(&dir.join("logs/qcstation.log"), b"log line\n");
    write(&dir.join("exports/report.csv"), b"a,b\n");
    write(
        &dir.join("demo-packs/pack-1/traveler.pdf"),
        b"%PDF-1.7 pack",
    );
}

/// Every file (and folder) under `dir` but its logs, with its SHA-256: what "nothing changed"
/// compares.
fn contents(dir: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if name == "logs" {
                continue;
            }
            if entry.file_type().unwrap().is_dir() {
                found.insert(format!("{name}/"), String::new());
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.insert(name, hex::encode(Sha256::digest(&bytes)));
            }
        }
    }
    found
}

fn console() -> Actor {
    Actor::console("test")
}

fn request(dir: &Path, destination: &Path) -> BackupRequest {
    BackupRequest {
        data_dir: dir.to_owned(),
        database: database(dir),
        config_file: None,
        destination: destination.to_owned(),
        pacing: Pacing::default(),
    }
}

fn restore_request(backup: &Path, dir: &Path) -> RestoreRequest {
    RestoreRequest {
        backup: backup.to_owned(),
        data_dir: dir.to_owned(),
        actor: console(),
        pacing: Pacing::default(),
    }
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

fn ids(reader: &StoreReader, action: &str) -> Vec<i64> {
    reader
        .audit(&AuditFilter {
            action_prefix: action.to_owned(),
            limit: 1_000_000,
            ..AuditFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
}

fn sealed_reader(dir: &Path) -> StoreReader {
    let path = database(dir);
    StoreReader::open_sealed(&path, &AuditSeal::in_data_dir(dir, &path)).unwrap()
}

#[test]
fn a_backup_during_continuous_writes_restores_every_acknowledged_row() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("station");
    station_with_records(&dir, 3000);

    // Another connection commits audit rows (and saves an image now and then) nonstop, as the
    // running station's writer does; each id is recorded once its commit returned.
    let acked: Arc<Mutex<Vec<i64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (dir, acked, stop) = (dir.clone(), Arc::clone(&acked), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("test-writer".into())
            .spawn(move || {
                let mut store = open_station(&dir);
                let mut n = 0_u32;
                while !stop.load(Ordering::Relaxed) {
                    let id = store
                        .append_audit(&AuditEntry::new(
                            "olga",
                            "test.write",
                            "part",
                            &n.to_string(),
                        ))
                        .unwrap();
                    acked.lock().unwrap().push(id);
                    if n.is_multiple_of(10) {
                        write(
                            &dir.join(format!("images/live/part-{n}.png")),
                            &image_bytes(n, 20_000),
                        );
                    }
                    n += 1;
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
            .unwrap()
    };
    let acked_count = || acked.lock().unwrap().len();
    let wait_for = |count: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while acked_count() < count {
            assert!(Instant::now() < deadline, "the writer stalled");
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    wait_for(5);
    let acked_before: Vec<i64> = acked.lock().unwrap().clone();

    let destination = root.path().join("backup");
    let mut request = request(&dir, &destination);
    // Small steps, so the copy spans many of them.
    request.pacing.database = CopyPacing {
        pages_per_step: 16,
        pause_between_steps: Duration::from_millis(1),
        ..CopyPacing::default()
    };
    let mut steps = 0;
    let mut written_during_copy = 0;
    let report = backup::create(&request, &mut |progress| {
        if progress.step == Step::CopyDatabase && progress.done < progress.total {
            steps += 1;
            if steps == 2 {
                // Mid-copy, the writer must still get its commits through.
                let before = acked_count();
                wait_for(before + 5);
                written_during_copy = acked_count() - before;
            }
        }
    })
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(steps > 10, "the database was copied in {steps} steps");
    assert!(written_during_copy >= 5);
    let manifest = &report.manifest;
    assert_eq!(manifest.database, "station.sqlite");
    assert!(manifest.audit_sealed);
    assert_eq!(manifest.station_name, "Demo station");
    assert_eq!(manifest.schema_version, qcstation::store::LATEST_VERSION);
    let head = manifest.audit_head.clone().unwrap();
    assert!(head.row_id >= *acked_before.last().unwrap());
    let paths: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for expected in [
        "station.sqlite",
        "station.key",
        "station.sqlite.audit-head",
        "images/2026-03-01/cam1/part-0.png",
        "images/marks/m-1.png",
        "crosscheck/files/0123abcd.pdf",
    ] {
        assert!(paths.contains(&expected), "{expected} in {paths:?}");
    }
    for path in &paths {
        let top = path.split('/').next().unwrap();
        assert!(!SKIPPED_FOLDERS.contains(&top), "{path} was backed up");
        assert!(!path.ends_with(".partial"), "{path} was backed up");
    }
    assert!(destination.join("manifest.json").exists());
    assert!(!root.path().join("backup.partial").exists());

    // A dead disk: restored into a new, empty data directory.
    let fresh = root.path().join("fresh");
    let restored = backup::restore(&restore_request(&destination, &fresh), &mut |_| {}).unwrap();
    assert!(restored.set_aside.is_none());
    assert_eq!(restored.audit_row_id, head.row_id + 1);
    assert!(restored.audit.is_intact(), "{:?}", restored.audit);
    let reader = sealed_reader(&fresh);
    let report_after = reader.verify_audit().unwrap();
    assert!(report_after.is_intact(), "{report_after:?}");
    assert!(report_after.sealed);
    let written = ids(&reader, "test.write");
    for id in &acked_before {
        assert!(written.contains(id), "acknowledged row {id} is missing");
    }
    assert_eq!(ids(&reader, "test.fill").len(), 3000);
    assert_eq!(ids(&reader, "backup.restore"), [head.row_id + 1]);
    assert_eq!(
        std::fs::read(fresh.join("images/marks/m-1.png")).unwrap(),
        image_bytes(99, 3_000)
    );

    // The station itself, stopped, restored in place: what it had goes aside.
    let rows_before = StoreReader::open(&database(&dir))
        .unwrap()
        .verify_audit()
        .unwrap()
        .head
        .unwrap();
    assert!(
        rows_before.row_id > head.row_id,
        "rows were written after the snapshot"
    );
    let restored = backup::restore(&restore_request(&destination, &dir), &mut |_| {}).unwrap();
    let aside = restored.set_aside.clone().unwrap();
    assert!(
        aside
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("pre-restore-")
    );
    for moved in [
        "station.sqlite",
        "station.key",
        "station.sqlite.audit-head",
        "images",
        "crosscheck",
    ] {
        assert!(
            restored.moved_aside.iter().any(|name| name == moved),
            "{moved}"
        );
        assert!(aside.join(moved).exists(), "{moved} kept aside");
    }
    assert_eq!(restored.previous_head.as_ref(), Some(&rows_before));
    for kept in ["logs", "exports", "demo-packs"] {
        assert!(dir.join(kept).exists(), "{kept} stays");
    }
    assert!(
        dir.join("images/live").exists(),
        "the backup's copy of the live images"
    );
    let reader = sealed_reader(&dir);
    assert!(reader.verify_audit().unwrap().is_intact());
    let restore_row = reader
        .audit(&AuditFilter {
            action_prefix: "backup.restore".into(),
            limit: 1,
            ..AuditFilter::default()
        })
        .unwrap()
        .remove(0);
    let old_value = restore_row.entry.old_value.unwrap();
    assert!(old_value.contains(&rows_before.hash), "{old_value}");
    assert!(
        restore_row.entry.reason.unwrap().contains("pre-restore-"),
        "the row says where the old data went"
    );
    // The restored station opens and writes as usual.
    let mut store = open_station(&dir);
    store
        .append_audit(&AuditEntry::new("ada", "test.after", "part", "1"))
        .unwrap();
    assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
}

/// A stopped station with records, a backup of it, and the data directory's contents.
fn station_and_backup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("station");
    station_with_records(&dir, 50);
    let destination = root.path().join("backup");
    backup::create(&request(&dir, &destination), &mut |_| {}).unwrap();
    // Rows after the backup, so a restore would change the database.
    open_station(&dir)
        .append_audit(&AuditEntry::new("ada", "test.later", "part", "1"))
        .unwrap();
    (root, dir, destination)
}

#[test]
fn a_running_station_is_refused_and_nothing_changes() {
    let (_root, dir, destination) = station_and_backup();
    let before = contents(&dir);
    let station = open_station(&dir);
    let err = backup::restore(&restore_request(&destination, &dir), &mut |_| {}).unwrap_err();
    assert!(matches!(err, BackupError::StationRunning { .. }), "{err}");
    assert!(err.to_string().contains("station.sqlite"), "{err}");
    drop(station);
    assert_eq!(contents(&dir), before);
    // Stopped, it goes through.
    backup::restore(&restore_request(&destination, &dir), &mut |_| {}).unwrap();
}

#[test]
fn an_altered_trail_in_a_consistent_looking_backup_is_refused() {
    let (_root, dir, destination) = station_and_backup();
    // Someone edits a row in the backup's database and fixes the manifest's size and hash.
    let copy = database(&destination);
    forge_row_3(&copy);
    let digest = hex::encode(Sha256::digest(std::fs::read(&copy).unwrap()));
    let size = std::fs::metadata(&copy).unwrap().len();
    let manifest_path = destination.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for file in manifest["files"].as_array_mut().unwrap() {
        if file["path"] == "station.sqlite" {
            file["sha256"] = serde_json::json!(digest);
            file["size_bytes"] = serde_json::json!(size);
        }
    }
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let before = contents(&dir);
    let err = backup::restore(&restore_request(&destination, &dir), &mut |_| {}).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BackupError::Damaged { .. }), "{text}");
    assert!(
        text.contains("station.sqlite: its audit trail does not verify at row 3"),
        "{text}"
    );
    assert_eq!(contents(&dir), before);
}

/// Edits audit row 3 the way someone with a SQLite shell would.
fn forge_row_3(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_is_append_only_update;
         UPDATE audit SET reason = 'forged' WHERE id = 3;",
    )
    .unwrap();
}

// --- through the binary -------------------------------------------------------------------

fn run(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    common::qcstation(&all)
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn json(output: &Output) -> serde_json::Value {
    let lines = common::json_lines(output);
    assert_eq!(lines.len(), 1, "{}", text(output));
    lines.into_iter().next().unwrap()
}

#[test]
fn the_cli_backs_up_and_restores_a_production_station() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("station");
    std::fs::create_dir_all(&dir).unwrap();
    common::production_config(&dir);
    write(&dir.join("images/marks/m-1.png"), &image_bytes(1, 10_000));

    let out = run(&dir, &["backup", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let made = json(&out);
    let folder = PathBuf::from(made["folder"].as_str().unwrap());
    assert_eq!(folder.parent().unwrap(), dir.join("backups"));
    assert!(
        backup::parse_folder_name(&folder.file_name().unwrap().to_string_lossy()).is_some(),
        "{}",
        folder.display()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("backup: copying files 1/1 files"),
        "{stderr}"
    );
    assert_eq!(
        made["files"], 5,
        "database, key, head, config, image: {made}"
    );
    let head = made["audit_head"].clone();
    assert!(made["audit_sealed"].as_bool().unwrap());

    // The backup is in the trail; then the station goes on and a user is added.
    let out = run(&dir, &["audit", "list", "--action", "backup"]);
    assert!(text(&out).contains("backup.create"), "{}", text(&out));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(["users", "add", "late", "--role", "admin", "--secret-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"Strong-pass-2026\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    // Not a backup: refused, exit 1.
    let out = run(&dir, &["restore", dir.join("images").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("has no manifest.json"),
        "{}",
        text(&out)
    );
    // A backup folder inside the data directory other than backups/: refused.
    let out = run(
        &dir,
        &["backup", "--to", dir.join("mine").to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("inside the data directory"),
        "{}",
        text(&out)
    );

    let out = run(&dir, &["restore", folder.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let restored = json(&out);
    assert_eq!(restored["audit_head"], head);
    assert!(restored["audit_intact"].as_bool().unwrap());
    assert!(
        restored["set_aside"]
            .as_str()
            .unwrap()
            .contains("pre-restore-")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("restore: checking files 5/5 files"),
        "{stderr}"
    );

    let out = run(&dir, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    let users = text(&run(&dir, &["users", "list"]));
    assert!(
        !users.contains("late"),
        "the user added after the backup is gone: {users}"
    );
    let out = run(&dir, &["audit", "list", "--action", "backup"]);
    assert!(text(&out).contains("backup.restore"), "{}", text(&out));
    // The backups folder was left where it was, so the backup can be restored again.
    assert!(folder.join("manifest.json").exists());

    // A dead disk: a new data directory gets the config file back, so it is production again.
    let fresh = root.path().join("fresh");
    let out = run(&fresh, &["restore", folder.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(fresh.join("qcstation.toml").exists());
    let out = run(&fresh, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("station.sqlite"), "{}", text(&out));
}

/// A demo station (no config file) backed up through the binary; returns the backup folder.
fn cli_station_and_backup(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for index in 0..3 {
        write(
            &dir.join(format!("images/2026-03-01/cam1/part-{index}.png")),
            &image_bytes(index, 30_000),
        );
    }
    write(
        &dir.join("crosscheck/files/0123abcd.pdf"),
        b"%PDF-1.7 traveler",
    );
    let out = run(dir, &["backup", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let folder = PathBuf::from(json(&out)["folder"].as_str().unwrap());
    // The station goes on after the backup.
    let out = run(dir, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
    folder
}

#[test]
fn the_cli_refuses_a_backup_with_a_byte_flipped_in_its_database_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("station");
    let folder = cli_station_and_backup(&dir);
    let copy = folder.join("demo.sqlite");
    flip_byte(&copy, std::fs::metadata(&copy).unwrap().len() as usize / 2);
    let before = contents(&dir);
    let out = run(&dir, &["restore", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is damaged and was refused"), "{stderr}");
    assert!(stderr.contains("demo.sqlite: its SHA-256"), "{stderr}");
    assert!(stderr.contains("nothing was changed"), "{stderr}");
    assert_eq!(contents(&dir), before, "the data directory is as it was");
}

#[test]
fn the_cli_refuses_a_backup_with_a_byte_flipped_in_an_image_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("station");
    let folder = cli_station_and_backup(&dir);
    flip_byte(&folder.join("images/2026-03-01/cam1/part-1.png"), 1234);
    flip_byte(&folder.join("crosscheck/files/0123abcd.pdf"), 3);
    let before = contents(&dir);
    let out = run(&dir, &["restore", folder.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(out.stdout.is_empty(), "no result on a refusal");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("images/2026-03-01/cam1/part-1.png: its SHA-256"),
        "{stderr}"
    );
    assert!(
        stderr.contains("crosscheck/files/0123abcd.pdf: its SHA-256"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("part-0.png"),
        "only the damaged files: {stderr}"
    );
    assert_eq!(contents(&dir), before, "the data directory is as it was");
    // The same backup with the image removed is refused too, naming it as missing.
    std::fs::remove_file(folder.join("images/2026-03-01/cam1/part-2.png")).unwrap();
    let before = contents(&dir);
    let out = run(&dir, &["restore", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("images/2026-03-01/cam1/part-2.png: missing from the backup"),
        "{}",
        text(&out)
    );
    assert_eq!(contents(&dir), before);
}

#[test]
fn a_backup_goes_to_a_new_folder_and_a_demo_backup_never_over_a_production_station() {
    let (root, dir, destination) = station_and_backup();
    let err = backup::create(&request(&dir, &destination), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, BackupError::DestinationExists { .. }),
        "{err}"
    );
    // An empty folder is fine.
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    backup::create(&request(&dir, &empty), &mut |_| {}).unwrap();
    assert!(empty.join("manifest.json").exists());

    let demo = root.path().join("demo");
    let folder = cli_station_and_backup(&demo);
    let before = contents(&dir);
    let err = backup::restore(&restore_request(&folder, &dir), &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, BackupError::DemoOverProduction { .. }),
        "{err}"
    );
    assert_eq!(contents(&dir), before);
}

#[test]
fn a_station_whose_database_is_destroyed_is_restored() {
    let (_root, dir, destination) = station_and_backup();
    let garbage = vec![0x5a_u8; 64 * 1024];
    std::fs::write(database(&dir), &garbage).unwrap();
    let restored = backup::restore(&restore_request(&destination, &dir), &mut |_| {}).unwrap();
    assert_eq!(restored.previous_head, None, "nothing readable before");
    assert!(restored.audit.is_intact(), "{:?}", restored.audit);
    let aside = restored.set_aside.unwrap();
    assert_eq!(
        std::fs::read(aside.join("station.sqlite")).unwrap(),
        garbage
    );
    assert!(sealed_reader(&dir).verify_audit().unwrap().is_intact());
}
