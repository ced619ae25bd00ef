//! `qcstation bench crosscheck --count N --seed S [--peer-python P] [--speed-packs K]`: the
//! cross-check against generated packs (`docs::synth::write_pack`) with scripted agreements and
//! disagreements. Verdict agreement with each pack's answer, and for every scripted FAIL whether
//! the result FAILs that check. Then speed: K packs from files to verdict through the station's
//! pipeline (the CLI's `check_files`), beside RapidOCR with onnxruntime reading the same photos
//! and the traveler's pages (rendered with poppler's `pdftoppm` at 150 dpi) in the same run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;

use crate::docs::Limits;
use crate::docs::synth::{PackAnswer, PackOptions, Status, Tier, write_pack};
use crate::domain::crosscheck::{CheckStatus, CompiledPatterns, Verdict};
use crate::runtime::stats::nearest_rank;
use crate::runtime::{InputFile, OcrState, check_files};

#[derive(Debug, Args)]
pub struct CrosscheckBench {
    #[arg(long, default_value_t = 200, value_name = "N")]
    pub count: u64,
    /// First seed; packs S..S+N. Keep them apart from seeds used while tuning.
    #[arg(long, default_value_t = 8_000_000, value_name = "S")]
    pub seed: u64,
    /// Keep the packs in this folder (default: a temporary folder).
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// A Python with the `rapidocr` wheel: the speed peer.
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// Packs timed against the peer (those with a traveler, a BOM and two photos).
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub speed_packs: usize,
    /// List every pack whose verdict or failing check differs.
    #[arg(long)]
    pub verbose: bool,
}

fn status_of(verdict: Verdict) -> Status {
    match verdict {
        Verdict::Pass => Status::Pass,
        Verdict::Warning => Status::Warning,
        Verdict::Fail => Status::Fail,
    }
}

struct Pack {
    dir: PathBuf,
    answer: PackAnswer,
    files: Vec<InputFile>,
}

