//! CSV exports of the history tables: one query per exported table, rows filtered by a time
//! range on the table's natural time column and streamed to a writer one at a time (a 100 000
//! row table is never held in memory).
//!
//! Values are written as stored: times as UTC RFC 3339 text, JSON columns as their JSON text,
//! NULL as an empty field; quoting is the `csv` crate's (RFC 4180). This module only reads; who
//! may export, and where the file goes, is the caller's business. Nothing here spawns threads or
//! knows about the UI.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;

use super::StoreReader;
use super::time::to_text;

/// A table that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTable {
    Inspections,
    Dispositions,
    EngravingJobs,
    Scans,
    WorkOrders,
    Stages,
    Issues,
    Audit,
}

impl ExportTable {
    pub const ALL: [Self; 8] = [
        Self::Inspections,
        Self::Dispositions,
        Self::EngravingJobs,
        Self::Scans,
        Self::WorkOrders,
        Self::Stages,
        Self::Issues,
        Self::Audit,
    ];

    /// The name on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Inspections => "inspections",
            Self::Dispositions => "dispositions",
            Self::EngravingJobs => "engraving_jobs",
            Self::Scans => "scans",
            Self::WorkOrders => "work_orders",
            Self::Stages => "stages",
            Self::Issues => "issues",
            Self::Audit => "audit",
        }
    }

    /// The column `--from`/`--to` filter on, as it is named in the CSV header.
    pub fn time_column(self) -> &'static str {
        let (_, expression) = self.query();
        expression
            .rsplit_once('.')
            .map_or(expression, |(_, column)| column)
    }

    /// The query without its time filter, and the SQL expression of its time column.
    /// `{where}` is replaced by the filter (always a `WHERE`/`AND` chain starting with `WHERE
    /// 1`), so the queries keep their indexes on the time column where one exists.
    fn query(self) -> (&'static str, &'static str) {
        match self {
            Self::Inspections => (
                "SELECT id, at_utc, part_seq, source, camera, part_number, recipe_version, serial,
                        verdict, pore_count, reasons_json, failed_rules_json, detector, mm_per_px,
                        width_px, height_px, inspect_ms, cycle_ms, raw_image, overlay_image,
                        disposition, disposition_reason, disposition_by, disposition_at_utc
                 FROM inspections {where} ORDER BY at_utc, id",
                "at_utc",
            ),
            Self::Dispositions => (
                "SELECT id AS inspection_id, disposition_at_utc, disposition, disposition_by,
                        disposition_reason, at_utc AS inspected_at_utc, part_number, serial,
                        camera, verdict
                 FROM inspections {where} AND disposition_at_utc IS NOT NULL
                 ORDER BY disposition_at_utc, id",
                "disposition_at_utc",
            ),
            Self::EngravingJobs => (
                "SELECT id, created_at_utc, payload, item_id, batch_id, status, lines_total,
                        lines_acked, estimate_s, elapsed_s, attempts, outcome, created_by,
                        started_at_utc, finished_at_utc, settings_toml
                 FROM engrave_jobs {where} ORDER BY created_at_utc, id",
                "created_at_utc",
            ),
            Self::Scans => (
                "SELECT s.id, s.at_utc, s.session_id, ss.name AS session_name, s.code_text,
                        s.result, s.item_status, s.detail, s.image_path, s.scanned_by
                 FROM scans s JOIN scan_sessions ss ON ss.id = s.session_id
                 {where} ORDER BY s.at_utc, s.id",
                "s.at_utc",
            ),
            Self::WorkOrders => (
                "SELECT w.id, w.product_code, w.lot, w.quantity, w.status, w.planned_start_utc,
                        w.planned_end_utc, w.created_by, w.created_at_utc,
                        (SELECT COUNT(*) FROM work_order_stages st
                          WHERE st.work_order_id = w.id) AS stages,
                        (SELECT COUNT(*) FROM work_order_stages st
                          WHERE st.work_order_id = w.id AND st.status = 'done') AS stages_done,
                        (SELECT COUNT(*) FROM work_order_stages st
                          WHERE st.work_order_id = w.id AND st.status = 'blocked')
                          AS stages_blocked,
                        (SELECT COUNT(*) FROM stage_issues i
                          JOIN work_order_stages st ON st.id = i.stage_id
                          WHERE st.work_order_id = w.id AND i.status <> 'resolved')
                          AS open_issues
                 FROM work_orders w {where} ORDER BY w.planned_start_utc, w.id",
                "w.planned_start_utc",
            ),
            Self::Stages => (
                "SELECT st.id, st.work_order_id, w.product_code, w.lot, st.sequence, st.name,
                        st.status, st.blocked_from, st.assigned_to, st.planned_start_utc,
                        st.planned_end_utc, st.actual_start_utc, st.actual_end_utc
                 FROM work_order_stages st JOIN work_orders w ON w.id = st.work_order_id
                 {where} ORDER BY st.planned_start_utc, st.id",
                "st.planned_start_utc",
            ),
            Self::Issues => (
                "SELECT i.id, i.raised_at_utc, st.work_order_id, i.stage_id,
                        st.name AS stage_name, i.issue_type, i.status, i.description,
                        i.raised_by, i.acknowledged_by, i.acknowledged_at_utc, i.resolved_by,
                        i.resolved_at_utc, i.resolution
                 FROM stage_issues i JOIN work_order_stages st ON st.id = i.stage_id
                 {where} ORDER BY i.raised_at_utc, i.id",
                "i.raised_at_utc",
            ),
            Self::Audit => (
                "SELECT id, at_utc, user_name, action, entity, entity_id, old_value, new_value,
                        reason, hash_scheme, prev_hash, hash
                 FROM audit {where} ORDER BY id",
                "at_utc",
            ),
        }
    }
}

