//! One engraving job from payload to outcome: the plan (QR matrix → G-code → estimate) made from
//! the settings the job was queued with, the run (resume lines, check mode, the stream) and the
//! job's end in words. The CLI's `engrave` and the engraver worker both run jobs through this.

use std::borrow::Cow;

use crossbeam_channel::Receiver;

use super::grbl::{
    Grbl, GrblError, StreamControl, StreamEnd, StreamProgress, StreamReport, alarm_recovery,
    alarm_words, error_words,
};
use super::modal::ModalState;
use super::{Estimate, GcodeError, GcodeProgram, LaserSettings, estimate, qr_matrix, raster_gcode};
use crate::domain::JobStatus;

/// What a job will send and how long it should take.
#[derive(Debug, Clone)]
pub struct JobPlan {
    pub payload: String,
    pub settings: LaserSettings,
    pub program: GcodeProgram,
    pub estimate: Estimate,
    /// Modules per side of the code.
    pub modules: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("the job's settings: {0}")]
    Settings(String),
    #[error(transparent)]
    Gcode(#[from] GcodeError),
}

impl JobPlan {
    pub fn new(payload: &str, settings: &LaserSettings) -> Result<Self, JobError> {
        let matrix = qr_matrix(payload, settings.error_correction)?;
        let program = raster_gcode(&matrix, settings);
        let estimate = estimate(&program.text(), &settings.machine);
        Ok(Self {
            payload: payload.to_owned(),
            settings: settings.clone(),
            program,
            estimate,
            modules: matrix.modules(),
        })
    }

    /// The plan of a stored job (its settings as TOML).
    pub fn from_stored(payload: &str, settings_toml: &str) -> Result<Self, JobError> {
        let settings = LaserSettings::parse(settings_toml, "the stored job")
            .map_err(|err| JobError::Settings(err.to_string()))?;
        Self::new(payload, &settings)
    }

    pub fn lines_total(&self) -> u32 {
        u32::try_from(self.program.lines.len()).unwrap_or(u32::MAX)
    }

    /// Seconds left after `lines_acked` lines, by the estimate's share of lines.
    pub fn remaining_s(&self, lines_acked: usize) -> f64 {
        let total = self.program.lines.len().max(1) as f64;
        self.estimate.seconds * (1.0 - (lines_acked as f64 / total).min(1.0))
    }
}

/// What the runner asks of whoever runs a job (the engraver worker, the CLI).
pub trait JobHooks {
    /// Called while the check pass runs and once after it: false stops before the job starts
    /// (the station is stopping). A worker beats its heartbeat here.
    fn keep_going(&mut self) -> bool;
    /// Called after every change while the job runs; `lines_acked` counts in the job's own
    /// numbering (a resumed job's restore lines are not counted).
    fn progress(&mut self, lines_acked: usize, progress: &StreamProgress);
}

/// How one run of a job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    pub status: JobStatus,
    pub outcome: Option<String>,
    /// Lines acknowledged, in the job's numbering.
    pub lines_acked: usize,
    pub wall_s: f64,
    /// When the job was streamed.
    pub peak_in_flight_bytes: Option<usize>,
    /// The link to the controller is gone (the caller drops it; nothing is resent).
    pub link_lost: bool,
}

impl JobRun {
    fn before_start(status: JobStatus, outcome: String, start: usize, link_lost: bool) -> Self {
        Self {
            status,
            outcome: Some(outcome),
            lines_acked: start,
            wall_s: 0.0,
            peak_in_flight_bytes: None,
            link_lost,
        }
    }
}

/// How a stream's line numbers map onto the job's: a resumed job starts at line index `start`
/// after `restore` lines that rebuild the modal state.
#[derive(Debug, Clone, Copy)]
struct JobLines {
    start: usize,
    restore: usize,
}

impl JobLines {
    /// The job's lines acknowledged after `streamed` of the stream's.
    fn acked(self, streamed: usize) -> usize {
        self.start + streamed.saturating_sub(self.restore)
    }

    /// The report in the job's numbering (lines acknowledged, the refused line).
    fn report(self, mut report: StreamReport) -> StreamReport {
        report.lines_acked = self.acked(report.lines_acked);
        report.lines_sent = self.acked(report.lines_sent);
        report.lines_total = self.acked(report.lines_total);
        if let StreamEnd::Failed { line_no, .. } = &mut report.end {
            *line_no = self.acked(*line_no).max(1);
        }
        report
    }
}

