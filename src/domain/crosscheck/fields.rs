//! The fields a cross-check compares and their patterns as station configuration (`[crosscheck]`
//! in the config file): per field the canonical pattern, the accepted prefixes, the prefix added
//! to a labelled value that lacks one, and the label words that announce the field in free text;
//! plus the confidence below which a value is uncertain.
//!
//! This file owns the data and its validation only; applying the patterns is `normalise.rs`'s
//! and `fielding.rs`'s job. Nothing here reads the config file itself.

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A field of a build that the cross-check extracts and compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    JobNumber,
    BoardSerial,
    UnitSerial,
    PartNumber,
    Revision,
    FlightStatus,
}

impl FieldKind {
    pub const ALL: [Self; 6] = [
        Self::JobNumber,
        Self::BoardSerial,
        Self::UnitSerial,
        Self::PartNumber,
        Self::Revision,
        Self::FlightStatus,
    ];

    /// The name used by the CLI (`--field`), the JSON and the config keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JobNumber => "job_number",
            Self::BoardSerial => "board_serial",
            Self::UnitSerial => "unit_serial",
            Self::PartNumber => "part_number",
            Self::Revision => "revision",
            Self::FlightStatus => "flight_status",
        }
    }

    /// The name for people (messages, the UI).
    pub fn label(self) -> &'static str {
        match self {
            Self::JobNumber => "job number",
            Self::BoardSerial => "board serial",
            Self::UnitSerial => "unit serial",
            Self::PartNumber => "part number",
            Self::Revision => "revision",
            Self::FlightStatus => "flight status",
        }
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown field {0:?}: expected one of job_number, board_serial, unit_serial, part_number, revision, flight_status"
)]
pub struct FieldKindParseError(pub String);

impl FromStr for FieldKind {
    type Err = FieldKindParseError;

    /// Accepts the `as_str` names in any case, with `-` for `_` (`--field board-serial`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| FieldKindParseError(text.to_owned()))
    }
}

/// One field's pattern as configured.
///
/// The canonical value is `PREFIX-BODY` when the field has prefixes (`VGN-12345-0001`: prefix
/// `VGN`, body `12345-0001`), else just the body (`12345`). `pattern` is a regular expression
/// for the body, matched against the whole upper-cased body (the code anchors it); keeping the
/// prefixes out of it lets a plant add a prefix without touching the expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldPattern {
    /// Regex for the body of the canonical value, e.g. `[0-9]{5}-[0-9]{4}`.
    pub pattern: String,
    /// Accepted prefixes, upper-case letters and digits; empty: the field has none.
    pub prefixes: Vec<String>,
    /// The prefix added to a value that lacks one when its context says what it is (a label, a
    /// BOM column); empty: never added (part numbers: PCA and DRW are different documents).
    pub missing_prefix: String,
    /// Words that announce the field in free text (`Board S/N`, `Job No.`), matched in any
    /// case at word boundaries; a space matches any run of spaces.
    pub labels: Vec<String>,
}

/// The labels of the flight-status marking. Its values are fixed by the spec (`FLIGHT`, `EDU`,
/// and `NOT FOR FLIGHT` meaning `EDU`), so only its labels are configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarkingLabels {
    pub labels: Vec<String>,
}

/// Every field's pattern and the confidence threshold: the `[crosscheck]` table.
///
/// Deserialising fills any key left out with its default, per field (a plant that writes only
/// `[crosscheck.board_serial] prefixes = ["VGN", "XBR"]` keeps the default body pattern, labels
/// and missing prefix). Lists replace the default list, they do not extend it. Unknown keys are
/// refused. Call `validate` (or `compile`) before use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "toml_form::Table")]
pub struct FieldPatterns {
    /// A value read with a lower confidence (0–1) is uncertain: a check comparing it is at
    /// least a WARNING.
    pub min_confidence: f32,
    pub job_number: FieldPattern,
    pub board_serial: FieldPattern,
    pub unit_serial: FieldPattern,
    pub part_number: FieldPattern,
    pub revision: FieldPattern,
    pub flight_status: MarkingLabels,
}

