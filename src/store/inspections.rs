//! Porosity inspections as recorded: one row per camera image of a part, with the recipe
//! version it used, the verdict, its reasons, the rules that failed, the cycle time, where its
//! images were kept, and its pores. An inspection that is not ACCEPT waits for a disposition,
//! signed by re-entering the PIN or password and recorded in the audit trail with the old and
//! new state. Saving an inspection is not audited (it is a measurement, not a change anyone
//! made); a disposition is.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::users::SecretCheck;
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, Disposition, DispositionState, Permission, Verdict};

/// A pore as stored, numbered from 1 as on the overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct PoreRow {
    pub n: u32,
    pub zone: Option<String>,
    pub x_px: f32,
    pub y_px: f32,
    pub diameter_mm: f32,
    pub feret_mm: f32,
    pub area_mm2: f32,
    pub circularity: f32,
    pub score: f32,
    /// What the pore did to its zone's verdict (`None`: outside every zone or not counted).
    pub verdict: Option<Verdict>,
}

/// An inspection to save.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInspection {
    /// The trigger that took the part: every camera of one part shares it.
    pub part_seq: u64,
    /// `button`, `gpio`, `continuous`, `replay`.
    pub source: String,
    pub camera: String,
    pub part_number: String,
    pub recipe_version: u32,
    pub serial: Option<String>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    /// The rules of the findings, by name (`max_diameter_mm`…), for the Pareto chart.
    pub failed_rules: Vec<String>,
    pub detector: String,
    pub mm_per_px: f32,
    pub width_px: u32,
    pub height_px: u32,
    pub inspect_ms: f64,
    /// From the trigger to the verdict.
    pub cycle_ms: f64,
    /// Relative to the image folder.
    pub raw_image: Option<String>,
    pub overlay_image: Option<String>,
    pub pores: Vec<PoreRow>,
}

/// A stored inspection (without its pores: `inspection_pores`).
#[derive(Debug, Clone, PartialEq)]
pub struct InspectionRecord {
    pub id: i64,
    pub at_utc: String,
    pub part_seq: u64,
    pub source: String,
    pub camera: String,
    pub part_number: String,
    pub recipe_version: u32,
    pub serial: Option<String>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub failed_rules: Vec<String>,
    pub pore_count: u32,
    pub detector: String,
    pub mm_per_px: f32,
    pub width_px: u32,
    pub height_px: u32,
    pub inspect_ms: f64,
    pub cycle_ms: f64,
    pub raw_image: Option<String>,
    pub overlay_image: Option<String>,
    pub disposition: DispositionState,
    pub disposition_reason: Option<String>,
    pub disposition_by: Option<String>,
    pub disposition_at_utc: Option<String>,
}

/// Which inspections to list; `None` matches all. Times are RFC 3339 UTC text, `to` exclusive.
/// `limit` 0 means all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InspectionFilter {
    pub from_utc: Option<String>,
    pub to_utc: Option<String>,
    pub verdict: Option<Verdict>,
    pub camera: Option<String>,
    pub part_number: Option<String>,
    pub recipe_version: Option<u32>,
    /// Matches a serial containing this text.
    pub serial: Option<String>,
    pub pending_only: bool,
    pub limit: usize,
}

/// How a signed disposition ended.
#[derive(Debug, Clone, PartialEq)]
pub enum DispositionOutcome {
    Recorded(InspectionRecord),
    /// The PIN or password did not match: nothing changed but the audit row of the refusal.
    SignatureRefused,
}

const COLUMNS: &str = "id, at_utc, part_seq, source, camera, part_number, recipe_version, serial,
    verdict, reasons_json, failed_rules_json, pore_count, detector, mm_per_px, width_px,
    height_px, inspect_ms, cycle_ms, raw_image, overlay_image, disposition, disposition_reason,
    disposition_by, disposition_at_utc";

fn disposition_text(state: DispositionState) -> &'static str {
    match state {
        DispositionState::NotNeeded => "none",
        DispositionState::Pending => "pending",
        DispositionState::Done(d) => d.as_str(),
    }
}

fn disposition_state(text: &str) -> DispositionState {
    match text {
        "none" => DispositionState::NotNeeded,
        "pending" => DispositionState::Pending,
        // The CHECK constraint keeps the values valid; anything else still waits.
        other => other
            .parse::<Disposition>()
            .map_or(DispositionState::Pending, DispositionState::Done),
    }
}

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_else(|_| vec![text.to_owned()])
}

