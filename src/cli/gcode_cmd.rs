//! `qcstation gcode PAYLOAD --settings FILE --out FILE.nc`: the G-code that engraves one QR code,
//! with its bounding box and the time the machine will take, so an engineer can check a job
//! before any laser fires.

use super::laser_settings::laser_settings;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::engrave::{estimate, qr_matrix, raster_gcode};

#[derive(Debug, Args)]
pub struct GcodeArgs {
    /// What the code holds: the item's UID (e.g. PAD-V0100-L2025-09-00001).
    pub payload: String,
    /// Laser settings (TOML); without it the defaults (anodised aluminium) apply.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// A material preset's power, speed, passes and line interval over the settings.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// The machine's `$$` dump, for its power range, rates and accelerations.
    #[arg(long, value_name = "FILE")]
    pub machine: Option<PathBuf>,
    /// Where to write the program.
    #[arg(long, value_name = "FILE.nc")]
    pub out: PathBuf,
}

pub fn run(args: &GcodeArgs) -> anyhow::Result<ExitCode> {
    if args.payload.is_empty() || !args.payload.is_ascii() {
        anyhow::bail!(
            "the payload {:?} must be non-empty ASCII (a UID such as PAD-V0100-L2025-09-00001)",
            args.payload
        );
    }
    let settings = laser_settings(
        args.settings.as_deref(),
        args.preset.as_deref(),
        args.machine.as_deref(),
    )?;
    let matrix = qr_matrix(&args.payload, settings.error_correction)?;
    let program = raster_gcode(&matrix, &settings);
    let text = program.text();
    std::fs::write(&args.out, &text).with_context(|| format!("writing {}", args.out.display()))?;
    let run = estimate(&text, &settings.machine);
    let [x0, y0, x1, y1] = program.bbox_mm;
    println!(
        "{}: {} x {} modules of {} mm, {} lines, {} pass(es)",
        args.out.display(),
        matrix.modules(),
        matrix.modules(),
        settings.module_mm,
        program.lines.len(),
        settings.passes
    );
    println!(
        "head moves within X {x0:.3}..{x1:.3} Y {y0:.3}..{y1:.3} mm; burns {:.1} mm, travels {:.1} mm",
        program.burn_mm, program.travel_mm
    );
    println!(
        "estimated {:.1} s on this machine ({} moves; rates {:?} mm/min, accelerations {:?} mm/s²)",
        run.seconds,
        run.moves,
        &settings.machine.max_rate_mm_per_min[..2],
        &settings.machine.accel_mm_per_s2[..2]
    );
    Ok(ExitCode::SUCCESS)
}
