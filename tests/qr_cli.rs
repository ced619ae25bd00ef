//! `qcstation qr generate` and `qcstation items` through the built binary: a batch is allocated
//! in the station database and its files and manifest written; a second batch continues the
//! lot's sequence; a batch's codes can be written again; bad input names the option and
//! allocates nothing; lifecycle moves are checked; a plant lot pattern comes from the config.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Output};

fn qcstation(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn generate(data_dir: &Path, out: &Path, count: &str, extra: &[&str]) -> Output {
    let out = out.to_str().unwrap();
    let mut args = vec![
        "qr",
        "generate",
        "--component",
        "PAD",
        "--vendor",
        "V0100",
        "--lot",
        "L2025-09",
        "--count",
        count,
        "--out",
        out,
        "--date",
        "2025-09-01",
        "--warranty-years",
        "2",
    ];
    args.extend_from_slice(extra);
    qcstation(data_dir, &args)
}

fn manifest_rows(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("manifest.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

#[test]
fn generate_allocates_writes_files_and_the_next_batch_continues_the_lot() {
    let dir = tempfile::tempdir().unwrap(); // demo mode: the demo database
    let first_out = dir.path().join("first");
    let out = generate(dir.path(), &first_out, "12", &["--sheet"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("PAD-V0100-L2025-09-00001 .. PAD-V0100-L2025-09-00012 (12 item(s)"),
        "{printed}"
    );
    assert!(printed.contains("demo.sqlite"), "{printed}");
    assert!(
        printed.contains("sheet: sheet-PAD-V0100-L2025-09-00001-00012.png"),
        "{printed}"
    );
    let rows = manifest_rows(&first_out);
    assert_eq!(rows.len(), 12);
    for seq in 1..=12 {
        let uid = format!("PAD-V0100-L2025-09-{seq:05}");
        assert!(first_out.join(format!("{uid}.png")).is_file(), "{uid}");
        assert!(rows[seq - 1].starts_with(&format!("{uid},PAD,V0100,L2025-09,{seq:05},")));
    }
    assert!(
        first_out
            .join("sheet-PAD-V0100-L2025-09-00001-00012.png")
            .is_file()
    );

    // The PNG the binary wrote reads back, module centre by module centre, as the code.
    let image = image::open(first_out.join("PAD-V0100-L2025-09-00003.png"))
        .unwrap()
        .to_luma8();
    let code = qrcode::QrCode::with_error_correction_level(
        b"PAD-V0100-L2025-09-00003",
        qrcode::EcLevel::M,
    )
    .unwrap();
    let module_px = 10;
    assert_eq!(image.width(), (code.width() as u32 + 8) * module_px);
    for row in 0..code.width() {
        for col in 0..code.width() {
            let x = (col as u32 + 4) * module_px + module_px / 2;
            let y = (row as u32 + 4) * module_px + module_px / 2;
            let dark = image.get_pixel(x, y).0[0] < 128;
            assert_eq!(
                dark,
                code[(col, row)] == qrcode::Color::Dark,
                "({col}, {row})"
            );
        }
    }

    // A second run continues the lot, here as SVG at level H into another directory.
    let second_out = dir.path().join("second");
    let out = generate(
        dir.path(),
        &second_out,
        "3",
        &["--format", "svg", "--ec", "H"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("PAD-V0100-L2025-09-00013 .. PAD-V0100-L2025-09-00015"),
        "{}",
        text(&out)
    );
    let rows = manifest_rows(&second_out);
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0].contains(",PAD-V0100-L2025-09-00013.svg,"),
        "{}",
        rows[0]
    );
    assert!(rows[0].contains(",H,"), "{}", rows[0]);
    assert!(second_out.join("PAD-V0100-L2025-09-00015.svg").is_file());
    assert!(!second_out.join("PAD-V0100-L2025-09-00015.png").exists());

    let out = qcstation(
        dir.path(),
        &["items", "list", "--lot", "L2025-09", "--json"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let json = String::from_utf8_lossy(&out.stdout);
    assert!(json.contains("\"allocated\":15"), "{json}");
    assert!(json.contains("\"total\":15"), "{json}");
    assert_eq!(json.matches("\"uid\":").count(), 15);

    // An allocated batch's codes can be written again, without allocating.
    let again = dir.path().join("again");
    let out = qcstation(
        dir.path(),
        &[
            "qr",
            "export",
            "--batch",
            "1",
            "--out",
            again.to_str().unwrap(),
            "--format",
            "both",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(manifest_rows(&again).len(), 12);
    assert!(again.join("PAD-V0100-L2025-09-00012.svg").is_file());
    assert!(again.join("PAD-V0100-L2025-09-00012.png").is_file());
    let out = qcstation(
        dir.path(),
        &[
            "qr",
            "export",
            "--batch",
            "9",
            "--out",
            again.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("no batch 9"), "{}", text(&out));

    // The allocation was audited and the trail still verifies.
    let out = qcstation(dir.path(), &["audit", "list", "--action", "item.allocate"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let out = qcstation(dir.path(), &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn bad_input_names_the_option_and_allocates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let codes = dir.path().join("codes");
    let codes_arg = codes.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--component", "PAD", "--vendor", "V01", "--lot", "L2025-09"],
            "--vendor: vendor code \"V01\" is not valid: V followed by 4 digits",
        ),
        (
            &[
                "--component",
                "pad",
                "--vendor",
                "V0100",
                "--lot",
                "L2025-09",
            ],
            "--component: component type \"pad\"",
        ),
        (
            &[
                "--component",
                "PAD",
                "--vendor",
                "V0100",
                "--lot",
                "L2025-13",
            ],
            "--lot: lot number \"L2025-13\" is not valid",
        ),
        (
            &[
                "--component",
                "PAD",
                "--vendor",
                "V0100",
                "--lot",
                "L2025-09",
                "--ec",
                "Z",
            ],
            "L, M, Q, H",
        ),
        (
            &[
                "--component",
                "PAD",
                "--vendor",
                "V0100",
                "--lot",
                "L2025-09",
                "--module-px",
                "0",
            ],
            "module size 0 px",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["qr", "generate", "--count", "5", "--out", codes_arg];
        all.extend_from_slice(args);
        let out = qcstation(dir.path(), &all);
        assert!(!out.status.success(), "{args:?}");
        assert!(text(&out).contains(message), "{args:?}: {}", text(&out));
    }
    let out = qcstation(dir.path(), &["items", "list", "--json"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("\"total\":0"),
        "{}",
        text(&out)
    );
    assert!(!codes.join("manifest.csv").exists());
}

#[test]
fn items_move_through_the_lifecycle_and_illegal_moves_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = generate(dir.path(), &dir.path().join("codes"), "2", &[]);
    assert!(out.status.success(), "{}", text(&out));
    let uid = "PAD-V0100-L2025-09-00002";
    let out = qcstation(
        dir.path(),
        &[
            "items",
            "transition",
            uid,
            "--to",
            "in_stock",
            "--reason",
            "x",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("cannot go from allocated to in_stock: from allocated it may go to engraved, engrave_failed, scrapped"),
        "{}",
        text(&out)
    );
    for to in ["engraved", "verified", "in_stock"] {
        let out = qcstation(
            dir.path(),
            &["items", "transition", uid, "--to", to, "--reason", "bench"],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let out = qcstation(dir.path(), &["items", "list", "--status", "in_stock"]);
    let listed = text(&out);
    assert!(listed.contains(uid), "{listed}");
    assert!(
        listed.contains("2 item(s): allocated 1, engraved 0, verified 0, in_stock 1"),
        "{listed}"
    );
    let out = qcstation(dir.path(), &["items", "history", uid]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);

    let out = qcstation(dir.path(), &["items", "threshold", "PAD", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = qcstation(dir.path(), &["items", "low-stock"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("LOW PAD: 1 in stock, threshold 2"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_plant_lot_pattern_from_the_config_file_is_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("qcstation.toml"),
        "[inventory]\nlot_pattern = \"LOT-####@\"\n",
    )
    .unwrap();
    let codes = dir.path().join("codes");
    let args = [
        "qr",
        "generate",
        "--component",
        "BRKT",
        "--vendor",
        "V0200",
        "--lot",
        "LOT-0042B",
        "--count",
        "2",
        "--out",
        codes.to_str().unwrap(),
    ];
    let out = qcstation(dir.path(), &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(codes.join("BRKT-V0200-LOT-0042B-00002.png").is_file());
    assert!(text(&out).contains("station.sqlite"), "{}", text(&out));
    let mut wrong = args;
    wrong[7] = "L2025-09";
    let out = qcstation(dir.path(), &wrong);
    assert!(!out.status.success());
    assert!(text(&out).contains("LOT-####@"), "{}", text(&out));
}
