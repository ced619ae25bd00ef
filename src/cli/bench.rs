//! `qcstation bench`: speed measurements that need the whole station (the criterion benches
//! in `benches/` measure the parts).

use std::process::ExitCode;
use std::sync::OnceLock;

use clap::{Subcommand, ValueEnum};

use crate::app::BenchScene;
use crate::app::ProcessAllocations;
use crate::camera::FrameSize;

static ALLOCATION_COUNTER: OnceLock<fn() -> ProcessAllocations> = OnceLock::new();

/// Called by a binary built with a counting global allocator (feature `alloc-count`) before the
/// CLI runs, so benchmarks can report the process's allocations per frame.
pub fn count_allocations_with(counter: fn() -> ProcessAllocations) {
    // A second registration would be the same counter: ignoring it is right.
    let _ = ALLOCATION_COUNTER.set(counter);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UploadPath {
    /// Frames written straight into wgpu textures that egui draws as native textures.
    Wgpu,
    /// Frames uploaded through egui's managed textures.
    Egui,
}

/// The screens `bench cameras` draws, each measured against the bare-wgpu baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SceneChoice {
    All,
    SignIn,
    Inspect,
    Expanded,
    Admin,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Live camera grid: frames produced vs shown, UI frame time, CPU and upload cost per
    /// displayed frame, rendered offscreen through wgpu.
    Cameras {
        #[arg(long, default_value_t = 4)]
        cameras: usize,
        #[arg(long, default_value = "1920x1080")]
        size: FrameSize,
        #[arg(long, default_value_t = 30.0)]
        fps: f32,
        #[arg(long, default_value_t = 10.0)]
        seconds: f32,
        #[arg(long, value_enum, default_value_t = UploadPath::Wgpu)]
        path: UploadPath,
        /// Which of the station's screens to draw around the cameras.
        #[arg(long, value_enum, default_value_t = SceneChoice::All)]
        scene: SceneChoice,
    },
    /// The frame fan-out with no UI: synthetic cameras feed a do-nothing vision pool while
    /// triggers fire on every camera; reports drops, lost triggers, buffers and CPU.
    Vision(super::bench_vision::VisionBench),
    /// QR raster jobs streamed to the GRBL simulator over a pseudo-terminal: wall time against
    /// pure motion time (planner starvation) and the estimate against the motion.
    Laser(super::bench_laser::LaserBench),
    /// Porosity inspection at the kiosk's cycle: N synthetic porosity cameras, a part every
    /// period on every camera through the real inspection worker and vision pool, the Inspect
    /// panel drawn offscreen meanwhile; reports trigger-to-verdict p50/p95/max, lost triggers and
    /// the UI frame time, then the network alone on tract against onnxruntime (the Python peer,
    /// when --peer-python is given) on the same file and input.
    Inspect(super::bench_inspect::InspectBench),
    /// QR decoding on folders of images with expected payloads (the public sets, or generated
    /// marks): decode rate, wrong payloads, false positives, crashes and time per image, beside
    /// zxing-cpp on the same files in the same run (with --peer-python).
    Scan(super::bench_scan::ScanBench),
    /// The cross-check on generated packs: verdict agreement with their answers and the speed
    /// from files to verdict beside RapidOCR (with --peer-python).
    Crosscheck(super::bench_crosscheck::CrosscheckBench),
    /// Fielded OCR accuracy on generated label photos beside RapidOCR and Tesseract on the same
    /// files in the same run (with --peer-python and --tesseract).
    Ocr(super::bench_ocr::OcrBench),
    /// The mark grade against generated marks of known quality: per parameter, the share of
    /// marks graded within one step of the truth.
    Grade(super::bench_grade::GradeBench),
    /// A backup of a scratch station of --size-mb while a writer keeps committing records
    /// with images: backup time and rate, and the commits' waits before and during it.
    Backup(super::bench_backup::BackupBench),
    /// Commit throughput of records, through the runtime's batching writer or the store
    /// directly, on a scratch database (`bench-store.sqlite` in --data-dir, else a temp dir).
    Store {
        #[arg(long, default_value_t = 2000)]
        records: u64,
        #[arg(long, value_enum, default_value_t = super::bench_store::WritePath::Runtime)]
        path: super::bench_store::WritePath,
        /// Print `ack N` on stdout as each record's commit is acknowledged.
        #[arg(long)]
        print_acks: bool,
    },
}

pub fn run(command: BenchCommand, data_dir: Option<&std::path::Path>) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Store {
            records,
            path,
            print_acks,
        } => super::bench_store::run(data_dir, records, path, print_acks),
        BenchCommand::Backup(bench) => super::bench_backup::run(&bench, data_dir),
        BenchCommand::Vision(bench) => super::bench_vision::run(&bench),
        BenchCommand::Laser(bench) => super::bench_laser::run(&bench),
        BenchCommand::Inspect(bench) => super::bench_inspect::run(&bench),
        BenchCommand::Scan(bench) => super::bench_scan::run(&bench),
        BenchCommand::Grade(bench) => super::bench_grade::run(&bench),
        BenchCommand::Ocr(bench) => super::bench_ocr::run(&bench),
        BenchCommand::Crosscheck(bench) => super::bench_crosscheck::run(&bench),
        BenchCommand::Cameras {
            cameras,
            size,
            fps,
            seconds,
            path,
            scene,
        } => {
            let baseline = crate::app::bench_baseline(cameras, size, seconds)?;
            println!("{baseline}");
            let scenes: Vec<BenchScene> = match scene {
                SceneChoice::All => BenchScene::ALL.to_vec(),
                SceneChoice::SignIn => vec![BenchScene::SignIn],
                SceneChoice::Inspect => vec![BenchScene::Inspect],
                SceneChoice::Expanded => vec![BenchScene::Expanded],
                SceneChoice::Admin => vec![BenchScene::Admin],
            };
            let mut ratios = Vec::new();
            for scene in scenes {
                let result = crate::app::bench_cameras(
                    scene,
                    cameras,
                    size,
                    fps,
                    seconds,
                    path == UploadPath::Wgpu,
                    ALLOCATION_COUNTER.get().copied(),
                    None,
                )?;
                println!("{result}");
                let ratio = result.frame_ms_p50 / baseline.frame_ms_p50.max(1e-9);
                println!(
                    "  UI frame p50 / bare wgpu p50: {:.2} ms / {:.2} ms = {ratio:.2}x",
                    result.frame_ms_p50, baseline.frame_ms_p50
                );
                ratios.push((scene, ratio));
            }
            println!("ratio to the bare-wgpu baseline, per scene (UI frame p50):");
            for (scene, ratio) in ratios {
                println!("  {:<28} {ratio:.2}x", scene.title());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
