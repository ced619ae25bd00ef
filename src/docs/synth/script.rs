//! What each document of a pack shows: the faithful views of the build, then either full
//! agreement or one or two scripted deviations chosen from the table below (each with the check
//! it trips and the status a correct cross-check must give), then harmless variants that must
//! still pass. This file decides text values only; how a document looks is its renderer's.

use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::answer::{Deviation, Status};
use super::build::{Build, Part, REVISION_LETTERS, fresh_number};
use super::label::LabelFields;
use crate::domain::crosscheck::EvidenceKind;

/// A scripted disagreement between the documents of a pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviationKind {
    JobDiffers,
    TravelerPartNotInBom,
    PhotoPartNotInBom,
    BoardSerialDiffers,
    BoardSerialNormalised,
    UnitSerialDiffers,
    UnitSerialNormalised,
    FlightStatusMismatch,
    RevisionBaseDiffers,
    RevisionSuffixDiffers,
    PhotoMissing,
    BomMissing,
    DuplicateSerial,
}

/// One row of the deviation table: the check it trips, the status, the evidence it needs.
struct Rule {
    kind: DeviationKind,
    check: u8,
    status: Status,
    /// Kinds of evidence that must be present for the check to run at all.
    needs: &'static [EvidenceKind],
    /// Serialised boards the build must have.
    boards: usize,
    /// A deviation that removes this kind of evidence.
    removes: Option<EvidenceKind>,
}

use EvidenceKind::{Bom, Photo, Traveler};

const RULES: [Rule; 13] = [
    rule(
        DeviationKind::JobDiffers,
        1,
        Status::Fail,
        &[Traveler, Bom],
        0,
    ),
    rule(
        DeviationKind::TravelerPartNotInBom,
        2,
        Status::Fail,
        &[Traveler, Bom],
        0,
    ),
    rule(
        DeviationKind::PhotoPartNotInBom,
        3,
        Status::Fail,
        &[Photo, Bom],
        1,
    ),
    rule(
        DeviationKind::BoardSerialDiffers,
        4,
        Status::Fail,
        &[Photo, Traveler],
        1,
    ),
    rule(
        DeviationKind::BoardSerialNormalised,
        4,
        Status::Warning,
        &[Photo, Traveler],
        1,
    ),
    rule(
        DeviationKind::UnitSerialDiffers,
        5,
        Status::Fail,
        &[Photo, Traveler],
        0,
    ),
    rule(
        DeviationKind::UnitSerialNormalised,
        5,
        Status::Warning,
        &[Photo, Traveler],
        0,
    ),
    rule(
        DeviationKind::FlightStatusMismatch,
        6,
        Status::Fail,
        &[Photo, Traveler],
        0,
    ),
    rule(
        DeviationKind::RevisionBaseDiffers,
        7,
        Status::Fail,
        &[Traveler, Bom],
        0,
    ),
    rule(
        DeviationKind::RevisionSuffixDiffers,
        7,
        Status::Warning,
        &[Traveler, Bom],
        0,
    ),
    Rule {
        removes: Some(Photo),
        ..rule(DeviationKind::PhotoMissing, 8, Status::Warning, &[], 0)
    },
    Rule {
        removes: Some(Bom),
        ..rule(DeviationKind::BomMissing, 8, Status::Warning, &[], 0)
    },
    rule(
        DeviationKind::DuplicateSerial,
        9,
        Status::Fail,
        &[Traveler],
        2,
    ),
];

const fn rule(
    kind: DeviationKind,
    check: u8,
    status: Status,
    needs: &'static [EvidenceKind],
    boards: usize,
) -> Rule {
    Rule {
        kind,
        check,
        status,
        needs,
        boards,
        removes: None,
    }
}

impl DeviationKind {
    pub const ALL: [Self; 13] = [
        Self::JobDiffers,
        Self::TravelerPartNotInBom,
        Self::PhotoPartNotInBom,
        Self::BoardSerialDiffers,
        Self::BoardSerialNormalised,
        Self::UnitSerialDiffers,
        Self::UnitSerialNormalised,
        Self::FlightStatusMismatch,
        Self::RevisionBaseDiffers,
        Self::RevisionSuffixDiffers,
        Self::PhotoMissing,
        Self::BomMissing,
        Self::DuplicateSerial,
    ];

