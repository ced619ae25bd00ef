//! `qcstation test-grid --powers 20,40,60,80 --speeds 600,1200,2400 --out grid.nc`: the
//! power/speed test grid for a new material, with its legend (which square is which) and the
//! time the machine will take.

use super::laser_settings::laser_settings;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;

use crate::engrave::{TestGrid, estimate, parse_series, test_grid_gcode};

#[derive(Debug, Args)]
pub struct TestGridArgs {
    /// Powers, % of the machine's $30: one column each, left to right. A list (20,40,60,80) or
    /// MIN:MAX:STEPS (20:80:4).
    #[arg(long, value_parser = series)]
    pub powers: Series,
    /// Speeds, mm/min: one row each, bottom to top. A list (600,1200,2400) or MIN:MAX:STEPS
    /// (600:2400:3).
    #[arg(long, value_parser = series)]
    pub speeds: Series,
    /// Side of each square, mm.
    #[arg(long, default_value_t = 5.0)]
    pub cell_mm: f64,
    /// Space between squares, mm.
    #[arg(long, default_value_t = 2.0)]
    pub gap_mm: f64,
    /// Laser settings (TOML): origin, line interval, overscan, passes, air assist.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// The machine's `$$` dump, for its power range, rates and accelerations.
    #[arg(long, value_name = "FILE")]
    pub machine: Option<PathBuf>,
    #[arg(long, value_name = "FILE.nc")]
    pub out: PathBuf,
}

/// The values of one axis of the grid (see `parse_series`).
#[derive(Debug, Clone, PartialEq)]
pub struct Series(pub Vec<f64>);

fn series(text: &str) -> Result<Series, String> {
    parse_series(text)
        .map(Series)
        .map_err(|err| err.to_string())
}

pub fn run(args: &TestGridArgs) -> anyhow::Result<ExitCode> {
    let settings = laser_settings(args.settings.as_deref(), None, args.machine.as_deref())?;
    let grid = TestGrid {
        powers_percent: args.powers.0.clone(),
        speeds_mm_per_min: args.speeds.0.clone(),
        cell_mm: args.cell_mm,
        gap_mm: args.gap_mm,
    };
    let program = test_grid_gcode(&grid, &settings)?;
    let text = program.text();
    std::fs::write(&args.out, &text).with_context(|| format!("writing {}", args.out.display()))?;
    let run = estimate(&text, &settings.machine);
    let [x0, y0, x1, y1] = program.bbox_mm;
    println!(
        "{}: {} x {} squares of {} mm, {} lines; head within X {x0:.1}..{x1:.1} Y {y0:.1}..{y1:.1} mm; estimated {:.0} s",
        args.out.display(),
        grid.powers_percent.len(),
        grid.speeds_mm_per_min.len(),
        grid.cell_mm,
        program.lines.len(),
        run.seconds
    );
    println!("legend (square's lower-left corner → power, speed):");
    for (row, speed) in grid.speeds_mm_per_min.iter().enumerate() {
        for (column, power) in grid.powers_percent.iter().enumerate() {
            let [cx, cy] = grid.cell_origin_mm(column, row);
            println!(
                "  X {:.1} Y {:.1}: {power} % power, {speed} mm/min",
                settings.origin_mm[0] + cx,
                settings.origin_mm[1] + cy
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
