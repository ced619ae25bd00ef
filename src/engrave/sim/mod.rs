//! A GRBL 1.1 laser controller in software, byte for byte on what a sender sees: the banner, a
//! 128-byte receive buffer that silently drops overflow, one `ok`/`error:N` per line in order,
//! `ok`s withheld while the planner (15 blocks) is full, real-time bytes acted on at once
//! (`?`, `!`, `~`, soft reset, overrides), status reports and states, feed hold and resume, soft
//! reset with `ALARM:3` while moving, the alarm lock and `$X`, check mode, `$$`/`$n=`/`$I`/`$G`,
//! and laser power in M3/M4. Motion runs in simulated time through the same trapezoidal planner
//! as the time estimate, so progress and estimates can be tested.
//!
//! What it does not simulate: homing and limit switches (`$H` answers `error:5`, homing
//! disabled), arcs, probing, Z moves. It owns no port: `receive`, `advance` and `take_output`
//! move bytes and time; the engraver worker or a test puts it on a pseudo-terminal.

use std::collections::{BTreeMap, VecDeque};

use super::MachineSettings;
use super::estimate::{Block, block_seconds, plan_speeds};
use super::line;
pub use super::line::error;

mod burns;
#[cfg(unix)]
mod pty;
pub use burns::{Burn, BurnLog};
#[cfg(unix)]
pub use pty::{PtyOptions, PtyTraffic, SimPty};

/// The banner GRBL prints after a reset (a blank line comes first).
pub const BANNER: &str = "Grbl 1.1h ['$' for help]";
/// GRBL's serial receive buffer.
pub const RX_BUFFER_BYTES: usize = 128;
/// Planner blocks GRBL 1.1 keeps (`[OPT:V,15,128]`).
pub const PLANNER_BLOCKS: usize = 15;

/// What `?` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimState {
    Idle,
    Run,
    /// `Hold:1` while decelerating, `Hold:0` once stopped.
    Hold {
        stopped: bool,
    },
    Alarm,
    Check,
    /// Moving for a `$J=` jog.
    Jog,
}

