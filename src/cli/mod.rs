//! The command line: the same station as the GUI, for scripts, setup and checks. Every command
//! takes `--data-dir DIR` and `--config FILE`; with no command it opens the GUI.

mod audit;
mod backup_cmd;
mod bench;
mod bench_backup;
mod bench_crosscheck;
mod bench_grade;
mod bench_inspect;
mod bench_laser;
mod bench_ocr;
mod bench_scan;
mod bench_store;
mod bench_vision;
mod camera;
mod config_cmd;
mod crosscheck_cmd;
mod engrave_cmd;
mod eval_cmd;
mod export_cmd;
mod gcode_cmd;
mod grbl_sim;
mod inspect_cmd;
mod items_cmd;
mod laser;
mod laser_settings;
mod ocr_cmd;
mod orders_cmd;
mod peer;
mod qr_cmd;
mod recipe_cmd;
mod scan_cmd;
mod scan_session_cmd;
mod synth_cmd;
mod test_grid_cmd;
mod users;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::paths::{self, Mode, StationPaths};

pub use bench::count_allocations_with;

#[derive(Debug, Parser)]
#[command(name = "qcstation", version, about = "Factory-floor quality station", long_about = None)]
pub struct Cli {
    /// Data directory (database, images, logs). Default: the platform's data directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file. Default: qcstation.toml in --data-dir, else in the platform's config
    /// directory. No config file means demo mode.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the station's window (the default).
    Gui {
        /// Full screen, as on a kiosk (overrides the config file).
        #[arg(long)]
        fullscreen: bool,
    },
    /// Users and their roles.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// A consistent backup of the station while it runs: database, key, audit head, config
    /// and record folders, with a manifest of SHA-256 sums (exit 0 done, 1 failed).
    Backup(backup_cmd::BackupArgs),
    /// Restore a backup after verifying every file and its audit trail; the station must be
    /// stopped, and the data it replaces is kept aside (exit 0 done, 1 refused or failed).
    Restore(backup_cmd::RestoreArgs),
    /// One history table as CSV (inspections, dispositions, engraving jobs, scans, work
    /// orders, stages, issues, audit), filtered by time (exit 0 written, 1 refused or failed).
    Export(export_cmd::ExportArgs),
    /// Cameras: list, grab a frame, add and remove.
    #[command(subcommand)]
    Camera(camera::CameraCommand),
    /// Configuration files.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// The laser G-code of one QR code, with its extent and estimated time.
    Gcode(gcode_cmd::GcodeArgs),
    /// The engraving laser's GRBL controller: stream a file, status, ports.
    #[command(subcommand)]
    Laser(laser::LaserCommand),
    /// A power/speed test grid for a new material (G-code and its legend).
    TestGrid(test_grid_cmd::TestGridArgs),
    /// Engrave inventory items on the laser, recording each job and the item's new status.
    Engrave(engrave_cmd::EngraveArgs),
    /// A simulated GRBL 1.1 laser on a pseudo-terminal (prints its device path).
    GrblSim(grbl_sim::GrblSimArgs),
    /// Allocate item UIDs and write their QR codes (PNG, SVG, sheets, manifest.csv).
    #[command(subcommand)]
    Qr(qr_cmd::QrCommand),
    /// The item inventory: list, counts, lifecycle moves, low-stock thresholds.
    #[command(subcommand)]
    Items(items_cmd::ItemsCommand),
    /// Work orders, their stages and issues: create, list, show, move stages, assign, raise
    /// and resolve issues, as the console or as a user with `--as USER --secret-stdin` (exit 0
    /// done, 1 refused or invalid with the reason).
    Orders(orders_cmd::OrdersArgs),
    /// Porosity verdicts for image files (exit 0 accept, 1 warn, 2 reject, 3 unreadable).
    Inspect(inspect_cmd::InspectArgs),
    /// The QC cross-check of one build's traveler, BOM and photos (exit 0 PASS, 1 WARNING,
    /// 2 FAIL).
    Crosscheck(crosscheck_cmd::CrosscheckArgs),
    /// Text in image files with the station's OCR (exit 0 when every image was read).
    Ocr(ocr_cmd::OcrArgs),
    /// QR codes in image files (exit 0 when every image gave a code, 1 otherwise).
    Scan(scan_cmd::ScanArgs),
    /// A scan session on image files against a batch, a lot or a list, recorded in the station
    /// database (exit 0 when every image gave a code, every expected part was seen and every
    /// scan was known).
    ScanSession(scan_session_cmd::ScanSessionArgs),
    /// Porosity recipes in the station database: list, show, save a new version.
    #[command(subcommand)]
    Recipe(recipe_cmd::RecipeCommand),
    /// Generated images with ground truth (porosity scenes for training, tests and eval).
    #[command(subcommand)]
    Synth(synth_cmd::SynthCommand),
    /// Score a detector against generated ground truth.
    #[command(subcommand)]
    Eval(eval_cmd::EvalCommand),
    /// Measure the station's speed.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// `value` rounded to `places` decimals, for JSON figures other tools read.
fn round(value: f64, places: i32) -> f64 {
    let scale = 10_f64.powi(places);
    (value * scale).round() / scale
}

/// Runs the CLI; the binary's `main` is only this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `config check FILE` must work on a broken file, so it runs before the config is loaded.
    if let Some(Command::Config(command)) = &cli.command {
        return config_cmd::run(command, cli.data_dir.as_deref());
    }
    let (paths, config) = paths::resolve(cli.data_dir.as_deref(), cli.config.as_deref())?;
    crate::telemetry::init(
        &paths.log_dir,
        &config.logging.filter,
        config.logging.keep_files,
    );
    match cli.command {
        None => Ok(crate::app::run(&paths, &config, false)?),
        Some(Command::Gui { fullscreen }) => Ok(crate::app::run(&paths, &config, fullscreen)?),
        Some(Command::Users(command)) => users::run(command, &paths),
        Some(Command::Audit(command)) => audit::run(command, &paths),
        Some(Command::Backup(args)) => backup_cmd::run_backup(&args, &paths),
        Some(Command::Restore(args)) => backup_cmd::run_restore(&args, &paths),
        Some(Command::Export(args)) => export_cmd::run(&args, &paths),
        Some(Command::Camera(command)) => camera::run(command, &paths),
        Some(Command::Bench(command)) => bench::run(command, cli.data_dir.as_deref()),
        Some(Command::Config(_)) => Ok(ExitCode::SUCCESS),
        Some(Command::Gcode(args)) => gcode_cmd::run(&args),
        Some(Command::Inspect(args)) => inspect_cmd::run(&args, &paths),
        Some(Command::Crosscheck(args)) => crosscheck_cmd::run(&args, &config),
        Some(Command::Ocr(args)) => ocr_cmd::run(&args, &config),
        Some(Command::Scan(args)) => scan_cmd::run(&args),
        Some(Command::ScanSession(args)) => scan_session_cmd::run(&args, &paths),
        Some(Command::Recipe(command)) => recipe_cmd::run(command, &paths),
        Some(Command::Synth(command)) => synth_cmd::run(&command),
        Some(Command::Eval(command)) => eval_cmd::run(&command),
        Some(Command::Laser(command)) => laser::run(command),
        Some(Command::Engrave(args)) => engrave_cmd::run(&args, &paths),
        Some(Command::TestGrid(args)) => test_grid_cmd::run(&args),
        Some(Command::GrblSim(args)) => grbl_sim::run(&args),
        Some(Command::Qr(command)) => qr_cmd::run(command, &paths, &config),
        Some(Command::Items(command)) => items_cmd::run(command, &paths, &config),
        Some(Command::Orders(args)) => orders_cmd::run(args, &paths, &config),
    }
}

/// The station's console as an actor, named after the OS user running the command.
fn console_actor() -> crate::domain::Actor {
    let os_user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    crate::domain::Actor::console(&os_user)
}

/// Opens the station's database for a CLI command, seeding it in demo mode like the GUI does.
fn open_store(paths: &StationPaths) -> anyhow::Result<crate::store::Store> {
    use anyhow::Context as _;
    let seal = crate::store::AuditSeal::in_data_dir(&paths.data_dir, &paths.database);
    let mut store = crate::store::Store::open_sealed(&paths.database, &seal)
        .with_context(|| format!("opening the station database {}", paths.database.display()))?;
    if paths.mode == Mode::Demo {
        store.seed_demo(crate::auth::new_secret_hash)?;
    }
    Ok(store)
}
