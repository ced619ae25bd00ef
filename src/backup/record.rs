//! The audit rows of backups and restores (`backup.create`, `backup.restore`). Built here and
//! appended by the caller through its write path: the CLI through its store, the runtime
//! through its store-writer; a restore appends its own, to the database it put in place.

use std::path::Path;

use super::create::BackupReport;
use super::manifest::Manifest;
use crate::domain::Actor;
use crate::store::{AuditEntry, ChainHead};

fn head_text(row_id: i64, hash: &str) -> String {
    format!("audit head row {row_id} {hash}")
}

fn manifest_head(manifest: &Manifest) -> String {
    manifest.audit_head.as_ref().map_or_else(
        || "an empty audit trail".to_owned(),
        |head| head_text(head.row_id, &head.hash),
    )
}

/// The row recording a finished backup: where it is and what head it holds.
pub fn created_entry(actor: &Actor, report: &BackupReport) -> AuditEntry {
    let manifest = &report.manifest;
    let name = report.folder.file_name().map_or_else(
        || report.folder.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    AuditEntry::new(&actor.name, "backup.create", "backup", &name).change(
        None,
        Some(format!(
            "{}: {}, {} files, {} bytes",
            report.folder.display(),
            manifest_head(manifest),
            manifest.files.len(),
            manifest.total_bytes()
        )),
    )
}

/// The row recording a restore, in the restored database: the backup's head replaced the
/// head the station had (which is no longer in the trail, so it is written down here).
pub fn restored_entry(
    actor: &Actor,
    manifest: &Manifest,
    backup: &Path,
    previous_head: Option<&ChainHead>,
    set_aside: Option<&Path>,
) -> AuditEntry {
    AuditEntry::new(
        &actor.name,
        "backup.restore",
        "backup",
        &manifest.created_at_utc,
    )
    .change(
        previous_head.map(|head| head_text(head.row_id, &head.hash)),
        Some(format!(
            "{} from the backup made {}",
            manifest_head(manifest),
            manifest.created_at_utc
        )),
    )
    .reason(format!(
        "restored from {}; the data it replaced is in {}",
        backup.display(),
        set_aside.map_or_else(
            || "no folder (the data directory held none)".to_owned(),
            |path| path.display().to_string()
        )
    ))
}
