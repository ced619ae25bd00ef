//! The health worker: every few seconds checks the disk holding the data directory (feeding the
//! disk guard, which pauses image saving when it is almost full) and that the database answers,
//! and publishes both as a snapshot the UI reads (a pointer swap, not a queue of events).
//! Cameras report through their slots and workers through the supervisor's board.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;

use super::context::Waker;
use super::disk_guard::DiskGuard;
use super::worker::{WorkerCtx, WorkerExit};
use crate::store::StoreReader;

const PERIOD: Duration = Duration::from_secs(3);

/// Health of the parts that are not cameras or workers.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    /// Free bytes on the data directory's disk, or why they cannot be read.
    pub disk_free_bytes: Result<u64, String>,
    /// `Ok(size in bytes)` or why the database cannot be read.
    pub database: Result<u64, String>,
    /// The disk guard has paused image saving (free space below `[storage] min_free_mb`).
    pub images_paused: bool,
}

impl HealthReport {
    /// The disk is below the configured minimum: images are not being saved.
    pub fn disk_low(&self) -> bool {
        self.images_paused
    }
}

/// The latest health report, swapped in whole by the health worker.
pub type HealthCell = Arc<ArcSwapOption<HealthReport>>;

pub(super) struct HealthCheck {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub published: HealthCell,
    pub waker: Waker,
    pub reader: Option<StoreReader>,
    pub disk: DiskGuard,
}

impl HealthCheck {
    /// The worker's body: check, publish, sleep, until its phase stops it.
    pub fn run(&mut self, worker: &WorkerCtx) -> WorkerExit {
        loop {
            let disk_free_bytes = self.disk.sample(&self.data_dir);
            let database = check_database(&mut self.reader, &self.database);
            let report = HealthReport {
                disk_free_bytes,
                database,
                images_paused: !self.disk.may_save_images(),
            };
            let changed = self
                .published
                .load()
                .as_deref()
                .is_none_or(|old| *old != report);
            self.published.store(Some(Arc::new(report)));
            if changed {
                self.waker.wake();
            }
            if worker.sleep(PERIOD) {
                return WorkerExit::Finished;
            }
        }
    }
}

fn check_database(
    reader: &mut Option<StoreReader>,
    database: &std::path::Path,
) -> Result<u64, String> {
    if reader.is_none() {
        *reader = Some(StoreReader::open(database).map_err(|err| format!("{err:#}"))?);
    }
    let answer = reader
        .as_ref()
        .map(|reader| reader.settings())
        .transpose()
        .map_err(|err| format!("{err:#}"));
    if answer.is_err() {
        // Reconnect next time: the file may have been replaced by a restore.
        *reader = None;
    }
    answer?;
    let main_bytes = std::fs::metadata(database)
        .map(|meta| meta.len())
        .map_err(|err| format!("{}: {err}", database.display()))?;
    // Recent commits live in the write-ahead log until a checkpoint moves them.
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    let wal_bytes = std::fs::metadata(&wal).map_or(0, |meta| meta.len());
    Ok(main_bytes + wal_bytes)
}
