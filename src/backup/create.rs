//! Making a backup of a running station: the database first (an online copy of one snapshot,
//! see `store::copy_database`), then the station key, the copy's own audit head file, the
//! config file when it lives in the data directory, and the record folders. Files are listed
//! after the database snapshot, so every image or stored file a record in the copy refers to
//! already exists when the folders are walked (files are written before their records commit,
//! or long before the copy); files added later are copied too and simply unreferenced.
//!
//! Everything is written into `<destination>.partial`, synced, and renamed to the destination
//! only when the manifest is in place: a folder with the final name is always a whole backup.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::copy::{
    FilePacing, SyncBatch, copy_file, copy_unsynced, hash_file, sync_dir, sync_tree,
};
use super::layout::{self, CONFIG_FILE, KEY_FILE, ListedFile};
use super::manifest::{AuditHead, FORMAT, FORMAT_VERSION, FileEntry, Manifest};
use super::{BackupError, Pacing, Progress, Step};
use crate::store::{self, AuditSeal};

/// What to back up and where.
#[derive(Debug, Clone)]
pub struct BackupRequest {
    pub data_dir: PathBuf,
    /// The station's database, in `data_dir`.
    pub database: PathBuf,
    /// The config file in use; copied when it is `data_dir/qcstation.toml`.
    pub config_file: Option<PathBuf>,
    /// A new (or empty) folder; see `default_destination`.
    pub destination: PathBuf,
    pub pacing: Pacing,
}

/// A finished backup.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub folder: PathBuf,
    pub manifest: Manifest,
    pub elapsed: Duration,
    /// Time spent copying the database alone.
    pub database_elapsed: Duration,
    /// Things worth knowing that did not stop the backup (a file removed while it was made).
    pub notes: Vec<String>,
}

/// How many times a file that changes while it is copied is copied again.
const COPY_ATTEMPTS: u32 = 3;

/// Makes a backup; see the module doc. `progress` is called often (throttle when printing).
pub fn create(
    request: &BackupRequest,
    progress: &mut dyn FnMut(&Progress),
) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    let created_at = store::now_utc();
    let destination = &request.destination;
    check_destination(&request.data_dir, destination)?;
    let work = partial_folder(destination);
    prepare_work_folder(&work)?;
    let result = fill(request, &work, created_at, started, progress);
    let filled = match result {
        Ok(filled) => filled,
        Err(err) => {
            // An unfinished backup is never left looking like one.
            if let Err(cleanup) = std::fs::remove_dir_all(&work) {
                tracing::warn!(
                    "could not remove the unfinished backup {}: {cleanup}",
                    work.display()
                );
            }
            return Err(err);
        }
    };
    if destination.exists() {
        // Checked empty above.
        std::fs::remove_dir(destination).map_err(BackupError::io(
            destination,
            "replace the empty destination folder",
        ))?;
    }
    std::fs::rename(&work, destination).map_err(BackupError::io(
        destination,
        "rename the finished backup into place",
    ))?;
    if let Some(parent) = destination.parent() {
        sync_dir(parent).map_err(BackupError::io(parent, "sync the folder"))?;
    }
    // A copy whose trail does not verify is kept (it is still the best record there is), but
    // the caller hears that a restore will refuse it.
    if let Some(broken) = filled.chain_break {
        return Err(BackupError::CopyChainBroken {
            folder: destination.clone(),
            row_id: broken.row_id,
            reason: broken.reason,
        });
    }
    Ok(BackupReport {
        folder: destination.clone(),
        manifest: filled.manifest,
        elapsed: started.elapsed(),
        database_elapsed: filled.database_elapsed,
        notes: filled.notes,
    })
}

/// What `fill` wrote.
struct Filled {
    manifest: Manifest,
    database_elapsed: Duration,
    notes: Vec<String>,
    /// Where the copy's audit trail does not verify, if it does not.
    chain_break: Option<store::ChainBreak>,
}

/// `<data_dir>/backups/<UTC time>`.
pub fn default_destination(data_dir: &Path, at: chrono::DateTime<chrono::Utc>) -> PathBuf {
    data_dir
        .join("backups")
        .join(super::retention::folder_name(at))
}

