//! `qcstation synth porosity`, `inspect` and `eval porosity` through the built binary: scenes
//! and their truth are written; `inspect --json` prints the contract's shape with the exit code
//! of the worst verdict (3 for an unreadable image, the others still inspected); `eval` scores
//! a detector against the written truth.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::{json_keys, json_lines, qcstation};

/// A textured face, with a dark pit of `pit_radius_px` (none when 0) at the centre.
fn face(path: &Path, pit_radius_px: f32) {
    let image = image::GrayImage::from_fn(400, 300, |x, y| {
        let texture = 4.0 * ((x as f32 * 0.9).sin() + (y as f32 * 1.3 + x as f32 * 0.2).cos());
        let (dx, dy) = (x as f32 - 200.0, y as f32 - 150.0);
        let r = (dx * dx + dy * dy).sqrt();
        let v = if r < pit_radius_px {
            45.0
        } else if r < pit_radius_px + 2.0 {
            215.0
        } else {
            150.0 + texture
        };
        image::Luma([v as u8])
    });
    image.save(path).unwrap();
}

#[test]
fn synth_writes_scenes_with_their_truth_and_refuses_a_bad_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let args = [
        "synth", "porosity", "--count", "3", "--seed", "5", "--out", out,
    ];
    let output = qcstation(&[&args[..], &["--size", "320x240", "--json"]].concat());
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3);
    for line in &lines {
        for key in ["image", "mask", "truth"] {
            assert!(Path::new(line[key].as_str().unwrap()).exists(), "{line}");
        }
        assert!(line["pores"].is_u64());
    }
    let bad = qcstation(&[&args[..], &["--size", "320by240"]].concat());
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("\"320by240\""));
}

#[test]
fn inspect_prints_the_contract_and_exits_with_the_worst_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let (clean, pitted, broken) = (
        dir.path().join("clean.png"),
        dir.path().join("pitted.png"),
        dir.path().join("broken.png"),
    );
    face(&clean, 0.0);
    // Ø 40 px at 0.04 mm/px = 1.6 mm: above the default recipe's 1.0 mm.
    face(&pitted, 20.0);
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_owned();
    let run = |images: &[String], detector: &str| {
        let mut args = vec![
            "inspect",
            "--json",
            "--mm-per-px",
            "0.04",
            "--detector",
            detector,
        ];
        args.extend(images.iter().map(String::as_str));
        qcstation(&args)
    };
    for detector in ["classical", "onnx"] {
        let accepted = run(&[path(&clean)], detector);
        assert_eq!(accepted.status.code(), Some(0), "{detector}: {accepted:?}");
        let line = &json_lines(&accepted)[0];
        assert_eq!(line["verdict"], "ACCEPT");
        assert_eq!(line["image"], path(&clean));

        let rejected = run(&[path(&clean), path(&pitted)], detector);
        assert_eq!(rejected.status.code(), Some(2), "{detector}: {rejected:?}");
        let line = &json_lines(&rejected)[1];
        let keys = json_keys(line);
        assert_eq!(keys, ["elapsed_ms", "image", "pores", "reasons", "verdict"]);
        assert_eq!(line["verdict"], "REJECT");
        let pores = line["pores"].as_array().unwrap();
        assert_eq!(pores.len(), 1, "{detector}: {line}");
        let pore = pores[0].as_object().unwrap();
        let pore_keys: Vec<&str> = pore.keys().map(String::as_str).collect();
        assert_eq!(
            pore_keys,
            [
                "area_mm2",
                "diameter_mm",
                "feret_mm",
                "score",
                "x_px",
                "y_px",
                "zone"
            ]
        );
        assert!((pore["x_px"].as_f64().unwrap() - 200.0).abs() < 2.0);
        assert!(
            (pore["diameter_mm"].as_f64().unwrap() - 1.6).abs() < 0.15,
            "{line}"
        );
        assert_eq!(pore["zone"], "whole image");
        assert!(
            line["reasons"][0]
                .as_str()
                .unwrap()
                .starts_with("REJECT zone \"whole image\"")
        );
    }

    let failed = run(&[path(&broken), path(&pitted)], "classical");
    assert_eq!(failed.status.code(), Some(3), "{failed:?}");
    let lines = json_lines(&failed);
    assert_eq!(lines[0]["image"], path(&broken));
    assert!(lines[0]["error"].as_str().unwrap().contains("broken.png"));
    assert_eq!(
        lines[1]["verdict"], "REJECT",
        "the next image is still inspected"
    );
}