/// The text of `DEFAULT_TOML`, as a macro so the config file's documented defaults can
/// `concat!` it in place (one copy of the section's text).
macro_rules! default_toml {
    () => {
        r#"[crosscheck]
# A value read with a lower confidence (0-1) never passes a check silently: at least a WARNING.
min_confidence = 0.8

# Per field: `pattern` is a regular expression for the value after its prefix and '-'
# (matched upper-case, whole value); `prefixes` the accepted prefixes; `missing_prefix` the
# prefix added when a label or BOM column says what a bare value is ("" never); `labels` the
# words that announce the field in documents and on labels. Lists replace the defaults.
[crosscheck.job_number]
pattern = "[0-9]{5}"
prefixes = []
missing_prefix = ""
labels = ["JOB NUMBER", "JOB NO", "JOB"]

[crosscheck.board_serial]
pattern = "[0-9]{5}-[0-9]{4}"
prefixes = ["VGN"]
missing_prefix = "VGN"
labels = ["BOARD SERIAL NUMBER", "BOARD SERIAL NO", "BOARD SERIAL", "BOARD S/N", "BOARD SN", "SERIAL NUMBER", "SERIAL NO", "SERIAL", "S/N", "SN"]

[crosscheck.unit_serial]
pattern = "[0-9]{4}"
prefixes = ["INF"]
missing_prefix = "INF"
labels = ["UNIT SERIAL NUMBER", "UNIT SERIAL NO", "UNIT SERIAL", "UNIT S/N", "UNIT SN"]

[crosscheck.part_number]
pattern = "[0-9]{4}-[0-9]{2}"
prefixes = ["PCA", "DRW"]
missing_prefix = ""
labels = ["PART NUMBER", "PART NO", "PART #", "P/N", "PN"]

[crosscheck.revision]
pattern = "[A-Z]{1,2}[0-9]{0,2}"
prefixes = []
missing_prefix = ""
labels = ["REVISION", "REV"]

[crosscheck.flight_status]
labels = ["FLIGHT STATUS"]
"#
    };
}
pub(crate) use default_toml;

/// The `[crosscheck]` section with its defaults, for the config file's documented defaults
/// (`config init`, which includes this text). A test checks it parses to
/// `FieldPatterns::default()`.
pub const DEFAULT_TOML: &str = default_toml!();

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

impl FieldPattern {
    fn job_number() -> Self {
        Self {
            pattern: "[0-9]{5}".to_owned(),
            prefixes: Vec::new(),
            missing_prefix: String::new(),
            labels: strings(&["JOB NUMBER", "JOB NO", "JOB"]),
        }
    }

    fn board_serial() -> Self {
        Self {
            pattern: "[0-9]{5}-[0-9]{4}".to_owned(),
            prefixes: strings(&["VGN"]),
            missing_prefix: "VGN".to_owned(),
            labels: strings(&[
                "BOARD SERIAL NUMBER",
                "BOARD SERIAL NO",
                "BOARD SERIAL",
                "BOARD S/N",
                "BOARD SN",
                "SERIAL NUMBER",
                "SERIAL NO",
                "SERIAL",
                "S/N",
                "SN",
            ]),
        }
    }

    fn unit_serial() -> Self {
        Self {
            pattern: "[0-9]{4}".to_owned(),
            prefixes: strings(&["INF"]),
            missing_prefix: "INF".to_owned(),
            labels: strings(&[
                "UNIT SERIAL NUMBER",
                "UNIT SERIAL NO",
                "UNIT SERIAL",
                "UNIT S/N",
                "UNIT SN",
            ]),
        }
    }

    fn part_number() -> Self {
        Self {
            pattern: "[0-9]{4}-[0-9]{2}".to_owned(),
            prefixes: strings(&["PCA", "DRW"]),
            missing_prefix: String::new(),
            labels: strings(&["PART NUMBER", "PART NO", "PART #", "P/N", "PN"]),
        }
    }

    fn revision() -> Self {
        Self {
            pattern: "[A-Z]{1,2}[0-9]{0,2}".to_owned(),
            prefixes: Vec::new(),
            missing_prefix: String::new(),
            labels: strings(&["REVISION", "REV"]),
        }
    }

    /// The whole canonical value as one anchored expression (for display and documentation):
    /// `^(?:VGN|XBR)-(?:[0-9]{5}-[0-9]{4})$`.
    pub fn canonical_regex(&self) -> String {
        if self.prefixes.is_empty() {
            format!("^(?:{})$", self.pattern)
        } else {
            let prefixes: Vec<String> = self.prefixes.iter().map(|p| regex::escape(p)).collect();
            format!("^(?:{})-(?:{})$", prefixes.join("|"), self.pattern)
        }
    }
}

impl Default for MarkingLabels {
    fn default() -> Self {
        Self {
            labels: strings(&["FLIGHT STATUS"]),
        }
    }
}

