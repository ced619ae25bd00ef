//! The OCR through the real binary on generated label photos: every line and field read at each
//! quarter turn, the `--json` contract's keys, `--field` choosing one field and failing the exit
//! code when it is absent, and an unreadable file failing alone.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use common::{json_keys, json_lines, qcstation};
use qcstation::docs::synth::{LabelFields, Tier, label_photo};

fn board_label() -> LabelFields {
    LabelFields {
        board_serial: Some("VGN-40213-0007".into()),
        part_number: Some("PCA-2044-03".into()),
        revision: Some("G1".into()),
        ..LabelFields::default()
    }
}

#[test]
fn labels_read_at_every_quarter_turn_with_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (photo, truth) = label_photo(31, Tier::Normal, &board_label()).unwrap();
    let upright = photo;
    let turns = [
        (0, upright.clone()),
        (90, image::imageops::rotate90(&upright)),
        (180, image::imageops::rotate180(&upright)),
        (270, image::imageops::rotate270(&upright)),
    ];
    let mut paths = Vec::new();
    for (turn, image) in &turns {
        let path = dir.path().join(format!("label-{turn}.png"));
        image.save(&path).unwrap();
        paths.push(path);
    }
    let mut args = vec!["ocr", "--json"];
    args.extend(paths.iter().map(|p| p.to_str().unwrap()));
    let output = qcstation(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The generator may turn the label itself a quarter (plus a little skew); the image turn adds.
    let base = (f64::from(truth.rotation_deg) / 90.0).round() as i64 * 90;
    for (value, (turn, _)) in json_lines(&output).iter().zip(&turns) {
        let keys = json_keys(value);
        assert_eq!(
            keys,
            ["elapsed_ms", "fields", "image", "lines", "rotation_deg"]
        );
        let expected = (base + turn).rem_euclid(360) as u64;
        assert_eq!(value["rotation_deg"].as_u64().unwrap(), expected, "{value}");
        let fields = &value["fields"];
        assert_eq!(fields["board_serial"]["value"], "VGN-40213-0007", "{value}");
        assert_eq!(fields["part_number"]["value"], "PCA-2044-03", "{value}");
        assert_eq!(fields["revision"]["value"], "G1", "{value}");
        let line = &value["lines"][0];
        assert!(line["confidence"].as_f64().unwrap() > 0.5);
        assert_eq!(line["box"].as_array().unwrap().len(), 4);
    }
}

#[test]
fn a_missing_field_or_an_unreadable_file_fails_the_exit_code_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let (photo, _) = label_photo(32, Tier::Normal, &board_label()).unwrap();
    let path = dir.path().join("board.png");
    photo.save(&path).unwrap();
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, b"\x89PNG\r\n\x1a\nnot really").unwrap();

    let output = qcstation(&[
        "ocr",
        "--json",
        "--field",
        "board_serial",
        path.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let value = &json_lines(&output)[0];
    assert_eq!(value["fields"].as_object().unwrap().len(), 1, "{value}");
    assert_eq!(value["fields"]["board_serial"]["corrected"], false);

    let output = qcstation(&[
        "ocr",
        "--json",
        "--field",
        "unit_serial",
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        json_lines(&output)[0]["fields"]
            .as_object()
            .unwrap()
            .is_empty()
    );

    let output = qcstation(&[
        "ocr",
        "--json",
        broken.to_str().unwrap(),
        path.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let values = json_lines(&output);
    assert!(
        values[0]["error"].as_str().unwrap().contains("broken.png"),
        "{}",
        values[0]
    );
    // The failed image keeps the contract's keys, empty.
    assert_eq!(values[0]["lines"], serde_json::json!([]));
    assert_eq!(values[0]["fields"], serde_json::json!({}));
    assert!(values[0]["rotation_deg"].is_null());
    assert_eq!(values[1]["fields"]["part_number"]["value"], "PCA-2044-03");
}

#[test]
fn an_upside_down_label_among_upright_text_is_read_the_right_way_up() {
    // Four upright copies of the golden label outvote one upside-down copy in the 0/180
    // decision for their quarter turn; the upside-down copy must still be read.
    let golden = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/ocr/golden.png"
    ))
    .unwrap()
    .to_rgb8();
    let (width, height) = golden.dimensions();
    let mut page = image::RgbImage::from_pixel(width, height * 5, image::Rgb([255, 255, 255]));
    for copy in 0..4 {
        image::imageops::replace(&mut page, &golden, 0, i64::from(height * copy));
    }
    let flipped = image::imageops::rotate180(&golden);
    image::imageops::replace(&mut page, &flipped, 0, i64::from(height * 4));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.png");
    page.save(&path).unwrap();
    let output = qcstation(&["ocr", "--json", path.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let value = &json_lines(&output)[0];
    let texts: Vec<&str> = value["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["text"].as_str().unwrap())
        .collect();
    for wanted in ["S/N VGN-40213-0007", "PCA-2044-03 REV G1"] {
        let count = texts.iter().filter(|text| **text == wanted).count();
        assert_eq!(count, 5, "{wanted} read {count} times in {texts:?}");
    }
    assert_eq!(value["rotation_deg"].as_u64(), Some(0), "{value}");
}
