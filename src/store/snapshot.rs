//! Online copies of the database for backups, what a copy holds, and whether a station has its
//! database open. Only the SQLite side: which other files go with a copy and where they go is
//! the `backup` module's business; this module never chooses a directory.
//!
//! The copy is taken with SQLite's online backup API from a connection that holds one read
//! transaction for the whole copy. In WAL mode a reader never blocks the writer, so the station
//! keeps committing while pages are copied; and because the read transaction pins one snapshot,
//! the copy is consistent and never restarts (the backup API starts over whenever another
//! connection commits between two steps, unless the source keeps its snapshot open, so a busy
//! station would otherwise never finish). Pages go in small steps with a pause between them: not
//! for SQLite's locks, which the writer never waits on here, but to leave the disk to the
//! station's own commits. The finished copy is switched to a rollback journal, so it is one
//! self-contained file that can be hashed, and opened read-only without creating anything.

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::audit::{self, ChainReport};
use super::seal::{self, AuditSeal, Sealed, StationKey};
use super::{BUSY_TIMEOUT, StoreError, StoreReader};

/// How a database copy is paced: pages per step, the pause after each step that leaves the
/// disk to the station's commits, and how often the copy is synced, so the page cache never
/// holds much of it (a commit's fsync then waits for little of the backup's data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyPacing {
    pub pages_per_step: u32,
    pub pause_between_steps: Duration,
    pub sync_every_bytes: u64,
}

impl Default for CopyPacing {
    /// 256 pages (1 MiB with 4 KiB pages), then 2 ms, synced every 8 MiB (`qcstation bench
    /// backup` measures what that costs the station's commits).
    fn default() -> Self {
        Self {
            pages_per_step: 256,
            pause_between_steps: Duration::from_millis(2),
            sync_every_bytes: 8 << 20,
        }
    }
}

/// What a copy of the database holds, read from the copy itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFacts {
    /// `PRAGMA user_version`.
    pub schema_version: i64,
    /// The station's name in its settings (`None` when the copy has no settings table).
    pub station_name: Option<String>,
    /// What `PRAGMA quick_check` found: empty when the file's structure is sound.
    pub integrity_problems: Vec<String>,
    /// The audit trail's verification (sealed when the caller gave a key and head file).
    pub audit: ChainReport,
}

fn io_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn open_error(path: &Path) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Open {
        path: path.to_owned(),
        source,
    }
}

/// Copies the database at `source` (a live station's, in WAL mode) into a new file
/// `destination`, which must not exist yet, calling `progress(pages_copied, pages_total)` after
/// every step. The copy is the database as it stood when the copy began: commits made meanwhile
/// by other connections are not in it, and are not held up by it.
pub fn copy_database(
    source: &Path,
    destination: &Path,
    pacing: CopyPacing,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), StoreError> {
    if destination.exists() {
        return Err(io_error(
            destination,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the copy's file already exists: a copy is only ever written to a new file",
            ),
        ));
    }
    let copied = copy_into(source, destination, pacing, progress);
    if copied.is_err() {
        // Half a copy is no copy.
        let _ = std::fs::remove_file(destination);
    }
    copied
}

