//! Restoring a backup into a data directory, in an order that loses nothing whatever fails:
//!
//! 1. refuse when the station (or any program) has a database of the data directory open, or
//!    when the backup is of the demo database and the data directory holds a production one;
//! 2. verify the backup in place (`verify`): a damaged backup is refused naming the file, and
//!    nothing in the data directory has been touched;
//! 3. copy the backup into `restore-staging-<time>/` in the data directory (same disk, so the
//!    swap is renames), hashing again what was copied;
//! 4. check again that the station is not running, then move what the backup replaces into
//!    `pre-restore-<time>/` and the staged files into place, one rename per top-level entry; a
//!    failing rename moves everything back;
//! 5. open the restored database as the station does (migrating an older schema), append a
//!    `backup.restore` audit row naming the backup and the head the station had before, and
//!    verify the sealed trail.
//!
//! The previous data stays in `pre-restore-<time>/` until someone deletes it. A crash between
//! renames leaves every file either there, in the staging folder, or in place; the error (or
//! the folder names) says which.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::copy::{copy_file, sync_dir, sync_tree};
use super::error::FileProblem;
use super::layout::{self, KEY_FILE, PRE_RESTORE_PREFIX, STAGING_PREFIX};
use super::manifest::{Manifest, relative_path};
use super::verify::verify;
use super::{BackupError, Pacing, Progress, Step, record};
use crate::domain::{Actor, Permission};
use crate::paths::{DEMO_DATABASE, PRODUCTION_DATABASE};
use crate::store::{self, AuditFilter, AuditSeal, ChainHead, ChainReport, Store, StoreReader};

/// What to restore, where, and who asks.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The backup folder (holding `manifest.json`).
    pub backup: PathBuf,
    pub data_dir: PathBuf,
    pub actor: Actor,
    pub pacing: Pacing,
}

/// A finished restore.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub manifest: Manifest,
    /// Where the replaced data went; `None` when the data directory held none of it.
    pub set_aside: Option<PathBuf>,
    /// The top-level entries moved there.
    pub moved_aside: Vec<String>,
    /// The newest audit row of the database that was replaced, when it could be read.
    pub previous_head: Option<ChainHead>,
    /// The `backup.restore` audit row.
    pub audit_row_id: i64,
    /// The restored trail verified with the station key, after that row.
    pub audit: ChainReport,
    pub elapsed: Duration,
}

/// Extra free space wanted beyond the backup's size (the database grows when opened).
const SPACE_MARGIN_BYTES: u64 = 64 << 20;

