//! Generated document packs for the cross-check: traveler PDF, as-built BOM workbook and product
//! label photos of one build, with scripted agreements and disagreements and an answer file.
//!
//! One stage per file: `build` samples a product as built, `script` decides what each document
//! shows (full agreement, or one or two deviations from a table, plus harmless variants),
//! `traveler` lays the traveler out and `pdf`/`scan` write it as a text or a scanned PDF, `bom`
//! writes the workbook or CSV, `label` (with `backdrop`, `optics`, `text`, `fonts`) renders the
//! label photos, and `answer` records what a correct cross-check must find. Everything is a
//! function of the seed: the same seed gives the same bytes. Nothing here reads evidence back or
//! runs a check; that is `docs` extraction and `domain::crosscheck`.

mod answer;
mod backdrop;
mod bom;
mod build;
mod fonts;
mod label;
mod optics;
mod pdf;
mod scan;
mod script;
mod text;
mod traveler;

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::SmallRng;

use crate::domain::crosscheck::EvidenceKind;

pub use answer::{
    Deviation, LabelAnswer, PackAnswer, PackFile, PackTruth, Status, TruePart, expected_verdict,
};
pub use backdrop::Surface;
pub use build::{Build, FlightStatus, Part};
pub use fonts::Face;
pub use label::{FieldTruth, LabelFields, LabelLineTruth, LabelTruth, Quad, label_photo};
pub use optics::PhotoEncoding;
pub use script::DeviationKind;

/// How hard the label photos are to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Text cap height 25 px or more, mild blur, sensor noise, a glare blob, PNG or good JPEG.
    Normal,
    /// Low contrast, heavy blur, JPEG quality 20–40, text 12–18 px high.
    Hard,
}

impl Tier {
    pub const ALL: [Self; 2] = [Self::Normal, Self::Hard];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Hard => "hard",
        }
    }
}

/// What a pack may contain beyond what its seed decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackOptions {
    pub tier: Tier,
}

impl Default for PackOptions {
    fn default() -> Self {
        Self { tier: Tier::Normal }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{path}: {reason}; check the folder exists and is writable")]
    Io { path: PathBuf, reason: String },
    #[error("bundled font {name}: {reason}; the font file under assets/fonts is damaged")]
    Font { name: &'static str, reason: String },
    #[error("encoding {what}: {reason}")]
    Encode { what: String, reason: String },
}

fn io_error(path: &Path, err: impl std::fmt::Display) -> SynthError {
    SynthError::Io {
        path: path.to_path_buf(),
        reason: err.to_string(),
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SynthError> {
    std::fs::write(path, bytes).map_err(|err| io_error(path, err))
}

/// Writes the pack of `seed` into `dir` (created if missing): the traveler, the BOM (unless the
/// script leaves it out), the label photos (unless the script leaves them out) and
/// `answer.json`, and returns the answer.
pub fn write_pack(dir: &Path, seed: u64, options: &PackOptions) -> Result<PackAnswer, SynthError> {
    let plan = script::plan(&mut SmallRng::seed_from_u64(seed), seed);
    write_plan(dir, seed, options.tier, &plan)
}

/// Writes the files of a planned pack and its answer.
fn write_plan(
    dir: &Path,
    seed: u64,
    tier: Tier,
    plan: &script::Plan,
) -> Result<PackAnswer, SynthError> {
    std::fs::create_dir_all(dir).map_err(|err| io_error(dir, err))?;
    let mut files = write_documents(dir, seed, plan)?;
    let (photos, labels) = write_photos(dir, tier, plan)?;
    files.extend(photos);
    let answer = PackAnswer::new(seed, tier, files, plan, labels);
    let json = serde_json::to_string_pretty(&answer).map_err(|err| SynthError::Encode {
        what: "answer.json".to_owned(),
        reason: err.to_string(),
    })?;
    write_file(&dir.join("answer.json"), json.as_bytes())?;
    Ok(answer)
}

/// The traveler and, unless the script leaves it out, the BOM.
fn write_documents(
    dir: &Path,
    seed: u64,
    plan: &script::Plan,
) -> Result<Vec<PackFile>, SynthError> {
    let pages = traveler::layout(&plan.traveler)?;
    let traveler_bytes = if plan.traveler.scanned {
        scan::scanned_pdf(&pages, &plan.traveler)?
    } else {
        pdf::text_pdf(&pages, &plan.traveler)
    };
    write_file(&dir.join(&plan.traveler.file_name), &traveler_bytes)?;
    let mut files = vec![PackFile {
        name: plan.traveler.file_name.clone(),
        kind: EvidenceKind::Traveler,
    }];
    if let Some(bom_view) = &plan.bom {
        write_file(&dir.join(&bom_view.file_name), &bom::write(bom_view, seed)?)?;
        files.push(PackFile {
            name: bom_view.file_name.clone(),
            kind: EvidenceKind::Bom,
        });
    }
    Ok(files)
}

/// The label photos, each encoded once in the encoding its render chose.
fn write_photos(
    dir: &Path,
    tier: Tier,
    plan: &script::Plan,
) -> Result<(Vec<PackFile>, Vec<LabelAnswer>), SynthError> {
    let mut files = Vec::new();
    let mut labels = Vec::new();
    for view in &plan.labels {
        let rendered = label::render(view.seed, tier, &view.fields)?;
        let bytes = optics::encode(&rendered.image, rendered.truth.encoding)?;
        let name = format!("{}.{}", view.stem, rendered.truth.encoding.extension());
        write_file(&dir.join(&name), &bytes)?;
        files.push(PackFile {
            name: name.clone(),
            kind: EvidenceKind::Photo,
        });
        labels.push(LabelAnswer {
            file: name,
            fields: view.fields.clone(),
        });
    }
    Ok((files, labels))
}

#[cfg(test)]
mod tests;