impl SimState {
    fn word(self) -> &'static str {
        match self {
            Self::Idle => "Idle",
            Self::Run => "Run",
            Self::Hold { stopped: true } => "Hold:0",
            Self::Hold { stopped: false } => "Hold:1",
            Self::Alarm => "Alarm",
            Self::Check => "Check",
            Self::Jog => "Jog",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spindle {
    Off,
    /// M3: constant power, burns even standing still in G1.
    Constant,
    /// M4: dynamic power, scaled by speed.
    Dynamic,
}

/// A move accepted into the planner.
struct Queued {
    block: Block,
    target: [f64; 2],
    feed_move: bool,
    power: f64,
}

struct Running {
    queued: Queued,
    start: [f64; 2],
    duration_s: f64,
    elapsed_s: f64,
    exit_speed: f64,
}

/// A parsed line waiting to be answered.
enum Waiting {
    /// A move that waits for room in the planner.
    Move(Queued),
    /// M3/M4/M5 or G4: waits for the planner to empty (then dwells `dwell_s`).
    Sync {
        dwell_s: f64,
        spindle: Option<Spindle>,
    },
    /// A G4 dwelling: GRBL answers it only when the dwell is over.
    Dwelling,
}

/// The simulated controller.
pub struct GrblSim {
    settings: BTreeMap<u32, f64>,
    rx: VecDeque<u8>,
    out: Vec<u8>,
    dropped_bytes: u64,
    peak_rx_bytes: usize,
    waiting: Option<Waiting>,
    dwell_left_s: f64,
    queue: VecDeque<Queued>,
    running: Option<Running>,
    /// Where the machine is when nothing moves (the end of the last finished block).
    position: [f64; 2],
    /// Where the last queued move ends.
    planned_end: [f64; 2],
    speed: f64,
    rapid_mode: bool,
    feed_mm_per_min: Option<f64>,
    power: f64,
    spindle: Spindle,
    alarm: bool,
    check_mode: bool,
    hold: Option<f64>,
    hold_stopped: bool,
    overrides: [u8; 3],
    /// An override changed since the last status report (which then carries `Ov:`).
    overrides_changed: bool,
    reports: u64,
    /// The blocks in motion are a jog.
    jogging: bool,
    motion_s: f64,
    now_s: f64,
    /// Where burned stretches are written, when something watches the part.
    burns: Option<BurnLog>,
}

/// GRBL 1.1h's defaults, in laser mode.
fn default_settings() -> BTreeMap<u32, f64> {
    [
        (0, 10.0),
        (1, 25.0),
        (2, 0.0),
        (3, 0.0),
        (4, 0.0),
        (5, 0.0),
        (6, 0.0),
        (10, 1.0),
        (11, 0.010),
        (12, 0.002),
        (13, 0.0),
        (20, 0.0),
        (21, 0.0),
        (22, 0.0),
        (23, 0.0),
        (24, 25.0),
        (25, 500.0),
        (26, 250.0),
        (27, 1.0),
        (30, 1000.0),
        (31, 0.0),
        (32, 1.0),
        (100, 250.0),
        (101, 250.0),
        (102, 250.0),
        (110, 500.0),
        (111, 500.0),
        (112, 500.0),
        (120, 10.0),
        (121, 10.0),
        (122, 10.0),
        (130, 200.0),
        (131, 200.0),
        (132, 200.0),
    ]
    .into_iter()
    .collect()
}

/// Settings GRBL prints with three decimals; the rest are integers.
fn is_float_setting(number: u32) -> bool {
    matches!(number, 11 | 12 | 24 | 25 | 27 | 100..=132)
}

impl GrblSim {
    /// A controller just powered up with `machine`'s settings, its banner waiting to be read.
    pub fn new(machine: &MachineSettings) -> Self {
        let mut settings = default_settings();
        settings.insert(11, machine.junction_deviation_mm);
        settings.insert(30, machine.spindle_max);
        settings.insert(31, machine.spindle_min);
        settings.insert(32, if machine.laser_mode { 1.0 } else { 0.0 });
        for axis in 0..3_u32 {
            settings.insert(110 + axis, machine.max_rate_mm_per_min[axis as usize]);
            settings.insert(120 + axis, machine.accel_mm_per_s2[axis as usize]);
        }
        let mut sim = Self {
            settings,
            rx: VecDeque::with_capacity(RX_BUFFER_BYTES),
            out: Vec::new(),
            dropped_bytes: 0,
            peak_rx_bytes: 0,
            waiting: None,
            dwell_left_s: 0.0,
            queue: VecDeque::new(),
            running: None,
            position: [0.0, 0.0],
            planned_end: [0.0, 0.0],
            speed: 0.0,
            rapid_mode: true,
            feed_mm_per_min: None,
            power: 0.0,
            spindle: Spindle::Off,
            alarm: false,
            check_mode: false,
            hold: None,
            hold_stopped: false,
            overrides: [100, 100, 100],
            overrides_changed: false,
            reports: 0,
            jogging: false,
            motion_s: 0.0,
            now_s: 0.0,
            burns: None,
        };
        sim.banner();
        sim
    }

    /// Writes every stretch the laser burns into `log` from now on.
    pub fn with_burn_log(mut self, log: BurnLog) -> Self {
        self.burns = Some(log);
        self
    }

    /// The machine settings as `$$` would give them now.
    pub fn machine(&self) -> MachineSettings {
        let value = |number: u32| self.settings.get(&number).copied().unwrap_or(0.0);
        MachineSettings {
            spindle_max: value(30),
            spindle_min: value(31),
            laser_mode: value(32) != 0.0,
            junction_deviation_mm: value(11),
            max_rate_mm_per_min: [value(110), value(111), value(112)],
            accel_mm_per_s2: [value(120), value(121), value(122)],
        }
    }

    fn say(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn banner(&mut self) {
        self.say("");
        self.say(BANNER);
        if self.alarm {
            self.say("[MSG:'$H'|'$X' to unlock]");
        }
    }

    /// Bytes from the sender. Real-time bytes act at once wherever they are; the rest go to
    /// the receive buffer, and what does not fit is lost, as on the real controller.
    pub fn receive(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'?' => self.report_status(),
                b'!' => self.feed_hold(),
                b'~' => self.resume(),
                0x18 => self.soft_reset(),
                0x80..=0xff => self.override_byte(byte),
                _ if self.rx.len() < RX_BUFFER_BYTES => self.rx.push_back(byte),
                _ => self.dropped_bytes += 1,
            }
        }
        self.peak_rx_bytes = self.peak_rx_bytes.max(self.rx.len());
    }

    /// What the controller has written since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Bytes lost to a full receive buffer since start (a correct sender never causes any).
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// The fullest the receive buffer has been (a correct sender keeps it at 127 or less).
    pub fn peak_rx_bytes(&self) -> usize {
        self.peak_rx_bytes
    }

    /// Seconds spent moving (the pure motion time of what was run).
    pub fn motion_seconds(&self) -> f64 {
        self.motion_s
    }

    pub fn now_seconds(&self) -> f64 {
        self.now_s
    }

    pub fn position(&self) -> [f64; 2] {
        match &self.running {
            Some(running) => {
                let fraction = (running.elapsed_s / running.duration_s.max(1e-9)).min(1.0);
                [
                    running.start[0] + (running.queued.target[0] - running.start[0]) * fraction,
                    running.start[1] + (running.queued.target[1] - running.start[1]) * fraction,
                ]
            }
            None => self.position,
        }
    }

    pub fn state(&self) -> SimState {
        if self.alarm {
            SimState::Alarm
        } else if self.hold.is_some() || self.hold_stopped {
            SimState::Hold {
                stopped: self.hold_stopped,
            }
        } else if self.jogging && (self.running.is_some() || !self.queue.is_empty()) {
            SimState::Jog
        } else if self.running.is_some() || !self.queue.is_empty() || self.dwell_left_s > 0.0 {
            SimState::Run
        } else if self.check_mode {
            SimState::Check
        } else {
            SimState::Idle
        }
    }

    /// The laser's output now, in S units: on only in a feed move with power, M3 or M4.
    pub fn laser_output(&self) -> f64 {
        let Some(running) = &self.running else {
            return 0.0;
        };
        if !running.queued.feed_move || self.hold_stopped || self.spindle == Spindle::Off {
            return 0.0;
        }
        running.queued.power * f64::from(self.overrides[2]) / 100.0
    }

    fn report_status(&mut self) {
        let [x, y] = self.position();
        let feed = match &self.running {
            Some(running) if !self.hold_stopped => running.queued.block.nominal_mm_per_s() * 60.0,
            _ => 0.0,
        };
        let mut report = format!(
            "<{}|MPos:{x:.3},{y:.3},0.000|FS:{feed:.0},{:.0}",
            self.state().word(),
            self.laser_output()
        );
        if self.settings.get(&10).copied().unwrap_or(0.0) as u32 & 2 != 0 {
            report.push_str(&format!(
                "|Bf:{},{}",
                PLANNER_BLOCKS - self.queue.len().min(PLANNER_BLOCKS),
                RX_BUFFER_BYTES - self.rx.len()
            ));
        }
        // GRBL adds the overrides after a change and now and then (every 10th report here).
        self.reports += 1;
        if std::mem::take(&mut self.overrides_changed) || self.reports.is_multiple_of(10) {
            let [feed, rapid, spindle] = self.overrides;
            report.push_str(&format!("|Ov:{feed},{rapid},{spindle}"));
        }
        report.push('>');
        self.say(&report);
    }

    fn moving(&self) -> bool {
        (self.running.is_some() || !self.queue.is_empty()) && !self.hold_stopped
    }

    fn feed_hold(&mut self) {
        if self.alarm || self.hold.is_some() || self.hold_stopped {
            return;
        }
        if self.moving() {
            // Decelerate at the current block's acceleration.
            let accel = self
                .running
                .as_ref()
                .map_or(1.0, |running| running.queued.block.accel_mm_per_s2());
            self.hold = Some(self.speed.max(1.0) / accel);
        } else {
            self.hold_stopped = true;
        }
    }

    fn resume(&mut self) {
        if self.hold_stopped {
            self.hold_stopped = false;
            if self.spindle != Spindle::Off && self.power > 0.0 {
                self.say("[MSG:Restoring spindle]");
            }
        }
    }

    fn override_byte(&mut self, byte: u8) {
        if (0x90..=0x9d).contains(&byte) {
            self.overrides_changed = true;
        }
        let adjust = |value: &mut u8, delta: i16, low: i16, high: i16| {
            *value = (i16::from(*value) + delta).clamp(low, high) as u8;
        };
        match byte {
            0x90 => self.overrides[0] = 100,
            0x91 => adjust(&mut self.overrides[0], 10, 10, 200),
            0x92 => adjust(&mut self.overrides[0], -10, 10, 200),
            0x93 => adjust(&mut self.overrides[0], 1, 10, 200),
            0x94 => adjust(&mut self.overrides[0], -1, 10, 200),
            0x95 => self.overrides[1] = 100,
            0x96 => self.overrides[1] = 50,
            0x97 => self.overrides[1] = 25,
            0x99 => self.overrides[2] = 100,
            0x9a => adjust(&mut self.overrides[2], 10, 10, 200),
            0x9b => adjust(&mut self.overrides[2], -10, 10, 200),
            0x9c => adjust(&mut self.overrides[2], 1, 10, 200),
            0x9d => adjust(&mut self.overrides[2], -1, 10, 200),
            _ => {}
        }
    }

    fn soft_reset(&mut self) {
        let was_moving = self.moving() || self.hold.is_some();
        if was_moving {
            // Position is lost: steps may have been skipped while stopping hard.
            self.position = self.position();
            self.say("ALARM:3");
            self.alarm = true;
        }
        self.rx.clear();
        self.queue.clear();
        self.running = None;
        self.waiting = None;
        self.dwell_left_s = 0.0;
        self.hold = None;
        self.hold_stopped = false;
        self.jogging = false;
        self.speed = 0.0;
        self.planned_end = self.position;
        self.spindle = Spindle::Off;
        self.power = 0.0;
        self.rapid_mode = true;
        self.check_mode = false;
        self.banner();
    }

    /// Lets `dt_s` seconds pass: lines are read as the planner takes them, blocks move.
    pub fn advance(&mut self, dt_s: f64) {
        let mut left = dt_s;
        loop {
            self.read_lines();
            if left <= 0.0 {
                break;
            }
            if self.hold_stopped {
                self.now_s += left;
                break;
            }
            if let Some(hold_left) = self.hold {
                // Decelerating: the block goes on for the braking time, then stops.
                let step = left.min(hold_left);
                self.move_for(step);
                left -= step;
                if hold_left - step <= 1e-12 {
                    self.hold = None;
                    self.hold_stopped = true;
                    self.speed = 0.0;
                } else {
                    self.hold = Some(hold_left - step);
                }
                continue;
            }
            if self.dwell_left_s > 0.0 {
                let step = left.min(self.dwell_left_s);
                self.dwell_left_s -= step;
                self.now_s += step;
                left -= step;
                continue;
            }
            if self.running.is_none() && !self.start_next_block() {
                self.now_s += left;
                break;
            }
            let step = self
                .running
                .as_ref()
                .map_or(0.0, |running| {
                    (running.duration_s - running.elapsed_s).max(0.0)
                })
                .min(left);
            self.move_for(step);
            left -= step;
        }
    }

    /// Moves the running block on by `step` seconds, finishing it when its time is up.
    fn move_for(&mut self, step: f64) {
        let burning = self
            .burns
            .as_ref()
            .map(|_| (self.position(), self.laser_output()))
            .filter(|&(_, output)| output > 0.0);
        self.advance_block(step);
        if let (Some((from_mm, output)), Some(log)) = (burning, &self.burns) {
            let max_s = self.settings.get(&30).copied().unwrap_or(1000.0).max(1.0);
            log.push(Burn {
                from_mm,
                to_mm: self.position(),
                power: (output / max_s).clamp(0.0, 1.0),
            });
        }
    }

    fn advance_block(&mut self, step: f64) {
        self.now_s += step;
        let Some(running) = &mut self.running else {
            return;
        };
        running.elapsed_s += step;
        self.motion_s += step;
        if running.elapsed_s + 1e-12 >= running.duration_s
            && let Some(done) = self.running.take()
        {
            self.position = done.queued.target;
            self.speed = done.exit_speed;
        }
    }

    /// Starts the oldest queued block, planning the queue from the current speed.
    fn start_next_block(&mut self) -> bool {
        if self.queue.is_empty() {
            self.speed = 0.0;
            self.jogging = false;
            return false;
        }
        let machine = self.machine();
        // The queue is at most 15 small blocks: planning a copy is cheap.
        let blocks: Vec<Block> = self
            .queue
            .iter()
            .map(|queued| queued.block.clone())
            .collect();
        let speeds = plan_speeds(&blocks, self.speed, &machine);
        let Some(queued) = self.queue.pop_front() else {
            return false;
        };
        let (entry, exit) = speeds.first().copied().unwrap_or((0.0, 0.0));
        let duration_s = block_seconds(&queued.block, entry, exit);
        self.running = Some(Running {
            start: self.position,
            queued,
            duration_s,
            elapsed_s: 0.0,
            exit_speed: exit,
        });
        true
    }

    /// Parses buffered lines while the planner has room (nothing during a hold).
    fn read_lines(&mut self) {
        loop {
            self.settle_waiting();
            if self.waiting.is_some() || self.hold.is_some() || self.hold_stopped {
                return;
            }
            let Some(end) = self
                .rx
                .iter()
                .position(|&byte| byte == b'\n' || byte == b'\r')
            else {
                return;
            };
            let raw: Vec<u8> = self.rx.drain(..=end).take(end).collect();
            self.execute_line(&raw);
        }
    }

    /// Answers a waiting line once what it waits for has happened.
    fn settle_waiting(&mut self) {
        match self.waiting.take() {
            Some(Waiting::Move(queued)) if self.queue.len() < PLANNER_BLOCKS => {
                self.queue.push_back(queued);
                self.say("ok");
            }
            Some(Waiting::Sync { dwell_s, spindle })
                if self.queue.is_empty() && self.running.is_none() =>
            {
                if let Some(spindle) = spindle {
                    self.spindle = spindle;
                }
                if dwell_s > 0.0 && !self.check_mode {
                    self.dwell_left_s = dwell_s;
                    self.waiting = Some(Waiting::Dwelling);
                } else {
                    self.say("ok");
                }
            }
            Some(Waiting::Dwelling) if self.dwell_left_s <= 0.0 => self.say("ok"),
            other => self.waiting = other,
        }
    }

    fn reply(&mut self, result: Result<(), u8>) {
        match result {
            Ok(()) => self.say("ok"),
            Err(code) => self.say(&format!("error:{code}")),
        }
    }

    fn execute_line(&mut self, raw: &[u8]) {
        let line = match line::clean(raw) {
            Ok(line) => line,
            Err(code) => return self.reply(Err(code)),
        };
        if line.is_empty() {
            return self.reply(Ok(()));
        }
        if line == "$C" && self.check_mode {
            // Leaving check mode resets the controller, as GRBL does.
            self.say("[MSG:Disabled]");
            self.say("ok");
            self.soft_reset();
            return;
        }
        if let Some(command) = line.strip_prefix('$') {
            let result = self.system_command(command);
            return self.reply(result);
        }
        if self.alarm {
            return self.reply(Err(error::SYSTEM_GC_LOCK));
        }
        match self.gcode(&line) {
            Ok(None) => self.reply(Ok(())),
            Ok(Some(waiting)) => {
                self.waiting = Some(waiting);
                self.settle_waiting();
            }
            Err(code) => self.reply(Err(code)),
        }
    }

    /// One G-code line: modal state now, a move or a sync to wait for.
    fn gcode(&mut self, line: &str) -> Result<Option<Waiting>, u8> {
        let words = line::words(line)?;
        let mut target = self.planned_end;
        let mut has_axis = false;
        let mut dwell = None;
        let mut spindle = None;
        let (mut rapid, mut feed, mut power) = (self.rapid_mode, self.feed_mm_per_min, self.power);
        for (letter, value) in words {
            // G and M numbers in tenths (G0 = 0, G1 = 10, G4 = 40, G21 = 210).
            let code = (value * 10.0).round() as i64;
            match (letter, code) {
                ('G', 0) => rapid = true,
                ('G', 10) => rapid = false,
                ('G', 40) => dwell = Some(0.0),
                ('G', 170 | 210 | 540 | 900 | 940) => {}
                ('M', 30) => spindle = Some(Spindle::Constant),
                ('M', 40) => spindle = Some(Spindle::Dynamic),
                ('M', 50) => spindle = Some(Spindle::Off),
                ('M', 80 | 90) => {}
                ('M', 20 | 300) => {
                    self.say("[MSG:Pgm End]");
                    spindle = Some(Spindle::Off);
                }
                ('G' | 'M', _) => return Err(error::UNSUPPORTED_COMMAND),
                ('X', _) => {
                    target[0] = value;
                    has_axis = true;
                }
                ('Y', _) => {
                    target[1] = value;
                    has_axis = true;
                }
                ('Z', _) => has_axis = true,
                ('F' | 'S' | 'P' | 'N' | 'T', _) if value < 0.0 => {
                    return Err(error::NEGATIVE_VALUE);
                }
                ('F', _) if value > 0.0 => feed = Some(value),
                ('F', _) => feed = None,
                ('S', _) => power = value,
                ('P', _) if dwell.is_some() => dwell = Some(value),
                ('N', _) => {}
                // Words GRBL knows but nothing on a laser's line uses.
                ('I' | 'J' | 'K' | 'L' | 'P' | 'R' | 'T', _) => return Err(error::UNUSED_WORDS),
                // Any other letter: GRBL's "unsupported command".
                _ => return Err(error::UNSUPPORTED_COMMAND),
            }
        }
        if !rapid && has_axis && feed.is_none() {
            return Err(error::UNDEFINED_FEED_RATE);
        }
        self.rapid_mode = rapid;
        self.feed_mm_per_min = feed;
        self.power = power.min(self.settings.get(&30).copied().unwrap_or(1000.0));
        if self.check_mode {
            return Ok(None);
        }
        if dwell.is_some() || spindle.is_some() {
            return Ok(Some(Waiting::Sync {
                dwell_s: dwell.unwrap_or(0.0),
                spindle,
            }));
        }
        if !has_axis {
            return Ok(None);
        }
        let machine = self.machine();
        let feed_mm_per_s = feed.unwrap_or(0.0) / 60.0 * f64::from(self.overrides[0]) / 100.0;
        let Some(block) = Block::between(
            self.planned_end,
            target,
            rapid,
            feed_mm_per_s,
            false,
            &machine,
        ) else {
            return Ok(None);
        };
        self.planned_end = target;
        Ok(Some(Waiting::Move(Queued {
            block,
            target,
            feed_move: !rapid,
            power: self.power,
        })))
    }

    /// `$J=…`: a jog, only from Idle or while jogging. The words allowed are units, distance
    /// mode, G53, axes and a feed, which is required; the parser's modal state is left as it
    /// was. Like any feed move it fires the laser if the spindle is on (senders send M5 first).
    fn jog(&mut self, line: &str) -> Result<(), u8> {
        if !matches!(self.state(), SimState::Idle | SimState::Jog) {
            return Err(error::IDLE_ERROR);
        }
        let mut relative = false;
        let mut delta = [None, None];
        let mut feed = None;
        for (letter, value) in line::words(line)? {
            match (letter, (value * 10.0).round() as i64) {
                ('G', 210 | 900 | 530) => {}
                ('G', 910) => relative = true,
                ('X', _) => delta[0] = Some(value),
                ('Y', _) => delta[1] = Some(value),
                ('Z', _) => {}
                ('F', _) if value > 0.0 => feed = Some(value),
                _ => return Err(error::INVALID_JOG_COMMAND),
            }
        }
        let feed = feed.ok_or(error::UNDEFINED_FEED_RATE)?;
        let mut target = self.planned_end;
        for axis in 0..2 {
            if let Some(value) = delta[axis] {
                target[axis] = if relative {
                    target[axis] + value
                } else {
                    value
                };
            }
        }
        let machine = self.machine();
        if let Some(block) = Block::between(
            self.planned_end,
            target,
            false,
            feed / 60.0,
            false,
            &machine,
        ) {
            if self.queue.len() >= PLANNER_BLOCKS {
                // GRBL waits for room; a jog pad never fills the planner.
                return Err(error::INVALID_JOG_COMMAND);
            }
            self.planned_end = target;
            self.jogging = true;
            self.queue.push_back(Queued {
                block,
                target,
                feed_move: true,
                power: self.power,
            });
        }
        Ok(())
    }

    fn system_command(&mut self, command: &str) -> Result<(), u8> {
        let idle_or_alarm = matches!(
            self.state(),
            SimState::Idle | SimState::Alarm | SimState::Check
        );
        match command {
            "" => {
                self.say("[HLP:$$ $# $G $I $N $x=val $Nx=line $J=line $SLP $C $X $H ~ ! ? ctrl-x]");
                Ok(())
            }
            "X" => {
                if self.alarm {
                    self.alarm = false;
                    self.say("[MSG:Caution: Unlocked]");
                }
                Ok(())
            }
            "G" => {
                let motion = if self.rapid_mode { 0 } else { 1 };
                let spindle = match self.spindle {
                    Spindle::Off => 5,
                    Spindle::Constant => 3,
                    Spindle::Dynamic => 4,
                };
                let text = format!(
                    "[GC:G{motion} G54 G17 G21 G90 G94 M{spindle} M9 T0 F{} S{}]",
                    self.feed_mm_per_min.unwrap_or(0.0),
                    self.power
                );
                self.say(&text);
                Ok(())
            }
            jog if jog.starts_with("J=") => self.jog(&jog[2..]),
            _ if !idle_or_alarm => Err(error::IDLE_ERROR),
            "$" => {
                let lines: Vec<String> = self
                    .settings
                    .iter()
                    .map(|(number, value)| {
                        if is_float_setting(*number) {
                            format!("${number}={value:.3}")
                        } else {
                            format!("${number}={value:.0}")
                        }
                    })
                    .collect();
                for line in lines {
                    self.say(&line);
                }
                Ok(())
            }
            "I" => {
                self.say("[VER:1.1h.20190825:]");
                self.say(&format!("[OPT:V,{PLANNER_BLOCKS},{RX_BUFFER_BYTES}]"));
                Ok(())
            }
            "H" => Err(error::SETTING_DISABLED),
            "C" => {
                // Turning check mode off is answered in `execute_line` (it resets).
                self.check_mode = true;
                self.say("[MSG:Enabled]");
                Ok(())
            }
            other => {
                let (number, value) = other.split_once('=').ok_or(error::INVALID_STATEMENT)?;
                let number: u32 = number.parse().map_err(|_| error::INVALID_STATEMENT)?;
                let value: f64 = value.parse().map_err(|_| error::BAD_NUMBER_FORMAT)?;
                if !self.settings.contains_key(&number) {
                    return Err(error::INVALID_STATEMENT);
                }
                self.settings.insert(number, value);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
