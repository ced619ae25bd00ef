//! Items and their UIDs: batch allocation, lifecycle transitions, inventory queries and
//! low-stock alerts.
//!
//! A batch takes a contiguous range of a lot's sequences in one transaction. The next free
//! sequence of each lot is kept in `uid_sequences` and only ever grows, so a number is never
//! handed out twice, even after its item is scrapped. Every status change is checked against the
//! lifecycle (`domain::ItemStatus`), kept in the append-only `item_transitions` and audited in
//! the same transaction. Nothing here renders codes or talks to the laser.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, ItemStatus, LotKey, MAX_SEQ, Permission, Uid, check_component};

/// Longest warranty an item may carry.
pub const MAX_WARRANTY_YEARS: u32 = 50;

/// What to allocate: `count` items of one lot, made on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRequest {
    pub key: LotKey,
    pub count: u32,
    pub manufactured_on: NaiveDate,
    pub warranty_years: u32,
}

/// A stored batch: sequences `first_seq ..= last_seq()` of its lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRecord {
    pub id: i64,
    pub component: String,
    pub vendor: String,
    pub lot: String,
    pub first_seq: u32,
    pub count: u32,
    /// `YYYY-MM-DD`.
    pub manufactured_on: String,
    pub warranty_years: u32,
    pub created_by: String,
    pub created_at_utc: String,
}

impl BatchRecord {
    pub fn last_seq(&self) -> u32 {
        self.first_seq + self.count.saturating_sub(1)
    }

    /// The UID text of sequence `seq` of this batch's lot.
    pub fn uid_text(&self, seq: u32) -> String {
        format!("{}-{}-{}-{seq:05}", self.component, self.vendor, self.lot)
    }
}

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub id: i64,
    pub uid: String,
    pub component: String,
    pub vendor: String,
    pub lot: String,
    pub seq: u32,
    pub batch_id: i64,
    /// `YYYY-MM-DD`.
    pub manufactured_on: String,
    pub warranty_years: u32,
    pub status: ItemStatus,
    pub created_at_utc: String,
    pub updated_at_utc: String,
    pub created_by: String,
    /// The engraving job that marked it (set by the job queue).
    pub engrave_job_id: Option<i64>,
    /// The verification result (set when the mark is scanned).
    pub verification: Option<String>,
}

/// One recorded status change; `from` is `None` for the allocation that created the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRecord {
    pub id: i64,
    pub uid: String,
    pub from: Option<ItemStatus>,
    pub to: ItemStatus,
    pub at_utc: String,
    pub user_name: String,
    pub reason: Option<String>,
}

/// Facts recorded with a transition (left as they were when `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFacts {
    pub engrave_job_id: Option<i64>,
    pub verification: Option<String>,
}

/// Which items to list or count; `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    pub component: Option<String>,
    pub vendor: Option<String>,
    pub lot: Option<String>,
    pub status: Option<ItemStatus>,
    pub batch_id: Option<i64>,
    /// At most this many rows; 0 means all.
    pub limit: usize,
}

/// How many items are in each status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusCounts {
    counts: [u64; ItemStatus::ALL.len()],
}

impl StatusCounts {
    fn slot(status: ItemStatus) -> usize {
        ItemStatus::ALL
            .iter()
            .position(|candidate| *candidate == status)
            .unwrap_or(0)
    }

    pub fn get(&self, status: ItemStatus) -> u64 {
        self.counts[Self::slot(status)]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Every status with its count, in lifecycle order (zeros included).
    pub fn iter(&self) -> impl Iterator<Item = (ItemStatus, u64)> + '_ {
        ItemStatus::ALL.into_iter().zip(self.counts.iter().copied())
    }
}

/// Counts summed from `(status, count)` pairs (tests and views that count rows they hold).
impl FromIterator<(ItemStatus, u64)> for StatusCounts {
    fn from_iter<I: IntoIterator<Item = (ItemStatus, u64)>>(pairs: I) -> Self {
        let mut counts = Self::default();
        for (status, count) in pairs {
            counts.counts[Self::slot(status)] += count;
        }
        counts
    }
}

/// A component type's configured minimum stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockThreshold {
    pub component: String,
    pub min_in_stock: u32,
    pub updated_by: String,
    pub updated_at_utc: String,
}

/// A component type whose `in_stock` items are below its threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStockAlert {
    pub component: String,
    pub in_stock: u64,
    pub min_in_stock: u32,
    /// Items already verified, on their way into stock (not counted as stock).
    pub verified: u64,
}

