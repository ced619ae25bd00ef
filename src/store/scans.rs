//! Scan sessions: an operator scans parts, optionally against an expected set (a batch, a lot,
//! a list of UIDs). Each decoded code is judged when it is scanned and kept with its result:
//! `known` (in inventory, expected if anything is, in a status a part may be found in),
//! `unknown` (not in inventory), `duplicate` (already scanned in this session), `wrong_lot` (in
//! inventory but not expected here), `wrong_status` (expected, but scrapped, consumed, failed
//! or never engraved). Closing gives the summary: expected against seen, missing, extra.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, ItemStatus, Permission};

/// What a session is scanned against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Nothing,
    /// An allocation batch, by id.
    Batch(i64),
    /// Every item of a component, vendor and lot.
    Lot {
        component: String,
        vendor: String,
        lot: String,
    },
    /// These UIDs.
    List(Vec<String>),
}

/// The result of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanResult {
    Known,
    Unknown,
    Duplicate,
    WrongLot,
    WrongStatus,
}

impl ScanResult {
    pub const ALL: [ScanResult; 5] = [
        Self::Known,
        Self::Unknown,
        Self::Duplicate,
        Self::WrongLot,
        Self::WrongStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Known => "known",
            Self::Unknown => "unknown",
            Self::Duplicate => "duplicate",
            Self::WrongLot => "wrong_lot",
            Self::WrongStatus => "wrong_status",
        }
    }

    /// In words, for the screen.
    pub fn words(self) -> &'static str {
        match self {
            Self::Known => "OK",
            Self::Unknown => "unknown code",
            Self::Duplicate => "already scanned",
            Self::WrongLot => "not in this set",
            Self::WrongStatus => "wrong status",
        }
    }
}

impl fmt::Display for ScanResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ScanResult {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|result| result.as_str() == text)
            .ok_or_else(|| format!("{text:?} is not a scan result"))
    }
}

/// Statuses a part may be found in when scanned: marked and not used up or thrown away.
pub const SCANNABLE: [ItemStatus; 3] = [
    ItemStatus::Engraved,
    ItemStatus::Verified,
    ItemStatus::InStock,
];

/// `SCANNABLE` as an SQL list of quoted names.
fn scannable_sql() -> String {
    SCANNABLE
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSessionRecord {
    pub id: i64,
    pub name: String,
    /// `none`, `batch`, `lot` or `list`.
    pub expected_kind: String,
    /// The batch id, the lot (`PAD-V0100-L2025-09`) or `N UIDs`.
    pub expected_ref: Option<String>,
    pub expected_count: u64,
    pub started_by: String,
    pub started_at_utc: String,
    pub closed_by: Option<String>,
    pub closed_at_utc: Option<String>,
}

impl ScanSessionRecord {
    pub fn is_open(&self) -> bool {
        self.closed_at_utc.is_none()
    }

    /// `batch 3`, `lot PAD-V0100-L2025-09`, `12 UIDs` or `nothing`.
    pub fn expected_words(&self) -> String {
        match (self.expected_kind.as_str(), &self.expected_ref) {
            ("none", _) | (_, None) => "nothing expected".to_owned(),
            ("list", Some(reference)) => format!("the expected list ({reference})"),
            (kind, Some(reference)) => format!("{kind} {reference}"),
        }
    }
}

/// One scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRecord {
    pub id: i64,
    pub session_id: i64,
    pub code_text: String,
    pub result: ScanResult,
    /// The item's status when scanned, when it is an item.
    pub item_status: Option<String>,
    /// Why, in words, for anything but `known`.
    pub detail: Option<String>,
    /// The crop of the code, relative to the station's image folder.
    pub image_path: Option<String>,
    pub scanned_by: String,
    pub at_utc: String,
}

/// Expected against seen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanSummary {
    pub expected: u64,
    /// Expected UIDs scanned at least once (whatever their result).
    pub seen_expected: u64,
    /// Distinct codes scanned.
    pub seen: u64,
    pub missing: Vec<String>,
    /// Codes scanned that were not expected (with an expected set) or not known.
    pub extra: Vec<String>,
    pub counts: BTreeMap<ScanResult, u64>,
}