fn inspection_from_row(row: &Row<'_>) -> rusqlite::Result<InspectionRecord> {
    let verdict: String = row.get(8)?;
    let reasons: String = row.get(9)?;
    let failed: String = row.get(10)?;
    let disposition: String = row.get(20)?;
    Ok(InspectionRecord {
        id: row.get(0)?,
        at_utc: row.get(1)?,
        part_seq: row.get::<_, i64>(2)?.try_into().unwrap_or_default(),
        source: row.get(3)?,
        camera: row.get(4)?,
        part_number: row.get(5)?,
        recipe_version: row.get(6)?,
        serial: row.get(7)?,
        // The CHECK constraint keeps verdicts valid.
        verdict: verdict.parse().unwrap_or(Verdict::Reject),
        reasons: json_list(&reasons),
        failed_rules: json_list(&failed),
        pore_count: row.get(11)?,
        detector: row.get(12)?,
        mm_per_px: row.get(13)?,
        width_px: row.get(14)?,
        height_px: row.get(15)?,
        inspect_ms: row.get(16)?,
        cycle_ms: row.get(17)?,
        raw_image: row.get(18)?,
        overlay_image: row.get(19)?,
        disposition: disposition_state(&disposition),
        disposition_reason: row.get(21)?,
        disposition_by: row.get(22)?,
        disposition_at_utc: row.get(23)?,
    })
}

fn pore_from_row(row: &Row<'_>) -> rusqlite::Result<PoreRow> {
    let verdict: Option<String> = row.get(9)?;
    Ok(PoreRow {
        n: row.get(0)?,
        zone: row.get(1)?,
        x_px: row.get(2)?,
        y_px: row.get(3)?,
        diameter_mm: row.get(4)?,
        feret_mm: row.get(5)?,
        area_mm2: row.get(6)?,
        circularity: row.get(7)?,
        score: row.get(8)?,
        verdict: verdict.and_then(|v| v.parse().ok()),
    })
}

fn by_id(conn: &Connection, id: i64) -> Result<Option<InspectionRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM inspections WHERE id = ?1"),
            [id],
            inspection_from_row,
        )
        .optional()?)
}

/// The `WHERE` of an `InspectionFilter` (parameters ?1..?8) and its `LIMIT` (?9).
const FILTERED: &str = "FROM inspections
     WHERE (?1 IS NULL OR at_utc >= ?1) AND (?2 IS NULL OR at_utc < ?2)
       AND (?3 IS NULL OR verdict = ?3) AND (?4 IS NULL OR camera = ?4)
       AND (?5 IS NULL OR part_number = ?5) AND (?6 IS NULL OR recipe_version = ?6)
       AND (?7 IS NULL OR instr(serial, ?7) > 0)
       AND (?8 = 0 OR disposition = 'pending')
     ORDER BY id DESC LIMIT ?9";

