//! Cross-check sessions in a real SQLite file: created with their files by an operator, each
//! file moved through its statuses, the checks recorded and read back, the list filtered by
//! name and verdict, deletion refused to an operator and done by an engineer (audited, with
//! the stored files no other session uses returned for removal).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{actor, demo_store};

use qcstation::store::{AuditFilter, CrosscheckFilter, FileStatus, NewCrosscheckFile, StoreError};

fn file(name: &str, sha: &str) -> NewCrosscheckFile {
    NewCrosscheckFile {
        original_name: name.to_owned(),
        sha256: sha.repeat(64 / sha.len()),
        size_bytes: 1000,
        stored_path: format!("crosscheck/files/{}.bin", sha.repeat(64 / sha.len())),
    }
}

#[test]
fn a_session_keeps_its_files_statuses_checks_and_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let olga = actor(&store, "olga");
    let vic = actor(&store, "vic");
    let refused = store.create_crosscheck_session(&vic, "job 12345", &[file("t.pdf", "a")]);
    assert!(
        matches!(refused, Err(StoreError::Forbidden { .. })),
        "{refused:?}"
    );
    let empty = store
        .create_crosscheck_session(&olga, "job 12345", &[])
        .unwrap_err();
    assert!(empty.to_string().contains("at least one file"), "{empty}");

    let session = store
        .create_crosscheck_session(
            &olga,
            " job 12345 ",
            &[file("traveler.pdf", "a"), file("bom.xlsx", "b")],
        )
        .unwrap();
    assert_eq!(session.name, "job 12345");
    assert_eq!(session.file_count, 2);
    assert_eq!(session.verdict, None);
    let files = store.crosscheck_files(session.id).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f.status == FileStatus::Queued));
    assert_eq!(files[0].original_name, "traveler.pdf");

    store
        .set_crosscheck_file(files[0].id, FileStatus::Extracting, None, None, None)
        .unwrap();
    store
        .set_crosscheck_file(
            files[0].id,
            FileStatus::Done,
            Some("traveler"),
            None,
            Some("[]"),
        )
        .unwrap();
    store
        .set_crosscheck_file(
            files[1].id,
            FileStatus::Failed,
            Some("bom"),
            Some("bom.xlsx: damaged"),
            None,
        )
        .unwrap();
    let files = store.crosscheck_files(session.id).unwrap();
    assert_eq!(
        (files[0].status, files[0].kind.as_deref()),
        (FileStatus::Done, Some("traveler"))
    );
    assert_eq!(files[0].fields_json.as_deref(), Some("[]"));
    assert_eq!(files[1].status, FileStatus::Failed);
    assert_eq!(files[1].reason.as_deref(), Some("bom.xlsx: damaged"));

    // A re-run queues every file again: the reasons go, the kinds and fields stay until read.
    store.queue_crosscheck_files(session.id).unwrap();
    let requeued = store.crosscheck_files(session.id).unwrap();
    assert!(requeued.iter().all(|f| f.status == FileStatus::Queued));
    assert_eq!(requeued[1].reason, None);
    assert_eq!(requeued[0].kind.as_deref(), Some("traveler"));
    assert_eq!(requeued[0].fields_json.as_deref(), Some("[]"));

    let checked = store
        .record_crosscheck_result(&olga, session.id, "FAIL", "[]", "{}")
        .unwrap();
    assert_eq!(checked.verdict.as_deref(), Some("FAIL"));
    assert!(checked.checked_at_utc.is_some());

    let other = store
        .create_crosscheck_session(&olga, "job 99999", &[file("p.png", "c")])
        .unwrap();
    let by_verdict = store
        .crosscheck_sessions(&CrosscheckFilter {
            verdict: Some("FAIL".into()),
            ..CrosscheckFilter::default()
        })
        .unwrap();
    assert_eq!(
        by_verdict.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![session.id]
    );
    let unchecked = store
        .crosscheck_sessions(&CrosscheckFilter {
            verdict: Some("unchecked".into()),
            ..CrosscheckFilter::default()
        })
        .unwrap();
    assert_eq!(
        unchecked.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![other.id]
    );
    let by_name = store
        .crosscheck_sessions(&CrosscheckFilter {
            name_contains: Some("99".into()),
            ..CrosscheckFilter::default()
        })
        .unwrap();
    assert_eq!(
        by_name.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![other.id]
    );
    let today = &checked.created_at_utc[..10];
    let dated = store
        .crosscheck_sessions(&CrosscheckFilter {
            from_date: Some(today.into()),
            to_date: Some(today.into()),
            ..CrosscheckFilter::default()
        })
        .unwrap();
    assert_eq!(dated.len(), 2);
    let audit = store
        .reader()
        .unwrap()
        .audit(&AuditFilter::default())
        .unwrap();
    for action in ["crosscheck.create", "crosscheck.verdict"] {
        assert!(
            audit.iter().any(|row| row.entry.action == action),
            "{action} not audited"
        );
    }
}

#[test]
fn only_an_engineer_deletes_and_shared_files_stay() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let olga = actor(&store, "olga");
    let erik = actor(&store, "erik");
    let first = store
        .create_crosscheck_session(&olga, "first", &[file("a.pdf", "a"), file("b.csv", "b")])
        .unwrap();
    store
        .create_crosscheck_session(&olga, "second", &[file("a again.pdf", "a")])
        .unwrap();
    let refused = store.delete_crosscheck_session(&olga, first.id);
    assert!(
        matches!(refused, Err(StoreError::Forbidden { .. })),
        "{refused:?}"
    );
    assert!(store.crosscheck_session(first.id).unwrap().is_some());

    let orphaned = store.delete_crosscheck_session(&erik, first.id).unwrap();
    // "a" is still used by the second session; only "b" may be removed.
    assert_eq!(
        orphaned,
        vec![format!("crosscheck/files/{}.bin", "b".repeat(64))]
    );
    assert!(store.crosscheck_session(first.id).unwrap().is_none());
    assert!(store.crosscheck_files(first.id).unwrap().is_empty());
    let audit = store
        .reader()
        .unwrap()
        .audit(&AuditFilter::default())
        .unwrap();
    let deleted = audit
        .iter()
        .find(|row| row.entry.action == "crosscheck.delete")
        .unwrap();
    assert_eq!(deleted.entry.user_name, "erik");
    assert!(
        deleted
            .entry
            .old_value
            .as_deref()
            .unwrap()
            .starts_with("first: 2 files")
    );
}

#[test]
fn a_file_a_session_holds_twice_is_returned_once_in_the_order_added() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path());
    let olga = actor(&store, "olga");
    let erik = actor(&store, "erik");
    let session = store
        .create_crosscheck_session(
            &olga,
            "twice",
            &[
                file("c.png", "c"),
                file("b.csv", "b"),
                file("c copy.png", "c"),
            ],
        )
        .unwrap();
    let orphaned = store.delete_crosscheck_session(&erik, session.id).unwrap();
    assert_eq!(
        orphaned,
        vec![
            format!("crosscheck/files/{}.bin", "c".repeat(64)),
            format!("crosscheck/files/{}.bin", "b".repeat(64)),
        ]
    );
}
