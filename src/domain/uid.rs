//! Unique item identifiers (`specs/qr-engraving.md`): `{COMPONENT}-{VENDOR}-{LOT}-{SEQ}`, e.g.
//! `PAD-V0100-L2025-09-00001`. Parsing checks every part and a rejection names the part, the
//! value and the rule it broke.
//!
//! The lot rule is `L` + year + `-` + two-digit month by default. A plant may define its own
//! pattern instead (`LotRule::Pattern`), written without regular expressions: `#` is a digit,
//! `@` an upper-case letter, `*` either, and any other character (upper-case letters, digits,
//! `-`) stands for itself, e.g. `LOT-####@`. This keeps the rule readable on the config page and
//! needs no regex dependency. Allocation of sequences lives in the store, not here.

use std::fmt;
use std::str::FromStr;

/// The highest sequence number a lot can hold (five digits).
pub const MAX_SEQ: u32 = 99_999;

/// A part of a UID, as named in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UidPart {
    Component,
    Vendor,
    Lot,
    Sequence,
    Whole,
}

impl UidPart {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Component => "component type",
            Self::Vendor => "vendor code",
            Self::Lot => "lot number",
            Self::Sequence => "sequence",
            Self::Whole => "UID",
        }
    }
}

/// A rejected UID or UID part: which part, the value given, and the rule it must follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} {value:?} is not valid: {rule}", part.as_str())]
pub struct UidError {
    pub part: UidPart,
    pub value: String,
    pub rule: String,
}

fn reject(part: UidPart, value: &str, rule: impl Into<String>) -> UidError {
    UidError {
        part,
        value: value.to_owned(),
        rule: rule.into(),
    }
}

/// How lot numbers are checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LotRule {
    /// `L` + four-digit year + `-` + month 01–12, e.g. `L2025-09`.
    #[default]
    YearMonth,
    /// A plant-defined pattern (see the module doc), already checked by `LotRule::pattern`.
    Pattern(String),
}

/// Longest lot number a pattern may describe; keeps UIDs short enough for small codes.
const MAX_LOT_CHARS: usize = 20;

impl LotRule {
    /// A plant pattern: 2 to 20 characters of `#`, `@`, `*`, upper-case letters, digits and `-`,
    /// at least one of them a placeholder. The empty string means the default rule.
    pub fn pattern(pattern: &str) -> Result<Self, String> {
        let pattern = pattern.trim();
        if pattern.is_empty() {
            return Ok(Self::YearMonth);
        }
        let length = pattern.chars().count();
        if !(2..=MAX_LOT_CHARS).contains(&length) {
            return Err(format!(
                "a lot pattern has 2 to {MAX_LOT_CHARS} characters, {pattern:?} has {length}"
            ));
        }
        if let Some(bad) = pattern
            .chars()
            .find(|c| !matches!(c, '#' | '@' | '*' | '-' | 'A'..='Z' | '0'..='9'))
        {
            return Err(format!(
                "{bad:?} cannot appear in a lot pattern: use # (digit), @ (upper-case letter), * (either), or upper-case letters, digits and - as themselves"
            ));
        }
        if !pattern.contains(['#', '@', '*']) {
            return Err(format!(
                "the lot pattern {pattern:?} has no placeholder (#, @ or *): every lot would be the same"
            ));
        }
        if pattern.starts_with('-') || pattern.ends_with('-') {
            return Err(format!(
                "the lot pattern {pattern:?} may not start or end with '-' (the UID's separator)"
            ));
        }
        Ok(Self::Pattern(pattern.to_owned()))
    }

    /// How the rule reads in a message.
    pub fn describe(&self) -> String {
        match self {
            Self::YearMonth => {
                "L + four-digit year + '-' + two-digit month 01-12, e.g. L2025-09".to_owned()
            }
            Self::Pattern(pattern) => format!(
                "the plant's lot pattern {pattern:?} (# digit, @ upper-case letter, * either)"
            ),
        }
    }