const SESSION_COLUMNS: &str = "s.id, s.name, s.expected_kind, s.expected_ref,
    (SELECT COUNT(*) FROM scan_expected e WHERE e.session_id = s.id), s.started_by,
    s.started_at_utc, s.closed_by, s.closed_at_utc";

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<ScanSessionRecord> {
    Ok(ScanSessionRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        expected_kind: row.get(2)?,
        expected_ref: row.get(3)?,
        expected_count: row.get(4)?,
        started_by: row.get(5)?,
        started_at_utc: row.get(6)?,
        closed_by: row.get(7)?,
        closed_at_utc: row.get(8)?,
    })
}

const SCAN_COLUMNS: &str = "id, session_id, code_text, result, item_status, detail, image_path,
    scanned_by, at_utc";

fn scan_from_row(row: &Row<'_>) -> rusqlite::Result<ScanRecord> {
    let result: String = row.get(3)?;
    Ok(ScanRecord {
        id: row.get(0)?,
        session_id: row.get(1)?,
        code_text: row.get(2)?,
        result: result.parse().map_err(|err: String| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, err.into())
        })?,
        item_status: row.get(4)?,
        detail: row.get(5)?,
        image_path: row.get(6)?,
        scanned_by: row.get(7)?,
        at_utc: row.get(8)?,
    })
}

fn session_by_id(conn: &Connection, id: i64) -> Result<Option<ScanSessionRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {SESSION_COLUMNS} FROM scan_sessions s WHERE s.id = ?1"),
            [id],
            session_from_row,
        )
        .optional()?)
}

