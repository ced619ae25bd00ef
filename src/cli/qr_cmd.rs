//! `qcstation qr generate`: allocates a batch of item UIDs in the station database (as the
//! console, like every CLI command) and writes their QR codes and `manifest.csv` into a
//! directory; `qcstation qr export` writes an existing batch's codes again.
//!
//! Everything that can be checked is checked before the UIDs are allocated (the UID parts, the
//! options, the output directory, that the payload fits a QR code), because an allocated
//! sequence is never given back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use crate::config::Config;
use crate::domain::{LotKey, MAX_SEQ, Uid, UidError, UidPart};
use crate::paths::StationPaths;
use crate::qr::{
    EcLevel, ExportOptions, ExportReport, QrSymbol, ec_level_name, export_codes, parse_ec_level,
    prepare_out_dir,
};
use crate::store::{BatchRecord, BatchRequest, ItemFilter, Store};

#[derive(Debug, Subcommand)]
pub enum QrCommand {
    /// Allocate a batch of UIDs and write their codes and manifest.csv into a directory.
    Generate(GenerateArgs),
    /// Write the codes of an allocated batch again (e.g. after a failed write).
    Export {
        /// The batch's number, as `qr generate` printed it.
        #[arg(long)]
        batch: i64,
        #[command(flatten)]
        files: FileArgs,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Component type: 2-8 upper-case letters or digits, e.g. PAD.
    #[arg(long)]
    pub component: String,
    /// Vendor code: V and 4 digits, e.g. V0100.
    #[arg(long)]
    pub vendor: String,
    /// Lot number: L + year + '-' + month (L2025-09), or the plant's `inventory.lot_pattern`.
    #[arg(long)]
    pub lot: String,
    /// How many items (1 to 99999; the lot must have that many sequences left).
    #[arg(long)]
    pub count: u32,
    /// Manufacturing date, YYYY-MM-DD. Default: today (local time).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// Warranty in years (0 to 50).
    #[arg(long, default_value_t = 0)]
    pub warranty_years: u32,
    #[command(flatten)]
    pub files: FileArgs,
}

/// Which image files to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Png,
    Svg,
    Both,
}

#[derive(Debug, Args)]
pub struct FileArgs {
    /// Directory for the files and manifest.csv (created if needed; an existing manifest.csv is
    /// appended to).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Error correction: L, M, Q or H (H for metal, where marks wear).
    #[arg(long, default_value = "M", value_parser = parse_ec_level)]
    pub ec: EcLevel,
    /// Pixels per module in PNGs (user units in SVGs).
    #[arg(long, default_value_t = 10)]
    pub module_px: u32,
    #[arg(long, value_enum, default_value_t = Format::Png)]
    pub format: Format,
    /// Also write sheets of captioned codes (6 x 8 per sheet).
    #[arg(long)]
    pub sheet: bool,
    /// The payload around the UID, with {uid} standing for it (e.g. a URL). Default: the UID.
    #[arg(long, value_name = "TEXT")]
    pub payload_template: Option<String>,
}

impl FileArgs {
    fn options(&self) -> ExportOptions {
        ExportOptions {
            ec: self.ec,
            module_px: self.module_px,
            png: matches!(self.format, Format::Png | Format::Both),
            svg: matches!(self.format, Format::Svg | Format::Both),
            sheet: self.sheet,
            payload_template: self.payload_template.clone(),
        }
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|err| format!("{text:?} is not a date YYYY-MM-DD ({err})"))
}

/// A UID part's error, naming the command-line option it came from.
fn with_flag(err: UidError) -> anyhow::Error {
    let flag = match err.part {
        UidPart::Component => "--component",
        UidPart::Vendor => "--vendor",
        UidPart::Lot => "--lot",
        UidPart::Sequence | UidPart::Whole => "--count",
    };
    anyhow::anyhow!("{flag}: {err}")
}

/// Checks the options and the directory, and that the longest payload of the lot fits a code.
fn check_before_allocating(
    key: &LotKey,
    options: &ExportOptions,
    out: &Path,
) -> anyhow::Result<()> {
    options.check()?;
    prepare_out_dir(out)?;
    let widest = key.uid(MAX_SEQ).map_err(with_flag)?;
    QrSymbol::encode(&options.payload(&widest), options.ec)?;
    Ok(())
}

