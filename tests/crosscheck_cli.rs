//! The cross-check through the real binary on generated packs (`docs::synth::write_pack`): the
//! exit code is the pack's expected verdict (0 PASS, 1 WARNING, 2 FAIL), the `--json` contract's
//! keys, a scripted FAIL named by its check, `--report` writing a PDF, and a damaged file
//! failing alone with its name while the verdict is still given.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::{json_keys, qcstation};
use qcstation::docs::synth::{PackAnswer, PackOptions, Status, write_pack};

fn pack(dir: &Path, seed: u64) -> (PackAnswer, Vec<PathBuf>) {
    let answer = write_pack(dir, seed, &PackOptions::default()).unwrap();
    let files = answer
        .files
        .iter()
        .map(|file| dir.join(&file.name))
        .collect();
    (answer, files)
}

fn run(files: &[PathBuf], extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["crosscheck", "--json"];
    args.extend(extra);
    args.extend(files.iter().map(|p| p.to_str().unwrap()));
    let output = qcstation(&args);
    let value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code(), value)
}

#[test]
fn a_pack_with_a_foreign_part_code_fails_on_check_3_and_the_report_is_written() {
    let dir = tempfile::tempdir().unwrap();
    // Seed 502: one photographed part code is not in the BOM (check 3 FAIL).
    let (answer, files) = pack(dir.path(), 502);
    assert_eq!(answer.expected_verdict, Status::Fail);
    assert!(
        answer
            .deviations
            .iter()
            .any(|d| d.check == 3 && d.status == Status::Fail)
    );
    // The pack's folder stands for its files (answer.json is not one of them).
    let (code, value) = run(&[dir.path().to_owned()], &[]);
    assert_eq!(code, Some(2), "{value}");
    assert_eq!(value["files"].as_array().unwrap().len(), files.len());
    let report = dir.path().join("report.pdf");
    let (code, value) = run(&files, &["--report", report.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{value}");
    assert_eq!(value["verdict"], "FAIL");
    let keys = json_keys(&value);
    assert_eq!(keys, ["checks", "elapsed_ms", "files", "verdict"]);
    let checks = value["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 9);
    let check3 = &checks[2];
    assert_eq!(
        (check3["number"].as_u64(), check3["status"].as_str()),
        (Some(3), Some("FAIL"))
    );
    let part = &check3["values"][0];
    for key in [
        "field",
        "value",
        "raw",
        "confidence",
        "corrected",
        "source",
        "file",
        "at",
    ] {
        assert!(part.get(key).is_some(), "value without {key}: {part}");
    }
    assert_eq!(value["files"].as_array().unwrap().len(), files.len());
    assert!(
        value["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "done")
    );
    let pdf = std::fs::read(&report).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(String::from_utf8_lossy(&pdf).contains("(FAIL) Tj"));
}

#[test]
fn a_missing_photo_warns_and_a_damaged_file_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    // Seed 501: a traveler and a BOM, no photo (check 8 WARNING).
    let (answer, mut files) = pack(dir.path(), 501);
    assert_eq!(answer.expected_verdict, Status::Warning);
    let (code, value) = run(&files, &[]);
    assert_eq!(code, Some(1), "{value}");
    assert_eq!(value["checks"][7]["status"], "WARNING");
    assert_eq!(value["checks"][2]["status"], "SKIPPED");

    let damaged = dir.path().join("damaged.xlsx");
    std::fs::write(&damaged, b"PK\x03\x04 this is no workbook").unwrap();
    files.push(damaged);
    let (code, value) = run(&files, &[]);
    assert_eq!(code, Some(1), "{value}");
    let failed = &value["files"][files.len() - 1];
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("damaged.xlsx"),
        "{failed}"
    );
}
