//! `qcstation bench scan --data DIR [--peer-python P]`: decode rate and time per image of the
//! station's QR decoder on folders of images with their expected payload in a `.txt` beside each
//! (the public sets in `data/qr-public/`, or a generated set), and of zxing-cpp on the same files
//! in the same run (`benches/peers/zxing_scan.py`). Both are scored by the same code: an image is
//! decoded when one of its codes equals the expected payload; any other code is a wrong payload;
//! any code on an image in a folder whose name contains `neg` is a false positive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use crate::runtime::stats::nearest_rank;
use crate::scan::ScanOptions;
use crate::scan::isolate::{IsolatedDecoder, Outcome};
use crate::scan::synth::{MarkParams, Tier, render as render_mark};
use crate::vision::image_file::{is_image, read_grey};

#[derive(Debug, Args)]
pub struct ScanBench {
    /// A folder of images with `.txt` payloads, or a folder of such folders.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// A Python with the `zxing-cpp` wheel: measures zxing-cpp on the same files in this run.
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// The decoder's budget per image, in milliseconds (as `scan --budget-ms`).
    #[arg(long, default_value_t = 400, value_name = "MS")]
    pub budget_ms: u64,
    /// List the images the station missed and the peer read, and the reverse.
    #[arg(long)]
    pub verbose: bool,
    /// Also time N generated 1920×1080 frames with one mark each (the live goal: one frame time,
    /// 33 ms at 30 fps).
    #[arg(long, default_value_t = 40, value_name = "N")]
    pub live_frames: u64,
}

/// One image of the set.
struct Case {
    path: PathBuf,
    folder: String,
    /// `None` on a negative image (no code should be read).
    expected: Option<String>,
}

/// What a decoder gave on one image.
#[derive(Default, Clone)]
struct Answer {
    texts: Vec<String>,
    ms: f64,
    failure: Option<String>,
}

/// A decoder's score over the set.
#[derive(Default)]
struct Score {
    per_folder: BTreeMap<String, (usize, usize)>,
    wrong: Vec<PathBuf>,
    false_positives: Vec<PathBuf>,
    failures: Vec<(PathBuf, String)>,
    ms: Vec<f64>,
}

impl Score {
    fn of(cases: &[Case], answers: &[Answer]) -> Self {
        let mut score = Score::default();
        for (case, answer) in cases.iter().zip(answers) {
            score.ms.push(answer.ms);
            if let Some(failure) = &answer.failure {
                score.failures.push((case.path.clone(), failure.clone()));
            }
            match &case.expected {
                None => {
                    if !answer.texts.is_empty() {
                        score.false_positives.push(case.path.clone());
                    }
                }
                Some(expected) => {
                    let entry = score.per_folder.entry(case.folder.clone()).or_default();
                    entry.1 += 1;
                    if answer.texts.contains(expected) {
                        entry.0 += 1;
                    }
                    if answer.texts.iter().any(|text| text != expected) {
                        score.wrong.push(case.path.clone());
                    }
                }
            }
        }
        score
    }

    fn decoded(&self) -> (usize, usize) {
        self.per_folder
            .values()
            .fold((0, 0), |(a, n), (da, dn)| (a + da, n + dn))
    }

    fn percentile_ms(&self, fraction: f64) -> f64 {
        nearest_rank(&self.ms, fraction).unwrap_or(f64::NAN)
    }
}