fn copy_into(
    source: &Path,
    destination: &Path,
    pacing: CopyPacing,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), StoreError> {
    // Read-write without create: a missing database is an error, not a new empty file; and a
    // read-only connection could not open a WAL database whose -shm file is missing.
    let from = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error(source))?;
    from.busy_timeout(BUSY_TIMEOUT)?;
    from.execute_batch("PRAGMA query_only = ON; BEGIN DEFERRED;")?;
    // The first read starts the transaction: from here on every step sees this snapshot.
    from.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |_| Ok(()))?;
    let mut to = Connection::open(destination).map_err(open_error(destination))?;
    // A new file needs no journal while it is written (a failed copy is deleted), and it is
    // synced here, step by step, rather than in one long fsync at the end.
    to.query_row("PRAGMA journal_mode=OFF", [], |_| Ok(()))?;
    to.execute_batch("PRAGMA synchronous=OFF")?;
    let page_bytes: u64 = from.query_row("PRAGMA page_size", [], |row| row.get(0))?;
    let mut unsynced_pages = 0_u64;
    let sync_every_pages = (pacing.sync_every_bytes / page_bytes.max(512)).max(1);
    let pages_per_step = i32::try_from(pacing.pages_per_step.max(1)).unwrap_or(i32::MAX);
    {
        let backup = Backup::new(&from, &mut to)?;
        let mut busy_since: Option<Instant> = None;
        loop {
            match backup.step(pages_per_step)? {
                StepResult::Done => break,
                StepResult::More => {
                    busy_since = None;
                    unsynced_pages += u64::from(pacing.pages_per_step.max(1));
                    if unsynced_pages >= sync_every_pages {
                        unsynced_pages = 0;
                        std::fs::File::open(destination)
                            .and_then(|file| file.sync_data())
                            .map_err(|err| io_error(destination, err))?;
                    }
                    let done = backup.progress();
                    let total = u64::try_from(done.pagecount).unwrap_or(0);
                    let remaining = u64::try_from(done.remaining).unwrap_or(0);
                    progress(total.saturating_sub(remaining), total);
                    std::thread::sleep(pacing.pause_between_steps);
                }
                // Only the new destination file could be locked, by someone else opening it.
                _ => {
                    let since = *busy_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > BUSY_TIMEOUT {
                        return Err(io_error(
                            destination,
                            std::io::Error::new(
                                std::io::ErrorKind::WouldBlock,
                                "another program holds a lock on the copy being written",
                            ),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        let done = backup.progress();
        let total = u64::try_from(done.pagecount).unwrap_or(0);
        progress(total, total);
    }
    from.execute_batch("COMMIT")?;
    drop(from);
    drop(to);
    // The copied header still says WAL (it is the source's page 1); reopened, the copy is a WAL
    // database, and switching it to a rollback journal folds everything into the one file.
    let to = Connection::open_with_flags(
        destination,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error(destination))?;
    let mode: String = to.query_row("PRAGMA journal_mode=DELETE", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::Invalid(format!(
            "{}: the copy stayed in journal mode {mode} instead of a rollback journal",
            destination.display()
        )));
    }
    drop(to);
    std::fs::File::open(destination)
        .and_then(|file| file.sync_all())
        .map_err(|err| io_error(destination, err))
}

/// Writes the audit head file of a copy from the copy's own anchor, when the station key in
/// `seal.key_file` signed it. The live head file cannot go with the copy: the station may have
/// committed more rows since the copy's snapshot, and a head ahead of its trail reads as
/// removed rows. Returns false (and writes nothing) when there is no key or the anchor is not
/// signed by it; the copy's verification then says what is wrong.
pub fn write_copy_head(database: &Path, seal: &AuditSeal) -> Result<bool, StoreError> {
    let Some(key) = StationKey::load(&seal.key_file)? else {
        return Ok(false);
    };
    let sealed = Sealed {
        seal: seal.clone(),
        key,
    };
    let conn = Connection::open_with_flags(
        database,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error(database))?;
    let head = match seal::read_anchor(&conn)? {
        Some(anchor) if sealed.signed(&anchor) => anchor,
        Some(_) => return Ok(false),
        None => {
            let rows: i64 = conn.query_row("SELECT COUNT(*) FROM audit", [], |row| row.get(0))?;
            if rows > 0 {
                return Ok(false);
            }
            sealed.empty_head()
        }
    };
    seal::write_head(&seal.head_file, &head)?;
    Ok(true)
}

/// Reads what a copy holds without changing it: its schema version and station name, SQLite's
/// structural check, and the audit trail's verification, sealed with `seal` when given (the key
/// file must exist). `progress(rows_checked, rows_total)` follows the audit walk.
pub fn copy_facts(
    database: &Path,
    seal: Option<&AuditSeal>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CopyFacts, StoreError> {
    let reader = match seal {
        Some(seal) => StoreReader::open_sealed(database, seal)?,
        None => StoreReader::open(database)?,
    };
    let conn = &reader.conn;
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let mut integrity_problems = Vec::new();
    {
        let mut statement = conn.prepare("PRAGMA quick_check")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let line: String = row.get(0)?;
            if line != "ok" {
                integrity_problems.push(line);
            }
        }
    }
    // A copy too damaged for its structure check is not walked further.
    if !integrity_problems.is_empty() {
        return Ok(CopyFacts {
            schema_version,
            station_name: None,
            integrity_problems,
            audit: ChainReport {
                rows_checked: 0,
                first_break: None,
                head: None,
                sealed: seal.is_some(),
            },
        });
    }
    let station_name = reader.settings().ok().map(|settings| settings.station_name);
    let audit = audit::verify(conn, reader.sealed.as_ref(), progress)?;
    Ok(CopyFacts {
        schema_version,
        station_name,
        integrity_problems,
        audit,
    })
}

/// Whether any connection, in this process or another, has the station database at `path`
/// open (a running station, or a CLI command working on it). A station's database is always
/// in WAL mode, where every open connection holds a shared lock on the file from its first
/// read; this asks for the exclusive lock without waiting. A missing file is not in use, nor is
/// one too damaged to be read as a database (the lock is taken before the file is read, so a
/// station holding one would have been seen). Closing the probe may fold a crashed station's
/// leftover WAL into the database, as any open would; nothing else changes.
pub fn database_in_use(path: &Path) -> Result<bool, StoreError> {
    if !path.exists() {
        return Ok(false);
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_error(path))?;
    conn.busy_timeout(Duration::ZERO)?;
    let probe = conn
        .query_row("PRAGMA locking_mode=EXCLUSIVE", [], |_| Ok(()))
        .and_then(|()| conn.execute_batch("BEGIN EXCLUSIVE; ROLLBACK;"));
    match probe {
        Ok(()) => Ok(false),
        Err(err) => match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Ok(true),
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Ok(false),
            _ => Err(err.into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AuditEntry, Store};

    fn fill(store: &mut Store, count: usize) {
        for index in 0..count {
            store
                .append_audit(
                    &AuditEntry::new("ada", "test.step", "t", &index.to_string())
                        .reason("r".repeat(2000)),
                )
                .unwrap();
        }
    }

    #[test]
    fn a_copy_is_one_self_contained_file_with_the_trail_and_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        let seal = AuditSeal::in_data_dir(dir.path(), &path);
        let mut store = Store::open_sealed(&path, &seal).unwrap();
        fill(&mut store, 50);
        let copy_dir = dir.path().join("copy");
        std::fs::create_dir(&copy_dir).unwrap();
        let copy = copy_dir.join("station.sqlite");
        let mut calls = 0;
        copy_database(
            &path,
            &copy,
            CopyPacing {
                pages_per_step: 4,
                pause_between_steps: Duration::ZERO,
                sync_every_bytes: 4 * 4096,
            },
            &mut |done, total| {
                calls += 1;
                assert!(done <= total);
            },
        )
        .unwrap();
        assert!(calls > 2, "copied in steps");
        let header = std::fs::read(&copy).unwrap();
        assert_eq!((header[18], header[19]), (1, 1), "a rollback-journal file");
        assert!(!copy_dir.join("station.sqlite-wal").exists());
        // The copy's head file comes from its own anchor, signed by the station key.
        std::fs::copy(&seal.key_file, copy_dir.join("station.key")).unwrap();
        let copy_seal = AuditSeal::in_data_dir(&copy_dir, &copy);
        assert!(write_copy_head(&copy, &copy_seal).unwrap());
        let facts = copy_facts(&copy, Some(&copy_seal), &mut |_, _| {}).unwrap();
        assert!(facts.integrity_problems.is_empty());
        assert!(facts.audit.is_intact(), "{:?}", facts.audit);
        assert!(facts.audit.sealed);
        assert_eq!(facts.audit.head.unwrap().row_id, 50);
        assert_eq!(facts.schema_version, crate::store::LATEST_VERSION);
        assert_eq!(facts.station_name.as_deref(), Some("qcstation"));
        // Reading the copy created nothing beside it.
        let mut names: Vec<String> = std::fs::read_dir(&copy_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["station.key", "station.sqlite", "station.sqlite.audit-head"]
        );
        assert!(copy_database(&path, &copy, CopyPacing::default(), &mut |_, _| {}).is_err());
    }

    #[test]
    fn commits_made_during_a_copy_are_not_blocked_and_not_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        let mut store = Store::open(&path).unwrap();
        fill(&mut store, 200);
        let copy = dir.path().join("copy.sqlite");
        let mut appended = 0;
        copy_database(
            &path,
            &copy,
            CopyPacing {
                pages_per_step: 8,
                pause_between_steps: Duration::ZERO,
                sync_every_bytes: 1 << 20,
            },
            &mut |_, _| {
                // The writer commits between steps: in WAL mode nothing waits.
                if appended < 20 {
                    fill(&mut store, 1);
                    appended += 1;
                }
            },
        )
        .unwrap();
        assert_eq!(appended, 20);
        let facts = copy_facts(&copy, None, &mut |_, _| {}).unwrap();
        assert!(facts.audit.is_intact(), "{:?}", facts.audit);
        assert_eq!(
            facts.audit.rows_checked, 200,
            "the snapshot as the copy began"
        );
    }

    #[test]
    fn an_open_station_database_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        assert!(!database_in_use(&path).unwrap(), "no file");
        let store = Store::open(&path).unwrap();
        assert!(database_in_use(&path).unwrap());
        // A connection holds its shared lock from its first read on.
        let reader = store.reader().unwrap();
        assert!(reader.verify_audit().unwrap().is_intact());
        drop(store);
        assert!(
            database_in_use(&path).unwrap(),
            "a reader still has it open"
        );
        drop(reader);
        assert!(!database_in_use(&path).unwrap());
        // The probe left the database usable.
        let mut store = Store::open(&path).unwrap();
        fill(&mut store, 1);
        drop(store);
        // A file that is no database is no station's.
        std::fs::write(&path, vec![0x5a_u8; 8192]).unwrap();
        assert!(!database_in_use(&path).unwrap());
    }
}
