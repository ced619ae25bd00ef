//! Cross-check sessions: the files of one build (stored by content hash under the data folder,
//! original names kept), each file's processing status and the fields extracted from it, and
//! the checks and verdict of the last run. The checks and fields are kept as the JSON the
//! domain types serialise to, so a re-run after a rule change replaces them whole. Deleting a
//! session needs `Engineer` and is audited; the stored files stay while another session uses
//! them.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, Permission};

/// Where a file of a session is in its processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Queued,
    Extracting,
    Done,
    Failed,
}

impl FileStatus {
    pub const ALL: [Self; 4] = [Self::Queued, Self::Extracting, Self::Done, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Extracting => "extracting",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrosscheckSessionRecord {
    pub id: i64,
    pub name: String,
    pub created_by: String,
    pub created_at_utc: String,
    /// `PASS`, `WARNING` or `FAIL` once checked.
    pub verdict: Option<String>,
    pub checked_at_utc: Option<String>,
    /// The check results of the last run (`domain::crosscheck::CheckResult` as JSON).
    pub checks_json: Option<String>,
    /// The field patterns the last run used, as JSON.
    pub rules_json: Option<String>,
    pub file_count: u64,
}

/// A file of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrosscheckFileRecord {
    pub id: i64,
    pub session_id: i64,
    pub original_name: String,
    pub sha256: String,
    pub size_bytes: u64,
    /// Relative to the station's data folder.
    pub stored_path: String,
    /// `traveler`, `bom` or `photo` once known.
    pub kind: Option<String>,
    pub status: FileStatus,
    /// Why the file failed, in words naming the file and what to do.
    pub reason: Option<String>,
    /// The fields extracted (`domain::crosscheck::FieldValue` list as JSON).
    pub fields_json: Option<String>,
}

/// A file to add to a new session (already copied into the data folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCrosscheckFile {
    pub original_name: String,
    pub sha256: String,
    pub size_bytes: u64,
    pub stored_path: String,
}

/// Which sessions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrosscheckFilter {
    /// Part of the name, case-insensitive.
    pub name_contains: Option<String>,
    /// `PASS`, `WARNING`, `FAIL`, or `unchecked`.
    pub verdict: Option<String>,
    /// Created on or after this UTC date (`YYYY-MM-DD`).
    pub from_date: Option<String>,
    /// Created on or before this UTC date.
    pub to_date: Option<String>,
    /// 0 means all.
    pub limit: usize,
}

const SESSION_COLUMNS: &str = "s.id, s.name, s.created_by, s.created_at_utc, s.verdict,
    s.checked_at_utc, s.checks_json, s.rules_json,
    (SELECT COUNT(*) FROM crosscheck_files f WHERE f.session_id = s.id)";

fn session_from_row(row: &Row<'_>) -> rusqlite::Result<CrosscheckSessionRecord> {
    Ok(CrosscheckSessionRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        created_by: row.get(2)?,
        created_at_utc: row.get(3)?,
        verdict: row.get(4)?,
        checked_at_utc: row.get(5)?,
        checks_json: row.get(6)?,
        rules_json: row.get(7)?,
        file_count: row.get(8)?,
    })
}

const FILE_COLUMNS: &str = "id, session_id, original_name, sha256, size_bytes, stored_path, kind,
    status, reason, fields_json";

fn file_from_row(row: &Row<'_>) -> rusqlite::Result<CrosscheckFileRecord> {
    let status: String = row.get(7)?;
    Ok(CrosscheckFileRecord {
        id: row.get(0)?,
        session_id: row.get(1)?,
        original_name: row.get(2)?,
        sha256: row.get(3)?,
        size_bytes: row.get(4)?,
        stored_path: row.get(5)?,
        kind: row.get(6)?,
        status: FileStatus::parse(&status).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                7,
                rusqlite::types::Type::Text,
                format!("{status:?} is not a file status").into(),
            )
        })?,
        reason: row.get(8)?,
        fields_json: row.get(9)?,
    })
}

fn session_by_id(
    conn: &Connection,
    id: i64,
) -> Result<Option<CrosscheckSessionRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {SESSION_COLUMNS} FROM crosscheck_sessions s WHERE s.id = ?1"),
            [id],
            session_from_row,
        )
        .optional()?)
}

