//! `qcstation bench laser`: QR raster jobs of several sizes streamed by the station's sender,
//! through the real serial code and a pseudo-terminal, to the GRBL simulator. For each job: the
//! simulator's pure motion time, the job's wall time (times the time scale), their ratio (how
//! much the planner starved), and the estimate against the motion. Run it on a quiet machine:
//! at a time scale K, a scheduling delay of d costs K·d of simulated time.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use clap::Args;

use crate::engrave::grbl::{DEFAULT_BAUD, Grbl, StreamEnd};
use crate::engrave::sim::{GrblSim, PtyOptions, SimPty};
use crate::engrave::{JobPlan, LaserSettings, MachineSettings};

#[derive(Debug, Args)]
pub struct LaserBench {
    /// Simulated seconds per wall second.
    #[arg(long, default_value_t = 10.0)]
    pub time_scale: f64,
    /// Payload lengths to encode; longer payloads give larger codes (EC level H: 8 chars → 21×21, 150 → 57×57).
    #[arg(long, value_delimiter = ',', default_value = "8,24,40,70,100,150")]
    pub payload_chars: Vec<usize>,
    /// Use GRBL's default rates and accelerations instead of a desktop diode laser's.
    #[arg(long)]
    pub grbl_defaults: bool,
}

pub fn run(args: &LaserBench) -> anyhow::Result<ExitCode> {
    let machine = if args.grbl_defaults {
        MachineSettings::default()
    } else {
        MachineSettings::desktop_diode()
    };
    let pty = SimPty::open().context("opening a pseudo-terminal pair")?;
    let path = pty.path().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let motion_s = Arc::new(Mutex::new(0.0_f64));
    let server = {
        let (stop, motion_s, machine) = (Arc::clone(&stop), Arc::clone(&motion_s), machine.clone());
        let options = PtyOptions {
            time_scale: args.time_scale,
            baud: DEFAULT_BAUD,
        };
        std::thread::Builder::new()
            .name("grbl-sim".into())
            .spawn(move || {
                pty.serve(
                    GrblSim::new(&machine),
                    options,
                    &|| stop.load(Ordering::Relaxed),
                    &mut |sim, _| {
                        if let Ok(mut motion) = motion_s.lock() {
                            *motion = sim.motion_seconds();
                        }
                    },
                )
            })?
    };
    let mut grbl = Grbl::connect(&path, DEFAULT_BAUD)?;
    let settings = LaserSettings {
        error_correction: crate::engrave::EcLevel::H,
        machine: grbl.machine()?,
        ..LaserSettings::default()
    };
    println!(
        "time scale {}x, machine rates {:?} mm/min, accelerations {:?} mm/s²",
        args.time_scale,
        &settings.machine.max_rate_mm_per_min[..2],
        &settings.machine.accel_mm_per_s2[..2]
    );
    println!(
        "modules  lines  motion_s  wall_s(x scale)  wall/motion  estimate_s  estimate/motion  peak_bytes"
    );
    let (_controls, inbox) = crossbeam_channel::bounded(1);
    let read_motion = || motion_s.lock().map(|m| *m).unwrap_or(0.0);
    for &chars in &args.payload_chars {
        // Letters after the prefix: alphanumeric mode throughout, as a UID's text is.
        let payload: String = "PAD-V0100-L2025-09-"
            .chars()
            .chain("ABCDEFGHJKLMNPQRSTUVWXYZ".chars().cycle())
            .take(chars.max(1))
            .collect();
        let plan = JobPlan::new(&payload, &settings)?;
        let modules = crate::engrave::qr_matrix(&payload, settings.error_correction)?.modules();
        grbl.poll_status()?;
        let before = read_motion();
        let report = grbl.stream(&plan.program.lines, &inbox, &mut |_| {})?;
        // Let the server publish its last tick.
        grbl.poll_status()?;
        let motion = read_motion() - before;
        if report.end != StreamEnd::Done {
            anyhow::bail!("the {modules}x{modules} job ended {:?}", report.end);
        }
        let wall = report.wall.as_secs_f64() * args.time_scale;
        println!(
            "{modules:>7}  {:>5}  {motion:>8.2}  {wall:>15.2}  {:>11.4}  {:>10.2}  {:>15.4}  {:>10}",
            plan.program.lines.len(),
            wall / motion,
            plan.estimate.seconds,
            plan.estimate.seconds / motion,
            report.peak_in_flight_bytes
        );
    }
    stop.store(true, Ordering::Relaxed);
    let (sim, traffic) = server
        .join()
        .map_err(|_| anyhow::anyhow!("the simulator thread panicked"))?;
    println!(
        "{} bytes sent, {} lost to a full buffer, {} \\r or non-ASCII bytes",
        traffic.bytes_in,
        sim.dropped_bytes(),
        traffic.cr_bytes_in + traffic.high_bytes_in
    );
    Ok(ExitCode::SUCCESS)
}
