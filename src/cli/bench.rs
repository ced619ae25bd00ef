//! `qcstation bench`: speed measurements that need the whole station (the criterion benches
//! in `benches/` measure the parts).

use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};

use crate::camera::FrameSize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UploadPath {
    /// Frames written straight into wgpu textures by a paint callback.
    Callback,
    /// Frames uploaded as egui textures.
    Texture,
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
}

pub fn run(command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Cameras {
            cameras,
            size,
            fps,
            seconds,
            path,
        } => {
            let paths: &[bool] = match path {
                UploadPath::Callback => &[true],
                UploadPath::Texture => &[false],
                UploadPath::Both => &[true, false],
            };
            let mut results = Vec::new();
            for &callback in paths {
                let result = crate::app::bench_cameras(cameras, size, fps, seconds, callback)?;
                println!("{result}");
                results.push(result);
            }
            if let [callback, texture] = results.as_slice() {
                println!(
                    "texture / callback: upload {:.2}x, CPU per shown frame {:.2}x, UI frame p50 {:.2}x",
                    texture.upload_ms_per_frame / callback.upload_ms_per_frame.max(1e-9),
                    texture.cpu_ms_per_shown_frame / callback.cpu_ms_per_shown_frame.max(1e-9),
                    texture.frame_ms_p50 / callback.frame_ms_p50.max(1e-9),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
