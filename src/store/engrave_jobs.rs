//! The engraving job queue: one job per payload (an item's UID), with the laser settings fixed
//! when it was queued, its progress in acknowledged lines, and how it ended. Ending a job moves
//! its item in the same transaction (`done` → `engraved`, `failed` → `engrave_failed`); a job
//! cut short (port lost, station stopped) is `interrupted` at its last acknowledged line and its
//! item stays `allocated`, so nothing claims a mark that may be half made.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit::{AuditEntry, append};
use super::items::{ItemFacts, transition_in};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, ItemStatus, JobStatus, Permission};

/// A job to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What the code holds: the item's UID, or any text for a test mark.
    pub payload: String,
    /// Whether `payload` is an inventory item's UID whose status the job moves.
    pub is_item: bool,
    /// The laser settings, as TOML.
    pub settings_toml: String,
    pub lines_total: u32,
    pub estimate_s: f64,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    pub id: i64,
    pub payload: String,
    pub item_id: Option<i64>,
    pub batch_id: Option<i64>,
    pub status: JobStatus,
    pub settings_toml: String,
    pub lines_total: u32,
    pub lines_acked: u32,
    pub estimate_s: f64,
    pub elapsed_s: f64,
    pub attempts: u32,
    /// How it ended, in words (the error, the alarm, why it was interrupted).
    pub outcome: Option<String>,
    pub created_by: String,
    pub created_at_utc: String,
    pub started_at_utc: Option<String>,
    pub finished_at_utc: Option<String>,
}

/// How a job ended, as the sender saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobEnd {
    pub status: JobStatus,
    pub lines_acked: u32,
    pub elapsed_s: f64,
    pub outcome: Option<String>,
}

/// Which jobs to list; `None` matches all. `limit` 0 means all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub batch_id: Option<i64>,
    pub limit: usize,
}

const COLUMNS: &str = "id, payload, item_id, batch_id, status, settings_toml, lines_total,
    lines_acked, estimate_s, elapsed_s, attempts, outcome, created_by, created_at_utc,
    started_at_utc, finished_at_utc";

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let status: String = row.get(4)?;
    Ok(JobRecord {
        id: row.get(0)?,
        payload: row.get(1)?,
        item_id: row.get(2)?,
        batch_id: row.get(3)?,
        // The CHECK constraint keeps statuses valid; a hand-edited one reads as interrupted.
        status: status.parse().unwrap_or(JobStatus::Interrupted),
        settings_toml: row.get(5)?,
        lines_total: row.get(6)?,
        lines_acked: row.get(7)?,
        estimate_s: row.get(8)?,
        elapsed_s: row.get(9)?,
        attempts: row.get(10)?,
        outcome: row.get(11)?,
        created_by: row.get(12)?,
        created_at_utc: row.get(13)?,
        started_at_utc: row.get(14)?,
        finished_at_utc: row.get(15)?,
    })
}

fn job_by_id(conn: &Connection, id: i64) -> Result<Option<JobRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM engrave_jobs WHERE id = ?1"),
            [id],
            job_from_row,
        )
        .optional()?)
}

fn existing(conn: &Connection, id: i64) -> Result<JobRecord, StoreError> {
    job_by_id(conn, id)?.ok_or_else(|| StoreError::Invalid(format!("no engraving job {id}")))
}

