//! `qcstation camera`: list configured and attached cameras, grab one frame from any source to
//! a PNG, add and remove the station's cameras.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use crate::camera::{Cancel, SourceSpec, list_devices, open_source};
use crate::paths::StationPaths;

#[derive(Debug, Subcommand)]
pub enum CameraCommand {
    /// The station's cameras and the sources available on this machine.
    List,
    /// Capture one frame from a source and save it as PNG.
    Grab {
        /// demo:porosity, demo:label, demo:qr, folder:PATH or v4l:/dev/videoN, with options
        /// like ?size=1920x1080&fps=30&seed=2.
        #[arg(long)]
        source: SourceSpec,
        #[arg(long)]
        out: PathBuf,
        /// Frames to skip first (lets exposure settle on a real camera).
        #[arg(long, default_value_t = 0)]
        skip: u32,
    },
    /// Add a camera to the station's grid.
    Add {
        name: String,
        #[arg(long)]
        source: SourceSpec,
    },
    /// Remove a camera from the station.
    Remove { name: String },
    /// Set a camera's scale: typed in (--mm-per-px), or from a known target (a length of
    /// --target-mm measured as --target-px pixels on the camera's image); --clear removes it.
    Calibrate {
        name: String,
        #[arg(long, conflicts_with_all = ["target_mm", "target_px", "clear"])]
        mm_per_px: Option<f64>,
        #[arg(long, requires = "target_px")]
        target_mm: Option<f64>,
        #[arg(long, requires = "target_mm")]
        target_px: Option<f64>,
        #[arg(long)]
        clear: bool,
    },
}

pub fn run(command: CameraCommand, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    match command {
        CameraCommand::List => {
            let store = super::open_store(paths)?;
            println!("station cameras ({}):", paths.database.display());
            for camera in store.cameras()? {
                println!(
                    "  {:<2} {:<20} {}{}{}",
                    camera.position,
                    camera.name,
                    camera.source_spec,
                    camera
                        .mm_per_px
                        .map(|scale| format!(" ({scale} mm/px)"))
                        .unwrap_or_default(),
                    if camera.enabled { "" } else { " (disabled)" }
                );
            }
            println!("sources on this machine:");
            for device in list_devices()? {
                println!(
                    "  {:<24} {} [{}]",
                    device.spec,
                    device.name,
                    device.formats.join(", ")
                );
            }
        }
        CameraCommand::Grab { source, out, skip } => {
            let mut camera = open_source(&source)?;
            for _ in 0..skip {
                camera.next_frame(Cancel::never())?;
            }
            let frame = camera.next_frame(Cancel::never())?;
            frame
                .image
                .save(&out)
                .with_context(|| format!("writing {}", out.display()))?;
            println!(
                "saved frame {} ({}) from {source} to {}",
                frame.seq,
                frame.size(),
                out.display()
            );
        }
        CameraCommand::Add { name, source } => {
            let mut store = super::open_store(paths)?;
            let camera = store.add_camera(&super::console_actor(), &name, &source.to_string())?;
            println!(
                "added camera {} at position {}: {}",
                camera.name, camera.position, camera.source_spec
            );
        }
        CameraCommand::Calibrate {
            name,
            mm_per_px,
            target_mm,
            target_px,
            clear,
        } => {
            let scale = match (mm_per_px, target_mm, target_px, clear) {
                (Some(scale), _, _, false) => Some(scale),
                (None, Some(mm), Some(px), false) => {
                    anyhow::ensure!(
                        mm > 0.0 && px > 0.0,
                        "--target-mm and --target-px must both be above 0"
                    );
                    Some(mm / px)
                }
                (None, None, None, true) => None,
                _ => {
                    anyhow::bail!("give --mm-per-px X, or --target-mm L --target-px P, or --clear")
                }
            };
            let mut store = super::open_store(paths)?;
            store.calibrate_camera(&super::console_actor(), &name, scale)?;
            match scale {
                Some(scale) => println!("camera {name}: {scale:.6} mm/px"),
                None => println!("camera {name}: calibration cleared"),
            }
        }
        CameraCommand::Remove { name } => {
            let mut store = super::open_store(paths)?;
            store.remove_camera(&super::console_actor(), &name)?;
            println!("removed camera {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