    fn rule(self) -> &'static Rule {
        // The table has one row per kind, in the order of `ALL`.
        &RULES[Self::ALL.iter().position(|kind| *kind == self).unwrap_or(0)]
    }

    /// The check (1–9 of the spec) this deviation trips.
    pub fn check(self) -> u8 {
        self.rule().check
    }

    /// The status a correct cross-check gives that check.
    pub fn status(self) -> Status {
        self.rule().status
    }
}

/// A board as the traveler's serial table lists it.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct BoardEntry {
    pub ref_des: String,
    pub part_number: String,
    pub serial: String,
}

/// A line of the traveler's parts list.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct PartEntry {
    pub part_number: String,
    pub revision: String,
    pub description: String,
    pub quantity: u32,
    pub ref_des: String,
}

/// The traveler's text values, as printed.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct TravelerView {
    pub file_name: String,
    pub product: String,
    /// The text in the job cell: `12345`, `JOB#12345`, `Job 12345` or `Job No.: 12345`.
    pub job_text: String,
    pub unit_serial: String,
    /// `FLIGHT`, `FLIGHT UNIT`, `EDU - NOT FOR FLIGHT`…
    pub flight_marking: String,
    pub boards: Vec<BoardEntry>,
    pub parts: Vec<PartEntry>,
    /// Printed before each revision in the parts list: `` or `Rev. ` or `REV `.
    pub revision_prefix: &'static str,
    /// Pages as scanned images with no text layer.
    pub scanned: bool,
    /// Year, month, day the traveler was released (also the PDF's creation date).
    pub released: (u16, u8, u8),
    /// Seeds the traveler's own choices (steps, initials, scan noise).
    pub seed: u64,
}

/// The BOM's text values.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct BomView {
    pub file_name: String,
    pub job: String,
    pub unit_serial: String,
    /// The BOM's lines: the build's parts as written, which a deviation or a variant may write
    /// loosely or wrongly.
    pub rows: Vec<Part>,
    /// Whether the BOM has a serial column.
    pub lists_serials: bool,
    pub csv: bool,
    pub released: (u16, u8, u8),
}

/// One label photo to render.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LabelView {
    /// File name without extension; the encoding picks it.
    pub stem: String,
    pub seed: u64,
    pub fields: LabelFields,
    /// The board's reference designator, or `None` for the unit label.
    pub ref_des: Option<String>,
}

/// Everything the renderers need for one pack, and what the answer records.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    pub build: Build,
    pub traveler: TravelerView,
    pub bom: Option<BomView>,
    pub labels: Vec<LabelView>,
    pub deviations: Vec<Deviation>,
    pub variants: Vec<String>,
}

/// Plans the pack of `seed`: samples the build, chooses the deviations and applies them.
pub(super) fn plan(rng: &mut SmallRng, seed: u64) -> Plan {
    let mut build = Build::sample(rng);
    let kinds = choose_deviations(rng, &build);
    plan_with(rng, seed, &mut build, &kinds)
}

