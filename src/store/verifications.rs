//! Mark verifications: the bench camera's reading of a freshly engraved mark, recorded with the
//! item's move in one transaction — `verified` only when the item's own UID decoded, otherwise
//! `engrave_failed` with the reason. The record keeps what was read, how many attempts it took,
//! the grade (whole, as JSON) and the image.

use rusqlite::{Connection, Row, params};

use super::items::{ItemFacts, transition_in};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, ItemStatus, Permission, Uid};

/// What the verifier found, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVerification {
    pub uid: Uid,
    pub job_id: Option<i64>,
    /// Any code decoded.
    pub payload_read: Option<String>,
    pub attempts: u32,
    /// Overall grade 0 (F) … 4 (A) and the whole grade as JSON, when graded.
    pub overall_grade: Option<u8>,
    pub grade_json: Option<String>,
    pub module_px: Option<f32>,
    /// The image, relative to the station's image folder.
    pub image_path: Option<String>,
    /// Why it failed, or what to know about it, in words.
    pub reason: Option<String>,
    /// The short summary kept on the item (`decoded, 1 attempt, grade B`).
    pub summary: String,
}

/// A stored verification.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationRecord {
    pub id: i64,
    pub uid: String,
    pub job_id: Option<i64>,
    pub decoded: bool,
    pub matched: bool,
    pub payload_read: Option<String>,
    pub attempts: u32,
    pub overall_grade: Option<u8>,
    pub grade_json: Option<String>,
    pub module_px: Option<f32>,
    pub image_path: Option<String>,
    pub reason: Option<String>,
    pub verified_by: String,
    pub at_utc: String,
}

const COLUMNS: &str = "v.id, i.uid, v.job_id, v.decoded, v.matched, v.payload_read, v.attempts,
    v.overall_grade, v.grade_json, v.module_px, v.image_path, v.reason, v.verified_by, v.at_utc";

fn from_row(row: &Row<'_>) -> rusqlite::Result<VerificationRecord> {
    Ok(VerificationRecord {
        id: row.get(0)?,
        uid: row.get(1)?,
        job_id: row.get(2)?,
        decoded: row.get(3)?,
        matched: row.get(4)?,
        payload_read: row.get(5)?,
        attempts: row.get(6)?,
        overall_grade: row.get(7)?,
        grade_json: row.get(8)?,
        module_px: row.get(9)?,
        image_path: row.get(10)?,
        reason: row.get(11)?,
        verified_by: row.get(12)?,
        at_utc: row.get(13)?,
    })
}

fn for_uid(
    conn: &Connection,
    uid: &str,
    limit: usize,
) -> Result<Vec<VerificationRecord>, StoreError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM mark_verifications v JOIN items i ON i.id = v.item_id
         WHERE i.uid = ?1 ORDER BY v.id DESC LIMIT ?2"
    ))?;
    let limit = if limit == 0 { -1 } else { limit as i64 };
    let rows = statement.query_map(params![uid, limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn latest_for_job(
    conn: &Connection,
    job_id: i64,
) -> Result<Option<VerificationRecord>, StoreError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM mark_verifications v JOIN items i ON i.id = v.item_id
         WHERE v.job_id = ?1 ORDER BY v.id DESC LIMIT 1"
    ))?;
    let mut rows = statement.query_map([job_id], from_row)?;
    Ok(rows.next().transpose()?)
}

