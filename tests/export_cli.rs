//! `qcstation export` through the built binary on a real station database: headers and row
//! counts, CSV quoting of a value with a comma, quotes and a newline, `--from`/`--to` filtering
//! on the table's time column, and an unknown table or a bad date refused with exit 1 and a
//! message naming what was wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, TimeZone as _, Utc};
use common::{actor, demo_station, inspection, stderr};
use qcstation::domain::orders::{IssueType, WorkOrder};
use qcstation::domain::{Disposition, Verdict};
use qcstation::store::{AuditFilter, DispositionOutcome, SecretCheck};

const AWKWARD: &str = "jammed, \"badly\"\nsee the photo";

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
}

const REASON: &str = "REJECT zone \"face\": pore #1 Ø 1.20 mm, max 0.60 mm";

/// A production station (a config file, so nothing is seeded by the binary) with the demo users,
/// two work orders (5 and 9 March 2026), an issue with an awkward description on the first, and
/// two inspections: an accepted part and a rejected one that erik scrapped.
fn station() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_station(dir.path());
    let erik = actor(&store, "erik");
    let olga = actor(&store, "olga");
    let first = store
        .create_work_order(
            &erik,
            &WorkOrder::new("TC-1", "L7", 40, at(5, 6), at(5, 16)).unwrap(),
        )
        .unwrap();
    store
        .create_work_order(
            &erik,
            &WorkOrder::new("TC-2", "L8", 12, at(9, 6), at(9, 16)).unwrap(),
        )
        .unwrap();
    let stage = &store.work_order_stages(first.id).unwrap()[0];
    store
        .raise_issue(&olga, stage.id, IssueType::Machine, AWKWARD)
        .unwrap();
    store
        .save_inspection(&inspection(1, "Porosity A", Verdict::Accept, 0))
        .unwrap();
    let rejected = store
        .save_inspection(&inspection(2, "Porosity A", Verdict::Reject, 0))
        .unwrap();
    // The signature check itself (the secret typed again) is the store's tests' business.
    let signature = SecretCheck {
        stored: store.stored_secret("erik").unwrap().unwrap(),
        matches: true,
    };
    let outcome = store
        .dispose(
            &erik,
            rejected,
            Disposition::Scrap,
            "leak, path",
            &signature,
        )
        .unwrap();
    assert!(
        matches!(outcome, DispositionOutcome::Recorded(_)),
        "{outcome:?}"
    );
    dir
}