#[test]
fn eval_scores_a_detector_against_the_written_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let synth = [
        "synth", "porosity", "--count", "4", "--seed", "900", "--out", out,
    ];
    assert!(
        qcstation(&[&synth[..], &["--size", "384x288"]].concat())
            .status
            .success()
    );
    let output = qcstation(&[
        "eval",
        "porosity",
        "--data",
        out,
        "--detector",
        "onnx",
        "--json",
    ]);
    assert!(output.status.success(), "{output:?}");
    let summary = &json_lines(&output)[0];
    assert_eq!(summary["images"], 4);
    let tp = summary["true_positives"].as_u64().unwrap();
    assert!(tp > 0, "{summary}");
    assert!(summary["f1"].as_f64().unwrap() > 0.8, "{summary}");
    assert!(
        summary["diameter_mae_mm"].as_f64().unwrap() < 0.1,
        "{summary}"
    );
    let empty = tempfile::tempdir().unwrap();
    let none = qcstation(&["eval", "porosity", "--data", empty.path().to_str().unwrap()]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no porosity-*.json"));
}

#[test]
fn a_recipe_saved_to_the_station_is_listed_shown_and_used_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("station");
    let data = data.to_str().unwrap();
    let recipe = dir.path().join("pc-7.toml");
    std::fs::write(
        &recipe,
        r#"part_number = "PC-7"
detector = "classical"
mm_per_px = 0.05

[[zones]]
name = "centre"
shape = "rect"
x_px = 100.0
y_px = 50.0
width_px = 200.0
height_px = 200.0

[zones.rules]
max_diameter_mm = 0.3
"#,
    )
    .unwrap();
    let recipe = recipe.to_str().unwrap();
    let saved = qcstation(&[
        "--data-dir",
        data,
        "recipe",
        "save",
        recipe,
        "--note",
        "first",
    ]);
    assert!(saved.status.success(), "{saved:?}");
    assert!(String::from_utf8_lossy(&saved.stdout).contains("Saved recipe PC-7 v1"));
    let listed = qcstation(&["--data-dir", data, "recipe", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains("PC-7\tv1"), "{listed}");
    assert!(
        listed.contains("HSG-4471\tv1"),
        "the demo recipe too: {listed}"
    );
    let shown = qcstation(&["--data-dir", data, "recipe", "show", "PC-7"]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("max_diameter_mm = 0.3"));

    let pit = dir.path().join("pit.png");
    face(&pit, 9.0);
    let pit = pit.to_str().unwrap();
    for name in ["PC-7", "PC-7@v1"] {
        let output = qcstation(&[
            "--data-dir",
            data,
            "inspect",
            pit,
            "--recipe",
            name,
            "--json",
        ]);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let line = &json_lines(&output)[0];
        assert_eq!(line["verdict"], "REJECT");
        assert_eq!(line["pores"][0]["zone"], "centre");
    }
    let unknown = qcstation(&["--data-dir", data, "inspect", pit, "--recipe", "NO-SUCH"]);
    assert_eq!(unknown.status.code(), Some(1));
    let error = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        error.contains("neither a recipe file nor a stored part number"),
        "{error}"
    );
}

#[test]
fn bench_inspect_times_the_network_alone_on_tract() {
    let output = qcstation(&["bench", "inspect", "--network-only", "--runs", "1"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(text.contains("network alone"), "{text}");
    assert!(text.contains("tract median"), "{text}");
}

#[test]
fn a_camera_is_calibrated_from_a_known_target_and_listed_with_its_scale() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let output = qcstation(&[
        "--data-dir",
        data,
        "camera",
        "calibrate",
        "Label",
        "--target-mm",
        "10",
        "--target-px",
        "400",
    ]);
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("camera Label: 0.025000 mm/px"));
    let listed = qcstation(&["--data-dir", data, "camera", "list"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains("(0.025 mm/px)"), "{listed}");
    let refused = qcstation(&["--data-dir", data, "camera", "calibrate", "Label"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--mm-per-px"));
}