fn latest_per_job(conn: &Connection, limit: usize) -> Result<Vec<VerificationRecord>, StoreError> {
    let mut statement = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM mark_verifications v JOIN items i ON i.id = v.item_id
         WHERE v.id IN (SELECT MAX(id) FROM mark_verifications WHERE job_id IS NOT NULL
                        GROUP BY job_id)
         ORDER BY v.job_id DESC LIMIT ?1"
    ))?;
    let limit = if limit == 0 { -1 } else { limit as i64 };
    let rows = statement.query_map([limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

macro_rules! verification_queries {
    ($type:ty) => {
        impl $type {
            /// An item's verifications, newest first; `limit` 0 means all.
            pub fn verifications(
                &self,
                uid: &Uid,
                limit: usize,
            ) -> Result<Vec<VerificationRecord>, StoreError> {
                for_uid(&self.conn, &uid.to_string(), limit)
            }

            /// The newest verification of each of the newest `limit` jobs with one (0: all).
            pub fn job_verifications(
                &self,
                limit: usize,
            ) -> Result<Vec<VerificationRecord>, StoreError> {
                latest_per_job(&self.conn, limit)
            }

            /// The newest verification of an engraving job's mark.
            pub fn job_verification(
                &self,
                job_id: i64,
            ) -> Result<Option<VerificationRecord>, StoreError> {
                latest_for_job(&self.conn, job_id)
            }
        }
    };
}

verification_queries!(Store);
verification_queries!(StoreReader);

impl Store {
    /// Records a verification and moves its item: to `verified` when the item's own UID was
    /// read, else to `engrave_failed` with the reason. The item must be `engraved`. Needs
    /// `Operate`; the move is audited as any item move.
    pub fn record_verification(
        &mut self,
        actor: &Actor,
        found: &NewVerification,
    ) -> Result<VerificationRecord, StoreError> {
        let uid_text = found.uid.to_string();
        let actor = self.require(
            actor,
            Permission::Operate,
            "record a mark verification",
            "item",
            &uid_text,
        )?;
        let matched = found.payload_read.as_deref() == Some(uid_text.as_str());
        let (to, reason) = if matched {
            (ItemStatus::Verified, None)
        } else {
            let what = match &found.payload_read {
                Some(other) => format!("the mark reads {other:?}, not {uid_text}"),
                None => format!("the mark did not decode in {} attempts", found.attempts),
            };
            // What went wrong on the way is said after what was found, never instead of it.
            let why = match &found.reason {
                Some(problems) => format!("{what} ({problems})"),
                None => what,
            };
            (ItemStatus::EngraveFailed, Some(why))
        };
        let savepoint = self.conn.savepoint()?;
        let item = transition_in(
            &savepoint,
            &actor.name,
            &uid_text,
            to,
            reason.as_deref(),
            &ItemFacts {
                engrave_job_id: found.job_id,
                verification: Some(found.summary.clone()),
            },
        )?;
        savepoint.execute(
            "INSERT INTO mark_verifications (item_id, job_id, decoded, matched, payload_read,
                 attempts, overall_grade, grade_json, module_px, image_path, reason, verified_by,
                 at_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                item.id,
                found.job_id,
                found.payload_read.is_some(),
                matched,
                found.payload_read,
                found.attempts.max(1),
                found.overall_grade,
                found.grade_json,
                found.module_px,
                found.image_path,
                reason.or_else(|| found.reason.clone()),
                actor.name,
                to_text(now_utc()),
            ],
        )?;
        let id = savepoint.last_insert_rowid();
        let record = {
            let mut statement = savepoint.prepare(&format!(
                "SELECT {COLUMNS} FROM mark_verifications v JOIN items i ON i.id = v.item_id
                 WHERE v.id = ?1"
            ))?;
            statement.query_row([id], from_row)?
        };
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::{LotKey, LotRule};
    use crate::store::{BatchRequest, ItemFilter};

    fn engraved_item(store: &mut Store, actor: &Actor) -> Uid {
        let request = BatchRequest {
            key: LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap(),
            count: 1,
            manufactured_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            warranty_years: 2,
        };
        let batch = store.allocate_batch(actor, &request).unwrap();
        let items = store
            .items(&ItemFilter {
                batch_id: Some(batch.id),
                ..ItemFilter::default()
            })
            .unwrap();
        let uid: Uid = items[0].uid.parse().unwrap();
        store
            .transition_item(actor, &uid, ItemStatus::Engraved, "")
            .unwrap();
        uid
    }

    fn found(uid: &Uid, read: Option<&str>) -> NewVerification {
        NewVerification {
            uid: uid.clone(),
            job_id: None,
            payload_read: read.map(str::to_owned),
            attempts: if read.is_some() { 1 } else { 3 },
            overall_grade: read.map(|_| 3),
            grade_json: read.map(|_| "{\"overall\":3}".to_owned()),
            module_px: Some(9.5),
            image_path: Some("marks/x.png".into()),
            reason: None,
            summary: "test".into(),
        }
    }

    #[test]
    fn its_own_uid_verifies_the_item_and_anything_else_fails_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("station.sqlite")).unwrap();
        let actor = Actor::console("test");
        let good = engraved_item(&mut store, &actor);
        let record = store
            .record_verification(&actor, &found(&good, Some(&good.to_string())))
            .unwrap();
        assert!(record.decoded && record.matched);
        assert_eq!(record.overall_grade, Some(3));
        assert_eq!(
            store.item(&good).unwrap().unwrap().status,
            ItemStatus::Verified
        );

        let bad = engraved_item(&mut store, &actor);
        let record = store
            .record_verification(&actor, &found(&bad, Some("SOMETHING-ELSE")))
            .unwrap();
        assert!(record.decoded && !record.matched);
        assert!(record.reason.unwrap().contains("SOMETHING-ELSE"));
        let item = store.item(&bad).unwrap().unwrap();
        assert_eq!(item.status, ItemStatus::EngraveFailed);

        let unread = engraved_item(&mut store, &actor);
        let record = store
            .record_verification(&actor, &found(&unread, None))
            .unwrap();
        assert!(!record.decoded);
        assert!(
            record
                .reason
                .unwrap()
                .contains("did not decode in 3 attempts")
        );
        assert_eq!(store.verifications(&unread, 0).unwrap().len(), 1);

        // An item already verified cannot be verified again: nothing is recorded.
        assert!(
            store
                .record_verification(&actor, &found(&good, Some(&good.to_string())))
                .is_err()
        );
        assert_eq!(store.verifications(&good, 0).unwrap().len(), 1);
    }
}
