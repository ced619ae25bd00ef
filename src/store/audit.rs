//! The audit trail: append-only rows chained by SHA-256, each hashing the previous row's hash
//! and its own fields, with the chain's head anchored in `audit_anchor` (signed with the station
//! key and copied to a head file outside the database when the store is sealed, see `seal`).
//! Editing, reordering or deleting any row (the newest included, or all of them) breaks the
//! chain, and `verify` names the first bad row.
//!
//! Rows carry their hash scheme: 1 (type tags and a 0x1f separator, ambiguous when a field holds
//! 0x1f) for rows written before schema version 4, 2 (every field length-prefixed) since.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreError;
use super::seal::{Sealed, read_anchor, read_head};
use super::time::{now_utc, to_text};

/// The `prev_hash` of the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A row to append: what happened, to what, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEntry {
    pub user_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

impl AuditEntry {
    pub fn new(user_name: &str, action: &str, entity: &str, entity_id: &str) -> Self {
        Self {
            user_name: user_name.to_owned(),
            action: action.to_owned(),
            entity: entity.to_owned(),
            entity_id: entity_id.to_owned(),
            ..Self::default()
        }
    }

    pub fn change(mut self, old_value: Option<String>, new_value: Option<String>) -> Self {
        self.old_value = old_value;
        self.new_value = new_value;
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// A stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at_utc: String,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// What to show when browsing; empty fields match everything. Newest rows first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Matches user, action, entity, entity id, values or reason, anywhere, any case.
    pub text: String,
    pub user_name: String,
    /// Matches actions starting with this (`sign_in` matches `sign_in.failed`).
    pub action_prefix: String,
    /// Only rows with id below this (paging backwards).
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// The result of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub rows_checked: u64,
    pub first_break: Option<ChainBreak>,
    /// The newest row verified: to write down or export with a backup, and compare later.
    pub head: Option<ChainHead>,
    /// Whether the station key and the head file were checked too.
    pub sealed: bool,
}

/// The newest row of a chain: its id and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub row_id: i64,
    pub hash: String,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The row at (or right after) the break.
    pub row_id: i64,
    pub reason: String,
}

/// The hash scheme new rows are written with.
pub const CURRENT_HASH_SCHEME: u8 = 2;

/// The hash a scheme-1 row must carry (rows written before schema version 4). Public for tests
/// that build databases as older versions left them.
#[doc(hidden)]
pub fn row_hash(prev_hash: &str, id: i64, at_utc: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    let mut field = |text: Option<&str>| {
        // Scheme 1: a type tag and a unit separator per field. Ambiguous when a field itself
        // holds 0x1f, which is why scheme 2 exists; kept so old rows still verify.
        match text {
            Some(text) => {
                hasher.update(b"s");
                hasher.update(text.as_bytes());
            }
            None => hasher.update(b"n"),
        }
        hasher.update([0x1f]);
    };
    field(Some(prev_hash));
    field(Some(&id.to_string()));
    field(Some(at_utc));
    field(Some(&entry.user_name));
    field(Some(&entry.action));
    field(Some(&entry.entity));
    field(Some(&entry.entity_id));
    field(entry.old_value.as_deref());
    field(entry.new_value.as_deref());
    field(entry.reason.as_deref());
    hex::encode(hasher.finalize())
}

/// The hash a scheme-2 row must carry: a scheme label, then every field as a tag byte (0 for
/// NULL, 1 for a value) and, for a value, its length (u64 big-endian) and bytes. No two
/// different rows encode to the same bytes.
#[doc(hidden)]
pub fn row_hash_v2(prev_hash: &str, id: i64, at_utc: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"qcstation audit row v2\0");
    let mut field = |bytes: Option<&[u8]>| match bytes {
        Some(bytes) => {
            hasher.update([1]);
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        }
        None => hasher.update([0]),
    };
    field(Some(prev_hash.as_bytes()));
    field(Some(&id.to_be_bytes()));
    field(Some(at_utc.as_bytes()));
    field(Some(entry.user_name.as_bytes()));
    field(Some(entry.action.as_bytes()));
    field(Some(entry.entity.as_bytes()));
    field(Some(entry.entity_id.as_bytes()));
    field(entry.old_value.as_deref().map(str::as_bytes));
    field(entry.new_value.as_deref().map(str::as_bytes));
    field(entry.reason.as_deref().map(str::as_bytes));
    hex::encode(hasher.finalize())
}

