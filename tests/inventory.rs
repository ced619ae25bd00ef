//! The inventory capability through the runtime: batches allocated in a real SQLite store come
//! back through `Runtime::inventory()` as rows, counts by status, low-stock alerts and batches,
//! filtered the way the Inventory panel asks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::time::{Duration, Instant};

use qcstation::domain::{Actor, ItemStatus, LotKey, LotRule};
use qcstation::runtime::{
    InventoryCommand, InventoryEvent, InventoryPage, Runtime, RuntimeOptions,
};
use qcstation::store::{BatchRecord, BatchRequest, ItemFilter, Store};

fn options(dir: &std::path::Path) -> RuntimeOptions {
    RuntimeOptions::scratch(dir.join("station.sqlite"))
}

fn allocate(store: &mut Store, component: &str, count: u32) -> BatchRecord {
    store
        .allocate_batch(
            &Actor::console("test"),
            &BatchRequest {
                key: LotKey::new(component, "V0100", "L2025-09", &LotRule::default()).unwrap(),
                count,
                manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                warranty_years: 2,
            },
        )
        .unwrap()
}

/// Sends `filter` and waits for its page.
fn list(runtime: &Runtime, filter: ItemFilter) -> InventoryPage {
    let inventory = runtime.inventory().expect("the inventory capability runs");
    inventory
        .send(InventoryCommand::List(filter.clone()))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match inventory.events().recv_timeout(left) {
            Ok(InventoryEvent::Listed(page)) if page.filter == filter => return page,
            Ok(InventoryEvent::Listed(_)) => continue,
            Ok(InventoryEvent::Failed(error)) => panic!("the inventory failed: {error}"),
            Err(_) => panic!("no inventory answer within 10 s"),
        }
    }
}

#[test]
fn the_inventory_handle_answers_rows_counts_alerts_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let (pads, brackets) = {
        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let console = Actor::console("test");
        let pads = allocate(&mut store, "PAD", 12);
        let brackets = allocate(&mut store, "BRKT", 5);
        for seq in 1..=3 {
            let uid = pads.uid_text(seq).parse().unwrap();
            for to in [
                ItemStatus::Engraved,
                ItemStatus::Verified,
                ItemStatus::InStock,
            ] {
                store.transition_item(&console, &uid, to, "test").unwrap();
            }
        }
        store
            .transition_item(
                &console,
                &pads.uid_text(4).parse().unwrap(),
                ItemStatus::Scrapped,
                "dropped",
            )
            .unwrap();
        store.set_stock_threshold(&console, "PAD", 10).unwrap();
        (pads, brackets)
    };
    let runtime = Runtime::start(options(dir.path())).unwrap();

    let everything = list(&runtime, ItemFilter::default());
    assert_eq!(everything.items.len(), 17);
    assert_eq!(everything.counts.total(), 17);
    assert_eq!(everything.counts.get(ItemStatus::Allocated), 13);
    assert_eq!(everything.counts.get(ItemStatus::InStock), 3);
    assert_eq!(everything.counts.get(ItemStatus::Scrapped), 1);
    assert_eq!(everything.counts.get(ItemStatus::Consumed), 0);
    assert_eq!(everything.low_stock.len(), 1, "{:?}", everything.low_stock);
    let alert = &everything.low_stock[0];
    assert_eq!(
        (alert.component.as_str(), alert.in_stock, alert.min_in_stock),
        ("PAD", 3, 10)
    );
    let batch_ids: Vec<i64> = everything.batches.iter().map(|batch| batch.id).collect();
    assert_eq!(batch_ids, vec![brackets.id, pads.id], "newest first");

    // The status narrows the rows; the counts stay those of the other filters.
    let in_stock = list(
        &runtime,
        ItemFilter {
            component: Some("PAD".into()),
            status: Some(ItemStatus::InStock),
            ..ItemFilter::default()
        },
    );
    let uids: Vec<&str> = in_stock
        .items
        .iter()
        .map(|item| item.uid.as_str())
        .collect();
    assert_eq!(
        uids,
        vec![
            "PAD-V0100-L2025-09-00001",
            "PAD-V0100-L2025-09-00002",
            "PAD-V0100-L2025-09-00003"
        ]
    );
    assert_eq!(in_stock.counts.total(), 12);
    assert_eq!(in_stock.counts.get(ItemStatus::Allocated), 8);

    let one_batch = list(
        &runtime,
        ItemFilter {
            batch_id: Some(brackets.id),
            limit: 2,
            ..ItemFilter::default()
        },
    );
    assert_eq!(one_batch.items.len(), 2, "the limit caps the rows");
    assert!(
        one_batch
            .items
            .iter()
            .all(|item| item.component == "BRKT" && item.batch_id == brackets.id)
    );
    assert_eq!(one_batch.counts.total(), 5, "the counts ignore the limit");
    assert_eq!(one_batch.counts.get(ItemStatus::Allocated), 5);

    let report = runtime.shutdown();
    assert!(report.joined.iter().any(|name| name == "inventory"));
    assert!(report.timed_out.is_empty(), "{report:?}");
}
