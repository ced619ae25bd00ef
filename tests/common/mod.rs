//! Helpers shared by the tests: the built `qcstation` binary, its JSON output, and inventory set up
//! in a station database.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![allow(dead_code)] // each test crate that includes this module uses some of it

use std::process::{Command, Output};

/// Runs the built binary with `args` (warnings only in its log).
pub fn qcstation(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Standard output as one JSON value per line.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The keys of a JSON object, in order (serde_json keeps them sorted).
pub fn json_keys(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

/// A station database in `dir` seeded with the demo users (ada admin, erik engineer, olga
/// operator, vic viewer).
pub fn demo_store(dir: &std::path::Path) -> qcstation::store::Store {
    let mut store = qcstation::store::Store::open(&dir.join("station.sqlite")).unwrap();
    store.seed_demo(qcstation::auth::new_secret_hash).unwrap();
    store
}

/// A production station's config file in `dir` (so the binary seeds nothing there).
pub fn production_config(dir: &std::path::Path) {
    std::fs::write(
        dir.join("qcstation.toml"),
        "[security]\nlockout_secs = 60\n",
    )
    .unwrap();
}

/// A production station in `dir` (its config file) with the demo users in its database.
pub fn demo_station(dir: &std::path::Path) -> qcstation::store::Store {
    production_config(dir);
    demo_store(dir)
}

/// A process's standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The stored user `name` as an actor.
pub fn actor(store: &qcstation::store::Store, name: &str) -> qcstation::domain::Actor {
    let user = store
        .users()
        .unwrap()
        .into_iter()
        .find(|user| user.name == name)
        .unwrap();
    qcstation::domain::Actor {
        user_id: Some(user.id),
        name: user.name,
        role: user.role,
    }
}

/// A batch of three items moved through `steps`; its id and UIDs.
pub fn batch_in(
    path: &std::path::Path,
    steps: &[qcstation::domain::ItemStatus],
) -> (i64, Vec<String>) {
    use qcstation::domain::{Actor, LotKey, LotRule, Uid};
    use qcstation::store::{BatchRequest, ItemFilter, Store};
    let mut store = Store::open(path).unwrap();
    let actor = Actor::console("test");
    let batch = store
        .allocate_batch(
            &actor,
            &BatchRequest {
                key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
                count: 3,
                manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                warranty_years: 2,
            },
        )
        .unwrap();
    let uids: Vec<String> = store
        .items(&ItemFilter {
            batch_id: Some(batch.id),
            ..ItemFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|item| item.uid)
        .collect();
    for uid in &uids {
        let uid: Uid = uid.parse().unwrap();
        for &to in steps {
            store.transition_item(&actor, &uid, to, "").unwrap();
        }
    }
    (batch.id, uids)
}

/// A porosity inspection of `camera` with `pores` pores (the first one deciding), as a camera
/// worker would record it; a reason unless accepted.
pub fn inspection(
    part_seq: u64,
    camera: &str,
    verdict: qcstation::domain::Verdict,
    pores: u32,
) -> qcstation::store::NewInspection {
    qcstation::store::NewInspection {
        part_seq,
        source: "button".into(),
        camera: camera.into(),
        part_number: "HSG-4471".into(),
        recipe_version: 1,
        serial: Some(format!("SN-{part_seq:04}")),
        verdict,
        reasons: if verdict == qcstation::domain::Verdict::Accept {
            Vec::new()
        } else {
            vec!["REJECT zone \"face\": pore #1 Ø 1.20 mm, max 0.60 mm".into()]
        },
        failed_rules: if verdict == qcstation::domain::Verdict::Accept {
            Vec::new()
        } else {
            vec!["max_diameter_mm".into()]
        },
        detector: "onnx".into(),
        mm_per_px: 0.03,
        width_px: 1280,
        height_px: 720,
        inspect_ms: 120.0,
        cycle_ms: 180.0,
        raw_image: Some("2026-11-22/part-raw.png".into()),
        overlay_image: None,
        pores: (1..=pores)
            .map(|n| qcstation::store::PoreRow {
                n,
                zone: Some("face".into()),
                x_px: 10.0 * n as f32,
                y_px: 20.0,
                diameter_mm: 0.3 * n as f32,
                feret_mm: 0.4 * n as f32,
                area_mm2: 0.07,
                circularity: 0.8,
                score: 0.9,
                verdict: (n == 1).then_some(verdict),
            })
            .collect(),
    }
}
