//! `qcstation orders` through the built binary on a demo station (ada admin, erik engineer, olga
//! operator, vic viewer): create, list, show, stage moves, assignment, "my work", issues, and the
//! refusals (an illegal move, a viewer) with exit 1 and the store's message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{demo_station, stderr};

/// Runs `qcstation --data-dir DIR orders ARGS`, as `user` (secret on stdin) when given.
fn orders(data_dir: &Path, user: Option<(&str, &str)>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qcstation"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .arg("orders")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some((name, _)) = user {
        command.args(["--as", name, "--secret-stdin"]);
    }
    let mut child = command.args(args).spawn().unwrap();
    if let Some((_, secret)) = user {
        let written = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{secret}\n").as_bytes());
        if let Err(err) = written {
            assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        stdout(&output),
        stderr(&output)
    );
    output
}

const OLGA: Option<(&str, &str)> = Some(("olga", "1234"));
const ERIK: Option<(&str, &str)> = Some(("erik", "Demo-engineer-2026"));
const VIC: Option<(&str, &str)> = Some(("vic", "0000"));

/// A station (config file, demo users) with one order of P-100; its id and its stage ids.
fn station_with_order(dir: &Path) -> (i64, Vec<i64>) {
    drop(demo_station(dir));
    ok(orders(
        dir,
        ERIK,
        &[
            "create",
            "--product",
            "P-100",
            "--lot",
            "L-7",
            "--quantity",
            "12",
            "--start",
            "2026-03-02",
            "--end",
            "2026-03-03T08:00:00Z",
        ],
    ));
    let shown = ok(orders(dir, None, &["show", "1", "--json"]));
    let value: serde_json::Value = serde_json::from_str(stdout(&shown).trim()).unwrap();
    let stages = value["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|stage| stage["id"].as_i64().unwrap())
        .collect();
    (value["id"].as_i64().unwrap(), stages)
}

#[test]
fn create_list_and_move_stages_refusing_an_illegal_move() {
    let dir = tempfile::tempdir().unwrap();
    let (id, stages) = station_with_order(dir.path());
    assert_eq!(id, 1);
    assert!(!stages.is_empty());

    let listed = ok(orders(
        dir.path(),
        None,
        &[
            "list",
            "--product",
            "P-100",
            "--from",
            "2026-03-01",
            "--json",
        ],
    ));
    let lines = common::json_lines(&listed);
    assert_eq!(lines.len(), 1);
    let order = lines[0].as_object().unwrap();
    for key in [
        "id",
        "product",
        "lot",
        "quantity",
        "status",
        "planned_start_utc",
        "planned_end_utc",
        "created_by",
        "created_at_utc",
    ] {
        assert!(order.contains_key(key), "missing {key}: {order:?}");
    }
    assert_eq!(order["status"], "planned");
    assert_eq!(order["created_by"], "erik");
    // Outside the window: nothing.
    let none = ok(orders(
        dir.path(),
        None,
        &["list", "--to", "2026-03-01", "--json"],
    ));
    assert!(common::json_lines(&none).is_empty());
    // A bare --to date counts its whole day: the order starting at 00:00 that day is in.
    let that_day = ok(orders(
        dir.path(),
        None,
        &["list", "--to", "2026-03-02", "--json"],
    ));
    assert_eq!(common::json_lines(&that_day).len(), 1);
    // As text: one line per order, then the count.
    let text = stdout(&ok(orders(dir.path(), None, &["list"])));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("order 1 ") && lines[0].contains("P-100"),
        "{text}"
    );
    assert_eq!(lines[1], "1 work order(s)");

    let first = stages[0].to_string();
    let started = ok(orders(dir.path(), OLGA, &["stage", &first, "start"]));
    assert!(
        stdout(&started).contains("planned -> in_progress"),
        "{}",
        stdout(&started)
    );
    let in_progress = ok(orders(
        dir.path(),
        None,
        &["list", "--status", "in_progress", "--json"],
    ));
    assert_eq!(common::json_lines(&in_progress).len(), 1);
    ok(orders(dir.path(), OLGA, &["stage", &first, "finish"]));

    // A done stage cannot start again: exit 1 naming what is allowed.
    let refused = orders(dir.path(), OLGA, &["stage", &first, "start"]);
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(message.contains("cannot start"), "{message}");
    assert!(message.contains("allowed"), "{message}");

    let shown = ok(orders(dir.path(), None, &["show", "1", "--json"]));
    let value: serde_json::Value = serde_json::from_str(stdout(&shown).trim()).unwrap();
    assert_eq!(value["stages"][0]["status"], "done");
    assert!(value["stages"][0]["actual_end_utc"].is_string());
}