const ITEM_COLUMNS: &str = "id, uid, component, vendor, lot, seq, batch_id, manufactured_on, warranty_years, status, created_at_utc, updated_at_utc, created_by, engrave_job_id, verification";

const BATCH_COLUMNS: &str = "id, component, vendor, lot, first_seq, count, manufactured_on, warranty_years, created_by, created_at_utc";

/// A status as stored; the CHECK constraint keeps them valid, so a bad one is corruption.
fn status_column(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<ItemStatus> {
    let text: String = row.get(index)?;
    text.parse()
        .map_err(|err: crate::domain::ItemStatusParseError| {
            rusqlite::Error::FromSqlConversionFailure(
                index,
                rusqlite::types::Type::Text,
                Box::new(err),
            )
        })
}

fn read_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<ItemRecord> {
    Ok(ItemRecord {
        id: row.get(0)?,
        uid: row.get(1)?,
        component: row.get(2)?,
        vendor: row.get(3)?,
        lot: row.get(4)?,
        seq: row.get(5)?,
        batch_id: row.get(6)?,
        manufactured_on: row.get(7)?,
        warranty_years: row.get(8)?,
        status: status_column(row, 9)?,
        created_at_utc: row.get(10)?,
        updated_at_utc: row.get(11)?,
        created_by: row.get(12)?,
        engrave_job_id: row.get(13)?,
        verification: row.get(14)?,
    })
}

fn read_batch(row: &rusqlite::Row<'_>) -> rusqlite::Result<BatchRecord> {
    Ok(BatchRecord {
        id: row.get(0)?,
        component: row.get(1)?,
        vendor: row.get(2)?,
        lot: row.get(3)?,
        first_seq: row.get(4)?,
        count: row.get(5)?,
        manufactured_on: row.get(6)?,
        warranty_years: row.get(7)?,
        created_by: row.get(8)?,
        created_at_utc: row.get(9)?,
    })
}

fn item_by_uid(conn: &Connection, uid: &str) -> Result<Option<ItemRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {ITEM_COLUMNS} FROM items WHERE uid = ?1"),
            [uid],
            read_item,
        )
        .optional()?)
}

fn batch_by_id(conn: &Connection, id: i64) -> Result<Option<BatchRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {BATCH_COLUMNS} FROM item_batches WHERE id = ?1"),
            [id],
            read_batch,
        )
        .optional()?)
}

/// The WHERE clause shared by listing and counting, on parameters ?1..?5.
const FILTER_WHERE: &str = "(?1 IS NULL OR component = ?1) AND (?2 IS NULL OR vendor = ?2)
    AND (?3 IS NULL OR lot = ?3) AND (?4 IS NULL OR status = ?4) AND (?5 IS NULL OR batch_id = ?5)";

fn list_items(conn: &Connection, filter: &ItemFilter) -> Result<Vec<ItemRecord>, StoreError> {
    let limit = if filter.limit == 0 {
        i64::MAX
    } else {
        i64::try_from(filter.limit).unwrap_or(i64::MAX)
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM items WHERE {FILTER_WHERE}
         ORDER BY component, vendor, lot, seq LIMIT ?6"
    ))?;
    let rows = statement.query_map(
        params![
            filter.component,
            filter.vendor,
            filter.lot,
            filter.status.map(ItemStatus::as_str),
            filter.batch_id,
            limit
        ],
        read_item,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn count_items(conn: &Connection, filter: &ItemFilter) -> Result<StatusCounts, StoreError> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT status, COUNT(*) FROM items WHERE {FILTER_WHERE} GROUP BY status"
    ))?;
    let rows = statement.query_map(
        params![
            filter.component,
            filter.vendor,
            filter.lot,
            filter.status.map(ItemStatus::as_str),
            filter.batch_id
        ],
        |row| Ok((status_column(row, 0)?, row.get::<_, u64>(1)?)),
    )?;
    let mut counts = StatusCounts::default();
    for row in rows {
        let (status, count) = row?;
        counts.counts[StatusCounts::slot(status)] = count;
    }
    Ok(counts)
}

