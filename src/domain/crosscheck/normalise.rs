//! Normalisation of one raw value of a known field (spec, "Rules for normalisation"): trim,
//! strip the field's own label (`Rev F2`, `Job No.: 12345`), collapse separators to `-`,
//! upper-case, match the configured pattern, and add a missing prefix only when the context
//! says what the value is. The raw text is kept beside the value.
//!
//! This file decides what one string is; finding values in lines and correcting OCR
//! look-alikes is `fielding.rs`'s job. It never guesses a field for a bare number.

use serde::{Deserialize, Serialize};

use super::fields::{CompiledPatterns, FieldKind};

/// One look-alike character corrected by the OCR fielding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// Position of the corrected character in `Normalised::value`, counted in characters.
    pub at: usize,
    /// The character as read (`I`, `l`, `O`).
    pub from: char,
    /// The character in the value (`1`, `0`).
    pub to: char,
}

/// A field value in its canonical form, with the text it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Normalised {
    /// The text as read, without its label (`12345-0001` beside "Board S/N").
    pub raw: String,
    /// The canonical value (`VGN-12345-0001`).
    pub value: String,
    /// 0–1: the reader's confidence, lowered for each look-alike correction. `normalise`
    /// itself gives 1.0 (the text as given is taken as read).
    pub confidence: f32,
    /// The value matched only after normalisation beyond case and trimming: separators
    /// changed or inserted, or a missing prefix added.
    pub normalised: bool,
    /// The prefix was missing and was added because a label or column said what it is.
    pub prefix_added: bool,
    /// Look-alike characters corrected (OCR only); empty for text taken as read.
    pub corrections: Vec<Correction>,
}

/// The canonical value of `raw` as field `kind`, or `None` when it is not one.
///
/// `labelled` says the context names the field (a "Board S/N" label, a BOM column, a label
/// region trained for it); only then is a missing prefix added. A label of the field at the
/// start of `raw` (`Unit S/N 1619`, `Rev F2`) is stripped and counts as context.
///
/// Flight status: `NOT FOR FLIGHT` (or `NON-FLIGHT`) anywhere means `EDU`; otherwise a marking
/// made only of marking words (`EDU`, `FLIGHT`, `FLIGHT UNIT`, `EDU - ...`) gives `EDU` when it
/// says EDU, else `FLIGHT`.
pub fn normalise(
    kind: FieldKind,
    raw: &str,
    labelled: bool,
    patterns: &CompiledPatterns,
) -> Option<Normalised> {
    if kind == FieldKind::FlightStatus {
        return flight_status(raw, patterns);
    }
    let prepared = prepare(kind, raw, labelled, patterns)?;
    let matched = match_value(kind, &prepared.chars, prepared.labelled, patterns)?;
    Some(prepared.finish(raw, &matched, 1.0))
}

/// Characters that separate the groups of a value; runs of them become one `-`.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '_' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
        )
}

/// Punctuation between a label and its value (`Job No.: 12345`, `JOB#12345`, `S/N - ...`).
pub(super) fn is_label_punctuation(c: char) -> bool {
    c.is_whitespace() || is_separator(c) || matches!(c, ':' | '#' | '.' | '=' | '/')
}

pub(super) fn upper(c: char) -> char {
    let mut chars = c.to_uppercase();
    match (chars.next(), chars.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// A character of a value being matched, with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Ch {
    /// As read (lower case kept: `l` is a look-alike of `1`, `L` is not).
    pub read: char,
    /// What is matched: upper-case, or the look-alike it was corrected to.
    pub upper: char,
    /// Replaced by a look-alike correction.
    pub corrected: bool,
}

impl Ch {
    fn read(c: char) -> Self {
        Self {
            read: c,
            upper: upper(c),
            corrected: false,
        }
    }

    /// A character normalisation inserted (a prefix, a `-`), not read.
    fn inserted(c: char) -> Self {
        Self {
            read: c,
            upper: c,
            corrected: false,
        }
    }
}

/// A value's text after trimming, label stripping and separator collapsing.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    pub chars: Vec<Ch>,
    /// The context names the field (given, or a label was stripped).
    pub labelled: bool,
    /// Collapsing separators changed the text beyond case.
    separators_changed: bool,
}

