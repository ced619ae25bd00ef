//! `qcstation export TABLE [--from DATE] [--to DATE] --out FILE|-`: one history table as CSV.
//!
//! This file owns the arguments (table name, date bounds, destination) and reports; the rows
//! and their columns are the store's (`store::export`). Like `audit list`, reading records from
//! the console needs no sign-in and is not itself audited. A file is written beside its final
//! name and renamed when complete, so a failed export never leaves a half file under that name.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;

use crate::paths::StationPaths;
use crate::store::{ExportTable, TimeRange, parse_utc};

#[derive(Debug, Args)]
#[command(after_help = time_columns_help())]
pub struct ExportArgs {
    /// inspections, dispositions, engraving_jobs, scans, work_orders, stages, issues or audit.
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Rows at or after this time: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Rows before this time: YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// The CSV file to write, or `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// The help's table of time columns, from the store's own.
fn time_columns_help() -> String {
    let mut help = "Time column per table (--from inclusive, --to exclusive, UTC):".to_owned();
    for table in ExportTable::ALL {
        let note = match table {
            ExportTable::Dispositions => " (decided dispositions only)",
            ExportTable::WorkOrders => " (with stage and open-issue counts)",
            _ => "",
        };
        help.push_str(&format!(
            "\n  {:<16}{}{note}",
            table.name(),
            table.time_column()
        ));
    }
    help
}

pub fn run(args: &ExportArgs, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let table: ExportTable = args.table.parse()?;
    let range = TimeRange {
        from: args
            .from
            .as_deref()
            .map(|text| parse_time_arg("--from", text, false))
            .transpose()?,
        to: args
            .to
            .as_deref()
            .map(|text| parse_time_arg("--to", text, false))
            .transpose()?,
    };
    if let (Some(from), Some(to)) = (range.from, range.to)
        && from >= to
    {
        bail!("--from ({from}) must be before --to ({to}): --to is exclusive");
    }
    let store = super::open_store(paths)?;
    let reader = store.reader()?;
    let rows = if args.out == Path::new("-") {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        reader.export_csv(table, range, &mut out)?
    } else {
        write_file(&args.out, |out| Ok(reader.export_csv(table, range, out)?))?
    };
    let destination = if args.out == Path::new("-") {
        "standard output".to_owned()
    } else {
        args.out.display().to_string()
    };
    eprintln!("{rows} rows written to {destination}");
    Ok(ExitCode::SUCCESS)
}

/// A time argument of the CLI (`export`, `orders`): an RFC 3339 time, or a bare date at 00:00
/// UTC — the next day's 00:00 when `end_of_day`, so an inclusive `--to DATE` covers that day.
/// Else an error naming `flag` and the formats it takes.
pub(super) fn parse_time_arg(
    flag: &str,
    text: &str,
    end_of_day: bool,
) -> anyhow::Result<DateTime<Utc>> {
    let text = text.trim();
    if let Some(at) = parse_utc(text) {
        return Ok(at);
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        anyhow::anyhow!(
            "{flag} {text:?} is not a date: expected YYYY-MM-DD (midnight UTC) or RFC 3339 such as 2026-03-05T06:00:00Z"
        )
    })?;
    let date = if end_of_day {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Writes `path` through `write` into a temporary sibling, renamed over `path` once complete.
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<u64>,
) -> anyhow::Result<u64> {
    let name = path
        .file_name()
        .with_context(|| format!("--out {} names no file", path.display()))?;
    let mut partial_name = name.to_owned();
    partial_name.push(".partial");
    let partial = path.with_file_name(partial_name);
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let written = write(&mut out).and_then(|rows| {
        let file = out.into_inner().map_err(|err| err.into_error())?;
        file.sync_all()?;
        Ok(rows)
    });
    match written {
        Ok(rows) => {
            std::fs::rename(&partial, path)
                .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
            Ok(rows)
        }
        Err(err) => {
            // The partial file is useless; the error is what the user needs.
            let _ = std::fs::remove_file(&partial);
            Err(err.context(format!("writing {}", path.display())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn bounds_take_a_date_or_rfc3339() {
        assert_eq!(
            parse_time_arg("--from", "2026-03-05", false).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 5, 0, 0, 0).unwrap()
        );
        assert_eq!(
            parse_time_arg("--to", "2026-03-05T08:30:00+02:00", false).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 5, 6, 30, 0).unwrap()
        );
        assert_eq!(
            parse_time_arg("--to", "2026-03-05T06:30:00.250Z", false).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 5, 6, 30, 0).unwrap()
                + chrono::Duration::milliseconds(250)
        );
    }

    #[test]
    fn a_bad_bound_names_the_flag_and_the_formats() {
        for bad in ["05/03/2026", "2026-13-01", "yesterday", "2026-03-05 06:00"] {
            for end_of_day in [false, true] {
                let message = parse_time_arg("--to", bad, end_of_day)
                    .unwrap_err()
                    .to_string();
                assert!(message.starts_with("--to "), "{message}");
                assert!(message.contains("YYYY-MM-DD"), "{message}");
                assert!(message.contains("RFC 3339"), "{message}");
            }
        }
    }

    #[test]
    fn an_end_of_day_bound_covers_the_whole_date() {
        assert_eq!(
            parse_time_arg("--to", "2026-03-05", true).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 6, 0, 0, 0).unwrap()
        );
        // A time is taken as given.
        assert_eq!(
            parse_time_arg("--to", "2026-03-05T06:30:00Z", true).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 5, 6, 30, 0).unwrap()
        );
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let failed = write_file(&path, |out| {
            out.write_all(b"half")?;
            bail!("disk on fire")
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let rows = write_file(&path, |out| {
            out.write_all(b"a\n")?;
            Ok(1)
        })
        .unwrap();
        assert_eq!(rows, 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\n");
    }
}
