//! An engraving job's status (`specs/qr-engraving.md`, Job queue): `queued → running → done`,
//! with `paused` (feed hold) between, and the ends `failed` (an `error:` or alarm), `interrupted`
//! (the port was lost or the station stopped mid-job: resumable from a chosen line) and
//! `cancelled`. A failed, interrupted or cancelled job may be queued again (a retry).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    Queued,
    Running,
    Paused,
    Done,
    Failed,
    Interrupted,
    Cancelled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        Self::Queued,
        Self::Running,
        Self::Paused,
        Self::Done,
        Self::Failed,
        Self::Interrupted,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
            Self::Cancelled => "cancelled",
        }
    }

    /// The job is on the machine (a station that stops now leaves it interrupted).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Running | Self::Paused)
    }

    /// The job has ended and may be queued again.
    pub fn may_retry(self) -> bool {
        matches!(self, Self::Failed | Self::Interrupted | Self::Cancelled)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown job status {0:?}: expected one of queued, running, paused, done, failed, interrupted, cancelled"
)]
pub struct JobStatusParseError(pub String);

impl FromStr for JobStatus {
    type Err = JobStatusParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == folded)
            .ok_or_else(|| JobStatusParseError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_retries_follow_ends() {
        for status in JobStatus::ALL {
            assert_eq!(status.as_str().parse::<JobStatus>(), Ok(status));
        }
        assert!("lost".parse::<JobStatus>().is_err());
        assert!(JobStatus::Interrupted.may_retry() && !JobStatus::Done.may_retry());
        assert!(JobStatus::Paused.is_active() && !JobStatus::Queued.is_active());
    }
}
