//! Databases left by every earlier schema version upgrade in place, keeping their records: users
//! can still sign in and the audit chain still verifies (now anchored, old rows keeping hash
//! scheme 1 and new rows using scheme 2), also once the upgraded station seals its trail, and
//! the inventory added in version 5 starts empty and allocates from sequence 1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use qcstation::auth::{hash_secret, new_secret_hash, verify_secret};
use qcstation::domain::{Actor, LotKey, LotRule, Role};
use qcstation::store::{
    AuditEntry, AuditSeal, BatchRequest, GENESIS_HASH, ItemFilter, LATEST_VERSION, LockoutPolicy,
    SecretCheck, SignInOutcome, Store, WorkOrderFilter, audit_row_hash, migrate_to_version,
    now_utc,
};
use rusqlite::{Connection, params};

/// Writes what a station at `version` would have: a user (v1+), audit rows (v1+), a camera (v2+).
fn fill_as_version(conn: &Connection, version: i64) {
    if version >= 1 {
        conn.execute(
            "INSERT INTO users (name, role, secret_kind, secret_hash, created_at_utc)
             VALUES ('ada', 'admin', 'password', ?1, '2026-01-01T00:00:00.000Z')",
            [hash_secret("Old-admin-pass-1").unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO station_settings (key, value, updated_at_utc)
             VALUES ('station_name', 'Line 7', '2026-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
        let mut prev = GENESIS_HASH.to_owned();
        for id in 1..=3_i64 {
            let entry = AuditEntry::new("console:root", "user.add", "user", "ada")
                .change(None, Some(format!("step {id}")));
            let at = format!("2026-01-01T00:00:0{id}.000Z");
            let hash = audit_row_hash(&prev, id, &at, &entry);
            conn.execute(
                "INSERT INTO audit (id, at_utc, user_name, action, entity, entity_id, old_value,
                                    new_value, reason, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, NULL, ?8, ?9)",
                params![
                    id,
                    at,
                    entry.user_name,
                    entry.action,
                    entry.entity,
                    entry.entity_id,
                    entry.new_value,
                    prev,
                    hash
                ],
            )
            .unwrap();
            if version >= 3 {
                // Releases at v3 kept the chain's head in the anchor with every row.
                conn.execute(
                    "INSERT INTO audit_anchor (id, last_id, last_hash) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id,
                                                    last_hash = excluded.last_hash",
                    params![id, hash],
                )
                .unwrap();
            }
            prev = hash;
        }
    }
    if version >= 2 {
        conn.execute(
            "INSERT INTO cameras (name, source_spec, position, created_at_utc)
             VALUES ('Bay 1', 'demo:porosity', 0, '2026-01-01T00:00:00.000Z')",
            [],
        )
        .unwrap();
    }
}

#[test]
fn every_earlier_version_upgrades_in_place() {
    for version in 0..LATEST_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to_version(&mut conn, version).unwrap();
            fill_as_version(&conn, version);
        }
        // As the station opens it: sealed with a station key created now.
        let mut store =
            Store::open_sealed(&path, &AuditSeal::in_data_dir(dir.path(), &path)).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            LATEST_VERSION,
            "from v{version}"
        );
        let reader = store.reader().unwrap();
        let report = reader.verify_audit().unwrap();
        assert!(report.is_intact(), "from v{version}: {report:?}");
        assert!(report.sealed);
        if version >= 1 {
            assert_eq!(report.rows_checked, 3, "from v{version}");
            assert_eq!(store.settings().unwrap().station_name, "Line 7");
            // Sign-in as the writer runs it: read, verify (outside the store), record.
            let stored = store.stored_secret("ada").unwrap().unwrap();
            let matches = verify_secret(&stored.phc, "Old-admin-pass-1").unwrap();
            let check = SecretCheck { stored, matches };
            let outcome = store
                .record_sign_in("ada", Some(&check), LockoutPolicy::default(), now_utc())
                .unwrap();
            assert!(
                matches!(outcome, SignInOutcome::SignedIn(ref actor) if actor.role == Role::Admin),
                "from v{version}: {outcome:?}"
            );
            // The upgraded chain keeps growing and stays intact.
            assert!(reader.verify_audit().unwrap().is_intact());
        } else {
            assert!(store.users().unwrap().is_empty());
            store
                .add_user(
                    &Actor::console("test"),
                    "ada",
                    Role::Admin,
                    &new_secret_hash(Role::Admin, "New-admin-pass-1").unwrap(),
                )
                .unwrap();
        }
        if version >= 2 {
            assert_eq!(store.cameras().unwrap()[0].name, "Bay 1");
        }
        assert!(
            store
                .work_orders(&WorkOrderFilter::default())
                .unwrap()
                .is_empty(),
            "from v{version}: work orders (v12) start empty"
        );
        assert_eq!(
            store.item_counts(&ItemFilter::default()).unwrap().total(),
            0,
            "from v{version}"
        );
        let batch = store
            .allocate_batch(
                &Actor::console("test"),
                &BatchRequest {
                    key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
                    count: 2,
                    manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                    warranty_years: 1,
                },
            )
            .unwrap();
        assert_eq!(
            (batch.first_seq, batch.last_seq()),
            (1, 2),
            "from v{version}"
        );
        assert!(
            reader.verify_audit().unwrap().is_intact(),
            "from v{version}"
        );
    }
}

#[test]
fn a_newer_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 1))
            .unwrap();
    }
    let err = Store::open(&path).err().unwrap().to_string();
    assert!(err.contains("newer qcstation"), "{err}");
    let conn = Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, LATEST_VERSION + 1);
}

#[test]
fn store_runs_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.sqlite");
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}
