//! Crash consistency: the real `qcstation` binary streams records and prints each one as its
//! commit is acknowledged; it is killed with SIGKILL mid-stream, and every acknowledged record is
//! in the database and the audit chain verifies. Both write paths: the runtime's batching
//! store-writer (many records per transaction, one savepoint each) and the store called
//! directly (one transaction per record).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use qcstation::store::{AuditFilter, Store, StoreReader};

/// Kills the writer after `kill_after` acks and checks every acknowledged record.
fn killed_writer_loses_nothing_acknowledged(path: &str, kill_after: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["bench", "store", "--records", "1000000", "--print-acks"])
        .args(["--path", path])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked: Vec<u64> = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ack ") {
            acked.push(n.parse().unwrap());
            if acked.len() == kill_after {
                child.kill().unwrap(); // SIGKILL: no destructors, no final commit
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(acked.len(), kill_after, "the child stopped early");

    let database = dir.path().join("bench-store.sqlite");
    let reader = StoreReader::open(&database).unwrap();
    let report = reader.verify_audit().unwrap();
    assert!(report.is_intact(), "{report:?}");
    let rows = reader
        .audit(&AuditFilter {
            action_prefix: "setting.change".into(),
            limit: 1_000_000,
            ..AuditFilter::default()
        })
        .unwrap();
    let committed: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|row| row.entry.new_value.clone())
        .collect();
    for n in &acked {
        assert!(
            committed.contains(&format!("bench record {n}")),
            "acknowledged record {n} is missing ({} committed)",
            committed.len()
        );
    }
    // The database opens for writing after the crash and its chain still verifies.
    let store = Store::open(&database).unwrap();
    assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
}

#[test]
fn killed_during_the_runtimes_batched_writes_loses_no_acknowledged_record() {
    killed_writer_loses_nothing_acknowledged("runtime", 400);
}

#[test]
fn killed_during_single_record_writes_loses_no_acknowledged_record() {
    killed_writer_loses_nothing_acknowledged("store", 150);
}
