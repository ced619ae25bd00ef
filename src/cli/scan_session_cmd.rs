//! `qcstation scan-session --name NAME [--batch ID | --lot C-V-L | --expect FILE] IMAGE...`: a
//! scan session on image files, recorded in the station database like one on the Scan panel.
//! Each image is one view: every code in it is judged by the store (known, unknown, duplicate,
//! wrong lot, wrong status); a code in a later image again is a duplicate. The session is closed
//! at the end and its summary printed (`--csv FILE` writes the report too); a failure part-way
//! closes it with what was recorded. Exit code 0 when every image gave a code, every expected
//! part was seen and every scan was known; 1 otherwise.
//!
//! With `--json`, one object per scan per line, `{"image", "code", "result", "item_status",
//! "detail"}`, then one summary line `{"session", "name", "expected", "seen_expected", "seen",
//! "missing": [...], "extra": [...], "counts": {RESULT: N}}`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::{console_actor, open_store};
use crate::paths::StationPaths;
use crate::scan::ScanOptions;
use crate::scan::isolate::IsolatedDecoder;
use crate::scan::session_report::session_csv;
use crate::store::{Expected, ScanResult};

#[derive(Debug, Args)]
pub struct ScanSessionArgs {
    /// What the session is called (a work order, a delivery, a shelf).
    #[arg(long)]
    pub name: String,
    /// Scan against the items of this allocation batch.
    #[arg(long, value_name = "ID", conflicts_with_all = ["lot", "expect"])]
    pub batch: Option<i64>,
    /// Scan against the items of a lot, written COMPONENT-VENDOR-LOT (PAD-V0100-L2025-09).
    #[arg(long, value_name = "LOT", conflicts_with = "expect")]
    pub lot: Option<String>,
    /// Scan against the UIDs in a text file, one per line.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Image files, each one view of the reader.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// Also write the session's report as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

fn expected(args: &ScanSessionArgs) -> anyhow::Result<Expected> {
    if let Some(batch) = args.batch {
        return Ok(Expected::Batch(batch));
    }
    if let Some(lot) = &args.lot {
        let parts: Vec<&str> = lot.trim().splitn(3, '-').collect();
        let [component, vendor, lot] = parts.as_slice() else {
            anyhow::bail!("--lot {lot:?} is not COMPONENT-VENDOR-LOT, e.g. PAD-V0100-L2025-09");
        };
        return Ok(Expected::Lot {
            component: (*component).to_owned(),
            vendor: (*vendor).to_owned(),
            lot: (*lot).to_owned(),
        });
    }
    if let Some(file) = &args.expect {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the expected UIDs from {}", file.display()))?;
        return Ok(Expected::List(
            text.lines().map(|line| line.trim().to_owned()).collect(),
        ));
    }
    Ok(Expected::Nothing)
}

pub fn run(args: &ScanSessionArgs, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let expected = expected(args)?;
    let mut store = open_store(paths)?;
    let actor = console_actor();
    let session = store
        .start_scan_session(&actor, &args.name, &expected)
        .context("starting the scan session")?;
    let scanned = scan_images(&mut store, &actor, session.id, args);
    let all_read = match scanned {
        Ok(all_read) => all_read,
        Err(err) => {
            // Not left open for the panel to find: what was recorded stays, the session closes.
            let _ = store.close_scan_session(&actor, session.id);
            return Err(err.context(format!(
                "scan session {} was closed after what was recorded",
                session.id
            )));
        }
    };
    let summary = store
        .close_scan_session(&actor, session.id)
        .context("closing the scan session")?;
    let counts: serde_json::Map<String, serde_json::Value> = ScanResult::ALL
        .iter()
        .map(|result| {
            (
                result.as_str().to_owned(),
                json!(summary.counts.get(result).copied().unwrap_or(0)),
            )
        })
        .collect();
    if args.json {
        println!(
            "{}",
            json!({
                "session": session.id,
                "name": session.name,
                "expected": summary.expected,
                "seen_expected": summary.seen_expected,
                "seen": summary.seen,
                "missing": summary.missing,
                "extra": summary.extra,
                "counts": counts,
            })
        );
    } else {
        println!(
            "session {} ({}): {} of {} expected seen, {} distinct codes",
            session.id, session.name, summary.seen_expected, summary.expected, summary.seen
        );
        for uid in &summary.missing {
            println!("  missing {uid}");
        }
        for code in &summary.extra {
            println!("  extra   {code}");
        }
    }
    if let Some(csv) = &args.csv {
        let closed = store
            .scan_session(session.id)?
            .context("the session vanished")?;
        let scans = store.scans(session.id, 0)?;
        std::fs::write(csv, session_csv(&closed, &summary, &scans))
            .with_context(|| format!("writing {}", csv.display()))?;
    }
    let clean = all_read
        && summary.missing.is_empty()
        && summary
            .counts
            .iter()
            .all(|(result, &count)| *result == ScanResult::Known || count == 0);
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Decodes each image and records its codes; whether every image gave a code.
fn scan_images(
    store: &mut crate::store::Store,
    actor: &crate::domain::Actor,
    session_id: i64,
    args: &ScanSessionArgs,
) -> anyhow::Result<bool> {
    let options = ScanOptions::default();
    let mut decoder = IsolatedDecoder::for_budget(options.budget);
    let mut all_read = true;
    for path in &args.images {
        // The same reading as `qcstation scan`: every error names the file.
        let codes = match super::scan_cmd::scan_file(path, &mut decoder, options) {
            Ok(codes) => codes,
            Err(err) => {
                eprintln!("error: {err:#}");
                all_read = false;
                continue;
            }
        };
        if codes.is_empty() {
            eprintln!("{}: no code", path.display());
            all_read = false;
        }
        for code in codes {
            let scan = store
                .record_scan(actor, session_id, &code.text, None)
                .with_context(|| format!("recording {:?} from {}", code.text, path.display()))?;
            if args.json {
                println!(
                    "{}",
                    json!({
                        "image": path.display().to_string(),
                        "code": scan.code_text,
                        "result": scan.result.as_str(),
                        "item_status": scan.item_status,
                        "detail": scan.detail,
                    })
                );
            } else {
                println!(
                    "{}: {} -> {}{}",
                    path.display(),
                    scan.code_text,
                    scan.result.words(),
                    scan.detail
                        .as_deref()
                        .map(|detail| format!(" ({detail})"))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(all_read)
}