#[test]
fn assigned_stages_are_my_work_and_issues_are_raised_then_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stages) = station_with_order(dir.path());
    let second = stages[1].to_string();
    ok(orders(dir.path(), ERIK, &["assign", &second, "olga"]));
    let mine = ok(orders(dir.path(), OLGA, &["my-work", "--json"]));
    let lines = common::json_lines(&mine);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"].as_i64(), Some(stages[1]));
    assert_eq!(lines[0]["assigned_to"], "olga");

    let raised = ok(orders(
        dir.path(),
        OLGA,
        &[
            "issue",
            "raise",
            &second,
            "--type",
            "material",
            "--text",
            "short of M4 screws",
        ],
    ));
    assert!(stdout(&raised).contains("open"), "{}", stdout(&raised));
    let open = ok(orders(
        dir.path(),
        None,
        &["issues", "--status", "open", "--json"],
    ));
    let lines = common::json_lines(&open);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["type"], "material");
    assert_eq!(lines[0]["raised_by"], "olga");
    let issue = lines[0]["id"].as_i64().unwrap().to_string();

    // Resolving before acknowledging is refused, naming the allowed action.
    let early = orders(
        dir.path(),
        ERIK,
        &["issue", "resolve", &issue, "--note", "restocked"],
    );
    assert_eq!(early.status.code(), Some(1));
    assert!(stderr(&early).contains("acknowledge"), "{}", stderr(&early));

    ok(orders(dir.path(), ERIK, &["issue", "ack", &issue]));
    ok(orders(
        dir.path(),
        ERIK,
        &["issue", "resolve", &issue, "--note", "restocked"],
    ));
    let resolved = ok(orders(
        dir.path(),
        None,
        &["issues", "--order", "1", "--type", "material", "--json"],
    ));
    let lines = common::json_lines(&resolved);
    assert_eq!(lines[0]["status"], "resolved");
    assert_eq!(lines[0]["resolution"], "restocked");
    assert_eq!(lines[0]["resolved_by"], "erik");
    let shown = ok(orders(dir.path(), None, &["show", "1", "--json"]));
    let value: serde_json::Value = serde_json::from_str(stdout(&shown).trim()).unwrap();
    assert_eq!(value["open_issues"].as_array().unwrap().len(), 0);
}

#[test]
fn a_viewer_an_operator_planning_and_a_wrong_secret_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stages) = station_with_order(dir.path());
    let first = stages[0].to_string();

    let viewer = orders(dir.path(), VIC, &["stage", &first, "start"]);
    assert_eq!(viewer.status.code(), Some(1));
    assert!(stderr(&viewer).contains("may not"), "{}", stderr(&viewer));
    let viewer_issue = orders(
        dir.path(),
        VIC,
        &[
            "issue",
            "raise",
            &first,
            "--type",
            "safety",
            "--text",
            "oil on floor",
        ],
    );
    assert_eq!(viewer_issue.status.code(), Some(1));

    let operator = orders(dir.path(), OLGA, &["assign", &first, "olga"]);
    assert_eq!(operator.status.code(), Some(1));
    assert!(
        stderr(&operator).contains("may not"),
        "{}",
        stderr(&operator)
    );

    let wrong = orders(
        dir.path(),
        Some(("olga", "9999")),
        &["stage", &first, "start"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("refused"), "{}", stderr(&wrong));

    // A bad field is named.
    let bad = orders(
        dir.path(),
        ERIK,
        &[
            "create",
            "--product",
            "P-100",
            "--lot",
            "L-8",
            "--quantity",
            "0",
            "--start",
            "2026-03-02",
            "--end",
            "2026-03-03",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("quantity"), "{}", stderr(&bad));

    // Nothing moved.
    let shown = ok(orders(dir.path(), None, &["show", "1", "--json"]));
    let value: serde_json::Value = serde_json::from_str(stdout(&shown).trim()).unwrap();
    assert_eq!(value["stages"][0]["status"], "planned");
}