/// Plans a pack of the given build with exactly `kinds` as deviations (tests use it to force
/// each kind; `plan` chooses them).
pub(super) fn plan_with(
    rng: &mut SmallRng,
    seed: u64,
    build: &mut Build,
    kinds: &[DeviationKind],
) -> Plan {
    let mut deviations = Vec::new();
    // A duplicate serial is on every document alike: it changes the build itself.
    if kinds.contains(&DeviationKind::DuplicateSerial) {
        deviations.extend(duplicate_serial(rng, build));
    }
    let mut plan = faithful(rng, seed, build);
    for kind in kinds {
        let applied = match kind {
            DeviationKind::DuplicateSerial => continue,
            DeviationKind::JobDiffers => job_differs(rng, &mut plan),
            DeviationKind::TravelerPartNotInBom => traveler_part_not_in_bom(rng, &mut plan),
            DeviationKind::PhotoPartNotInBom => photo_part_not_in_bom(rng, &mut plan),
            DeviationKind::BoardSerialDiffers => board_serial_differs(rng, &mut plan),
            DeviationKind::BoardSerialNormalised => board_serial_normalised(rng, &mut plan),
            DeviationKind::UnitSerialDiffers => unit_serial_differs(rng, &mut plan),
            DeviationKind::UnitSerialNormalised => unit_serial_normalised(rng, &mut plan),
            DeviationKind::FlightStatusMismatch => flight_status_mismatch(rng, &mut plan),
            DeviationKind::RevisionBaseDiffers => revision_base_differs(rng, &mut plan),
            DeviationKind::RevisionSuffixDiffers => revision_suffix_differs(rng, &mut plan),
            DeviationKind::PhotoMissing => {
                plan.labels.clear();
                Some("the pack has no product photo".to_owned())
            }
            DeviationKind::BomMissing => {
                plan.bom = None;
                Some("the pack has no BOM".to_owned())
            }
        };
        // A deviation the pack cannot show (no board label to change…) is not claimed.
        if let Some(what) = applied {
            deviations.push(Deviation::new(*kind, what));
        }
    }
    deviations.sort_by_key(|deviation| deviation.check);
    plan.deviations = deviations;
    plan.variants = harmless_variants(rng, &mut plan);
    plan
}

/// None (about a third of packs), one or two deviations that can hold together: different
/// checks, the evidence they need still present, enough serialised boards.
fn choose_deviations(rng: &mut SmallRng, build: &Build) -> Vec<DeviationKind> {
    let count = match rng.gen_range(0..100) {
        0..=32 => 0,
        33..=77 => 1,
        _ => 2,
    };
    let boards = build.serialised_boards().count();
    let mut chosen: Vec<&Rule> = Vec::new();
    for _ in 0..count {
        let candidates: Vec<&Rule> = RULES
            .iter()
            .filter(|rule| rule.boards <= boards && compatible(rule, &chosen))
            .collect();
        if let Some(rule) = candidates.choose(rng) {
            chosen.push(rule);
        }
    }
    chosen.into_iter().map(|rule| rule.kind).collect()
}

fn compatible(rule: &Rule, chosen: &[&Rule]) -> bool {
    chosen.iter().all(|other| {
        let removed = |a: &Rule, b: &Rule| a.removes.is_some_and(|kind| b.needs.contains(&kind));
        // Serial deviations of checks 4 and 9 on the same boards would blur each other.
        let serials = [4, 9].contains(&rule.check) && [4, 9].contains(&other.check);
        other.check != rule.check && !removed(rule, other) && !removed(other, rule) && !serials
    })
}