/// Whether `label` (any case; a space matches a run of whitespace) starts at `chars[start]` at
/// word boundaries; the index after it.
pub(super) fn label_at(chars: &[char], start: usize, label: &str) -> Option<usize> {
    let (end, needs_boundary) = label_match(chars, start, label)?;
    if needs_boundary && chars.get(end).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    Some(end)
}

/// Where `label` ends when it starts at `chars[start]` after a word boundary, and whether it
/// must be followed by one (it ends in a letter or digit: `REV` is not the start of
/// `REVIEW`; one ending in punctuation, `PART #`, ends there).
pub(super) fn label_match(chars: &[char], start: usize, label: &str) -> Option<(usize, bool)> {
    if start > 0 && chars[start - 1].is_alphanumeric() {
        return None;
    }
    let mut at = start;
    let mut last = None;
    for word in label.split_whitespace() {
        if last.is_some() {
            let spaces = chars[at..].iter().take_while(|c| c.is_whitespace()).count();
            if spaces == 0 {
                return None;
            }
            at += spaces;
        }
        for wanted in word.chars() {
            if chars.get(at).map(|c| upper(*c)) != Some(upper(wanted)) {
                return None;
            }
            at += 1;
            last = Some(wanted);
        }
    }
    last.map(|last| (at, last.is_alphanumeric()))
}

/// The labels longest first, so `UNIT S/N` wins over `S/N` and `JOB NO` over `JOB`.
pub(super) fn longest_first(labels: &[String]) -> Vec<&str> {
    let mut sorted: Vec<&str> = labels.iter().map(|l| l.trim()).collect();
    sorted.sort_by_key(|label| std::cmp::Reverse(label.chars().count()));
    sorted
}

/// Trims `raw`, strips a leading label of `kind` and collapses separators.
pub(super) fn prepare(
    kind: FieldKind,
    raw: &str,
    labelled: bool,
    patterns: &CompiledPatterns,
) -> Option<Prepared> {
    let chars: Vec<char> = raw.chars().collect();
    let mut start = chars.iter().take_while(|c| c.is_whitespace()).count();
    let end = chars.len()
        - chars[start..]
            .iter()
            .rev()
            .take_while(|c| c.is_whitespace())
            .count();
    let mut labelled = labelled;
    let found = longest_first(patterns.labels(kind))
        .into_iter()
        .find_map(|label| label_at(&chars[..end], start, label));
    if let Some(after) = found {
        start = after
            + chars[after..end]
                .iter()
                .take_while(|c| is_label_punctuation(**c))
                .count();
        labelled = true;
    }
    let taken = &chars[start..end];
    let mut out: Vec<Ch> = Vec::with_capacity(taken.len());
    let mut in_separator = false;
    for &c in taken {
        if is_separator(c) {
            if !in_separator && !out.is_empty() {
                out.push(Ch::read('-'));
            }
            in_separator = true;
        } else {
            out.push(Ch::read(c));
            in_separator = false;
        }
    }
    if out.last().is_some_and(|c| c.upper == '-') {
        out.pop();
    }
    if out.is_empty() {
        return None;
    }
    let before: String = taken.iter().map(|c| upper(*c)).collect();
    let after: String = out.iter().map(|c| c.upper).collect();
    Some(Prepared {
        chars: out,
        labelled,
        separators_changed: before != after,
    })
}

/// A value that matched its pattern.
#[derive(Debug, Clone)]
pub(super) struct Matched {
    pub value: Vec<Ch>,
    prefix_added: bool,
    separator_inserted: bool,
}

impl Matched {
    pub fn text(&self) -> String {
        self.value.iter().map(|c| c.upper).collect()
    }
}

