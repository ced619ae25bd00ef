//! The station's records in one SQLite file: settings, cameras, users, the audit trail, and
//! items with their UIDs, batches and lifecycle, engraving jobs, porosity recipes (versioned) and
//! inspections with their pores and dispositions, and work orders with their stages, issues and
//! routings (`orders`).
//!
//! `Store` owns the one write connection (the runtime gives it to the store-writer thread; the
//! CLI uses it directly). `StoreReader` is a read-only connection for queries. Every mutation that
//! matters checks the actor's role here, where it is executed, and writes an audit row in the
//! same transaction. Nothing in this module spawns threads or knows about the UI.
//!
//! A store opened with `open_sealed` also signs the audit trail's head with the station key and
//! keeps a copy of it outside the database (`seal`). The caller says where those files live.
//! `snapshot` takes online copies of the database for backups; `export` streams the history
//! tables out as CSV.

mod access;
mod audit;
mod cameras;
mod crosscheck;
mod demo;
mod engrave_jobs;
mod error;
mod export;
mod inspections;
mod items;
mod migrations;
mod orders;
mod recipes;
mod scans;
mod seal;
mod settings;
mod snapshot;
mod time;
mod users;
mod verifications;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Savepoint};

/// Re-exported for callers that configure sign-in through the store (it lives in `domain`).
pub use crate::domain::LockoutPolicy;
pub use access::ActorNow;
pub use audit::{
    AuditEntry, AuditFilter, AuditRow, CURRENT_HASH_SCHEME, ChainBreak, ChainHead, ChainReport,
    GENESIS_HASH, row_hash as audit_row_hash, row_hash_v2 as audit_row_hash_v2,
};
pub use cameras::CameraRecord;
pub use crosscheck::{
    CrosscheckFileRecord, CrosscheckFilter, CrosscheckSessionRecord, FileStatus, NewCrosscheckFile,
};
pub use demo::{DEMO_RECIPE_PART, DEMO_RECIPE_TOML, DEMO_USERS, DemoUser};
pub use engrave_jobs::{JobEnd, JobFilter, JobRecord, NewJob};
pub use error::StoreError;
pub use export::{ExportError, ExportTable, TimeRange, table_names as export_table_names};
pub use inspections::{
    DispositionOutcome, InspectionFilter, InspectionRecord, NewInspection, PoreRow,
};
pub use items::{
    BatchRecord, BatchRequest, ItemFacts, ItemFilter, ItemRecord, LowStockAlert,
    MAX_WARRANTY_YEARS, StatusCounts, StockThreshold, TransitionRecord,
};
pub use migrations::{LATEST_VERSION, migrate_to_version};
pub use orders::{IssueFilter, IssueRecord, StageRecord, WorkOrderFilter, WorkOrderRecord};
pub use recipes::RecipeRecord;
pub use scans::{Expected, SCANNABLE, ScanRecord, ScanResult, ScanSessionRecord, ScanSummary};
pub use seal::AuditSeal;
pub use settings::StationSettings;
pub use snapshot::{
    CopyFacts, CopyPacing, copy_database, copy_facts, database_in_use, write_copy_head,
};
pub use time::{now_utc, parse_utc, to_text};
pub use users::{SecretCheck, SignInOutcome, SignInRefusal, StoredSecret, UserRecord};
pub use verifications::{NewVerification, VerificationRecord};

/// How long a connection waits for another one's lock before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The write side of the database. One per process, owned by whoever executes changes.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    sealed: Option<seal::Sealed>,
}

/// A read-only connection; queries never block the writer (WAL).
pub struct StoreReader {
    conn: Connection,
    sealed: Option<seal::Sealed>,
}

