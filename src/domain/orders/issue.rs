//! An issue raised on a stage (something that stops or threatens the work) and its state
//! machine: `open → acknowledged → resolved`. The spec's order is kept strictly: an issue must
//! be acknowledged (someone owns it) before it is resolved, so the record shows who took it on.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// What kind of problem an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueType {
    Material,
    Machine,
    Quality,
    Safety,
    Other,
}

/// Where an issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueStatus {
    Open,
    Acknowledged,
    Resolved,
}

/// What someone does to an issue after raising it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssueAction {
    Acknowledge,
    Resolve,
}

impl IssueType {
    pub const ALL: [Self; 5] = [
        Self::Material,
        Self::Machine,
        Self::Quality,
        Self::Safety,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Material => "material",
            Self::Machine => "machine",
            Self::Quality => "quality",
            Self::Safety => "safety",
            Self::Other => "other",
        }
    }
}

impl IssueStatus {
    pub const ALL: [Self; 3] = [Self::Open, Self::Acknowledged, Self::Resolved];

    /// The actions allowed from this state.
    pub fn allowed(self) -> &'static [IssueAction] {
        match self {
            Self::Open => &[IssueAction::Acknowledge],
            Self::Acknowledged => &[IssueAction::Resolve],
            Self::Resolved => &[],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }
}

impl IssueAction {
    pub const ALL: [Self; 2] = [Self::Acknowledge, Self::Resolve];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Resolve => "resolve",
        }
    }

    /// The state the action leads to.
    fn target(self) -> IssueStatus {
        match self {
            Self::Acknowledge => IssueStatus::Acknowledged,
            Self::Resolve => IssueStatus::Resolved,
        }
    }
}

macro_rules! display_and_parse {
    ($type:ty, $what:literal, $expected:literal) => {
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $type {
            type Err = IssueParseError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let folded = text.trim().to_ascii_lowercase();
                Self::ALL
                    .into_iter()
                    .find(|value| value.as_str() == folded)
                    .ok_or_else(|| IssueParseError {
                        what: $what,
                        text: text.to_owned(),
                        expected: $expected,
                    })
            }
        }
    };
}

display_and_parse!(
    IssueType,
    "type",
    "material, machine, quality, safety, other"
);
display_and_parse!(IssueStatus, "status", "open, acknowledged, resolved");
display_and_parse!(IssueAction, "action", "acknowledge, resolve");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown issue {what} {text:?}: expected one of {expected}")]
pub struct IssueParseError {
    pub what: &'static str,
    pub text: String,
    pub expected: &'static str,
}

/// An action the state machine refuses; the message names the state and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IssueTransitionError {
    pub issue_id: i64,
    pub status: IssueStatus,
    pub action: IssueAction,
}

impl fmt::Display for IssueTransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "issue {} cannot {}: it is {}; allowed from {}: {}",
            self.issue_id,
            self.action,
            self.status,
            self.status,
            super::allowed_words(self.status.allowed())
        )
    }
}

/// An issue on a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageIssue {
    pub issue_type: IssueType,
    pub description: String,
    pub raised_by: String,
    pub raised_at_utc: DateTime<Utc>,
    pub status: IssueStatus,
}

impl IssueStatus {
    /// The state `action` leads to from here, or the refusal naming what is allowed.
    pub fn apply(self, issue_id: i64, action: IssueAction) -> Result<Self, IssueTransitionError> {
        if self.allowed().contains(&action) {
            Ok(action.target())
        } else {
            Err(IssueTransitionError {
                issue_id,
                status: self,
                action,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_action_has_the_expected_outcome() {
        use IssueAction::*;
        use IssueStatus::*;
        let table = [
            (Open, Acknowledge, Some(Acknowledged)),
            (Open, Resolve, None),
            (Acknowledged, Acknowledge, None),
            (Acknowledged, Resolve, Some(Resolved)),
            (Resolved, Acknowledge, None),
            (Resolved, Resolve, None),
        ];
        for (status, action, expected) in table {
            match (status.apply(7, action), expected) {
                (Ok(after), Some(expected)) => assert_eq!(after, expected),
                (Err(err), None) => {
                    let message = err.to_string();
                    assert!(message.starts_with("issue 7 cannot"), "{message}");
                    assert!(
                        message.contains(&format!("allowed from {status}:")),
                        "{message}"
                    );
                }
                (outcome, expected) => panic!("{status} {action}: {outcome:?}, not {expected:?}"),
            }
        }
    }

    #[test]
    fn refusals_name_the_allowed_actions() {
        assert_eq!(
            IssueStatus::Open
                .apply(3, IssueAction::Resolve)
                .unwrap_err()
                .to_string(),
            "issue 3 cannot resolve: it is open; allowed from open: acknowledge"
        );
        assert!(
            IssueStatus::Resolved
                .apply(3, IssueAction::Acknowledge)
                .unwrap_err()
                .to_string()
                .ends_with("allowed from resolved: none")
        );
    }

    #[test]
    fn names_parse_round_trip() {
        for kind in IssueType::ALL {
            assert_eq!(kind.as_str().parse::<IssueType>(), Ok(kind));
        }
        for status in IssueStatus::ALL {
            assert_eq!(status.as_str().parse::<IssueStatus>(), Ok(status));
        }
        let err = "electrical".parse::<IssueType>().unwrap_err();
        assert!(err.to_string().contains("material, machine"), "{err}");
    }
}
