//! A connected GRBL controller: the handshake (soft reset, banner, `$$`, `$I`), one-off commands
//! answered in order, status polls, and the operator's machine actions (unlock, home, jog, abort
//! keeping position, laser off). Streaming a job is in `stream.rs`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::codes::{alarm_recovery, alarm_words, error_words};
use super::link::{GrblLink, LinkError, RealTime};
use super::reply::Reply;
use super::status::{MachineState, StatusReport};
use crate::engrave::MachineSettings;

/// How long the banner may take after a soft reset.
const BANNER_WAIT: Duration = Duration::from_secs(3);
/// GRBL answers `?` within milliseconds; this long without any reply means it is gone.
pub(super) const SILENCE_LIMIT: Duration = Duration::from_secs(5);
/// The longest homing cycle waited for.
const HOMING_LIMIT: Duration = Duration::from_secs(120);
/// The fastest status polling the station does (GRBL's guidance: 5 Hz or less).
pub(super) const POLL_PERIOD: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum GrblError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(
        "{path}: no GRBL banner within {seconds} s of a soft reset (is it a GRBL 1.1 controller at this baud rate?)"
    )]
    NoBanner { path: String, seconds: u64 },
    #[error("{path}: the controller stopped answering ({seconds} s without a reply)")]
    Silent { path: String, seconds: u64 },
    #[error("`{line}` was refused with error:{code} ({})", error_words(*code))]
    Refused { line: String, code: u8 },
    #[error("the controller is in alarm{}; {}", alarm_text(*code), recovery_text(*code))]
    Alarm { code: Option<u8> },
    #[error("the controller reset itself (banner received while waiting for `{0}`)")]
    Reset(String),
    #[error("{0}")]
    NotNow(String),
    #[error("the controller's settings dump: {0}")]
    Settings(String),
}

fn alarm_text(code: Option<u8>) -> String {
    code.map(|c| format!(" ALARM:{c}: {}", alarm_words(c)))
        .unwrap_or_default()
}

fn recovery_text(code: Option<u8>) -> &'static str {
    match code {
        Some(c) => alarm_recovery(c),
        None => "unlock ($X) or home ($H) when it is safe.",
    }
}

/// A controller, after the handshake.
pub struct Grbl {
    pub(super) link: GrblLink,
    /// The version from the banner (`1.1h`).
    pub version: String,
    /// `$n=value` as read from `$$`.
    pub settings: BTreeMap<u32, String>,
    /// `[VER:…]`, `[OPT:…]` lines from `$I`.
    pub build_info: Vec<String>,
    /// The last status report.
    pub status: Option<StatusReport>,
    pub(super) work_offset_mm: Option<[f64; 3]>,
    /// Set by an `ALARM:N` or the unlock message after a reset; cleared only by `unlock`,
    /// `home` or a reset that comes back without it. The station never clears it on its own.
    pub alarm: Option<Option<u8>>,
    /// `[MSG:…]` lines seen, newest last (kept short).
    pub messages: Vec<String>,
}

impl Grbl {
    /// Opens the port and synchronises: clear input, soft reset, wait for the banner, read
    /// `$$` and `$I`.
    pub fn connect(path: &str, baud: u32) -> Result<Self, GrblError> {
        let link = GrblLink::open(path, baud)?;
        let mut grbl = Self {
            link,
            version: String::new(),
            settings: BTreeMap::new(),
            build_info: Vec::new(),
            status: None,
            work_offset_mm: None,
            alarm: None,
            messages: Vec::new(),
        };
        // A machine still moving (a job draining its buffer, another program's jog) must not be
        // reset: that raises ALARM:3 and loses position. A board that resets on open, or is
        // still booting, answers nothing yet, and the reset below is what syncs it.
        grbl.link.send_realtime(RealTime::Status)?;
        if let Some(report) = grbl.read_status_within(Duration::from_millis(300))?
            && report.state.is_moving()
        {
            return Err(GrblError::NotNow(format!(
                "{path}: the machine is moving ({}); a soft reset now would lose position. Let \
                 it finish or stop it at the machine, then connect again",
                report.state
            )));
        }
        grbl.reset()?;
        grbl.read_settings()?;
        grbl.build_info = grbl
            .command("$I")?
            .into_iter()
            .filter_map(|reply| match reply {
                Reply::Feedback { tag, body } => Some(format!("[{tag}:{body}]")),
                _ => None,
            })
            .collect();
        grbl.poll_status()?;
        Ok(grbl)
    }

