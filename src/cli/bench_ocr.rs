//! `qcstation bench ocr --count N --seed S --tier normal|hard [--peer-python P] [--tesseract
//! PSM,...]`: fielded OCR accuracy on generated label photos (`docs::synth::label_photo`: fonts,
//! rotation 0/90/180/270 with skew, blur, noise, glare; the hard tier with low contrast, heavy
//! blur, JPEG 20–40 and small text), against RapidOCR (PyPI, onnxruntime) and Tesseract (Debian,
//! one run per page segmentation mode, label alphabet whitelisted) on the same files in the same
//! run (`benches/peers/ocr_peers.py`). Every engine's lines go through the station's own
//! fielding (`domain::crosscheck::fields_in_lines`), so the reading alone is compared: a field is
//! right when its canonical value equals the truth's canonical value exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;

use super::ocr_cmd::{best_fields, photo_lines};
use crate::docs::synth::{LabelFields, Tier, label_photo};
use crate::domain::crosscheck::{CompiledPatterns, FieldKind, normalise};
use crate::ocr::Ocr;
use crate::runtime::stats::nearest_rank;

#[derive(Debug, Args)]
pub struct OcrBench {
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub count: u64,
    /// First seed; seeds S..S+N. Keep them apart from any seed used while tuning.
    #[arg(long, default_value_t = 7_000_000, value_name = "S")]
    pub seed: u64,
    #[arg(long, value_enum, default_value_t = TierArg::Normal)]
    pub tier: TierArg,
    /// A Python with the `rapidocr` wheel (and onnxruntime): RapidOCR on the same files.
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// Tesseract page segmentation modes to run (needs `tesseract` on the PATH and
    /// --peer-python for the driver script); empty: no Tesseract.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "",
        value_name = "PSM,..."
    )]
    pub tesseract: Vec<String>,
    /// Keep the generated photos in this folder (default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// List the fields each engine got wrong.
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TierArg {
    Normal,
    Hard,
}

/// One photo: its file and the canonical value of each field printed on it.
struct Case {
    path: PathBuf,
    truth: BTreeMap<FieldKind, String>,
}

/// What one engine read on one photo.
struct Reading {
    lines: Vec<(String, f32)>,
    ms: f64,
}

