//! Station settings: a few named values an admin may change (the station's name, idle
//! sign-out, lockout), kept as key/value rows and audited on every change.

use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, Permission};

/// The settings the station reads at start; missing rows take these defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationSettings {
    pub station_name: String,
}

impl Default for StationSettings {
    fn default() -> Self {
        Self {
            station_name: "qcstation".to_owned(),
        }
    }
}

const STATION_NAME: &str = "station_name";

fn value(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT value FROM station_settings WHERE key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()?)
}

fn read(conn: &Connection) -> Result<StationSettings, StoreError> {
    let defaults = StationSettings::default();
    Ok(StationSettings {
        station_name: value(conn, STATION_NAME)?.unwrap_or(defaults.station_name),
    })
}

impl StoreReader {
    pub fn settings(&self) -> Result<StationSettings, StoreError> {
        read(&self.conn)
    }
}

impl Store {
    pub fn settings(&self) -> Result<StationSettings, StoreError> {
        read(&self.conn)
    }

    pub fn set_station_name(&mut self, actor: &Actor, name: &str) -> Result<(), StoreError> {
        self.require(
            actor,
            Permission::ManageStation,
            "rename the station",
            "setting",
            STATION_NAME,
        )?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 48 {
            return Err(StoreError::Invalid(
                "the station name must have 1 to 48 characters".to_owned(),
            ));
        }
        let savepoint = self.conn.savepoint()?;
        let old = value(&savepoint, STATION_NAME)?;
        savepoint.execute(
            "INSERT INTO station_settings (key, value, updated_at_utc) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                             updated_at_utc = excluded.updated_at_utc",
            params![STATION_NAME, name, to_text(now_utc())],
        )?;
        append(
            &savepoint,
            &AuditEntry::new(&actor.name, "setting.change", "setting", STATION_NAME)
                .change(old, Some(name.to_owned())),
        )?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(())
    }
}