/// The views of a pack whose documents all agree with the build.
fn faithful(rng: &mut SmallRng, seed: u64, build: &Build) -> Plan {
    let released = (
        rng.gen_range(2021..=2024_u16),
        rng.gen_range(1..=12_u8),
        rng.gen_range(1..=28_u8),
    );
    let boards: Vec<BoardEntry> = build
        .parts
        .iter()
        .filter_map(|part| {
            Some(BoardEntry {
                ref_des: part.ref_des.clone(),
                part_number: part.part_number.clone(),
                serial: part.serial.clone()?,
            })
        })
        .collect();
    let traveler_name = match rng.gen_range(0..3) {
        0 => format!("traveler-{}.pdf", build.job),
        1 => format!("TRV_{}_{}.pdf", build.job, build.unit_serial),
        _ => format!("Job {} traveler.pdf", build.job),
    };
    let traveler = TravelerView {
        file_name: traveler_name,
        product: build.product.clone(),
        job_text: build.job.clone(),
        unit_serial: build.unit_serial.clone(),
        flight_marking: build.flight.as_str().to_owned(),
        boards,
        parts: build
            .parts
            .iter()
            .map(|part| PartEntry {
                part_number: part.part_number.clone(),
                revision: part.revision.clone(),
                description: part.description.clone(),
                quantity: part.quantity,
                ref_des: part.ref_des.clone(),
            })
            .collect(),
        revision_prefix: "",
        scanned: rng.gen_bool(0.25),
        released,
        seed: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x7a,
    };
    let csv = rng.gen_bool(0.2);
    let bom = BomView {
        file_name: format!(
            "{}-{}.{}",
            ["as-built-bom", "BOM_asbuilt", "AsBuilt"][rng.gen_range(0..3)],
            build.job,
            if csv { "csv" } else { "xlsx" }
        ),
        job: build.job.clone(),
        unit_serial: build.unit_serial.clone(),
        rows: build.parts.clone(),
        lists_serials: rng.gen_bool(0.75),
        csv,
        released,
    };
    let mut photo_number = rng.gen_range(1_000..=8_000_u32);
    let mut labels = Vec::new();
    let mut next_label = |fields: LabelFields, ref_des: Option<String>| {
        photo_number += rng.gen_range(1..=4);
        let index = labels.len() as u64;
        labels.push(LabelView {
            stem: format!("IMG_{photo_number}"),
            seed: seed.wrapping_mul(1_000).wrapping_add(index + 1),
            fields,
            ref_des,
        });
    };
    for part in build.serialised_boards() {
        next_label(
            LabelFields {
                board_serial: part.serial.clone(),
                part_number: Some(part.part_number.clone()),
                revision: Some(part.revision.clone()),
                ..LabelFields::default()
            },
            Some(part.ref_des.clone()),
        );
    }
    next_label(
        LabelFields {
            unit_serial: Some(build.unit_serial.clone()),
            flight_status: Some(marking(build.flight).to_owned()),
            ..LabelFields::default()
        },
        None,
    );
    Plan {
        build: build.clone(),
        traveler,
        bom: Some(bom),
        labels,
        deviations: Vec::new(),
        variants: Vec::new(),
    }
}

/// The canonical marking of a status on a label.
fn marking(status: super::FlightStatus) -> &'static str {
    match status {
        super::FlightStatus::Flight => "FLIGHT",
        super::FlightStatus::Edu => "EDU - NOT FOR FLIGHT",
    }
}

fn duplicate_serial(rng: &mut SmallRng, build: &mut Build) -> Option<Deviation> {
    let indices: Vec<usize> = (0..build.parts.len())
        .filter(|index| build.parts[*index].serial.is_some())
        .collect();
    let mut pair: Vec<usize> = indices.choose_multiple(rng, 2).copied().collect();
    pair.sort_unstable();
    let [first, second] = pair[..] else {
        return None;
    };
    let serial = build.parts[first].serial.clone();
    build.parts[second].serial = serial.clone();
    Some(Deviation::new(
        DeviationKind::DuplicateSerial,
        format!(
            "boards {} and {} both carry serial {}",
            build.parts[first].ref_des,
            build.parts[second].ref_des,
            serial.unwrap_or_default()
        ),
    ))
}

fn job_differs(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let bom = plan.bom.as_mut()?;
    let job: u32 = plan.build.job.parse().unwrap_or(10_000);
    let other = if rng.gen_bool(0.5) {
        // A neighbouring job, the usual mix-up.
        if job == 99_999 { job - 1 } else { job + 1 }
    } else {
        // Two digits swapped; a palindromic pair would not differ, so fall back to a neighbour.
        let mut digits: Vec<char> = plan.build.job.chars().collect();
        let at = rng.gen_range(0..4);
        digits.swap(at, at + 1);
        let swapped: u32 = digits.iter().collect::<String>().parse().unwrap_or(job);
        if swapped == job || swapped < 10_000 {
            job - 1
        } else {
            swapped
        }
    };
    bom.job = other.to_string();
    Some(format!("BOM job {other}, traveler job {}", plan.build.job))
}