fn sessions(conn: &Connection, limit: usize) -> Result<Vec<ScanSessionRecord>, StoreError> {
    let limit = if limit == 0 { -1 } else { limit as i64 };
    let mut statement = conn.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM scan_sessions s ORDER BY s.id DESC LIMIT ?1"
    ))?;
    let rows = statement.query_map([limit], session_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A session's scans, oldest first; `newest` > 0 keeps only the newest that many.
fn scans(conn: &Connection, session_id: i64, newest: usize) -> Result<Vec<ScanRecord>, StoreError> {
    let limit = if newest == 0 { -1 } else { newest as i64 };
    let mut statement = conn.prepare(&format!(
        "SELECT {SCAN_COLUMNS} FROM (SELECT * FROM scans WHERE session_id = ?1
                                      ORDER BY id DESC LIMIT ?2) ORDER BY id"
    ))?;
    let rows = statement.query_map(params![session_id, limit], scan_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn summary(conn: &Connection, session_id: i64) -> Result<ScanSummary, StoreError> {
    let session = session_by_id(conn, session_id)?
        .ok_or_else(|| StoreError::Invalid(format!("no scan session {session_id}")))?;
    let mut expected = BTreeSet::new();
    {
        let mut statement =
            conn.prepare("SELECT uid FROM scan_expected WHERE session_id = ?1 ORDER BY uid")?;
        for uid in statement.query_map([session_id], |row| row.get::<_, String>(0))? {
            expected.insert(uid?);
        }
    }
    let rows = scans(conn, session_id, 0)?;
    let mut summary = ScanSummary {
        expected: expected.len() as u64,
        ..ScanSummary::default()
    };
    let mut seen = BTreeSet::new();
    let mut extra = BTreeSet::new();
    for row in &rows {
        *summary.counts.entry(row.result).or_default() += 1;
        seen.insert(row.code_text.clone());
        let unexpected = if session.expected_kind == "none" {
            row.result == ScanResult::Unknown
        } else {
            !expected.contains(&row.code_text)
        };
        if unexpected {
            extra.insert(row.code_text.clone());
        }
    }
    summary.seen = seen.len() as u64;
    summary.seen_expected = expected.iter().filter(|uid| seen.contains(*uid)).count() as u64;
    summary.missing = expected.difference(&seen).cloned().collect();
    summary.extra = extra.into_iter().collect();
    Ok(summary)
}

macro_rules! scan_queries {
    ($type:ty) => {
        impl $type {
            pub fn scan_session(&self, id: i64) -> Result<Option<ScanSessionRecord>, StoreError> {
                session_by_id(&self.conn, id)
            }

            /// The newest sessions first; `limit` 0 means all.
            pub fn scan_sessions(
                &self,
                limit: usize,
            ) -> Result<Vec<ScanSessionRecord>, StoreError> {
                sessions(&self.conn, limit)
            }

            /// A session's scans, oldest first; `newest` > 0 keeps the newest that many.
            pub fn scans(
                &self,
                session_id: i64,
                newest: usize,
            ) -> Result<Vec<ScanRecord>, StoreError> {
                scans(&self.conn, session_id, newest)
            }

            pub fn scan_summary(&self, session_id: i64) -> Result<ScanSummary, StoreError> {
                summary(&self.conn, session_id)
            }
        }
    };
}

scan_queries!(Store);
scan_queries!(StoreReader);

impl Store {
    /// Starts a session named `name` against `expected` (its UIDs copied now). Needs `Operate`;
    /// audited.
    pub fn start_scan_session(
        &mut self,
        actor: &Actor,
        name: &str,
        expected: &Expected,
    ) -> Result<ScanSessionRecord, StoreError> {
        let name = name.trim();
        let actor = self.require(
            actor,
            Permission::Operate,
            "start a scan session",
            "scan_session",
            name,
        )?;
        if name.is_empty() {
            return Err(StoreError::Invalid(
                "a scan session needs a name (a work order, a delivery, a shelf)".into(),
            ));
        }
        let savepoint = self.conn.savepoint()?;
        let (kind, reference, uids): (&str, Option<String>, Vec<String>) = match expected {
            Expected::Nothing => ("none", None, Vec::new()),
            Expected::Batch(batch_id) => {
                // Scrapped, consumed, failed or never engraved parts are not expected anywhere.
                let mut statement = savepoint.prepare(&format!(
                    "SELECT uid FROM items WHERE batch_id = ?1 AND status IN ({}) ORDER BY seq",
                    scannable_sql()
                ))?;
                let uids = statement
                    .query_map([batch_id], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                if uids.is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "batch {batch_id} has no marked items (engraved, verified or in stock)"
                    )));
                }
                ("batch", Some(batch_id.to_string()), uids)
            }
            Expected::Lot {
                component,
                vendor,
                lot,
            } => {
                let mut statement = savepoint.prepare(&format!(
                    "SELECT uid FROM items WHERE component = ?1 AND vendor = ?2 AND lot = ?3
                       AND status IN ({}) ORDER BY seq",
                    scannable_sql()
                ))?;
                let uids = statement
                    .query_map(params![component, vendor, lot], |row| row.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                if uids.is_empty() {
                    return Err(StoreError::Invalid(format!(
                        "lot {component}-{vendor}-{lot} has no marked items (engraved, verified or in stock)"
                    )));
                }
                ("lot", Some(format!("{component}-{vendor}-{lot}")), uids)
            }
            Expected::List(list) => {
                let uids: BTreeSet<String> = list
                    .iter()
                    .map(|uid| uid.trim().to_owned())
                    .filter(|uid| !uid.is_empty())
                    .collect();
                if uids.is_empty() {
                    return Err(StoreError::Invalid(
                        "the expected list is empty: give at least one UID".into(),
                    ));
                }
                let reference = format!("{} UIDs", uids.len());
                ("list", Some(reference), uids.into_iter().collect())
            }
        };
        savepoint.execute(
            "INSERT INTO scan_sessions (name, expected_kind, expected_ref, started_by,
                                        started_at_utc)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, kind, reference, actor.name, to_text(now_utc())],
        )?;
        let id = savepoint.last_insert_rowid();
        {
            let mut insert = savepoint
                .prepare("INSERT OR IGNORE INTO scan_expected (session_id, uid) VALUES (?1, ?2)")?;
            for uid in &uids {
                insert.execute(params![id, uid])?;
            }
        }
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "scan.start", "scan_session", &id.to_string()).change(
                None,
                Some(format!(
                    "{name}: {}",
                    match &reference {
                        Some(reference) => format!("{kind} {reference}, {} expected", uids.len()),
                        None => "nothing expected".to_owned(),
                    }
                )),
            ),
        )?;
        let record = session_by_id(&savepoint, id)?
            .ok_or_else(|| StoreError::Invalid(format!("scan session {id} vanished")))?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Judges and records one decoded code in an open session. Needs `Operate`.
    pub fn record_scan(
        &mut self,
        actor: &Actor,
        session_id: i64,
        code_text: &str,
        image_path: Option<&str>,
    ) -> Result<ScanRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "record a scan",
            "scan_session",
            &session_id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let session = session_by_id(&savepoint, session_id)?
            .ok_or_else(|| StoreError::Invalid(format!("no scan session {session_id}")))?;
        if !session.is_open() {
            return Err(StoreError::Invalid(format!(
                "scan session {session_id} ({}) is closed: start a new one",
                session.name
            )));
        }
        let (result, item_status, detail) = judge(&savepoint, &session, code_text)?;
        savepoint.execute(
            "INSERT INTO scans (session_id, code_text, result, item_status, detail, image_path,
                                scanned_by, at_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                session_id,
                code_text,
                result.as_str(),
                item_status,
                detail,
                image_path,
                actor.name,
                to_text(now_utc())
            ],
        )?;
        let id = savepoint.last_insert_rowid();
        let record = savepoint.query_row(
            &format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = ?1"),
            [id],
            scan_from_row,
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Closes an open session; returns its summary. Needs `Operate`; audited with the summary.
    pub fn close_scan_session(
        &mut self,
        actor: &Actor,
        session_id: i64,
    ) -> Result<ScanSummary, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "close a scan session",
            "scan_session",
            &session_id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let changed = savepoint.execute(
            "UPDATE scan_sessions SET closed_by = ?1, closed_at_utc = ?2
             WHERE id = ?3 AND closed_at_utc IS NULL",
            params![actor.name, to_text(now_utc()), session_id],
        )?;
        if changed != 1 {
            return Err(StoreError::Invalid(format!(
                "scan session {session_id} is not open"
            )));
        }
        let summary = summary(&savepoint, session_id)?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "scan.close",
                "scan_session",
                &session_id.to_string(),
            )
            .change(
                None,
                Some(format!(
                    "{} of {} expected seen, {} missing, {} extra",
                    summary.seen_expected,
                    summary.expected,
                    summary.missing.len(),
                    summary.extra.len()
                )),
            ),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(summary)
    }
}

