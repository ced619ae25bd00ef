//! The simulator against the facts of `grbl.md`, and a character-counting sender streaming a
//! real QR raster job through it.

use std::collections::VecDeque;

use super::*;
use crate::engrave::{EcLevel, LaserSettings, estimate, qr_matrix, raster_gcode};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh controller whose banner has been read.
fn sim() -> GrblSim {
    let mut sim = GrblSim::new(&MachineSettings::default());
    let banner = text(&sim.take_output());
    assert_eq!(banner, format!("\r\n{BANNER}\r\n"));
    sim
}

/// Sends `line\n`, lets `seconds` pass, returns what came back.
fn ask(sim: &mut GrblSim, line: &str, seconds: f64) -> String {
    sim.receive(format!("{line}\n").as_bytes());
    sim.advance(seconds);
    text(&sim.take_output())
}

#[test]
fn every_line_gets_one_answer_in_order_and_cr_lf_gives_two() {
    let mut sim = sim();
    sim.receive(b"G21\nG90\nG1X1\n");
    sim.advance(0.0);
    assert_eq!(text(&sim.take_output()), "ok\r\nok\r\nerror:22\r\n");
    sim.receive(b"G21\r\n");
    sim.advance(0.0);
    assert_eq!(text(&sim.take_output()), "ok\r\nok\r\n");
}

#[test]
fn an_overflowing_receive_buffer_loses_bytes_silently() {
    let mut sim = sim();
    sim.receive(&[b'G'; 200]);
    assert_eq!(sim.dropped_bytes(), 72);
    assert!(
        sim.take_output().is_empty(),
        "no error is reported for lost bytes"
    );
}

#[test]
fn long_lines_percent_lines_and_unknown_words_get_grbls_errors() {
    let mut sim = sim();
    let long = format!("G1X{}", "1".repeat(78));
    assert_eq!(ask(&mut sim, &long, 0.0), "error:11\r\n");
    assert_eq!(ask(&mut sim, "%", 0.0), "error:1\r\n");
    assert_eq!(ask(&mut sim, "G2X1Y1", 0.0), "error:20\r\n");
    // Real-time bytes act even inside a comment: `?` reports, and `!` holds an idle machine,
    // which then parses nothing (this is why the station strips comments before sending).
    assert_eq!(
        ask(&mut sim, "G1X1 (a comment with ? and !) F600", 0.0),
        "<Idle|MPos:0.000,0.000,0.000|FS:0,0>\r\n"
    );
    assert_eq!(sim.state(), SimState::Hold { stopped: true });
    sim.receive(b"~");
    sim.advance(0.0);
    assert_eq!(text(&sim.take_output()), "ok\r\n");
}

#[test]
fn settings_dump_and_set() {
    let mut sim = sim();
    let dump = ask(&mut sim, "$$", 0.0);
    assert!(dump.contains("$30=1000\r\n"), "{dump}");
    assert!(dump.contains("$110=500.000\r\n"), "{dump}");
    assert!(dump.ends_with("ok\r\n"));
    assert_eq!(ask(&mut sim, "$110=6000", 0.0), "ok\r\n");
    let machine = MachineSettings::from_dump(&ask(&mut sim, "$$", 0.0)).unwrap();
    assert_eq!(machine.max_rate_mm_per_min[0], 6000.0);
    assert_eq!(ask(&mut sim, "$999=1", 0.0), "error:3\r\n");
    assert_eq!(
        ask(&mut sim, "$I", 0.0),
        "[VER:1.1h.20190825:]\r\n[OPT:V,15,128]\r\nok\r\n"
    );
}

#[test]
fn a_full_planner_withholds_ok_until_a_block_finishes() {
    let mut sim = sim();
    let mut oks = 0;
    for index in 1..=20 {
        sim.receive(format!("G1X{index}F600\n").as_bytes());
        sim.advance(0.0);
        oks += text(&sim.take_output()).matches("ok").count();
    }
    assert_eq!(oks, PLANNER_BLOCKS, "15 blocks fill the planner");
    sim.advance(1.5);
    assert!(
        text(&sim.take_output()).contains("ok"),
        "a finished block frees room"
    );
    assert_eq!(sim.state(), SimState::Run);
}

#[test]
fn feed_hold_stops_and_resume_goes_on() {
    let mut sim = sim();
    ask(&mut sim, "G1X50F600", 1.0);
    sim.receive(b"!");
    sim.receive(b"?");
    assert!(text(&sim.take_output()).starts_with("<Hold:1|"));
    sim.advance(2.0);
    sim.receive(b"?");
    assert!(text(&sim.take_output()).starts_with("<Hold:0|"));
    let held_at = sim.position();
    sim.advance(5.0);
    assert_eq!(sim.position(), held_at, "nothing moves in Hold:0");
    assert_eq!(
        ask(&mut sim, "G1X0", 0.5),
        "",
        "nothing is parsed during a hold"
    );
    sim.receive(b"~");
    sim.advance(20.0);
    let answered = text(&sim.take_output());
    assert!(answered.contains("ok"), "{answered}");
    assert_eq!(sim.position(), [0.0, 0.0], "the held line ran after resume");
}

