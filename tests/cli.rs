//! The CLI through the built binary: users, audit verify (including on a tampered file),
//! cameras, and config checks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn qcstation(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        let written = child.stdin.take().unwrap().write_all(text.as_bytes());
        // A child that refuses its arguments may exit before reading stdin: its answer is what
        // the test checks, not the pipe.
        if let Err(err) = written {
            assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "{err}");
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `qcstation users add NAME --role ROLE --secret-stdin`, with `secret` on stdin.
fn add_user(data_dir: &Path, name: &str, role: &str, secret: &str) -> Output {
    qcstation(
        data_dir,
        &["users", "add", name, "--role", role, "--secret-stdin"],
        Some(&format!("{secret}\n")),
    )
}

/// A production station (a config file exists), so nothing is seeded.
fn production_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("qcstation.toml"),
        "[security]\nlockout_secs = 60\n",
    )
    .unwrap();
    dir
}

#[test]
fn users_add_reads_the_secret_from_stdin_and_lists() {
    let dir = production_dir();
    let out = qcstation(dir.path(), &["users", "list"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        1,
        "only the header"
    );

    let out = add_user(dir.path(), "ada", "admin", "Strong-pass-2026");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("added ada (admin, signs in with a password)"));
    let out = add_user(dir.path(), "olga", "operator", "2468");
    assert!(out.status.success(), "{}", text(&out));

    let list = text(&qcstation(dir.path(), &["users", "list"], None));
    assert!(list.contains("ada") && list.contains("admin"), "{list}");
    assert!(list.contains("olga") && list.contains("pin"), "{list}");
}

#[test]
fn bad_user_input_is_refused_with_the_reason() {
    let dir = production_dir();
    let out = add_user(dir.path(), "olga", "operator", "2468");
    assert!(!out.status.success());
    assert!(
        text(&out).contains("first user of a station must be an admin"),
        "{}",
        text(&out)
    );
    let out = add_user(dir.path(), "ada", "admin", "123456");
    assert!(!out.status.success());
    assert!(text(&out).contains("must use a password"), "{}", text(&out));
    let out = add_user(dir.path(), "ada", "boss", "x");
    assert!(!out.status.success());
    assert!(text(&out).contains("unknown role"), "{}", text(&out));
    let out = qcstation(
        dir.path(),
        &["users", "add", "ada", "--role", "admin"],
        None,
    );
    assert!(!out.status.success(), "the secret must come from stdin");
}

#[test]
fn audit_verify_passes_then_names_the_tampered_row() {
    let dir = tempfile::tempdir().unwrap(); // demo mode: seeded users and rows
    let out = qcstation(dir.path(), &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit trail intact"), "{}", text(&out));

    // Alter row 3 as someone with a SQLite shell would.
    let conn = rusqlite::Connection::open(dir.path().join("demo.sqlite")).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_is_append_only_update;
         UPDATE audit SET new_value = 'role=admin, secret=pin' WHERE id = 3;",
    )
    .unwrap();
    drop(conn);
    let out = qcstation(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("BROKEN at row 3"), "{}", text(&out));

    // A removed row is found as well.
    let dir = tempfile::tempdir().unwrap();
    assert!(
        qcstation(dir.path(), &["audit", "verify"], None)
            .status
            .success()
    );
    let conn = rusqlite::Connection::open(dir.path().join("demo.sqlite")).unwrap();
    conn.execute_batch("DROP TRIGGER audit_is_append_only_delete; DELETE FROM audit WHERE id = 2;")
        .unwrap();
    drop(conn);
    let out = qcstation(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("row 3"), "{}", text(&out));
    assert!(text(&out).contains("missing"), "{}", text(&out));
}

#[test]
fn audit_verify_prints_the_head_and_detects_a_full_wipe() {
    let dir = tempfile::tempdir().unwrap(); // demo mode: seeded users and rows
    let out = qcstation(dir.path(), &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out));
    let report = text(&out);
    let head_line = report
        .lines()
        .find(|line| line.starts_with("head: row "))
        .unwrap_or_else(|| panic!("no head printed: {report}"));
    let conn = rusqlite::Connection::open(dir.path().join("demo.sqlite")).unwrap();
    let (last_id, last_hash): (i64, String) = conn
        .query_row(
            "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(head_line, format!("head: row {last_id} hash {last_hash}"));
    assert!(
        report.contains(&format!("{last_id} rows verified")),
        "{report}"
    );
    assert!(dir.path().join("station.key").exists());
    assert!(dir.path().join("demo.sqlite.audit-head").exists());

    // Someone with a SQLite shell (but not the key) wipes the whole trail and its anchor.
    conn.execute_batch(
        "DROP TRIGGER audit_is_append_only_delete; DELETE FROM audit; DELETE FROM audit_anchor;",
    )
    .unwrap();
    drop(conn);
    let out = qcstation(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("BROKEN at row {last_id}")) && text(&out).contains("wiped"),
        "{}",
        text(&out)
    );
}