fn sessions(
    conn: &Connection,
    filter: &CrosscheckFilter,
) -> Result<Vec<CrosscheckSessionRecord>, StoreError> {
    let limit = if filter.limit == 0 {
        -1
    } else {
        filter.limit as i64
    };
    let name = filter
        .name_contains
        .as_deref()
        .map(|text| format!("%{}%", text.trim().to_lowercase()));
    let unchecked = filter.verdict.as_deref() == Some("unchecked");
    let verdict = filter.verdict.as_deref().filter(|_| !unchecked);
    let to_date = filter.to_date.as_deref().map(|date| format!("{date}T99"));
    let mut statement = conn.prepare(&format!(
        "SELECT {SESSION_COLUMNS} FROM crosscheck_sessions s
         WHERE (?1 IS NULL OR lower(s.name) LIKE ?1)
           AND (?2 IS NULL OR s.verdict = ?2)
           AND (?3 = 0 OR s.verdict IS NULL)
           AND (?4 IS NULL OR s.created_at_utc >= ?4)
           AND (?5 IS NULL OR s.created_at_utc <= ?5)
         ORDER BY s.id DESC LIMIT ?6"
    ))?;
    let rows = statement.query_map(
        params![name, verdict, unchecked, filter.from_date, to_date, limit],
        session_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn files(conn: &Connection, session_id: i64) -> Result<Vec<CrosscheckFileRecord>, StoreError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {FILE_COLUMNS} FROM crosscheck_files WHERE session_id = ?1 ORDER BY id"
    ))?;
    let rows = statement.query_map([session_id], file_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

macro_rules! crosscheck_queries {
    ($type:ty) => {
        impl $type {
            pub fn crosscheck_session(
                &self,
                id: i64,
            ) -> Result<Option<CrosscheckSessionRecord>, StoreError> {
                session_by_id(&self.conn, id)
            }

            /// The newest sessions first.
            pub fn crosscheck_sessions(
                &self,
                filter: &CrosscheckFilter,
            ) -> Result<Vec<CrosscheckSessionRecord>, StoreError> {
                sessions(&self.conn, filter)
            }

            /// A session's files in the order they were added.
            pub fn crosscheck_files(
                &self,
                session_id: i64,
            ) -> Result<Vec<CrosscheckFileRecord>, StoreError> {
                files(&self.conn, session_id)
            }
        }
    };
}

crosscheck_queries!(Store);
crosscheck_queries!(StoreReader);

impl Store {
    /// Creates a session with its files, all queued. Needs `Operate`; audited.
    pub fn create_crosscheck_session(
        &mut self,
        actor: &Actor,
        name: &str,
        new_files: &[NewCrosscheckFile],
    ) -> Result<CrosscheckSessionRecord, StoreError> {
        let name = name.trim();
        let actor = self.require(
            actor,
            Permission::Operate,
            "start a cross-check session",
            "crosscheck_session",
            name,
        )?;
        if name.is_empty() {
            return Err(StoreError::Invalid(
                "a cross-check session needs a name (the job or build it checks)".into(),
            ));
        }
        if new_files.is_empty() {
            return Err(StoreError::Invalid(
                "a cross-check session needs at least one file (traveler, BOM or photo)".into(),
            ));
        }
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "INSERT INTO crosscheck_sessions (name, created_by, created_at_utc) VALUES (?1, ?2, ?3)",
            params![name, actor.name, to_text(now_utc())],
        )?;
        let id = savepoint.last_insert_rowid();
        {
            let mut insert = savepoint.prepare(
                "INSERT INTO crosscheck_files (session_id, original_name, sha256, size_bytes,
                                               stored_path, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued')",
            )?;
            for file in new_files {
                insert.execute(params![
                    id,
                    file.original_name,
                    file.sha256,
                    file.size_bytes,
                    file.stored_path
                ])?;
            }
        }
        let names: Vec<&str> = new_files.iter().map(|f| f.original_name.as_str()).collect();
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "crosscheck.create",
                "crosscheck_session",
                &id.to_string(),
            )
            .change(None, Some(format!("{name}: {}", names.join(", ")))),
        )?;
        let record = session_by_id(&savepoint, id)?
            .ok_or_else(|| StoreError::Invalid(format!("cross-check session {id} vanished")))?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Queues every file of a session again for a run: status `queued`, no reason; the kind
    /// and fields of an earlier run stay until the file is read again.
    pub fn queue_crosscheck_files(&mut self, session_id: i64) -> Result<(), StoreError> {
        let savepoint = self.conn.savepoint()?;
        savepoint.execute(
            "UPDATE crosscheck_files SET status = 'queued', reason = NULL WHERE session_id = ?1",
            [session_id],
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }

    /// Moves a file on in its processing, with the kind found, the reason it failed or the
    /// fields extracted.
    pub fn set_crosscheck_file(
        &mut self,
        file_id: i64,
        status: FileStatus,
        kind: Option<&str>,
        reason: Option<&str>,
        fields_json: Option<&str>,
    ) -> Result<(), StoreError> {
        let savepoint = self.conn.savepoint()?;
        let changed = savepoint.execute(
            "UPDATE crosscheck_files SET status = ?2, kind = COALESCE(?3, kind), reason = ?4,
                    fields_json = COALESCE(?5, fields_json)
             WHERE id = ?1",
            params![file_id, status.as_str(), kind, reason, fields_json],
        )?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!(
                "no cross-check file {file_id}"
            )));
        }
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }

    /// Records the checks and verdict of a run (replacing the previous run's). Needs `Operate`;
    /// audited with the verdict.
    pub fn record_crosscheck_result(
        &mut self,
        actor: &Actor,
        session_id: i64,
        verdict: &str,
        checks_json: &str,
        rules_json: &str,
    ) -> Result<CrosscheckSessionRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "record a cross-check",
            "crosscheck_session",
            &session_id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let previous = session_by_id(&savepoint, session_id)?
            .ok_or_else(|| StoreError::Invalid(format!("no cross-check session {session_id}")))?;
        savepoint.execute(
            "UPDATE crosscheck_sessions SET verdict = ?2, checked_at_utc = ?3, checks_json = ?4,
                    rules_json = ?5
             WHERE id = ?1",
            params![
                session_id,
                verdict,
                to_text(now_utc()),
                checks_json,
                rules_json
            ],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "crosscheck.verdict",
                "crosscheck_session",
                &session_id.to_string(),
            )
            .change(previous.verdict.clone(), Some(verdict.to_owned())),
        )?;
        let record = session_by_id(&savepoint, session_id)?.ok_or_else(|| {
            StoreError::Invalid(format!("cross-check session {session_id} vanished"))
        })?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }

    /// Deletes a session and its file rows. Needs `Engineer`; audited with the verdict it had.
    /// Returns the stored paths no session uses any more (the caller removes those files).
    pub fn delete_crosscheck_session(
        &mut self,
        actor: &Actor,
        session_id: i64,
    ) -> Result<Vec<String>, StoreError> {
        let actor = self.require(
            actor,
            Permission::Engineer,
            "delete a cross-check session",
            "crosscheck_session",
            &session_id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let session = session_by_id(&savepoint, session_id)?
            .ok_or_else(|| StoreError::Invalid(format!("no cross-check session {session_id}")))?;
        // The session's stored files no other session uses, in the order they were added.
        let orphaned: Vec<String> = {
            let mut statement = savepoint.prepare(
                "SELECT f.stored_path FROM crosscheck_files f
                 WHERE f.session_id = ?1
                   AND NOT EXISTS (SELECT 1 FROM crosscheck_files g
                                   WHERE g.stored_path = f.stored_path AND g.session_id <> ?1)
                 GROUP BY f.stored_path
                 ORDER BY MIN(f.id)",
            )?;
            let rows = statement.query_map([session_id], |row| row.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        savepoint.execute(
            "DELETE FROM crosscheck_files WHERE session_id = ?1",
            [session_id],
        )?;
        savepoint.execute(
            "DELETE FROM crosscheck_sessions WHERE id = ?1",
            [session_id],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "crosscheck.delete",
                "crosscheck_session",
                &session_id.to_string(),
            )
            .change(
                Some(format!(
                    "{}: {} files, verdict {}",
                    session.name,
                    session.file_count,
                    session.verdict.as_deref().unwrap_or("none")
                )),
                None,
            ),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(orphaned)
    }
}