pub fn run(bench: &CrosscheckBench) -> anyhow::Result<ExitCode> {
    let root = match &bench.keep {
        Some(dir) => dir.clone(),
        None => {
            std::env::temp_dir().join(format!("qcstation-bench-crosscheck-{}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let packs: Vec<Pack> = (0..bench.count)
        .map(|i| {
            let seed = bench.seed + i;
            let dir = root.join(format!("pack-{seed:06}"));
            let answer = write_pack(&dir, seed, &PackOptions { tier: Tier::Normal })?;
            let files = answer
                .files
                .iter()
                .map(|file| InputFile::at(&dir.join(&file.name)))
                .collect();
            Ok(Pack { dir, answer, files })
        })
        .collect::<anyhow::Result<_>>()?;
    let patterns = CompiledPatterns::default();
    let mut ocr = OcrState::station();
    if let OcrState::Refused(reason) = &ocr {
        anyhow::bail!("the OCR is disabled: {reason}");
    }
    let limits = Limits::default();
    let mut agree = 0;
    let mut fails_named = (0, 0);
    let mut confusion: BTreeMap<(Status, Status), u32> = BTreeMap::new();
    let mut times_ms = Vec::with_capacity(packs.len());
    for pack in &packs {
        let started = Instant::now();
        let outcome = check_files(&pack.files, &limits, &mut ocr, &patterns);
        times_ms.push(started.elapsed().as_secs_f64() * 1e3);
        let got = status_of(outcome.verdict);
        *confusion
            .entry((pack.answer.expected_verdict, got))
            .or_default() += 1;
        let mut ok = got == pack.answer.expected_verdict;
        for deviation in pack
            .answer
            .deviations
            .iter()
            .filter(|d| d.status == Status::Fail)
        {
            fails_named.1 += 1;
            let named = outcome
                .checks
                .iter()
                .any(|check| check.number == deviation.check && check.status == CheckStatus::Fail);
            if named {
                fails_named.0 += 1;
            } else {
                ok = false;
            }
        }
        agree += usize::from(got == pack.answer.expected_verdict);
        if !ok && bench.verbose {
            println!(
                "{}: expected {} ({}), got {}",
                pack.dir.display(),
                pack.answer.expected_verdict.as_str(),
                pack.answer
                    .deviations
                    .iter()
                    .map(|d| format!("check {} {}: {}", d.check, d.status.as_str(), d.what))
                    .collect::<Vec<_>>()
                    .join("; "),
                outcome.verdict.as_str()
            );
            for check in outcome
                .checks
                .iter()
                .filter(|c| c.status != CheckStatus::Pass)
            {
                println!(
                    "    {} {} {}: {}",
                    check.number,
                    check.status.as_str(),
                    check.name,
                    check.message
                );
            }
        }
    }
    times_ms.sort_by(f64::total_cmp);
    let share = 100.0 * agree as f64 / packs.len().max(1) as f64;
    println!(
        "{} packs (seeds {}..{}) in {}",
        packs.len(),
        bench.seed,
        bench.seed + bench.count,
        root.display()
    );
    println!(
        "verdict agreement: {agree}/{} = {share:.1} % (goal ≥ 99 %)",
        packs.len()
    );
    println!(
        "scripted FAILs whose check FAILs: {}/{}",
        fails_named.0, fails_named.1
    );
    println!("expected → got:");
    for ((expected, got), count) in &confusion {
        println!("    {:<8} → {:<8} {count}", expected.as_str(), got.as_str());
    }
    println!(
        "station, files to verdict per pack: median {:.0} ms, p95 {:.0} ms",
        nearest_rank(&times_ms, 0.5).unwrap_or(f64::NAN),
        nearest_rank(&times_ms, 0.95).unwrap_or(f64::NAN)
    );
    if let Some(python) = &bench.peer_python {
        speed(&packs, bench.speed_packs, python, &mut ocr, &patterns)?;
    }
    if bench.keep.is_none()
        && let Err(err) = std::fs::remove_dir_all(&root)
    {
        eprintln!("warning: removing {}: {err}", root.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Times the station and RapidOCR on the same packs (traveler, BOM and at least two photos).
fn speed(
    packs: &[Pack],
    count: usize,
    python: &Path,
    ocr: &mut OcrState,
    patterns: &CompiledPatterns,
) -> anyhow::Result<()> {
    let chosen: Vec<&Pack> = packs
        .iter()
        .filter(|pack| {
            let kinds: Vec<&str> = pack.answer.files.iter().map(|f| f.kind.as_str()).collect();
            kinds.contains(&"traveler")
                && kinds.contains(&"bom")
                && kinds.iter().filter(|k| **k == "photo").count() >= 2
        })
        .take(count)
        .collect();
    anyhow::ensure!(
        !chosen.is_empty(),
        "no pack has a traveler, a BOM and two photos"
    );
    // The peer reads images: the photos, and the traveler's pages rendered by poppler.
    let mut peer_images: Vec<Vec<PathBuf>> = Vec::new();
    for pack in &chosen {
        let mut images = Vec::new();
        for file in &pack.answer.files {
            let path = pack.dir.join(&file.name);
            if file.kind.as_str() == "traveler" {
                let prefix = pack.dir.join("peer-page");
                let status = std::process::Command::new("pdftoppm")
                    .args(["-png", "-r", "150"])
                    .arg(&path)
                    .arg(&prefix)
                    .status()
                    .context("running pdftoppm (Debian poppler-utils) to render the traveler for the peer")?;
                anyhow::ensure!(status.success(), "pdftoppm failed on {}", path.display());
                let mut pages: Vec<PathBuf> = std::fs::read_dir(&pack.dir)?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("peer-page"))
                    })
                    .collect();
                pages.sort();
                images.extend(pages);
            } else if file.kind.as_str() == "photo" {
                images.push(path);
            }
        }
        peer_images.push(images);
    }
    let limits = Limits::default();
    let mut station_ms = Vec::new();
    for pack in &chosen {
        let started = Instant::now();
        let _ = check_files(&pack.files, &limits, ocr, patterns);
        station_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    // A warm-up image first, as the station's models are loaded before timing too.
    let mut paths: Vec<PathBuf> = peer_images.iter().flatten().take(1).cloned().collect();
    paths.extend(peer_images.iter().flatten().cloned());
    let run = super::peer::run_peer(python, "ocr_peers.py", &["rapidocr"], &paths, "rapidocr")?;
    let name = run.name;
    let mut at = 1; // after the warm-up
    let mut peer_ms = Vec::new();
    for images in &peer_images {
        let sum: f64 = run.answers[at..at + images.len()]
            .iter()
            .map(|answer| answer["ms"].as_f64().unwrap_or(f64::NAN))
            .sum();
        at += images.len();
        peer_ms.push(sum);
    }
    station_ms.sort_by(f64::total_cmp);
    peer_ms.sort_by(f64::total_cmp);
    let station = nearest_rank(&station_ms, 0.5).unwrap_or(f64::NAN);
    let peer = nearest_rank(&peer_ms, 0.5).unwrap_or(f64::NAN);
    println!(
        "speed on {} packs (traveler PDF, BOM, ≥ 2 photos): station median {station:.0} ms per pack; \
         {name} reading the same photos and rendered pages: median {peer:.0} ms; ratio {:.2} (goal ≤ 1.0)",
        chosen.len(),
        station / peer
    );
    Ok(())
}
