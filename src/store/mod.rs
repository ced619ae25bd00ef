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
pub use users::{SignInOutcome, SignInRefusal, UserRecord};

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
    /// its own savepoint, so one failure does not undo its neighbours.
    pub fn begin_batch(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// Commits the batch opened by `begin_batch`; only then are its records acknowledged.
    pub fn commit_batch(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
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
