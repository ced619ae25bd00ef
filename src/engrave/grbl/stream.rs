//! Streaming a program by character counting: lines go out while they fit in GRBL's receive
//! buffer, status is polled at 5 Hz, the first `error:` stops the sending, an alarm or a lost
//! port ends the job where the last acknowledged line left it. The operator's hold, resume,
//! abort and overrides arrive on a channel and act between two reads.

use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::controller::{Grbl, GrblError, POLL_PERIOD};
use super::counter::{CharCounter, MAX_IN_FLIGHT_BYTES};
use super::link::{LinkError, RealTime};
use super::reply::Reply;
use super::status::{MachineState, StatusReport};

/// The last line of every stream: its `ok` arrives when the planner has emptied, which is when
/// the job is finished.
const FINISH_LINE: &str = "G4P0.01";

/// What the operator asks of a running stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamControl {
    /// Feed hold (`!`): decelerate and stop, laser off; nothing is lost.
    Hold,
    /// `~` after a hold.
    Resume,
    /// Stop and reset keeping position; the rest of the program is not run.
    Abort,
    /// A feed or power override byte.
    Override(RealTime),
    /// Soft reset now, as an emergency stop: motion stops at once and, if the machine was
    /// moving, GRBL raises `ALARM:3` (position lost) and locks until an operator unlocks.
    Reset,
}

/// Where a stream is, for progress bars.
#[derive(Debug, Clone)]
pub struct StreamProgress {
    pub lines_total: usize,
    pub lines_sent: usize,
    pub lines_acked: usize,
    pub in_flight_bytes: usize,
    pub elapsed: Duration,
    pub status: Option<StatusReport>,
}

/// How a stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEnd {
    /// Every line acknowledged with `ok` and the machine finished moving.
    Done,
    /// `error:N` on `line_no` (1-based): sending stopped; lines already buffered ran.
    Failed {
        line_no: usize,
        line: String,
        code: u8,
    },
    /// The controller raised an alarm; it stays locked until an operator unlocks it.
    Alarm { code: Option<u8> },
    /// The operator aborted; the position was kept.
    Aborted,
    /// The controller reset on its own (a banner mid-job): position and buffered lines lost.
    Reset,
    /// The port went away or the controller fell silent. `laser_off` says whether the
    /// laser-off attempt (feed hold, then `M5S0`) reached the controller.
    Lost { reason: String, laser_off: bool },
}

/// The outcome and the figures of one stream.
#[derive(Debug, Clone)]
pub struct StreamReport {
    pub end: StreamEnd,
    pub lines_total: usize,
    pub lines_sent: usize,
    /// Lines answered with `ok` or `error:` (the job's lines only, not the finishing dwell).
    pub lines_acked: usize,
    pub peak_in_flight_bytes: usize,
    pub wall: Duration,
}

struct Run<'a> {
    lines: &'a [String],
    counter: CharCounter,
    sent: usize,
    acked: usize,
    /// The finishing dwell has been sent / answered.
    finish_sent: bool,
    stop_sending: bool,
    end: Option<StreamEnd>,
    /// The first refused line (1-based) and its error code.
    failed: Option<(usize, u8)>,
    /// After a refused line: `M5S0` is on its way.
    laser_off_sent: bool,
}

impl Grbl {
    /// Streams `lines` (already clean: ASCII, no comments, ≤ 79 characters). Refuses to start
    /// in alarm or when the machine is not Idle. `on_progress` is called after every change.
    pub fn stream(
        &mut self,
        lines: &[String],
        controls: &Receiver<StreamControl>,
        on_progress: &mut dyn FnMut(&StreamProgress),
    ) -> Result<StreamReport, GrblError> {
        self.stream_in(MachineState::Idle, lines, controls, on_progress)
    }