pub fn run(bench: &ScanBench) -> anyhow::Result<ExitCode> {
    let cases = cases(&bench.data)?;
    anyhow::ensure!(
        !cases.is_empty(),
        "{}: no images with a .txt payload beside them (nor a folder named *neg*)",
        bench.data.display()
    );
    let options = ScanOptions {
        budget: Duration::from_millis(bench.budget_ms),
        grade: false,
    };
    let mut decoder = IsolatedDecoder::for_budget(options.budget);
    let mut answers = Vec::with_capacity(cases.len());
    let mut rungs: BTreeMap<&'static str, usize> = BTreeMap::new();
    for case in &cases {
        let grey = read_grey(&case.path)?;
        let started = Instant::now();
        let outcome = decoder.decode(grey, options)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        answers.push(match outcome {
            Outcome::Codes(codes) => {
                if let Some(code) = codes.first() {
                    *rungs.entry(code.rung).or_default() += 1;
                }
                Answer {
                    texts: codes.into_iter().map(|code| code.text).collect(),
                    ms,
                    failure: None,
                }
            }
            Outcome::Panicked(message) => Answer {
                ms,
                failure: Some(format!("panic: {message}")),
                ..Answer::default()
            },
            Outcome::TimedOut => Answer {
                ms,
                failure: Some("timed out".into()),
                ..Answer::default()
            },
        });
    }
    let station = Score::of(&cases, &answers);
    let peer = match &bench.peer_python {
        Some(python) => {
            let (name, peer_answers) = run_peer(python, &cases)?;
            Some((name, Score::of(&cases, &peer_answers), peer_answers))
        }
        None => None,
    };
    report(
        &cases,
        &station,
        &rungs,
        peer.as_ref().map(|(n, s, _)| (n.as_str(), s)),
    );
    if bench.verbose
        && let Some((name, _, peer_answers)) = &peer
    {
        for ((case, ours), theirs) in cases.iter().zip(&answers).zip(peer_answers) {
            let Some(expected) = &case.expected else {
                continue;
            };
            let (we, they) = (
                ours.texts.contains(expected),
                theirs.texts.contains(expected),
            );
            if we != they {
                println!(
                    "  {} only: {}",
                    if we { "station" } else { name.as_str() },
                    case.path.display()
                );
            }
        }
    }
    let live_met = live(bench.live_frames)?;
    let met = goals(&station, peer.as_ref().map(|(_, s, _)| s)) && live_met;
    Ok(if met {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The images under `dir`: its own and those of its sub-folders, sorted.
fn cases(dir: &Path) -> anyhow::Result<Vec<Case>> {
    let mut folders = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            folders.push(path);
        }
    }
    folders.sort();
    let mut cases = Vec::new();
    for folder in folders {
        let name = folder
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let negative = name.contains("neg");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("reading {}", folder.display()))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| is_image(path))
            .collect();
        files.sort();
        for path in files {
            let expected = if negative {
                None
            } else {
                let Ok(bytes) = std::fs::read(path.with_extension("txt")) else {
                    continue;
                };
                Some(String::from_utf8(bytes).with_context(|| {
                    format!(
                        "{}: the payload is not UTF-8",
                        path.with_extension("txt").display()
                    )
                })?)
            };
            cases.push(Case {
                path,
                folder: name.clone(),
                expected,
            });
        }
    }
    Ok(cases)
}

