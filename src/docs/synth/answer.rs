//! The answer file of a pack (`answer.json`): its files and their kinds, the verdict a correct
//! cross-check must reach, the scripted deviations with their check and status, the harmless
//! variants, and the build's true values with what each label photo shows. It records; it must
//! not decide anything the script has not.

use serde::{Deserialize, Serialize};

use super::Tier;
use super::build::FlightStatus;
use super::label::LabelFields;
use super::script::{DeviationKind, Plan};
use crate::domain::crosscheck::EvidenceKind;

/// A check's status, ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Warning,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Warning => "WARNING",
            Self::Fail => "FAIL",
        }
    }
}

/// One scripted deviation and what a correct cross-check must report for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deviation {
    /// The check of the spec (1–9).
    pub check: u8,
    pub status: Status,
    pub kind: DeviationKind,
    /// The values that disagree and where, in words.
    pub what: String,
}

impl Deviation {
    pub fn new(kind: DeviationKind, what: String) -> Self {
        Self {
            check: kind.check(),
            status: kind.status(),
            kind,
            what,
        }
    }
}

/// A file of the pack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackFile {
    pub name: String,
    pub kind: EvidenceKind,
}

/// A BOM line as built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruePart {
    pub part_number: String,
    pub revision: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
}

/// A label photo and the field values printed on it (as printed, deviations included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelAnswer {
    pub file: String,
    pub fields: LabelFields,
}

/// The build's true values, canonical forms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackTruth {
    pub job: String,
    pub unit_serial: String,
    pub flight_status: FlightStatus,
    pub parts: Vec<TruePart>,
    pub labels: Vec<LabelAnswer>,
}

/// What `answer.json` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackAnswer {
    pub seed: u64,
    pub tier: Tier,
    pub files: Vec<PackFile>,
    pub expected_verdict: Status,
    pub deviations: Vec<Deviation>,
    /// Harmless differences of form that must still pass, in words.
    #[serde(default)]
    pub variants: Vec<String>,
    pub truth: PackTruth,
}

/// The worst status among the deviations; PASS when there is none.
pub fn expected_verdict(deviations: &[Deviation]) -> Status {
    deviations
        .iter()
        .map(|deviation| deviation.status)
        .max()
        .unwrap_or(Status::Pass)
}

impl PackAnswer {
    pub(super) fn new(
        seed: u64,
        tier: Tier,
        files: Vec<PackFile>,
        plan: &Plan,
        labels: Vec<LabelAnswer>,
    ) -> Self {
        let build = &plan.build;
        Self {
            seed,
            tier,
            files,
            expected_verdict: expected_verdict(&plan.deviations),
            deviations: plan.deviations.clone(),
            variants: plan.variants.clone(),
            truth: PackTruth {
                job: build.job.clone(),
                unit_serial: build.unit_serial.clone(),
                flight_status: build.flight,
                parts: build
                    .parts
                    .iter()
                    .map(|part| TruePart {
                        part_number: part.part_number.clone(),
                        revision: part.revision.clone(),
                        serial: part.serial.clone(),
                    })
                    .collect(),
                labels,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_is_the_worst_deviation() {
        let warn = Deviation::new(DeviationKind::RevisionSuffixDiffers, "F2 vs F".to_owned());
        let fail = Deviation::new(DeviationKind::JobDiffers, "12345 vs 12346".to_owned());
        assert_eq!(expected_verdict(&[]), Status::Pass);
        assert_eq!(
            expected_verdict(std::slice::from_ref(&warn)),
            Status::Warning
        );
        assert_eq!(expected_verdict(&[warn, fail]), Status::Fail);
    }

    #[test]
    fn statuses_and_kinds_serialise_as_the_answer_format_says() {
        let deviation = Deviation::new(DeviationKind::UnitSerialNormalised, "INF 1619".to_owned());
        let json = serde_json::to_value(&deviation).unwrap();
        assert_eq!(json["check"], 5);
        assert_eq!(json["status"], "WARNING");
        assert_eq!(json["kind"], "unit_serial_normalised");
        let file = PackFile {
            name: "IMG_1.jpg".to_owned(),
            kind: EvidenceKind::Photo,
        };
        assert_eq!(serde_json::to_value(&file).unwrap()["kind"], "photo");
        assert_eq!(serde_json::to_value(FlightStatus::Edu).unwrap(), "EDU");
    }
}