fn partial_folder(destination: &Path) -> PathBuf {
    let mut name = destination.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// The destination must be new or empty, and inside the data directory only under `backups/`.
fn check_destination(data_dir: &Path, destination: &Path) -> Result<(), BackupError> {
    if let Ok(mut entries) = std::fs::read_dir(destination)
        && entries.next().is_some()
    {
        return Err(BackupError::DestinationExists {
            path: destination.to_owned(),
        });
    }
    if destination.is_file() {
        return Err(BackupError::DestinationExists {
            path: destination.to_owned(),
        });
    }
    let (data_dir, target) = (absolute(data_dir), absolute(destination));
    if target.starts_with(&data_dir) && !target.starts_with(data_dir.join("backups")) {
        return Err(BackupError::DestinationInDataDir {
            path: destination.to_owned(),
            data_dir,
        });
    }
    Ok(())
}

/// Creates the `.partial` folder. One that exists is left alone: it is either a backup being
/// made right now into the same destination, or one that never finished (remove it by hand).
fn prepare_work_folder(work: &Path) -> Result<(), BackupError> {
    if let Some(parent) = work.parent() {
        std::fs::create_dir_all(parent).map_err(BackupError::io(parent, "create the folder"))?;
    }
    match std::fs::create_dir(work) {
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::DestinationExists {
                path: work.to_owned(),
            })
        }
        other => other.map_err(BackupError::io(work, "create the backup folder")),
    }
}

/// `path` made absolute and without `.` parts, for comparing paths given different ways.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path)
        .map(|path| path.components().collect::<PathBuf>())
        .unwrap_or_else(|_| path.to_owned())
}

fn database_name(database: &Path) -> Result<String, BackupError> {
    database
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .ok_or_else(|| BackupError::Io {
            path: database.to_owned(),
            action: "name the database file",
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"),
        })
}

/// Writes the whole backup into `work`; returns its manifest.
fn fill(
    request: &BackupRequest,
    work: &Path,
    created_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Filled, BackupError> {
    let data_dir = &request.data_dir;
    let database = database_name(&request.database)?;
    let copy = work.join(&database);
    store::copy_database(
        &request.database,
        &copy,
        request.pacing.database,
        &mut |done, total| {
            progress(&Progress::new(Step::CopyDatabase, done, total));
        },
    )
    .map_err(BackupError::store(format!(
        "copying the database {}",
        request.database.display()
    )))?;
    let database_elapsed = started.elapsed();
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    entries.push(digest_entry(&copy, &database)?);

    let key = data_dir.join(KEY_FILE);
    if key.exists() {
        entries.push(copy_entry(
            &key,
            work,
            KEY_FILE,
            request.pacing.files,
            true,
            "copy the station key",
        )?);
    }
    let seal = AuditSeal::in_data_dir(work, &copy);
    let sealed = store::write_copy_head(&copy, &seal)
        .map_err(BackupError::store("writing the copy's audit head file"))?;
    if sealed {
        entries.push(digest_entry(
            &seal.head_file,
            &layout::head_file_name(&database),
        )?);
    }
    if let Some(config) = &request.config_file
        && absolute(config) != absolute(&data_dir.join(CONFIG_FILE))
    {
        notes.push(format!(
            "the config file {} is outside the data directory and not in this backup: keep a copy with it",
            config.display()
        ));
    } else if let Some(config) = &request.config_file
        && config.exists()
    {
        entries.push(copy_entry(
            config,
            work,
            CONFIG_FILE,
            request.pacing.files,
            false,
            "copy the config file",
        )?);
    }

    let mut listed: Vec<ListedFile> = Vec::new();
    for folder in layout::record_folders(data_dir)? {
        listed.extend(layout::files_in(data_dir, &folder)?);
    }
    let bytes_total: u64 = listed.iter().map(|file| file.size_bytes).sum();
    let files_total = listed.len() as u64;
    let mut done = Progress::of_files(Step::CopyFiles, files_total, bytes_total);
    progress(&done);
    let mut batch = SyncBatch::new(request.pacing.files);
    for file in &listed {
        match copy_settled(file, work, request.pacing.files, &mut batch, &mut |bytes| {
            done.bytes_done += bytes;
            progress(&done);
        })? {
            Some(entry) => entries.push(entry),
            None => notes.push(format!(
                "{} was removed while the backup was made",
                file.path
            )),
        }
        done.done += 1;
        progress(&done);
    }
    batch
        .sync()
        .map_err(|(path, err)| BackupError::io(path, "sync the copy")(err))?;

    let seal = sealed.then_some(&seal);
    let facts = store::copy_facts(&copy, seal, &mut |checked, total| {
        progress(&Progress::new(Step::CheckAudit, checked, total));
    })
    .map_err(BackupError::store(format!(
        "reading the copy {}",
        copy.display()
    )))?;
    if !facts.integrity_problems.is_empty() {
        return Err(BackupError::Damaged {
            backup: work.to_owned(),
            problems: vec![super::FileProblem {
                path: database,
                reason: format!(
                    "SQLite's structure check of the copy failed: {}",
                    facts.integrity_problems.join("; ")
                ),
            }],
        });
    }
    let station_name = facts
        .station_name
        .unwrap_or_else(|| crate::store::StationSettings::default().station_name);
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        station_name,
        created_at_utc: store::to_text(created_at),
        qcstation_version: env!("CARGO_PKG_VERSION").to_owned(),
        database,
        schema_version: facts.schema_version,
        audit_head: facts.audit.head.clone().map(|head| AuditHead {
            row_id: head.row_id,
            hash: head.hash,
        }),
        audit_rows: facts.audit.rows_checked,
        audit_sealed: sealed,
        files: entries,
    };
    manifest.write(work)?;
    sync_tree(work)?;
    Ok(Filled {
        manifest,
        database_elapsed,
        notes,
        chain_break: facts.audit.first_break,
    })
}

