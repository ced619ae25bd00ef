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
}

pub fn run(command: CameraCommand, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    match command {
        CameraCommand::List => {
            let store = super::open_store(paths)?;
            println!("station cameras ({}):", paths.database.display());
            for camera in store.cameras()? {
                println!(
                    "  {:<2} {:<20} {}{}",
                    camera.position,
                    camera.name,
                    camera.source_spec,
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
        CameraCommand::Remove { name } => {
            let mut store = super::open_store(paths)?;
            store.remove_camera(&super::console_actor(), &name)?;
            println!("removed camera {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
