//! A stage of a work order and its state machine: `planned → in_progress → done`, with
//! `blocked` reachable from `planned` and `in_progress`. A blocked stage remembers where it came
//! from (`blocked_from`) and `unblock` returns it there, so blocking never loses progress.
//! `start` stamps the actual start, `finish` the actual end; blocking stamps neither.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// Where a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageStatus {
    Planned,
    InProgress,
    Done,
    Blocked,
}

/// What someone does to a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StageAction {
    Start,
    Finish,
    Block,
    Unblock,
}

impl StageStatus {
    pub const ALL: [Self; 4] = [Self::Planned, Self::InProgress, Self::Done, Self::Blocked];

    /// The actions allowed from this state, in the order a person would take them.
    pub fn allowed(self) -> &'static [StageAction] {
        use StageAction::*;
        match self {
            Self::Planned => &[Start, Block],
            Self::InProgress => &[Finish, Block],
            Self::Blocked => &[Unblock],
            Self::Done => &[],
        }
    }

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Blocked => "blocked",
        }
    }
}

impl StageAction {
    pub const ALL: [Self; 4] = [Self::Start, Self::Finish, Self::Block, Self::Unblock];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Finish => "finish",
            Self::Block => "block",
            Self::Unblock => "unblock",
        }
    }
}

impl fmt::Display for StageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for StageAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stage {what} {text:?}: expected one of {expected}")]
pub struct StageParseError {
    pub what: &'static str,
    pub text: String,
    pub expected: &'static str,
}

impl FromStr for StageStatus {
    type Err = StageParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == folded)
            .ok_or_else(|| StageParseError {
                what: "status",
                text: text.to_owned(),
                expected: "planned, in_progress, done, blocked",
            })
    }
}

impl FromStr for StageAction {
    type Err = StageParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == folded)
            .ok_or_else(|| StageParseError {
                what: "action",
                text: text.to_owned(),
                expected: "start, finish, block, unblock",
            })
    }
}

/// An action the state machine refuses; the message names the state and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct StageTransitionError {
    pub stage: String,
    pub status: StageStatus,
    pub action: StageAction,
}

impl fmt::Display for StageTransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stage '{}' cannot {}: it is {}; allowed from {}: {}",
            self.stage,
            self.action,
            self.status,
            self.status,
            super::allowed_words(self.status.allowed())
        )
    }
}

/// One step of a work order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub name: String,
    /// 1 for the first stage of the routing.
    pub sequence: u32,
    pub planned_start_utc: DateTime<Utc>,
    pub planned_end_utc: DateTime<Utc>,
    pub actual_start_utc: Option<DateTime<Utc>>,
    pub actual_end_utc: Option<DateTime<Utc>>,
    pub status: StageStatus,
    /// The state a blocked stage returns to; `None` unless `status` is `Blocked`.
    pub blocked_from: Option<StageStatus>,
}

