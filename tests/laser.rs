//! The sender against the station's GRBL simulator on a pseudo-terminal pair, through the real
//! `serialport` code: whole jobs, the 127-byte limit, no `\r` or non-ASCII byte, an error
//! mid-job, hold and resume, abort keeping position, the controller vanishing, an alarm that
//! locks the sender until an operator unlocks, and the estimate against simulated motion.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};
use qcstation::engrave::grbl::{
    DEFAULT_BAUD, Grbl, GrblError, MachineState, StreamControl, StreamEnd, StreamReport,
};
use qcstation::engrave::sim::{GrblSim, PtyOptions, PtyTraffic, SimPty};
use qcstation::engrave::{LaserSettings, MachineSettings, estimate, qr_matrix, raster_gcode};

/// What the served simulator looked like at its last tick.
#[derive(Debug, Default, Clone, Copy)]
struct Seen {
    state: Option<qcstation::engrave::sim::SimState>,
    position: [f64; 2],
    motion_s: f64,
    peak_rx_bytes: usize,
    dropped_bytes: u64,
    max_laser_while_idle: f64,
    max_laser: f64,
    traffic: PtyTraffic,
}

struct Served {
    path: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    thread: Option<JoinHandle<(GrblSim, PtyTraffic)>>,
}

impl Served {
    fn start(time_scale: f64) -> Self {
        let pty = SimPty::open().unwrap();
        let path = pty.path().to_owned();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let thread = {
            let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
            std::thread::Builder::new()
                .name("grbl-sim".into())
                .spawn(move || {
                    let sim = GrblSim::new(&diode_laser());
                    let options = PtyOptions {
                        time_scale,
                        baud: DEFAULT_BAUD,
                    };
                    pty.serve(
                        sim,
                        options,
                        &|| stop.load(Ordering::Relaxed),
                        &mut |sim, traffic| {
                            let mut seen = seen.lock().unwrap();
                            seen.state = Some(sim.state());
                            seen.position = sim.position();
                            seen.motion_s = sim.motion_seconds();
                            seen.peak_rx_bytes = sim.peak_rx_bytes();
                            seen.dropped_bytes = sim.dropped_bytes();
                            if sim.state() == qcstation::engrave::sim::SimState::Idle {
                                seen.max_laser_while_idle =
                                    seen.max_laser_while_idle.max(sim.laser_output());
                            }
                            seen.max_laser = seen.max_laser.max(sim.laser_output());
                            seen.traffic = *traffic;
                        },
                    )
                })
                .unwrap()
        };
        Self {
            path,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Seen {
        *self.seen.lock().unwrap()
    }

    /// Stops serving and closes the master: the sender's port vanishes.
    fn vanish(&mut self) -> (GrblSim, PtyTraffic) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A desktop diode laser as plants have them: GRBL's rates and accelerations raised from the
/// firmware's defaults (10 mm/s² would make every test job take minutes).
fn diode_laser() -> MachineSettings {
    MachineSettings {
        max_rate_mm_per_min: [6000.0, 6000.0, 500.0],
        accel_mm_per_s2: [1000.0, 1000.0, 100.0],
        ..MachineSettings::default()
    }
}

fn job(payload: &str) -> Vec<String> {
    let settings = LaserSettings::default();
    let matrix = qr_matrix(payload, settings.error_correction).unwrap();
    raster_gcode(&matrix, &settings).lines
}

fn no_controls() -> (Sender<StreamControl>, Receiver<StreamControl>) {
    bounded(8)
}

fn stream(grbl: &mut Grbl, lines: &[String]) -> StreamReport {
    let (_tx, rx) = no_controls();
    grbl.stream(lines, &rx, &mut |_| {}).unwrap()
}

#[test]
fn a_batch_of_jobs_streams_to_completion_within_the_buffer_and_in_plain_ascii() {
    let served = Served::start(50.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    assert_eq!(grbl.version, "1.1h");
    assert_eq!(grbl.settings.get(&30).map(String::as_str), Some("1000"));
    assert!(grbl.build_info.iter().any(|l| l.starts_with("[OPT:")));
    let machine = grbl.machine().unwrap();
    let mut motion_before = 0.0;
    for seq in 1..=3 {
        let lines = job(&format!("PAD-V0100-L2025-09-{seq:05}"));
        let report = stream(&mut grbl, &lines);
        assert_eq!(report.end, StreamEnd::Done, "job {seq}");
        assert_eq!(report.lines_acked, lines.len());
        assert_eq!(report.lines_sent, lines.len());
        assert!(report.peak_in_flight_bytes <= 127);
        assert!(report.peak_in_flight_bytes > 100, "the buffer is kept full");
        assert_eq!(grbl.poll_status().unwrap().state, MachineState::Idle);
        let seen = served.seen();
        // The estimate of the program against the motion the controller simulated.
        let expected = estimate(&lines.join("\n"), &machine).seconds;
        let moved = seen.motion_s - motion_before;
        motion_before = seen.motion_s;
        assert!(
            (moved - expected).abs() / expected < 0.01,
            "job {seq}: simulated {moved:.2} s, estimated {expected:.2} s"
        );
    }
    let seen = served.seen();
    assert!(seen.peak_rx_bytes <= 127, "{seen:?}");
    assert_eq!(seen.dropped_bytes, 0);
    assert_eq!(seen.traffic.cr_bytes_in, 0, "never a \\r");
    assert_eq!(seen.traffic.high_bytes_in, 0, "never a byte above 0x7f");
    assert_eq!(seen.max_laser_while_idle, 0.0);
}

#[test]
fn an_error_mid_job_stops_the_stream_and_names_the_line() {
    let served = Served::start(50.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let mut lines = job("PAD-V0100-L2025-09-00001");
    let bad_at = lines.len() / 2;
    lines.insert(bad_at, "G2X1Y1".to_owned());
    let report = stream(&mut grbl, &lines);
    match &report.end {
        StreamEnd::Failed {
            line_no,
            line,
            code,
        } => {
            assert_eq!(*line_no, bad_at + 1);
            assert_eq!(line, "G2X1Y1");
            assert_eq!(*code, 20);
        }
        other => panic!("expected a failed job, got {other:?}"),
    }
    // Sending stopped at once: at most a buffer's worth of lines went after the bad one.
    assert!(report.lines_sent < bad_at + 1 + 127 / 4, "{report:?}");
    assert!(report.lines_sent < lines.len());
    // The laser is off and the machine comes to rest.
    let status = grbl.poll_status().unwrap();
    assert!(!status.state.is_moving());
    assert_eq!(status.power.unwrap_or(0.0), 0.0);
}

#[test]
fn hold_stops_the_head_and_resume_finishes_the_job() {
    let served = Served::start(20.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let lines = job("PAD-V0100-L2025-09-00002");
    let (tx, rx) = no_controls();
    let mut held_at: Option<(Instant, [f64; 3])> = None;
    let mut resumed = false;
    let mut positions_in_hold = Vec::new();
    let report = grbl
        .stream(&lines, &rx, &mut |progress| {
            let Some(status) = &progress.status else {
                return;
            };
            if progress.lines_acked > lines.len() / 3 && held_at.is_none() {
                tx.send(StreamControl::Hold).unwrap();
                held_at = Some((Instant::now(), [0.0; 3]));
            }
            if let Some((when, _)) = held_at
                && !resumed
                && status.state == (MachineState::Hold { stopped: true })
            {
                positions_in_hold.push(status.machine_pos_mm.unwrap());
                if when.elapsed() > Duration::from_millis(600) {
                    tx.send(StreamControl::Resume).unwrap();
                    resumed = true;
                }
            }
        })
        .unwrap();
    assert_eq!(report.end, StreamEnd::Done);
    assert!(resumed, "the machine reported Hold:0");
    assert!(positions_in_hold.len() >= 2);
    assert!(
        positions_in_hold.windows(2).all(|w| w[0] == w[1]),
        "the head stands still in Hold:0: {positions_in_hold:?}"
    );
    assert_eq!(report.lines_acked, lines.len());
}

#[test]
fn abort_keeps_position_without_alarm() {
    let served = Served::start(20.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let lines = job("PAD-V0100-L2025-09-00003");
    let (tx, rx) = no_controls();
    let mut asked = false;
    let report = grbl
        .stream(&lines, &rx, &mut |progress| {
            if !asked && progress.lines_acked > lines.len() / 2 {
                tx.send(StreamControl::Abort).unwrap();
                asked = true;
            }
        })
        .unwrap();
    assert_eq!(report.end, StreamEnd::Aborted);
    assert!(report.lines_acked < lines.len());
    let status = grbl.poll_status().unwrap();
    assert_eq!(status.state, MachineState::Idle, "no ALARM:3");
    assert!(grbl.alarm.is_none());
    let kept = status.machine_pos_mm.unwrap();
    assert!(kept[0] > 1.0 && kept[1] > 1.0, "position kept: {kept:?}");
    let seen = served.seen();
    assert!((seen.position[0] - kept[0]).abs() < 0.01);
    // The sender can run the next job at once.
    assert_eq!(stream(&mut grbl, &job("X1")).end, StreamEnd::Done);
}

#[test]
fn the_controller_vanishing_mid_job_ends_it_as_lost_at_the_last_acknowledged_line() {
    let mut served = Served::start(10.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let lines = job("PAD-V0100-L2025-09-00004");
    let (_tx, rx) = no_controls();
    let mut cut = None;
    let report = grbl
        .stream(&lines, &rx, &mut |progress| {
            if cut.is_none() && progress.lines_acked > 40 {
                cut = Some(served.vanish());
            }
        })
        .unwrap();
    match &report.end {
        StreamEnd::Lost { reason, laser_off } => {
            assert!(reason.contains(&served.path), "{reason}");
            assert!(!laser_off, "the port is gone: the attempt cannot reach it");
        }
        other => panic!("expected a lost job, got {other:?}"),
    }
    assert!(report.lines_acked > 40 && report.lines_acked < lines.len());
    // Nothing is resent blindly: the sender wrote nothing after the loss.
    let (_sim, traffic) = cut.unwrap();
    assert_eq!(traffic.cr_bytes_in, 0);
}

#[test]
fn an_alarm_locks_the_sender_until_an_operator_unlocks() {
    let served = Served::start(20.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let lines = job("PAD-V0100-L2025-09-00005");
    let (tx, rx) = no_controls();
    let mut asked = false;
    let report = grbl
        .stream(&lines, &rx, &mut |progress| {
            let running = progress
                .status
                .as_ref()
                .is_some_and(|s| s.state == MachineState::Run);
            if !asked && running && progress.lines_acked > 20 {
                tx.send(StreamControl::Reset).unwrap();
                asked = true;
            }
        })
        .unwrap();
    assert_eq!(report.end, StreamEnd::Alarm { code: Some(3) });
    assert_eq!(grbl.alarm, Some(Some(3)));
    let refused = grbl.stream(&lines, &rx, &mut |_| {}).unwrap_err();
    assert!(
        matches!(refused, GrblError::Alarm { code: Some(3) }),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("reset while moving"),
        "{refused}"
    );
    assert!(matches!(
        grbl.jog(1.0, 0.0, 600.0),
        Err(GrblError::Alarm { .. })
    ));
    grbl.unlock().unwrap();
    assert_eq!(grbl.poll_status().unwrap().state, MachineState::Idle);
    assert_eq!(stream(&mut grbl, &job("X2")).end, StreamEnd::Done);
}

#[test]
fn a_job_resumes_from_a_chosen_line_after_rebuilding_modal_state() {
    use qcstation::engrave::modal::ModalState;
    let served = Served::start(50.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let lines = job("PAD-V0100-L2025-09-00006");
    let from = lines.len() / 2;
    let (resumed, restore) = ModalState::resume_from(&lines, from).unwrap();
    assert_eq!(resumed.len(), restore + lines.len() - from);
    let report = stream(&mut grbl, &resumed);
    assert_eq!(report.end, StreamEnd::Done);
    let end = ModalState::after(&lines, lines.len()).unwrap().position_mm;
    grbl.poll_status().unwrap();
    let seen = served.seen();
    assert!((seen.position[0] - end[0]).abs() < 1e-6 && (seen.position[1] - end[1]).abs() < 1e-6);
}

#[test]
fn framing_traces_the_box_with_the_laser_off_and_jogging_needs_idle() {
    let served = Served::start(20.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    grbl.frame([5.0, 6.0, 25.0, 16.0], 3000.0, 0.0).unwrap();
    let status = grbl.poll_status().unwrap();
    assert_eq!(status.state, MachineState::Idle);
    assert_eq!(
        status.machine_pos_mm.map(|p| [p[0], p[1]]),
        Some([5.0, 6.0])
    );
    let seen = served.seen();
    assert!(seen.motion_s > 0.0, "the head moved around the box");
    assert_eq!(seen.max_laser, 0.0, "framing never fires the laser");
    grbl.jog(2.0, -1.0, 600.0).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let status = grbl.poll_status().unwrap();
    assert_eq!(
        status.machine_pos_mm.map(|p| [p[0], p[1]]),
        Some([7.0, 5.0])
    );
}

#[test]
fn check_mode_finds_a_bad_line_before_anything_moves() {
    let served = Served::start(20.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    let mut lines = job("PAD-V0100-L2025-09-00007");
    lines.insert(100, "G1X1Q5".to_owned());
    let (_tx, rx) = no_controls();
    let report = grbl.check_program(&lines, &rx, &mut |_| {}).unwrap();
    assert!(
        matches!(
            report.end,
            StreamEnd::Failed {
                line_no: 101,
                code: 20,
                ..
            }
        ),
        "{report:?}"
    );
    assert_eq!(
        grbl.poll_status().unwrap().state,
        MachineState::Idle,
        "check mode is left"
    );
    let seen = served.seen();
    assert_eq!(seen.motion_s, 0.0, "nothing moved");
    assert_eq!(seen.max_laser, 0.0, "the laser never fired");
    // A good program checks clean, then runs.
    lines.remove(100);
    let report = grbl.check_program(&lines, &rx, &mut |_| {}).unwrap();
    assert_eq!(report.end, StreamEnd::Done);
    assert_eq!(stream(&mut grbl, &lines).end, StreamEnd::Done);
}

#[test]
fn laser_off_in_a_hold_does_not_wait_for_a_line_grbl_will_not_parse() {
    use qcstation::engrave::grbl::RealTime;
    let served = Served::start(20.0);
    let mut grbl = Grbl::connect(&served.path, DEFAULT_BAUD).unwrap();
    grbl.send_realtime(RealTime::FeedHold).unwrap();
    assert_eq!(
        grbl.poll_status().unwrap().state,
        MachineState::Hold { stopped: true }
    );
    let asked = Instant::now();
    grbl.laser_off().unwrap();
    assert!(asked.elapsed() < Duration::from_secs(1), "it waited");
    grbl.send_realtime(RealTime::Resume).unwrap();
    assert_eq!(grbl.poll_status().unwrap().state, MachineState::Idle);
    grbl.laser_off().unwrap();
}