fn export(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .arg("--data-dir")
        .arg(dir)
        .arg("export")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// The header and the records of CSV text, parsed back.
fn parse(text: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_reader(text);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader.records().map(Result::unwrap).collect();
    (header, records)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|column| column == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

#[test]
fn work_orders_are_written_to_a_file_with_their_stage_counts() {
    let dir = station();
    let out = dir.path().join("orders.csv");
    let output = export(dir.path(), &["work_orders", "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("2 rows written to {}", out.display())),
        "{}",
        stderr(&output)
    );
    let (header, rows) = parse(&std::fs::read(&out).unwrap());
    assert_eq!(
        header,
        [
            "id",
            "product_code",
            "lot",
            "quantity",
            "status",
            "planned_start_utc",
            "planned_end_utc",
            "created_by",
            "created_at_utc",
            "stages",
            "stages_done",
            "stages_blocked",
            "open_issues"
        ]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "TC-1");
    assert_eq!(&rows[0][3], "40");
    assert_eq!(&rows[0][5], "2026-03-05T06:00:00.000Z");
    assert_eq!(&rows[0][7], "erik");
    assert_eq!(&rows[0][9], "5");
    assert_eq!(&rows[0][12], "1");
    assert_eq!(&rows[1][1], "TC-2");
    assert_eq!(&rows[1][12], "0");
    // No temporary file is left beside the export.
    assert!(!dir.path().join("orders.csv.partial").exists());

    // Filtered on planned_start_utc: --from inclusive, --to exclusive.
    for (args, products) in [
        (vec!["--from", "2026-03-06"], vec!["TC-2"]),
        (vec!["--to", "2026-03-06"], vec!["TC-1"]),
        (vec!["--from", "2026-03-05T06:00:00Z"], vec!["TC-1", "TC-2"]),
        (vec!["--to", "2026-03-09T06:00:00Z"], vec!["TC-1"]),
        (vec!["--from", "2026-03-10", "--to", "2026-04-01"], vec![]),
    ] {
        let mut all = vec!["work_orders", "--out", "-"];
        all.extend(&args);
        let output = export(dir.path(), &all);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let (_, rows) = parse(&output.stdout);
        let got: Vec<&str> = rows.iter().map(|row| &row[1]).collect();
        assert_eq!(got, products, "{args:?}");
    }
}

#[test]
fn a_value_with_a_comma_quotes_and_a_newline_is_quoted_and_reads_back() {
    let dir = station();
    let output = export(dir.path(), &["issues", "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("1 rows written to standard output"));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(
        text.contains("\"jammed, \"\"badly\"\"\nsee the photo\""),
        "{text}"
    );
    let (header, rows) = parse(&output.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][column(&header, "description")], AWKWARD);
    assert_eq!(&rows[0][column(&header, "stage_name")], "kitting");
    assert_eq!(&rows[0][column(&header, "issue_type")], "machine");
    assert_eq!(&rows[0][column(&header, "raised_by")], "olga");
    assert_eq!(&rows[0][column(&header, "resolved_at_utc")], "");

    // Two orders of five stages each.
    let output = export(dir.path(), &["stages", "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(parse(&output.stdout).1.len(), 10);
}

#[test]
fn audit_rows_are_filtered_on_their_time() {
    let dir = station();
    let stored = qcstation::store::Store::open(&dir.path().join("station.sqlite"))
        .unwrap()
        .reader()
        .unwrap()
        .audit(&AuditFilter {
            limit: 10_000,
            ..AuditFilter::default()
        })
        .unwrap();
    assert!(stored.len() >= 5, "{}", stored.len());
    let mut times: Vec<String> = stored.iter().map(|row| row.at_utc.clone()).collect();
    times.sort();
    let cut = times[times.len() / 2].clone();
    let at_or_after = times.iter().filter(|at| **at >= cut).count();

    let output = export(dir.path(), &["audit", "--from", &cut, "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, rows) = parse(&output.stdout);
    assert_eq!(
        header,
        [
            "id",
            "at_utc",
            "user_name",
            "action",
            "entity",
            "entity_id",
            "old_value",
            "new_value",
            "reason",
            "hash_scheme",
            "prev_hash",
            "hash"
        ]
    );
    assert_eq!(rows.len(), at_or_after);
    assert!(rows.iter().all(|row| row[1] >= *cut));
    assert!(
        stderr(&output).contains(&format!("{at_or_after} rows written")),
        "{}",
        stderr(&output)
    );

    let output = export(dir.path(), &["audit", "--to", &cut, "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, before) = parse(&output.stdout);
    assert_eq!(before.len(), times.len() - at_or_after);
    assert!(before.iter().all(|row| row[1] < *cut));

    // Today's dates hold the whole trail; a range in the past holds none of it.
    let today = Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let output = export(
        dir.path(),
        &[
            "audit",
            "--from",
            &today.to_string(),
            "--to",
            &tomorrow.to_string(),
            "--out",
            "-",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, rows) = parse(&output.stdout);
    // A run that crosses midnight UTC may split the trail; it never adds to it.
    assert!(rows.len() <= times.len() && !rows.is_empty());
    let output = export(
        dir.path(),
        &[
            "audit",
            "--from",
            "2020-01-01",
            "--to",
            "2020-02-01",
            "--out",
            "-",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(parse(&output.stdout).1.len(), 0);
    assert!(stderr(&output).contains("0 rows written"));
}

#[test]
fn inspections_keep_their_json_and_dispositions_hold_the_decided_ones() {
    let dir = station();
    let output = export(dir.path(), &["inspections", "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, rows) = parse(&output.stdout);
    assert_eq!(rows.len(), 2);
    let reasons = column(&header, "reasons_json");
    assert_eq!(&rows[0][reasons], "[]");
    let parsed: Vec<String> = serde_json::from_str(&rows[1][reasons]).unwrap();
    assert_eq!(parsed, [REASON]);
    assert_eq!(&rows[1][column(&header, "verdict")], "REJECT");
    assert_eq!(&rows[1][column(&header, "disposition")], "scrap");
    assert_eq!(&rows[0][column(&header, "serial")], "SN-0001");
    assert!(rows[0][column(&header, "at_utc")].ends_with('Z'));

    let output = export(dir.path(), &["dispositions", "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, rows) = parse(&output.stdout);
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][column(&header, "disposition")], "scrap");
    assert_eq!(&rows[0][column(&header, "disposition_by")], "erik");
    assert_eq!(
        &rows[0][column(&header, "disposition_reason")],
        "leak, path"
    );
    assert_eq!(&rows[0][column(&header, "serial")], "SN-0002");

    // Decided today, so a range ending at midnight this morning holds none.
    let today = Utc::now().date_naive().to_string();
    let output = export(dir.path(), &["dispositions", "--to", &today, "--out", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(parse(&output.stdout).1.len(), 0);
}

#[test]
fn every_table_exports_with_its_header() {
    let dir = station();
    for table in [
        "inspections",
        "dispositions",
        "engraving_jobs",
        "scans",
        "work_orders",
        "stages",
        "issues",
        "audit",
    ] {
        let output = export(dir.path(), &[table, "--out", "-"]);
        assert!(output.status.success(), "{table}: {}", stderr(&output));
        let (header, _) = parse(&output.stdout);
        assert!(header[0].ends_with("id"), "{table}: {header:?}");
    }
}

#[test]
fn an_unknown_table_or_a_bad_date_is_refused_naming_it() {
    let dir = station();
    let output = export(dir.path(), &["parts", "--out", "-"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("unknown table \"parts\""), "{message}");
    assert!(
        message.contains(
            "inspections, dispositions, engraving_jobs, scans, work_orders, stages, issues, audit"
        ),
        "{message}"
    );
    assert!(output.stdout.is_empty());

    let out = dir.path().join("audit.csv");
    let output = export(
        dir.path(),
        &[
            "audit",
            "--from",
            "05/03/2026",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("--from \"05/03/2026\""), "{message}");
    assert!(message.contains("YYYY-MM-DD"), "{message}");
    assert!(!out.exists());

    let output = export(
        dir.path(),
        &[
            "audit",
            "--from",
            "2026-03-09",
            "--to",
            "2026-03-05",
            "--out",
            "-",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--from"), "{}", stderr(&output));

    let output = export(
        dir.path(),
        &[
            "audit",
            "--out",
            dir.path().join("no/such/dir/a.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no/such/dir"),
        "{}",
        stderr(&output)
    );
}
