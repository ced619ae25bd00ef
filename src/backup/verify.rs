//! Checking a backup folder without changing it: the manifest's rules, every file's size and
//! SHA-256, then the database copy itself — SQLite's structure check, the schema version, and
//! the audit trail (sealed by the backup's own key and head file when the backup was sealed),
//! whose head must be the one the manifest records. Every failing file is named.

use std::path::{Path, PathBuf};

use super::copy::hash_file;
use super::error::FileProblem;
use super::layout::{self, KEY_FILE};
use super::manifest::{Manifest, relative_path};
use super::{BackupError, Progress, Step};
use crate::store::{self, AuditSeal, CopyFacts};

/// A backup that passed every check.
#[derive(Debug, Clone)]
pub struct VerifiedBackup {
    pub folder: PathBuf,
    pub manifest: Manifest,
    pub facts: CopyFacts,
}

/// Checks the backup in `folder`; `Damaged` names every file that fails.
pub fn verify(
    folder: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<VerifiedBackup, BackupError> {
    let manifest = Manifest::read(folder)?;
    let damaged = |problems: Vec<FileProblem>| BackupError::Damaged {
        backup: folder.to_owned(),
        problems,
    };
    let problems = check_files(folder, &manifest, progress);
    if !problems.is_empty() {
        return Err(damaged(problems));
    }
    let facts =
        check_database(folder, &manifest, progress).map_err(|problem| damaged(vec![problem]))?;
    if facts.schema_version > store::LATEST_VERSION {
        return Err(BackupError::NewerSchema {
            found: facts.schema_version,
            supported: store::LATEST_VERSION,
            made_by: manifest.qcstation_version.clone(),
        });
    }
    Ok(VerifiedBackup {
        folder: folder.to_owned(),
        manifest,
        facts,
    })
}

/// Every file's presence, size and hash.
fn check_files(
    folder: &Path,
    manifest: &Manifest,
    progress: &mut dyn FnMut(&Progress),
) -> Vec<FileProblem> {
    let mut problems = Vec::new();
    let mut done = Progress::of_files(
        Step::CheckFiles,
        manifest.files.len() as u64,
        manifest.total_bytes(),
    );
    progress(&done);
    for entry in &manifest.files {
        let problem = |reason: String| FileProblem {
            path: entry.path.clone(),
            reason,
        };
        // The manifest was checked: every path is a plain relative one.
        let path = folder.join(relative_path(&entry.path).unwrap_or_default());
        match std::fs::metadata(&path) {
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                problems.push(problem("missing from the backup".to_owned()));
            }
            Err(err) => problems.push(problem(format!("cannot be read: {err}"))),
            Ok(metadata) if metadata.len() != entry.size_bytes => {
                problems.push(problem(format!(
                    "has {} bytes, the manifest says {}",
                    metadata.len(),
                    entry.size_bytes
                )));
                done.bytes_done += entry.size_bytes;
            }
            Ok(_) => {
                match hash_file(&path, &mut |bytes| {
                    done.bytes_done += bytes;
                    progress(&done);
                }) {
                    Ok(digested) if digested.sha256 == entry.sha256 => {}
                    Ok(digested) => problems.push(problem(format!(
                        "its SHA-256 is {}, the manifest says {} (the file was altered or damaged)",
                        digested.sha256, entry.sha256
                    ))),
                    Err(err) => problems.push(problem(format!("cannot be read: {err}"))),
                }
            }
        }
        done.done += 1;
        progress(&done);
    }
    problems
}

/// The database copy: structure, schema, audit trail and its head.
fn check_database(
    folder: &Path,
    manifest: &Manifest,
    progress: &mut dyn FnMut(&Progress),
) -> Result<CopyFacts, FileProblem> {
    let problem = |reason: String| FileProblem {
        path: manifest.database.clone(),
        reason,
    };
    let database = folder.join(&manifest.database);
    let seal = if manifest.audit_sealed {
        for name in [
            KEY_FILE.to_owned(),
            layout::head_file_name(&manifest.database),
        ] {
            if manifest.file(&name).is_none() {
                return Err(FileProblem {
                    path: name,
                    reason:
                        "the manifest says the audit trail is sealed, but does not list this file"
                            .to_owned(),
                });
            }
        }
        Some(AuditSeal::in_data_dir(folder, &database))
    } else {
        None
    };
    let facts = store::copy_facts(&database, seal.as_ref(), &mut |checked, total| {
        progress(&Progress::new(Step::CheckAudit, checked, total));
    })
    .map_err(|err| problem(format!("cannot be read as the station's database: {err}")))?;
    if !facts.integrity_problems.is_empty() {
        return Err(problem(format!(
            "SQLite's structure check failed: {}",
            facts.integrity_problems.join("; ")
        )));
    }
    if facts.schema_version != manifest.schema_version {
        return Err(problem(format!(
            "its schema version is {}, the manifest says {}",
            facts.schema_version, manifest.schema_version
        )));
    }
    if let Some(broken) = &facts.audit.first_break {
        return Err(problem(format!(
            "its audit trail does not verify at row {}: {}",
            broken.row_id, broken.reason
        )));
    }
    let head = facts
        .audit
        .head
        .as_ref()
        .map(|head| (head.row_id, head.hash.as_str()));
    let expected = manifest
        .audit_head
        .as_ref()
        .map(|head| (head.row_id, head.hash.as_str()));
    if head != expected {
        let show = |head: Option<(i64, &str)>| {
            head.map_or_else(
                || "an empty trail".to_owned(),
                |(row, hash)| format!("row {row} hash {hash}"),
            )
        };
        return Err(problem(format!(
            "its audit head is {}, the manifest records {}",
            show(head),
            show(expected)
        )));
    }
    Ok(facts)
}