fn traveler_part_not_in_bom(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let mut used: Vec<String> = plan
        .build
        .parts
        .iter()
        .map(|p| p.part_number.clone())
        .collect();
    let number = fresh_number(rng, "DRW", &mut used);
    let entry = PartEntry {
        part_number: number.clone(),
        revision: format!("{}", char::from(REVISION_LETTERS[rng.gen_range(1..6)])),
        description: ["SHIELD, EMI", "SPACER", "GASKET, CONDUCTIVE", "LABEL, ID"]
            [rng.gen_range(0..4)]
        .to_owned(),
        quantity: rng.gen_range(1..=4),
        ref_des: "MP9".to_owned(),
    };
    let at = rng.gen_range(0..=plan.traveler.parts.len());
    plan.traveler.parts.insert(at, entry);
    Some(format!("the traveler lists {number}, the BOM does not"))
}

/// Index into `plan.labels` of a board label chosen at random.
fn board_label(rng: &mut SmallRng, plan: &Plan) -> Option<usize> {
    let boards: Vec<usize> = (0..plan.labels.len())
        .filter(|index| plan.labels[*index].ref_des.is_some())
        .collect();
    boards.choose(rng).copied()
}

fn unit_label(plan: &mut Plan) -> Option<&mut LabelView> {
    plan.labels.iter_mut().find(|label| label.ref_des.is_none())
}

fn photo_part_not_in_bom(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let index = board_label(rng, plan)?;
    let label = &mut plan.labels[index];
    let shown = label.fields.part_number.clone()?;
    let in_bom: Vec<&str> = plan
        .build
        .parts
        .iter()
        .map(|p| p.part_number.as_str())
        .collect();
    // The same drawing, another dash number: the wrong variant of the board fitted.
    let base = &shown[..shown.len().saturating_sub(2)];
    let mut dash: u32 = shown[shown.len().saturating_sub(2)..].parse().unwrap_or(1);
    let mut other = shown.clone();
    while in_bom.contains(&other.as_str()) {
        dash = dash % 12 + 1 + u32::from(rng.gen_bool(0.3));
        other = format!("{base}{:02}", dash.min(99));
    }
    label.fields.part_number = Some(other.clone());
    Some(format!(
        "the label on {} reads {other}, which the BOM does not list",
        label.ref_des.as_deref().unwrap_or("the board")
    ))
}

fn board_serial_differs(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let index = board_label(rng, plan)?;
    let used: Vec<String> = plan
        .build
        .serialised_boards()
        .filter_map(|p| p.serial.clone())
        .collect();
    let label = &mut plan.labels[index];
    let serial = label.fields.board_serial.clone()?;
    let sequence: u32 = serial[serial.len() - 4..].parse().unwrap_or(1);
    let mut other = serial.clone();
    let mut step = rng.gen_range(1..=9_u32);
    while used.contains(&other) {
        other = format!("VGN-{}-{:04}", plan.build.job, (sequence + step) % 10_000);
        step += 1;
    }
    label.fields.board_serial = Some(other.clone());
    Some(format!(
        "the label on {} reads {other}, the traveler {serial}",
        label.ref_des.as_deref().unwrap_or("the board")
    ))
}

/// A serial written the way a person or an old printer might: no prefix, spaces, no dash.
fn loose_board_serial(rng: &mut SmallRng, serial: &str) -> String {
    let digits = serial.trim_start_matches("VGN-");
    match rng.gen_range(0..3) {
        0 => digits.to_owned(),
        1 => serial.replace('-', " "),
        _ => serial.replacen('-', "", 1),
    }
}

fn board_serial_normalised(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let index = board_label(rng, plan)?;
    let ref_des = plan.labels[index].ref_des.clone().unwrap_or_default();
    let serial = plan.labels[index].fields.board_serial.clone()?;
    let loose = loose_board_serial(rng, &serial);
    if rng.gen_bool(0.5) {
        plan.labels[index].fields.board_serial = Some(loose.clone());
        Some(format!(
            "the label on {ref_des} reads {loose:?}, matching {serial} only after normalisation"
        ))
    } else {
        for board in plan
            .traveler
            .boards
            .iter_mut()
            .filter(|b| b.ref_des == ref_des)
        {
            board.serial = loose.clone();
        }
        Some(format!(
            "the traveler lists {ref_des} as {loose:?}, matching {serial} only after normalisation"
        ))
    }
}

