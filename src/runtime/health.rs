//! The health thread: every few seconds checks the disk holding the data directory and that the
//! database answers, and reports both. Cameras report their own state through their slots.

use std::path::PathBuf;
use std::time::Duration;

use super::context::WorkerContext;
use super::{Event, HealthReport};
use crate::store::StoreReader;

const PERIOD: Duration = Duration::from_secs(3);
/// Below this much free space the station warns and (later) stops saving images.
pub const DISK_LOW_BYTES: u64 = 2 * 1024 * 1024 * 1024;

pub(super) fn run(data_dir: PathBuf, database: PathBuf, context: WorkerContext) {
    let mut reader: Option<StoreReader> = None;
    loop {
        let disk_free_bytes = fs4::available_space(&data_dir)
            .map_err(|err| format!("cannot read free space of {}: {err}", data_dir.display()));
        let database_state = check_database(&mut reader, &database);
        context.emit(Event::Health(HealthReport {
            disk_free_bytes,
            database: database_state,
        }));
        if context.stop.sleep(PERIOD) {
            break;
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