/// Matches prepared characters (their `upper`) against the field's pattern: `PREFIX-BODY`,
/// `PREFIXBODY` (the `-` is inserted), or a bare body with the missing prefix added when
/// `labelled`. Fields without prefixes match the body alone.
pub(super) fn match_value(
    kind: FieldKind,
    chars: &[Ch],
    labelled: bool,
    patterns: &CompiledPatterns,
) -> Option<Matched> {
    let pattern = patterns.pattern(kind)?;
    let text: String = chars.iter().map(|c| c.upper).collect();
    if pattern.prefixes.is_empty() {
        return patterns.body_matches(kind, &text).then(|| Matched {
            value: chars.to_vec(),
            prefix_added: false,
            separator_inserted: false,
        });
    }
    for prefix in &pattern.prefixes {
        let Some(rest) = text.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let prefix_len = prefix.chars().count();
        let separator_inserted = !rest.starts_with('-');
        let body_start = if separator_inserted {
            prefix_len
        } else {
            prefix_len + 1
        };
        let body: String = chars[body_start..].iter().map(|c| c.upper).collect();
        if body.is_empty() || !patterns.body_matches(kind, &body) {
            continue;
        }
        let mut value = chars[..prefix_len].to_vec();
        if separator_inserted {
            value.push(Ch::inserted('-'));
        } else {
            value.push(chars[prefix_len]);
        }
        value.extend_from_slice(&chars[body_start..]);
        return Some(Matched {
            value,
            prefix_added: false,
            separator_inserted,
        });
    }
    if labelled && !pattern.missing_prefix.is_empty() && patterns.body_matches(kind, &text) {
        let mut value: Vec<Ch> = pattern.missing_prefix.chars().map(Ch::inserted).collect();
        value.push(Ch::inserted('-'));
        value.extend_from_slice(chars);
        return Some(Matched {
            value,
            prefix_added: true,
            separator_inserted: true,
        });
    }
    None
}

impl Prepared {
    /// The result for a match of these characters (possibly with corrections applied).
    pub(super) fn finish(&self, raw: &str, matched: &Matched, confidence: f32) -> Normalised {
        let corrections = matched
            .value
            .iter()
            .enumerate()
            .filter(|(_, c)| c.corrected)
            .map(|(at, c)| Correction {
                at,
                from: c.read,
                to: c.upper,
            })
            .collect();
        Normalised {
            raw: raw.trim().to_owned(),
            value: matched.text(),
            confidence,
            normalised: self.separators_changed
                || matched.prefix_added
                || matched.separator_inserted,
            prefix_added: matched.prefix_added,
            corrections,
        }
    }
}

/// A word the OCR ran together from marking words (`FLIGHTUNIT`, `NOTFORFLIGHT`), split
/// back; `None` when it is not made of them.
fn marking_words_in(word: &str) -> Option<Vec<&str>> {
    if word.is_empty() {
        return Some(Vec::new());
    }
    MARKING_WORDS.iter().find_map(|marking| {
        let rest = word.strip_prefix(marking)?;
        let mut words = marking_words_in(rest)?;
        words.insert(0, &word[..marking.len()]);
        Some(words)
    })
}

/// Words a flight-status marking may consist of.
const MARKING_WORDS: [&str; 10] = [
    "EDU",
    "NOT",
    "FOR",
    "FLIGHT",
    "UNIT",
    "NON",
    "NONFLIGHT",
    "HARDWARE",
    "ONLY",
    "USE",
];