/// Runs `plan` on `grbl` from line index `start` (0: the whole job; more: a resume, after the
/// lines that rebuild the modal state the earlier lines left, laser off on the way). The program
/// goes through check mode first, so a line GRBL would refuse fails the job before the laser
/// fires; then it is streamed with `controls`. `queued_lines` is the job's length when it was
/// queued: a resume of a program that has changed since is refused.
pub fn run_job(
    grbl: &mut Grbl,
    plan: &JobPlan,
    queued_lines: u32,
    start: usize,
    controls: &Receiver<StreamControl>,
    hooks: &mut dyn JobHooks,
) -> JobRun {
    if start > 0 && plan.lines_total() != queued_lines {
        let words = format!(
            "cannot resume: the job's program now has {} lines, it had {queued_lines} when it \
             was queued (the station was updated?); retry it from the start",
            plan.lines_total()
        );
        return JobRun::before_start(JobStatus::Failed, words, start, false);
    }
    let (lines, restore): (Cow<'_, [String]>, usize) = if start == 0 {
        (Cow::Borrowed(&plan.program.lines), 0)
    } else {
        match ModalState::resume_from(&plan.program.lines, start) {
            Ok((lines, restore)) => (Cow::Owned(lines), restore),
            Err(err) => {
                return JobRun::before_start(JobStatus::Failed, err.to_string(), start, false);
            }
        }
    };
    let numbering = JobLines { start, restore };
    let (_no_controls, idle) = crossbeam_channel::bounded(1);
    let checked = grbl.check_program(&lines, &idle, &mut |_| {
        hooks.keep_going();
    });
    match checked {
        Ok(_) if !hooks.keep_going() => {
            let words = "stopped before the job started".to_owned();
            return JobRun::before_start(JobStatus::Interrupted, words, start, false);
        }
        Ok(report) if report.end == StreamEnd::Done => {}
        Ok(report) => {
            let lost = matches!(report.end, StreamEnd::Lost { .. } | StreamEnd::Reset);
            let (status, words) = job_end(&numbering.report(report));
            let words = format!(
                "check mode, before the laser fired: {}",
                words.unwrap_or_default()
            );
            return JobRun::before_start(status, words, start, lost);
        }
        Err(err @ (GrblError::Link(_) | GrblError::Silent { .. })) => {
            let words = format!("check mode: {err}");
            return JobRun::before_start(JobStatus::Interrupted, words, start, true);
        }
        // Refused before anything ran (alarm lock, machine not idle): nothing burned.
        Err(err) => {
            let words = format!("not started: {err}");
            return JobRun::before_start(JobStatus::Cancelled, words, start, false);
        }
    }
    let streamed = grbl.stream(&lines, controls, &mut |progress| {
        hooks.progress(numbering.acked(progress.lines_acked), progress);
    });
    match streamed {
        Ok(report) => {
            let report = numbering.report(report);
            let (status, outcome) = job_end(&report);
            JobRun {
                status,
                outcome,
                lines_acked: report.lines_acked,
                wall_s: report.wall.as_secs_f64(),
                peak_in_flight_bytes: Some(report.peak_in_flight_bytes),
                link_lost: matches!(report.end, StreamEnd::Lost { .. }),
            }
        }
        // Refused before the first line was sent: nothing burned.
        Err(err) => JobRun::before_start(
            JobStatus::Cancelled,
            format!("not started: {err}"),
            start,
            false,
        ),
    }
}

/// The job's status and outcome in words for a stream that ended as `report` says.
pub fn job_end(report: &StreamReport) -> (JobStatus, Option<String>) {
    let at = report.lines_acked;
    match &report.end {
        StreamEnd::Done => (JobStatus::Done, None),
        StreamEnd::Failed {
            line_no,
            line,
            code,
        } => (
            JobStatus::Failed,
            Some(format!(
                "line {line_no} `{line}` refused with error:{code} ({})",
                error_words(*code)
            )),
        ),
        StreamEnd::Alarm { code } => (
            JobStatus::Failed,
            Some(match code {
                Some(code) => format!(
                    "ALARM:{code} after line {at}: {}. {}",
                    alarm_words(*code),
                    alarm_recovery(*code)
                ),
                None => format!("the controller went into alarm after line {at}"),
            }),
        ),
        StreamEnd::Aborted => (
            JobStatus::Cancelled,
            Some(format!(
                "aborted by the operator after line {at}; position kept"
            )),
        ),
        StreamEnd::Reset => (
            JobStatus::Interrupted,
            Some(format!(
                "the controller reset itself after line {at}; position lost, home or re-set the origin"
            )),
        ),
        StreamEnd::Lost { reason, laser_off } => (
            JobStatus::Interrupted,
            Some(format!(
                "{reason}; interrupted after line {at}; laser-off {}",
                if *laser_off {
                    "sent"
                } else {
                    "could not be sent: check the laser is off"
                }
            )),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_stored_plan_is_the_plan_it_was_queued_with() {
        let settings = LaserSettings {
            power_percent: 55.0,
            rotation_deg: 90.0,
            ..LaserSettings::default()
        };
        let plan = JobPlan::new("PAD-V0100-L2025-09-00001", &settings).unwrap();
        let stored = JobPlan::from_stored(&plan.payload, &settings.to_toml()).unwrap();
        assert_eq!(stored.settings, settings);
        assert_eq!(stored.program.lines, plan.program.lines);
        assert!((plan.remaining_s(0) - plan.estimate.seconds).abs() < 1e-9);
        assert_eq!(plan.remaining_s(plan.program.lines.len()), 0.0);
        assert!(JobPlan::from_stored("X", "power_percent = 300.0").is_err());
    }

    #[test]
    fn stream_ends_map_to_job_statuses_in_words() {
        let report = |end| StreamReport {
            end,
            lines_total: 10,
            lines_sent: 8,
            lines_acked: 6,
            peak_in_flight_bytes: 100,
            wall: Duration::from_secs(1),
        };
        assert_eq!(job_end(&report(StreamEnd::Done)), (JobStatus::Done, None));
        let (status, words) = job_end(&report(StreamEnd::Failed {
            line_no: 7,
            line: "G2X1".into(),
            code: 20,
        }));
        assert_eq!(status, JobStatus::Failed);
        assert!(
            words
                .unwrap()
                .contains("line 7 `G2X1` refused with error:20 (unsupported")
        );
        let (status, words) = job_end(&report(StreamEnd::Alarm { code: Some(3) }));
        assert_eq!(status, JobStatus::Failed);
        assert!(
            words
                .unwrap()
                .contains("ALARM:3 after line 6: reset while moving")
        );
        let (status, words) = job_end(&report(StreamEnd::Lost {
            reason: "gone".into(),
            laser_off: false,
        }));
        assert_eq!(status, JobStatus::Interrupted);
        assert!(words.unwrap().contains("check the laser is off"));
        assert_eq!(job_end(&report(StreamEnd::Aborted)).0, JobStatus::Cancelled);
    }
}