#[test]
fn a_reset_while_moving_raises_alarm_3_and_locks_until_unlocked() {
    let mut sim = sim();
    ask(&mut sim, "G1X50F600", 1.0);
    sim.receive(&[0x18]);
    let after = text(&sim.take_output());
    assert!(after.starts_with("ALARM:3\r\n"), "{after}");
    assert!(after.contains(BANNER) && after.contains("[MSG:'$H'|'$X' to unlock]"));
    assert_eq!(sim.state(), SimState::Alarm);
    assert_eq!(ask(&mut sim, "G0X0", 0.0), "error:9\r\n");
    assert_eq!(
        ask(&mut sim, "$X", 0.0),
        "[MSG:Caution: Unlocked]\r\nok\r\n"
    );
    assert_eq!(sim.state(), SimState::Idle);
    // A reset while idle is no alarm.
    sim.receive(&[0x18]);
    assert!(!text(&sim.take_output()).contains("ALARM"));
}

#[test]
fn check_mode_answers_without_moving_and_leaving_it_resets() {
    let mut sim = sim();
    assert_eq!(ask(&mut sim, "$C", 0.0), "[MSG:Enabled]\r\nok\r\n");
    assert_eq!(ask(&mut sim, "G1X10F600", 1.0), "ok\r\n");
    assert_eq!(sim.position(), [0.0, 0.0]);
    assert_eq!(ask(&mut sim, "G2X1", 0.0), "error:20\r\n");
    let off = ask(&mut sim, "$C", 0.0);
    assert!(
        off.starts_with("[MSG:Disabled]\r\nok\r\n") && off.contains(BANNER),
        "{off}"
    );
}

#[test]
fn the_laser_fires_only_in_feed_moves_with_power() {
    let mut sim = sim();
    ask(&mut sim, "M4S0", 0.1);
    ask(&mut sim, "G0X20", 0.5);
    assert_eq!(sim.laser_output(), 0.0, "G0 never fires");
    sim.advance(10.0);
    ask(&mut sim, "G1X40F600S500", 0.5);
    assert_eq!(sim.laser_output(), 500.0);
    sim.advance(10.0);
    assert_eq!(sim.laser_output(), 0.0, "standing still");
}

/// Streams `program` the way the station's sender will: character counting with at most 127
/// bytes in flight, polling status, until every line is acknowledged and the machine is idle.
/// Returns (wall seconds, peak bytes in flight).
fn stream(sim: &mut GrblSim, program: &str) -> (f64, usize) {
    let lines: Vec<&str> = program.lines().collect();
    let mut next = 0;
    let mut in_flight: VecDeque<usize> = VecDeque::new();
    let mut peak = 0;
    let mut acked = 0;
    let start = sim.now_seconds();
    let step = 0.005;
    while acked < lines.len() || sim.state() != SimState::Idle {
        while next < lines.len() {
            let length = lines[next].len() + 1;
            if in_flight.iter().sum::<usize>() + length > 127 {
                break;
            }
            sim.receive(format!("{}\n", lines[next]).as_bytes());
            in_flight.push_back(length);
            next += 1;
        }
        peak = peak.max(in_flight.iter().sum());
        sim.advance(step);
        for reply in text(&sim.take_output()).lines() {
            if reply == "ok" || reply.starts_with("error:") {
                assert_eq!(reply, "ok", "line {} was refused", acked + 1);
                in_flight.pop_front();
                acked += 1;
            }
        }
        assert!(sim.now_seconds() - start < 3600.0, "the job never finished");
    }
    (sim.now_seconds() - start, peak)
}