impl fmt::Display for ExportTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportTable {
    type Err = ExportError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "engrave_jobs" {
            return Ok(Self::EngravingJobs);
        }
        Self::ALL
            .into_iter()
            .find(|table| table.name() == text)
            .ok_or_else(|| ExportError::UnknownTable(text.to_owned()))
    }
}

/// Rows at or after `from` and before `to` (either may be open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("unknown table {0:?}: exportable tables are {names}", names = table_names())]
    UnknownTable(String),
    #[error("reading the {table} rows: {source}")]
    Sqlite {
        table: ExportTable,
        source: rusqlite::Error,
    },
    #[error("writing the CSV: {0}")]
    Write(#[from] csv::Error),
}

/// `inspections, dispositions, …`, for messages.
pub fn table_names() -> String {
    ExportTable::ALL.map(ExportTable::name).join(", ")
}

impl StoreReader {
    /// Writes `table`'s rows in `range` as CSV (a header line, then one line per row, oldest
    /// first) to `out`; returns the number of rows written. The writer is flushed.
    pub fn export_csv(
        &self,
        table: ExportTable,
        range: TimeRange,
        out: &mut dyn Write,
    ) -> Result<u64, ExportError> {
        let sqlite = |source| ExportError::Sqlite { table, source };
        let (query, time_column) = table.query();
        let mut filter = String::from("WHERE 1");
        let mut bounds = Vec::new();
        if let Some(from) = range.from {
            bounds.push(to_text(from));
            filter.push_str(&format!(" AND {time_column} >= ?{}", bounds.len()));
        }
        if let Some(to) = range.to {
            bounds.push(to_text(to));
            filter.push_str(&format!(" AND {time_column} < ?{}", bounds.len()));
        }
        let sql = query.replace("{where}", &filter);
        let mut statement = self.conn.prepare(&sql).map_err(sqlite)?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(statement.column_names())?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(rusqlite::params_from_iter(bounds.iter()))
            .map_err(sqlite)?;
        let mut written = 0_u64;
        let mut field = String::new();
        while let Some(row) = rows.next().map_err(sqlite)? {
            for index in 0..columns {
                field.clear();
                write_value(&mut field, row.get_ref(index).map_err(sqlite)?);
                writer.write_field(&field)?;
            }
            writer.write_record(None::<&[u8]>)?;
            written += 1;
        }
        writer.flush().map_err(csv::Error::from)?;
        Ok(written)
    }
}

/// One stored value as CSV text: NULL empty, numbers as SQLite gives them, text as stored,
/// blobs (none of the exported columns has one) in hex.
fn write_value(field: &mut String, value: ValueRef<'_>) {
    use std::fmt::Write as _;
    match value {
        ValueRef::Null => {}
        ValueRef::Integer(number) => {
            let _ = write!(field, "{number}");
        }
        ValueRef::Real(number) => {
            let _ = write!(field, "{number}");
        }
        ValueRef::Text(text) => field.push_str(&String::from_utf8_lossy(text)),
        ValueRef::Blob(bytes) => {
            for byte in bytes {
                let _ = write!(field, "{byte:02x}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_by_name_and_an_unknown_one_lists_the_valid_ones() {
        for table in ExportTable::ALL {
            assert_eq!(table.name().parse::<ExportTable>().unwrap(), table);
        }
        assert_eq!(
            "engrave_jobs".parse::<ExportTable>().unwrap(),
            ExportTable::EngravingJobs
        );
        let message = "parts".parse::<ExportTable>().unwrap_err().to_string();
        assert!(message.contains("\"parts\""), "{message}");
        assert!(
            message.contains("inspections, dispositions, engraving_jobs, scans, work_orders, stages, issues, audit"),
            "{message}"
        );
    }

    #[test]
    fn each_table_filters_on_its_time_column() {
        let columns = ExportTable::ALL.map(ExportTable::time_column);
        assert_eq!(
            columns,
            [
                "at_utc",
                "disposition_at_utc",
                "created_at_utc",
                "at_utc",
                "planned_start_utc",
                "planned_start_utc",
                "raised_at_utc",
                "at_utc"
            ]
        );
    }

    #[test]
    fn values_are_written_as_stored() {
        let mut field = String::new();
        write_value(&mut field, ValueRef::Null);
        assert_eq!(field, "");
        write_value(&mut field, ValueRef::Integer(-3));
        field.push('|');
        write_value(&mut field, ValueRef::Real(0.25));
        field.push('|');
        write_value(&mut field, ValueRef::Text(b"a,\"b\""));
        field.push('|');
        write_value(&mut field, ValueRef::Blob(&[0, 255]));
        assert_eq!(field, "-3|0.25|a,\"b\"|00ff");
    }
}