fn unit_serial_differs(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let truth = plan.build.unit_serial.clone();
    let number: u32 = truth.trim_start_matches("INF-").parse().unwrap_or(1_000);
    let other = if number >= 9_990 {
        number - rng.gen_range(1..=9)
    } else {
        number + rng.gen_range(1..=9)
    };
    let other = format!("INF-{other}");
    unit_label(plan)?.fields.unit_serial = Some(other.clone());
    Some(format!(
        "the unit label reads {other}, the traveler {truth}"
    ))
}

fn unit_serial_normalised(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let truth = plan.build.unit_serial.clone();
    let loose = match rng.gen_range(0..3) {
        0 => truth.replace('-', " "),
        1 => truth.replace('-', ""),
        _ => truth.trim_start_matches("INF-").to_owned(),
    };
    if rng.gen_bool(0.5) {
        unit_label(plan)?.fields.unit_serial = Some(loose.clone());
        Some(format!(
            "the unit label reads {loose:?}, matching {truth} only after normalisation"
        ))
    } else {
        plan.traveler.unit_serial = loose.clone();
        Some(format!(
            "the traveler's Unit S/N reads {loose:?}, matching {truth} only after normalisation"
        ))
    }
}

fn flight_status_mismatch(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let other = plan.build.flight.other();
    let shown = match other {
        super::FlightStatus::Flight => ["FLIGHT", "FLIGHT UNIT"][rng.gen_range(0..2)],
        super::FlightStatus::Edu => [
            "EDU - NOT FOR FLIGHT",
            "EDU-NOT FOR FLIGHT",
            "NOT FOR FLIGHT",
        ][rng.gen_range(0..3)],
    };
    unit_label(plan)?.fields.flight_status = Some(shown.to_owned());
    Some(format!(
        "the unit label is marked {shown:?}, the traveler says {}",
        plan.build.flight.as_str()
    ))
}

/// Index of a traveler part that is also in the BOM (not one a deviation added).
fn shared_part(rng: &mut SmallRng, plan: &Plan) -> usize {
    let shared: Vec<usize> = (0..plan.traveler.parts.len())
        .filter(|index| {
            let number = &plan.traveler.parts[*index].part_number;
            plan.build.parts.iter().any(|p| &p.part_number == number)
        })
        .collect();
    shared.choose(rng).copied().unwrap_or(0)
}

fn revision_base_differs(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let index = shared_part(rng, plan);
    let entry = &mut plan.traveler.parts[index];
    let truth = entry.revision.clone();
    let letter = truth.as_bytes()[0];
    let at = REVISION_LETTERS
        .iter()
        .position(|l| *l == letter)
        .unwrap_or(3);
    let other_at = if at == 0 || (at + 1 < REVISION_LETTERS.len() && rng.gen_bool(0.6)) {
        at + 1
    } else {
        at - 1
    };
    let other = format!("{}{}", char::from(REVISION_LETTERS[other_at]), &truth[1..]);
    entry.revision = other.clone();
    Some(format!(
        "{}: traveler revision {other}, BOM revision {truth}",
        entry.part_number
    ))
}

fn revision_suffix_differs(rng: &mut SmallRng, plan: &mut Plan) -> Option<String> {
    let index = shared_part(rng, plan);
    let number = plan.traveler.parts[index].part_number.clone();
    let truth = plan.traveler.parts[index].revision.clone();
    let other = if truth.len() > 1 {
        truth[..1].to_owned()
    } else {
        format!("{truth}{}", rng.gen_range(1..=3))
    };
    if rng.gen_bool(0.5) {
        plan.traveler.parts[index].revision = other.clone();
        Some(format!(
            "{number}: traveler revision {other}, BOM revision {truth}"
        ))
    } else {
        let bom = plan.bom.as_mut()?;
        bom.rows
            .iter_mut()
            .find(|row| row.part_number == number)?
            .revision = other.clone();
        Some(format!(
            "{number}: traveler revision {truth}, BOM revision {other}"
        ))
    }
}