    /// Checks a lot number against the rule.
    pub fn check(&self, lot: &str) -> Result<(), UidError> {
        let fits = match self {
            Self::YearMonth => {
                let bytes = lot.as_bytes();
                bytes.len() == 8
                    && bytes[0] == b'L'
                    && bytes[1..5].iter().all(u8::is_ascii_digit)
                    && bytes[5] == b'-'
                    && matches!(lot[6..].parse::<u8>(), Ok(1..=12))
                    && bytes[6..].iter().all(u8::is_ascii_digit)
            }
            Self::Pattern(pattern) => {
                lot.chars().count() == pattern.chars().count()
                    && pattern
                        .chars()
                        .zip(lot.chars())
                        .all(|(want, got)| match want {
                            '#' => got.is_ascii_digit(),
                            '@' => got.is_ascii_uppercase(),
                            '*' => got.is_ascii_digit() || got.is_ascii_uppercase(),
                            literal => got == literal,
                        })
            }
        };
        if fits {
            Ok(())
        } else {
            Err(reject(UidPart::Lot, lot, self.describe()))
        }
    }
}

/// Checks a component type: 2–8 upper-case letters or digits.
pub fn check_component(component: &str) -> Result<(), UidError> {
    let ok = (2..=8).contains(&component.len())
        && component
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(reject(
            UidPart::Component,
            component,
            "2 to 8 upper-case letters or digits, e.g. PAD",
        ))
    }
}

/// Checks a vendor code: `V` + 4 digits.
pub fn check_vendor(vendor: &str) -> Result<(), UidError> {
    let bytes = vendor.as_bytes();
    let ok = bytes.len() == 5 && bytes[0] == b'V' && bytes[1..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(reject(
            UidPart::Vendor,
            vendor,
            "V followed by 4 digits, e.g. V0100",
        ))
    }
}

/// Checks a sequence number: 1 to 99999.
pub fn check_seq(seq: u32) -> Result<(), UidError> {
    if (1..=MAX_SEQ).contains(&seq) {
        Ok(())
    } else {
        Err(reject(
            UidPart::Sequence,
            &seq.to_string(),
            format!("1 to {MAX_SEQ} (five digits)"),
        ))
    }
}

/// What every item of a lot shares: component type, vendor and lot, each checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LotKey {
    component: String,
    vendor: String,
    lot: String,
}

impl LotKey {
    pub fn new(component: &str, vendor: &str, lot: &str, rule: &LotRule) -> Result<Self, UidError> {
        check_component(component)?;
        check_vendor(vendor)?;
        rule.check(lot)?;
        Ok(Self {
            component: component.to_owned(),
            vendor: vendor.to_owned(),
            lot: lot.to_owned(),
        })
    }

    pub fn component(&self) -> &str {
        &self.component
    }

    pub fn vendor(&self) -> &str {
        &self.vendor
    }

    pub fn lot(&self) -> &str {
        &self.lot
    }

    /// The UID of item `seq` of this lot.
    pub fn uid(&self, seq: u32) -> Result<Uid, UidError> {
        check_seq(seq)?;
        Ok(Uid {
            key: self.clone(),
            seq,
        })
    }
}

/// A checked UID. Displays as `PAD-V0100-L2025-09-00001`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Uid {
    key: LotKey,
    seq: u32,
}

impl Uid {
    /// Parses `text` with `rule` for the lot. The lot may itself contain `-`: the component is
    /// before the first `-`, the vendor before the second, the sequence after the last.
    pub fn parse(text: &str, rule: &LotRule) -> Result<Self, UidError> {
        let shape = "COMPONENT-VENDOR-LOT-SEQUENCE, e.g. PAD-V0100-L2025-09-00001";
        let mut head = text.splitn(3, '-');
        let (Some(component), Some(vendor), Some(rest)) = (head.next(), head.next(), head.next())
        else {
            return Err(reject(UidPart::Whole, text, shape));
        };
        let Some((lot, seq_text)) = rest.rsplit_once('-') else {
            return Err(reject(UidPart::Whole, text, shape));
        };
        let key = LotKey::new(component, vendor, lot, rule)?;
        let seq = if seq_text.len() == 5 && seq_text.bytes().all(|b| b.is_ascii_digit()) {
            seq_text.parse::<u32>().ok()
        } else {
            None
        }
        .ok_or_else(|| {
            reject(
                UidPart::Sequence,
                seq_text,
                format!("exactly 5 digits, 00001 to {MAX_SEQ}"),
            )
        })?;
        key.uid(seq)
    }