impl Default for FieldPatterns {
    fn default() -> Self {
        Self {
            min_confidence: 0.80,
            job_number: FieldPattern::job_number(),
            board_serial: FieldPattern::board_serial(),
            unit_serial: FieldPattern::unit_serial(),
            part_number: FieldPattern::part_number(),
            revision: FieldPattern::revision(),
            flight_status: MarkingLabels::default(),
        }
    }
}

/// One problem in the `[crosscheck]` table: the dotted key from the config file's root
/// (`crosscheck.board_serial.pattern`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternIssue {
    pub key: String,
    pub reason: String,
}

impl fmt::Display for PatternIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// Patterns that cannot be used, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct PatternsError {
    pub issues: Vec<PatternIssue>,
}

/// The section's name in the config file, the root of every issue's key.
const SECTION: &str = "crosscheck";

impl FieldPatterns {
    /// The pattern of a field; `None` for the flight status, whose values are fixed.
    pub fn pattern(&self, kind: FieldKind) -> Option<&FieldPattern> {
        match kind {
            FieldKind::JobNumber => Some(&self.job_number),
            FieldKind::BoardSerial => Some(&self.board_serial),
            FieldKind::UnitSerial => Some(&self.unit_serial),
            FieldKind::PartNumber => Some(&self.part_number),
            FieldKind::Revision => Some(&self.revision),
            FieldKind::FlightStatus => None,
        }
    }

    /// The label words of a field.
    pub fn labels(&self, kind: FieldKind) -> &[String] {
        match self.pattern(kind) {
            Some(pattern) => &pattern.labels,
            None => &self.flight_status.labels,
        }
    }

    /// Checks every key: the expressions compile and cannot match an empty value, prefixes
    /// and labels are usable, the threshold is a probability. Every problem is reported.
    pub fn validate(&self) -> Result<(), PatternsError> {
        self.compile().map(drop)
    }

    /// Validates and compiles the expressions once, for the fielding and the checks.
    pub fn compile(&self) -> Result<CompiledPatterns, PatternsError> {
        let mut issues = Vec::new();
        if !(0.0..=1.0).contains(&self.min_confidence) {
            issues.push(PatternIssue {
                key: format!("{SECTION}.min_confidence"),
                reason: format!(
                    "must be between 0 and 1 (0.8 is the default), not {}",
                    self.min_confidence
                ),
            });
        }
        let mut bodies = Vec::new();
        for kind in FieldKind::ALL {
            let Some(pattern) = self.pattern(kind) else {
                continue;
            };
            match compile_field(kind, pattern, &mut issues) {
                Some(body) => bodies.push(Some(body)),
                None => continue,
            }
        }
        check_labels(
            FieldKind::FlightStatus,
            &self.flight_status.labels,
            &mut issues,
        );
        match bodies.try_into() {
            Ok(bodies) if issues.is_empty() => Ok(CompiledPatterns {
                settings: self.clone(),
                bodies,
            }),
            _ => Err(PatternsError { issues }),
        }
    }
}

fn issue(kind: FieldKind, key: &str, reason: String) -> PatternIssue {
    PatternIssue {
        key: format!("{SECTION}.{}.{key}", kind.as_str()),
        reason,
    }
}

/// Checks one field's keys; the compiled, anchored body expression when it is usable.
fn compile_field(
    kind: FieldKind,
    pattern: &FieldPattern,
    issues: &mut Vec<PatternIssue>,
) -> Option<Regex> {
    let before = issues.len();
    for prefix in &pattern.prefixes {
        // Values are upper-cased and their separators collapsed before matching, so a prefix
        // with anything else could never match.
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            issues.push(issue(
                kind,
                "prefixes",
                format!("{prefix:?} must be upper-case letters and digits, like \"VGN\""),
            ));
        }
    }
    if !pattern.missing_prefix.is_empty() && !pattern.prefixes.contains(&pattern.missing_prefix) {
        issues.push(issue(
            kind,
            "missing_prefix",
            format!(
                "{:?} is not one of the prefixes {:?}; add it there or leave this empty",
                pattern.missing_prefix, pattern.prefixes
            ),
        ));
    }
    check_labels(kind, &pattern.labels, issues);
    let body = match Regex::new(&format!("^(?:{})$", pattern.pattern)) {
        Ok(body) => body,
        Err(err) => {
            // The regex crate's message spans several lines with a caret under the error;
            // the last line says what is wrong.
            let why = err.to_string();
            let why = why.lines().last().unwrap_or_default().trim().to_owned();
            issues.push(issue(
                kind,
                "pattern",
                format!(
                    "{:?} is not a valid regular expression: {why}",
                    pattern.pattern
                ),
            ));
            return None;
        }
    };
    if pattern.pattern.trim().is_empty() || body.is_match("") {
        issues.push(issue(
            kind,
            "pattern",
            format!(
                "{:?} matches an empty value; describe the value, e.g. \"[0-9]{{5}}\"",
                pattern.pattern
            ),
        ));
        return None;
    }
    (issues.len() == before).then_some(body)
}

