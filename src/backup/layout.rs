//! Which entries of a data directory a backup holds and a restore replaces. Records are the
//! database (copied by SQLite, see `store::copy_database`), the station key, the database's
//! audit head file (written for the copy), the config file when it lives in the data directory,
//! and every top-level folder except the ones below, which hold nothing a restore needs: logs,
//! exports (made again from the records), the demo's generated document packs, backups, and
//! the folders a restore leaves behind. Files still being written (`*.partial`, `*.tmp`) and
//! symbolic links are never copied. Listing only: nothing here writes.

use std::path::{Path, PathBuf};

use super::BackupError;
use super::manifest::manifest_path;
use crate::store::AuditSeal;

/// Top-level folders that are not records.
/// (`demo-packs` is the cross-check worker's `DEMO_PACKS`, which lives above this layer.)
pub const SKIPPED_FOLDERS: [&str; 4] = ["logs", "exports", "demo-packs", "backups"];
/// Prefix of the folder a restore moves the replaced data into.
pub const PRE_RESTORE_PREFIX: &str = "pre-restore-";
/// Prefix of the folder a restore copies the backup into before swapping it in.
pub const STAGING_PREFIX: &str = "restore-staging-";
/// The station key's file name, as `store::AuditSeal` places it (a test keeps them equal).
pub const KEY_FILE: &str = "station.key";
/// The config file's name when it lives in the data directory (see `paths`).
pub const CONFIG_FILE: &str = "qcstation.toml";
/// Endings of files being written by an atomic rename, never copied.
const UNFINISHED_SUFFIXES: [&str; 2] = [".partial", ".tmp"];

/// The audit head file of a database (`station.sqlite.audit-head`), named as the store names it.
pub fn head_file_name(database: &str) -> String {
    let seal = AuditSeal::in_data_dir(Path::new(""), Path::new(database));
    seal.head_file.to_string_lossy().into_owned()
}

/// Files SQLite keeps beside a database while it is open or after a crash.
pub fn database_companions(database: &str) -> [String; 3] {
    [
        format!("{database}-wal"),
        format!("{database}-shm"),
        format!("{database}-journal"),
    ]
}

fn skipped_folder(name: &str) -> bool {
    SKIPPED_FOLDERS.contains(&name)
        || name.starts_with(PRE_RESTORE_PREFIX)
        || name.starts_with(STAGING_PREFIX)
        || name.ends_with(".partial")
}

