//! The nine checks of the spec's table, each with its priority, run over the fielded values of
//! one build: which statuses each check can give and when, as rules over `FieldValue`s.
//!
//! Priorities (`CHECKS`): what a wrong answer costs. High — a wrong job, part, board, unit or
//! flight status ships the wrong hardware or the wrong paperwork with it (1, 2, 4, 5, 6, 9).
//! Medium — a product part code or a revision that disagrees is usually a paperwork lag but may
//! be a wrong build (3, 7). Low — missing evidence is reported so the skipped checks are seen,
//! and says nothing about the hardware itself (8).
//!
//! Every check that compares values carries them (with provenance) in its result, and a value
//! read with a confidence under the configured threshold turns a PASS into a WARNING naming it.
//! Nothing here extracts values (`fielding.rs`) or stores results (the store).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::evidence::{EvidenceKind, Location, Provenance, column_letters};
use super::fielding::FieldValue;
use super::fields::{CompiledPatterns, FieldKind};

/// How much a check's failure matters (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check's outcome. `Skipped` (the evidence it needs is missing) counts for nothing in the
/// verdict; check 8 reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckStatus {
    Pass,
    Warning,
    Fail,
    Skipped,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warning => "WARNING",
            Self::Fail => "FAIL",
            Self::Skipped => "SKIPPED",
        }
    }

    /// Order of badness among the statuses that count: skipped 0, pass 1, warning 2, fail 3.
    fn severity(self) -> u8 {
        match self {
            Self::Skipped => 0,
            Self::Pass => 1,
            Self::Warning => 2,
            Self::Fail => 3,
        }
    }

    fn worst(self, other: Self) -> Self {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the checks table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckSpec {
    pub number: u8,
    pub name: &'static str,
    pub priority: Priority,
    /// The kinds of evidence the check compares; without one of them it is skipped.
    pub needs: &'static [EvidenceKind],
}

use EvidenceKind::{Bom, Photo, Traveler};

/// The spec's checks, in its order, with their priorities (see the module doc).
pub const CHECKS: [CheckSpec; 9] = [
    CheckSpec {
        number: 1,
        name: "job number traveler ↔ BOM",
        priority: Priority::High,
        needs: &[Traveler, Bom],
    },
    CheckSpec {
        number: 2,
        name: "part numbers on the traveler are in the BOM",
        priority: Priority::High,
        needs: &[Traveler, Bom],
    },
    CheckSpec {
        number: 3,
        name: "part code seen on the product is in the BOM",
        priority: Priority::Medium,
        needs: &[Photo, Bom],
    },
    CheckSpec {
        number: 4,
        name: "board serials photo ↔ traveler (↔ BOM if it lists serials)",
        priority: Priority::High,
        needs: &[Photo, Traveler],
    },
    CheckSpec {
        number: 5,
        name: "unit serial photo ↔ traveler",
        priority: Priority::High,
        needs: &[Photo, Traveler],
    },
    CheckSpec {
        number: 6,
        name: "flight status photo ↔ traveler",
        priority: Priority::High,
        needs: &[Photo, Traveler],
    },
    CheckSpec {
        number: 7,
        name: "revision traveler ↔ BOM per part number",
        priority: Priority::Medium,
        needs: &[Traveler, Bom],
    },
    CheckSpec {
        number: 8,
        name: "evidence present",
        priority: Priority::Low,
        needs: &[],
    },
    CheckSpec {
        number: 9,
        name: "duplicates",
        priority: Priority::High,
        needs: &[],
    },
];

/// The table row of a check number.
pub fn check_spec(number: u8) -> Option<&'static CheckSpec> {
    CHECKS.iter().find(|spec| spec.number == number)
}

/// A check's result: what was compared, the outcome and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub number: u8,
    pub name: &'static str,
    pub priority: Priority,
    pub status: CheckStatus,
    /// Says the values compared and, for a WARNING or FAIL, what is wrong with them.
    pub message: String,
    /// The evidence compared, with provenance: one per source, field, value and board (the
    /// least certain reading of each is kept).
    pub values: Vec<FieldValue>,
}

/// Read back from JSON: the name comes from the table by number (a derive would demand the
/// JSON text live for `'static` because of the `&'static str`).
impl<'de> Deserialize<'de> for CheckResult {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = stored::CheckResult::deserialize(deserializer)?;
        Self::try_from(stored).map_err(serde::de::Error::custom)
    }
}

/// Check results as stored (JSON), before the name is looked up.
mod stored {
    use serde::Deserialize;

    use super::{CheckStatus, FieldValue, Priority, check_spec};

    #[derive(Deserialize)]
    pub struct CheckResult {
        number: u8,
        priority: Priority,
        status: CheckStatus,
        message: String,
        values: Vec<FieldValue>,
    }

    impl TryFrom<CheckResult> for super::CheckResult {
        type Error = String;

        fn try_from(stored: CheckResult) -> Result<Self, Self::Error> {
            let spec = check_spec(stored.number).ok_or_else(|| {
                format!("unknown check number {}: checks are 1 to 9", stored.number)
            })?;
            Ok(Self {
                number: stored.number,
                name: spec.name,
                priority: stored.priority,
                status: stored.status,
                message: stored.message,
                values: stored.values,
            })
        }
    }
}

/// Runs the nine checks over the fielded values of one build. `present` lists the kinds of
/// evidence the session has (at least one file of the kind read); a check needing a missing
/// kind is `Skipped`, and check 8 warns and lists it.
pub fn run_checks(
    fields: &[FieldValue],
    present: &[EvidenceKind],
    patterns: &CompiledPatterns,
) -> Vec<CheckResult> {
    let facts = Facts { fields };
    let mut results: Vec<CheckResult> = CHECKS
        .iter()
        .map(|spec| {
            let missing: Vec<EvidenceKind> = spec
                .needs
                .iter()
                .copied()
                .filter(|kind| !present.contains(kind))
                .collect();
            if !missing.is_empty() {
                return result(
                    spec,
                    CheckStatus::Skipped,
                    format!("skipped: no {} in this session", names(&missing)),
                    Vec::new(),
                );
            }
            let outcome = match spec.number {
                1 => facts.job_number(),
                2 => facts.traveler_parts_in_bom(),
                3 => facts.product_part_in_bom(),
                4 => facts.board_serials(),
                5 => facts.unit_serial(),
                6 => facts.flight_status(),
                7 => facts.revisions(),
                9 => facts.duplicates(),
                // Check 8 reports on the others once they have run.
                _ => Outcome::new(CheckStatus::Pass, String::new(), Vec::new()),
            };
            finish(spec, outcome, patterns.min_confidence())
        })
        .collect();
    let evidence = evidence_present(present, &results);
    if let Some(slot) = results.iter_mut().find(|r| r.number == 8) {
        *slot = evidence;
    }
    results
}

