//! The audit trail: append-only rows chained by SHA-256, each hashing the previous row's hash
//! and its own fields, with the chain's head anchored in `audit_anchor`. Editing, reordering or
//! deleting any row (the newest included) breaks the chain, and `verify` names the first bad row.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreError;
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

/// The hash a row must carry. Public for tests that build databases as older versions left them.
#[doc(hidden)]
pub fn row_hash(prev_hash: &str, id: i64, at_utc: &str, entry: &AuditEntry) -> String {
    let mut hasher = Sha256::new();
    let mut field = |text: Option<&str>| {
        // A unit separator between fields and a marker for NULL keep two different rows from
        // ever hashing the same bytes.
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
    let hash = row_hash(&prev_hash, id, &at_utc, entry);
    conn.execute(
        "INSERT INTO audit (id, at_utc, user_name, action, entity, entity_id, old_value, new_value,
                            reason, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
            hash
        ],
    )?;
    conn.execute(
        "INSERT INTO audit_anchor (id, last_id, last_hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
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

/// Walks the whole chain from the first row and reports the first break.
pub(super) fn verify(conn: &Connection) -> Result<ChainReport, StoreError> {
    let mut statement = conn.prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY id"))?;
    let mut rows = statement.query([])?;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut expected_id = 1_i64;
    let mut rows_checked = 0_u64;
    let broken = |row_id: i64, reason: String, rows_checked: u64| ChainReport {
        rows_checked,
        first_break: Some(ChainBreak { row_id, reason }),
    };
    while let Some(row) = rows.next()? {
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
        if row_hash(&row.prev_hash, row.id, &row.at_utc, &row.entry) != row.hash {
            return Ok(broken(
                row.id,
                "its contents do not match its hash (the row was altered)".to_owned(),
                rows_checked,
            ));
        }
        expected_prev = row.hash;
        expected_id += 1;
    }
    let last_id = expected_id - 1;
    let anchor: Option<(i64, String)> = conn
        .query_row(
            "SELECT last_id, last_hash FROM audit_anchor WHERE id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    match anchor {
        Some((anchor_id, anchor_hash)) if anchor_id != last_id || anchor_hash != expected_prev => {
            Ok(broken(
                anchor_id,
                format!(
                    "the chain ends at row {last_id} but its anchor records row {anchor_id} (the newest rows were removed or replaced)"
                ),
                rows_checked,
            ))
        }
        None if rows_checked > 0 => Ok(broken(
            last_id,
            "the chain's anchor is missing (it was deleted)".to_owned(),
            rows_checked,
        )),
        _ => Ok(ChainReport {
            rows_checked,
            first_break: None,
        }),
    }
}

impl super::Store {
    /// Appends one row in its own savepoint (or as part of the current batch).
    pub fn append_audit(&mut self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let savepoint = self.conn.savepoint()?;
        let id = append(&savepoint, entry)?;
        savepoint.commit()?;
        Ok(id)
    }
}

impl super::StoreReader {
    pub fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        query(&self.conn, filter)
    }

    pub fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        verify(&self.conn)
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
        let report = verify(&conn).unwrap();
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
        let report = verify(&conn).unwrap();
        assert_eq!(report.first_break.unwrap().row_id, 3);
    }

    #[test]
    fn deleted_middle_row_is_named() {
        let conn = chain(5);
        tamper(&conn, "DELETE FROM audit WHERE id = 2");
        let broken = verify(&conn).unwrap().first_break.unwrap();
        assert_eq!(broken.row_id, 3);
        assert!(broken.reason.contains("missing"), "{}", broken.reason);
    }

    #[test]
    fn deleted_newest_row_is_detected() {
        let conn = chain(5);
        tamper(&conn, "DELETE FROM audit WHERE id = 5");
        let broken = verify(&conn).unwrap().first_break.unwrap();
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
        let hash = row_hash(&row.prev_hash, 2, &row.at_utc, &forged);
        tamper(
            &conn,
            &format!("UPDATE audit SET new_value = 'forged', hash = '{hash}' WHERE id = 2"),
        );
        assert_eq!(verify(&conn).unwrap().first_break.unwrap().row_id, 3);
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