fn history(conn: &Connection, uid: &str) -> Result<Vec<TransitionRecord>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT t.id, i.uid, t.from_status, t.to_status, t.at_utc, t.user_name, t.reason
         FROM item_transitions t JOIN items i ON i.id = t.item_id
         WHERE i.uid = ?1 ORDER BY t.id",
    )?;
    let rows = statement.query_map([uid], |row| {
        let from: Option<String> = row.get(2)?;
        Ok(TransitionRecord {
            id: row.get(0)?,
            uid: row.get(1)?,
            from: match from {
                Some(_) => Some(status_column(row, 2)?),
                None => None,
            },
            to: status_column(row, 3)?,
            at_utc: row.get(4)?,
            user_name: row.get(5)?,
            reason: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn batches(conn: &Connection, limit: usize) -> Result<Vec<BatchRecord>, StoreError> {
    let limit = if limit == 0 {
        i64::MAX
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {BATCH_COLUMNS} FROM item_batches ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = statement.query_map([limit], read_batch)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn thresholds(conn: &Connection) -> Result<Vec<StockThreshold>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT component, min_in_stock, updated_by, updated_at_utc FROM stock_thresholds
         ORDER BY component",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(StockThreshold {
            component: row.get(0)?,
            min_in_stock: row.get(1)?,
            updated_by: row.get(2)?,
            updated_at_utc: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn low_stock(conn: &Connection) -> Result<Vec<LowStockAlert>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT t.component, t.min_in_stock,
                COUNT(i.id) FILTER (WHERE i.status = 'in_stock'),
                COUNT(i.id) FILTER (WHERE i.status = 'verified')
         FROM stock_thresholds t LEFT JOIN items i ON i.component = t.component
         GROUP BY t.component, t.min_in_stock
         ORDER BY t.component",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(LowStockAlert {
            component: row.get(0)?,
            min_in_stock: row.get(1)?,
            in_stock: row.get(2)?,
            verified: row.get(3)?,
        })
    })?;
    let mut alerts = Vec::new();
    for alert in rows {
        let alert = alert?;
        if alert.in_stock < u64::from(alert.min_in_stock) {
            alerts.push(alert);
        }
    }
    Ok(alerts)
}

/// Moves an item inside the caller's transaction: checks the lifecycle, updates the item, keeps
/// the transition row and the audit row. The caller has checked the permission.
pub(super) fn transition_in(
    conn: &Connection,
    user_name: &str,
    uid_text: &str,
    to: ItemStatus,
    reason: Option<&str>,
    facts: &ItemFacts,
) -> Result<ItemRecord, StoreError> {
    let uid_text = uid_text.to_owned();
    let now = to_text(now_utc());
    let item =
        item_by_uid(conn, &uid_text)?.ok_or_else(|| StoreError::UnknownItem(uid_text.clone()))?;
    item.status
        .check_transition(to)
        .map_err(|refused| StoreError::Transition {
            uid: uid_text.clone(),
            refused,
        })?;
    let changed = conn.execute(
        "UPDATE items SET status = ?1, updated_at_utc = ?2,
                          engrave_job_id = COALESCE(?3, engrave_job_id),
                          verification = COALESCE(?4, verification)
         WHERE id = ?5 AND status = ?6",
        params![
            to.as_str(),
            now,
            facts.engrave_job_id,
            facts.verification,
            item.id,
            item.status.as_str()
        ],
    )?;
    if changed != 1 {
        return Err(StoreError::Invalid(format!(
            "{uid_text} changed while being moved to {to}: try again"
        )));
    }
    conn.execute(
        "INSERT INTO item_transitions (item_id, from_status, to_status, at_utc, user_name,
                                       reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            item.id,
            item.status.as_str(),
            to.as_str(),
            now,
            user_name,
            reason
        ],
    )?;
    let mut entry = AuditEntry::new(user_name, "item.status", "item", &uid_text).change(
        Some(item.status.to_string()),
        Some(match facts.engrave_job_id {
            Some(job) => format!("{to} (engrave job {job})"),
            None => to.to_string(),
        }),
    );
    if let Some(reason) = reason {
        entry = entry.reason(reason);
    }
    append(conn, &entry)?;
    item_by_uid(conn, &uid_text)?.ok_or_else(|| StoreError::UnknownItem(uid_text.clone()))
}

