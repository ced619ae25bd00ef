//! The inventory worker: answers the Inventory panel's queries (items matching a filter, counts
//! by status, low-stock alerts) from its own read connection, so the UI never runs SQL. A
//! capability of its own: typed commands in, typed events out.

use std::time::Duration;

use super::port::Port;
use super::worker::{WorkerCtx, WorkerExit};
use crate::store::{ItemFilter, ItemRecord, LowStockAlert, StatusCounts, StoreReader};

/// What the panel asks.
#[derive(Debug, Clone, PartialEq)]
pub enum InventoryCommand {
    /// Items matching the filter, with the counts by status of the same filter (status and
    /// limit aside) and the low-stock alerts.
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
}

fn list(reader: &StoreReader, filter: ItemFilter) -> Result<InventoryPage, String> {
    let totals = ItemFilter {
        status: None,
        limit: 0,
        ..filter.clone()
    };
    Ok(InventoryPage {
        items: reader.items(&filter).map_err(|err| err.to_string())?,
        counts: reader.item_counts(&totals).map_err(|err| err.to_string())?,
        low_stock: reader.low_stock_alerts().map_err(|err| err.to_string())?,
        filter,
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
