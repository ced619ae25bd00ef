//! The inventory worker: answers the Inventory panel's queries (items matching a filter, counts
//! by status, low-stock alerts, the recent batches to filter by) from its own read connection,
//! so the UI never runs SQL. A capability of its own: typed commands in, typed events out. It
//! only reads; lifecycle moves go through the store writer.

use std::time::Duration;

use super::port::Port;
use super::worker::{WorkerCtx, WorkerExit};
use crate::store::{BatchRecord, ItemFilter, ItemRecord, LowStockAlert, StatusCounts, StoreReader};

/// Batches offered in the panel's batch filter, newest first.
pub const RECENT_BATCHES: usize = 50;

/// What the panel asks.
#[derive(Debug, Clone, PartialEq)]
pub enum InventoryCommand {
    /// Items matching the filter, with the counts by status of the same filter (status and
    /// limit aside), the low-stock alerts and the most recent batches.
    List(ItemFilter),
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq)]
pub enum InventoryEvent {
    Listed(InventoryPage),
    Failed(String),
}

/// One answer to `List`.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryPage {
    pub filter: ItemFilter,
    pub items: Vec<ItemRecord>,
    pub counts: StatusCounts,
    pub low_stock: Vec<LowStockAlert>,
    /// The `RECENT_BATCHES` newest batches, newest first (the batch filter's choices).
    pub batches: Vec<BatchRecord>,
}

fn list(reader: &StoreReader, filter: ItemFilter) -> Result<InventoryPage, String> {
    let totals = ItemFilter {
        status: None,
        limit: 0,
        ..filter.clone()
    };
    let items = reader
        .items(&filter)
        .map_err(|err| format!("listing the items: {err:#}"))?;
    let counts = reader
        .item_counts(&totals)
        .map_err(|err| format!("counting the items by status: {err:#}"))?;
    let low_stock = reader
        .low_stock_alerts()
        .map_err(|err| format!("checking the low-stock thresholds: {err:#}"))?;
    let batches = reader
        .batches(RECENT_BATCHES)
        .map_err(|err| format!("listing the batches: {err:#}"))?;
    Ok(InventoryPage {
        filter,
        items,
        counts,
        low_stock,
        batches,
    })
}

/// The worker's body: one query at a time, newest wins when several wait.
pub(super) fn serve(
    reader: &StoreReader,
    worker: &WorkerCtx,
    port: &Port<InventoryCommand, InventoryEvent>,
) -> WorkerExit {
    while !worker.is_stopped() {
        worker.beat();
        let mut command = match port.next_command(Duration::from_millis(200)) {
            Ok(Some(command)) => command,
            Ok(None) => continue,
            Err(_) => break,
        };
        // A burst of filter changes needs only the last answer.
        while let Ok(Some(newer)) = port.next_command(Duration::ZERO) {
            command = newer;
        }
        let InventoryCommand::List(filter) = command;
        port.emit(match list(reader, filter) {
            Ok(page) => InventoryEvent::Listed(page),
            Err(err) => InventoryEvent::Failed(format!("reading the inventory: {err}")),
        });
    }
    WorkerExit::Finished
}