    /// `stream`, from the machine state `expected` (Idle for a job, Check for a check pass).
    fn stream_in(
        &mut self,
        expected: MachineState,
        lines: &[String],
        controls: &Receiver<StreamControl>,
        on_progress: &mut dyn FnMut(&StreamProgress),
    ) -> Result<StreamReport, GrblError> {
        if let Some(code) = self.alarm {
            return Err(GrblError::Alarm { code });
        }
        let state = self.poll_status()?.state;
        if state != expected {
            return Err(GrblError::NotNow(format!(
                "a job needs the machine {expected}; it is {state}"
            )));
        }
        if let Some((index, line)) = lines
            .iter()
            .enumerate()
            .find(|(_, line)| line.len() + 1 > MAX_IN_FLIGHT_BYTES)
        {
            return Err(GrblError::NotNow(format!(
                "line {} `{line}` is longer than the controller's buffer",
                index + 1
            )));
        }
        let started = Instant::now();
        let mut run = Run {
            lines,
            counter: CharCounter::default(),
            sent: 0,
            acked: 0,
            finish_sent: false,
            stop_sending: false,
            end: None,
            failed: None,
            laser_off_sent: false,
        };
        let mut last_heard = Instant::now();
        let mut next_poll = Instant::now();
        let end = loop {
            if let Some(end) = run.end.take() {
                break end;
            }
            match self.step(&mut run, controls, &mut next_poll, &mut last_heard) {
                Ok(changed) => {
                    if changed {
                        on_progress(&StreamProgress {
                            lines_total: lines.len(),
                            lines_sent: run.sent,
                            lines_acked: run.acked,
                            in_flight_bytes: run.counter.in_flight_bytes(),
                            elapsed: started.elapsed(),
                            status: self.status.clone(),
                        });
                    }
                }
                // The reason names the port ("the serial port /dev/ttyUSB0 was lost: …").
                Err(GrblError::Link(err @ LinkError::Lost { .. })) => {
                    break self.lost(err.to_string());
                }
                Err(GrblError::Silent { .. }) => {
                    let reason = format!(
                        "no reply from the controller for {} s",
                        super::controller::SILENCE_LIMIT.as_secs()
                    );
                    break self.lost(reason);
                }
                Err(other) => return Err(other),
            }
        };
        Ok(StreamReport {
            end,
            lines_total: lines.len(),
            lines_sent: run.sent,
            lines_acked: run.acked,
            peak_in_flight_bytes: run.counter.peak_bytes(),
            wall: started.elapsed(),
        })
    }

    /// Runs `lines` through GRBL's check mode (`$C`): every line is parsed and answered, nothing
    /// moves and the laser never fires. Leaving check mode resets the controller, as GRBL does;
    /// this waits for its banner. A `Failed` end names the first line GRBL would refuse.
    pub fn check_program(
        &mut self,
        lines: &[String],
        controls: &Receiver<StreamControl>,
        on_progress: &mut dyn FnMut(&StreamProgress),
    ) -> Result<StreamReport, GrblError> {
        self.command("$C")?;
        if self.poll_status()?.state != MachineState::Check {
            return Err(GrblError::NotNow(
                "the controller did not enter check mode ($C)".into(),
            ));
        }
        let report = self.stream_in(MachineState::Check, lines, controls, on_progress);
        // Leave check mode only if still in it: after an alarm or a reset it is already off,
        // and a second `$C` would turn it back on.
        if self.alarm.is_none() && self.poll_status()?.state == MachineState::Check {
            self.command("$C")?;
            self.wait_banner()?;
            self.poll_status()?;
        }
        report
    }

    /// The laser-off attempt after losing the controller mid-job: a feed hold (the laser goes
    /// off with it) and `M5S0`; whether any of it could be written.
    fn lost(&mut self, reason: String) -> StreamEnd {
        let hold = self.link.send_realtime(RealTime::FeedHold).is_ok();
        let off = self.link.send_line("M5S0").is_ok();
        tracing::error!(
            "lost the controller on {} mid-job ({reason}); laser-off attempt {}",
            self.path(),
            if hold || off { "written" } else { "failed" }
        );
        StreamEnd::Lost {
            reason,
            laser_off: hold || off,
        }
    }