/// The hash of a row under `scheme`; `None` for a scheme this build does not know.
fn hash_with(
    scheme: u8,
    prev_hash: &str,
    id: i64,
    at_utc: &str,
    entry: &AuditEntry,
) -> Option<String> {
    match scheme {
        1 => Some(row_hash(prev_hash, id, at_utc, entry)),
        2 => Some(row_hash_v2(prev_hash, id, at_utc, entry)),
        _ => None,
    }
}

/// Appends a row inside the caller's transaction or savepoint; returns its id.
pub(super) fn append(conn: &Connection, entry: &AuditEntry) -> Result<i64, StoreError> {
    let head: Option<(i64, String)> = conn
        .query_row(
            "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let (prev_id, prev_hash) = head.unwrap_or((0, GENESIS_HASH.to_owned()));
    let id = prev_id + 1;
    let at_utc = to_text(now_utc());
    let hash = row_hash_v2(&prev_hash, id, &at_utc, entry);
    conn.execute(
        "INSERT INTO audit (id, at_utc, user_name, action, entity, entity_id, old_value, new_value,
                            reason, prev_hash, hash, hash_scheme)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            id,
            at_utc,
            entry.user_name,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.old_value,
            entry.new_value,
            entry.reason,
            prev_hash,
            hash,
            CURRENT_HASH_SCHEME
        ],
    )?;
    // The signature is renewed by a sealed store before its savepoint commits; an unsealed
    // one leaves the anchor unsigned, which a sealed verify reports.
    conn.execute(
        "INSERT INTO audit_anchor (id, last_id, last_hash, mac) VALUES (1, ?1, ?2, NULL)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash,
                                        mac = NULL",
        params![id, hash],
    )?;
    Ok(id)
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: row.get(0)?,
        at_utc: row.get(1)?,
        entry: AuditEntry {
            user_name: row.get(2)?,
            action: row.get(3)?,
            entity: row.get(4)?,
            entity_id: row.get(5)?,
            old_value: row.get(6)?,
            new_value: row.get(7)?,
            reason: row.get(8)?,
        },
        prev_hash: row.get(9)?,
        hash: row.get(10)?,
    })
}

const COLUMNS: &str = "id, at_utc, user_name, action, entity, entity_id, old_value, new_value, reason, prev_hash, hash";

