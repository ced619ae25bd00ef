//! One engraving job from payload to outcome: the plan (QR matrix → G-code → estimate) made from
//! the settings the job was queued with, and the job's end in words from how the stream ended.
//! The CLI's `engrave` and the engraver worker both run jobs through this.

use super::grbl::{StreamEnd, StreamReport, alarm_recovery, alarm_words, error_words};
use super::{Estimate, GcodeError, GcodeProgram, LaserSettings, estimate, qr_matrix, raster_gcode};
use crate::domain::JobStatus;

/// What a job will send and how long it should take.
#[derive(Debug, Clone)]
pub struct JobPlan {
    pub payload: String,
    pub settings: LaserSettings,
    pub program: GcodeProgram,
    pub estimate: Estimate,
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
