//! The cameras a station shows: a name, a source spec (`demo:porosity`, `folder:PATH`,
//! `v4l:/dev/video0`, ...), a place in the grid and its calibration (`mm_per_px`). Changing
//! them is an engineer's job, audited.

use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, Permission};

#[derive(Debug, Clone, PartialEq)]
pub struct CameraRecord {
    pub id: i64,
    pub name: String,
    pub source_spec: String,
    pub position: i64,
    pub enabled: bool,
    /// The camera's scale, once calibrated.
    pub mm_per_px: Option<f64>,
}

fn list(conn: &Connection) -> Result<Vec<CameraRecord>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT id, name, source_spec, position, enabled, mm_per_px FROM cameras
         ORDER BY position, id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok(CameraRecord {
            id: row.get(0)?,
            name: row.get(1)?,
            source_spec: row.get(2)?,
            position: row.get(3)?,
            enabled: row.get::<_, i64>(4)? != 0,
            mm_per_px: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

impl StoreReader {
    pub fn cameras(&self) -> Result<Vec<CameraRecord>, StoreError> {
        list(&self.conn)
    }
}

impl Store {
    pub fn cameras(&self) -> Result<Vec<CameraRecord>, StoreError> {
        list(&self.conn)
    }

    /// Adds a camera at the end of the grid. The store keeps the spec as text and does not know
    /// the camera layer: the caller parses it first (and stores its canonical form), so a typo
    /// is refused with the reason instead of becoming a camera that never starts.
    pub fn add_camera(
        &mut self,
        actor: &Actor,
        name: &str,
        source_spec: &str,
    ) -> Result<CameraRecord, StoreError> {
        self.require(actor, Permission::Engineer, "add a camera", "camera", name)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(StoreError::Invalid(
                "a camera name has 1 to 32 characters".to_owned(),
            ));
        }
        let spec = source_spec.trim();
        if spec.is_empty() || spec.contains(['\n', '\r']) || spec.chars().count() > 1024 {
            return Err(StoreError::Invalid(
                "a camera source is one line of 1 to 1024 characters".to_owned(),
            ));
        }
        let savepoint = self.conn.savepoint()?;
        let position: i64 = savepoint.query_row(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM cameras",
            [],
            |row| row.get(0),
        )?;
        savepoint
            .execute(
                "INSERT INTO cameras (name, source_spec, position, created_at_utc)
                 VALUES (?1, ?2, ?3, ?4)",
                params![name, spec, position, to_text(now_utc())],
            )
            .map_err(|err| match err {
                rusqlite::Error::SqliteFailure(code, _)
                    if code.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StoreError::Invalid(format!("a camera named {name:?} already exists"))
                }
                other => other.into(),
            })?;
        let id = savepoint.last_insert_rowid();
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "camera.add", "camera", name)
                .change(None, Some(spec.to_owned())),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(CameraRecord {
            id,
            name: name.to_owned(),
            source_spec: spec.to_owned(),
            position,
            enabled: true,
            mm_per_px: None,
        })
    }

    /// Sets (or clears, with `None`) a camera's calibration. Needs `Engineer`; audited with the
    /// old and new scale.
    pub fn calibrate_camera(
        &mut self,
        actor: &Actor,
        name: &str,
        mm_per_px: Option<f64>,
    ) -> Result<(), StoreError> {
        self.require(
            actor,
            Permission::Engineer,
            "calibrate a camera",
            "camera",
            name,
        )?;
        if let Some(scale) = mm_per_px
            && !(scale.is_finite() && scale > 0.0 && scale < 10.0)
        {
            return Err(StoreError::Invalid(format!(
                "{scale} mm/px is not a camera scale: give a number above 0 and below 10, e.g. 0.03"
            )));
        }
        let savepoint = self.conn.savepoint()?;
        let old: Option<Option<f64>> = savepoint
            .query_row(
                "SELECT mm_per_px FROM cameras WHERE name = ?1",
                [name],
                |row| row.get(0),
            )
            .optional()?;
        let Some(old) = old else {
            return Err(StoreError::Invalid(format!("no camera named {name:?}")));
        };
        savepoint.execute(
            "UPDATE cameras SET mm_per_px = ?2 WHERE name = ?1",
            params![name, mm_per_px],
        )?;
        let text = |scale: Option<f64>| scale.map(|s| format!("{s} mm/px"));
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "camera.calibrate", "camera", name)
                .change(text(old), text(mm_per_px)),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }

    pub fn remove_camera(&mut self, actor: &Actor, name: &str) -> Result<(), StoreError> {
        self.require(
            actor,
            Permission::Engineer,
            "remove a camera",
            "camera",
            name,
        )?;
        let savepoint = self.conn.savepoint()?;
        let removed = savepoint.execute("DELETE FROM cameras WHERE name = ?1", [name])?;
        if removed == 0 {
            return Err(StoreError::Invalid(format!("no camera named {name:?}")));
        }
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "camera.remove", "camera", name),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }
}
