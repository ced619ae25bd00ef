//! `qcstation grbl-sim`, `laser stream` and `laser status` as a plant would run them: the real
//! binary on both ends of a pseudo-terminal, exit codes and the `--json` shape.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_qcstation");

struct Sim {
    child: Child,
    port: String,
}

impl Sim {
    fn start(data_dir: &Path, time_scale: &str) -> Self {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["grbl-sim", "--time-scale", time_scale])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut first)
            .unwrap();
        let port = first.trim().to_owned();
        assert!(port.starts_with("/dev/"), "grbl-sim printed {first:?}");
        Self { child, port }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn qcstation(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .unwrap()
}

/// `qcstation laser stream FILE --port PORT --json` and any `extra` arguments.
fn stream_json(data_dir: &Path, file: &Path, port: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "laser",
        "stream",
        file.to_str().unwrap(),
        "--port",
        port,
        "--json",
    ];
    args.extend_from_slice(extra);
    qcstation(data_dir, &args)
}

/// `qcstation test-grid ARGS --out GRID`.
fn test_grid(data_dir: &Path, grid: &Path, args: &[&str]) -> Output {
    let mut all = vec!["test-grid"];
    all.extend_from_slice(args);
    all.extend(["--out", grid.to_str().unwrap()]);
    qcstation(data_dir, &all)
}

fn json(output: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|err| panic!("{err}: {text:?}"))
}