/// Rows matching `filter`, newest first.
pub(super) fn query(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
    let limit = if filter.limit == 0 { 500 } else { filter.limit };
    let like = format!("%{}%", filter.text.trim());
    let sql = format!(
        "SELECT {COLUMNS} FROM audit
         WHERE (?1 = '%%' OR user_name LIKE ?1 OR action LIKE ?1 OR entity LIKE ?1
                OR entity_id LIKE ?1 OR old_value LIKE ?1 OR new_value LIKE ?1 OR reason LIKE ?1)
           AND (?2 = '' OR user_name = ?2)
           AND (?3 = '' OR action = ?3 OR action LIKE ?3 || '.%')
           AND (?4 IS NULL OR id < ?4)
         ORDER BY id DESC LIMIT ?5"
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(
        params![
            like,
            filter.user_name.trim().to_lowercase(),
            filter.action_prefix.trim(),
            filter.before_id,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        read_row,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Walks the whole chain from the first row and reports the first break. Rows, count and
/// anchor are read in one read transaction, so an append made meanwhile by another connection
/// is simply not seen (instead of looking like removed rows). The head file, written after each
/// commit, is read before that transaction starts, so it never runs ahead of what is read.
/// `progress` is called after every row with (rows checked, rows in the trail).
pub(super) fn verify(
    conn: &Connection,
    sealed: Option<&Sealed>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ChainReport, StoreError> {
    let head_file = match sealed {
        Some(sealed) => Some(read_head(&sealed.seal.head_file)?),
        None => None,
    };
    let transaction = conn.unchecked_transaction()?;
    let total_rows: u64 =
        transaction.query_row("SELECT COUNT(*) FROM audit", [], |row| row.get(0))?;
    let mut statement = transaction.prepare(&format!(
        "SELECT {COLUMNS}, hash_scheme FROM audit ORDER BY id"
    ))?;
    let mut rows = statement.query([])?;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut expected_id = 1_i64;
    let mut rows_checked = 0_u64;
    let mut scheme_floor = 1_u8;
    let mut head_row_hash: Option<String> = None;
    let wanted_head_id = head_file
        .as_ref()
        .and_then(|head| head.as_ref())
        .map(|h| h.last_id);
    let report =
        |rows_checked: u64, first_break: Option<ChainBreak>, head: Option<ChainHead>| ChainReport {
            rows_checked,
            first_break,
            head,
            sealed: sealed.is_some(),
        };
    let broken = |row_id: i64, reason: String, rows_checked: u64| {
        report(rows_checked, Some(ChainBreak { row_id, reason }), None)
    };
    while let Some(row) = rows.next()? {
        let scheme: u8 = row.get(11)?;
        let row = read_row(row)?;
        rows_checked += 1;
        if row.id != expected_id {
            return Ok(broken(
                row.id,
                format!(
                    "rows {expected_id}..{} are missing (deleted)",
                    row.id.saturating_sub(1)
                ),
                rows_checked,
            ));
        }
        if row.prev_hash != expected_prev {
            return Ok(broken(
                row.id,
                "its link to the previous row does not match (a row before it was altered or replaced)"
                    .to_owned(),
                rows_checked,
            ));
        }
        // Once rows use a newer scheme, an older one after them is a downgrade.
        if scheme < scheme_floor {
            return Ok(broken(
                row.id,
                format!("it claims hash scheme {scheme} after rows of scheme {scheme_floor}"),
                rows_checked,
            ));
        }
        scheme_floor = scheme;
        match hash_with(scheme, &row.prev_hash, row.id, &row.at_utc, &row.entry) {
            Some(hash) if hash == row.hash => {}
            Some(_) => {
                return Ok(broken(
                    row.id,
                    "its contents do not match its hash (the row was altered)".to_owned(),
                    rows_checked,
                ));
            }
            None => {
                return Ok(broken(
                    row.id,
                    format!("it uses hash scheme {scheme}, unknown to this qcstation"),
                    rows_checked,
                ));
            }
        }
        if Some(row.id) == wanted_head_id {
            head_row_hash = Some(row.hash.clone());
        }
        expected_prev = row.hash;
        expected_id += 1;
        progress(rows_checked, total_rows.max(rows_checked));
    }
    drop(rows);
    drop(statement);
    let last_id = expected_id - 1;
    let anchor = read_anchor(&transaction)?;
    transaction.finish()?;
    match &anchor {
        Some(anchor) if anchor.last_id != last_id || anchor.last_hash != expected_prev => {
            return Ok(broken(
                anchor.last_id,
                format!(
                    "the chain ends at row {last_id} but its anchor records row {} (the newest rows were removed or replaced)",
                    anchor.last_id
                ),
                rows_checked,
            ));
        }
        None if rows_checked > 0 => {
            return Ok(broken(
                last_id,
                "the chain's anchor is missing (it was deleted)".to_owned(),
                rows_checked,
            ));
        }
        _ => {}
    }
    if let Some(sealed) = sealed {
        if let Some(anchor) = &anchor
            && !sealed.signed(anchor)
        {
            return Ok(broken(
                anchor.last_id,
                "the anchor's signature does not match the station key (the anchor was forged, or written without the key)"
                    .to_owned(),
                rows_checked,
            ));
        }
        let head_path = sealed.seal.head_file.display();
        match head_file.flatten() {
            None => {
                return Ok(broken(
                    last_id.max(1),
                    format!("the audit head file {head_path} is missing (deleted)"),
                    rows_checked,
                ));
            }
            Some(head) if !sealed.signed(&head) => {
                return Ok(broken(
                    head.last_id,
                    format!(
                        "the audit head file {head_path} is not signed by the station key (forged)"
                    ),
                    rows_checked,
                ));
            }
            Some(head) if head.last_id > last_id => {
                return Ok(broken(
                    head.last_id,
                    format!(
                        "the head file {head_path} records row {} but the trail ends at row {last_id} (rows were removed{})",
                        head.last_id,
                        if last_id == 0 {
                            ": the whole trail was wiped"
                        } else {
                            ""
                        }
                    ),
                    rows_checked,
                ));
            }
            Some(head)
                if head.last_id > 0
                    && head_row_hash.as_deref() != Some(head.last_hash.as_str()) =>
            {
                return Ok(broken(
                    head.last_id,
                    format!(
                        "row {} does not match the head file {head_path} (the trail was rewritten)",
                        head.last_id
                    ),
                    rows_checked,
                ));
            }
            Some(_) => {}
        }
    }
    let head = (last_id > 0).then_some(ChainHead {
        row_id: last_id,
        hash: expected_prev,
    });
    Ok(report(rows_checked, None, head))
}

impl super::Store {
    /// Appends one row in its own savepoint (or as part of the current batch).
    pub fn append_audit(&mut self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let savepoint = self.conn.savepoint()?;
        let id = append(&savepoint, entry)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(id)
    }
}

impl super::StoreReader {
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        query(&self.conn, filter)
    }

    /// Verifies the whole trail (and, when the reader is sealed, the key's signature and the
    /// head file).
    pub fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        verify(&self.conn, self.sealed.as_ref(), &mut |_, _| {})
    }

    /// As `verify_audit`, calling `progress(rows_checked, total_rows)` after every row so a
    /// long trail can show progress (throttle in the callback if needed).
    pub fn verify_audit_with_progress(
        &self,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ChainReport, StoreError> {
        verify(&self.conn, self.sealed.as_ref(), progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(count: usize) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::migrate_to_version(&mut conn, super::super::LATEST_VERSION)
            .unwrap();
        for index in 0..count {
            let entry = AuditEntry::new("ada", "test.step", "thing", &index.to_string())
                .change(None, Some(format!("v{index}")));
            append(&conn, &entry).unwrap();
        }
        conn
    }

    fn tamper(conn: &Connection, sql: &str) {
        conn.execute_batch(
            "DROP TRIGGER audit_is_append_only_update; DROP TRIGGER audit_is_append_only_delete;",
        )
        .unwrap();
        conn.execute_batch(sql).unwrap();
    }

    #[test]
    fn intact_chain_verifies() {
        let conn = chain(5);
        let report = verify(&conn, None, &mut |_, _| {}).unwrap();
        assert_eq!(report.rows_checked, 5);
        assert!(report.is_intact(), "{report:?}");
    }

    #[test]
    fn rows_are_append_only() {
        let conn = chain(2);
        assert!(
            conn.execute("UPDATE audit SET user_name = 'eve'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM audit", []).is_err());
    }

    #[test]
    fn altered_row_is_named() {
        let conn = chain(5);
        tamper(&conn, "UPDATE audit SET new_value = 'forged' WHERE id = 3");
        let report = verify(&conn, None, &mut |_, _| {}).unwrap();
        assert_eq!(report.first_break.unwrap().row_id, 3);
    }

    #[test]
    fn deleted_middle_row_is_named() {
        let conn = chain(5);
        tamper(&conn, "DELETE FROM audit WHERE id = 2");
        let broken = verify(&conn, None, &mut |_, _| {})
            .unwrap()
            .first_break
            .unwrap();
        assert_eq!(broken.row_id, 3);
        assert!(broken.reason.contains("missing"), "{}", broken.reason);
    }

    #[test]
    fn deleted_newest_row_is_detected() {
        let conn = chain(5);
        tamper(&conn, "DELETE FROM audit WHERE id = 5");
        let broken = verify(&conn, None, &mut |_, _| {})
            .unwrap()
            .first_break
            .unwrap();
        assert_eq!(broken.row_id, 5);
    }

    #[test]
    fn rehashed_forgery_breaks_the_next_link() {
        let conn = chain(4);
        // An attacker who recomputes the altered row's own hash still breaks row 3's link.
        let row: AuditRow = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM audit WHERE id = 2"),
                [],
                read_row,
            )
            .unwrap();
        let mut forged = row.entry.clone();
        forged.new_value = Some("forged".into());
        let hash = row_hash_v2(&row.prev_hash, 2, &row.at_utc, &forged);
        tamper(
            &conn,
            &format!("UPDATE audit SET new_value = 'forged', hash = '{hash}' WHERE id = 2"),
        );
        assert_eq!(
            verify(&conn, None, &mut |_, _| {})
                .unwrap()
                .first_break
                .unwrap()
                .row_id,
            3
        );
    }

    #[test]
    fn old_scheme_1_rows_then_scheme_2_rows_verify() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::migrations::migrate_to_version(&mut conn, 3).unwrap();
        // Rows as a release before schema 4 wrote them: scheme 1, anchored.
        let mut prev = GENESIS_HASH.to_owned();
        for id in 1..=3_i64 {
            let entry = AuditEntry::new("ada", "old.step", "thing", &id.to_string());
            let at = format!("2026-01-01T00:00:0{id}.000Z");
            let hash = row_hash(&prev, id, &at, &entry);
            conn.execute(
                "INSERT INTO audit (id, at_utc, user_name, action, entity, entity_id, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![id, at, entry.user_name, entry.action, entry.entity, entry.entity_id, prev, hash],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO audit_anchor (id, last_id, last_hash) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
                params![id, hash],
            )
            .unwrap();
            prev = hash;
        }
        super::super::migrations::migrate_to_version(&mut conn, super::super::LATEST_VERSION)
            .unwrap();
        for index in 0..2 {
            append(
                &conn,
                &AuditEntry::new("ada", "new.step", "thing", &index.to_string()),
            )
            .unwrap();
        }
        let schemes: Vec<u8> = conn
            .prepare("SELECT hash_scheme FROM audit ORDER BY id")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(schemes, vec![1, 1, 1, 2, 2]);
        let report = verify(&conn, None, &mut |_, _| {}).unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows_checked, 5);
        // A scheme-2 row relabelled as scheme 1 (a downgrade) is caught.
        tamper(&conn, "UPDATE audit SET hash_scheme = 1 WHERE id = 5");
        assert_eq!(
            verify(&conn, None, &mut |_, _| {})
                .unwrap()
                .first_break
                .unwrap()
                .row_id,
            5
        );
    }

    #[test]
    fn rows_that_collide_under_scheme_1_differ_under_scheme_2() {
        let at = "2026-01-01T00:00:00.000Z";
        // A field holding the separator shifts bytes between fields without changing them.
        let first = AuditEntry::new("a\u{1f}sb", "c", "user", "x");
        let second = AuditEntry::new("a", "b\u{1f}sc", "user", "x");
        assert_ne!(first, second);
        assert_eq!(
            row_hash(GENESIS_HASH, 1, at, &first),
            row_hash(GENESIS_HASH, 1, at, &second),
            "scheme 1 is ambiguous"
        );
        assert_ne!(
            row_hash_v2(GENESIS_HASH, 1, at, &first),
            row_hash_v2(GENESIS_HASH, 1, at, &second)
        );
        // NULL and an empty value differ too.
        let empty = AuditEntry::new("a", "b", "c", "d").reason("");
        let null = AuditEntry::new("a", "b", "c", "d");
        assert_ne!(
            row_hash_v2(GENESIS_HASH, 1, at, &empty),
            row_hash_v2(GENESIS_HASH, 1, at, &null)
        );
    }

    #[test]
    fn filters_by_text_user_and_action() {
        let conn = chain(3);
        append(
            &conn,
            &AuditEntry::new("olga", "sign_in.failed", "user", "olga"),
        )
        .unwrap();
        let by_user = query(
            &conn,
            &AuditFilter {
                user_name: "OLGA".into(),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        assert_eq!(by_user.len(), 1);
        let by_action = query(
            &conn,
            &AuditFilter {
                action_prefix: "sign_in".into(),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        assert_eq!(by_action.len(), 1);
        let by_text = query(
            &conn,
            &AuditFilter {
                text: "v1".into(),
                ..AuditFilter::default()
            },
        )
        .unwrap();
        assert_eq!(by_text.len(), 1);
        let all = query(&conn, &AuditFilter::default()).unwrap();
        assert_eq!(all.first().unwrap().id, 4, "newest first");
    }
}
