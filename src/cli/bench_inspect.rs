//! `qcstation bench inspect`: porosity inspection at the kiosk's cycle. Part one runs the real
//! station (synthetic porosity cameras, the inspection worker, the vision pool with the
//! network, images kept, records saved, the simulated GPIO board) with a part every period on
//! every camera, while the Inspect panel (grid with result overlays and the verdict column) is
//! drawn offscreen: trigger-to-verdict p50/p95/max, lost triggers, the UI frame time. Part two
//! times the network alone on tract, and onnxruntime (the Python peer,
//! `models/porosity/ort_time.py`) on the same ONNX file and the same image, one thread each,
//! in the same run, and reports the ratio.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use crate::app::{BenchScene, InspectionLoad};
use crate::camera::FrameSize;
use crate::vision::detect::{Detector, DetectorKind};
use crate::vision::synth::{SceneParams, Variety};

/// The cycle goal: every verdict within this of its trigger (p95).
const CYCLE_GOAL_MS: f64 = 1000.0;
/// tract may take at most this many times onnxruntime's time.
const RATIO_GOAL: f64 = 1.5;

#[derive(Debug, Args)]
pub struct InspectBench {
    #[arg(long, default_value_t = 4)]
    pub cameras: usize,
    #[arg(long, default_value = "1280x720")]
    pub size: FrameSize,
    #[arg(long, default_value_t = 30.0)]
    pub fps: f32,
    /// A part on every camera this often.
    #[arg(long, default_value_t = 2.0)]
    pub period_s: f32,
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    #[arg(long, default_value_t = 60.0)]
    pub seconds: f32,
    /// A Python with onnxruntime, numpy and pillow (models/porosity/requirements.txt) to time
    /// the peer; without it only tract is timed.
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// Runs of the network alone, per runtime.
    #[arg(long, default_value_t = 30)]
    pub runs: usize,
    /// Time this ONNX file instead of the station's model in the network-alone part (a
    /// candidate architecture; it is not used to judge anything).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Skip the station part (cameras, inspection, UI): only the network alone.
    #[arg(long)]
    pub network_only: bool,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

pub fn run(bench: &InspectBench) -> anyhow::Result<ExitCode> {
    let cycle_ok = bench.network_only || station(bench)?;
    let ratio_ok = network_alone(bench)?;
    Ok(if cycle_ok && ratio_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The station at its cycle; true when the goal is met.
fn station(bench: &InspectBench) -> anyhow::Result<bool> {
    let load = InspectionLoad {
        period: Duration::from_secs_f32(bench.period_s.max(0.1)),
        workers: bench.workers.max(1),
    };
    let result = crate::app::bench_cameras(
        BenchScene::Inspect,
        bench.cameras,
        bench.size,
        bench.fps,
        bench.seconds,
        true,
        None,
        Some(load),
    )?;
    println!("{result}");
    let figures = result
        .inspection
        .clone()
        .context("the inspection worker did not run")?;
    println!("{figures}");
    let lost = figures.triggers.saturating_sub(figures.parts);
    let cycle_ok = figures.cycle_ms_p95 <= CYCLE_GOAL_MS && lost == 0 && figures.errors == 0;
    println!(
        "  goal: every verdict within {CYCLE_GOAL_MS:.0} ms of its trigger (p95), none lost: {} (p95 {:.0} ms, {lost} lost); UI frame p99 {:.1} ms while inspecting",
        if cycle_ok { "met" } else { "NOT met" },
        figures.cycle_ms_p95,
        result.frame_ms_p99
    );
    Ok(cycle_ok)
}

/// The network alone on tract, and on onnxruntime when a peer Python is given; true when the
/// ratio goal is met (or not measured).
fn network_alone(bench: &InspectBench) -> anyhow::Result<bool> {
    let params = SceneParams::sample(
        900_000,
        &Variety::all(bench.size.width_px, bench.size.height_px),
    );
    let grey = crate::vision::synth::render(&params).image;
    let dir = std::env::temp_dir().join(format!("qcstation-bench-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let image_path = dir.join("input.png");
    grey.save(&image_path)
        .with_context(|| format!("writing {}", image_path.display()))?;
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/porosity");
    let model_file = bench
        .model
        .clone()
        .unwrap_or_else(|| model.join("porenet.onnx"));
    let mut detector = match &bench.model {
        Some(path) => Detector::Network(Box::new(
            crate::vision::detect::network::Network::from_file(path)?,
        )),
        None => Detector::load(DetectorKind::Onnx)?,
    };
    detector.scores(&grey, 0.03)?; // warm-up: the plan for this size
    let mut times: Vec<f64> = (0..bench.runs.max(1))
        .map(|_| {
            let started = Instant::now();
            detector
                .scores(&grey, 0.03)
                .map(|_| started.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()?;
    let tract_ms = median(&mut times);
    println!(
        "network alone ({}), {} one thread: tract median {tract_ms:.1} ms over {} runs (preprocessing and padding included)",
        model_file.display(),
        bench.size,
        bench.runs
    );
    let mut ratio_ok = true;
    if let Some(python) = &bench.peer_python {
        let output = std::process::Command::new(python)
            .arg(model.join("ort_time.py"))
            .arg(&model_file)
            .arg(&image_path)
            .args(["--runs", &bench.runs.to_string()])
            .output()
            .with_context(|| format!("running the peer with {}", python.display()))?;
        anyhow::ensure!(
            output.status.success(),
            "the peer failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let peer: serde_json::Value = serde_json::from_slice(&output.stdout)
            .context("the peer's output is not the JSON line ort_time.py prints")?;
        let ort_ms = peer["median_ms"].as_f64().unwrap_or(f64::NAN);
        let ratio = tract_ms / ort_ms;
        ratio_ok = ratio <= RATIO_GOAL;
        println!(
            "  onnxruntime {} median {ort_ms:.1} ms: tract / onnxruntime = {ratio:.2} (goal ≤ {RATIO_GOAL}: {})",
            peer["onnxruntime"].as_str().unwrap_or("?"),
            if ratio_ok { "met" } else { "NOT met" }
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(ratio_ok)
}
