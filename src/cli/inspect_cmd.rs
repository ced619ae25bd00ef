//! `qcstation inspect IMAGE... [--recipe FILE|NAME] [--mm-per-px X] [--json] [--overlay DIR]`:
//! porosity verdicts for image files, as the kiosk would give them. Exit code: the worst verdict
//! (0 ACCEPT, 1 WARN, 2 REJECT), or 3 when an image could not be inspected (the others still
//! are). With `--json`, one object per image per line (a contract other tools parse):
//! `{"image", "verdict", "pores": [{"x_px", "y_px", "diameter_mm", "feret_mm", "area_mm2",
//! "zone", "score"}], "reasons", "elapsed_ms"}`; an image that failed gives `{"image", "error"}`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::round;
use crate::domain::Verdict;
use crate::vision::detect::{Detector, DetectorKind};
use crate::vision::inspect::{Inspection, inspect};
use crate::vision::overlay::overlay;
use crate::vision::recipe::{DEFAULT_MM_PER_PX, Recipe};

/// Exit code when an image could not be read or inspected.
const IMAGE_FAILED: u8 = 3;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Image files (PNG, JPEG, BMP).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// A recipe file (TOML), or a part number whose newest stored recipe to use (`PART@vN`
    /// for a given version); without it the station's default recipe (the network, one
    /// whole-image zone with the default rules).
    #[arg(long, value_name = "FILE|NAME")]
    pub recipe: Option<PathBuf>,
    /// The images' scale; else the recipe's `mm_per_px`, else 0.03.
    #[arg(long, value_name = "X")]
    pub mm_per_px: Option<f32>,
    /// Override the recipe's detector (classical or onnx).
    #[arg(long, value_name = "NAME")]
    pub detector: Option<DetectorKind>,
    /// One JSON object per image per line.
    #[arg(long)]
    pub json: bool,
    /// Write each image's overlay here as NAME-overlay.png.
    #[arg(long, value_name = "DIR")]
    pub overlay: Option<PathBuf>,
}

pub fn run(args: &InspectArgs, paths: &crate::paths::StationPaths) -> anyhow::Result<ExitCode> {
    let recipe = match &args.recipe {
        Some(name) => super::recipe_cmd::resolve(name, paths)?,
        None => Recipe::station_default(),
    };
    let mm_per_px = args
        .mm_per_px
        .or(recipe.mm_per_px)
        .unwrap_or(DEFAULT_MM_PER_PX);
    if !(mm_per_px > 0.0 && mm_per_px.is_finite()) {
        anyhow::bail!("--mm-per-px must be a number above 0, e.g. 0.03 (got {mm_per_px})");
    }
    let kind = args.detector.unwrap_or(recipe.detector);
    let mut detector = Detector::load(kind)?;
    if let Some(dir) = &args.overlay {
        std::fs::create_dir_all(dir)
            .map_err(|err| anyhow::anyhow!("creating {}: {err}", dir.display()))?;
    }
    let mut worst: Option<Verdict> = None;
    let mut failed = false;
    for path in &args.images {
        let started = Instant::now();
        match inspect_file(
            path,
            &recipe,
            mm_per_px,
            &mut detector,
            args.overlay.as_deref(),
        ) {
            Ok(inspection) => {
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                worst = worst.max(Some(inspection.verdict));
                if args.json {
                    println!("{}", json_line(path, &inspection, elapsed_ms));
                } else {
                    print_text(path, &inspection, elapsed_ms, mm_per_px);
                }
            }
            Err(err) => {
                failed = true;
                if args.json {
                    println!(
                        "{}",
                        json!({"image": path.display().to_string(), "error": format!("{err:#}")})
                    );
                }
                eprintln!("error: {}: {err:#}", path.display());
            }
        }
    }
    if failed {
        return Ok(ExitCode::from(IMAGE_FAILED));
    }
    Ok(ExitCode::from(worst.unwrap_or(Verdict::Accept).exit_code()))
}

fn inspect_file(
    path: &Path,
    recipe: &Recipe,
    mm_per_px: f32,
    detector: &mut Detector,
    overlay_dir: Option<&Path>,
) -> anyhow::Result<Inspection> {
    let grey = crate::vision::image_file::read_grey(path)?;
    let zones = recipe.zones_for(None, grey.width(), grey.height());
    let inspection = inspect(&grey, zones, mm_per_px, recipe.threshold, detector)?;
    if let Some(dir) = overlay_dir {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".to_owned());
        let out = dir.join(format!("{stem}-overlay.png"));
        overlay(&grey, &inspection)
            .save(&out)
            .map_err(|err| anyhow::anyhow!("writing {}: {err}", out.display()))?;
    }
    Ok(inspection)
}

fn json_line(path: &Path, inspection: &Inspection, elapsed_ms: f64) -> serde_json::Value {
    let pores: Vec<serde_json::Value> = inspection
        .pores
        .iter()
        .map(|pore| {
            json!({
                "x_px": round(f64::from(pore.x_px), 2),
                "y_px": round(f64::from(pore.y_px), 2),
                "diameter_mm": round(f64::from(pore.diameter_mm), 4),
                "feret_mm": round(f64::from(pore.feret_mm), 4),
                "area_mm2": round(f64::from(pore.area_mm2), 5),
                "zone": inspection.zone_of(pore.id),
                "score": round(f64::from(pore.score), 4),
            })
        })
        .collect();
    json!({
        "image": path.display().to_string(),
        "verdict": inspection.verdict.as_str(),
        "pores": pores,
        "reasons": inspection.reasons(),
        "elapsed_ms": round(elapsed_ms, 2),
    })
}

fn print_text(path: &Path, inspection: &Inspection, elapsed_ms: f64, mm_per_px: f32) {
    println!(
        "{}: {} — {} pore(s), {} detector at {mm_per_px} mm/px, {elapsed_ms:.0} ms",
        path.display(),
        inspection.verdict,
        inspection.pores.len(),
        inspection.detector.as_str()
    );
    for reason in inspection.reasons() {
        println!("  {reason}");
    }
    for pore in &inspection.pores {
        println!(
            "  #{:<3} at ({:7.1}, {:7.1}) px  Ø {:.3} mm  Feret {:.3} mm  {:.4} mm²  score {:.2}  {}",
            pore.id + 1,
            pore.x_px,
            pore.y_px,
            pore.diameter_mm,
            pore.feret_mm,
            pore.area_mm2,
            pore.score,
            inspection.zone_of(pore.id).unwrap_or("(no zone)")
        );
    }
}