pub fn run(bench: &OcrBench) -> anyhow::Result<ExitCode> {
    let patterns = CompiledPatterns::default();
    let tier = match bench.tier {
        TierArg::Normal => Tier::Normal,
        TierArg::Hard => Tier::Hard,
    };
    let dir = match &bench.keep {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("qcstation-bench-ocr-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let cases = make_cases(&dir, bench, tier, &patterns)?;
    let fields_total: usize = cases.iter().map(|case| case.truth.len()).sum();
    println!(
        "{} {} label photos (seeds {}..{}), {fields_total} fields, in {}",
        cases.len(),
        tier.as_str(),
        bench.seed,
        bench.seed + bench.count,
        dir.display()
    );

    let mut ocr = Ocr::station()?;
    let station: Vec<Reading> = cases
        .iter()
        .map(|case| {
            let started = Instant::now();
            let image = crate::vision::image_file::read_rgb(&case.path)?;
            let page = ocr.read(&image)?;
            Ok(Reading {
                lines: page
                    .lines
                    .into_iter()
                    .map(|l| (l.text, l.confidence))
                    .collect(),
                ms: started.elapsed().as_secs_f64() * 1e3,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut engines = vec![("qcstation (tract)".to_owned(), station)];
    if let Some(python) = &bench.peer_python {
        engines.push(run_peer(python, &["rapidocr"], &cases)?);
        for psm in bench.tesseract.iter().filter(|psm| !psm.is_empty()) {
            engines.push(run_peer(python, &["tesseract", psm], &cases)?);
        }
    }
    println!(
        "{:<40} {:>14} {:>14} {:>10} {:>10}",
        "engine", "fields exact", "photos exact", "median ms", "p95 ms"
    );
    let mut accuracy = Vec::new();
    for (name, readings) in &engines {
        let (right, photos_right, wrong) = score(&cases, readings, &patterns);
        let mut ms: Vec<f64> = readings.iter().map(|r| r.ms).collect();
        ms.sort_by(f64::total_cmp);
        let share = 100.0 * right as f64 / fields_total.max(1) as f64;
        println!(
            "{name:<40} {share:>13.1}% {:>13.1}% {:>10.0} {:>10.0}",
            100.0 * photos_right as f64 / cases.len().max(1) as f64,
            nearest_rank(&ms, 0.5).unwrap_or(f64::NAN),
            nearest_rank(&ms, 0.95).unwrap_or(f64::NAN)
        );
        if bench.verbose {
            for line in wrong.iter().take(40) {
                println!("    {line}");
            }
        }
        accuracy.push(share);
    }
    let station_share = accuracy.first().copied().unwrap_or(0.0);
    let beats_peers = accuracy.iter().skip(1).all(|&peer| station_share > peer);
    match tier {
        Tier::Normal => println!(
            "goal: fields exact ≥ 99 % — {}",
            if station_share >= 99.0 {
                "met"
            } else {
                "NOT met"
            }
        ),
        Tier::Hard => println!(
            "goal: beat every anchor measured in this run — {}",
            if engines.len() < 2 {
                "no anchor measured (give --peer-python)"
            } else if beats_peers {
                "met"
            } else {
                "NOT met"
            }
        ),
    }
    if bench.keep.is_none()
        && let Err(err) = std::fs::remove_dir_all(&dir)
    {
        eprintln!("warning: removing {}: {err}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn make_cases(
    dir: &Path,
    bench: &OcrBench,
    tier: Tier,
    patterns: &CompiledPatterns,
) -> anyhow::Result<Vec<Case>> {
    (0..bench.count)
        .map(|i| {
            let seed = bench.seed + i;
            let fields = LabelFields::sample(seed);
            let (image, _) = label_photo(seed, tier, &fields)?;
            let path = dir.join(format!("label-{seed}.png"));
            image
                .save(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            let truth = FieldKind::ALL
                .into_iter()
                .filter_map(|kind| {
                    let printed = fields.value(kind)?;
                    normalise(kind, printed, true, patterns).map(|n| (kind, n.value))
                })
                .collect();
            Ok(Case { path, truth })
        })
        .collect()
}

/// Fields right, photos with every field right, and what was wrong.
fn score(
    cases: &[Case],
    readings: &[Reading],
    patterns: &CompiledPatterns,
) -> (usize, usize, Vec<String>) {
    let (mut right, mut photos_right, mut wrong) = (0, 0, Vec::new());
    for (case, reading) in cases.iter().zip(readings) {
        let file = case.path.display().to_string();
        let lines = photo_lines(
            &file,
            reading
                .lines
                .iter()
                .map(|(text, confidence)| (text.clone(), *confidence, [[0.0; 2]; 4])),
        );
        let best = best_fields(&lines, None, patterns);
        let mut all = true;
        for (kind, value) in &case.truth {
            let read = best.get(kind).map(|found| &found.value);
            if read == Some(value) {
                right += 1;
            } else {
                all = false;
                wrong.push(format!(
                    "{file}: {} {value}, got {read:?} from {:?}",
                    kind.as_str(),
                    reading
                        .lines
                        .iter()
                        .map(|l| l.0.as_str())
                        .collect::<Vec<_>>()
                ));
            }
        }
        photos_right += usize::from(all);
    }
    (right, photos_right, wrong)
}

/// Runs `benches/peers/ocr_peers.py` with `args` on every photo.
fn run_peer(
    python: &Path,
    args: &[&str],
    cases: &[Case],
) -> anyhow::Result<(String, Vec<Reading>)> {
    let paths: Vec<PathBuf> = cases.iter().map(|case| case.path.clone()).collect();
    let run = super::peer::run_peer(python, "ocr_peers.py", args, &paths, "rapidocr")?;
    let readings = run.answers.iter().map(peer_reading).collect();
    Ok((run.name, readings))
}

/// A peer's answer for one photo as a reading.
fn peer_reading(value: &serde_json::Value) -> Reading {
    let lines = value["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|line| {
                    (
                        line["text"].as_str().unwrap_or_default().to_owned(),
                        line["confidence"].as_f64().unwrap_or(0.0) as f32,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Reading {
        lines,
        ms: value["ms"].as_f64().unwrap_or(f64::NAN),
    }
}