fn check_labels(kind: FieldKind, labels: &[String], issues: &mut Vec<PatternIssue>) {
    if labels.iter().any(|label| label.trim().is_empty()) {
        issues.push(issue(kind, "labels", "a label is empty".to_owned()));
    }
}

/// Validated patterns with their expressions compiled: what the fielding and the checks use.
/// Made by `FieldPatterns::compile`; `Default` is the spec's patterns.
#[derive(Debug, Clone)]
pub struct CompiledPatterns {
    settings: FieldPatterns,
    /// Anchored body expressions in `FieldKind::ALL` order without the flight status; `None`
    /// matches nothing (only in the fallback of `Default`).
    bodies: [Option<Regex>; 5],
}

impl Default for CompiledPatterns {
    fn default() -> Self {
        // The defaults are constants a test compiles; should that ever fail, patterns that
        // match nothing are the safe fallback (no value is fielded, the checks warn).
        FieldPatterns::default()
            .compile()
            .unwrap_or_else(|_| CompiledPatterns {
                settings: FieldPatterns::default(),
                bodies: std::array::from_fn(|_| None),
            })
    }
}

impl CompiledPatterns {
    /// The configuration these were compiled from.
    pub fn settings(&self) -> &FieldPatterns {
        &self.settings
    }

    pub fn min_confidence(&self) -> f32 {
        self.settings.min_confidence
    }

    /// A field's configured pattern; `None` for the flight status.
    pub fn pattern(&self, kind: FieldKind) -> Option<&FieldPattern> {
        self.settings.pattern(kind)
    }

    /// The label words of a field.
    pub fn labels(&self, kind: FieldKind) -> &[String] {
        self.settings.labels(kind)
    }

    /// Whether `body` (upper-case, separators collapsed, without prefix) is a whole body of
    /// the field; always false for the flight status.
    pub(crate) fn body_matches(&self, kind: FieldKind, body: &str) -> bool {
        let index = match kind {
            FieldKind::JobNumber => 0,
            FieldKind::BoardSerial => 1,
            FieldKind::UnitSerial => 2,
            FieldKind::PartNumber => 3,
            FieldKind::Revision => 4,
            FieldKind::FlightStatus => return false,
        };
        self.bodies[index]
            .as_ref()
            .is_some_and(|regex| regex.is_match(body))
    }
}

/// The table as written in TOML: every key optional, filled from the defaults field by field.
mod toml_form {
    use serde::Deserialize;

    use super::{FieldPattern, FieldPatterns, MarkingLabels};