/// Runs zxing-cpp on the same files; returns its name and its answers in case order.
fn run_peer(python: &Path, cases: &[Case]) -> anyhow::Result<(String, Vec<Answer>)> {
    let paths: Vec<PathBuf> = cases.iter().map(|case| case.path.clone()).collect();
    let run = super::peer::run_peer(python, "zxing_scan.py", &[], &paths, "zxing-cpp")?;
    let answers = run
        .answers
        .iter()
        .map(|value| Answer {
            texts: value["texts"]
                .as_array()
                .map(|texts| {
                    texts
                        .iter()
                        .filter_map(|text| text.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            ms: value["ms"].as_f64().unwrap_or(f64::NAN),
            failure: None,
        })
        .collect();
    Ok((run.name, answers))
}

fn report(
    cases: &[Case],
    station: &Score,
    rungs: &BTreeMap<&'static str, usize>,
    peer: Option<(&str, &Score)>,
) {
    let negatives = cases.iter().filter(|case| case.expected.is_none()).count();
    println!(
        "{} images ({} with a payload, {negatives} negatives)",
        cases.len(),
        cases.len() - negatives
    );
    println!(
        "{:<26} {:>14} {:>14}",
        "folder",
        "station",
        peer.map_or("", |(name, _)| name)
    );
    for (folder, (decoded, total)) in &station.per_folder {
        let theirs = peer
            .and_then(|(_, score)| score.per_folder.get(folder))
            .map(|(d, n)| format!("{d}/{n}"))
            .unwrap_or_default();
        println!(
            "{folder:<26} {:>14} {theirs:>14}",
            format!("{decoded}/{total}")
        );
    }
    for (name, score) in std::iter::once(("station", station)).chain(peer) {
        let (decoded, total) = score.decoded();
        println!(
            "{name}: {decoded}/{total} decoded ({:.1} %), {} wrong payloads, {} false positives, {} crashes or timeouts; per image median {:.2} ms, p90 {:.2} ms, max {:.1} ms",
            100.0 * decoded as f64 / total.max(1) as f64,
            score.wrong.len(),
            score.false_positives.len(),
            score.failures.len(),
            score.percentile_ms(0.5),
            score.percentile_ms(0.9),
            score.percentile_ms(1.0),
        );
        for path in &score.wrong {
            println!("  wrong payload: {}", path.display());
        }
        for path in &score.false_positives {
            println!("  false positive: {}", path.display());
        }
        for (path, failure) in &score.failures {
            println!("  {failure}: {}", path.display());
        }
    }
    let read_by: Vec<String> = rungs
        .iter()
        .map(|(rung, count)| format!("{rung} {count}"))
        .collect();
    println!("station, images read by rung: {}", read_by.join(", "));
}

/// Times the ladder with the live budget (`ScanOptions::live`) on generated 1080p frames with one
/// mark each (normal tier, seeds from 7 000 000, never used by the tests); prints how many were
/// read within it, the median and the p95. True when the p95 is within a 30 fps frame time.
fn live(frames: u64) -> anyhow::Result<bool> {
    let options = ScanOptions::live();
    if frames == 0 {
        return Ok(true);
    }
    let mut ms = Vec::new();
    let mut read = 0;
    for seed in 7_000_000..7_000_000 + frames {
        let mark = render_mark(&MarkParams::sample(seed, Tier::Normal, 1920, 1080))?;
        let started = Instant::now();
        let codes = crate::scan::decode(&mark.image, &options);
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        read += usize::from(codes.iter().any(|code| code.text == mark.params.payload));
    }
    let at = |fraction: f64| nearest_rank(&ms, fraction).unwrap_or(f64::NAN);
    let met = at(0.95) <= 33.0;
    println!(
        "live 1920x1080, one mark per frame, 30 ms budget: {read}/{frames} read, median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.95),
        at(1.0)
    );
    println!(
        "goal: a 1080p frame within one frame time (p95 ≤ 33 ms): {}",
        if met { "met" } else { "NOT met" }
    );
    Ok(met)
}

/// Prints each goal of the scanning issue with met / NOT met; true when all are met.
fn goals(station: &Score, peer: Option<&Score>) -> bool {
    let (decoded, _) = station.decoded();
    let median = station.percentile_ms(0.5);
    let mut checks = vec![
        ("zero wrong payloads", station.wrong.is_empty()),
        (
            "nothing on the negatives",
            station.false_positives.is_empty(),
        ),
        ("zero crashes or timeouts", station.failures.is_empty()),
        ("median ≤ 9 ms (rqrr plain)", median <= 9.0),
    ];
    if let Some(peer) = peer {
        let (peer_decoded, _) = peer.decoded();
        let peer_median = peer.percentile_ms(0.5);
        println!(
            "station / zxing-cpp: decoded {decoded} vs {peer_decoded}; median time {:.1}x",
            median / peer_median
        );
        checks.push(("decode rate ≥ zxing-cpp", decoded >= peer_decoded));
        checks.push(("median within 10x zxing-cpp", median <= 10.0 * peer_median));
    }
    let mut all = true;
    for (goal, met) in checks {
        println!("goal: {goal}: {}", if met { "met" } else { "NOT met" });
        all &= met;
    }
    all
}
