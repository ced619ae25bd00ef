//! The session's verdict: the worst of its checks (a skipped check counts for nothing), with
//! the CLI's exit code. Deciding each check is `checks.rs`'s job.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::checks::{CheckResult, CheckStatus};

/// PASS, WARNING or FAIL, ordered by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Pass,
    Warning,
    Fail,
}

impl Verdict {
    pub const ALL: [Self; 3] = [Self::Pass, Self::Warning, Self::Fail];

    /// The worst status among `results`; PASS when every check passed or was skipped (check
    /// 8 warns whenever evidence is missing, so a session of `run_checks` with skipped checks
    /// is at least a WARNING).
    pub fn of(results: &[CheckResult]) -> Self {
        results
            .iter()
            .filter_map(|result| match result.status {
                CheckStatus::Pass => Some(Self::Pass),
                CheckStatus::Warning => Some(Self::Warning),
                CheckStatus::Fail => Some(Self::Fail),
                CheckStatus::Skipped => None,
            })
            .max()
            .unwrap_or(Self::Pass)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warning => "WARNING",
            Self::Fail => "FAIL",
        }
    }

    /// The CLI's exit code: 0 pass, 1 warning, 2 fail.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Pass => 0,
            Self::Warning => 1,
            Self::Fail => 2,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cross-check verdict {0:?}: write PASS, WARNING or FAIL")]
pub struct VerdictParseError(pub String);

impl FromStr for Verdict {
    type Err = VerdictParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|verdict| verdict.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| VerdictParseError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crosscheck::checks::{CHECKS, CheckResult};

    fn with(statuses: &[CheckStatus]) -> Vec<CheckResult> {
        statuses
            .iter()
            .zip(CHECKS.iter())
            .map(|(status, spec)| CheckResult {
                number: spec.number,
                name: spec.name,
                priority: spec.priority,
                status: *status,
                message: String::new(),
                values: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn the_verdict_is_the_worst_check_and_skipped_does_not_count() {
        use CheckStatus::*;
        assert_eq!(Verdict::of(&with(&[Pass, Pass, Skipped])), Verdict::Pass);
        assert_eq!(
            Verdict::of(&with(&[Pass, Warning, Skipped])),
            Verdict::Warning
        );
        assert_eq!(Verdict::of(&with(&[Fail, Warning, Pass])), Verdict::Fail);
        assert_eq!(Verdict::of(&with(&[Skipped, Skipped])), Verdict::Pass);
        assert_eq!(Verdict::of(&[]), Verdict::Pass);
    }

    #[test]
    fn names_exit_codes_and_parsing() {
        let codes: Vec<(&str, u8)> = Verdict::ALL
            .iter()
            .map(|v| (v.as_str(), v.exit_code()))
            .collect();
        assert_eq!(codes, [("PASS", 0), ("WARNING", 1), ("FAIL", 2)]);
        assert_eq!(" warning ".parse::<Verdict>(), Ok(Verdict::Warning));
        assert!("WARN".parse::<Verdict>().is_err());
        assert_eq!(serde_json::to_string(&Verdict::Fail).unwrap(), "\"FAIL\"");
    }
}
