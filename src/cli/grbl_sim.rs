//! `qcstation grbl-sim [--time-scale K]`: the station's GRBL 1.1 simulator on a pseudo-terminal
//! pair. Prints the device path to connect to (first line of stdout), then serves until
//! SIGINT/SIGTERM and prints what crossed the line.

use super::laser_settings::machine_dump;
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

/// Per connection, how long the machine was busy against how long it moved: the span from the
/// first to the last moment of motion (wall time times the time scale) over the motion inside
/// it. 1.000 means the sender never let the planner run dry; any sender can be measured so.
#[derive(Default)]
struct MotionSpans {
    connection: u64,
    first: Option<std::time::Instant>,
    last: Option<std::time::Instant>,
    motion_at_first: f64,
    motion_s: f64,
}

impl MotionSpans {
    fn observe(&mut self, motion_s: f64, connection: u64, time_scale: f64) {
        if connection != self.connection {
            self.report(time_scale);
            *self = Self {
                connection,
                motion_at_first: motion_s,
                motion_s,
                ..Self::default()
            };
        }
        if motion_s > self.motion_s {
            let now = std::time::Instant::now();
            if self.first.is_none() {
                self.first = Some(now);
                self.motion_at_first = self.motion_s;
            }
            self.last = Some(now);
            self.motion_s = motion_s;
        }
    }

    fn report(&self, time_scale: f64) {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return;
        };
        let span_s = (last - first).as_secs_f64() * time_scale;
        let moved_s = self.motion_s - self.motion_at_first;
        println!(
            "connection {}: moved {moved_s:.2} s within a busy span of {span_s:.2} s (span/motion {:.4})",
            self.connection,
            span_s / moved_s.max(1e-9)
        );
    }
}

pub fn run(args: &GrblSimArgs) -> anyhow::Result<ExitCode> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0 && args.time_scale <= 1000.0) {
        anyhow::bail!(
            "--time-scale {} must be above 0 and at most 1000",
            args.time_scale
        );
    }
    let machine = match &args.machine {
        Some(path) => machine_dump(path)?,
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
    let mut spans = MotionSpans::default();
    let (sim, traffic) = pty.serve(
        GrblSim::new(&machine),
        options,
        &|| stop.load(Ordering::Relaxed),
        &mut |sim, traffic| spans.observe(sim.motion_seconds(), traffic.connects, args.time_scale),
    );
    spans.report(args.time_scale);
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