/// Restores; see the module doc.
pub fn restore(
    request: &RestoreRequest,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RestoreReport, BackupError> {
    let started = Instant::now();
    let actor = &request.actor;
    if !actor.may(Permission::ManageStation) {
        return Err(BackupError::Forbidden {
            actor: actor.name.clone(),
            role: actor.role,
            action: "restore a backup",
        });
    }
    let data_dir = &request.data_dir;
    let manifest = Manifest::read(&request.backup)?;
    if manifest.database == DEMO_DATABASE && data_dir.join(PRODUCTION_DATABASE).exists() {
        return Err(BackupError::DemoOverProduction {
            data_dir: data_dir.clone(),
        });
    }
    refuse_if_running(data_dir, &manifest.database)?;
    let verified = verify(&request.backup, progress)?;
    let manifest = verified.manifest;
    std::fs::create_dir_all(data_dir)
        .map_err(BackupError::io(data_dir, "create the data directory"))?;
    check_space(data_dir, manifest.total_bytes())?;
    let database = data_dir.join(&manifest.database);
    let previous_head = newest_row(&database);

    let stamp = super::retention::folder_name(store::now_utc());
    let staging = new_folder(data_dir, STAGING_PREFIX, &stamp)?;
    let staged = stage(
        &request.backup,
        &staging,
        &manifest,
        request.pacing,
        progress,
    )
    .and_then(|staged| {
        refuse_if_running(data_dir, &manifest.database)?;
        Ok(staged)
    });
    let staged = match staged {
        Ok(staged) => staged,
        Err(err) => {
            if let Err(cleanup) = std::fs::remove_dir_all(&staging) {
                tracing::warn!("could not remove {}: {cleanup}", staging.display());
            }
            return Err(err);
        }
    };
    let replaced = layout::replaced_entries(data_dir, &manifest.database, &staged)?;
    let aside = if replaced.is_empty() {
        None
    } else {
        Some(new_folder(data_dir, PRE_RESTORE_PREFIX, &stamp)?)
    };
    progress(&Progress::new(Step::Swap, 0, 1));
    swap(data_dir, &staging, aside.as_deref(), &replaced, &staged)?;
    std::fs::remove_dir(&staging)
        .map_err(BackupError::io(&staging, "remove the empty staging folder"))?;
    sync_dir(data_dir).map_err(BackupError::io(data_dir, "sync the data directory"))?;
    progress(&Progress::new(Step::Swap, 1, 1));

    let before = aside.as_deref().map_or_else(
        || "there was no data before".to_owned(),
        |aside| format!("the data before is in {}", aside.display()),
    );
    let in_place = |context: &str| {
        BackupError::store(format!(
            "the backup is in place in {} ({before}), but {context}",
            data_dir.display()
        ))
    };
    let seal = AuditSeal::in_data_dir(data_dir, &database);
    let mut store = Store::open_sealed(&database, &seal).map_err(in_place("opening it failed"))?;
    let entry = record::restored_entry(
        actor,
        &manifest,
        &request.backup,
        previous_head.as_ref(),
        aside.as_deref(),
    );
    let audit_row_id = store
        .append_audit(&entry)
        .map_err(in_place("recording the restore in the audit trail failed"))?;
    let audit = store
        .reader()
        .and_then(|reader| reader.verify_audit())
        .map_err(in_place("verifying its audit trail failed"))?;
    Ok(RestoreReport {
        manifest,
        set_aside: aside,
        moved_aside: replaced,
        previous_head,
        audit_row_id,
        audit,
        elapsed: started.elapsed(),
    })
}

/// Refuses while any station database in the data directory is open: the one being restored,
/// and the production and demo databases (a running station uses the record folders too).
fn refuse_if_running(data_dir: &Path, database: &str) -> Result<(), BackupError> {
    let mut names = vec![database, PRODUCTION_DATABASE, DEMO_DATABASE];
    names.sort_unstable();
    names.dedup();
    for name in names {
        let path = data_dir.join(name);
        let in_use = store::database_in_use(&path).map_err(BackupError::store(format!(
            "checking whether the station is running on {}",
            path.display()
        )))?;
        if in_use {
            return Err(BackupError::StationRunning { database: path });
        }
    }
    Ok(())
}

fn check_space(data_dir: &Path, backup_bytes: u64) -> Result<(), BackupError> {
    let available =
        fs4::available_space(data_dir).map_err(BackupError::io(data_dir, "read the free space"))?;
    let needed = backup_bytes.saturating_add(SPACE_MARGIN_BYTES);
    if available < needed {
        let mb = |bytes: u64| bytes as f64 / 1e6;
        return Err(BackupError::NoSpace {
            path: data_dir.to_owned(),
            needed_mb: mb(needed),
            available_mb: mb(available),
        });
    }
    Ok(())
}

/// The newest audit row of the database being replaced, for the record; `None` when there is
/// none or it cannot be read (a damaged station is what restores are for).
fn newest_row(database: &Path) -> Option<ChainHead> {
    if !database.exists() {
        return None;
    }
    let reader = StoreReader::open(database).ok()?;
    let rows = reader
        .audit(&AuditFilter {
            limit: 1,
            ..AuditFilter::default()
        })
        .ok()?;
    rows.into_iter().next().map(|row| ChainHead {
        row_id: row.id,
        hash: row.hash,
    })
}

/// `data_dir/<prefix><stamp>`, or with `-2`, `-3`… when that exists; created.
fn new_folder(data_dir: &Path, prefix: &str, stamp: &str) -> Result<PathBuf, BackupError> {
    for attempt in 1..=100 {
        let name = if attempt == 1 {
            format!("{prefix}{stamp}")
        } else {
            format!("{prefix}{stamp}-{attempt}")
        };
        let path = data_dir.join(name);
        match std::fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(BackupError::io(&path, "create the folder")(err)),
        }
    }
    Err(BackupError::Io {
        path: data_dir.join(format!("{prefix}{stamp}")),
        action: "create the folder",
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "a hundred folders of that name exist already",
        ),
    })
}