fn digest_entry(path: &Path, name: &str) -> Result<FileEntry, BackupError> {
    Ok(hash_file(path, &mut |_| {})
        .map_err(BackupError::io(path, "hash the copied file"))?
        .entry(name))
}

/// Copies the single file `from` to `name` in the backup (owner-only when `private`); an error
/// says it failed to `action`.
fn copy_entry(
    from: &Path,
    work: &Path,
    name: &str,
    pacing: FilePacing,
    private: bool,
    action: &'static str,
) -> Result<FileEntry, BackupError> {
    Ok(
        copy_file(from, &work.join(name), pacing, private, &mut |_| {})
            .map_err(BackupError::io(from, action))?
            .entry(name),
    )
}

/// Copies one record file (its sync left to `batch`); copies again when it changed meanwhile
/// (it was being written). `None` when it was removed before it could be copied.
fn copy_settled(
    file: &ListedFile,
    work: &Path,
    pacing: FilePacing,
    batch: &mut SyncBatch,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<Option<FileEntry>, BackupError> {
    let relative =
        super::manifest::relative_path(&file.path).map_err(|reason| BackupError::Io {
            path: file.source.clone(),
            action: "name the file in the backup",
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, reason),
        })?;
    let target = work.join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(BackupError::io(parent, "create the folder"))?;
    }
    for _ in 0..COPY_ATTEMPTS {
        let before = match std::fs::metadata(&file.source) {
            Ok(metadata) => metadata,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(BackupError::io(&file.source, "read the file's size")(err)),
        };
        let (digested, copy) = match copy_unsynced(&file.source, &target, pacing, false, on_bytes) {
            Ok(copied) => copied,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&target);
                return Ok(None);
            }
            Err(err) => return Err(BackupError::io(&file.source, "copy the file")(err)),
        };
        let after = std::fs::metadata(&file.source).ok();
        let settled = after.is_some_and(|after| {
            after.len() == before.len()
                && after.len() == digested.size_bytes
                && after.modified().ok() == before.modified().ok()
        });
        if settled {
            batch
                .add(target, copy, digested.size_bytes)
                .map_err(|(path, err)| BackupError::io(path, "sync the copy")(err))?;
            return Ok(Some(digested.entry(&file.path)));
        }
        drop(copy);
        std::fs::remove_file(&target).map_err(BackupError::io(&target, "remove a stale copy"))?;
    }
    Err(BackupError::Unsettled {
        path: file.source.clone(),
        attempts: COPY_ATTEMPTS,
    })
}