#[test]
fn audit_list_filters() {
    let dir = tempfile::tempdir().unwrap();
    let out = qcstation(
        dir.path(),
        &["audit", "list", "--action", "camera.add"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(listing.lines().count(), 4, "{listing}");
    assert!(listing.lines().all(|line| line.contains("camera.add")));
    // The prefix takes every camera action: the demo also calibrates its two porosity cameras.
    let out = qcstation(dir.path(), &["audit", "list", "--action", "camera"], None);
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(listing.lines().count(), 6, "{listing}");
    assert_eq!(
        listing
            .lines()
            .filter(|line| line.contains("camera.calibrate"))
            .count(),
        2
    );
}

#[test]
fn camera_commands_list_grab_add_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let out = qcstation(dir.path(), &["camera", "list"], None);
    assert!(out.status.success(), "{}", text(&out));
    let listing = text(&out);
    assert!(
        listing.contains("Porosity A") && listing.contains("demo:label"),
        "{listing}"
    );

    for scene in ["porosity", "label", "qr"] {
        let png = dir.path().join(format!("{scene}.png"));
        let source = format!("demo:{scene}?size=320x240&fps=60");
        let out = qcstation(
            dir.path(),
            &[
                "camera",
                "grab",
                "--source",
                &source,
                "--out",
                png.to_str().unwrap(),
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out));
        let image = image::open(&png).unwrap();
        assert_eq!((image.width(), image.height()), (320, 240));
    }
    // Replay the grabbed stills as a folder source.
    let folder = format!("folder:{}", dir.path().display());
    let out_png = dir.path().join("replayed.out");
    let out = qcstation(
        dir.path(),
        &[
            "camera",
            "grab",
            "--source",
            &folder,
            "--out",
            &format!("{}.png", out_png.display()),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));

    let out = qcstation(
        dir.path(),
        &["camera", "grab", "--source", "demo:weld", "--out", "x.png"],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("unknown demo scene \"weld\""),
        "{}",
        text(&out)
    );

    let out = qcstation(
        dir.path(),
        &["camera", "add", "Bay 5", "--source", "demo:qr?fps=5"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&qcstation(dir.path(), &["camera", "list"], None)).contains("Bay 5"));
    let out = qcstation(dir.path(), &["camera", "remove", "Bay 5"], None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&qcstation(dir.path(), &["camera", "list"], None)).contains("Bay 5"));
}

#[test]
fn config_check_names_key_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    let out = qcstation(
        dir.path(),
        &["config", "init", good.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = qcstation(
        dir.path(),
        &["config", "check", good.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = qcstation(
        dir.path(),
        &["config", "init", good.to_str().unwrap()],
        None,
    );
    assert!(!out.status.success(), "init never overwrites");

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[security]\nmax_failed_attempts = 0\nidle_signout_secs = 5\n",
    )
    .unwrap();
    let out = qcstation(
        dir.path(),
        &["config", "check", bad.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out);
    assert!(report.contains("2 problem(s)"), "{report}");
    assert!(
        report.contains("line 2, security.max_failed_attempts: must be 1 to 20"),
        "{report}"
    );
    assert!(
        report.contains("line 3, security.idle_signout_secs"),
        "{report}"
    );

    std::fs::write(&bad, "[station]\nfulscreen = true\n").unwrap();
    let report = text(&qcstation(
        dir.path(),
        &["config", "check", bad.to_str().unwrap()],
        None,
    ));
    assert!(
        report.contains("line 2") && report.contains("fulscreen"),
        "{report}"
    );

    // A broken config stops the station with the same report instead of being ignored.
    std::fs::write(
        dir.path().join("qcstation.toml"),
        "[security]\nlockout_secs = -1\n",
    )
    .unwrap();
    let out = qcstation(dir.path(), &["users", "list"], None);
    assert!(!out.status.success());
    assert!(text(&out).contains("qcstation.toml"), "{}", text(&out));
}

#[test]
fn gcode_writes_a_laser_program_and_names_a_bad_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("pad.nc");
    let out = qcstation(
        dir.path(),
        &[
            "gcode",
            "PAD-V0100-L2025-09-00001",
            "--out",
            out_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("25 x 25 modules"), "{}", text(&out));
    assert!(text(&out).contains("estimated"), "{}", text(&out));
    let program = std::fs::read_to_string(&out_file).unwrap();
    assert!(program.starts_with("G21\nG90\nM4S0\n"));
    assert!(
        program
            .lines()
            .all(|line| line.len() <= 79 && line.is_ascii() && !line.is_empty())
    );

    let settings = dir.path().join("laser.toml");
    std::fs::write(&settings, "power_percent = 140\n").unwrap();
    let out = qcstation(
        dir.path(),
        &[
            "gcode",
            "PAD-V0100-L2025-09-00001",
            "--settings",
            settings.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("laser.toml: power_percent = 140: must be above 0 and at most 100"),
        "{}",
        text(&out)
    );
}