fn list_jobs(conn: &Connection, filter: &JobFilter) -> Result<Vec<JobRecord>, StoreError> {
    let limit = if filter.limit == 0 {
        -1
    } else {
        i64::try_from(filter.limit).unwrap_or(i64::MAX)
    };
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM engrave_jobs
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR batch_id = ?2)
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = statement.query_map(
        params![filter.status.map(JobStatus::as_str), filter.batch_id, limit],
        job_from_row,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// An item may be engraved by job `job_id` only while it is allocated (or failed, for a retry)
/// and no other job of it is unfinished: one mark per item.
fn item_free_for(
    conn: &Connection,
    item_id: i64,
    job_id: i64,
    uid: &str,
    status: &str,
) -> Result<(), StoreError> {
    if status != ItemStatus::Allocated.as_str() && status != ItemStatus::EngraveFailed.as_str() {
        return Err(StoreError::Invalid(format!(
            "{uid} is {status}: it is not engraved again"
        )));
    }
    let other: Option<i64> = conn
        .query_row(
            "SELECT id FROM engrave_jobs WHERE item_id = ?1 AND id != ?2
               AND status IN ('queued', 'running', 'paused', 'interrupted') LIMIT 1",
            params![item_id, job_id],
            |row| row.get(0),
        )
        .optional()?;
    match other {
        Some(other) => Err(StoreError::Invalid(format!(
            "{uid} has another unfinished job ({other}): resume, retry or cancel that one"
        ))),
        None => Ok(()),
    }
}

macro_rules! job_queries {
    ($type:ty) => {
        impl $type {
            pub fn engrave_job(&self, id: i64) -> Result<Option<JobRecord>, StoreError> {
                job_by_id(&self.conn, id)
            }

            /// Jobs matching `filter`, newest first.
            pub fn engrave_jobs(&self, filter: &JobFilter) -> Result<Vec<JobRecord>, StoreError> {
                list_jobs(&self.conn, filter)
            }

            /// The oldest queued job: the next to run.
            pub fn next_queued_job(&self) -> Result<Option<JobRecord>, StoreError> {
                Ok(self
                    .conn
                    .query_row(
                        &format!(
                            "SELECT {COLUMNS} FROM engrave_jobs WHERE status = 'queued'
                             ORDER BY id LIMIT 1"
                        ),
                        [],
                        job_from_row,
                    )
                    .optional()?)
            }
        }
    };
}

job_queries!(Store);
job_queries!(StoreReader);

impl Store {
    /// Queues `jobs` in order, in one transaction with one audit row. An item's job needs the
    /// item `allocated`. Needs `Operate`.
    pub fn queue_engrave_jobs(
        &mut self,
        actor: &Actor,
        jobs: &[NewJob],
    ) -> Result<Vec<JobRecord>, StoreError> {
        let first = jobs.first().map_or("", |job| job.payload.as_str());
        let actor = self.require(
            actor,
            Permission::Operate,
            "queue engraving jobs",
            "engrave_job",
            first,
        )?;
        let now = to_text(now_utc());
        let savepoint = self.conn.savepoint()?;
        let mut ids = Vec::with_capacity(jobs.len());
        for job in jobs {
            let item: Option<(i64, i64, String)> = if job.is_item {
                let found = savepoint
                    .query_row(
                        "SELECT id, batch_id, status FROM items WHERE uid = ?1",
                        [&job.payload],
                        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .optional()?;
                let found = found.ok_or_else(|| StoreError::UnknownItem(job.payload.clone()))?;
                if found.2 != ItemStatus::Allocated.as_str() {
                    return Err(StoreError::Invalid(format!(
                        "{} is {}, not allocated: only an allocated item is engraved (retry a \
                         failed item to allocate it again)",
                        job.payload, found.2
                    )));
                }
                let busy: i64 = savepoint.query_row(
                    "SELECT COUNT(*) FROM engrave_jobs
                     WHERE item_id = ?1
                       AND status IN ('queued', 'running', 'paused', 'interrupted')",
                    [found.0],
                    |row| row.get(0),
                )?;
                if busy > 0 {
                    return Err(StoreError::Invalid(format!(
                        "{} already has an unfinished job (queued, running or interrupted): \
                         resume, retry or cancel that one",
                        job.payload
                    )));
                }
                Some(found)
            } else {
                None
            };
            savepoint.execute(
                "INSERT INTO engrave_jobs (payload, item_id, batch_id, status, settings_toml,
                     lines_total, estimate_s, created_by, created_at_utc)
                 VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?6, ?7, ?8)",
                params![
                    job.payload,
                    item.as_ref().map(|i| i.0),
                    item.as_ref().map(|i| i.1),
                    job.settings_toml,
                    job.lines_total,
                    job.estimate_s,
                    actor.name,
                    now
                ],
            )?;
            ids.push(savepoint.last_insert_rowid());
        }
        let records = ids
            .iter()
            .map(|&id| existing(&savepoint, id))
            .collect::<Result<Vec<_>, _>>()?;
        if let (Some(first), Some(last)) = (records.first(), records.last()) {
            append(
                &savepoint,
                &AuditEntry::new(
                    &actor.name,
                    "engrave.queue",
                    "engrave_job",
                    &first.id.to_string(),
                )
                .change(
                    None,
                    Some(format!(
                        "jobs {}..{} ({} payload(s), {} ..)",
                        first.id,
                        last.id,
                        records.len(),
                        first.payload
                    )),
                ),
            )?;
        }
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(records)
    }

    /// `queued → running`: one more attempt. Refused while another job is on the machine.
    pub fn start_engrave_job(&mut self, actor: &Actor, id: i64) -> Result<JobRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "start an engraving job",
            "engrave_job",
            &id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let job = existing(&savepoint, id)?;
        if job.status != JobStatus::Queued {
            return Err(StoreError::Invalid(format!(
                "job {id} is {}, not queued: it cannot start",
                job.status
            )));
        }
        let active: Option<i64> = savepoint
            .query_row(
                "SELECT id FROM engrave_jobs WHERE status IN ('running', 'paused') LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(other) = active {
            return Err(StoreError::Invalid(format!(
                "job {other} is still on the machine: finish or abort it first"
            )));
        }
        savepoint.execute(
            "UPDATE engrave_jobs SET status = 'running', attempts = attempts + 1,
                 lines_acked = 0, elapsed_s = 0, outcome = NULL,
                 started_at_utc = ?2, finished_at_utc = NULL
             WHERE id = ?1",
            params![id, to_text(now_utc())],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "engrave.start", "engrave_job", &id.to_string()).change(
                Some("queued".into()),
                Some(format!("running ({})", job.payload)),
            ),
        )?;
        let job = existing(&savepoint, id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(job)
    }

    /// `interrupted → running` to resume at `from_line` (1-based, a line of the job's program):
    /// one more attempt; its progress counts on from the lines before `from_line`. Refused
    /// while another job is on the machine. Needs `Operate`; audited.
    pub fn resume_engrave_job(
        &mut self,
        actor: &Actor,
        id: i64,
        from_line: u32,
    ) -> Result<JobRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "resume an engraving job",
            "engrave_job",
            &id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let job = existing(&savepoint, id)?;
        if job.status != JobStatus::Interrupted {
            return Err(StoreError::Invalid(format!(
                "job {id} is {}: only an interrupted job is resumed (retry starts it again)",
                job.status
            )));
        }
        if let Some(item_id) = job.item_id {
            let status: String = savepoint.query_row(
                "SELECT status FROM items WHERE id = ?1",
                [item_id],
                |row| row.get(0),
            )?;
            item_free_for(&savepoint, item_id, id, &job.payload, &status)?;
        }
        if !(1..=job.lines_total).contains(&from_line) {
            return Err(StoreError::Invalid(format!(
                "line {from_line} is not in job {id} (lines 1 to {})",
                job.lines_total
            )));
        }
        let active: i64 = savepoint.query_row(
            "SELECT COUNT(*) FROM engrave_jobs WHERE status IN ('running', 'paused')",
            [],
            |row| row.get(0),
        )?;
        if active > 0 {
            return Err(StoreError::Invalid(
                "another job is on the machine: finish or abort it first".into(),
            ));
        }
        savepoint.execute(
            "UPDATE engrave_jobs SET status = 'running', attempts = attempts + 1,
                 lines_acked = ?2, outcome = NULL, started_at_utc = ?3, finished_at_utc = NULL
             WHERE id = ?1",
            params![id, from_line - 1, to_text(now_utc())],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "engrave.resume",
                "engrave_job",
                &id.to_string(),
            )
            .change(
                Some(format!("interrupted at line {}", job.lines_acked)),
                Some(format!("running from line {from_line} ({})", job.payload)),
            ),
        )?;
        let job = existing(&savepoint, id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(job)
    }

    /// Progress of the job on the machine (not audited: it changes every few seconds). Also
    /// `running ↔ paused` when `paused` says so.
    pub fn record_engrave_progress(
        &mut self,
        id: i64,
        lines_acked: u32,
        elapsed_s: f64,
        paused: bool,
    ) -> Result<(), StoreError> {
        let status = if paused { "paused" } else { "running" };
        let changed = self.conn.execute(
            "UPDATE engrave_jobs SET lines_acked = ?2, elapsed_s = ?3, status = ?4
             WHERE id = ?1 AND status IN ('running', 'paused')",
            params![id, lines_acked, elapsed_s, status],
        )?;
        if changed == 0 {
            return Err(StoreError::Invalid(format!(
                "job {id} is not on the machine: its progress was not recorded"
            )));
        }
        Ok(())
    }

    /// Ends the job on the machine and moves its item in the same transaction: `done` →
    /// `engraved`, `failed` → `engrave_failed`; `interrupted` and `cancelled` leave it
    /// `allocated`. Audited.
    pub fn finish_engrave_job(
        &mut self,
        actor: &Actor,
        id: i64,
        end: &JobEnd,
    ) -> Result<JobRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "record an engraving job's end",
            "engrave_job",
            &id.to_string(),
        )?;
        if end.status.is_active() || end.status == JobStatus::Queued {
            return Err(StoreError::Invalid(format!(
                "{} is not how a job ends",
                end.status
            )));
        }
        let savepoint = self.conn.savepoint()?;
        let job = existing(&savepoint, id)?;
        let from_queue = job.status == JobStatus::Queued && end.status == JobStatus::Cancelled;
        if !job.status.is_active() && !from_queue {
            return Err(StoreError::Invalid(format!(
                "job {id} is {}: only a job on the machine (or a queued one, to cancel) ends",
                job.status
            )));
        }
        savepoint.execute(
            "UPDATE engrave_jobs SET status = ?2, lines_acked = ?3, elapsed_s = ?4, outcome = ?5,
                 finished_at_utc = ?6
             WHERE id = ?1",
            params![
                id,
                end.status.as_str(),
                end.lines_acked.min(job.lines_total),
                end.elapsed_s,
                end.outcome,
                to_text(now_utc())
            ],
        )?;
        let item_move = match end.status {
            JobStatus::Done => Some(ItemStatus::Engraved),
            JobStatus::Failed => Some(ItemStatus::EngraveFailed),
            _ => None,
        };
        if let (Some(to), Some(_)) = (item_move, job.item_id) {
            let reason = match &end.outcome {
                Some(outcome) => format!("engrave job {id}: {outcome}"),
                None => format!("engrave job {id}"),
            };
            transition_in(
                &savepoint,
                &actor.name,
                &job.payload,
                to,
                Some(&reason),
                &ItemFacts {
                    engrave_job_id: Some(id),
                    verification: None,
                },
            )?;
        }
        let mut entry = AuditEntry::new(
            &actor.name,
            &format!("engrave.{}", end.status),
            "engrave_job",
            &id.to_string(),
        )
        .change(
            Some(job.status.to_string()),
            Some(format!(
                "{} at line {}/{} ({})",
                end.status, end.lines_acked, job.lines_total, job.payload
            )),
        );
        if let Some(outcome) = &end.outcome {
            entry = entry.reason(outcome.clone());
        }
        append(&savepoint, &entry)?;
        let job = existing(&savepoint, id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(job)
    }

    /// Queues an ended job again (a retry on a fresh part): a failed item goes back to
    /// `allocated`. Needs `Operate`; audited.
    pub fn retry_engrave_job(&mut self, actor: &Actor, id: i64) -> Result<JobRecord, StoreError> {
        let actor = self.require(
            actor,
            Permission::Operate,
            "retry an engraving job",
            "engrave_job",
            &id.to_string(),
        )?;
        let savepoint = self.conn.savepoint()?;
        let job = existing(&savepoint, id)?;
        // A done job whose mark failed verification is engraved again on a fresh part.
        let mark_failed = job.status == JobStatus::Done
            && job.item_id.is_some()
            && savepoint
                .query_row(
                    "SELECT status FROM items WHERE uid = ?1",
                    [&job.payload],
                    |row| row.get::<_, String>(0),
                )
                .optional()?
                .is_some_and(|status| status == ItemStatus::EngraveFailed.as_str());
        if !job.status.may_retry() && !mark_failed {
            return Err(StoreError::Invalid(format!(
                "job {id} is {}: only a failed, interrupted or cancelled job, or a done one whose \
                 mark failed, is retried",
                job.status
            )));
        }
        if let Some(item_id) = job.item_id {
            let status: String = savepoint.query_row(
                "SELECT status FROM items WHERE uid = ?1",
                [&job.payload],
                |row| row.get(0),
            )?;
            item_free_for(&savepoint, item_id, id, &job.payload, &status)?;
            if status == ItemStatus::EngraveFailed.as_str() {
                transition_in(
                    &savepoint,
                    &actor.name,
                    &job.payload,
                    ItemStatus::Allocated,
                    Some(&format!("retry of engrave job {id}")),
                    &ItemFacts::default(),
                )?;
            }
        }
        savepoint.execute(
            "UPDATE engrave_jobs SET status = 'queued', lines_acked = 0, elapsed_s = 0,
                 outcome = NULL, started_at_utc = NULL, finished_at_utc = NULL
             WHERE id = ?1",
            [id],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "engrave.retry", "engrave_job", &id.to_string())
                .change(Some(job.status.to_string()), Some("queued".into())),
        )?;
        let job = existing(&savepoint, id)?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(job)
    }

    /// At start: every job left running or paused by a station that stopped is marked
    /// interrupted at its last recorded line. Returns them.
    pub fn interrupt_abandoned_jobs(&mut self) -> Result<Vec<JobRecord>, StoreError> {
        let abandoned = list_jobs(&self.conn, &JobFilter::default())?
            .into_iter()
            .filter(|job| job.status.is_active())
            .collect::<Vec<_>>();
        let station = Actor::station("engraver");
        let mut ended = Vec::with_capacity(abandoned.len());
        for job in abandoned {
            let outcome = format!(
                "the station stopped while the job ran; line {} of {} was the last recorded",
                job.lines_acked, job.lines_total
            );
            ended.push(self.finish_engrave_job(
                &station,
                job.id,
                &JobEnd {
                    status: JobStatus::Interrupted,
                    lines_acked: job.lines_acked,
                    elapsed_s: job.elapsed_s,
                    outcome: Some(outcome),
                },
            )?);
        }
        Ok(ended)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::{LotKey, LotRule, Uid};
    use crate::store::{AuditFilter, BatchRequest};

    fn store_with_batch(count: u32) -> (tempfile::TempDir, Store, Vec<String>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let batch = store
            .allocate_batch(
                &Actor::console("test"),
                &BatchRequest {
                    key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
                    count,
                    manufactured_on: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
                    warranty_years: 2,
                },
            )
            .unwrap();
        let uids = (batch.first_seq..=batch.last_seq())
            .map(|seq| batch.uid_text(seq))
            .collect();
        (dir, store, uids)
    }

    fn new_job(payload: &str) -> NewJob {
        NewJob {
            payload: payload.to_owned(),
            is_item: true,
            settings_toml: "power_percent = 80.0\n".to_owned(),
            lines_total: 100,
            estimate_s: 42.0,
        }
    }

    fn end(status: JobStatus, lines_acked: u32, outcome: &str) -> JobEnd {
        JobEnd {
            status,
            lines_acked,
            elapsed_s: 10.0,
            outcome: Some(outcome.to_owned()).filter(|o| !o.is_empty()),
        }
    }

    fn item_status(store: &Store, uid: &str) -> ItemStatus {
        store
            .item(&uid.parse::<Uid>().unwrap())
            .unwrap()
            .unwrap()
            .status
    }

    #[test]
    fn a_done_job_engraves_its_item_and_a_failed_one_fails_it_in_the_same_commit() {
        let (_dir, mut store, uids) = store_with_batch(3);
        let actor = Actor::console("test");
        let jobs = store
            .queue_engrave_jobs(&actor, &uids.iter().map(|u| new_job(u)).collect::<Vec<_>>())
            .unwrap();
        assert_eq!(jobs.len(), 3);
        assert!(
            jobs.iter()
                .all(|j| j.status == JobStatus::Queued && j.batch_id.is_some())
        );
        assert_eq!(store.next_queued_job().unwrap().unwrap().id, jobs[0].id);

        let running = store.start_engrave_job(&actor, jobs[0].id).unwrap();
        assert_eq!((running.status, running.attempts), (JobStatus::Running, 1));
        let refused = store.start_engrave_job(&actor, jobs[1].id).unwrap_err();
        assert!(
            refused.to_string().contains("still on the machine"),
            "{refused}"
        );
        store
            .record_engrave_progress(jobs[0].id, 40, 3.0, true)
            .unwrap();
        assert_eq!(
            store.engrave_job(jobs[0].id).unwrap().unwrap().status,
            JobStatus::Paused
        );
        let done = store
            .finish_engrave_job(&actor, jobs[0].id, &end(JobStatus::Done, 100, ""))
            .unwrap();
        assert_eq!(done.status, JobStatus::Done);
        assert_eq!(item_status(&store, &uids[0]), ItemStatus::Engraved);
        let item = store
            .item(&uids[0].parse::<Uid>().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(item.engrave_job_id, Some(jobs[0].id));

        store.start_engrave_job(&actor, jobs[1].id).unwrap();
        store
            .finish_engrave_job(
                &actor,
                jobs[1].id,
                &end(JobStatus::Failed, 37, "line 37: error:20"),
            )
            .unwrap();
        assert_eq!(item_status(&store, &uids[1]), ItemStatus::EngraveFailed);

        // A retry puts the item back to allocated and the job back in the queue.
        let retried = store.retry_engrave_job(&actor, jobs[1].id).unwrap();
        assert_eq!(
            (retried.status, retried.lines_acked),
            (JobStatus::Queued, 0)
        );
        assert_eq!(item_status(&store, &uids[1]), ItemStatus::Allocated);
        let again = store.start_engrave_job(&actor, jobs[1].id).unwrap();
        assert_eq!(again.attempts, 2);

        let audit = store
            .reader()
            .unwrap()
            .audit(&AuditFilter {
                action_prefix: "engrave".into(),
                limit: 50,
                ..AuditFilter::default()
            })
            .unwrap();
        let actions: Vec<&str> = audit.iter().map(|r| r.entry.action.as_str()).collect();
        for expected in [
            "engrave.queue",
            "engrave.start",
            "engrave.done",
            "engrave.failed",
            "engrave.retry",
        ] {
            assert!(
                actions.contains(&expected),
                "{expected} missing from {actions:?}"
            );
        }
    }

    #[test]
    fn jobs_left_running_by_a_stopped_station_come_back_interrupted_at_their_line() {
        let (dir, mut store, uids) = store_with_batch(2);
        let actor = Actor::console("test");
        let jobs = store
            .queue_engrave_jobs(&actor, &[new_job(&uids[0]), new_job(&uids[1])])
            .unwrap();
        store.start_engrave_job(&actor, jobs[0].id).unwrap();
        store
            .record_engrave_progress(jobs[0].id, 61, 20.5, false)
            .unwrap();
        drop(store);

        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let ended = store.interrupt_abandoned_jobs().unwrap();
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].status, JobStatus::Interrupted);
        assert_eq!(ended[0].lines_acked, 61);
        assert!(
            ended[0]
                .outcome
                .as_deref()
                .unwrap()
                .contains("line 61 of 100")
        );
        assert_eq!(item_status(&store, &uids[0]), ItemStatus::Allocated);
        assert_eq!(
            store.engrave_job(jobs[1].id).unwrap().unwrap().status,
            JobStatus::Queued
        );
        assert!(store.interrupt_abandoned_jobs().unwrap().is_empty());
        // One mark per item: an interrupted job blocks a second job for the same item.
        let again = store
            .queue_engrave_jobs(&Actor::console("test"), &[new_job(&uids[0])])
            .unwrap_err();
        assert!(again.to_string().contains("unfinished job"), "{again}");

        // Resumed at a chosen line: running again, its progress counted from there.
        let resumed = store
            .resume_engrave_job(&Actor::console("test"), jobs[0].id, 50)
            .unwrap();
        assert_eq!(
            (resumed.status, resumed.lines_acked, resumed.attempts),
            (JobStatus::Running, 49, 2)
        );
        assert!(
            store
                .resume_engrave_job(&Actor::console("test"), jobs[1].id, 1)
                .unwrap_err()
                .to_string()
                .contains("only an interrupted job")
        );
    }

    #[test]
    fn only_allocated_items_are_queued_once_and_only_ended_jobs_retry() {
        let (_dir, mut store, uids) = store_with_batch(1);
        let actor = Actor::console("test");
        let jobs = store
            .queue_engrave_jobs(&actor, &[new_job(&uids[0])])
            .unwrap();
        let twice = store
            .queue_engrave_jobs(&actor, &[new_job(&uids[0])])
            .unwrap_err();
        assert!(
            twice.to_string().contains("already has an unfinished job"),
            "{twice}"
        );
        let unknown = store
            .queue_engrave_jobs(&actor, &[new_job("PAD-V0100-L2025-09-09999")])
            .unwrap_err();
        assert!(matches!(unknown, StoreError::UnknownItem(_)), "{unknown}");
        let not_ended = store.retry_engrave_job(&actor, jobs[0].id).unwrap_err();
        // Done, and its mark read well: not engraved again.
        store.start_engrave_job(&actor, jobs[0].id).unwrap();
        store
            .finish_engrave_job(&actor, jobs[0].id, &end(JobStatus::Done, 10, "done"))
            .unwrap();
        assert!(store.retry_engrave_job(&actor, jobs[0].id).is_err());
        // Done, but its mark failed verification: engraved again on a fresh part.
        store
            .transition_item(
                &actor,
                &uids[0].parse().unwrap(),
                ItemStatus::EngraveFailed,
                "the mark did not decode in 3 attempts",
            )
            .unwrap();
        let again = store.retry_engrave_job(&actor, jobs[0].id).unwrap();
        assert_eq!(again.status, JobStatus::Queued);
        assert_eq!(item_status(&store, &uids[0]), ItemStatus::Allocated);
        assert!(
            not_ended.to_string().contains("only a failed"),
            "{not_ended}"
        );
        // A test mark needs no item.
        let mut free = new_job("HELLO");
        free.is_item = false;
        let free = store.queue_engrave_jobs(&actor, &[free]).unwrap();
        assert_eq!(free[0].item_id, None);
        // A viewer may not queue.
        let viewer = Actor {
            user_id: None,
            name: "vic".into(),
            role: crate::domain::Role::Viewer,
        };
        assert!(matches!(
            store.queue_engrave_jobs(&viewer, &[new_job(&uids[0])]),
            Err(StoreError::Forbidden { .. })
        ));
    }
}