    pub fn path(&self) -> &str {
        self.link.path()
    }

    /// Soft reset and wait for the banner, ignoring everything before it (a stray `ok` may
    /// come between `ALARM:3` and the banner). Refuses while the machine moves: that would
    /// lose position (`abort` stops it first).
    pub fn reset(&mut self) -> Result<(), GrblError> {
        if self.status.as_ref().is_some_and(|s| s.state.is_moving()) {
            return Err(GrblError::NotNow(
                "a soft reset while moving loses position; hold first (abort does)".into(),
            ));
        }
        self.link.discard_input()?;
        self.link.send_realtime(RealTime::SoftReset)?;
        self.wait_banner()
    }

    /// Soft reset now, whatever the machine does (an operator's emergency stop): if it was
    /// moving, GRBL raises `ALARM:3` and stays locked until unlocked.
    pub fn emergency_reset(&mut self) -> Result<(), GrblError> {
        self.link.send_realtime(RealTime::SoftReset)?;
        self.wait_banner()?;
        self.poll_status()?;
        Ok(())
    }

    pub(super) fn wait_banner(&mut self) -> Result<(), GrblError> {
        let deadline = Instant::now() + BANNER_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(GrblError::NoBanner {
                    path: self.path().to_owned(),
                    seconds: BANNER_WAIT.as_secs(),
                });
            }
            match self.link.read_reply(left)? {
                Some(Reply::Banner { version }) => {
                    self.version = version;
                    break;
                }
                Some(Reply::Alarm(code)) => self.alarm = Some(Some(code)),
                _ => {}
            }
        }
        // A reset in alarm says so right after the banner; otherwise the alarm is gone.
        let was = self.alarm.take();
        let quiet_until = Instant::now() + Duration::from_millis(100);
        while let Some(reply) = self
            .link
            .read_reply(quiet_until.saturating_duration_since(Instant::now()))?
        {
            if let Reply::Message(text) = &reply
                && text.contains("to unlock")
            {
                self.alarm = Some(was.flatten());
            }
            self.note(&reply);
        }
        self.status = None;
        Ok(())
    }

    /// Keeps what a push message tells: status, alarms, messages.
    pub(super) fn note(&mut self, reply: &Reply) {
        match reply {
            Reply::Status(report) => {
                if let Some(offset) = report.work_offset_mm {
                    self.work_offset_mm = Some(offset);
                }
                if report.state == MachineState::Alarm && self.alarm.is_none() {
                    self.alarm = Some(None);
                }
                self.status = Some(report.clone());
            }
            Reply::Alarm(code) => self.alarm = Some(Some(*code)),
            Reply::Message(text) => {
                if self.messages.len() >= 20 {
                    self.messages.remove(0);
                }
                self.messages.push(text.clone());
            }
            _ => {}
        }
    }

    /// Sends one line and waits for its answer, polling status meanwhile to judge liveness
    /// (an `ok` may be delayed indefinitely; silence may not). Returns the push messages that
    /// came with it.
    pub fn command(&mut self, line: &str) -> Result<Vec<Reply>, GrblError> {
        self.link.send_line(line)?;
        let mut replies = Vec::new();
        let mut last_heard = Instant::now();
        let mut next_poll = Instant::now() + POLL_PERIOD;
        loop {
            if Instant::now() >= next_poll {
                self.link.send_realtime(RealTime::Status)?;
                next_poll += POLL_PERIOD;
            }
            let Some(reply) = self.link.read_reply(POLL_PERIOD / 4)? else {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    return Err(self.silent());
                }
                continue;
            };
            last_heard = Instant::now();
            self.note(&reply);
            match reply {
                Reply::Ok => return Ok(replies),
                Reply::Error(code) => {
                    return Err(GrblError::Refused {
                        line: line.to_owned(),
                        code,
                    });
                }
                Reply::Banner { .. } => return Err(GrblError::Reset(line.to_owned())),
                Reply::Status(_) => {}
                other => replies.push(other),
            }
        }
    }

    pub(super) fn silent(&self) -> GrblError {
        GrblError::Silent {
            path: self.path().to_owned(),
            seconds: SILENCE_LIMIT.as_secs(),
        }
    }

    /// `$$`: the settings, and the machine model the planner and the G-code need.
    pub fn read_settings(&mut self) -> Result<MachineSettings, GrblError> {
        let replies = self.command("$$")?;
        self.settings = replies
            .into_iter()
            .filter_map(|reply| match reply {
                Reply::Setting { number, value } => Some((number, value)),
                _ => None,
            })
            .collect();
        self.machine()
    }

    /// The machine model from the last `$$`.
    pub fn machine(&self) -> Result<MachineSettings, GrblError> {
        let dump: String = self
            .settings
            .iter()
            .map(|(number, value)| format!("${number}={value}\n"))
            .collect();
        MachineSettings::from_dump(&dump).map_err(|err| GrblError::Settings(err.to_string()))
    }

    /// Asks `?` and waits for the report.
    pub fn poll_status(&mut self) -> Result<StatusReport, GrblError> {
        self.link.send_realtime(RealTime::Status)?;
        self.read_status_within(SILENCE_LIMIT)?
            .ok_or_else(|| self.silent())
    }

    /// Reads until a status report comes, for at most `limit`.
    fn read_status_within(&mut self, limit: Duration) -> Result<Option<StatusReport>, GrblError> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            if let Some(reply) = self.link.read_reply(left.min(POLL_PERIOD))? {
                self.note(&reply);
                if let Reply::Status(report) = reply {
                    return Ok(Some(report));
                }
            }
        }
    }

    /// The machine position in mm, from the last report.
    pub fn position_mm(&self) -> Option<[f64; 3]> {
        self.status
            .as_ref()
            .and_then(|s| s.machine_position_mm(self.work_offset_mm))
    }

    fn require_idle(&mut self, action: &str) -> Result<(), GrblError> {
        if let Some(code) = self.alarm {
            return Err(GrblError::Alarm { code });
        }
        let state = self.poll_status()?.state;
        if state != MachineState::Idle {
            return Err(GrblError::NotNow(format!(
                "{action} needs the machine Idle; it is {state}"
            )));
        }
        Ok(())
    }

    /// `$X`: leaves the alarm lock. Only ever on an operator's request.
    pub fn unlock(&mut self) -> Result<(), GrblError> {
        self.command("$X")?;
        self.alarm = None;
        self.poll_status()?;
        Ok(())
    }

    /// `$H`: homing (answers `error:5` on machines without homing enabled).
    /// GRBL sends no status reports while homing, so this waits for `$H`'s answer without the
    /// silence limit, up to `HOMING_LIMIT`. The alarm clears only if none came with it.
    pub fn home(&mut self) -> Result<(), GrblError> {
        self.link.send_line("$H")?;
        let deadline = Instant::now() + HOMING_LIMIT;
        let mut alarm = None;
        loop {
            if Instant::now() > deadline {
                return Err(GrblError::NotNow(format!(
                    "homing did not finish within {} s",
                    HOMING_LIMIT.as_secs()
                )));
            }
            let Some(reply) = self.link.read_reply(POLL_PERIOD)? else {
                continue;
            };
            self.note(&reply);
            match reply {
                Reply::Ok if alarm.is_none() => {
                    self.alarm = None;
                    return Ok(());
                }
                Reply::Ok => return Err(GrblError::Alarm { code: alarm }),
                Reply::Error(code) => {
                    return Err(GrblError::Refused {
                        line: "$H".to_owned(),
                        code,
                    });
                }
                Reply::Alarm(code) => alarm = Some(code),
                // A failed homing cycle resets the controller.
                Reply::Banner { .. } => return Err(GrblError::Alarm { code: alarm }),
                _ => {}
            }
        }
    }

    /// A relative jog in mm at `feed_mm_per_min`, laser off first. Only when Idle.
    pub fn jog(&mut self, dx_mm: f64, dy_mm: f64, feed_mm_per_min: f64) -> Result<(), GrblError> {
        self.require_idle("jogging")?;
        self.command("M5S0")?;
        self.command(&format!(
            "$J=G21G91X{dx_mm:.3}Y{dy_mm:.3}F{:.0}",
            feed_mm_per_min.max(1.0)
        ))?;
        Ok(())
    }

    /// Traces the rectangle `[x0, y0, x1, y1]` (mm, absolute) with the laser at `power` S units
    /// (0 for a dry run, or the machine's minimum to see a faint dot), then returns to
    /// `(x0, y0)` and switches the laser off. Only when Idle.
    pub fn frame(
        &mut self,
        bbox_mm: [f64; 4],
        feed_mm_per_min: f64,
        power: f64,
    ) -> Result<(), GrblError> {
        self.require_idle("framing")?;
        let [x0, y0, x1, y1] = bbox_mm;
        let feed = feed_mm_per_min.max(1.0);
        for line in [
            "G21G90".to_owned(),
            format!("G0X{x0:.3}Y{y0:.3}"),
            format!("M4S{power:.0}"),
            format!("G1X{x1:.3}F{feed:.0}"),
            format!("Y{y1:.3}"),
            format!("X{x0:.3}"),
            format!("Y{y0:.3}"),
            "M5S0".to_owned(),
            "G4P0.01".to_owned(),
        ] {
            self.command(&line)?;
        }
        Ok(())
    }

    /// A real-time byte (an override, a jog cancel) outside a stream.
    pub fn send_realtime(&mut self, command: RealTime) -> Result<(), GrblError> {
        Ok(self.link.send_realtime(command)?)
    }

    /// Laser off: `M5 S0` as a line, when the controller can take one. In a hold, an open door
    /// or an alarm GRBL parses no line (it would wait for ever) and has the laser off already
    /// (laser mode stops the spindle in a hold; an alarm stops everything): nothing is sent.
    pub fn laser_off(&mut self) -> Result<(), GrblError> {
        let state = self.poll_status()?.state;
        if matches!(
            state,
            MachineState::Hold { .. } | MachineState::Door(_) | MachineState::Alarm
        ) {
            return Ok(());
        }
        self.command("M5S0").map(drop)
    }

    /// Stops motion and resets keeping position: feed hold, wait for `Hold:0`, soft reset (a
    /// reset after the stop raises no `ALARM:3`). The laser goes off with the hold.
    pub fn abort_keeping_position(&mut self) -> Result<(), GrblError> {
        self.link.send_realtime(RealTime::FeedHold)?;
        let deadline = Instant::now() + SILENCE_LIMIT * 2;
        loop {
            let report = self.poll_status()?;
            if !report.state.is_moving() {
                break;
            }
            if Instant::now() > deadline {
                return Err(GrblError::NotNow(format!(
                    "the machine did not stop after a feed hold (still {})",
                    report.state
                )));
            }
            std::thread::sleep(POLL_PERIOD);
        }
        self.status = None;
        self.reset()?;
        self.poll_status()?;
        Ok(())
    }
}