fn flight_status(raw: &str, patterns: &CompiledPatterns) -> Option<Normalised> {
    let chars: Vec<char> = raw.trim().chars().collect();
    let start = longest_first(patterns.labels(FieldKind::FlightStatus))
        .into_iter()
        .find_map(|label| label_at(&chars, 0, label))
        .unwrap_or(0);
    let text: String = chars[start..].iter().map(|c| upper(*c)).collect();
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .flat_map(|word| marking_words_in(word).unwrap_or_else(|| vec![word]))
        .collect();
    // NOT FOR FLIGHT contains the word FLIGHT: look for it first, anywhere.
    let not_for_flight = words.windows(3).any(|w| w == ["NOT", "FOR", "FLIGHT"])
        || words.windows(2).any(|w| w == ["NON", "FLIGHT"])
        || words.contains(&"NONFLIGHT");
    let value = if not_for_flight {
        "EDU"
    } else if words.is_empty() || !words.iter().all(|w| MARKING_WORDS.contains(w)) {
        return None;
    } else if words.contains(&"EDU") {
        "EDU"
    } else if words.contains(&"FLIGHT") {
        "FLIGHT"
    } else {
        return None;
    };
    Some(Normalised {
        raw: raw.trim().to_owned(),
        value: value.to_owned(),
        confidence: 1.0,
        normalised: false,
        prefix_added: false,
        corrections: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crosscheck::fields::FieldPatterns;

    fn n(kind: FieldKind, raw: &str, labelled: bool) -> Option<Normalised> {
        normalise(kind, raw, labelled, &CompiledPatterns::default())
    }

    fn value(kind: FieldKind, raw: &str, labelled: bool) -> Option<String> {
        n(kind, raw, labelled).map(|v| v.value)
    }

    #[test]
    fn vector_bare_board_serial_beside_board_sn_gets_its_prefix() {
        let v = n(FieldKind::BoardSerial, "12345-0001", true).unwrap();
        assert_eq!(v.value, "VGN-12345-0001");
        assert_eq!(v.raw, "12345-0001");
        assert!(v.normalised);
        assert!(v.prefix_added);
        assert_eq!(v.confidence, 1.0);
        assert!(v.corrections.is_empty());
    }

    #[test]
    fn vector_board_serial_with_spaces() {
        let v = n(FieldKind::BoardSerial, "VGN 12345 0001", false).unwrap();
        assert_eq!(v.value, "VGN-12345-0001");
        assert!(v.normalised, "separators changed");
        assert!(!v.prefix_added);
    }

    #[test]
    fn vector_bare_unit_serial_beside_unit_sn_gets_its_prefix() {
        let v = n(FieldKind::UnitSerial, "1619", true).unwrap();
        assert_eq!(v.value, "INF-1619");
        assert!(v.normalised);
        assert!(v.prefix_added);
    }

    #[test]
    fn vector_part_number_without_separator() {
        let v = n(FieldKind::PartNumber, "PCA1555-01", false).unwrap();
        assert_eq!(v.value, "PCA-1555-01");
        assert!(v.normalised);
    }

    #[test]
    fn bare_numbers_are_never_prefixed() {
        assert_eq!(value(FieldKind::BoardSerial, "12345-0001", false), None);
        assert_eq!(value(FieldKind::UnitSerial, "1619", false), None);
        // Part numbers have no missing prefix: PCA and DRW are different documents.
        assert_eq!(value(FieldKind::PartNumber, "1555-01", true), None);
    }

    #[test]
    fn case_and_trim_alone_are_not_normalisation() {
        let v = n(FieldKind::PartNumber, "  pca-1555-01 ", false).unwrap();
        assert_eq!(v.value, "PCA-1555-01");
        assert!(!v.normalised);
        assert_eq!(v.raw, "pca-1555-01");
        let v = n(FieldKind::PartNumber, "PCA 1555 01", false).unwrap();
        assert_eq!(v.value, "PCA-1555-01");
        assert!(v.normalised);
        assert_eq!(
            value(FieldKind::PartNumber, "DRW_2044\u{2013}03", false).as_deref(),
            Some("DRW-2044-03")
        );
        assert_eq!(
            value(FieldKind::BoardSerial, "VGN12345\u{2014}0001", false).as_deref(),
            Some("VGN-12345-0001")
        );
    }

    #[test]
    fn wrong_shapes_and_unknown_prefixes_are_refused() {
        assert_eq!(value(FieldKind::BoardSerial, "VGN-1234-0001", false), None);
        assert_eq!(value(FieldKind::BoardSerial, "ABC-12345-0001", true), None);
        assert_eq!(value(FieldKind::PartNumber, "PCB-1555-01", false), None);
        assert_eq!(value(FieldKind::JobNumber, "123456", true), None);
        assert_eq!(value(FieldKind::JobNumber, "", true), None);
    }

    #[test]
    fn revision_labels_are_stripped() {
        for raw in ["Rev F2", "REV. F2", "rev f2", "Revision: F2", "F2"] {
            let v = n(FieldKind::Revision, raw, false).unwrap();
            assert_eq!(v.value, "F2", "{raw}");
            assert!(!v.normalised, "{raw}");
        }
        assert_eq!(value(FieldKind::Revision, "Review", false), None);
        assert_eq!(value(FieldKind::Revision, "Rev", false), None);
    }

    #[test]
    fn job_numbers_with_their_labels() {
        for raw in [
            "Job 12345",
            "JOB#12345",
            "Job No.: 12345",
            "Job Number 12345",
            "12345",
        ] {
            assert_eq!(
                value(FieldKind::JobNumber, raw, false).as_deref(),
                Some("12345"),
                "{raw}"
            );
        }
        assert_eq!(value(FieldKind::JobNumber, "Jobs 12345", false), None);
    }

    #[test]
    fn a_serial_label_in_the_text_is_context() {
        let v = n(FieldKind::UnitSerial, "Unit S/N: 1619", false).unwrap();
        assert_eq!(v.value, "INF-1619");
        assert!(v.prefix_added);
        assert_eq!(v.raw, "Unit S/N: 1619");
        assert_eq!(
            value(FieldKind::BoardSerial, "S/N: VGN-12345-0001", false).as_deref(),
            Some("VGN-12345-0001")
        );
    }

    #[test]
    fn not_for_flight_anywhere_means_edu() {
        for raw in [
            "EDU - NOT FOR FLIGHT",
            "EDU-NOT FOR FLIGHT",
            "NOT FOR FLIGHT",
            "not for flight",
            "THIS UNIT IS NOT FOR FLIGHT",
            "NON-FLIGHT",
            "EDU",
            "EDU-NOTFORFLIGHT",
        ] {
            assert_eq!(
                value(FieldKind::FlightStatus, raw, false).as_deref(),
                Some("EDU"),
                "{raw}"
            );
        }
        for raw in [
            "FLIGHT",
            "FLIGHT UNIT",
            "FLIGHTUNIT",
            "Flight status: FLIGHT",
            "flight",
        ] {
            assert_eq!(
                value(FieldKind::FlightStatus, raw, false).as_deref(),
                Some("FLIGHT"),
                "{raw}"
            );
        }
        for raw in ["Handle flight hardware with care", "", "UNIT", "FLIGHTS"] {
            assert_eq!(value(FieldKind::FlightStatus, raw, false), None, "{raw}");
        }
    }

    #[test]
    fn an_added_prefix_from_configuration_is_accepted() {
        let settings: FieldPatterns =
            toml::from_str("[board_serial]\nprefixes = [\"VGN\", \"XBR\"]\n").unwrap();
        let patterns = settings.compile().unwrap();
        let v = normalise(FieldKind::BoardSerial, "xbr 12345 0007", false, &patterns).unwrap();
        assert_eq!(v.value, "XBR-12345-0007");
        // Still the default's prefix for a bare labelled value.
        let v = normalise(FieldKind::BoardSerial, "12345-0007", true, &patterns).unwrap();
        assert_eq!(v.value, "VGN-12345-0007");
        // Without the configuration, XBR is not a board serial.
        assert_eq!(value(FieldKind::BoardSerial, "XBR-12345-0007", false), None);
    }

    #[test]
    fn labels_match_at_word_boundaries_only() {
        let chars: Vec<char> = "Job No.: 12345".chars().collect();
        assert_eq!(label_at(&chars, 0, "JOB NO"), Some(6));
        assert_eq!(label_at(&chars, 0, "JOB"), Some(3));
        let chars: Vec<char> = "SNAP".chars().collect();
        assert_eq!(label_at(&chars, 0, "SN"), None);
        let chars: Vec<char> = "UNIT   S/N".chars().collect();
        assert_eq!(label_at(&chars, 0, "UNIT S/N"), Some(10));
        let chars: Vec<char> = "ASN".chars().collect();
        assert_eq!(label_at(&chars, 1, "SN"), None);
    }

    #[test]
    fn normalised_values_serialise() {
        let v = n(FieldKind::BoardSerial, "12345-0001", true).unwrap();
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(
            json,
            r#"{"raw":"12345-0001","value":"VGN-12345-0001","confidence":1.0,"normalised":true,"prefix_added":true,"corrections":[]}"#
        );
        assert_eq!(serde_json::from_str::<Normalised>(&json).unwrap(), v);
    }
}