    #[derive(Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub struct Table {
        min_confidence: Option<f32>,
        job_number: Pattern,
        board_serial: Pattern,
        unit_serial: Pattern,
        part_number: Pattern,
        revision: Pattern,
        flight_status: Marking,
    }

    #[derive(Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Pattern {
        pattern: Option<String>,
        prefixes: Option<Vec<String>>,
        missing_prefix: Option<String>,
        labels: Option<Vec<String>>,
    }

    #[derive(Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Marking {
        labels: Option<Vec<String>>,
    }

    impl Pattern {
        fn over(self, default: FieldPattern) -> FieldPattern {
            FieldPattern {
                pattern: self.pattern.unwrap_or(default.pattern),
                prefixes: self.prefixes.unwrap_or(default.prefixes),
                missing_prefix: self.missing_prefix.unwrap_or(default.missing_prefix),
                labels: self.labels.unwrap_or(default.labels),
            }
        }
    }

    impl From<Table> for FieldPatterns {
        fn from(table: Table) -> Self {
            let default = FieldPatterns::default();
            FieldPatterns {
                min_confidence: table.min_confidence.unwrap_or(default.min_confidence),
                job_number: table.job_number.over(default.job_number),
                board_serial: table.board_serial.over(default.board_serial),
                unit_serial: table.unit_serial.over(default.unit_serial),
                part_number: table.part_number.over(default.part_number),
                revision: table.revision.over(default.revision),
                flight_status: MarkingLabels {
                    labels: table
                        .flight_status
                        .labels
                        .unwrap_or(default.flight_status.labels),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_round_trip_and_unknown_lists_the_names() {
        for kind in FieldKind::ALL {
            assert_eq!(kind.as_str().parse::<FieldKind>(), Ok(kind));
        }
        assert_eq!(
            "Board-Serial".parse::<FieldKind>(),
            Ok(FieldKind::BoardSerial)
        );
        let err = "serial".parse::<FieldKind>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown field \"serial\": expected one of job_number, board_serial, unit_serial, part_number, revision, flight_status"
        );
        assert_eq!(
            serde_json::to_string(&FieldKind::UnitSerial).unwrap(),
            "\"unit_serial\""
        );
    }

    #[test]
    fn defaults_are_the_spec_and_compile() {
        let patterns = FieldPatterns::default();
        assert_eq!(patterns.min_confidence, 0.80);
        assert_eq!(patterns.board_serial.prefixes, ["VGN"]);
        assert_eq!(patterns.unit_serial.prefixes, ["INF"]);
        assert_eq!(patterns.part_number.prefixes, ["PCA", "DRW"]);
        assert_eq!(
            patterns.board_serial.canonical_regex(),
            "^(?:VGN)-(?:[0-9]{5}-[0-9]{4})$"
        );
        let compiled = patterns.compile().unwrap();
        assert!(compiled.body_matches(FieldKind::BoardSerial, "12345-0001"));
        assert!(!compiled.body_matches(FieldKind::BoardSerial, "VGN-12345-0001"));
        assert!(compiled.body_matches(FieldKind::JobNumber, "12345"));
        assert!(!compiled.body_matches(FieldKind::JobNumber, "123456"));
        assert!(CompiledPatterns::default().body_matches(FieldKind::PartNumber, "1555-01"));
    }

    #[test]
    fn default_toml_is_the_default() {
        #[derive(Deserialize)]
        struct File {
            crosscheck: FieldPatterns,
        }
        let file: File = toml::from_str(DEFAULT_TOML).unwrap();
        assert_eq!(file.crosscheck, FieldPatterns::default());
    }

    #[test]
    fn a_plant_adds_a_board_prefix_and_keeps_the_other_defaults() {
        let text = "min_confidence = 0.9\n[board_serial]\nprefixes = [\"VGN\", \"XBR\"]\n";
        let patterns: FieldPatterns = toml::from_str(text).unwrap();
        assert_eq!(patterns.min_confidence, 0.9);
        assert_eq!(patterns.board_serial.prefixes, ["VGN", "XBR"]);
        assert_eq!(patterns.board_serial.pattern, "[0-9]{5}-[0-9]{4}");
        assert_eq!(patterns.board_serial.missing_prefix, "VGN");
        assert_eq!(patterns.part_number, FieldPattern::part_number());
        assert!(patterns.validate().is_ok());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err =
            toml::from_str::<FieldPatterns>("[board_serial]\nprefix = [\"XBR\"]\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `prefix`"), "{err}");
    }

    #[test]
    fn a_bad_regex_names_the_key_and_the_reason() {
        let text = "[part_number]\npattern = \"[0-9]{4\"\n";
        let patterns: FieldPatterns = toml::from_str(text).unwrap();
        let err = patterns.validate().unwrap_err();
        assert_eq!(err.issues.len(), 1, "{err}");
        assert_eq!(err.issues[0].key, "crosscheck.part_number.pattern");
        assert!(
            err.issues[0]
                .reason
                .starts_with("\"[0-9]{4\" is not a valid regular expression: "),
            "{}",
            err.issues[0].reason
        );
        assert!(
            err.to_string()
                .starts_with("crosscheck.part_number.pattern: ")
        );
    }

    #[test]
    fn every_bad_key_is_reported() {
        let mut patterns = FieldPatterns {
            min_confidence: 1.5,
            ..FieldPatterns::default()
        };
        patterns.board_serial.prefixes = vec!["vgn".to_owned()];
        patterns.board_serial.missing_prefix = "XBR".to_owned();
        patterns.job_number.pattern = "[0-9]*".to_owned();
        patterns.flight_status.labels = vec![" ".to_owned()];
        let err = patterns.compile().unwrap_err();
        let keys: Vec<&str> = err.issues.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "crosscheck.min_confidence",
                "crosscheck.job_number.pattern",
                "crosscheck.board_serial.prefixes",
                "crosscheck.board_serial.missing_prefix",
                "crosscheck.flight_status.labels",
            ]
        );
        assert!(err.issues[1].reason.contains("matches an empty value"));
    }
}