/// Variants that a correct cross-check normalises away without a warning; each is recorded.
fn harmless_variants(rng: &mut SmallRng, plan: &mut Plan) -> Vec<String> {
    let mut variants = Vec::new();
    if rng.gen_bool(0.4) {
        let job = &plan.build.job;
        let text = [
            format!("JOB#{job}"),
            format!("Job {job}"),
            format!("Job No.: {job}"),
        ][rng.gen_range(0..3)]
        .clone();
        variants.push(format!("traveler job written {text:?}"));
        plan.traveler.job_text = text;
    }
    if rng.gen_bool(0.3) {
        let prefix = ["Rev. ", "REV "][rng.gen_range(0..2)];
        plan.traveler.revision_prefix = prefix;
        let example = plan
            .traveler
            .parts
            .first()
            .map(|p| p.revision.as_str())
            .unwrap_or("F2");
        variants.push(format!(
            "traveler revisions written like \"{prefix}{example}\""
        ));
    }
    if let Some(bom) = plan.bom.as_mut().filter(|_| rng.gen_bool(0.25)) {
        for row in &mut bom.rows {
            row.part_number = row.part_number.to_lowercase();
        }
        variants.push("BOM part numbers in lower case".to_owned());
    }
    if rng.gen_bool(0.25) {
        let number = plan.build.parts[rng.gen_range(0..plan.build.parts.len())]
            .part_number
            .clone();
        let squeezed = number.replacen('-', "", 1);
        let on_bom = plan.bom.is_some() && rng.gen_bool(0.5);
        if on_bom {
            if let Some(bom) = plan.bom.as_mut() {
                // The BOM may already be in lower case; keep its case.
                for row in bom
                    .rows
                    .iter_mut()
                    .filter(|row| row.part_number.eq_ignore_ascii_case(&number))
                {
                    row.part_number = row.part_number.replacen('-', "", 1);
                }
            }
            variants.push(format!("BOM writes {number} as {squeezed}"));
        } else {
            for entry in plan
                .traveler
                .parts
                .iter_mut()
                .filter(|e| e.part_number == number)
            {
                entry.part_number = squeezed.clone();
            }
            for board in plan
                .traveler
                .boards
                .iter_mut()
                .filter(|b| b.part_number == number)
            {
                board.part_number = squeezed.clone();
            }
            variants.push(format!("traveler writes {number} as {squeezed}"));
        }
    }
    if rng.gen_bool(0.4) {
        let text = match plan.build.flight {
            super::FlightStatus::Flight => "FLIGHT UNIT",
            super::FlightStatus::Edu => [
                "EDU-NOT FOR FLIGHT",
                "NOT FOR FLIGHT",
                "EDU - NOT FOR FLIGHT",
            ][rng.gen_range(0..3)],
        };
        // On the traveler only: a label's marking a deviation may already have changed.
        plan.traveler.flight_marking = text.to_owned();
        variants.push(format!("traveler status written {text:?}"));
    }
    variants
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn forced(seed: u64, kinds: &[DeviationKind]) -> Plan {
        let mut rng = SmallRng::seed_from_u64(seed);
        // Find a build with enough serialised boards for every kind asked for.
        loop {
            let mut build = Build::sample(&mut rng);
            if build.serialised_boards().count() >= 2 {
                return plan_with(&mut rng, seed, &mut build, kinds);
            }
        }
    }

    #[test]
    fn the_table_has_one_row_per_kind_in_order() {
        for (kind, rule) in DeviationKind::ALL.iter().zip(RULES.iter()) {
            assert_eq!(*kind, rule.kind);
        }
        assert_eq!(DeviationKind::JobDiffers.check(), 1);
        assert_eq!(
            DeviationKind::RevisionSuffixDiffers.status(),
            Status::Warning
        );
        assert_eq!(DeviationKind::DuplicateSerial.check(), 9);
    }

    #[test]
    fn chosen_deviations_hold_together() {
        let mut counts = std::collections::HashMap::new();
        for seed in 0..600 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let plan = plan(&mut rng, seed);
            *counts.entry(plan.deviations.len()).or_insert(0) += 1;
            let checks: Vec<u8> = plan.deviations.iter().map(|d| d.check).collect();
            let mut unique = checks.clone();
            unique.dedup();
            assert_eq!(unique, checks, "seed {seed}: one deviation per check");
            let kinds: Vec<DeviationKind> = plan.deviations.iter().map(|d| d.kind).collect();
            if plan.labels.is_empty() {
                assert!(
                    !kinds.iter().any(|k| k.rule().needs.contains(&Photo)),
                    "{kinds:?}"
                );
            }
            if plan.bom.is_none() {
                assert!(
                    !kinds.iter().any(|k| k.rule().needs.contains(&Bom)),
                    "{kinds:?}"
                );
            }
            for deviation in &plan.deviations {
                assert!(
                    !deviation.what.is_empty(),
                    "seed {seed}: {:?}",
                    deviation.kind
                );
            }
        }
        for n in 0..=2 {
            assert!(counts.get(&n).copied().unwrap_or(0) > 60, "{counts:?}");
        }
    }

    #[test]
    fn every_kind_changes_what_it_says() {
        let job = forced(3, &[DeviationKind::JobDiffers]);
        assert_ne!(job.bom.as_ref().unwrap().job, job.build.job);
        assert_eq!(job.bom.as_ref().unwrap().job.len(), 5);

        let part = forced(3, &[DeviationKind::TravelerPartNotInBom]);
        assert_eq!(part.traveler.parts.len(), part.build.parts.len() + 1);

        let photo = forced(3, &[DeviationKind::PhotoPartNotInBom]);
        let bom_numbers: Vec<String> = photo
            .build
            .parts
            .iter()
            .map(|p| p.part_number.clone())
            .collect();
        assert!(photo.labels.iter().any(|l| {
            l.fields
                .part_number
                .as_ref()
                .is_some_and(|n| !bom_numbers.contains(n))
        }));

        let unit = forced(3, &[DeviationKind::UnitSerialDiffers]);
        let shown = unit
            .labels
            .last()
            .unwrap()
            .fields
            .unit_serial
            .clone()
            .unwrap();
        assert_ne!(shown, unit.build.unit_serial);
        assert!(shown.starts_with("INF-"));

        let flight = forced(3, &[DeviationKind::FlightStatusMismatch]);
        let marking = flight
            .labels
            .last()
            .unwrap()
            .fields
            .flight_status
            .clone()
            .unwrap();
        assert_eq!(
            marking.contains("NOT FOR FLIGHT"),
            flight.build.flight == super::super::FlightStatus::Flight
        );

        let duplicate = forced(3, &[DeviationKind::DuplicateSerial]);
        let serials: Vec<&String> = duplicate
            .traveler
            .boards
            .iter()
            .map(|b| &b.serial)
            .collect();
        assert!(
            serials
                .iter()
                .enumerate()
                .any(|(i, s)| serials[..i].contains(s))
        );

        let missing = forced(3, &[DeviationKind::PhotoMissing, DeviationKind::BomMissing]);
        assert!(missing.labels.is_empty() && missing.bom.is_none());
    }

    #[test]
    fn revision_deviations_keep_or_change_the_base_letter() {
        for seed in 0..40 {
            let base = forced(seed, &[DeviationKind::RevisionBaseDiffers]);
            let changed: Vec<_> = base
                .traveler
                .parts
                .iter()
                .zip(&base.build.parts)
                .filter(|(shown, truth)| shown.revision != truth.revision)
                .collect();
            assert_eq!(changed.len(), 1, "seed {seed}");
            let (shown, truth) = changed[0];
            assert_ne!(shown.revision[..1], truth.revision[..1]);
            assert_eq!(shown.revision[1..], truth.revision[1..]);

            let suffix = forced(seed, &[DeviationKind::RevisionSuffixDiffers]);
            let bom = suffix.bom.as_ref().unwrap();
            let pairs: Vec<(&str, &str)> = suffix
                .traveler
                .parts
                .iter()
                .zip(&bom.rows)
                .map(|(t, b)| (t.revision.as_str(), b.revision.as_str()))
                .filter(|(t, b)| t != b)
                .collect();
            assert_eq!(pairs.len(), 1, "seed {seed}");
            assert_eq!(pairs[0].0[..1], pairs[0].1[..1], "same base letter");
        }
    }
}