fn unfinished(name: &str) -> bool {
    UNFINISHED_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// The data directory's top-level record folders, sorted.
pub fn record_folders(data_dir: &Path) -> Result<Vec<String>, BackupError> {
    let mut folders = Vec::new();
    let entries = std::fs::read_dir(data_dir)
        .map_err(BackupError::io(data_dir, "list the data directory"))?;
    for entry in entries {
        let entry = entry.map_err(BackupError::io(data_dir, "list the data directory"))?;
        let file_type = entry
            .file_type()
            .map_err(BackupError::io(entry.path(), "read the entry's type"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if file_type.is_dir() && !skipped_folder(&name) {
            folders.push(name);
        }
    }
    folders.sort();
    Ok(folders)
}

/// A file to copy: where it is and its path in the backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    pub source: PathBuf,
    /// `/`-separated, relative to the data directory.
    pub path: String,
    pub size_bytes: u64,
}

/// Every regular file under `data_dir/folder`, sorted by path.
pub fn files_in(data_dir: &Path, folder: &str) -> Result<Vec<ListedFile>, BackupError> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::from(folder)];
    while let Some(relative) = pending.pop() {
        let dir = data_dir.join(&relative);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            // Removed since it was listed (a session deleted meanwhile): nothing to copy.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(BackupError::io(&dir, "list the folder")(err)),
        };
        for entry in entries {
            let entry = entry.map_err(BackupError::io(&dir, "list the folder"))?;
            let name = entry.file_name();
            let child = relative.join(&name);
            let Ok(metadata) = entry.metadata() else {
                continue;
            };
            if metadata.is_dir() && !metadata.is_symlink() {
                pending.push(child);
            } else if metadata.is_file() && !unfinished(&name.to_string_lossy()) {
                files.push(ListedFile {
                    source: entry.path(),
                    path: manifest_path(&child),
                    size_bytes: metadata.len(),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The top-level entries of `data_dir` a restore of a backup holding `database` and the
/// top-level names `backup_names` moves aside: what the backup brings, the database with its
/// companions, key and head file (they belong together), and every record folder (a folder the
/// backup lacks would otherwise survive beside records that do not know it). Only existing
/// entries, sorted.
pub fn replaced_entries(
    data_dir: &Path,
    database: &str,
    backup_names: &[String],
) -> Result<Vec<String>, BackupError> {
    let mut names: Vec<String> = backup_names.to_vec();
    names.push(database.to_owned());
    names.extend(database_companions(database));
    names.push(head_file_name(database));
    names.push(format!("{}.tmp", head_file_name(database)));
    names.push(KEY_FILE.to_owned());
    names.extend(record_folders(data_dir)?);
    names.sort();
    names.dedup();
    names.retain(|name| data_dir.join(name).symlink_metadata().is_ok());
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    #[test]
    fn the_key_and_head_file_are_named_as_the_store_places_them() {
        let seal = AuditSeal::in_data_dir(Path::new("data"), Path::new("data/station.sqlite"));
        assert_eq!(seal.key_file, Path::new("data").join(KEY_FILE));
        assert_eq!(
            seal.head_file,
            Path::new("data").join(head_file_name("station.sqlite"))
        );
        assert_eq!(head_file_name("demo.sqlite"), "demo.sqlite.audit-head");
    }

    #[test]
    fn records_are_listed_and_the_rest_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        for file in [
            "images/2026-03-01/cam1/a.png",
            "images/marks/m.png",
            "crosscheck/files/abc.pdf",
            "crosscheck/files/def.pdf.partial",
            "logs/qcstation.log",
            "exports/report.pdf",
            "demo-packs/pack-1/traveler.pdf",
            "backups/20260301T000000Z/manifest.json",
            "pre-restore-20260301T000000Z/station.sqlite",
            "station.sqlite",
        ] {
            touch(&data.join(file));
        }
        let folders = record_folders(data).unwrap();
        assert_eq!(folders, ["crosscheck", "images"]);
        let images: Vec<String> = files_in(data, "images")
            .unwrap()
            .into_iter()
            .map(|file| file.path)
            .collect();
        assert_eq!(
            images,
            ["images/2026-03-01/cam1/a.png", "images/marks/m.png"]
        );
        let stored = files_in(data, "crosscheck").unwrap();
        assert_eq!(stored.len(), 1, "the unfinished file is left out");
        assert_eq!(stored[0].path, "crosscheck/files/abc.pdf");
        assert_eq!(stored[0].size_bytes, 1);
        assert!(files_in(data, "gone").unwrap().is_empty());
    }

    #[test]
    fn a_restore_replaces_the_database_with_its_companions_and_every_record_folder() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path();
        for file in [
            "station.sqlite",
            "station.sqlite-wal",
            "station.sqlite.audit-head",
            "station.key",
            "demo.sqlite",
            "qcstation.toml",
            "images/a.png",
            "old-records/x",
            "logs/l.log",
        ] {
            touch(&data.join(file));
        }
        let names = replaced_entries(
            data,
            "station.sqlite",
            &["station.sqlite".to_owned(), "images".to_owned()],
        )
        .unwrap();
        assert_eq!(
            names,
            [
                "images",
                "old-records",
                "station.key",
                "station.sqlite",
                "station.sqlite-wal",
                "station.sqlite.audit-head"
            ]
        );
    }
}