fn result(
    spec: &CheckSpec,
    status: CheckStatus,
    message: String,
    values: Vec<FieldValue>,
) -> CheckResult {
    CheckResult {
        number: spec.number,
        name: spec.name,
        priority: spec.priority,
        status,
        message,
        values,
    }
}

fn names(kinds: &[EvidenceKind]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .map(|kind| match kind {
            Traveler => "traveler",
            Bom => "BOM",
            Photo => "photo",
        })
        .collect();
    names.join(" and no ")
}

/// Check 8: PASS with all three kinds of evidence, else a WARNING naming the missing kinds
/// and the checks skipped for want of them.
fn evidence_present(present: &[EvidenceKind], results: &[CheckResult]) -> CheckResult {
    let spec = &CHECKS[7];
    let missing: Vec<EvidenceKind> = EvidenceKind::ALL
        .into_iter()
        .filter(|kind| !present.contains(kind))
        .collect();
    if missing.is_empty() {
        return result(
            spec,
            CheckStatus::Pass,
            "traveler, BOM and photos are all present".to_owned(),
            Vec::new(),
        );
    }
    let skipped: Vec<String> = results
        .iter()
        .filter(|r| {
            r.status == CheckStatus::Skipped
                && check_spec(r.number).is_some_and(|s| s.needs.iter().any(|k| missing.contains(k)))
        })
        .map(|r| format!("{} ({})", r.number, r.name))
        .collect();
    let skipped = if skipped.is_empty() {
        "none".to_owned()
    } else {
        skipped.join(", ")
    };
    result(
        spec,
        CheckStatus::Warning,
        format!("no {}; checks skipped: {skipped}", names(&missing)),
        Vec::new(),
    )
}

/// A check's status, message and compared values before the confidence rule.
struct Outcome {
    status: CheckStatus,
    message: String,
    values: Vec<FieldValue>,
}

impl Outcome {
    fn new(status: CheckStatus, message: String, values: Vec<FieldValue>) -> Self {
        Self {
            status,
            message,
            values,
        }
    }
}

/// Applies the "never a silent PASS" rule and compacts the values.
fn finish(spec: &CheckSpec, outcome: Outcome, min_confidence: f32) -> CheckResult {
    let mut status = outcome.status;
    let mut message = outcome.message;
    let values = compact(outcome.values);
    let uncertain: Vec<String> = values
        .iter()
        .filter(|v| v.value.confidence < min_confidence)
        .map(|v| {
            format!(
                "{} read as {:?} with confidence {:.2} ({}, {})",
                v.value.value,
                v.value.raw,
                v.value.confidence,
                v.source.as_str(),
                place(&v.provenance)
            )
        })
        .collect();
    if !uncertain.is_empty() && status != CheckStatus::Skipped {
        status = status.worst(CheckStatus::Warning);
        message = format!(
            "{message}; uncertain (confidence under {min_confidence:.2}): {}",
            uncertain.join(", ")
        );
    }
    result(spec, status, message, values)
}

/// One value per source, field, value and board: the least certain reading of each (the one
/// the operator should look at), in the order first seen.
fn compact(values: Vec<FieldValue>) -> Vec<FieldValue> {
    let mut out: Vec<FieldValue> = Vec::new();
    for value in values {
        let same = out.iter_mut().find(|kept| {
            kept.source == value.source
                && kept.kind == value.kind
                && kept.value.value == value.value.value
                && kept.part_of == value.part_of
        });
        match same {
            Some(kept) => {
                let weaker = value.value.confidence < kept.value.confidence
                    || (value.value.confidence == kept.value.confidence
                        && value.value.normalised
                        && !kept.value.normalised);
                if weaker {
                    *kept = value;
                }
            }
            None => out.push(value),
        }
    }
    out
}

/// Where a value was read, short: `traveler.pdf p.1`, `bom.xlsx As-built!D2`, `label.jpg`.
fn place(provenance: &Provenance) -> String {
    match &provenance.at {
        Location::Page { page, .. } => format!("{} p.{page}", provenance.file),
        Location::Cell { sheet, row, col } => {
            format!("{} {sheet}!{}{row}", provenance.file, column_letters(*col))
        }
        Location::ImageBox {
            page: Some(page), ..
        } => format!("{} p.{page}", provenance.file),
        Location::ImageBox { page: None, .. } => provenance.file.clone(),
    }
}

/// Distinct values in the order first seen.
fn distinct<'a>(values: &[&'a FieldValue]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for value in values {
        if !out.contains(&value.value.value.as_str()) {
            out.push(&value.value.value);
        }
    }
    out
}

/// `A, B, C`, cut after ten.
fn list(values: &[&str]) -> String {
    const MOST: usize = 10;
    let mut text = values
        .iter()
        .take(MOST)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > MOST {
        text.push_str(&format!(" and {} more", values.len() - MOST));
    }
    text
}

fn owned(values: &[&FieldValue]) -> Vec<FieldValue> {
    values.iter().map(|v| (*v).clone()).collect()
}

/// Why a value matched only after normalisation: `traveler read "12345-0001" (prefix added)`.
fn normalisation_note(value: &FieldValue) -> String {
    let how = if value.value.prefix_added {
        "prefix added"
    } else {
        "separators changed"
    };
    format!(
        "{} ({} read {:?}, {how})",
        value.value.value,
        value.source.as_str(),
        value.value.raw
    )
}

/// The base of a revision: its leading letters (`F` of `F2`); a revision with none (`02`) is
/// its own base.
fn revision_base(revision: &str) -> &str {
    let letters = revision
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(revision.len(), |(at, _)| at);
    if letters == 0 {
        revision
    } else {
        &revision[..letters]
    }
}