fn batch_uids(batch: &BatchRecord, key: &LotKey) -> anyhow::Result<Vec<Uid>> {
    (batch.first_seq..=batch.last_seq())
        .map(|seq| key.uid(seq).map_err(anyhow::Error::from))
        .collect()
}

fn print_export(report: &ExportReport, options: &ExportOptions) {
    let pngs = report
        .codes
        .iter()
        .filter(|code| code.png.is_some())
        .count();
    let svgs = report
        .codes
        .iter()
        .filter(|code| code.svg.is_some())
        .count();
    let modules = report.codes.first().map_or(0, |code| code.modules);
    println!(
        "wrote {pngs} PNG and {svgs} SVG file(s) into {}: {modules}x{modules} modules + 4-module quiet zone, EC {}, {} px per module",
        report.out_dir.display(),
        ec_level_name(options.ec),
        options.module_px
    );
    if let (Some(first), Some(last)) = (report.codes.first(), report.codes.last()) {
        let first_file = first.png.as_ref().or(first.svg.as_ref());
        let last_file = last.png.as_ref().or(last.svg.as_ref());
        if let (Some(first_file), Some(last_file)) = (first_file, last_file) {
            println!("files: {first_file} .. {last_file}");
        }
    }
    for sheet in &report.sheets {
        println!("sheet: {sheet}");
    }
    println!(
        "manifest: {} ({} row(s) added)",
        report.manifest.display(),
        report.codes.len()
    );
}

pub fn run(command: QrCommand, paths: &StationPaths, config: &Config) -> anyhow::Result<ExitCode> {
    let rule = config.lot_rule();
    match command {
        QrCommand::Generate(args) => {
            let key =
                LotKey::new(&args.component, &args.vendor, &args.lot, &rule).map_err(with_flag)?;
            let options = args.files.options();
            check_before_allocating(&key, &options, &args.files.out)?;
            let manufactured_on = args
                .date
                .unwrap_or_else(|| chrono::Local::now().date_naive());
            let mut store = super::open_store(paths)?;
            let batch = store.allocate_batch(
                &super::console_actor(),
                &BatchRequest {
                    key: key.clone(),
                    count: args.count,
                    manufactured_on,
                    warranty_years: args.warranty_years,
                },
            )?;
            println!(
                "allocated batch {}: {} .. {} ({} item(s), made {}, warranty {} year(s)) in {}",
                batch.id,
                batch.uid_text(batch.first_seq),
                batch.uid_text(batch.last_seq()),
                batch.count,
                batch.manufactured_on,
                batch.warranty_years,
                paths.database.display()
            );
            let report = export_codes(&batch_uids(&batch, &key)?, &options, &args.files.out)
                .with_context(|| {
                    format!(
                        "batch {} is allocated, but its files were not all written: write them again with `qcstation qr export --batch {} --out DIR`",
                        batch.id, batch.id
                    )
                })?;
            print_export(&report, &options);
        }
        QrCommand::Export { batch, files } => {
            let store: Store = super::open_store(paths)?;
            let record = store
                .batch(batch)?
                .with_context(|| format!("no batch {batch} in {}", paths.database.display()))?;
            let options = files.options();
            options.check()?;
            // The batch's own items (scrapped ones included: their codes are part of the range).
            let uids = store
                .items(&ItemFilter {
                    batch_id: Some(record.id),
                    ..ItemFilter::default()
                })?
                .iter()
                .map(|item| Uid::parse(&item.uid, &rule))
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| {
                    format!("batch {batch}'s UIDs do not follow the configured lot rule")
                })?;
            let report = export_codes(&uids, &options, &files.out)?;
            println!(
                "batch {}: {} .. {}",
                record.id,
                record.uid_text(record.first_seq),
                record.uid_text(record.last_seq())
            );
            print_export(&report, &options);
        }
    }
    Ok(ExitCode::SUCCESS)
}
