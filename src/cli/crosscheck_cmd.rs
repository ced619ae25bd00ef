//! `qcstation crosscheck FILE... [--json] [--report OUT.pdf]`: the QC cross-check of one build's
//! files (traveler PDF, BOM spreadsheet or CSV, product photos), with the station's field
//! patterns (`[crosscheck]` in the config). Exit code 0 PASS, 1 WARNING, 2 FAIL. A folder stands
//! for its accepted files, as in the panel (`runtime::session_files`). A file that cannot be
//! read fails alone (its reason is printed and listed); the verdict is still given.
//!
//! With `--json`, one object (a contract other tools parse):
//! `{"verdict", "checks": [{"number", "name", "priority", "status", "message", "values":
//! [VALUE...]}], "files": [{"name", "kind", "status": "done"|"failed", "error", "fields": [VALUE...],
//! "lines", "bom_rows", "images_read", "elapsed_ms"}], "elapsed_ms"}` where VALUE is
//! `{"field", "value", "raw", "confidence", "normalised", "prefix_added", "corrected", "source",
//! "file", "at", "part_of"}` and `at` is `{"kind": "page", "page", "bbox_pt"}`, `{"kind": "cell",
//! "sheet", "row", "col"}` or `{"kind": "image_box", "page", "quad_px"}`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use serde_json::json;

use super::round;
use crate::config::Config;
use crate::docs::Limits;
use crate::domain::crosscheck::{CheckResult, FieldValue};
use crate::report::{ReportFile, crosscheck_pdf};
use crate::runtime::{
    CrosscheckOutcome, FileOutcome, InputFile, OcrState, check_files, session_files,
};

#[derive(Debug, Args)]
pub struct CrosscheckArgs {
    /// The build's files: traveler PDF, BOM (.xlsx, .xls, .xlsm, .ods, .csv), photos; or
    /// folders holding them.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// One JSON object with the verdict, the checks and the files.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as a PDF.
    #[arg(long, value_name = "OUT.pdf")]
    pub report: Option<PathBuf>,
}

pub fn run(args: &CrosscheckArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let patterns = config
        .crosscheck
        .compile()
        .map_err(|err| anyhow::anyhow!("[crosscheck] in the config: {err}"))?;
    let mut paths = Vec::with_capacity(args.files.len());
    for path in &args.files {
        if path.is_dir() {
            paths.extend(session_files(std::slice::from_ref(path)).map_err(anyhow::Error::msg)?);
        } else {
            // A missing file is kept: it fails alone, named, and the verdict still comes.
            paths.push(path.clone());
        }
    }
    let files: Vec<InputFile> = paths.iter().map(|path| InputFile::at(path)).collect();
    let mut ocr = OcrState::station();
    let outcome = check_files(&files, &Limits::default(), &mut ocr, &patterns);
    for file in &outcome.files {
        if let Some(error) = &file.error {
            eprintln!("error: {error}");
        }
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    if args.json {
        println!("{}", outcome_json(&outcome, elapsed_ms));
    } else {
        print_text(&outcome, elapsed_ms);
    }
    if let Some(path) = &args.report {
        let title = files
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let created = format!(
            "Checked {} UTC by qcstation crosscheck",
            crate::store::now_utc().format("%Y-%m-%d %H:%M")
        );
        let pdf = crosscheck_pdf(
            &title,
            &created,
            outcome.verdict,
            &outcome.checks,
            &report_files(&outcome.files),
        );
        std::fs::write(path, pdf)
            .with_context(|| format!("writing the report {}", path.display()))?;
    }
    Ok(ExitCode::from(outcome.verdict.exit_code()))
}

/// The files as the report lists them.
fn report_files(files: &[FileOutcome]) -> Vec<ReportFile> {
    files
        .iter()
        .map(|file| ReportFile {
            name: file.name.clone(),
            kind: file.kind.map_or("?", |kind| kind.as_str()).to_owned(),
            summary: match &file.error {
                Some(error) => format!("failed: {error}"),
                None => read_words(file),
            },
        })
        .collect()
}

/// What a file that was read gave, in words.
fn read_words(file: &FileOutcome) -> String {
    format!(
        "{} fields from {} lines, {} BOM rows, {} images read",
        file.fields.len(),
        file.lines,
        file.bom_rows,
        file.images_read
    )
}

fn print_text(outcome: &CrosscheckOutcome, elapsed_ms: f64) {
    println!("{}  ({elapsed_ms:.0} ms)", outcome.verdict.as_str());
    for check in &outcome.checks {
        println!(
            "  {:>2}. {:<8} {:<7} {}: {}",
            check.number,
            check.status.as_str(),
            check.priority.as_str(),
            check.name,
            check.message
        );
    }
    for file in &outcome.files {
        let kind = file.kind.map_or("?", |kind| kind.as_str());
        match &file.error {
            Some(_) => println!("  file {} ({kind}): failed", file.name),
            None => println!("  file {} ({kind}): {}", file.name, read_words(file)),
        }
    }
}

/// The outcome as the `--json` contract gives it.
fn outcome_json(outcome: &CrosscheckOutcome, elapsed_ms: f64) -> serde_json::Value {
    json!({
        "verdict": outcome.verdict.as_str(),
        "checks": outcome.checks.iter().map(check_json).collect::<Vec<_>>(),
        "files": outcome.files.iter().map(file_json).collect::<Vec<_>>(),
        "elapsed_ms": round(elapsed_ms, 1),
    })
}

fn check_json(check: &CheckResult) -> serde_json::Value {
    json!({
        "number": check.number,
        "name": check.name,
        "priority": check.priority.as_str(),
        "status": check.status.as_str(),
        "message": check.message,
        "values": check.values.iter().map(value_json).collect::<Vec<_>>(),
    })
}

fn file_json(file: &FileOutcome) -> serde_json::Value {
    json!({
        "name": file.name,
        "kind": file.kind.map(|kind| kind.as_str()),
        "status": if file.error.is_none() { "done" } else { "failed" },
        "error": file.error,
        "fields": file.fields.iter().map(value_json).collect::<Vec<_>>(),
        "lines": file.lines,
        "bom_rows": file.bom_rows,
        "images_read": file.images_read,
        "elapsed_ms": round(file.elapsed_ms, 1),
    })
}

fn value_json(value: &FieldValue) -> serde_json::Value {
    json!({
        "field": value.kind.as_str(),
        "value": value.value.value,
        "raw": value.value.raw,
        "confidence": round(f64::from(value.value.confidence), 4),
        "normalised": value.value.normalised,
        "prefix_added": value.value.prefix_added,
        "corrected": !value.value.corrections.is_empty(),
        "source": value.source.as_str(),
        "file": value.provenance.file,
        "at": rounded(serde_json::to_value(&value.provenance.at).unwrap_or(serde_json::Value::Null)),
        "part_of": value.part_of,
    })
}

/// Coordinates to one decimal (points and pixels), whole numbers left whole.
fn rounded(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(number) if number.is_f64() => {
            json!(round(number.as_f64().unwrap_or(f64::NAN), 1))
        }
        serde_json::Value::Array(items) => items.into_iter().map(rounded).collect(),
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(key, item)| (key, rounded(item)))
            .collect(),
        other => other,
    }
}