#[test]
fn a_streamed_qr_job_runs_at_motion_speed_and_matches_the_estimate() {
    let machine = MachineSettings {
        max_rate_mm_per_min: [6000.0, 6000.0, 1000.0],
        accel_mm_per_s2: [500.0, 500.0, 100.0],
        ..MachineSettings::default()
    };
    for payload in ["PAD-1", "PAD-V0100-L2025-09-00001-WITH-A-LONGER-TAIL"] {
        let settings = LaserSettings {
            machine: machine.clone(),
            speed_mm_per_min: 3000.0,
            ..LaserSettings::default()
        };
        let matrix = qr_matrix(payload, EcLevel::M).unwrap();
        let program = raster_gcode(&matrix, &settings).text();
        let mut sim = GrblSim::new(&machine);
        sim.take_output();
        let (wall_s, peak) = stream(&mut sim, &program);
        assert!(peak <= 127, "{peak} bytes in flight");
        assert_eq!(sim.dropped_bytes(), 0);
        let motion_s = sim.motion_seconds();
        let planned = estimate(&program, &machine).seconds;
        println!(
            "{0}x{0} modules: wall {wall_s:.2} s, motion {motion_s:.2} s, estimate {planned:.2} s, peak {peak} bytes",
            matrix.modules()
        );
        // Streaming never starves the planner: wall time within 3 % of pure motion time.
        assert!(
            wall_s <= motion_s * 1.03 + 0.05,
            "{} modules: wall {wall_s:.2} s, motion {motion_s:.2} s",
            matrix.modules()
        );
        // The estimate within 5 % of the simulated job.
        assert!(
            (planned - motion_s).abs() <= 0.05 * motion_s,
            "{} modules: estimate {planned:.2} s, simulated {motion_s:.2} s",
            matrix.modules()
        );
    }
}

#[test]
fn a_dwell_is_answered_when_it_is_over() {
    let mut sim = sim();
    assert_eq!(ask(&mut sim, "G4P0.5", 0.4), "");
    sim.advance(0.11);
    assert_eq!(text(&sim.take_output()), "ok\r\n");
}

#[test]
fn a_jog_moves_relative_in_the_jog_state_and_leaves_the_modal_state() {
    let mut sim = sim();
    assert_eq!(ask(&mut sim, "$J=G21G91X5Y-2F600", 0.0), "ok\r\n");
    assert_eq!(sim.state(), SimState::Jog);
    sim.receive(b"?");
    assert!(text(&sim.take_output()).starts_with("<Jog|"));
    sim.advance(5.0);
    assert_eq!(sim.state(), SimState::Idle);
    assert_eq!(sim.position(), [5.0, -2.0]);
    assert_eq!(
        ask(&mut sim, "$J=G91X1", 0.0),
        "error:22\r\n",
        "a jog needs its feed"
    );
    assert_eq!(ask(&mut sim, "$J=G91X1M3F100", 0.0), "error:16\r\n");
    // The jog did not make G1 modal: a bare move is still G0 (no feed needed).
    assert_eq!(ask(&mut sim, "X0Y0", 0.0), "ok\r\n");
}

#[test]
fn an_override_is_reported_in_the_next_status() {
    let mut sim = sim();
    sim.receive(&[0x91, b'?']);
    assert!(text(&sim.take_output()).contains("|Ov:110,100,100>"));
    sim.receive(b"?");
    assert!(!text(&sim.take_output()).contains("Ov:"));
}

#[test]
fn letters_get_grbls_own_errors() {
    let mut sim = sim();
    assert_eq!(
        ask(&mut sim, "G1X1Q5F100", 0.0),
        "error:20\r\n",
        "no Q word in GRBL"
    );
    assert_eq!(
        ask(&mut sim, "G1X1R5F100", 0.0),
        "error:36\r\n",
        "R is a word, unused here"
    );
    assert_eq!(ask(&mut sim, "G1X1F-100", 0.0), "error:4\r\n");
    assert_eq!(
        ask(&mut sim, "N10G0X1", 0.0),
        "ok\r\n",
        "line numbers are accepted"
    );
}

#[test]
fn the_burn_log_holds_what_the_laser_burned_and_nothing_else() {
    let log = BurnLog::new();
    let mut sim = GrblSim::new(&MachineSettings::default()).with_burn_log(log.clone());
    sim.take_output();
    // A rapid move (no burn), a feed move at power 0 (no burn), then a burn at half power in
    // two steps of time, then the laser off.
    for line in ["G21", "G90", "M4", "G0X1Y1", "G1X2F600S0", "G1X6S500", "M5"] {
        sim.receive(format!("{line}\n").as_bytes());
        sim.advance(0.01);
    }
    sim.advance(0.2);
    sim.advance(5.0);
    let (part, burns) = log.snapshot();
    assert_eq!(part, 0);
    assert!(!burns.is_empty());
    for burn in &burns {
        assert!((burn.power - 0.5).abs() < 1e-9, "{burn:?}");
        assert!(
            burn.from_mm[0] >= 2.0 - 1e-9 && burn.to_mm[0] <= 6.0 + 1e-9,
            "{burn:?}"
        );
        assert!((burn.from_mm[1] - 1.0).abs() < 1e-9);
    }
    let burned: f64 = burns.iter().map(|b| b.to_mm[0] - b.from_mm[0]).sum();
    assert!((burned - 4.0).abs() < 1e-6, "burned {burned} mm");
    assert_eq!(log.new_part(), 1);
    assert!(log.snapshot().1.is_empty());
}