impl Stage {
    /// Applies `action` at `at`, or refuses it leaving the stage unchanged.
    pub fn apply(
        &mut self,
        action: StageAction,
        at: DateTime<Utc>,
    ) -> Result<(), StageTransitionError> {
        let refused = || StageTransitionError {
            stage: self.name.clone(),
            status: self.status,
            action,
        };
        if !self.status.allowed().contains(&action) {
            return Err(refused());
        }
        match action {
            StageAction::Start => {
                self.status = StageStatus::InProgress;
                self.actual_start_utc = Some(at);
            }
            StageAction::Finish => {
                self.status = StageStatus::Done;
                self.actual_end_utc = Some(at);
            }
            StageAction::Block => {
                self.blocked_from = Some(self.status);
                self.status = StageStatus::Blocked;
            }
            StageAction::Unblock => {
                // A blocked stage without its origin (a hand-edited row) is refused rather
                // than guessed.
                let back = self.blocked_from.ok_or_else(refused)?;
                self.status = back;
                self.blocked_from = None;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
    }

    fn stage(status: StageStatus, blocked_from: Option<StageStatus>) -> Stage {
        Stage {
            name: "assembly".into(),
            sequence: 2,
            planned_start_utc: at(8),
            planned_end_utc: at(10),
            actual_start_utc: None,
            actual_end_utc: None,
            status,
            blocked_from,
        }
    }

    #[test]
    fn every_state_and_action_has_the_expected_outcome() {
        use StageAction::*;
        use StageStatus::*;
        // (state, blocked_from, action, expected status and blocked_from after, or refused)
        type After = Option<(StageStatus, Option<StageStatus>)>;
        let table: &[(StageStatus, Option<StageStatus>, StageAction, After)] = &[
            (Planned, None, Start, Some((InProgress, None))),
            (Planned, None, Finish, None),
            (Planned, None, Block, Some((Blocked, Some(Planned)))),
            (Planned, None, Unblock, None),
            (InProgress, None, Start, None),
            (InProgress, None, Finish, Some((Done, None))),
            (InProgress, None, Block, Some((Blocked, Some(InProgress)))),
            (InProgress, None, Unblock, None),
            (Done, None, Start, None),
            (Done, None, Finish, None),
            (Done, None, Block, None),
            (Done, None, Unblock, None),
            (Blocked, Some(Planned), Start, None),
            (Blocked, Some(Planned), Finish, None),
            (Blocked, Some(Planned), Block, None),
            (Blocked, Some(Planned), Unblock, Some((Planned, None))),
            (Blocked, Some(InProgress), Start, None),
            (Blocked, Some(InProgress), Finish, None),
            (Blocked, Some(InProgress), Block, None),
            (Blocked, Some(InProgress), Unblock, Some((InProgress, None))),
        ];
        assert_eq!(table.len(), 20, "4 actions from each of 5 states");
        for &(status, from, action, expected) in table {
            let mut subject = stage(status, from);
            let before = subject.clone();
            let outcome = subject.apply(action, at(9));
            match expected {
                Some((after, after_from)) => {
                    assert!(outcome.is_ok(), "{status} {action}: {outcome:?}");
                    assert_eq!((subject.status, subject.blocked_from), (after, after_from));
                }
                None => {
                    let err = outcome.unwrap_err();
                    assert_eq!(subject, before, "a refusal changes nothing");
                    let message = err.to_string();
                    assert!(message.contains(&format!("it is {status}")), "{message}");
                    assert!(
                        message.contains(&format!("allowed from {status}:")),
                        "{message}"
                    );
                    assert!(message.contains("'assembly'"), "{message}");
                }
            }
        }
    }

    #[test]
    fn refusals_name_the_allowed_actions() {
        let err = stage(StageStatus::Done, None)
            .apply(StageAction::Start, at(9))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "stage 'assembly' cannot start: it is done; allowed from done: none"
        );
        let err = stage(StageStatus::Planned, None)
            .apply(StageAction::Finish, at(9))
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("allowed from planned: start, block"),
            "{err}"
        );
        let err = stage(StageStatus::InProgress, None)
            .apply(StageAction::Unblock, at(9))
            .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("allowed from in_progress: finish, block"),
            "{err}"
        );
    }

    #[test]
    fn start_and_finish_stamp_actual_times_and_blocking_keeps_them() {
        let mut subject = stage(StageStatus::Planned, None);
        subject.apply(StageAction::Start, at(9)).unwrap();
        subject.apply(StageAction::Block, at(10)).unwrap();
        subject.apply(StageAction::Unblock, at(11)).unwrap();
        subject.apply(StageAction::Finish, at(12)).unwrap();
        assert_eq!(subject.actual_start_utc, Some(at(9)));
        assert_eq!(subject.actual_end_utc, Some(at(12)));
        assert_eq!(subject.status, StageStatus::Done);
    }

    #[test]
    fn a_blocked_stage_without_its_origin_is_refused() {
        let mut subject = stage(StageStatus::Blocked, None);
        assert!(subject.apply(StageAction::Unblock, at(9)).is_err());
    }

    #[test]
    fn names_parse_round_trip() {
        for status in StageStatus::ALL {
            assert_eq!(status.as_str().parse::<StageStatus>(), Ok(status));
        }
        for action in StageAction::ALL {
            assert_eq!(action.as_str().parse::<StageAction>(), Ok(action));
        }
        assert!("paused".parse::<StageStatus>().is_err());
    }
}