/// Commits a change's savepoint, signing the audit anchor first when the store is sealed.
fn commit(savepoint: Savepoint<'_>, sealed: Option<&seal::Sealed>) -> Result<(), StoreError> {
    if let Some(sealed) = sealed {
        seal::sign_anchor(&savepoint, &sealed.key)?;
    }
    savepoint.commit()?;
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the database at `path`, switches it to WAL with full
    /// durability, and applies every pending migration. The audit trail is not sealed: rows
    /// written this way leave the anchor unsigned, which a sealed verify reports. For tests and
    /// tools; the station opens with `open_sealed`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        configure(&conn)?;
        migrations::apply(&mut conn, path)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            sealed: None,
        })
    }

    /// Opens the database like `open`, sealing its audit trail with the station key in
    /// `seal.key_file` and keeping its head in `seal.head_file`. The key is created (32 random
    /// bytes, owner-only) when the station has none yet; the trail as it stands then is trusted
    /// (a new station, or one upgraded from a release without a key). A missing key for a trail
    /// that was sealed is an error: restore the key file from the station's backup.
    pub fn open_sealed(path: &Path, seal: &AuditSeal) -> Result<Self, StoreError> {
        let mut store = Self::open(path)?;
        let anchor = seal::read_anchor(&store.conn)?;
        let key = match seal::StationKey::load(&seal.key_file)? {
            Some(key) => key,
            None if anchor.as_ref().is_some_and(|anchor| anchor.mac.is_some()) => {
                return Err(StoreError::BadSeal {
                    path: seal.key_file.clone(),
                    reason: "the station key is missing, but this database's audit trail was sealed with one: restore the key file from the station's backup".to_owned(),
                });
            }
            None => {
                let key = seal::StationKey::create(&seal.key_file)?;
                seal::sign_anchor(&store.conn, &key)?;
                tracing::info!(
                    "created the station key {} and sealed the audit trail of {}",
                    seal.key_file.display(),
                    path.display()
                );
                // A head file from before the key is meaningless now.
                if seal::read_head(&seal.head_file).is_ok_and(|head| head.is_some()) {
                    std::fs::remove_file(&seal.head_file).map_err(|source| StoreError::Io {
                        path: seal.head_file.clone(),
                        source,
                    })?;
                }
                key
            }
        };
        let sealed = seal::Sealed {
            seal: seal.clone(),
            key,
        };
        if seal::read_head(&seal.head_file)?.is_none() {
            let rows: i64 = store
                .conn
                .query_row("SELECT COUNT(*) FROM audit", [], |row| row.get(0))?;
            if rows == 0 && anchor.is_none() {
                seal::write_head(&seal.head_file, &sealed.empty_head())?;
            } else {
                // Written from the anchor only if the key signed it (a crash right after the
                // key was created); otherwise verify reports the missing head.
                sealed.publish_head(&store.conn)?;
            }
        }
        store.sealed = Some(sealed);
        Ok(store)
    }

    /// After a durable commit (not inside a batch): records the new head outside the database.
    /// The change is committed whatever happens here, so a failure is logged, not returned;
    /// the head file then lags, which verify accepts, or keeps a wipe's evidence.
    fn committed(&mut self) {
        if let Some(sealed) = &self.sealed
            && self.conn.is_autocommit()
            && let Err(err) = sealed.publish_head(&self.conn)
        {
            tracing::error!("the audit head was not recorded: {err:#}");
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Starts a batch: the changes of every call until `commit_batch` commit together, which
    /// is how the store-writer groups a burst of records into one fsync. Each call still runs in
    /// its own savepoint, so one failure does not undo its neighbours. A transaction left open
    /// by an earlier failure is rolled back first.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.rollback_batch()?;
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// True while the batch opened by `begin_batch` is still open. SQLite itself rolls the
    /// whole transaction back on some errors (disk full, I/O error); after that, calls would
    /// run and commit one by one, so the caller stops and reports the batch as lost.
    pub fn batch_is_open(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Commits the batch opened by `begin_batch`; only then are its records acknowledged. On
    /// failure nothing of the batch is saved and the connection is left usable: the transaction
    /// is rolled back if SQLite did not already do so.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        if !self.batch_is_open() {
            return Err(StoreError::BatchLost);
        }
        if let Err(err) = self.conn.execute_batch("COMMIT") {
            if let Err(rollback) = self.rollback_batch() {
                tracing::error!("rolling back after a failed commit failed too: {rollback:#}");
            }
            return Err(err.into());
        }
        self.committed();
        Ok(())
    }

    /// Abandons the open batch, if any (nothing of it is saved).
    pub fn rollback_batch(&mut self) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// A read-only connection on the same file (sealed like this store), for the store-reader
    /// thread and for queries made on this thread (the CLI).
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        let mut reader = StoreReader::open(&self.path)?;
        reader.sealed = self.sealed.clone();
        Ok(reader)
    }
}

