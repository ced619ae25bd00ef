//! Inspection recipes, versioned per part number: saving adds version n+1 and never edits an
//! old one, so every inspection's `recipe_version` keeps meaning what it meant. The body is the
//! recipe's TOML (its shape and validation belong to `vision::recipe`; the caller validates
//! before saving). Every save is in the audit trail with the previous and the new body.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::audit::{AuditEntry, append};
use super::time::{now_utc, to_text};
use super::{Store, StoreError, StoreReader};
use crate::domain::{Actor, Permission};

/// One saved version of a part's recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeRecord {
    pub part_number: String,
    pub version: u32,
    pub body_toml: String,
    /// What changed, in the engineer's words.
    pub note: String,
    pub created_by: String,
    pub created_at_utc: String,
}

const COLUMNS: &str = "part_number, version, body_toml, note, created_by, created_at_utc";

fn recipe_from_row(row: &Row<'_>) -> rusqlite::Result<RecipeRecord> {
    Ok(RecipeRecord {
        part_number: row.get(0)?,
        version: row.get(1)?,
        body_toml: row.get(2)?,
        note: row.get(3)?,
        created_by: row.get(4)?,
        created_at_utc: row.get(5)?,
    })
}

fn latest(conn: &Connection, part_number: &str) -> Result<Option<RecipeRecord>, StoreError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM recipes WHERE part_number = ?1
                 ORDER BY version DESC LIMIT 1"
            ),
            [part_number],
            recipe_from_row,
        )
        .optional()?)
}

macro_rules! recipe_queries {
    ($type:ty) => {
        impl $type {
            /// The newest version of `part_number`'s recipe.
            pub fn latest_recipe(
                &self,
                part_number: &str,
            ) -> Result<Option<RecipeRecord>, StoreError> {
                latest(&self.conn, part_number)
            }

            pub fn recipe_version(
                &self,
                part_number: &str,
                version: u32,
            ) -> Result<Option<RecipeRecord>, StoreError> {
                Ok(self
                    .conn
                    .query_row(
                        &format!(
                            "SELECT {COLUMNS} FROM recipes
                             WHERE part_number = ?1 AND version = ?2"
                        ),
                        params![part_number, version],
                        recipe_from_row,
                    )
                    .optional()?)
            }

            /// Every part's newest version, by part number.
            pub fn latest_recipes(&self) -> Result<Vec<RecipeRecord>, StoreError> {
                let mut statement = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM recipes r
                     WHERE version = (SELECT MAX(version) FROM recipes
                                      WHERE part_number = r.part_number)
                     ORDER BY part_number"
                ))?;
                let rows = statement.query_map([], recipe_from_row)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            }

            /// Every version of `part_number`'s recipe, newest first.
            pub fn recipe_history(
                &self,
                part_number: &str,
            ) -> Result<Vec<RecipeRecord>, StoreError> {
                let mut statement = self.conn.prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM recipes WHERE part_number = ?1
                     ORDER BY version DESC"
                ))?;
                let rows = statement.query_map([part_number], recipe_from_row)?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            }
        }
    };
}

recipe_queries!(Store);
recipe_queries!(StoreReader);

impl Store {
    /// Saves `body_toml` as the next version of `part_number`'s recipe (1 for a new part) and
    /// audits it with the previous body. Needs `Engineer`. The caller has validated the body.
    pub fn save_recipe(
        &mut self,
        actor: &Actor,
        part_number: &str,
        body_toml: &str,
        note: &str,
    ) -> Result<RecipeRecord, StoreError> {
        let part_number = part_number.trim();
        if part_number.is_empty() {
            return Err(StoreError::Invalid(
                "the recipe has no part number: name the part it is for".into(),
            ));
        }
        let actor = self.require(
            actor,
            Permission::Engineer,
            "save a recipe",
            "recipe",
            part_number,
        )?;
        let savepoint = self.conn.savepoint()?;
        let previous = latest(&savepoint, part_number)?;
        if previous
            .as_ref()
            .is_some_and(|previous| previous.body_toml == body_toml)
        {
            return Err(StoreError::Invalid(format!(
                "recipe {part_number} v{} is the same: nothing to save",
                previous.map_or(0, |p| p.version)
            )));
        }
        let version = previous.as_ref().map_or(1, |p| p.version + 1);
        savepoint.execute(
            &format!("INSERT INTO recipes ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            params![
                part_number,
                version,
                body_toml,
                note.trim(),
                actor.name,
                to_text(now_utc())
            ],
        )?;
        let mut entry = AuditEntry::new(
            &actor.name,
            "recipe.save",
            "recipe",
            &format!("{part_number} v{version}"),
        )
        .change(previous.map(|p| p.body_toml), Some(body_toml.to_owned()));
        if !note.trim().is_empty() {
            entry = entry.reason(note.trim());
        }
        append(&savepoint, &entry)?;
        let record = latest(&savepoint, part_number)?
            .ok_or_else(|| StoreError::Invalid(format!("recipe {part_number} was not saved")))?;
        super::commit(savepoint, self.sealed.as_ref())?;
        self.committed();
        Ok(record)
    }
}