/// Runs `sql` (which embeds `FILTERED`) with `filter`'s parameters.
fn query_filtered<T>(
    conn: &Connection,
    sql: &str,
    filter: &InspectionFilter,
    row: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let limit = if filter.limit == 0 {
        -1
    } else {
        i64::try_from(filter.limit).unwrap_or(i64::MAX)
    };
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map(
        params![
            filter.from_utc,
            filter.to_utc,
            filter.verdict.map(Verdict::as_str),
            filter.camera,
            filter.part_number,
            filter.recipe_version,
            filter.serial.as_deref().filter(|s| !s.is_empty()),
            filter.pending_only,
            limit
        ],
        row,
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

fn list(conn: &Connection, filter: &InspectionFilter) -> Result<Vec<InspectionRecord>, StoreError> {
    query_filtered(
        conn,
        &format!("SELECT {COLUMNS} {FILTERED}"),
        filter,
        inspection_from_row,
    )
}

fn pores_of(conn: &Connection, inspection_id: i64) -> Result<Vec<PoreRow>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT n, zone, x_px, y_px, diameter_mm, feret_mm, area_mm2, circularity, score, verdict
         FROM pores WHERE inspection_id = ?1 ORDER BY n",
    )?;
    let rows = statement.query_map([inspection_id], pore_from_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

macro_rules! inspection_queries {
    ($type:ty) => {
        impl $type {
            pub fn inspection(&self, id: i64) -> Result<Option<InspectionRecord>, StoreError> {
                by_id(&self.conn, id)
            }

            /// Inspections matching `filter`, newest first.
            pub fn inspections(
                &self,
                filter: &InspectionFilter,
            ) -> Result<Vec<InspectionRecord>, StoreError> {
                list(&self.conn, filter)
            }

            /// Inspections waiting for a disposition.
            pub fn count_pending_dispositions(&self) -> Result<u64, StoreError> {
                let count: i64 = self.conn.query_row(
                    "SELECT COUNT(*) FROM inspections WHERE disposition = 'pending'",
                    [],
                    |row| row.get(0),
                )?;
                Ok(u64::try_from(count).unwrap_or_default())
            }

            /// The pores of one inspection, by number.
            pub fn inspection_pores(&self, id: i64) -> Result<Vec<PoreRow>, StoreError> {
                pores_of(&self.conn, id)
            }

            /// Pores of the inspections matching `filter` (for the size histogram and the
            /// pores-by-zone chart), as (zone, diameter in mm).
            pub fn pore_sizes(
                &self,
                filter: &InspectionFilter,
            ) -> Result<Vec<(Option<String>, f32)>, StoreError> {
                query_filtered(
                    &self.conn,
                    &format!(
                        "SELECT zone, diameter_mm FROM pores
                         WHERE inspection_id IN (SELECT id {FILTERED})"
                    ),
                    filter,
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
            }
        }
    };
}

inspection_queries!(Store);
inspection_queries!(StoreReader);

impl Store {
    /// Saves one inspection with its pores; returns its id. Not audited: nobody changed
    /// anything. A WARN or REJECT starts waiting for a disposition.
    pub fn save_inspection(&mut self, new: &NewInspection) -> Result<i64, StoreError> {
        let savepoint = self.conn.savepoint()?;
        let reasons = serde_json::to_string(&new.reasons)
            .map_err(|err| StoreError::Invalid(format!("reasons: {err}")))?;
        let failed = serde_json::to_string(&new.failed_rules)
            .map_err(|err| StoreError::Invalid(format!("failed rules: {err}")))?;
        savepoint.execute(
            &format!(
                "INSERT INTO inspections ({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,
                 ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, NULL, NULL, NULL)",
                COLUMNS
            ),
            params![
                to_text(now_utc()),
                i64::try_from(new.part_seq).unwrap_or(i64::MAX),
                new.source,
                new.camera,
                new.part_number,
                new.recipe_version,
                new.serial,
                new.verdict.as_str(),
                reasons,
                failed,
                u32::try_from(new.pores.len()).unwrap_or(u32::MAX),
                new.detector,
                new.mm_per_px,
                new.width_px,
                new.height_px,
                new.inspect_ms,
                new.cycle_ms,
                new.raw_image,
                new.overlay_image,
                disposition_text(DispositionState::for_verdict(new.verdict)),
            ],
        )?;
        let id = savepoint.last_insert_rowid();
        {
            let mut insert = savepoint.prepare_cached(
                "INSERT INTO pores (inspection_id, n, zone, x_px, y_px, diameter_mm, feret_mm,
                     area_mm2, circularity, score, verdict)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for pore in &new.pores {
                insert.execute(params![
                    id,
                    pore.n,
                    pore.zone,
                    pore.x_px,
                    pore.y_px,
                    pore.diameter_mm,
                    pore.feret_mm,
                    pore.area_mm2,
                    pore.circularity,
                    pore.score,
                    pore.verdict.map(Verdict::as_str),
                ])?;
            }
        }
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(id)
    }

    /// Records the disposition of a waiting inspection, signed: `signature` is the result of
    /// checking the PIN or password the user typed again (with `auth::verify_secret`, outside
    /// any transaction) against their stored hash. Needs `Engineer` (the roles table: engineers
    /// sign dispositions) and a reason. A wrong secret is audited and changes nothing else.
    pub fn dispose(
        &mut self,
        actor: &Actor,
        inspection_id: i64,
        decision: Disposition,
        reason: &str,
        signature: &SecretCheck,
    ) -> Result<DispositionOutcome, StoreError> {
        let id_text = inspection_id.to_string();
        let actor = self.require(
            actor,
            Permission::Engineer,
            "sign a disposition",
            "inspection",
            &id_text,
        )?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid(
                "a disposition needs a reason: say why the part is accepted, reworked or scrapped"
                    .into(),
            ));
        }
        let savepoint = self.conn.savepoint()?;
        let current_phc = match actor.user_id {
            Some(user_id) if user_id == signature.stored.user_id => {
                super::users::stored_phc(&savepoint, user_id)?
            }
            _ => None,
        };
        if !signature.matches || current_phc.as_deref() != Some(signature.stored.phc.as_str()) {
            append(
                &savepoint,
                &AuditEntry::new(
                    &actor.name,
                    "inspection.signature_refused",
                    "inspection",
                    &id_text,
                )
                .reason(format!(
                    "{}: the PIN or password did not match",
                    decision.label()
                )),
            )?;
            super::commit(savepoint, self.sealed.as_ref())?;
            self.committed();
            return Ok(DispositionOutcome::SignatureRefused);
        }
        let inspection = by_id(&savepoint, inspection_id)?
            .ok_or_else(|| StoreError::Invalid(format!("no inspection {inspection_id}")))?;
        match inspection.disposition {
            DispositionState::Pending => {}
            DispositionState::NotNeeded => {
                return Err(StoreError::Invalid(format!(
                    "inspection {inspection_id} was ACCEPT: it needs no disposition"
                )));
            }
            DispositionState::Done(done) => {
                return Err(StoreError::Invalid(format!(
                    "inspection {inspection_id} was already dispositioned ({}) by {}",
                    done.label(),
                    inspection.disposition_by.as_deref().unwrap_or("someone")
                )));
            }
        }
        savepoint.execute(
            "UPDATE inspections SET disposition = ?2, disposition_reason = ?3,
                 disposition_by = ?4, disposition_at_utc = ?5
             WHERE id = ?1",
            params![
                inspection_id,
                decision.as_str(),
                reason,
                actor.name,
                to_text(now_utc())
            ],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(
                &actor.name,
                "inspection.disposition",
                "inspection",
                &id_text,
            )
            .change(
                Some(format!("pending ({})", inspection.verdict)),
                Some(decision.as_str().to_owned()),
            )
            .reason(reason),
        )?;
        let record = by_id(&savepoint, inspection_id)?
            .ok_or_else(|| StoreError::Invalid(format!("no inspection {inspection_id}")))?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(DispositionOutcome::Recorded(record))
    }
}
