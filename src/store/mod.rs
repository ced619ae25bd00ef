//! The station's records in one SQLite file: settings, cameras, users and the audit trail.
//!
//! `Store` owns the one write connection (the runtime gives it to the store-writer thread; the
//! CLI uses it directly). `StoreReader` is a read-only connection for queries. Every mutation that
//! matters checks the actor's role here, where it is executed, and writes an audit row in the
//! same transaction. Nothing in this module spawns threads or knows about the UI.

mod access;
mod audit;
mod cameras;
mod demo;
mod error;
mod migrations;
mod settings;
mod time;
mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Re-exported for callers that configure sign-in through the store (it lives in `domain`).
pub use crate::domain::LockoutPolicy;
pub use access::ActorNow;
pub use audit::{
    AuditEntry, AuditFilter, AuditRow, ChainBreak, ChainReport, GENESIS_HASH,
    row_hash as audit_row_hash,
};
pub use cameras::CameraRecord;
pub use demo::{DEMO_USERS, DemoUser};
pub use error::StoreError;
pub use migrations::{LATEST_VERSION, migrate_to_version};
pub use settings::StationSettings;
pub use time::{now_utc, parse_utc};
pub use users::{SecretCheck, SignInOutcome, SignInRefusal, StoredSecret, UserRecord};

/// How long a connection waits for another one's lock before giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The write side of the database. One per process, owned by whoever executes changes.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A read-only connection; queries never block the writer (WAL).
pub struct StoreReader {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, switches it to WAL with full
    /// durability, and applies every pending migration.
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
        })
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
        Ok(())
    }

    /// Abandons the open batch, if any (nothing of it is saved).
    pub fn rollback_batch(&mut self) -> Result<(), StoreError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// A read-only connection on the same file, for queries made on this thread (the CLI).
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        StoreReader::open(&self.path)
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
        Ok(Self { conn })
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
}
