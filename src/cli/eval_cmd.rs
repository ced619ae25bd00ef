//! `qcstation eval porosity --data DIR [--detector classical|onnx] [--json]`: a detector
//! against generated ground truth (`synth porosity`), with the station's default recipe. Pore
//! precision, recall and F1 for pores of at least 0.2 mm (a detection matches a true pore when
//! their centres are within max(0.25 mm, half the true diameter)), diameter MAE of matched
//! pores, and verdict agreement with the verdict the same rules give the true pores.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::domain::Verdict;
use crate::vision::blobs::blobs;
use crate::vision::detect::{Detector, DetectorKind};
use crate::vision::eval::{PoreCounts, match_pores};
use crate::vision::inspect::{inspect, judge};
use crate::vision::measure::{Pore, measure};
use crate::vision::recipe::Recipe;
use crate::vision::score_map::ScoreMap;
use crate::vision::synth::read_truth;

/// Pores smaller than this are not scored (the default recipe ignores them too).
const SCORED_FROM_MM: f32 = 0.2;

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Porosity detection against `synth porosity` ground truth.
    Porosity(EvalPorosityArgs),
}

#[derive(Debug, Args)]
pub struct EvalPorosityArgs {
    /// A directory written by `qcstation synth porosity`.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    #[arg(long, default_value = "onnx")]
    pub detector: DetectorKind,
    /// One JSON object with the figures.
    #[arg(long)]
    pub json: bool,
    /// Also list every image whose verdict disagrees.
    #[arg(long)]
    pub verbose: bool,
}

pub fn run(command: &EvalCommand) -> anyhow::Result<ExitCode> {
    let EvalCommand::Porosity(args) = command;
    let mut truth_files: Vec<PathBuf> = std::fs::read_dir(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "json")
                && path
                    .file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with("porosity-"))
        })
        .collect();
    truth_files.sort();
    if truth_files.is_empty() {
        anyhow::bail!(
            "{} holds no porosity-*.json truth files: write some with `qcstation synth porosity --out {}`",
            args.data.display(),
            args.data.display()
        );
    }
    let recipe = Recipe::station_default();
    let mut detector = Detector::load(args.detector)?;
    let mut counts = PoreCounts::default();
    let (mut agree, mut clean, mut clean_rejected) = (0_u32, 0_u32, 0_u32);
    let mut disagreements = Vec::new();
    let mut times_ms = Vec::new();
    for path in &truth_files {
        let scene = score_scene(path, &recipe, &mut detector)?;
        counts.add(scene.counts);
        times_ms.push(scene.elapsed_ms);
        if scene.expected == scene.got {
            agree += 1;
        } else {
            disagreements.push(format!(
                "{}: expected {} from the truth, got {}",
                path.display(),
                scene.expected,
                scene.got
            ));
        }
        if scene.true_pores == 0 {
            clean += 1;
            clean_rejected += u32::from(scene.got == Verdict::Reject);
        }
    }
    times_ms.sort_by(f64::total_cmp);
    let median_ms = times_ms[times_ms.len() / 2];
    let images = truth_files.len() as u32;
    let agreement = f64::from(agree) / f64::from(images);
    if args.json {
        println!(
            "{}",
            json!({
                "data": args.data.display().to_string(),
                "detector": args.detector.as_str(),
                "images": images,
                "scored_from_mm": SCORED_FROM_MM,
                "true_positives": counts.true_positives,
                "false_positives": counts.false_positives,
                "false_negatives": counts.false_negatives,
                "precision": counts.precision(),
                "recall": counts.recall(),
                "f1": counts.f1(),
                "diameter_mae_mm": counts.diameter_mae_mm(),
                "diameter_bias_mm": counts.diameter_bias_mm(),
                "verdict_agreement": agreement,
                "images_without_pores": clean,
                "false_rejects_without_pores": clean_rejected,
                "median_ms": median_ms,
            })
        );
    } else {
        println!(
            "{} image(s) in {}, {} detector, station default recipe",
            images,
            args.data.display(),
            args.detector.as_str()
        );
        println!(
            "pores ≥ {SCORED_FROM_MM} mm: TP {} FP {} FN {}; precision {:.4} recall {:.4} F1 {:.4}",
            counts.true_positives,
            counts.false_positives,
            counts.false_negatives,
            counts.precision(),
            counts.recall(),
            counts.f1()
        );
        println!(
            "diameter MAE {:.4} mm, bias {:+.4} mm (measured − true) over {} matched pores",
            counts.diameter_mae_mm(),
            counts.diameter_bias_mm(),
            counts.true_positives
        );
        println!(
            "verdict agreement {agree}/{images} = {:.2} %; images without pores: {clean}, REJECTed: {clean_rejected}",
            100.0 * agreement
        );
        println!("median {median_ms:.1} ms per image (detect + measure + judge)");
        if args.verbose {
            for line in &disagreements {
                println!("  {line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct SceneScore {
    counts: PoreCounts,
    expected: Verdict,
    got: Verdict,
    true_pores: usize,
    elapsed_ms: f64,
}

fn score_scene(
    truth_path: &Path,
    recipe: &Recipe,
    detector: &mut Detector,
) -> anyhow::Result<SceneScore> {
    let truth = read_truth(truth_path)?;
    let stem = truth_path.with_extension("");
    let image_path = stem.with_extension("png");
    let mask_path = PathBuf::from(format!("{}-mask.png", stem.display()));
    let grey = crate::vision::image_file::read_grey(&image_path)?;
    let mask = crate::vision::image_file::read_grey(&mask_path)?;
    let mm_per_px = truth.params.mm_per_px;
    let true_pores = pores_of_mask(&mask, mm_per_px);
    let zones = recipe.zones_for(None, grey.width(), grey.height());
    let started = Instant::now();
    let found = inspect(&grey, zones.clone(), mm_per_px, recipe.threshold, detector)?;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    let expected = judge(&true_pores, &zones, mm_per_px).verdict;
    Ok(SceneScore {
        counts: match_pores(&true_pores, &found.pores, mm_per_px, SCORED_FROM_MM),
        expected,
        got: found.verdict,
        true_pores: true_pores.len(),
        elapsed_ms,
    })
}

/// The true pores: the mask's components, measured as detections are.
fn pores_of_mask(mask: &image::GrayImage, mm_per_px: f32) -> Vec<Pore> {
    blobs(&ScoreMap::from_mask(mask), 0.5, 1)
        .iter()
        .enumerate()
        .map(|(id, blob)| measure(blob, id, mm_per_px))
        .collect()
}