impl StoreReader {
    /// Opens a read-only connection on an existing, migrated database.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(Self { conn, sealed: None })
    }

    /// Opens a read-only connection whose audit verification also checks the station key's
    /// signature and the head file. The key must exist.
    pub fn open_sealed(path: &Path, seal: &AuditSeal) -> Result<Self, StoreError> {
        let key = seal::StationKey::load(&seal.key_file)?.ok_or_else(|| StoreError::BadSeal {
            path: seal.key_file.clone(),
            reason: "the station key is missing: restore it from the station's backup".to_owned(),
        })?;
        let mut reader = Self::open(path)?;
        reader.sealed = Some(seal::Sealed {
            seal: seal.clone(),
            key,
        });
        Ok(reader)
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
    // across power loss, which "acknowledged means committed" relies on.
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "the database refused WAL mode (got {mode}); is it on a network file system?"
        )));
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Actor, Role, SecretHash, SecretKind};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        (dir, store)
    }

    fn pin() -> SecretHash {
        SecretHash {
            kind: SecretKind::Pin,
            phc: "$test$pin".into(),
        }
    }

    fn admin(store: &mut Store) -> Actor {
        let console = Actor::console("test");
        store
            .add_user(
                &console,
                "ada",
                Role::Admin,
                &SecretHash {
                    kind: SecretKind::Password,
                    phc: "$test$password".into(),
                },
            )
            .unwrap();
        console
    }

    #[test]
    fn a_full_database_fails_the_batch_and_the_next_write_succeeds() {
        let (_dir, mut store) = store();
        let console = admin(&mut store);
        let pages: i64 = store
            .conn
            .query_row("PRAGMA page_count", [], |row| row.get(0))
            .unwrap();
        // The file may not grow: it is "full".
        store
            .conn
            .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
            .unwrap();
        store.begin_batch().unwrap();
        let mut first_error = None;
        for index in 0..200 {
            let name = format!("op{index}");
            if let Err(err) = store.add_user(&console, &name, Role::Operator, &pin()) {
                first_error = Some(err);
                break;
            }
            // Big audit rows fill the pages quickly.
            if let Err(err) = store.append_audit(
                &audit::AuditEntry::new("test", "fill", "test", &name).reason("y".repeat(4000)),
            ) {
                first_error = Some(err);
                break;
            }
        }
        let err = first_error.expect("the file filled up");
        assert!(err.to_string().contains("full"), "{err}");
        // Whether SQLite kept the transaction or rolled it back itself, the batch ends cleanly
        // and the connection stays usable.
        if store.batch_is_open() {
            store.rollback_batch().unwrap();
        } else {
            assert!(matches!(store.commit_batch(), Err(StoreError::BatchLost)));
        }
        assert!(!store.batch_is_open());
        assert_eq!(
            store.user_count().unwrap(),
            1,
            "nothing of the batch was saved"
        );
        store
            .conn
            .execute_batch("PRAGMA max_page_count = 1073741823")
            .unwrap();
        store.begin_batch().unwrap();
        store
            .add_user(&console, "olga", Role::Operator, &pin())
            .unwrap();
        store.commit_batch().unwrap();
        assert_eq!(store.user_count().unwrap(), 2);
        assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
    }

    #[test]
    fn a_failed_commit_is_rolled_back_and_the_connection_stays_usable() {
        let (_dir, mut store) = store();
        let console = admin(&mut store);
        // A deferred foreign key makes COMMIT itself fail, leaving the transaction open.
        store
            .conn
            .execute_batch(
                "CREATE TABLE test_parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE test_child (
                     parent INTEGER REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED);
                 CREATE TRIGGER test_fail_commit AFTER INSERT ON users
                 WHEN NEW.name = 'doomed' BEGIN INSERT INTO test_child VALUES (7); END;",
            )
            .unwrap();
        store.begin_batch().unwrap();
        store
            .add_user(&console, "doomed", Role::Operator, &pin())
            .unwrap();
        let err = store.commit_batch().unwrap_err();
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        assert!(!store.batch_is_open(), "the failed commit was rolled back");
        assert!(store.users().unwrap().iter().all(|u| u.name != "doomed"));
        store.begin_batch().unwrap();
        store
            .add_user(&console, "olga", Role::Operator, &pin())
            .unwrap();
        store.commit_batch().unwrap();
        assert!(store.users().unwrap().iter().any(|u| u.name == "olga"));
        assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
    }

    fn sealed(dir: &Path) -> (Store, AuditSeal) {
        let path = dir.join("station.sqlite");
        let seal = AuditSeal::in_data_dir(dir, &path);
        (Store::open_sealed(&path, &seal).unwrap(), seal)
    }

    fn sealed_report(dir: &Path) -> audit::ChainReport {
        let path = dir.join("station.sqlite");
        StoreReader::open_sealed(&path, &AuditSeal::in_data_dir(dir, &path))
            .unwrap()
            .verify_audit()
            .unwrap()
    }

    fn fill(store: &mut Store, count: usize) {
        for index in 0..count {
            store
                .append_audit(&audit::AuditEntry::new(
                    "ada",
                    "test.step",
                    "t",
                    &index.to_string(),
                ))
                .unwrap();
        }
    }

    /// What someone with a SQLite shell (and not the key) does.
    fn tamper(dir: &Path, sql: &str) {
        let conn = Connection::open(dir.join("station.sqlite")).unwrap();
        conn.execute_batch(
            "DROP TRIGGER IF EXISTS audit_is_append_only_update;
             DROP TRIGGER IF EXISTS audit_is_append_only_delete;",
        )
        .unwrap();
        conn.execute_batch(sql).unwrap();
    }

    #[test]
    fn a_sealed_trail_verifies_and_reports_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, seal) = sealed(dir.path());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&seal.key_file)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "the key is private");
        }
        assert!(sealed_report(dir.path()).is_intact(), "an empty station");
        fill(&mut store, 4);
        let report = sealed_report(dir.path());
        assert!(report.is_intact(), "{report:?}");
        assert!(report.sealed);
        let head = report.head.unwrap();
        assert_eq!(head.row_id, 4);
        let head_file = std::fs::read_to_string(&seal.head_file).unwrap();
        assert!(
            head_file.contains(&format!(" 4 {} ", head.hash)),
            "{head_file}"
        );
        // Batches record the head once they commit.
        store.begin_batch().unwrap();
        fill(&mut store, 2);
        store.commit_batch().unwrap();
        assert_eq!(sealed_report(dir.path()).head.unwrap().row_id, 6);
        // Reopening keeps the key and the head.
        drop(store);
        let (mut store, _) = sealed(dir.path());
        fill(&mut store, 1);
        assert!(sealed_report(dir.path()).is_intact());
    }

    #[test]
    fn a_full_wipe_is_detected_and_its_evidence_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = sealed(dir.path());
        fill(&mut store, 5);
        drop(store);
        tamper(dir.path(), "DELETE FROM audit; DELETE FROM audit_anchor;");
        // Unsealed, the empty database looks like an intact empty chain...
        let unsealed = StoreReader::open(&dir.path().join("station.sqlite"))
            .unwrap()
            .verify_audit()
            .unwrap();
        assert!(unsealed.is_intact());
        // ...but the head file says five rows existed.
        let broken = sealed_report(dir.path()).first_break.unwrap();
        assert_eq!(broken.row_id, 5);
        assert!(broken.reason.contains("wiped"), "{}", broken.reason);
        // New rows do not paper over it: the head file is not overwritten.
        let (mut store, _) = sealed(dir.path());
        fill(&mut store, 7);
        let broken = sealed_report(dir.path()).first_break.unwrap();
        assert_eq!(broken.row_id, 5);
        assert!(broken.reason.contains("rewritten"), "{}", broken.reason);
    }

    #[test]
    fn an_anchor_forged_without_the_key_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = sealed(dir.path());
        fill(&mut store, 5);
        drop(store);
        // Remove the newest rows and point the anchor at the new last row: the chain is
        // consistent again, but the anchor's signature cannot be made without the key.
        let conn = Connection::open(dir.path().join("station.sqlite")).unwrap();
        let hash3: String = conn
            .query_row("SELECT hash FROM audit WHERE id = 3", [], |row| row.get(0))
            .unwrap();
        drop(conn);
        tamper(
            dir.path(),
            &format!(
                "DELETE FROM audit WHERE id > 3;
                 UPDATE audit_anchor SET last_id = 3, last_hash = '{hash3}', mac = '{}';",
                "ab".repeat(32)
            ),
        );
        let broken = sealed_report(dir.path()).first_break.unwrap();
        assert_eq!(broken.row_id, 3);
        assert!(broken.reason.contains("station key"), "{}", broken.reason);
        // Opening the station without its key is refused rather than starting a new seal.
        std::fs::remove_file(dir.path().join("station.key")).unwrap();
        let path = dir.path().join("station.sqlite");
        let err = Store::open_sealed(&path, &AuditSeal::in_data_dir(dir.path(), &path))
            .err()
            .unwrap();
        assert!(err.to_string().contains("station key is missing"), "{err}");
    }

    #[test]
    fn a_database_upgraded_to_sealing_trusts_its_trail_from_then_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        let mut unsealed = Store::open(&path).unwrap();
        fill(&mut unsealed, 3);
        drop(unsealed);
        let (mut store, seal) = sealed(dir.path());
        assert!(seal.key_file.exists() && seal.head_file.exists());
        assert!(sealed_report(dir.path()).is_intact());
        fill(&mut store, 1);
        drop(store);
        // A write without the key afterwards leaves the anchor unsigned: reported.
        let mut unsealed = Store::open(&path).unwrap();
        fill(&mut unsealed, 1);
        let broken = sealed_report(dir.path()).first_break.unwrap();
        assert!(broken.reason.contains("station key"), "{}", broken.reason);
    }

    #[test]
    fn verify_reads_one_snapshot_while_another_connection_appends() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, seal) = sealed(dir.path());
        fill(&mut store, 20);
        let path = dir.path().join("station.sqlite");
        let reader = StoreReader::open_sealed(&path, &seal).unwrap();
        let mut calls = Vec::new();
        // Mid-walk, the writer appends rows (and moves the anchor and the head file).
        let report = reader
            .verify_audit_with_progress(&mut |checked, total| {
                calls.push((checked, total));
                if checked == 5 {
                    fill(&mut store, 3);
                }
            })
            .unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows_checked, 20, "the snapshot as the walk began");
        assert_eq!(calls.len(), 20);
        assert_eq!(calls.last(), Some(&(20, 20)));
        // The next verify sees the appended rows.
        let report = reader.verify_audit().unwrap();
        assert!(report.is_intact());
        assert_eq!(report.rows_checked, 23);
    }
}
