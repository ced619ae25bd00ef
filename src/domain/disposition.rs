//! What happens to a part whose inspection was not ACCEPT: used as is, reworked, or scrapped.
//! An inspection waits for one (`Pending`) until someone allowed to signs it.

use std::fmt;
use std::str::FromStr;

use super::Verdict;

/// The decision on a part that did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// Use as is: the pores are judged harmless for this part.
    AcceptAsIs,
    Rework,
    Scrap,
}

impl Disposition {
    pub const ALL: [Disposition; 3] = [Self::AcceptAsIs, Self::Rework, Self::Scrap];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptAsIs => "accept_as_is",
            Self::Rework => "rework",
            Self::Scrap => "scrap",
        }
    }

    /// For people: "accept as is", "rework", "scrap".
    pub fn label(self) -> &'static str {
        match self {
            Self::AcceptAsIs => "accept as is",
            Self::Rework => "rework",
            Self::Scrap => "scrap",
        }
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown disposition {0:?}: write accept_as_is, rework or scrap")]
pub struct DispositionParseError(pub String);

impl FromStr for Disposition {
    type Err = DispositionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == text || d.label().eq_ignore_ascii_case(text))
            .ok_or_else(|| DispositionParseError(text.to_owned()))
    }
}

/// Where an inspection stands with respect to a disposition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DispositionState {
    /// ACCEPT: nothing to decide.
    NotNeeded,
    /// WARN or REJECT, not decided yet.
    Pending,
    Done(Disposition),
}

impl DispositionState {
    /// What a new inspection with `verdict` starts as.
    pub fn for_verdict(verdict: Verdict) -> Self {
        if verdict == Verdict::Accept {
            Self::NotNeeded
        } else {
            Self::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_only_non_accept_waits() {
        for d in Disposition::ALL {
            assert_eq!(d.as_str().parse::<Disposition>(), Ok(d));
            assert_eq!(d.label().parse::<Disposition>(), Ok(d));
        }
        assert!("keep".parse::<Disposition>().is_err());
        assert_eq!(
            DispositionState::for_verdict(Verdict::Accept),
            DispositionState::NotNeeded
        );
        assert_eq!(
            DispositionState::for_verdict(Verdict::Warn),
            DispositionState::Pending
        );
        assert_eq!(
            DispositionState::for_verdict(Verdict::Reject),
            DispositionState::Pending
        );
    }
}
