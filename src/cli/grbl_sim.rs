//! `qcstation grbl-sim [--time-scale K]`: the station's GRBL 1.1 simulator on a pseudo-terminal
//! pair. Prints the device path to connect to (first line of stdout), then serves until
//! SIGINT/SIGTERM and prints what crossed the line.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use clap::Args;

use crate::engrave::MachineSettings;
use crate::engrave::sim::{GrblSim, PtyOptions, SimPty};

#[derive(Debug, Args)]
pub struct GrblSimArgs {
    /// Simulated seconds per second: 50 runs the motion 50 times faster than real time.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// The line rate the simulated serial link carries, bytes at 10 bits each.
    #[arg(long, default_value_t = crate::engrave::grbl::DEFAULT_BAUD)]
    pub baud: u32,
    /// A `$$` dump whose rates, accelerations and power range the simulated machine takes.
    #[arg(long, value_name = "FILE")]
    pub machine: Option<PathBuf>,
}

pub fn run(args: &GrblSimArgs) -> anyhow::Result<ExitCode> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0 && args.time_scale <= 1000.0) {
        anyhow::bail!(
            "--time-scale {} must be above 0 and at most 1000",
            args.time_scale
        );
    }
    let machine = match &args.machine {
        Some(path) => {
            let dump = std::fs::read_to_string(path)
                .with_context(|| format!("reading the settings dump {}", path.display()))?;
            MachineSettings::from_dump(&dump).with_context(|| format!("in {}", path.display()))?
        }
        None => MachineSettings::default(),
    };
    let pty = SimPty::open().context("opening a pseudo-terminal pair")?;
    println!("{}", pty.path());
    std::io::stdout().flush()?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    tracing::info!(
        "GRBL simulator on {} at {}x real time, {} baud",
        pty.path(),
        args.time_scale,
        args.baud
    );
    let options = PtyOptions {
        time_scale: args.time_scale,
        baud: args.baud,
    };
    let (sim, traffic) = pty.serve(
        GrblSim::new(&machine),
        options,
        &|| stop.load(Ordering::Relaxed),
        &mut |_, _| {},
    );
    stop.store(true, Ordering::Relaxed);
    println!(
        "served {} connection(s): {} bytes in, {} out, {} lost to a full buffer; {:.2} s of motion",
        traffic.connects,
        traffic.bytes_in,
        traffic.bytes_out,
        sim.dropped_bytes(),
        sim.motion_seconds()
    );
    Ok(ExitCode::SUCCESS)
}