/// Copies every file of the backup into `staging`, checking each copy's hash against the
/// manifest. Returns the staged top-level names, sorted.
fn stage(
    backup: &Path,
    staging: &Path,
    manifest: &Manifest,
    pacing: Pacing,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Vec<String>, BackupError> {
    let mut done = Progress::of_files(
        Step::StageFiles,
        manifest.files.len() as u64,
        manifest.total_bytes(),
    );
    progress(&done);
    let mut names = Vec::new();
    for entry in &manifest.files {
        let relative = relative_path(&entry.path).map_err(|reason| BackupError::Manifest {
            path: backup.join(super::manifest::MANIFEST_FILE),
            reason,
        })?;
        let target = staging.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(BackupError::io(parent, "create the folder"))?;
        }
        let source = backup.join(&relative);
        let digested = copy_file(
            &source,
            &target,
            pacing.files,
            entry.path == KEY_FILE,
            &mut |bytes| {
                done.bytes_done += bytes;
                progress(&done);
            },
        )
        .map_err(BackupError::io(
            &source,
            "copy the file into the staging folder",
        ))?;
        if digested.sha256 != entry.sha256 || digested.size_bytes != entry.size_bytes {
            return Err(BackupError::Damaged {
                backup: backup.to_owned(),
                problems: vec![FileProblem {
                    path: entry.path.clone(),
                    reason: "it changed while it was copied (its SHA-256 no longer matches the manifest)"
                        .to_owned(),
                }],
            });
        }
        if let Some(top) = entry.path.split('/').next() {
            names.push(top.to_owned());
        }
        done.done += 1;
        progress(&done);
    }
    names.sort();
    names.dedup();
    sync_tree(staging)?;
    Ok(names)
}

/// Moves `replaced` from the data directory into `aside`, then `staged` from the staging
/// folder into the data directory. A failing rename moves back what was moved.
fn swap(
    data_dir: &Path,
    staging: &Path,
    aside: Option<&Path>,
    replaced: &[String],
    staged: &[String],
) -> Result<(), BackupError> {
    let mut moved_aside: Vec<&String> = Vec::new();
    if let Some(aside) = aside {
        for name in replaced {
            if let Err(source) = std::fs::rename(data_dir.join(name), aside.join(name)) {
                let state = undo(&moved_aside, aside, data_dir);
                return Err(BackupError::Swap {
                    data_dir: data_dir.to_owned(),
                    step: format!("moving {name} into {}", aside.display()),
                    source,
                    state: format!("{state}; the verified backup is in {}", staging.display()),
                });
            }
            moved_aside.push(name);
        }
        sync_dir(aside).map_err(BackupError::io(aside, "sync the folder"))?;
    }
    let mut placed: Vec<&String> = Vec::new();
    for name in staged {
        if let Err(source) = std::fs::rename(staging.join(name), data_dir.join(name)) {
            let unplaced = undo(&placed, data_dir, staging);
            let restored = match aside {
                Some(aside) => undo(&moved_aside, aside, data_dir),
                None => "nothing had to be moved aside".to_owned(),
            };
            return Err(BackupError::Swap {
                data_dir: data_dir.to_owned(),
                step: format!("moving {name} into place"),
                source,
                state: format!(
                    "backup files put in place: {unplaced}; data before the restore: {restored}; the staged backup is in {}",
                    staging.display()
                ),
            });
        }
        placed.push(name);
    }
    Ok(())
}

/// Moves `names` from `from` back to `to`; says how that went.
fn undo(names: &[&String], from: &Path, to: &Path) -> String {
    let stuck: Vec<String> = names
        .iter()
        .rev()
        .filter(|name| std::fs::rename(from.join(name), to.join(name)).is_err())
        .map(|name| name.to_string())
        .collect();
    if stuck.is_empty() {
        format!("moved back into {} (nothing changed there)", to.display())
    } else {
        format!(
            "{} could not be moved back from {} to {}: move them by hand",
            stuck.join(", "),
            from.display(),
            to.display()
        )
    }
}