    pub fn key(&self) -> &LotKey {
        &self.key
    }

    pub fn component(&self) -> &str {
        &self.key.component
    }

    pub fn vendor(&self) -> &str {
        &self.key.vendor
    }

    pub fn lot(&self) -> &str {
        &self.key.lot
    }

    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{}-{:05}",
            self.key.component, self.key.vendor, self.key.lot, self.seq
        )
    }
}

/// Parses with the default lot rule.
impl FromStr for Uid {
    type Err = UidError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text, &LotRule::default())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example_round_trips() {
        let uid: Uid = "PAD-V0100-L2025-09-00001".parse().unwrap();
        assert_eq!(uid.component(), "PAD");
        assert_eq!(uid.vendor(), "V0100");
        assert_eq!(uid.lot(), "L2025-09");
        assert_eq!(uid.seq(), 1);
        assert_eq!(uid.to_string(), "PAD-V0100-L2025-09-00001");
        let uid: Uid = "BRKT2-V9999-L1999-12-99999".parse().unwrap();
        assert_eq!(uid.seq(), MAX_SEQ);
    }

    #[test]
    fn every_rejection_names_the_part_and_the_rule() {
        let cases = [
            ("pad-V0100-L2025-09-00001", UidPart::Component, "upper-case"),
            ("P-V0100-L2025-09-00001", UidPart::Component, "2 to 8"),
            (
                "PADPADPAD-V0100-L2025-09-00001",
                UidPart::Component,
                "2 to 8",
            ),
            ("PAD-V100-L2025-09-00001", UidPart::Vendor, "4 digits"),
            ("PAD-X0100-L2025-09-00001", UidPart::Vendor, "V followed"),
            ("PAD-V0100-L2025-13-00001", UidPart::Lot, "month 01-12"),
            (
                "PAD-V0100-2025-09-00001",
                UidPart::Lot,
                "L + four-digit year",
            ),
            ("PAD-V0100-L2025-09-0001", UidPart::Sequence, "5 digits"),
            ("PAD-V0100-L2025-09-00000", UidPart::Sequence, "1 to 99999"),
            ("PAD-V0100-L2025-09-1234a", UidPart::Sequence, "5 digits"),
            ("PAD-V0100", UidPart::Whole, "COMPONENT-VENDOR"),
        ];
        for (text, part, rule) in cases {
            let err = text.parse::<Uid>().unwrap_err();
            assert_eq!(err.part, part, "{text}: {err}");
            let message = err.to_string();
            assert!(message.starts_with(part.as_str()), "{message}");
            assert!(message.contains(rule), "{text}: {message}");
        }
    }

    #[test]
    fn a_plant_pattern_replaces_the_default_lot_rule() {
        let rule = LotRule::pattern("LOT-####@").unwrap();
        let uid = Uid::parse("PCA-V0001-LOT-0042B-00007", &rule).unwrap();
        assert_eq!(uid.lot(), "LOT-0042B");
        assert_eq!(uid.to_string(), "PCA-V0001-LOT-0042B-00007");
        let err = Uid::parse("PCA-V0001-L2025-09-00007", &rule).unwrap_err();
        assert_eq!(err.part, UidPart::Lot);
        assert!(err.to_string().contains("LOT-####@"), "{err}");
        assert!(rule.check("LOT-004XB").is_err());
        assert_eq!(LotRule::pattern(" ").unwrap(), LotRule::YearMonth);
        assert!(
            LotRule::pattern("L2025")
                .unwrap_err()
                .contains("placeholder")
        );
        assert!(LotRule::pattern("l###").unwrap_err().contains("'l'"));
        assert!(LotRule::pattern("-###").unwrap_err().contains("separator"));
    }

    #[test]
    fn a_lot_key_makes_uids_within_the_sequence_range() {
        let key = LotKey::new("PAD", "V0100", "L2025-09", &LotRule::default()).unwrap();
        assert_eq!(key.uid(42).unwrap().to_string(), "PAD-V0100-L2025-09-00042");
        assert_eq!(key.uid(100_000).unwrap_err().part, UidPart::Sequence);
        let err = LotKey::new("PAD", "V01", "L2025-09", &LotRule::default()).unwrap_err();
        assert!(err.to_string().starts_with("vendor code \"V01\""), "{err}");
    }
}