/// Check 7 for one pair: equal PASS; same base letter, different suffix or format WARNING;
/// different base FAIL.
pub fn compare_revisions(traveler: &str, bom: &str) -> CheckStatus {
    if traveler == bom {
        CheckStatus::Pass
    } else if revision_base(traveler) == revision_base(bom) {
        CheckStatus::Warning
    } else {
        CheckStatus::Fail
    }
}

struct Facts<'a> {
    fields: &'a [FieldValue],
}

impl<'a> Facts<'a> {
    fn of(&self, kind: FieldKind, source: EvidenceKind) -> Vec<&'a FieldValue> {
        self.fields
            .iter()
            .filter(|f| f.kind == kind && f.source == source)
            .collect()
    }

    /// Check 1: FAIL when the numbers differ or a source has none (or more than one).
    fn job_number(&self) -> Outcome {
        let traveler = self.of(FieldKind::JobNumber, Traveler);
        let bom = self.of(FieldKind::JobNumber, Bom);
        let (t, b) = (distinct(&traveler), distinct(&bom));
        let values = owned(&[traveler.as_slice(), bom.as_slice()].concat());
        let (status, message) = match (t.as_slice(), b.as_slice()) {
            ([], []) => (
                CheckStatus::Fail,
                "no job number on the traveler nor in the BOM".to_owned(),
            ),
            ([], _) => (
                CheckStatus::Fail,
                format!("the traveler has no job number; the BOM says {}", list(&b)),
            ),
            (_, []) => (
                CheckStatus::Fail,
                format!("the BOM has no job number; the traveler says {}", list(&t)),
            ),
            ([one], [other]) if one == other => {
                (CheckStatus::Pass, format!("traveler {one} = BOM {other}"))
            }
            ([one], [other]) => (CheckStatus::Fail, format!("traveler {one} ≠ BOM {other}")),
            _ => (
                CheckStatus::Fail,
                format!(
                    "more than one job number: traveler {}, BOM {}",
                    list(&t),
                    list(&b)
                ),
            ),
        };
        Outcome::new(status, message, values)
    }

    /// Checks 2 and 3: every part number of `source` is among the BOM's.
    fn parts_in_bom(&self, source: EvidenceKind, none_found: &str, seen: &str) -> Outcome {
        let wanted = self.of(FieldKind::PartNumber, source);
        let bom = self.of(FieldKind::PartNumber, Bom);
        let (w, b) = (distinct(&wanted), distinct(&bom));
        if w.is_empty() {
            return Outcome::new(CheckStatus::Warning, none_found.to_owned(), Vec::new());
        }
        let missing: Vec<&str> = w.iter().copied().filter(|p| !b.contains(p)).collect();
        let matching: Vec<&FieldValue> = bom
            .iter()
            .copied()
            .filter(|f| w.contains(&f.value.value.as_str()))
            .collect();
        let values = owned(&[wanted.as_slice(), matching.as_slice()].concat());
        if missing.is_empty() {
            return Outcome::new(
                CheckStatus::Pass,
                format!("{seen} {} in the BOM", list(&w)),
                values,
            );
        }
        let bom_lists = if b.is_empty() {
            "the BOM lists no part number of the configured patterns".to_owned()
        } else {
            format!("the BOM lists {}", list(&b))
        };
        Outcome::new(
            CheckStatus::Fail,
            format!("{seen} {} not in the BOM ({bom_lists})", list(&missing)),
            values,
        )
    }

    /// Check 2.
    fn traveler_parts_in_bom(&self) -> Outcome {
        self.parts_in_bom(
            Traveler,
            "no part number found on the traveler to look up in the BOM",
            "traveler part number",
        )
    }

    /// Check 3: also WARNING when no part code could be read (the low-confidence rule adds
    /// the WARNING for a code read with low confidence).
    fn product_part_in_bom(&self) -> Outcome {
        self.parts_in_bom(
            Photo,
            "no part code could be read in the photos",
            "part code on the product",
        )
    }

    /// Check 4. FAIL: a photographed serial is not on the traveler, or (when the BOM lists
    /// serials) a photographed or traveler serial is not among the BOM's. The BOM may list
    /// more (sub-boards the traveler does not name). WARNING: a side has no serial, or a
    /// compared value matched only after normalisation.
    fn board_serials(&self) -> Outcome {
        let photo = self.of(FieldKind::BoardSerial, Photo);
        let traveler = self.of(FieldKind::BoardSerial, Traveler);
        let bom = self.of(FieldKind::BoardSerial, Bom);
        let (p, t, b) = (distinct(&photo), distinct(&traveler), distinct(&bom));
        let mut problems = Vec::new();
        for serial in p.iter().filter(|s| !t.is_empty() && !t.contains(s)) {
            problems.push(format!(
                "photo {serial} is not on the traveler (traveler: {})",
                list(&t)
            ));
        }
        if !b.is_empty() {
            let mut compared: Vec<&str> = p.clone();
            compared.extend(t.iter().filter(|s| !p.contains(s)));
            for serial in compared.iter().filter(|s| !b.contains(s)) {
                problems.push(format!(
                    "{serial} is not among the BOM's serials ({})",
                    list(&b)
                ));
            }
        }
        let relevant: Vec<&FieldValue> = if problems.is_empty() {
            bom.iter()
                .copied()
                .filter(|f| {
                    p.contains(&f.value.value.as_str()) || t.contains(&f.value.value.as_str())
                })
                .collect()
        } else {
            bom.clone()
        };
        let compared = [photo.as_slice(), traveler.as_slice(), relevant.as_slice()].concat();
        let values = owned(&compared);
        if !problems.is_empty() {
            return Outcome::new(CheckStatus::Fail, problems.join("; "), values);
        }
        match (p.is_empty(), t.is_empty()) {
            (true, true) => {
                return Outcome::new(
                    CheckStatus::Warning,
                    "no board serial on the traveler nor in the photos".to_owned(),
                    values,
                );
            }
            (true, false) => {
                return Outcome::new(
                    CheckStatus::Warning,
                    format!(
                        "no board serial could be read in the photos; the traveler lists {}",
                        list(&t)
                    ),
                    values,
                );
            }
            (false, true) => {
                return Outcome::new(
                    CheckStatus::Warning,
                    format!(
                        "the traveler lists no board serial; the photos show {}",
                        list(&p)
                    ),
                    values,
                );
            }
            (false, false) => {}
        }
        let bom_part = if b.is_empty() {
            String::new()
        } else {
            " and in the BOM".to_owned()
        };
        let matched = format!(
            "photo {} on the traveler ({}){bom_part}",
            list(&p),
            list(&t)
        );
        normalisation_warning(matched, &compared, values)
    }

    /// Check 5. FAIL: the photographed unit serial is not the traveler's, or the traveler
    /// gives two. WARNING: one side has none, or it matched only after normalisation.
    /// Skipped when neither names a unit serial (a board-level build).
    fn unit_serial(&self) -> Outcome {
        let photo = self.of(FieldKind::UnitSerial, Photo);
        let traveler = self.of(FieldKind::UnitSerial, Traveler);
        let (p, t) = (distinct(&photo), distinct(&traveler));
        let compared = [photo.as_slice(), traveler.as_slice()].concat();
        let values = owned(&compared);
        let (status, message) = match (p.as_slice(), t.as_slice()) {
            ([], []) => (
                CheckStatus::Skipped,
                "no unit serial on the traveler nor in the photos (a board-level build)".to_owned(),
            ),
            ([], _) => (
                CheckStatus::Warning,
                format!(
                    "no unit serial could be read in the photos; the traveler lists {}",
                    list(&t)
                ),
            ),
            (_, []) => (
                CheckStatus::Warning,
                format!(
                    "the traveler lists no unit serial; the photos show {}",
                    list(&p)
                ),
            ),
            (_, [_, _, ..]) => (
                CheckStatus::Fail,
                format!("the traveler lists more than one unit serial: {}", list(&t)),
            ),
            (_, [one]) => match p.iter().find(|s| *s != one) {
                Some(other) => (CheckStatus::Fail, format!("photo {other} ≠ traveler {one}")),
                None => {
                    return normalisation_warning(
                        format!("photo {one} = traveler {one}"),
                        &compared,
                        values,
                    );
                }
            },
        };
        Outcome::new(status, message, values)
    }

    /// Check 6. FAIL: the traveler and the product marking disagree (FLIGHT against EDU or
    /// NOT FOR FLIGHT, either way). WARNING: the marking could not be read, or the traveler
    /// states no status.
    fn flight_status(&self) -> Outcome {
        let photo = self.of(FieldKind::FlightStatus, Photo);
        let traveler = self.of(FieldKind::FlightStatus, Traveler);
        let (p, t) = (distinct(&photo), distinct(&traveler));
        let values = owned(&[photo.as_slice(), traveler.as_slice()].concat());
        let read_as = |status: &str| {
            let raws: Vec<&str> = photo
                .iter()
                .filter(|f| f.value.value == status)
                .map(|f| f.value.raw.as_str())
                .collect();
            format!("{status} ({:?})", raws.first().copied().unwrap_or(status))
        };
        let (status, message) = if p.is_empty() {
            let traveler_says = if t.is_empty() {
                "the traveler states none either".to_owned()
            } else {
                format!("the traveler says {}", list(&t))
            };
            (
                CheckStatus::Warning,
                format!(
                    "the flight-status marking could not be read in the photos; {traveler_says}"
                ),
            )
        } else if t.is_empty() {
            let marks: Vec<String> = p.iter().map(|s| read_as(s)).collect();
            (
                CheckStatus::Warning,
                format!(
                    "the traveler states no flight status; the product is marked {}",
                    marks.join(", ")
                ),
            )
        } else if p.iter().chain(t.iter()).any(|s| *s != t[0]) {
            let marks: Vec<String> = p.iter().map(|s| read_as(s)).collect();
            (
                CheckStatus::Fail,
                format!(
                    "the traveler says {}, the product is marked {}",
                    list(&t),
                    marks.join(", ")
                ),
            )
        } else {
            (
                CheckStatus::Pass,
                format!("traveler {} = product {}", t[0], read_as(t[0])),
            )
        };
        Outcome::new(status, message, values)
    }

    /// Check 7. Each traveler revision is compared with the BOM's revision of the same part
    /// number (`compare_revisions`). A traveler revision without a part number belongs to the
    /// traveler's part number when it names exactly one. WARNING when a traveler revision has
    /// no BOM revision to compare with, or nothing at all could be compared.
    fn revisions(&self) -> Outcome {
        let traveler_parts = distinct(&self.of(FieldKind::PartNumber, Traveler));
        let sole_part = match traveler_parts.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let traveler: Vec<(&str, &FieldValue)> = self
            .of(FieldKind::Revision, Traveler)
            .into_iter()
            .filter_map(|f| f.part_of.as_deref().or(sole_part).map(|part| (part, f)))
            .collect();
        let bom = self.of(FieldKind::Revision, Bom);
        let mut parts: Vec<&str> = Vec::new();
        for (part, _) in &traveler {
            if !parts.contains(part) {
                parts.push(part);
            }
        }
        let mut status = CheckStatus::Pass;
        let mut notes = Vec::new();
        let mut compared = 0;
        let mut values = Vec::new();
        for part in parts {
            let ours: Vec<&FieldValue> = traveler
                .iter()
                .filter(|(p, _)| *p == part)
                .map(|(_, f)| *f)
                .collect();
            let theirs: Vec<&FieldValue> = bom
                .iter()
                .copied()
                .filter(|f| f.part_of.as_deref() == Some(part))
                .collect();
            values.extend(owned(&ours));
            values.extend(owned(&theirs));
            let (t, b) = (distinct(&ours), distinct(&theirs));
            if b.is_empty() {
                status = status.worst(CheckStatus::Warning);
                notes.push(format!(
                    "{part}: traveler {}, the BOM gives no revision",
                    list(&t)
                ));
                continue;
            }
            for ours in &t {
                for theirs in &b {
                    compared += 1;
                    let pair = compare_revisions(ours, theirs);
                    status = status.worst(pair);
                    notes.push(match pair {
                        CheckStatus::Pass => format!("{part}: traveler {ours} = BOM {theirs}"),
                        CheckStatus::Warning => format!(
                            "{part}: traveler {ours} vs BOM {theirs} (same base {}, different suffix)",
                            revision_base(ours)
                        ),
                        _ => format!(
                            "{part}: traveler {ours} vs BOM {theirs} (different base {} vs {})",
                            revision_base(ours),
                            revision_base(theirs)
                        ),
                    });
                }
            }
        }
        if compared == 0 {
            let mut message =
                "no part number has a revision on both the traveler and the BOM".to_owned();
            if !notes.is_empty() {
                message = format!("{message}: {}", notes.join("; "));
            }
            return Outcome::new(CheckStatus::Warning, message, values);
        }
        Outcome::new(status, notes.join("; "), values)
    }

    /// Check 9. A board serial is on two different boards when, within one kind of evidence:
    /// two BOM rows (different sheet or row) carry it; two photos show it on boards with
    /// different part codes (`part_of`, the part code read in the same photo); or two
    /// traveler lines give it with different part numbers. Photos of one serial without a
    /// part code are taken as the same board seen twice. Serials of different sources are
    /// compared by check 4, not here. Skipped when no board serial was found.
    fn duplicates(&self) -> Outcome {
        let serials: Vec<&FieldValue> = self
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::BoardSerial)
            .collect();
        if serials.is_empty() {
            return Outcome::new(
                CheckStatus::Skipped,
                "no board serial found".to_owned(),
                Vec::new(),
            );
        }
        let distinct_serials = distinct(&serials);
        let mut problems = Vec::new();
        let mut values = Vec::new();
        for serial in &distinct_serials {
            let all: Vec<&FieldValue> = serials
                .iter()
                .copied()
                .filter(|f| f.value.value == *serial)
                .collect();
            let mut boards: Vec<String> = Vec::new();
            // BOM rows: each row is one installed board.
            let mut rows: Vec<String> = Vec::new();
            for f in all.iter().filter(|f| f.source == Bom) {
                let row = match &f.provenance.at {
                    Location::Cell { sheet, row, .. } => {
                        format!("{} {sheet} row {row}", f.provenance.file)
                    }
                    _ => place(&f.provenance),
                };
                if !rows.contains(&row) {
                    rows.push(row);
                }
            }
            if rows.len() > 1 {
                boards.push(format!("BOM {}", rows.join(", ")));
            }
            for source in [Photo, Traveler] {
                // The first place each part number was seen with this serial.
                let mut parts: Vec<(&str, String)> = Vec::new();
                for f in all.iter().filter(|f| f.source == source) {
                    if let Some(part) = f.part_of.as_deref()
                        && !parts.iter().any(|(seen, _)| *seen == part)
                    {
                        parts.push((part, place(&f.provenance)));
                    }
                }
                if parts.len() > 1 {
                    let parts: Vec<String> = parts
                        .iter()
                        .map(|(part, place)| format!("{part} ({place})"))
                        .collect();
                    boards.push(format!("{} {}", source.as_str(), parts.join(", ")));
                }
            }
            if !boards.is_empty() {
                problems.push(format!("{serial} is on two boards: {}", boards.join("; ")));
                values.extend(owned(&all));
            }
        }
        if problems.is_empty() {
            return Outcome::new(
                CheckStatus::Pass,
                format!(
                    "each board serial is on one board ({})",
                    list(&distinct_serials)
                ),
                owned(&serials),
            );
        }
        Outcome::new(CheckStatus::Fail, problems.join("; "), values)
    }
}

