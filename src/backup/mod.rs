//! Backups and restores of a station's records: a consistent online copy of the database (while
//! the station keeps writing), the station key, the audit head, the config file kept in the data
//! directory and the record folders (images, stored cross-check files…), with a manifest of
//! SHA-256 sums and the audit trail's head; a restore that checks all of it before it replaces
//! anything; and the retention rule for scheduled backups. No threads, no UI: the CLI calls it,
//! and a scheduler or the Admin panel would call the same functions from a worker.
//!
//! One concern per file: `create` (making a backup), `verify` (checking one), `restore`,
//! `retention` (which backups to keep), `manifest`, `layout` (which entries of a data directory
//! are records), `copy` (hashing copies, paced), `record` (the audit rows), `error`.
//!
//! Decisions:
//! - **The database** is copied by SQLite's online backup API from one read snapshot (see
//!   `store::copy_database`), never by copying the live file and its WAL. The station's
//!   commits are never blocked by SQLite's locks meanwhile; pacing (small steps, short pauses,
//!   file copies synced every few MB) keeps the backup's disk traffic from delaying them.
//! - **The station key** (`station.key`) goes into the backup (owner-only permissions). Without
//!   it a restored sealed database does not open (the store refuses a sealed trail without its
//!   key), and a dead disk takes the key with it. So a backup is as sensitive as the station:
//!   anyone holding it can re-sign the trail, which is why the manifest also records the head
//!   hash, to be kept elsewhere and compared (see README, audit threat model).
//! - **The audit head file** is not copied from the live station: the station may commit rows
//!   after the database snapshot, and a head ahead of its trail reads as removed rows. The
//!   backup gets a head file written from the copy's own signed anchor
//!   (`store::write_copy_head`). A restore replaces the station's head file with it; the old
//!   one, and the old database, go to `pre-restore-<time>/`, and the `backup.restore` audit row
//!   records the head the station had, so the rows lost by going back are on the record.
//! - **A running station** is detected, not assumed away: there is no pid or lock file, but a
//!   station's database is in WAL mode, where every open connection holds a shared lock on the
//!   file; a restore asks for the exclusive lock without waiting (`store::database_in_use`) and
//!   refuses when any station database of the data directory is open — before it starts, and
//!   again just before it swaps. The window between that check and the renames is
//!   milliseconds; a station started in it would run on files being moved, so stop stations
//!   by their service, not by racing a restore.
//! - **A refused restore changes nothing** in the data directory: the backup is verified where
//!   it is before anything is written, and a refusal writes no audit row (the refusal is the
//!   command's output and the log's).
//!
//! Not built yet: the scheduler (`[backup] every_hours`) that runs `create` into
//! `<data_dir>/backups/` and deletes what `retention::expired` names (and `.partial` folders
//! of backups that never finished), the top bar's warning after `warn_after_hours` without a
//! good backup, and Admin › Station's backup and restore with progress (`verify` alone would
//! serve a "check this backup" button).

mod copy;
mod create;
mod error;
mod layout;
mod manifest;
mod record;
mod restore;
mod retention;
mod verify;

pub use copy::FilePacing;
pub use create::{BackupReport, BackupRequest, create, default_destination};
pub use error::{BackupError, FileProblem};
pub use layout::{PRE_RESTORE_PREFIX, SKIPPED_FOLDERS, STAGING_PREFIX};
pub use manifest::{AuditHead, FORMAT, FORMAT_VERSION, FileEntry, MANIFEST_FILE, Manifest};
pub use record::{created_entry, restored_entry};
pub use restore::{RestoreReport, RestoreRequest, restore};
pub use retention::{Retention, expired, folder_name, parse_folder_name};
pub use verify::{VerifiedBackup, verify};

use crate::store::CopyPacing;

/// How a backup or restore paces its disk traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pacing {
    pub database: CopyPacing,
    pub files: FilePacing,
}

/// What a backup or restore is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The database's pages (`done`/`total` are pages).
    CopyDatabase,
    /// The record files (`done`/`total` are files, with bytes).
    CopyFiles,
    /// Hashing a backup's files against its manifest (files, with bytes).
    CheckFiles,
    /// Walking a copy's audit trail (rows).
    CheckAudit,
    /// Copying a backup into the data directory's staging folder (files, with bytes).
    StageFiles,
    /// Moving the old data aside and the backup into place.
    Swap,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CopyDatabase => "copying the database",
            Self::CopyFiles => "copying files",
            Self::CheckFiles => "checking files",
            Self::CheckAudit => "verifying the audit trail",
            Self::StageFiles => "staging files",
            Self::Swap => "swapping the data in",
        }
    }

    /// What `done` and `total` count.
    pub fn unit(self) -> &'static str {
        match self {
            Self::CopyDatabase => "pages",
            Self::CheckAudit => "rows",
            Self::Swap => "steps",
            Self::CopyFiles | Self::CheckFiles | Self::StageFiles => "files",
        }
    }
}

/// Progress of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub step: Step,
    pub done: u64,
    pub total: u64,
    /// Zero for steps that do not count bytes.
    pub bytes_done: u64,
    pub bytes_total: u64,
}

impl Progress {
    pub fn new(step: Step, done: u64, total: u64) -> Self {
        Self {
            step,
            done,
            total,
            bytes_done: 0,
            bytes_total: 0,
        }
    }

    /// The start of a step over files: none done of `files`, none of `bytes_total`.
    pub fn of_files(step: Step, files: u64, bytes_total: u64) -> Self {
        Self {
            bytes_total,
            ..Self::new(step, 0, files)
        }
    }
}