macro_rules! item_queries {
    ($type:ty) => {
        impl $type {
            /// One item by UID.
            pub fn item(&self, uid: &Uid) -> Result<Option<ItemRecord>, StoreError> {
                item_by_uid(&self.conn, &uid.to_string())
            }

            /// Items matching `filter`, by component, vendor, lot and sequence.
            pub fn items(&self, filter: &ItemFilter) -> Result<Vec<ItemRecord>, StoreError> {
                list_items(&self.conn, filter)
            }

            /// How many items matching `filter` are in each status (`filter.status` and
            /// `filter.limit` apply too; leave them unset for the inventory's totals).
            pub fn item_counts(&self, filter: &ItemFilter) -> Result<StatusCounts, StoreError> {
                count_items(&self.conn, filter)
            }

            /// Every status change of an item, oldest first (its allocation included).
            pub fn item_history(&self, uid: &Uid) -> Result<Vec<TransitionRecord>, StoreError> {
                history(&self.conn, &uid.to_string())
            }

            pub fn batch(&self, id: i64) -> Result<Option<BatchRecord>, StoreError> {
                batch_by_id(&self.conn, id)
            }

            /// The newest batches first; `limit` 0 means all.
            pub fn batches(&self, limit: usize) -> Result<Vec<BatchRecord>, StoreError> {
                batches(&self.conn, limit)
            }

            pub fn stock_thresholds(&self) -> Result<Vec<StockThreshold>, StoreError> {
                thresholds(&self.conn)
            }

            /// Component types with fewer `in_stock` items than their threshold.
            pub fn low_stock_alerts(&self) -> Result<Vec<LowStockAlert>, StoreError> {
                low_stock(&self.conn)
            }
        }
    };
}

item_queries!(Store);
item_queries!(StoreReader);

