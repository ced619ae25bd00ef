//! Crash consistency: a writer process is killed with SIGKILL in the middle of a stream of
//! commits; every record it had acknowledged (printed after its commit) is in the database, and
//! the audit chain verifies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use qcstation::store::{AuditEntry, AuditFilter, Store, StoreReader};

const CHILD_ENV: &str = "QCSTATION_CRASH_CHILD_DB";

/// The child's side: only runs when the parent starts this test binary with CHILD_ENV set.
#[test]
fn crash_child_writer() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(std::path::Path::new(&path)).unwrap();
    for n in 0.. {
        let entry = AuditEntry::new("crash-test", "record", "test", &n.to_string());
        let id = store.append_audit(&entry).unwrap();
        // Acknowledged only after the commit returned.
        println!("ack {n} {id}");
    }
}

#[test]
fn killed_writer_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked: Vec<(u64, i64)> = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ack ") {
            let mut parts = rest.split(' ');
            let n: u64 = parts.next().unwrap().parse().unwrap();
            let id: i64 = parts.next().unwrap().parse().unwrap();
            acked.push((n, id));
            if acked.len() == 150 {
                child.kill().unwrap(); // SIGKILL: no destructors, no final commit
                break;
            }
        }
    }
    child.wait().unwrap();
    assert_eq!(acked.len(), 150);

    let reader = StoreReader::open(&path).unwrap();
    let report = reader.verify_audit().unwrap();
    assert!(report.is_intact(), "{report:?}");
    let rows = reader
        .audit(&AuditFilter {
            user_name: "crash-test".into(),
            limit: 100_000,
            ..AuditFilter::default()
        })
        .unwrap();
    for (n, id) in &acked {
        assert!(
            rows.iter()
                .any(|row| row.id == *id && row.entry.entity_id == n.to_string()),
            "acknowledged record {n} (row {id}) is missing"
        );
    }
    // The database is still writable after the crash.
    let mut store = Store::open(&path).unwrap();
    store
        .append_audit(&AuditEntry::new("crash-test", "after", "test", "x"))
        .unwrap();
    assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
}
