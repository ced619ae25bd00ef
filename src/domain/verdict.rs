//! A part's inspection verdict: ACCEPT, WARN (within limits but close to one) or REJECT, ordered
//! by severity so the part's verdict is the worst of its zones'. The CLI's exit code and the
//! stack light follow it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    Accept,
    Warn,
    Reject,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Self::Accept, Self::Warn, Self::Reject];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "ACCEPT",
            Self::Warn => "WARN",
            Self::Reject => "REJECT",
        }
    }

    /// Position in `ALL` (counters and charts keep one slot per verdict in this order).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The CLI's exit code: 0 accept, 1 warn, 2 reject.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Accept => 0,
            Self::Warn => 1,
            Self::Reject => 2,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown verdict {0:?}: write ACCEPT, WARN or REJECT")]
pub struct VerdictParseError(pub String);

impl FromStr for Verdict {
    type Err = VerdictParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|verdict| verdict.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| VerdictParseError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_wins_and_names_round_trip() {
        assert_eq!(
            [Verdict::Warn, Verdict::Accept].into_iter().max(),
            Some(Verdict::Warn)
        );
        assert!(Verdict::Reject > Verdict::Warn);
        for verdict in Verdict::ALL {
            assert_eq!(verdict.as_str().parse::<Verdict>(), Ok(verdict));
        }
        assert!("maybe".parse::<Verdict>().is_err());
        assert_eq!(
            serde_json::to_string(&Verdict::Reject).unwrap(),
            "\"REJECT\""
        );
    }
}