    /// One turn: controls, sending, polling, one read. True if progress changed.
    fn step(
        &mut self,
        run: &mut Run<'_>,
        controls: &Receiver<StreamControl>,
        next_poll: &mut Instant,
        last_heard: &mut Instant,
    ) -> Result<bool, GrblError> {
        while let Ok(control) = controls.try_recv() {
            match control {
                StreamControl::Hold => self.link.send_realtime(RealTime::FeedHold)?,
                StreamControl::Resume => self.link.send_realtime(RealTime::Resume)?,
                StreamControl::Override(byte) => self.link.send_realtime(byte)?,
                StreamControl::Reset => {
                    // Everything after the reset byte up to the banner is noise (a stray `ok`
                    // may come between `ALARM:3` and the banner): read through it here.
                    run.stop_sending = true;
                    self.link.send_realtime(RealTime::SoftReset)?;
                    self.wait_banner()?;
                    run.counter.clear();
                    run.end = Some(match self.alarm {
                        Some(code) => StreamEnd::Alarm { code },
                        None => StreamEnd::Reset,
                    });
                    return Ok(true);
                }
                StreamControl::Abort => {
                    run.stop_sending = true;
                    self.abort_keeping_position()?;
                    run.counter.clear();
                    run.end = Some(StreamEnd::Aborted);
                    return Ok(true);
                }
            }
        }
        let mut changed = false;
        while !run.stop_sending && run.sent < run.lines.len() {
            let line = &run.lines[run.sent];
            if !run.counter.fits(line.len() + 1) {
                break;
            }
            let bytes = self.link.send_line(line)?;
            run.counter.sent(bytes);
            run.sent += 1;
            changed = true;
        }
        if !run.stop_sending
            && run.sent == run.lines.len()
            && !run.finish_sent
            && run.counter.fits(FINISH_LINE.len() + 1)
        {
            let bytes = self.link.send_line(FINISH_LINE)?;
            run.counter.sent(bytes);
            run.finish_sent = true;
        }
        if Instant::now() >= *next_poll {
            self.link.send_realtime(RealTime::Status)?;
            *next_poll = Instant::now() + POLL_PERIOD;
        }
        let Some(reply) = self.link.read_reply(Duration::from_millis(2))? else {
            if last_heard.elapsed() > super::controller::SILENCE_LIMIT {
                return Err(self.silent());
            }
            return Ok(changed);
        };
        *last_heard = Instant::now();
        self.note(&reply);
        match reply {
            Reply::Ok | Reply::Error(_) => {
                if !run.counter.acknowledged() {
                    tracing::warn!("{}: an acknowledgement with nothing in flight", self.path());
                    return Ok(changed);
                }
                if run.acked < run.sent {
                    run.acked += 1;
                    if let Reply::Error(code) = reply
                        && run.failed.is_none()
                    {
                        let line_no = run.acked;
                        tracing::warn!(
                            "{}: line {line_no} `{}` refused with error:{code}; sending stopped",
                            self.path(),
                            run.lines[line_no - 1]
                        );
                        run.stop_sending = true;
                        run.failed = Some((line_no, code));
                    }
                } else if run.failed.is_none() {
                    // The finishing dwell's answer: the planner has emptied.
                    run.end = Some(match reply {
                        Reply::Error(code) => StreamEnd::Failed {
                            line_no: run.lines.len() + 1,
                            line: FINISH_LINE.to_owned(),
                            code,
                        },
                        _ => StreamEnd::Done,
                    });
                }
                if let Some((line_no, code)) = run.failed
                    && run.counter.lines_in_flight() == 0
                {
                    if run.laser_off_sent {
                        // `M5S0` answered: what was buffered has run and the laser is off.
                        run.end = Some(StreamEnd::Failed {
                            line_no,
                            line: run.lines[line_no - 1].clone(),
                            code,
                        });
                    } else {
                        // Sent as a counted line: controls and polls go on while the buffered
                        // moves finish (M5 waits for them).
                        let bytes = self.link.send_line("M5S0")?;
                        run.counter.sent(bytes);
                        run.laser_off_sent = true;
                    }
                }
                Ok(true)
            }
            Reply::Alarm(code) => {
                run.stop_sending = true;
                run.counter.clear();
                if code == 3 {
                    // A reset while moving: the banner follows; read up to it.
                    self.wait_banner()?;
                }
                run.end = Some(StreamEnd::Alarm { code: Some(code) });
                Ok(true)
            }
            Reply::Banner { .. } => {
                run.counter.clear();
                run.end = Some(StreamEnd::Reset);
                Ok(true)
            }
            Reply::Status(report) => {
                if report.state == MachineState::Alarm {
                    run.end = Some(StreamEnd::Alarm { code: None });
                }
                Ok(true)
            }
            _ => Ok(changed),
        }
    }
}
