//! Errors of backups and restores: each names the file or folder at fault and says what to do.
//! A refused restore always says that nothing was changed.

use std::fmt;
use std::path::PathBuf;

use crate::domain::Role;
use crate::store::StoreError;

/// One file of a backup that does not hold what its manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The file's path inside the backup, as the manifest names it (`images/a.png`).
    pub path: String,
    pub reason: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

fn list(problems: &[FileProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: cannot {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Store { context: String, source: StoreError },
    #[error("{actor} ({role}) may not {action}: it needs the 'manage station' permission (admin)")]
    Forbidden {
        actor: String,
        role: Role,
        action: &'static str,
    },
    #[error(
        "{path} already exists and is not empty: a backup is written to a new folder (give another --to, or move that folder away)"
    )]
    DestinationExists { path: PathBuf },
    #[error(
        "{path} is inside the data directory {data_dir}: a backup there would be copied into the next backup and moved aside by a restore; use {data_dir}/backups/NAME or a folder on another disk"
    )]
    DestinationInDataDir { path: PathBuf, data_dir: PathBuf },
    #[error("{path}: not a usable backup manifest: {reason}; nothing was changed")]
    Manifest { path: PathBuf, reason: String },
    #[error("the backup {} is damaged and was refused, nothing was changed: {}", backup.display(), list(problems))]
    Damaged {
        backup: PathBuf,
        problems: Vec<FileProblem>,
    },
    #[error(
        "the backup was written to {folder}, but its database copy's audit trail does not verify at row {row_id}: {reason}. A restore will refuse this backup; run `qcstation audit verify` on the station"
    )]
    CopyChainBroken {
        folder: PathBuf,
        row_id: i64,
        reason: String,
    },
    #[error(
        "the backup holds the demo database, but {data_dir} holds a production station (station.sqlite): restore a demo backup into another data directory; nothing was changed"
    )]
    DemoOverProduction { data_dir: PathBuf },
    #[error(
        "the station database {database} is open in another program (the station, or a qcstation command on this data directory): stop it, then restore again; nothing was changed"
    )]
    StationRunning { database: PathBuf },
    #[error(
        "the backup's database has schema version {found}, newer than this qcstation knows ({supported}): restore it with qcstation {made_by} or newer; nothing was changed"
    )]
    NewerSchema {
        found: i64,
        supported: i64,
        made_by: String,
    },
    #[error(
        "{path} has {available_mb:.0} MB free but the restore needs {needed_mb:.0} MB (the backup is copied in before the current data is moved aside): free some space; nothing was changed"
    )]
    NoSpace {
        path: PathBuf,
        needed_mb: f64,
        available_mb: f64,
    },
    #[error(
        "{path} kept changing while it was copied ({attempts} attempts): stop what writes it, then back up again"
    )]
    Unsettled { path: PathBuf, attempts: u32 },
    #[error(
        "the restore stopped while swapping the data in {data_dir} ({step}: {source}); {state}"
    )]
    Swap {
        data_dir: PathBuf,
        step: String,
        source: std::io::Error,
        /// Where everything is now, for whoever picks up.
        state: String,
    },
}

impl BackupError {
    pub(super) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            path,
            action,
            source,
        }
    }

    pub(super) fn store(context: impl Into<String>) -> impl FnOnce(StoreError) -> Self {
        let context = context.into();
        move |source| Self::Store { context, source }
    }
}