impl Store {
    /// Allocates `request.count` items with the next contiguous sequences of their lot, as one
    /// batch, in one transaction with its audit row. Needs `Operate`. Refused, with nothing
    /// written, when the lot has fewer sequences left than asked for.
    pub fn allocate_batch(
        &mut self,
        actor: &Actor,
        request: &BatchRequest,
    ) -> Result<BatchRecord, StoreError> {
        let key = &request.key;
        let lot_name = format!("{}-{}-{}", key.component(), key.vendor(), key.lot());
        let actor = self.require(
            actor,
            Permission::Operate,
            "allocate item UIDs",
            "lot",
            &lot_name,
        )?;
        if !(1..=MAX_SEQ).contains(&request.count) {
            return Err(StoreError::Invalid(format!(
                "count {} is not valid: a batch has 1 to {MAX_SEQ} items",
                request.count
            )));
        }
        if request.warranty_years > MAX_WARRANTY_YEARS {
            return Err(StoreError::Invalid(format!(
                "warranty years {} is not valid: 0 to {MAX_WARRANTY_YEARS}",
                request.warranty_years
            )));
        }
        let now = to_text(now_utc());
        let made_on = request.manufactured_on.format("%Y-%m-%d").to_string();
        let savepoint = self.conn.savepoint()?;
        // A write first, so the transaction holds the write lock before the counter is read:
        // two stations allocating on one file queue here instead of reading the same number.
        savepoint.execute(
            "INSERT INTO uid_sequences (component, vendor, lot, next_seq) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (component, vendor, lot) DO NOTHING",
            params![key.component(), key.vendor(), key.lot()],
        )?;
        let first_seq: u32 = savepoint.query_row(
            "SELECT next_seq FROM uid_sequences WHERE component = ?1 AND vendor = ?2 AND lot = ?3",
            params![key.component(), key.vendor(), key.lot()],
            |row| row.get(0),
        )?;
        let last_seq = u64::from(first_seq) + u64::from(request.count) - 1;
        if last_seq > u64::from(MAX_SEQ) {
            return Err(StoreError::SequenceExhausted {
                lot: lot_name,
                next_seq: first_seq,
                count: request.count,
            });
        }
        savepoint.execute(
            "UPDATE uid_sequences SET next_seq = ?4
             WHERE component = ?1 AND vendor = ?2 AND lot = ?3",
            params![
                key.component(),
                key.vendor(),
                key.lot(),
                first_seq + request.count
            ],
        )?;
        savepoint.execute(
            "INSERT INTO item_batches (component, vendor, lot, first_seq, count, manufactured_on,
                                       warranty_years, created_by, created_at_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                key.component(),
                key.vendor(),
                key.lot(),
                first_seq,
                request.count,
                made_on,
                request.warranty_years,
                actor.name,
                now
            ],
        )?;
        let batch_id = savepoint.last_insert_rowid();
        {
            let mut insert_item = savepoint.prepare_cached(
                "INSERT INTO items (uid, component, vendor, lot, seq, batch_id, manufactured_on,
                                    warranty_years, status, created_at_utc, updated_at_utc,
                                    created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'allocated', ?9, ?9, ?10)",
            )?;
            let mut insert_transition = savepoint.prepare_cached(
                "INSERT INTO item_transitions (item_id, from_status, to_status, at_utc, user_name,
                                               reason)
                 VALUES (?1, NULL, 'allocated', ?2, ?3, ?4)",
            )?;
            let reason = format!("batch {batch_id}");
            for seq in first_seq..first_seq + request.count {
                let uid = key.uid(seq)?.to_string();
                insert_item.execute(params![
                    uid,
                    key.component(),
                    key.vendor(),
                    key.lot(),
                    seq,
                    batch_id,
                    made_on,
                    request.warranty_years,
                    now,
                    actor.name
                ])?;
                insert_transition.execute(params![
                    savepoint.last_insert_rowid(),
                    now,
                    actor.name,
                    reason
                ])?;
            }
        }
        let record = batch_by_id(&savepoint, batch_id)?.ok_or_else(|| {
            StoreError::Invalid(format!("batch {batch_id} vanished while being written"))
        })?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "item.allocate", "batch", &batch_id.to_string()).change(
                None,
                Some(format!(
                    "{}..{:05} ({} items, made {made_on}, warranty {} y)",
                    record.uid_text(record.first_seq),
                    record.last_seq(),
                    record.count,
                    record.warranty_years
                )),
            ),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Moves an item to `to`, if the lifecycle allows it from where the item is; records the
    /// transition and an audit row. Needs `Operate`. Scrapping needs a reason; for other moves
    /// an empty reason is kept as none.
    pub fn transition_item(
        &mut self,
        actor: &Actor,
        uid: &Uid,
        to: ItemStatus,
        reason: &str,
    ) -> Result<ItemRecord, StoreError> {
        self.transition_item_with(actor, uid, to, reason, &ItemFacts::default())
    }

    /// `transition_item`, also recording the engraving job and/or the verification result
    /// (the job queue: `engraved` or `engrave_failed` with its job id; the verifier:
    /// `verified` with the grade).
    pub fn transition_item_with(
        &mut self,
        actor: &Actor,
        uid: &Uid,
        to: ItemStatus,
        reason: &str,
        facts: &ItemFacts,
    ) -> Result<ItemRecord, StoreError> {
        let uid_text = uid.to_string();
        let actor = self.require(
            actor,
            Permission::Operate,
            &format!("move an item to {to}"),
            "item",
            &uid_text,
        )?;
        let reason = Some(reason.trim()).filter(|reason| !reason.is_empty());
        if to == ItemStatus::Scrapped && reason.is_none() {
            return Err(StoreError::ReasonRequired {
                action: "scrap an item",
            });
        }
        let savepoint = self.conn.savepoint()?;
        let record = transition_in(&savepoint, &actor.name, &uid_text, to, reason, facts)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Sets the minimum number of `in_stock` items of a component type below which
    /// `low_stock_alerts` reports it (0 turns the alert off). Needs `Engineer`; audited.
    pub fn set_stock_threshold(
        &mut self,
        actor: &Actor,
        component: &str,
        min_in_stock: u32,
    ) -> Result<(), StoreError> {
        let actor = self.require(
            actor,
            Permission::Engineer,
            "set a low-stock threshold",
            "component",
            component,
        )?;
        check_component(component)?;
        let savepoint = self.conn.savepoint()?;
        let old: Option<u32> = savepoint
            .query_row(
                "SELECT min_in_stock FROM stock_thresholds WHERE component = ?1",
                [component],
                |row| row.get(0),
            )
            .optional()?;
        savepoint.execute(
            "INSERT INTO stock_thresholds (component, min_in_stock, updated_by, updated_at_utc)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (component) DO UPDATE SET min_in_stock = excluded.min_in_stock,
                 updated_by = excluded.updated_by, updated_at_utc = excluded.updated_at_utc",
            params![component, min_in_stock, actor.name, to_text(now_utc())],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "stock.threshold", "component", component).change(
                old.map(|old| old.to_string()),
                Some(min_in_stock.to_string()),
            ),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::{LotRule, Role, SecretHash, SecretKind};
    use crate::store::AuditFilter;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        (dir, store)
    }

    fn key(lot: &str) -> LotKey {
        LotKey::new("PAD", "V0100", lot, &LotRule::default()).unwrap()
    }

    fn request(lot: &str, count: u32) -> BatchRequest {
        BatchRequest {
            key: key(lot),
            count,
            manufactured_on: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            warranty_years: 2,
        }
    }

    fn console() -> Actor {
        Actor::console("test")
    }

    fn uid(text: &str) -> Uid {
        text.parse().unwrap()
    }

    fn seqs(store: &Store, batch_id: i64) -> Vec<u32> {
        store
            .items(&ItemFilter {
                batch_id: Some(batch_id),
                ..ItemFilter::default()
            })
            .unwrap()
            .iter()
            .map(|item| item.seq)
            .collect()
    }

    #[test]
    fn two_batches_of_a_lot_take_contiguous_ranges_that_do_not_overlap() {
        let (_dir, mut store) = store();
        let first = store
            .allocate_batch(&console(), &request("L2025-09", 3))
            .unwrap();
        let second = store
            .allocate_batch(&console(), &request("L2025-09", 4))
            .unwrap();
        let other_lot = store
            .allocate_batch(&console(), &request("L2025-10", 2))
            .unwrap();
        assert_eq!((first.first_seq, first.last_seq()), (1, 3));
        assert_eq!((second.first_seq, second.last_seq()), (4, 7));
        assert_eq!(other_lot.first_seq, 1, "each lot counts on its own");
        assert_eq!(seqs(&store, first.id), vec![1, 2, 3]);
        assert_eq!(seqs(&store, second.id), vec![4, 5, 6, 7]);
        let item = store
            .item(&uid("PAD-V0100-L2025-09-00005"))
            .unwrap()
            .unwrap();
        assert_eq!(item.batch_id, second.id);
        assert_eq!(item.status, ItemStatus::Allocated);
        assert_eq!(item.manufactured_on, "2025-09-01");
        assert_eq!(item.warranty_years, 2);
        assert_eq!(item.created_by, "console:test");
        // The allocation is audited once per batch, naming the range.
        let audit = store
            .reader()
            .unwrap()
            .audit(&AuditFilter {
                action_prefix: "item.allocate".into(),
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(audit.len(), 3);
        assert_eq!(
            audit[1].entry.new_value.as_deref(),
            Some("PAD-V0100-L2025-09-00004..00007 (4 items, made 2025-09-01, warranty 2 y)")
        );
        assert!(store.reader().unwrap().verify_audit().unwrap().is_intact());
    }

    #[test]
    fn two_connections_allocating_on_one_lot_never_share_a_sequence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.sqlite");
        drop(Store::open(&path).unwrap());
        let batches: Vec<BatchRecord> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..2)
                .map(|worker| {
                    let path = path.clone();
                    std::thread::Builder::new()
                        .name(format!("allocator-{worker}"))
                        .spawn_scoped(scope, move || {
                            let mut store = Store::open(&path).unwrap();
                            (0..15)
                                .map(|_| {
                                    store
                                        .allocate_batch(&console(), &request("L2025-09", 7))
                                        .unwrap()
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap()
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap())
                .collect()
        });
        let mut ranges: Vec<(u32, u32)> = batches
            .iter()
            .map(|batch| (batch.first_seq, batch.last_seq()))
            .collect();
        ranges.sort_unstable();
        for (index, &(first, last)) in ranges.iter().enumerate() {
            assert_eq!(first, 7 * index as u32 + 1, "{ranges:?}");
            assert_eq!(last, first + 6);
        }
        let store = Store::open(&path).unwrap();
        let counts = store.item_counts(&ItemFilter::default()).unwrap();
        assert_eq!(counts.get(ItemStatus::Allocated), 210);
    }

    #[test]
    fn a_scrapped_items_sequence_is_never_reused() {
        let (dir, mut store) = store();
        store
            .allocate_batch(&console(), &request("L2025-09", 2))
            .unwrap();
        let last = uid("PAD-V0100-L2025-09-00002");
        store
            .transition_item(&console(), &last, ItemStatus::Scrapped, "cracked blank")
            .unwrap();
        // Even with the item's row gone (a hand-edited file), the counter does not step back.
        let conn = Connection::open(dir.path().join("station.sqlite")).unwrap();
        conn.execute_batch(
            "DROP TRIGGER item_transitions_are_append_only_delete;
             DELETE FROM item_transitions WHERE item_id = (SELECT id FROM items WHERE seq = 2);
             DELETE FROM items WHERE seq = 2;",
        )
        .unwrap();
        let next = store
            .allocate_batch(&console(), &request("L2025-09", 1))
            .unwrap();
        assert_eq!(next.first_seq, 3);
    }

    #[test]
    fn the_lifecycle_is_enforced_and_every_move_recorded() {
        let (_dir, mut store) = store();
        store
            .allocate_batch(&console(), &request("L2025-09", 1))
            .unwrap();
        let one = uid("PAD-V0100-L2025-09-00001");
        let err = store
            .transition_item(&console(), &one, ItemStatus::InStock, "")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "PAD-V0100-L2025-09-00001: an item cannot go from allocated to in_stock: from allocated it may go to engraved, engrave_failed, scrapped"
        );
        let engraved = store
            .transition_item_with(
                &console(),
                &one,
                ItemStatus::Engraved,
                "",
                &ItemFacts {
                    engrave_job_id: Some(17),
                    verification: None,
                },
            )
            .unwrap();
        assert_eq!(engraved.engrave_job_id, Some(17));
        let verified = store
            .transition_item_with(
                &console(),
                &one,
                ItemStatus::Verified,
                "scanned",
                &ItemFacts {
                    engrave_job_id: None,
                    verification: Some("decoded, 1 attempt".into()),
                },
            )
            .unwrap();
        assert_eq!(verified.engrave_job_id, Some(17), "kept");
        assert_eq!(verified.verification.as_deref(), Some("decoded, 1 attempt"));
        let err = store
            .transition_item(&console(), &one, ItemStatus::Scrapped, "  ")
            .unwrap_err();
        assert!(matches!(err, StoreError::ReasonRequired { .. }), "{err}");
        store
            .transition_item(&console(), &one, ItemStatus::Scrapped, "dropped")
            .unwrap();
        let err = store
            .transition_item(&console(), &one, ItemStatus::Allocated, "retry")
            .unwrap_err();
        assert!(err.to_string().contains("scrapped is final"), "{err}");
        let history = store.item_history(&one).unwrap();
        let moves: Vec<_> = history.iter().map(|t| (t.from, t.to)).collect();
        assert_eq!(
            moves,
            vec![
                (None, ItemStatus::Allocated),
                (Some(ItemStatus::Allocated), ItemStatus::Engraved),
                (Some(ItemStatus::Engraved), ItemStatus::Verified),
                (Some(ItemStatus::Verified), ItemStatus::Scrapped),
            ]
        );
        assert_eq!(history[3].reason.as_deref(), Some("dropped"));
        assert_eq!(history[3].user_name, "console:test");
        let err = store
            .transition_item(
                &console(),
                &uid("PAD-V0100-L2025-09-00009"),
                ItemStatus::Engraved,
                "",
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::UnknownItem(_)), "{err}");
        let audit = store
            .reader()
            .unwrap()
            .audit(&AuditFilter {
                action_prefix: "item.status".into(),
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(audit.len(), 3, "the refused moves changed nothing");
        assert_eq!(audit[0].entry.reason.as_deref(), Some("dropped"));
    }

    #[test]
    fn a_lot_refuses_to_run_past_99999_and_writes_nothing() {
        let (_dir, mut store) = store();
        let big = store
            .allocate_batch(&console(), &request("L2025-09", MAX_SEQ - 2))
            .unwrap();
        assert_eq!(big.last_seq(), 99_997);
        let err = store
            .allocate_batch(&console(), &request("L2025-09", 5))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "PAD-V0100-L2025-09 cannot take 5 more item(s): its next sequence is 99998 and sequences end at 99999, so 2 are left (a sequence is never reused): allocate at most that many, or start a new lot"
        );
        assert_eq!(store.batches(0).unwrap().len(), 1, "nothing was written");
        let last = store
            .allocate_batch(&console(), &request("L2025-09", 2))
            .unwrap();
        assert_eq!(last.last_seq(), MAX_SEQ);
        let err = store
            .allocate_batch(&console(), &request("L2025-09", 1))
            .unwrap_err();
        assert!(err.to_string().contains("so 0 are left"), "{err}");
        let err = store
            .allocate_batch(&console(), &request("L2025-10", 0))
            .unwrap_err();
        assert!(err.to_string().contains("1 to 99999"), "{err}");
    }

    #[test]
    fn filters_counts_and_low_stock() {
        let (_dir, mut store) = store();
        store
            .allocate_batch(&console(), &request("L2025-09", 4))
            .unwrap();
        let brackets = BatchRequest {
            key: LotKey::new("BRKT", "V0200", "L2025-09", &LotRule::default()).unwrap(),
            ..request("L2025-09", 2)
        };
        store.allocate_batch(&console(), &brackets).unwrap();
        for seq in 1..=3 {
            let item = uid(&format!("PAD-V0100-L2025-09-{seq:05}"));
            for to in [
                ItemStatus::Engraved,
                ItemStatus::Verified,
                ItemStatus::InStock,
            ] {
                if seq == 3 && to == ItemStatus::InStock {
                    break;
                }
                store.transition_item(&console(), &item, to, "").unwrap();
            }
        }
        let pads = ItemFilter {
            component: Some("PAD".into()),
            ..ItemFilter::default()
        };
        let counts = store.item_counts(&pads).unwrap();
        assert_eq!(counts.get(ItemStatus::InStock), 2);
        assert_eq!(counts.get(ItemStatus::Verified), 1);
        assert_eq!(counts.get(ItemStatus::Allocated), 1);
        assert_eq!(counts.total(), 4);
        assert_eq!(
            store.item_counts(&ItemFilter::default()).unwrap().total(),
            6
        );
        let in_stock = store
            .items(&ItemFilter {
                status: Some(ItemStatus::InStock),
                ..ItemFilter::default()
            })
            .unwrap();
        let uids: Vec<_> = in_stock.iter().map(|item| item.uid.as_str()).collect();
        assert_eq!(
            uids,
            ["PAD-V0100-L2025-09-00001", "PAD-V0100-L2025-09-00002"]
        );
        assert_eq!(
            store
                .items(&ItemFilter {
                    vendor: Some("V0200".into()),
                    limit: 1,
                    ..ItemFilter::default()
                })
                .unwrap()
                .len(),
            1
        );

        assert!(
            store.low_stock_alerts().unwrap().is_empty(),
            "no thresholds"
        );
        store.set_stock_threshold(&console(), "PAD", 3).unwrap();
        store.set_stock_threshold(&console(), "BRKT", 1).unwrap();
        store.set_stock_threshold(&console(), "PCA", 0).unwrap();
        let alerts = store.low_stock_alerts().unwrap();
        assert_eq!(
            alerts,
            vec![
                LowStockAlert {
                    component: "BRKT".into(),
                    in_stock: 0,
                    min_in_stock: 1,
                    verified: 0
                },
                LowStockAlert {
                    component: "PAD".into(),
                    in_stock: 2,
                    min_in_stock: 3,
                    verified: 1
                },
            ]
        );
        store.set_stock_threshold(&console(), "PAD", 2).unwrap();
        assert_eq!(store.low_stock_alerts().unwrap().len(), 1);
        assert_eq!(store.stock_thresholds().unwrap().len(), 3);
        let audit = store
            .reader()
            .unwrap()
            .audit(&AuditFilter {
                action_prefix: "stock.threshold".into(),
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(audit[0].entry.old_value.as_deref(), Some("3"));
        assert_eq!(audit[0].entry.new_value.as_deref(), Some("2"));
        let err = store.set_stock_threshold(&console(), "pad", 1).unwrap_err();
        assert!(err.to_string().starts_with("component type"), "{err}");
    }

    #[test]
    fn roles_are_checked_where_items_change() {
        let (_dir, mut store) = store();
        let console = console();
        let pin = SecretHash {
            kind: SecretKind::Pin,
            phc: "$test$pin".into(),
        };
        let password = SecretHash {
            kind: SecretKind::Password,
            phc: "$test$password".into(),
        };
        store
            .add_user(&console, "ada", Role::Admin, &password)
            .unwrap();
        let viewer = store.add_user(&console, "vic", Role::Viewer, &pin).unwrap();
        let operator = store
            .add_user(&console, "olga", Role::Operator, &pin)
            .unwrap();
        let as_actor = |user: &crate::store::UserRecord| Actor {
            user_id: Some(user.id),
            name: user.name.clone(),
            role: user.role,
        };
        let err = store
            .allocate_batch(&as_actor(&viewer), &request("L2025-09", 1))
            .unwrap_err();
        assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
        let batch = store
            .allocate_batch(&as_actor(&operator), &request("L2025-09", 1))
            .unwrap();
        assert_eq!(batch.created_by, "olga");
        let err = store
            .set_stock_threshold(&as_actor(&operator), "PAD", 5)
            .unwrap_err();
        assert!(matches!(err, StoreError::Forbidden { .. }), "{err}");
        assert!(store.stock_thresholds().unwrap().is_empty());
    }
}
