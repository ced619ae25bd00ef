//! `manifest.json`: what a backup holds and how to check it — the station, when, the schema
//! version, the audit trail's head as the copy has it, and every file with its size and
//! SHA-256. Written last (a folder without one is not a backup) and read before anything is
//! trusted. Paths are relative, `/`-separated and may not leave the backup folder.

use std::collections::HashSet;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::BackupError;

/// The manifest's file name in a backup folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The manifest's `format`.
pub const FORMAT: &str = "qcstation-backup";
/// The layout this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub station_name: String,
    /// RFC 3339, UTC: when the database copy began (its snapshot).
    pub created_at_utc: String,
    /// The qcstation version that wrote the backup.
    pub qcstation_version: String,
    /// The database file's path in the backup (`station.sqlite` or `demo.sqlite`).
    pub database: String,
    pub schema_version: i64,
    /// The audit trail's newest row in the copy; `None` for an empty trail.
    pub audit_head: Option<AuditHead>,
    pub audit_rows: u64,
    /// Whether the copy's trail is sealed by the station key in the backup (`station.key` and
    /// the database's `.audit-head` file are then among the files).
    pub audit_sealed: bool,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub row_id: i64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the backup folder (and to the data directory it restores into).
    pub path: String,
    pub size_bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
}

impl Manifest {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|file| file.size_bytes).sum()
    }

    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|file| file.path == path)
    }

    /// Writes `manifest.json` into `folder` (synced to disk).
    pub fn write(&self, folder: &Path) -> Result<(), BackupError> {
        let path = folder.join(MANIFEST_FILE);
        let text = serde_json::to_string_pretty(self).map_err(|err| BackupError::Manifest {
            path: path.clone(),
            reason: err.to_string(),
        })?;
        let mut file = std::fs::File::create_new(&path)
            .map_err(BackupError::io(&path, "create the manifest"))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all())
            .map_err(BackupError::io(&path, "write the manifest"))
    }

    /// Reads and checks `manifest.json` in `folder`.
    pub fn read(folder: &Path) -> Result<Self, BackupError> {
        let path = folder.join(MANIFEST_FILE);
        let bad = |reason: String| BackupError::Manifest {
            path: path.clone(),
            reason,
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(bad(format!(
                    "{} has no {MANIFEST_FILE}: it is not a qcstation backup, or the backup did not finish",
                    folder.display()
                )));
            }
            Err(err) => return Err(BackupError::io(&path, "read the manifest")(err)),
        };
        let manifest: Manifest = serde_json::from_str(&text).map_err(|err| bad(err.to_string()))?;
        manifest.check().map_err(bad)?;
        Ok(manifest)
    }

    /// The rules a manifest must follow, as a reason when it does not.
    fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("format is {:?}, expected {FORMAT:?}", self.format));
        }
        if self.format_version == 0 || self.format_version > FORMAT_VERSION {
            return Err(format!(
                "format_version {} is not one this qcstation reads (1 to {FORMAT_VERSION}): restore with qcstation {} or newer",
                self.format_version, self.qcstation_version
            ));
        }
        let mut seen = HashSet::new();
        for file in &self.files {
            relative_path(&file.path)?;
            if !seen.insert(file.path.as_str()) {
                return Err(format!("{} is listed twice", file.path));
            }
            if file.sha256.len() != 64 || !file.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{}: sha256 is not 64 hex digits", file.path));
            }
            if file.path == MANIFEST_FILE {
                return Err(format!("{MANIFEST_FILE} cannot list itself"));
            }
        }
        if self.database.contains('/') || self.file(&self.database).is_none() {
            return Err(format!(
                "the database {:?} is not one of the top-level files listed",
                self.database
            ));
        }
        if let Some(head) = &self.audit_head
            && (head.row_id < 1 || head.hash.len() != 64)
        {
            return Err("audit_head is not a row id and a 64-digit hash".to_owned());
        }
        Ok(())
    }
}

/// A manifest path as a relative path under a folder; refuses anything that could leave it.
pub fn relative_path(path: &str) -> Result<PathBuf, String> {
    let relative = PathBuf::from_iter(path.split('/'));
    let plain = !path.is_empty()
        && !path.contains('\\')
        && relative
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
        && relative.components().count() == path.split('/').count();
    if plain {
        Ok(relative)
    } else {
        Err(format!(
            "{path:?} is not a plain relative path (no '..', '.', empty or absolute parts)"
        ))
    }
}

/// A relative path as a manifest writes it: `/`-separated on every platform.
pub fn manifest_path(relative: &Path) -> String {
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            station_name: "line 3".to_owned(),
            created_at_utc: "2026-03-01T10:00:00.000Z".to_owned(),
            qcstation_version: "0.1.0".to_owned(),
            database: "station.sqlite".to_owned(),
            schema_version: 11,
            audit_head: Some(AuditHead {
                row_id: 7,
                hash: "ab".repeat(32),
            }),
            audit_rows: 7,
            audit_sealed: true,
            files: vec![
                FileEntry {
                    path: "station.sqlite".to_owned(),
                    size_bytes: 4096,
                    sha256: "cd".repeat(32),
                },
                FileEntry {
                    path: "images/2026/a.png".to_owned(),
                    size_bytes: 10,
                    sha256: "ef".repeat(32),
                },
            ],
        }
    }

    #[test]
    fn a_manifest_round_trips_and_sums_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let written = manifest();
        written.write(dir.path()).unwrap();
        assert!(written.write(dir.path()).is_err(), "never overwritten");
        let read = Manifest::read(dir.path()).unwrap();
        assert_eq!(read, written);
        assert_eq!(read.total_bytes(), 4106);
    }

    #[test]
    fn paths_that_leave_the_folder_are_refused() {
        for bad in [
            "../x",
            "/etc/passwd",
            "a//b",
            "./a",
            "a/../b",
            "",
            "a\\b",
            "a/",
        ] {
            assert!(relative_path(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            relative_path("images/a.png").unwrap(),
            Path::new("images").join("a.png")
        );
        let dir = tempfile::tempdir().unwrap();
        let mut bad = manifest();
        bad.files[1].path = "../../outside".to_owned();
        bad.write(dir.path()).unwrap();
        let err = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("../../outside"), "{err}");
        assert!(err.contains("manifest.json"), "{err}");
    }

    #[test]
    fn a_missing_or_foreign_manifest_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("has no manifest.json"), "{err}");
        std::fs::write(dir.path().join(MANIFEST_FILE), "{\"format\": 1}").unwrap();
        assert!(Manifest::read(dir.path()).is_err());
        let mut newer = manifest();
        newer.format_version = FORMAT_VERSION + 1;
        let dir = tempfile::tempdir().unwrap();
        newer.write(dir.path()).unwrap();
        let err = Manifest::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("format_version"), "{err}");
    }
}
