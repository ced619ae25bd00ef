//! Whole packs: determinism, the answer following the deviations, and each deviation kind
//! visible in the files themselves (the workbook read back with calamine, the PDF's content
//! streams, the label truth). Also the shared fixture the stage tests use.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::script::{BoardEntry, PartEntry, TravelerView, plan_with};
use super::*;

/// A traveler view with one board, for the stage tests.
pub(super) fn traveler_view() -> TravelerView {
    TravelerView {
        file_name: "traveler-12345.pdf".to_owned(),
        product: "Reaction wheel controller".to_owned(),
        job_text: "12345".to_owned(),
        unit_serial: "INF-1619".to_owned(),
        flight_marking: "EDU - NOT FOR FLIGHT".to_owned(),
        boards: vec![BoardEntry {
            ref_des: "A1".to_owned(),
            part_number: "PCA-1555-01".to_owned(),
            serial: "VGN-12345-0001".to_owned(),
        }],
        parts: vec![PartEntry {
            part_number: "PCA-1555-01".to_owned(),
            revision: "F2".to_owned(),
            description: "CPU BOARD".to_owned(),
            quantity: 1,
            ref_des: "A1".to_owned(),
        }],
        revision_prefix: "Rev. ",
        scanned: false,
        released: (2024, 3, 14),
        seed: 9,
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("qc-synth-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Every cell of the first sheet as text.
fn workbook_cells(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).unwrap();
    range
        .cells()
        .map(|(_, _, cell)| match cell {
            Data::Float(f) => format!("{f}"),
            Data::Int(i) => i.to_string(),
            Data::String(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let (a, b) = (temp_dir("same-a"), temp_dir("same-b"));
    {
        let seed = 11;
        let answer_a =
            write_pack(&a.join(seed.to_string()), seed, &PackOptions::default()).unwrap();
        let answer_b =
            write_pack(&b.join(seed.to_string()), seed, &PackOptions::default()).unwrap();
        assert_eq!(answer_a, answer_b);
        let mut names: Vec<String> = answer_a.files.iter().map(|f| f.name.clone()).collect();
        names.push("answer.json".to_owned());
        for name in names {
            let bytes_a = std::fs::read(a.join(seed.to_string()).join(&name)).unwrap();
            let bytes_b = std::fs::read(b.join(seed.to_string()).join(&name)).unwrap();
            assert!(bytes_a == bytes_b, "seed {seed}: {name} differs");
        }
    }
    let _ = std::fs::remove_dir_all(a);
    let _ = std::fs::remove_dir_all(b);
}

#[test]
fn the_answer_file_holds_what_write_pack_returned() {
    let dir = temp_dir("answer");
    let answer = write_pack(&dir, 21, &PackOptions::default()).unwrap();
    let text = std::fs::read_to_string(dir.join("answer.json")).unwrap();
    let read: PackAnswer = serde_json::from_str(&text).unwrap();
    assert_eq!(read, answer);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["seed", "files", "expected_verdict", "deviations", "truth"] {
        assert!(json.get(key).is_some(), "{key}");
    }
    for key in ["job", "unit_serial", "flight_status", "parts", "labels"] {
        assert!(json["truth"].get(key).is_some(), "truth.{key}");
    }
    for file in &answer.files {
        assert!(dir.join(&file.name).is_file(), "{}", file.name);
    }
    assert_eq!(
        answer
            .files
            .iter()
            .filter(|f| f.kind == EvidenceKind::Photo)
            .count(),
        answer.truth.labels.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn expected_verdicts_follow_the_deviations_over_many_seeds() {
    let mut verdicts = std::collections::HashMap::new();
    for seed in 0..300 {
        let plan = script::plan(&mut SmallRng::seed_from_u64(seed), seed);
        let verdict = expected_verdict(&plan.deviations);
        let worst = plan.deviations.iter().map(|d| d.kind.status()).max();
        assert_eq!(verdict, worst.unwrap_or(Status::Pass), "seed {seed}");
        for deviation in &plan.deviations {
            assert_eq!(deviation.check, deviation.kind.check());
        }
        *verdicts.entry(verdict).or_insert(0) += 1;
    }
    for status in [Status::Pass, Status::Warning, Status::Fail] {
        assert!(
            verdicts.get(&status).copied().unwrap_or(0) >= 30,
            "{verdicts:?}"
        );
    }
}

/// The traveler and BOM of a build with two serialised boards and exactly `kinds`, written to
/// `dir` (the photos' fields are the plan's; `label` tests show they are printed as given).
fn forced_pack(dir: &Path, seed: u64, kinds: &[DeviationKind]) -> (script::Plan, PackAnswer) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut build = loop {
        let build = Build::sample(&mut rng);
        if build.serialised_boards().count() >= 2 {
            break build;
        }
    };
    let mut plan = plan_with(&mut rng, seed, &mut build, kinds);
    // Text PDF and xlsx, so the checks below can read the values back.
    plan.traveler.scanned = false;
    if let Some(bom) = plan.bom.as_mut() {
        bom.csv = false;
        bom.lists_serials = true;
        bom.file_name = "bom.xlsx".to_owned();
    }
    std::fs::create_dir_all(dir).unwrap();
    let files = super::write_documents(dir, seed, &plan).unwrap();
    let labels = plan
        .labels
        .iter()
        .map(|view| LabelAnswer {
            file: view.stem.clone(),
            fields: view.fields.clone(),
        })
        .collect();
    let answer = PackAnswer::new(seed, Tier::Normal, files, &plan, labels);
    (plan, answer)
}

#[test]
fn each_deviation_kind_is_in_the_files() {
    let dir = temp_dir("kinds");
    for (index, kind) in DeviationKind::ALL.iter().enumerate() {
        let pack = dir.join(format!("{index}"));
        let (plan, answer) = forced_pack(&pack, 100 + index as u64, &[*kind]);
        assert_eq!(answer.deviations.len(), 1, "{kind:?}");
        assert_eq!(answer.expected_verdict, kind.status(), "{kind:?}");
        let pdf = std::fs::read(pack.join(&plan.traveler.file_name)).unwrap();
        let bom = plan
            .bom
            .as_ref()
            .map(|_| workbook_cells(&pack.join("bom.xlsx")));
        let build = &plan.build;
        let labels = &answer.truth.labels;
        let board_labels: Vec<&LabelFields> = labels
            .iter()
            .map(|l| &l.fields)
            .filter(|f| f.board_serial.is_some())
            .collect();
        let unit_label = labels
            .iter()
            .map(|l| &l.fields)
            .find(|f| f.unit_serial.is_some());
        match kind {
            DeviationKind::JobDiffers => {
                let bom = bom.unwrap();
                let at = bom.iter().position(|c| c.starts_with("Job")).unwrap();
                assert_ne!(bom[at + 1], build.job);
                assert!(contains(&pdf, &format!("({}) Tj", plan.traveler.job_text)));
            }
            DeviationKind::TravelerPartNotInBom => {
                let bom = bom.unwrap().join(" ").to_uppercase();
                let squeeze = |n: &str| n.replace('-', "");
                let known: Vec<String> = build
                    .parts
                    .iter()
                    .map(|p| squeeze(&p.part_number))
                    .collect();
                let extra = plan
                    .traveler
                    .parts
                    .iter()
                    .find(|p| !known.contains(&squeeze(&p.part_number)))
                    .unwrap();
                assert!(contains(&pdf, &format!("({}) Tj", extra.part_number)));
                assert!(!bom.contains(&extra.part_number));
                assert!(!bom.contains(&extra.part_number.replacen('-', "", 1)));
            }
            DeviationKind::PhotoPartNotInBom => {
                let bom = bom.unwrap().join(" ").to_uppercase();
                assert!(board_labels.iter().any(|f| {
                    let number = f.part_number.clone().unwrap();
                    !bom.contains(&number) && !bom.contains(&number.replacen('-', "", 1))
                }));
            }
            DeviationKind::BoardSerialDiffers => {
                assert!(board_labels.iter().any(|f| {
                    let serial = f.board_serial.clone().unwrap();
                    !contains(&pdf, &format!("({serial}) Tj"))
                }));
            }
            DeviationKind::BoardSerialNormalised => {
                let loose_on_label = board_labels
                    .iter()
                    .any(|f| !f.board_serial.as_ref().unwrap().starts_with("VGN-"));
                let loose_on_traveler = plan.traveler.boards.iter().any(|b| {
                    !b.serial.starts_with("VGN-") && contains(&pdf, &format!("({}) Tj", b.serial))
                });
                let with_space = board_labels
                    .iter()
                    .any(|f| f.board_serial.as_ref().unwrap().starts_with("VGN "));
                assert!(
                    loose_on_label || loose_on_traveler || with_space,
                    "{:?}",
                    answer.deviations
                );
            }
            DeviationKind::UnitSerialDiffers => {
                let shown = unit_label.unwrap().unit_serial.clone().unwrap();
                assert_ne!(shown, build.unit_serial);
                assert!(contains(&pdf, &format!("({}) Tj", build.unit_serial)));
            }
            DeviationKind::UnitSerialNormalised => {
                let on_label = unit_label.unwrap().unit_serial.clone().unwrap();
                let on_traveler = &plan.traveler.unit_serial;
                assert!(contains(&pdf, &format!("({on_traveler}) Tj")));
                assert!((on_label == build.unit_serial) != (*on_traveler == build.unit_serial));
            }
            DeviationKind::FlightStatusMismatch => {
                let marking = unit_label.unwrap().flight_status.clone().unwrap();
                let label_edu = marking.contains("NOT FOR FLIGHT") || marking.starts_with("EDU");
                assert_eq!(label_edu, build.flight == FlightStatus::Flight);
                assert!(contains(
                    &pdf,
                    &format!("({}) Tj", plan.traveler.flight_marking)
                ));
            }
            DeviationKind::RevisionBaseDiffers | DeviationKind::RevisionSuffixDiffers => {
                let cells = bom.unwrap();
                let rows = &plan.bom.as_ref().unwrap().rows;
                let pairs: Vec<(&String, &String)> = plan
                    .traveler
                    .parts
                    .iter()
                    .zip(rows)
                    .map(|(t, b)| (&t.revision, &b.revision))
                    .filter(|(t, b)| t != b)
                    .collect();
                assert_eq!(pairs.len(), 1, "{kind:?}");
                let (on_traveler, on_bom) = pairs[0];
                let printed = format!("({}{on_traveler}) Tj", plan.traveler.revision_prefix);
                assert!(contains(&pdf, &printed), "{printed}");
                assert!(cells.contains(on_bom), "{on_bom}");
                let same_base = on_traveler[..1] == on_bom[..1];
                assert_eq!(same_base, *kind == DeviationKind::RevisionSuffixDiffers);
            }
            DeviationKind::PhotoMissing => {
                assert!(plan.labels.is_empty() && answer.truth.labels.is_empty());
            }
            DeviationKind::BomMissing => {
                assert!(answer.files.iter().all(|f| f.kind != EvidenceKind::Bom));
                assert!(!pack.join("bom.xlsx").exists());
            }
            DeviationKind::DuplicateSerial => {
                let serials: Vec<&String> = build
                    .parts
                    .iter()
                    .filter_map(|p| p.serial.as_ref())
                    .collect();
                let duplicate = serials
                    .iter()
                    .find(|s| serials.iter().filter(|t| t == s).count() == 2)
                    .unwrap();
                let needle = format!("({duplicate}) Tj");
                let in_pdf = pdf
                    .windows(needle.len())
                    .filter(|w| *w == needle.as_bytes())
                    .count();
                assert_eq!(in_pdf, 2);
                let in_bom = bom.unwrap().iter().filter(|c| c == duplicate).count();
                assert_eq!(in_bom, 2);
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_hard_pack_has_jpeg_photos() {
    let dir = temp_dir("hard");
    let answer = write_pack(&dir, 5, &PackOptions { tier: Tier::Hard }).unwrap();
    assert_eq!(answer.tier, Tier::Hard);
    for file in answer
        .files
        .iter()
        .filter(|f| f.kind == EvidenceKind::Photo)
    {
        assert!(file.name.ends_with(".jpg"), "{}", file.name);
        let bytes = std::fs::read(dir.join(&file.name)).unwrap();
        assert_eq!(&bytes[..2], &[0xff, 0xd8]);
    }
    let _ = std::fs::remove_dir_all(dir);
}
