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

/// A station database in `dir` seeded with the demo users (ada admin, erik engineer, olga
/// operator, vic viewer).
pub fn demo_store(dir: &std::path::Path) -> qcstation::store::Store {
    let mut store = qcstation::store::Store::open(&dir.join("station.sqlite")).unwrap();
    store.seed_demo(qcstation::auth::new_secret_hash).unwrap();
    store
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
