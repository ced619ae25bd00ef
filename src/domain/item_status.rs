//! An item's lifecycle (`specs/qr-engraving.md`): `allocated → engraved → verified → in_stock →
//! consumed`, with the side exits `scrapped` and `engrave_failed`. The table of allowed moves is
//! data (`ItemStatus::next`); the store asks it before recording a transition.
//!
//! Decisions the spec leaves open:
//! - `scrapped` is reachable from every state that is not terminal; `consumed` and `scrapped`
//!   are terminal (a scrapped UID is never reused, see the store).
//! - `engrave_failed` is reachable from `allocated` (the job failed before or while marking)
//!   and from `engraved` (the mark was made but is unreadable). From `engrave_failed` the item
//!   may go back to `allocated` for a retry on a fresh part, keeping its UID, or be scrapped.
//! - A mark that does not verify stays `engraved` (scan again) until it is verified, failed or
//!   scrapped; nothing moves backwards except the retry.

use std::fmt;
use std::str::FromStr;

/// Where an item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemStatus {
    Allocated,
    Engraved,
    Verified,
    InStock,
    Consumed,
    Scrapped,
    EngraveFailed,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 7] = [
        Self::Allocated,
        Self::Engraved,
        Self::Verified,
        Self::InStock,
        Self::Consumed,
        Self::Scrapped,
        Self::EngraveFailed,
    ];

    /// The states this one may move to; empty for a terminal state.
    pub fn next(self) -> &'static [ItemStatus] {
        use ItemStatus::*;
        match self {
            Allocated => &[Engraved, EngraveFailed, Scrapped],
            Engraved => &[Verified, EngraveFailed, Scrapped],
            Verified => &[InStock, Scrapped],
            InStock => &[Consumed, Scrapped],
            EngraveFailed => &[Allocated, Scrapped],
            Consumed | Scrapped => &[],
        }
    }

    pub fn is_terminal(self) -> bool {
        self.next().is_empty()
    }

    /// Whether the lifecycle allows `self → to`; the error names the allowed moves.
    pub fn check_transition(self, to: ItemStatus) -> Result<(), TransitionError> {
        if self.next().contains(&to) {
            Ok(())
        } else {
            Err(TransitionError { from: self, to })
        }
    }

    /// The name stored in the database and used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allocated => "allocated",
            Self::Engraved => "engraved",
            Self::Verified => "verified",
            Self::InStock => "in_stock",
            Self::Consumed => "consumed",
            Self::Scrapped => "scrapped",
            Self::EngraveFailed => "engrave_failed",
        }
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct TransitionError {
    pub from: ItemStatus,
    pub to: ItemStatus,
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an item cannot go from {} to {}: ", self.from, self.to)?;
        let next = self.from.next();
        if next.is_empty() {
            write!(f, "{} is final, nothing may follow it", self.from)
        } else {
            let names: Vec<&str> = next.iter().map(|status| status.as_str()).collect();
            write!(f, "from {} it may go to {}", self.from, names.join(", "))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown item status {0:?}: expected one of allocated, engraved, verified, in_stock, consumed, scrapped, engrave_failed"
)]
pub struct ItemStatusParseError(pub String);

impl FromStr for ItemStatus {
    type Err = ItemStatusParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let folded = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == folded)
            .ok_or_else(|| ItemStatusParseError(text.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ItemStatus::*;
    use super::*;

    #[test]
    fn the_main_line_and_the_side_exits_are_allowed() {
        for (from, to) in [
            (Allocated, Engraved),
            (Engraved, Verified),
            (Verified, InStock),
            (InStock, Consumed),
            (Allocated, EngraveFailed),
            (Engraved, EngraveFailed),
            (EngraveFailed, Allocated),
        ] {
            from.check_transition(to).unwrap();
        }
        for from in ItemStatus::ALL {
            assert_eq!(
                from.check_transition(Scrapped).is_ok(),
                !from.is_terminal(),
                "{from} -> scrapped"
            );
        }
    }

    #[test]
    fn illegal_moves_name_the_allowed_ones() {
        let err = Allocated.check_transition(InStock).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an item cannot go from allocated to in_stock: from allocated it may go to engraved, engrave_failed, scrapped"
        );
        let err = Scrapped.check_transition(Allocated).unwrap_err();
        assert!(err.to_string().contains("scrapped is final"), "{err}");
        assert!(Verified.check_transition(Engraved).is_err());
        assert!(Consumed.check_transition(InStock).is_err());
    }

    #[test]
    fn names_round_trip() {
        for status in ItemStatus::ALL {
            assert_eq!(status.as_str().parse::<ItemStatus>(), Ok(status));
        }
        assert_eq!("In-Stock".parse::<ItemStatus>(), Ok(InStock));
        assert!(
            "lost"
                .parse::<ItemStatus>()
                .unwrap_err()
                .to_string()
                .contains("in_stock")
        );
    }
}