/// The result of scanning `code` in `session` now.
fn judge(
    conn: &Connection,
    session: &ScanSessionRecord,
    code: &str,
) -> Result<(ScanResult, Option<String>, Option<String>), StoreError> {
    let scanned_before: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM scans WHERE session_id = ?1 AND code_text = ?2)",
        params![session.id, code],
        |row| row.get(0),
    )?;
    let status: Option<String> = conn
        .query_row("SELECT status FROM items WHERE uid = ?1", [code], |row| {
            row.get(0)
        })
        .optional()?;
    if scanned_before {
        return Ok((
            ScanResult::Duplicate,
            status,
            Some("scanned before in this session".into()),
        ));
    }
    let Some(status_text) = status else {
        return Ok((
            ScanResult::Unknown,
            None,
            Some("not in this station's inventory".into()),
        ));
    };
    if session.expected_kind != "none" {
        let expected: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM scan_expected WHERE session_id = ?1 AND uid = ?2)",
            params![session.id, code],
            |row| row.get(0),
        )?;
        if !expected {
            return Ok((
                ScanResult::WrongLot,
                Some(status_text),
                Some(format!("not in {}", session.expected_words())),
            ));
        }
    }
    let status: ItemStatus = status_text
        .parse()
        .map_err(|err| StoreError::Invalid(format!("item {code} has a bad status: {err}")))?;
    if !SCANNABLE.contains(&status) {
        return Ok((
            ScanResult::WrongStatus,
            Some(status_text),
            Some(format!("the item is {status}")),
        ));
    }
    Ok((ScanResult::Known, Some(status_text), None))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::{LotKey, LotRule, Uid};
    use crate::store::{BatchRequest, ItemFilter};

    fn batch(store: &mut Store, lot: &str, count: u32) -> (i64, Vec<String>) {
        let request = BatchRequest {
            key: LotKey::new("PAD", "V0100", lot, &LotRule::default()).unwrap(),
            count,
            manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            warranty_years: 2,
        };
        let actor = Actor::console("test");
        let batch = store.allocate_batch(&actor, &request).unwrap();
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
            store
                .transition_item(&actor, &uid, ItemStatus::Engraved, "")
                .unwrap();
            store
                .transition_item(&actor, &uid, ItemStatus::Verified, "")
                .unwrap();
        }
        (batch.id, uids)
    }

    #[test]
    fn every_result_is_judged_and_the_summary_names_missing_and_extra() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let actor = Actor::console("test");
        let (batch_id, uids) = batch(&mut store, "L2025-09", 4);
        let (_, other) = batch(&mut store, "L2025-10", 1);
        // Scrapped before the session: not expected.
        let (extra_batch, extra) = batch(&mut store, "L2025-11", 2);
        store
            .transition_item(
                &actor,
                &extra[0].parse().unwrap(),
                ItemStatus::Scrapped,
                "bent",
            )
            .unwrap();
        let partial = store
            .start_scan_session(&actor, "Partial", &Expected::Batch(extra_batch))
            .unwrap();
        assert_eq!(partial.expected_count, 1);
        let session = store
            .start_scan_session(&actor, "Shelf 4", &Expected::Batch(batch_id))
            .unwrap();
        assert_eq!(session.expected_count, 4);
        // Scrapped during the session: expected, found in the wrong status.
        store
            .transition_item(
                &actor,
                &uids[3].parse().unwrap(),
                ItemStatus::Scrapped,
                "dropped",
            )
            .unwrap();
        let mut results = Vec::new();
        for code in [&uids[0], &uids[1], &uids[0], &other[0], "HELLO", &uids[3]] {
            results.push(
                store
                    .record_scan(&actor, session.id, code, None)
                    .unwrap()
                    .result,
            );
        }
        assert_eq!(
            results,
            [
                ScanResult::Known,
                ScanResult::Known,
                ScanResult::Duplicate,
                ScanResult::WrongLot,
                ScanResult::Unknown,
                ScanResult::WrongStatus,
            ]
        );
        let summary = store.close_scan_session(&actor, session.id).unwrap();
        assert_eq!(summary.expected, 4);
        assert_eq!(summary.seen_expected, 3);
        assert_eq!(summary.missing, [uids[2].clone()]);
        assert_eq!(summary.extra, ["HELLO".to_owned(), other[0].clone()]);
        assert_eq!(summary.counts[&ScanResult::Known], 2);
        // Closed: nothing more is recorded, and it cannot be closed twice.
        assert!(
            store
                .record_scan(&actor, session.id, &uids[2], None)
                .is_err()
        );
        assert!(store.close_scan_session(&actor, session.id).is_err());
        assert_eq!(store.scans(session.id, 0).unwrap().len(), 6);
        assert_eq!(store.scans(session.id, 2).unwrap()[1].code_text, uids[3]);
    }

    #[test]
    fn a_session_without_expectations_counts_only_unknown_codes_as_extra() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let actor = Actor::console("test");
        let (_, uids) = batch(&mut store, "L2025-09", 2);
        let session = store
            .start_scan_session(&actor, "Receiving", &Expected::Nothing)
            .unwrap();
        store
            .record_scan(&actor, session.id, &uids[0], None)
            .unwrap();
        store.record_scan(&actor, session.id, "XYZ", None).unwrap();
        let summary = store.scan_summary(session.id).unwrap();
        assert_eq!(summary.expected, 0);
        assert!(summary.missing.is_empty());
        assert_eq!(summary.extra, ["XYZ".to_owned()]);
        // An expected list and a lot work the same way as a batch.
        let list = store
            .start_scan_session(
                &actor,
                "List",
                &Expected::List(vec![uids[1].clone(), " ".into()]),
            )
            .unwrap();
        assert_eq!(list.expected_count, 1);
        let lot = store
            .start_scan_session(
                &actor,
                "Lot",
                &Expected::Lot {
                    component: "PAD".into(),
                    vendor: "V0100".into(),
                    lot: "L2025-09".into(),
                },
            )
            .unwrap();
        assert_eq!(lot.expected_count, 2);
        assert!(
            store
                .start_scan_session(&actor, "  ", &Expected::Nothing)
                .is_err()
        );
    }
}
