//! `qcstation bench`: speed measurements that need the whole station (the criterion benches
//! in `benches/` measure the parts).

use std::process::ExitCode;
use std::sync::OnceLock;

use clap::{Subcommand, ValueEnum};

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
    /// Run both, one after the other, and report the ratio.
    Both,
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
        #[arg(long, value_enum, default_value_t = UploadPath::Both)]
        path: UploadPath,
    },
    /// The frame fan-out with no UI: synthetic cameras feed a do-nothing vision pool while
    /// triggers fire on every camera; reports drops, lost triggers, buffers and CPU.
    Vision(super::bench_vision::VisionBench),
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
        BenchCommand::Vision(bench) => super::bench_vision::run(&bench),
        BenchCommand::Cameras {
            cameras,
            size,
            fps,
            seconds,
            path,
        } => {
            let paths: &[bool] = match path {
                UploadPath::Wgpu => &[true],
                UploadPath::Egui => &[false],
                UploadPath::Both => &[true, false],
            };
            let mut results = Vec::new();
            for &wgpu_path in paths {
                let result = crate::app::bench_cameras(
                    cameras,
                    size,
                    fps,
                    seconds,
                    wgpu_path,
                    ALLOCATION_COUNTER.get().copied(),
                )?;
                println!("{result}");
                results.push(result);
            }
            if let [wgpu, egui] = results.as_slice() {
                let ratio = |a: f64, b: f64| a / b.max(1e-9);
                println!(
                    "egui texture path / wgpu path: upload {:.2}x, UI-thread CPU per shown frame {:.2}x, process CPU per shown frame {:.2}x, UI frame p50 {:.2}x",
                    ratio(egui.upload_ms_per_frame, wgpu.upload_ms_per_frame),
                    ratio(
                        egui.ui_cpu_ms_per_shown_frame,
                        wgpu.ui_cpu_ms_per_shown_frame
                    ),
                    ratio(egui.cpu_ms_per_shown_frame, wgpu.cpu_ms_per_shown_frame),
                    ratio(egui.frame_ms_p50, wgpu.frame_ms_p50),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