#[test]
fn a_file_streams_with_exit_0_and_a_refused_line_gives_exit_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(dir.path(), "200");
    let good = dir.path().join("good.nc");
    std::fs::write(
        &good,
        "; a hand-written job\nG21 G90\nM4 S0\nG0 X2 Y2\nG1 X6 F600 S300 (burn)\nY4\nG0 X0 Y0\nM5 S0\n",
    )
    .unwrap();
    let out = stream_json(dir.path(), &good, &sim.port, &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let body = json(&out);
    assert_eq!(body["result"], "done");
    assert_eq!(body["lines_total"], 7);
    assert_eq!(body["lines_acked"], 7);
    assert_eq!(body["last_acked_file_line"], 8);
    assert!(body["peak_in_flight_bytes"].as_u64().unwrap() <= 127);
    assert!(body["wall_s"].as_f64().unwrap() > 0.0);

    // Resuming at line 6 (`Y4`) first rebuilds the state lines 2–5 left: mm, absolute, the head
    // at X6 Y2, M4, feed 600, power 300; then sends lines 6–8.
    let out = stream_json(dir.path(), &good, &sim.port, &["--from-line", "6"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let body = json(&out);
    assert_eq!(body["result"], "done");
    assert_eq!(body["lines_total"], 5 + 3);
    assert_eq!(body["last_acked_file_line"], 8);

    let bad = dir.path().join("bad.nc");
    std::fs::write(&bad, "G21\nG1 X1 F600\nG2 X1 Y1\nG1 X2\n").unwrap();
    let out = stream_json(dir.path(), &bad, &sim.port, &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let body = json(&out);
    assert_eq!(body["result"], "error");
    assert_eq!(body["failed_line"], 3);
    assert_eq!(body["code"], 20);

    // Through check mode first, the same line is refused before anything runs.
    let out = stream_json(dir.path(), &bad, &sim.port, &["--check"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let body = json(&out);
    assert_eq!(
        (body["result"].as_str(), body["failed_line"].as_u64()),
        (Some("error"), Some(3))
    );

    // Text output names the file, the line and the error in words.
    let out = qcstation(
        dir.path(),
        &[
            "laser",
            "stream",
            bad.to_str().unwrap(),
            "--port",
            &sim.port,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bad.nc line 3: `G2X1Y1`: error:20: unsupported"),
        "{text}"
    );

    let out = qcstation(
        dir.path(),
        &["laser", "status", "--port", &sim.port, "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let body = json(&out);
    assert_eq!(body["state"], "Idle");
    assert_eq!(body["version"], "1.1h");
    assert_eq!(body["settings"]["30"], "1000");
    assert_eq!(body["settings"]["32"], "1");
}

#[test]
fn a_lost_port_gives_exit_2_and_a_bad_file_is_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let mut sim = Sim::start(dir.path(), "1");
    let long = dir.path().join("long.nc");
    // Enough motion to outlast the kill below at real time.
    let mut text = String::from("G21G90\nM4S0\n");
    for row in 0..200 {
        text.push_str(&format!(
            "G1X{}Y{:.1}F300S100\n",
            10 * (row % 2),
            f64::from(row) * 0.1
        ));
    }
    std::fs::write(&long, text).unwrap();
    let streamer = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "laser",
            "stream",
            long.to_str().unwrap(),
            "--port",
            &sim.port,
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    sim.child.kill().unwrap();
    sim.child.wait().unwrap();
    let out = streamer.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let body = json(&out);
    assert_eq!(body["result"], "lost");
    let acked = body["lines_acked"].as_u64().unwrap();
    assert!(acked > 0 && acked < 202, "{body}");
    assert_eq!(body["last_acked_file_line"].as_u64().unwrap(), acked);

    let utf8 = dir.path().join("utf8.nc");
    std::fs::write(&utf8, "G21\nG1 X5 (5×5 mm)\n").unwrap();
    let out = qcstation(
        dir.path(),
        &[
            "laser",
            "stream",
            utf8.to_str().unwrap(),
            "--port",
            "/dev/null",
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("utf8.nc line 2: byte 9 is 0xc3"), "{err}");

    let out = qcstation(
        dir.path(),
        &[
            "laser",
            "stream",
            long.to_str().unwrap(),
            "--port",
            "/dev/nonexistent-tty",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // With --json, a port that cannot be used gives the same shape as a stream, nothing sent.
    let out = stream_json(dir.path(), &long, "/dev/nonexistent-tty", &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let body = json(&out);
    assert_eq!(body["result"], "port");
    assert_eq!(
        (body["lines_sent"].as_u64(), body["lines_total"].as_u64()),
        (Some(0), Some(202))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("/dev/nonexistent-tty")
    );
}

#[test]
fn engrave_runs_a_job_per_item_and_records_each_items_new_status() {
    let dir = tempfile::tempdir().unwrap();
    let out = qcstation(
        dir.path(),
        &[
            "qr",
            "generate",
            "--component",
            "PAD",
            "--vendor",
            "V0100",
            "--lot",
            "L2025-09",
            "--count",
            "2",
            "--out",
            dir.path().join("codes").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let sim = Sim::start(dir.path(), "400");
    let uids = ["PAD-V0100-L2025-09-00001", "PAD-V0100-L2025-09-00002"];
    let mut args = vec!["engrave"];
    args.extend(uids);
    args.extend(["--port", &sim.port, "--json"]);
    let out = qcstation(dir.path(), &args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let jobs: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(jobs.len(), 2);
    for (job, uid) in jobs.iter().zip(uids) {
        assert_eq!(job["uid"], uid);
        assert_eq!(job["status"], "done");
        assert_eq!(job["lines_acked"], job["lines_total"]);
        assert!(job["estimate_s"].as_f64().unwrap() > 10.0);
    }
    let out = qcstation(dir.path(), &["items", "list", "--json"]);
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["counts"]["engraved"], 2);
    assert_eq!(body["items"][0]["engrave_job_id"], 1);

    // An engraved item is not engraved again.
    let out = qcstation(dir.path(), &["engrave", uids[0], "--port", &sim.port]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("is engraved, not allocated"));
}

#[test]
fn test_grid_writes_a_grid_that_streams_and_prints_its_legend() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.nc");
    let out = test_grid(
        dir.path(),
        &grid,
        &[
            "--powers",
            "20,60",
            "--speeds",
            "900,2700",
            "--cell-mm",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 x 2 squares of 3 mm"), "{text}");
    assert!(
        text.contains("X 15.0 Y 15.0: 60 % power, 2700 mm/min"),
        "{text}"
    );
    let sim = Sim::start(dir.path(), "200");
    let out = stream_json(dir.path(), &grid, &sim.port, &["--check"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(json(&out)["result"], "done");
    let out = test_grid(dir.path(), &grid, &["--powers", "150", "--speeds", "900"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("power 150 %"));
}

#[test]
fn test_grid_takes_min_max_steps_as_well_as_lists() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.nc");
    let out = test_grid(
        dir.path(),
        &grid,
        &["--powers", "20:80:4", "--speeds", "600,1200,2400"],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("4 x 3 squares of 5 mm"), "{text}");
    // Column 3 and row 2 at a pitch of 5 + 2 mm from the default origin (10, 10).
    assert!(
        text.contains("X 31.0 Y 24.0: 80 % power, 2400 mm/min"),
        "{text}"
    );
    let gcode = std::fs::read_to_string(&grid).unwrap();
    assert!(
        gcode
            .lines()
            .all(|line| line.len() <= 79 && line.is_ascii())
    );
    assert_eq!(
        gcode.lines().filter(|line| line.starts_with("M4")).count(),
        1
    );
    let out = test_grid(
        dir.path(),
        &grid,
        &["--powers", "80:20:4", "--speeds", "600"],
    );
    assert_eq!(out.status.code(), Some(2), "a bad value is a usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAX must be above MIN"));
}
