//! `qcstation backup [--to DIR] [--json]` and `qcstation restore DIR [--json]`: a consistent
//! online backup of the station (it may keep running) into `<data_dir>/backups/<UTC time>/` or
//! DIR, and a verified restore of one (the station must be stopped). Progress goes to stderr;
//! the result to stdout, as text or, with `--json`, one object (a contract other tools parse):
//!
//! - backup: `{"folder", "created_at_utc", "station_name", "schema_version", "audit_head":
//!   {"row_id", "hash"} | null, "audit_rows", "audit_sealed", "files", "bytes", "elapsed_ms",
//!   "database_ms", "notes": [TEXT]}`
//! - restore: `{"restored_from", "created_at_utc", "station_name", "audit_head", "files",
//!   "bytes", "set_aside": PATH | null, "moved_aside": [NAME], "previous_head", "audit_row",
//!   "audit_intact", "elapsed_ms"}`
//!
//! Exit 0 when done, 1 when refused or failed, with the reason (naming the file) on stderr.
//! Both are recorded in the audit trail (`backup.create`, `backup.restore`).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::round;
use crate::backup::{self, AuditHead, BackupRequest, Pacing, Progress, RestoreRequest, Step};
use crate::domain::Permission;
use crate::paths::StationPaths;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A new or empty folder for the backup. Default: <data dir>/backups/<UTC time>.
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup folder (the one holding manifest.json).
    #[arg(value_name = "DIR")]
    pub backup: PathBuf,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Prints progress to stderr: each step's start and end, and a few lines a second between.
struct ProgressLine {
    what: &'static str,
    step: Option<Step>,
    ended: bool,
    last: Option<Instant>,
}

impl ProgressLine {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            step: None,
            ended: false,
            last: None,
        }
    }

    fn show(&mut self, progress: &Progress) {
        let new_step = self.step != Some(progress.step);
        if new_step {
            self.step = Some(progress.step);
            self.ended = false;
        }
        let finished =
            progress.done >= progress.total && progress.bytes_done >= progress.bytes_total;
        let due = self
            .last
            .is_none_or(|last| last.elapsed() >= Duration::from_millis(250));
        if finished {
            if self.ended {
                return;
            }
            self.ended = true;
        } else if !(new_step || due) {
            return;
        }
        self.last = Some(Instant::now());
        let mut line = format!(
            "{}: {} {}/{} {}",
            self.what,
            progress.step.as_str(),
            progress.done,
            progress.total,
            progress.step.unit()
        );
        if progress.bytes_total > 0 {
            line.push_str(&format!(
                ", {:.1}/{:.1} MB",
                progress.bytes_done as f64 / 1e6,
                progress.bytes_total as f64 / 1e6
            ));
        }
        // A closed stderr must not stop a backup.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

fn head_json(head: Option<&AuditHead>) -> serde_json::Value {
    head.map_or(
        serde_json::Value::Null,
        |head| json!({"row_id": head.row_id, "hash": head.hash}),
    )
}

fn head_text(head: Option<&AuditHead>) -> String {
    head.map_or_else(
        || "empty audit trail".to_owned(),
        |head| format!("audit head row {} hash {}", head.row_id, head.hash),
    )
}

pub fn run_backup(args: &BackupArgs, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let mut store = super::open_store(paths)?;
    let console = super::console_actor();
    store.require(
        &console,
        Permission::ManageStation,
        "make a backup",
        "backup",
        "",
    )?;
    let destination = args
        .to
        .clone()
        .unwrap_or_else(|| backup::default_destination(&paths.data_dir, crate::store::now_utc()));
    let request = BackupRequest {
        data_dir: paths.data_dir.clone(),
        database: paths.database.clone(),
        config_file: paths.config_file.clone(),
        destination,
        pacing: Pacing::default(),
    };
    let mut line = ProgressLine::new("backup");
    let report = backup::create(&request, &mut |progress| line.show(progress))?;
    store
        .append_audit(&backup::created_entry(&console, &report))
        .context("the backup is complete, but recording it in the audit trail failed")?;
    let manifest = &report.manifest;
    if args.json {
        println!(
            "{}",
            json!({
                "folder": report.folder,
                "created_at_utc": manifest.created_at_utc,
                "station_name": manifest.station_name,
                "schema_version": manifest.schema_version,
                "audit_head": head_json(manifest.audit_head.as_ref()),
                "audit_rows": manifest.audit_rows,
                "audit_sealed": manifest.audit_sealed,
                "files": manifest.files.len(),
                "bytes": manifest.total_bytes(),
                "elapsed_ms": round(report.elapsed.as_secs_f64() * 1e3, 1),
                "database_ms": round(report.database_elapsed.as_secs_f64() * 1e3, 1),
                "notes": report.notes,
            })
        );
    } else {
        for note in &report.notes {
            println!("note: {note}");
        }
        println!(
            "backup of {} written to {}: {} files, {:.1} MB in {:.1} s (database {:.1} s)",
            manifest.station_name,
            report.folder.display(),
            manifest.files.len(),
            manifest.total_bytes() as f64 / 1e6,
            report.elapsed.as_secs_f64(),
            report.database_elapsed.as_secs_f64()
        );
        println!(
            "{} ({} rows{}); keep this hash somewhere else too",
            head_text(manifest.audit_head.as_ref()),
            manifest.audit_rows,
            if manifest.audit_sealed {
                ", sealed"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_restore(args: &RestoreArgs, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    // No store is opened here: the station's database must be closed for a restore.
    let request = RestoreRequest {
        backup: args.backup.clone(),
        data_dir: paths.data_dir.clone(),
        actor: super::console_actor(),
        pacing: Pacing::default(),
    };
    let mut line = ProgressLine::new("restore");
    let report = backup::restore(&request, &mut |progress| line.show(progress))?;
    let manifest = &report.manifest;
    let previous = report.previous_head.as_ref().map(|head| AuditHead {
        row_id: head.row_id,
        hash: head.hash.clone(),
    });
    if args.json {
        println!(
            "{}",
            json!({
                "restored_from": args.backup,
                "created_at_utc": manifest.created_at_utc,
                "station_name": manifest.station_name,
                "audit_head": head_json(manifest.audit_head.as_ref()),
                "files": manifest.files.len(),
                "bytes": manifest.total_bytes(),
                "set_aside": report.set_aside,
                "moved_aside": report.moved_aside,
                "previous_head": head_json(previous.as_ref()),
                "audit_row": report.audit_row_id,
                "audit_intact": report.audit.is_intact(),
                "elapsed_ms": round(report.elapsed.as_secs_f64() * 1e3, 1),
            })
        );
    } else {
        println!(
            "restored {} from {} (made {}): {} files, {:.1} MB in {:.1} s",
            manifest.station_name,
            args.backup.display(),
            manifest.created_at_utc,
            manifest.files.len(),
            manifest.total_bytes() as f64 / 1e6,
            report.elapsed.as_secs_f64()
        );
        println!("{}", head_text(manifest.audit_head.as_ref()));
        if let Some(aside) = &report.set_aside {
            println!(
                "the data it replaced ({}) is in {}; the station's head before was: {}",
                report.moved_aside.join(", "),
                aside.display(),
                head_text(previous.as_ref())
            );
        }
        println!(
            "audit trail {} after recording the restore as row {}",
            if report.audit.is_intact() {
                "intact"
            } else {
                "BROKEN"
            },
            report.audit_row_id
        );
    }
    Ok(if report.audit.is_intact() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