/// PASS for a match, or WARNING when a compared value matched only after normalisation.
fn normalisation_warning(
    matched: String,
    compared: &[&FieldValue],
    values: Vec<FieldValue>,
) -> Outcome {
    let mut notes: Vec<String> = Vec::new();
    for value in compared.iter().filter(|v| v.value.normalised) {
        let note = normalisation_note(value);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    if notes.is_empty() {
        Outcome::new(CheckStatus::Pass, matched, values)
    } else {
        Outcome::new(
            CheckStatus::Warning,
            format!(
                "{matched}; matched only after normalisation: {}",
                notes.join(", ")
            ),
            values,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::crosscheck::evidence::{BomRow, ColumnRole, TextLine};
    use crate::domain::crosscheck::fielding::{field_ocr, fields_in_bom, fields_in_lines};
    use crate::domain::crosscheck::normalise::normalise;
    use crate::domain::crosscheck::test_support::{cell_at, line, page_at, patterns, photo_at};

    fn provenance(source: EvidenceKind, index: u32) -> Provenance {
        match source {
            Traveler => page_at("traveler.pdf", index),
            Bom => cell_at("bom.xlsx", "Sheet1", index + 2, 1),
            Photo => photo_at(&format!("photo{index}.jpg")),
        }
    }

    /// A field of `source` normalised from `raw` (labelled), read with confidence 1.0.
    fn field(kind: FieldKind, source: EvidenceKind, raw: &str) -> FieldValue {
        field_at(kind, source, raw, 0, None)
    }

    fn field_at(
        kind: FieldKind,
        source: EvidenceKind,
        raw: &str,
        index: u32,
        part_of: Option<&str>,
    ) -> FieldValue {
        let value = normalise(kind, raw, true, &patterns())
            .unwrap_or_else(|| panic!("{raw:?} is not a {kind}"));
        FieldValue {
            kind,
            value,
            source,
            provenance: provenance(source, index),
            part_of: part_of.map(str::to_owned),
        }
    }

    fn with_confidence(mut value: FieldValue, confidence: f32) -> FieldValue {
        value.value.confidence = confidence;
        value
    }

    const ALL: &[EvidenceKind] = &[Traveler, Bom, Photo];

    fn check(number: u8, fields: &[FieldValue], present: &[EvidenceKind]) -> CheckResult {
        run_checks(fields, present, &patterns())
            .into_iter()
            .find(|r| r.number == number)
            .unwrap()
    }

    #[test]
    fn the_table_is_the_spec() {
        let numbers: Vec<u8> = CHECKS.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        let high: Vec<u8> = CHECKS
            .iter()
            .filter(|c| c.priority == Priority::High)
            .map(|c| c.number)
            .collect();
        assert_eq!(high, [1, 2, 4, 5, 6, 9]);
        assert_eq!(CHECKS[2].priority, Priority::Medium);
        assert_eq!(CHECKS[6].priority, Priority::Medium);
        assert_eq!(CHECKS[7].priority, Priority::Low);
        assert_eq!(CHECKS[6].name, "revision traveler ↔ BOM per part number");
        let results = run_checks(&[], ALL, &patterns());
        assert_eq!(results.len(), 9);
        assert!(
            results
                .iter()
                .zip(CHECKS.iter())
                .all(|(r, c)| r.number == c.number && r.name == c.name)
        );
    }

    // ---- check 1

    #[test]
    fn vector_job_numbers_that_differ_fail() {
        let fields = [
            field(FieldKind::JobNumber, Traveler, "Job 12345"),
            field(FieldKind::JobNumber, Bom, "12346"),
        ];
        let result = check(1, &fields, ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(result.message, "traveler 12345 ≠ BOM 12346");
        assert_eq!(result.values.len(), 2);
        assert_eq!(result.values[0].value.raw, "Job 12345");
    }

    #[test]
    fn job_numbers_pass_when_equal_and_fail_when_missing() {
        let fields = [
            field(FieldKind::JobNumber, Traveler, "JOB#12345"),
            field_at(FieldKind::JobNumber, Bom, "12345", 0, None),
            field_at(FieldKind::JobNumber, Bom, "12345", 1, None),
        ];
        let result = check(1, &fields, ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        assert_eq!(result.message, "traveler 12345 = BOM 12345");
        assert_eq!(result.values.len(), 2, "one per source and value");
        let result = check(1, &fields[..1], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "the BOM has no job number; the traveler says 12345"
        );
    }

    // ---- check 2

    #[test]
    fn traveler_part_numbers_must_be_in_the_bom() {
        let traveler = field(FieldKind::PartNumber, Traveler, "PCA-1555-01");
        let bom = field(FieldKind::PartNumber, Bom, "PCA1555-01");
        let result = check(2, &[traveler.clone(), bom.clone()], ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        assert_eq!(
            result.message,
            "traveler part number PCA-1555-01 in the BOM"
        );
        let other = field(FieldKind::PartNumber, Traveler, "DRW-2044-03");
        let result = check(2, &[traveler.clone(), other, bom], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "traveler part number DRW-2044-03 not in the BOM (the BOM lists PCA-1555-01)"
        );
        let result = check(2, &[], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
    }

    // ---- check 3

    #[test]
    fn product_part_code_must_be_in_the_bom_and_read_with_confidence() {
        let bom = field(FieldKind::PartNumber, Bom, "PCA-1555-01");
        let seen = field(FieldKind::PartNumber, Photo, "PCA-1555-01");
        assert_eq!(
            check(3, &[bom.clone(), seen.clone()], ALL).status,
            CheckStatus::Pass
        );
        let wrong = field(FieldKind::PartNumber, Photo, "PCA-1555-02");
        let result = check(3, &[bom.clone(), wrong], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert!(
            result.message.contains("PCA-1555-02 not in the BOM"),
            "{}",
            result.message
        );
        let unsure = with_confidence(seen, 0.55);
        let result = check(3, &[bom.clone(), unsure], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result.message.contains("uncertain (confidence under 0.80): PCA-1555-01 read as \"PCA-1555-01\" with confidence 0.55 (photo, photo0.jpg)"),
            "{}",
            result.message
        );
        let result = check(3, &[bom], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert_eq!(result.message, "no part code could be read in the photos");
    }

    // ---- check 4

    #[test]
    fn board_serials_pass_warn_and_fail() {
        let photo = field(FieldKind::BoardSerial, Photo, "VGN-12345-0001");
        let traveler = field(FieldKind::BoardSerial, Traveler, "VGN-12345-0001");
        let result = check(4, &[photo.clone(), traveler.clone()], ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        assert_eq!(
            result.message,
            "photo VGN-12345-0001 on the traveler (VGN-12345-0001)"
        );

        // The traveler gave the serial without its prefix beside "Board S/N".
        let bare = field(FieldKind::BoardSerial, Traveler, "12345-0001");
        let result = check(4, &[photo.clone(), bare], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result.message.ends_with(
                "matched only after normalisation: VGN-12345-0001 (traveler read \"12345-0001\", prefix added)"
            ),
            "{}",
            result.message
        );

        let other = field(FieldKind::BoardSerial, Traveler, "VGN-12345-0002");
        let result = check(4, &[photo.clone(), other], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "photo VGN-12345-0001 is not on the traveler (traveler: VGN-12345-0002)"
        );

        // The BOM lists serials: the photographed one must be among them.
        let bom = field(FieldKind::BoardSerial, Bom, "VGN-12345-0003");
        let result = check(4, &[photo.clone(), traveler.clone(), bom], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert!(
            result
                .message
                .contains("VGN-12345-0001 is not among the BOM's serials")
        );
        let bom = field(FieldKind::BoardSerial, Bom, "VGN-12345-0001");
        let sub_board = field(FieldKind::BoardSerial, Bom, "VGN-12345-0009");
        let result = check(4, &[photo.clone(), traveler.clone(), bom, sub_board], ALL);
        assert_eq!(result.status, CheckStatus::Pass, "{}", result.message);
        assert_eq!(
            result.values.len(),
            3,
            "the sub-board's serial was not compared"
        );

        let result = check(4, &[traveler], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result
                .message
                .starts_with("no board serial could be read in the photos")
        );
    }

    // ---- check 5

    #[test]
    fn unit_serials_pass_warn_fail_and_skip() {
        let photo = field(FieldKind::UnitSerial, Photo, "INF-1619");
        let traveler = field(FieldKind::UnitSerial, Traveler, "INF-1619");
        assert_eq!(
            check(5, &[photo.clone(), traveler], ALL).status,
            CheckStatus::Pass
        );
        let bare = field(FieldKind::UnitSerial, Traveler, "1619");
        let result = check(5, &[photo.clone(), bare], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result
                .message
                .contains("INF-1619 (traveler read \"1619\", prefix added)")
        );
        let spaced = field(FieldKind::UnitSerial, Traveler, "INF 1619");
        let result = check(5, &[photo.clone(), spaced], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result.message.contains("separators changed"),
            "{}",
            result.message
        );
        let other = field(FieldKind::UnitSerial, Traveler, "INF-1620");
        let result = check(5, &[photo, other], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(result.message, "photo INF-1619 ≠ traveler INF-1620");
        assert_eq!(check(5, &[], ALL).status, CheckStatus::Skipped);
    }

    // ---- check 6

    #[test]
    fn vector_not_for_flight_against_a_flight_traveler_fails() {
        let photo = field(FieldKind::FlightStatus, Photo, "EDU - NOT FOR FLIGHT");
        let traveler = field(FieldKind::FlightStatus, Traveler, "FLIGHT");
        let result = check(6, &[photo, traveler], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "the traveler says FLIGHT, the product is marked EDU (\"EDU - NOT FOR FLIGHT\")"
        );
    }

    #[test]
    fn flight_status_passes_when_equal_and_warns_when_unread() {
        let photo = field(FieldKind::FlightStatus, Photo, "FLIGHT UNIT");
        let traveler = field(FieldKind::FlightStatus, Traveler, "FLIGHT");
        let result = check(6, &[photo, traveler.clone()], ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        assert_eq!(
            result.message,
            "traveler FLIGHT = product FLIGHT (\"FLIGHT UNIT\")"
        );
        // The reverse disagreement fails too.
        let edu_traveler = field(FieldKind::FlightStatus, Traveler, "EDU");
        let flight_photo = field(FieldKind::FlightStatus, Photo, "FLIGHT");
        assert_eq!(
            check(6, &[flight_photo, edu_traveler], ALL).status,
            CheckStatus::Fail
        );
        let result = check(6, &[traveler], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert_eq!(
            result.message,
            "the flight-status marking could not be read in the photos; the traveler says FLIGHT"
        );
    }

    // ---- check 7

    fn revision(source: EvidenceKind, raw: &str, part: &str) -> FieldValue {
        field_at(FieldKind::Revision, source, raw, 0, Some(part))
    }

    #[test]
    fn vector_same_base_different_suffix_warns() {
        let fields = [
            revision(Traveler, "Rev F2", "PCA-1555-01"),
            revision(Bom, "F", "PCA-1555-01"),
        ];
        let result = check(7, &fields, ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert_eq!(
            result.message,
            "PCA-1555-01: traveler F2 vs BOM F (same base F, different suffix)"
        );
    }

    #[test]
    fn vector_different_base_letter_fails() {
        let fields = [
            revision(Traveler, "Rev F", "PCA-1555-01"),
            revision(Bom, "Rev G", "PCA-1555-01"),
        ];
        let result = check(7, &fields, ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "PCA-1555-01: traveler F vs BOM G (different base F vs G)"
        );
    }

    #[test]
    fn revisions_pass_per_part_number_and_warn_when_nothing_compares() {
        let fields = [
            revision(Traveler, "F2", "PCA-1555-01"),
            revision(Bom, "REV. F2", "PCA-1555-01"),
            revision(Bom, "G", "PCA-1555-02"),
        ];
        let result = check(7, &fields, ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        assert_eq!(result.message, "PCA-1555-01: traveler F2 = BOM F2");
        assert_eq!(result.values.len(), 2);
        let result = check(7, &fields[1..], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        // A traveler revision with no part number goes with the traveler's only part number.
        let fields = [
            field(FieldKind::PartNumber, Traveler, "PCA-1555-01"),
            field(FieldKind::Revision, Traveler, "Revision: F2"),
            revision(Bom, "F2", "PCA-1555-01"),
        ];
        assert_eq!(check(7, &fields, ALL).status, CheckStatus::Pass);
        assert_eq!(compare_revisions("AB12", "AB3"), CheckStatus::Warning);
        assert_eq!(compare_revisions("02", "03"), CheckStatus::Fail);
    }

    // ---- check 8

    #[test]
    fn missing_evidence_skips_the_checks_that_need_it() {
        let fields = [
            field(FieldKind::JobNumber, Traveler, "12345"),
            field(FieldKind::JobNumber, Bom, "12345"),
        ];
        let results = run_checks(&fields, &[Traveler, Bom], &patterns());
        let status: Vec<(u8, CheckStatus)> = results.iter().map(|r| (r.number, r.status)).collect();
        assert_eq!(
            status[..6],
            [
                (1, CheckStatus::Pass),
                (2, CheckStatus::Warning),
                (3, CheckStatus::Skipped),
                (4, CheckStatus::Skipped),
                (5, CheckStatus::Skipped),
                (6, CheckStatus::Skipped),
            ]
        );
        assert_eq!(results[2].message, "skipped: no photo in this session");
        let eight = &results[7];
        assert_eq!(eight.status, CheckStatus::Warning);
        assert_eq!(
            eight.message,
            "no photo; checks skipped: 3 (part code seen on the product is in the BOM), 4 (board serials photo ↔ traveler (↔ BOM if it lists serials)), 5 (unit serial photo ↔ traveler), 6 (flight status photo ↔ traveler)"
        );
        let results = run_checks(&fields, &[Traveler], &patterns());
        assert_eq!(results[0].message, "skipped: no BOM in this session");
        assert!(
            results[7]
                .message
                .starts_with("no BOM and no photo; checks skipped: 1 (")
        );
        assert_eq!(check(8, &[], ALL).status, CheckStatus::Pass);
    }

    // ---- check 9

    #[test]
    fn one_serial_on_two_bom_rows_fails() {
        let fields = [
            field_at(
                FieldKind::BoardSerial,
                Bom,
                "VGN-12345-0001",
                0,
                Some("PCA-1555-01"),
            ),
            field_at(
                FieldKind::BoardSerial,
                Bom,
                "12345-0001",
                3,
                Some("PCA-1555-01"),
            ),
            field_at(
                FieldKind::BoardSerial,
                Bom,
                "VGN-12345-0002",
                4,
                Some("DRW-2044-03"),
            ),
        ];
        let result = check(9, &fields, ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "VGN-12345-0001 is on two boards: BOM bom.xlsx Sheet1 row 2, bom.xlsx Sheet1 row 5"
        );
        assert_eq!(
            result.values.len(),
            1,
            "compacted to the less certain reading"
        );
        let result = check(9, &[fields[0].clone(), fields[2].clone()], ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        assert_eq!(
            result.message,
            "each board serial is on one board (VGN-12345-0001, VGN-12345-0002)"
        );
    }

    #[test]
    fn one_serial_in_photos_of_two_different_boards_fails() {
        let a = field_at(
            FieldKind::BoardSerial,
            Photo,
            "VGN-12345-0001",
            1,
            Some("PCA-1555-01"),
        );
        let b = field_at(
            FieldKind::BoardSerial,
            Photo,
            "VGN-12345-0001",
            2,
            Some("DRW-2044-03"),
        );
        let same_board = field_at(
            FieldKind::BoardSerial,
            Photo,
            "VGN-12345-0001",
            3,
            Some("PCA-1555-01"),
        );
        let unknown = field_at(FieldKind::BoardSerial, Photo, "VGN-12345-0001", 4, None);
        let result = check(9, &[a.clone(), b], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert_eq!(
            result.message,
            "VGN-12345-0001 is on two boards: photo PCA-1555-01 (photo1.jpg), DRW-2044-03 (photo2.jpg)"
        );
        assert_eq!(
            check(9, &[a, same_board, unknown], ALL).status,
            CheckStatus::Pass
        );
        assert_eq!(check(9, &[], ALL).status, CheckStatus::Skipped);
    }

    // ---- the confidence rule

    #[test]
    fn a_low_confidence_value_never_passes_silently() {
        let photo = with_confidence(field(FieldKind::BoardSerial, Photo, "VGN-12345-0001"), 0.62);
        let traveler = field(FieldKind::BoardSerial, Traveler, "VGN-12345-0001");
        let result = check(4, &[photo.clone(), traveler.clone()], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result.message.ends_with(
                "uncertain (confidence under 0.80): VGN-12345-0001 read as \"VGN-12345-0001\" with confidence 0.62 (photo, photo0.jpg)"
            ),
            "{}",
            result.message
        );
        // At the threshold it is certain enough.
        let result = check(4, &[with_confidence(photo, 0.80), traveler.clone()], ALL);
        assert_eq!(result.status, CheckStatus::Pass);
        // A FAIL stays a FAIL and still names the uncertain value.
        let wrong = with_confidence(field(FieldKind::BoardSerial, Photo, "VGN-12345-0002"), 0.5);
        let result = check(4, &[wrong, traveler], ALL);
        assert_eq!(result.status, CheckStatus::Fail);
        assert!(result.message.contains("confidence 0.50"));
        // The configured threshold is the one used.
        let settings: crate::domain::crosscheck::fields::FieldPatterns =
            toml::from_str("min_confidence = 0.5").unwrap();
        let lenient = settings.compile().unwrap();
        let photo = with_confidence(field(FieldKind::PartNumber, Photo, "PCA-1555-01"), 0.62);
        let bom = field(FieldKind::PartNumber, Bom, "PCA-1555-01");
        let results = run_checks(&[photo, bom], ALL, &lenient);
        assert_eq!(results[2].status, CheckStatus::Pass);
    }

    #[test]
    fn an_ocr_corrected_serial_under_the_threshold_warns() {
        // VGN-I2345-0O01 read at 0.95, two corrections: 0.95 × 0.81 = 0.77 < 0.80.
        let value = field_ocr(
            FieldKind::BoardSerial,
            &[("VGN-I2345-0O01".to_owned(), 0.95)],
            false,
            &patterns(),
        )
        .unwrap();
        let photo = FieldValue {
            kind: FieldKind::BoardSerial,
            value,
            source: Photo,
            provenance: provenance(Photo, 0),
            part_of: None,
        };
        let traveler = field(FieldKind::BoardSerial, Traveler, "VGN-12345-0001");
        let result = check(4, &[photo, traveler], ALL);
        assert_eq!(result.status, CheckStatus::Warning);
        assert!(
            result
                .message
                .contains("read as \"VGN-I2345-0O01\" with confidence 0.77")
        );
    }

    // ---- end to end over the fielding, and JSON

    #[test]
    fn a_consistent_build_passes_from_lines_and_rows() {
        let traveler: Vec<TextLine> = [
            "Job No.: 12345",
            "P/N: PCA-1555-01   Rev F2   Qty 1",
            "Board S/N: VGN-12345-0001",
            "Unit S/N: INF-1619",
            "Flight status: FLIGHT",
        ]
        .iter()
        .enumerate()
        .map(|(i, text)| line(text, 1.0, provenance(Traveler, i as u32)))
        .collect();
        let photos = [
            line("S/N: VGN-12345-0001", 0.97, provenance(Photo, 1)),
            line("PCA-1555-01 REV F2", 0.95, provenance(Photo, 1)),
            line("FLIGHT UNIT", 0.96, provenance(Photo, 1)),
            line("UNIT S/N INF-1619", 0.94, provenance(Photo, 2)),
        ];
        let cell = |text: &str, col: u32| line(text, 1.0, cell_at("bom.xlsx", "Sheet1", 2, col));
        let rows = [BomRow {
            cells: vec![
                (ColumnRole::Job, cell("12345", 1)),
                (ColumnRole::PartNumber, cell("PCA-1555-01", 2)),
                (ColumnRole::Revision, cell("F2", 3)),
                (ColumnRole::Serial, cell("VGN-12345-0001", 4)),
            ],
        }];
        let mut fields = fields_in_lines(&traveler, Traveler, &patterns());
        fields.extend(fields_in_lines(&photos, Photo, &patterns()));
        fields.extend(fields_in_bom(&rows, &patterns()));
        let results = run_checks(&fields, ALL, &patterns());
        for result in &results {
            assert_eq!(
                result.status,
                CheckStatus::Pass,
                "{}: {}",
                result.number,
                result.message
            );
        }
        assert_eq!(
            crate::domain::crosscheck::Verdict::of(&results).as_str(),
            "PASS"
        );

        let json = serde_json::to_string(&results).unwrap();
        let back: Vec<CheckResult> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, results);
        let first: serde_json::Value = serde_json::to_value(&results[0]).unwrap();
        assert_eq!(first["status"], "PASS");
        assert_eq!(first["priority"], "high");
        assert_eq!(first["name"], "job number traveler ↔ BOM");
        let bad = json.replacen("\"number\":1", "\"number\":12", 1);
        let err = serde_json::from_str::<Vec<CheckResult>>(&bad).unwrap_err();
        assert!(err.to_string().contains("unknown check number 12"), "{err}");
    }

    #[test]
    fn places_name_page_cell_and_file() {
        assert_eq!(place(&provenance(Traveler, 0)), "traveler.pdf p.1");
        assert_eq!(place(&provenance(Bom, 0)), "bom.xlsx Sheet1!A2");
        assert_eq!(place(&provenance(Photo, 3)), "photo3.jpg");
        assert_eq!(column_letters(28), "AB");
    }
}
