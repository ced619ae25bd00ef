//! The cross-check of one build, start to verdict: each file is read (`docs`), its scanned
//! pages and photos go through the OCR (`ocr`), the text is fielded and the nine checks run
//! (`domain::crosscheck`). The CLI calls `check_files` directly; the cross-check worker calls
//! it for a stored session. A file that cannot be read fails alone, with its reason; the OCR
//! runs inside a panic boundary like the parsers, so no file can stop the session.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::docs::{Limits, read_document};
use crate::domain::crosscheck::{
    CheckResult, CompiledPatterns, EvidenceKind, FieldValue, Location, Provenance, TextLine,
    Verdict, fields_in_bom, fields_in_lines, run_checks,
};
use crate::ocr::{Ocr, OcrLine};

use super::worker::panic_message;

/// A file to check: where it is, and the name the operator knows it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub name: String,
}

impl InputFile {
    /// A file known by its own name.
    pub fn at(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        }
    }
}

/// What one file gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileOutcome {
    pub name: String,
    /// `traveler`, `bom` or `photo`; `None` when the file could not be read at all.
    pub kind: Option<EvidenceKind>,
    /// Why the file failed, naming it and what to do; `None` when it was read.
    pub error: Option<String>,
    pub fields: Vec<FieldValue>,
    /// Lines of text read (from the PDF or by the OCR) and BOM rows.
    pub lines: usize,
    pub bom_rows: usize,
    /// Images the OCR read (photos, scanned pages).
    pub images_read: usize,
    pub elapsed_ms: f64,
}

/// The verdict of a set of files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrosscheckOutcome {
    pub verdict: Verdict,
    pub checks: Vec<CheckResult>,
    pub files: Vec<FileOutcome>,
}

/// The OCR as the pipeline has it: ready, or refused with the reason (models that failed their
/// golden self-test), which fails every file that needs it.
pub enum OcrState {
    Ready(Box<Ocr>),
    Refused(String),
}

impl OcrState {
    /// The station's OCR, or why not.
    pub fn station() -> Self {
        match Ocr::station() {
            Ok(ocr) => Self::Ready(Box::new(ocr)),
            Err(err) => Self::Refused(err.to_string()),
        }
    }
}

/// Reads one file into fields.
pub fn extract_file(
    file: &InputFile,
    limits: &Limits,
    ocr: &mut OcrState,
    patterns: &CompiledPatterns,
) -> FileOutcome {
    let started = Instant::now();
    let mut outcome = FileOutcome {
        name: file.name.clone(),
        kind: None,
        error: None,
        fields: Vec::new(),
        lines: 0,
        bom_rows: 0,
        images_read: 0,
        elapsed_ms: 0.0,
    };
    match read_file(file, limits, ocr, patterns, &mut outcome) {
        Ok(()) => {}
        Err(reason) => outcome.error = Some(reason),
    }
    outcome.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    outcome
}

fn read_file(
    file: &InputFile,
    limits: &Limits,
    ocr: &mut OcrState,
    patterns: &CompiledPatterns,
    outcome: &mut FileOutcome,
) -> Result<(), String> {
    let mut document =
        read_document(&file.path, &file.name, limits).map_err(|err| err.to_string())?;
    outcome.kind = Some(document.kind);
    let mut lines = std::mem::take(&mut document.lines);
    let images = document.images_to_read();
    if !images.is_empty() {
        let ocr = match ocr {
            OcrState::Ready(ocr) => ocr,
            OcrState::Refused(reason) => {
                return Err(format!(
                    "{}: this file must be read by the OCR, which is disabled ({reason})",
                    file.name
                ));
            }
        };
        for image in &images {
            let page = catch_unwind(AssertUnwindSafe(|| ocr.read(image.image)))
                .map_err(|panic| {
                    format!(
                        "{}: the OCR crashed on this image ({}); the file is skipped, please report it",
                        file.name,
                        panic_message(panic.as_ref())
                    )
                })?
                .map_err(|err| format!("{}: {err}", file.name))?;
            outcome.images_read += 1;
            // A scanned page's table cells come back as separate lines; joined into rows, a
            // part number and the revision in its column read together, as from a text PDF.
            let read = if image.page.is_some() {
                rows(page.lines)
            } else {
                page.lines
            };
            lines.extend(read.into_iter().map(|line| TextLine {
                text: line.text,
                confidence: line.confidence,
                provenance: Provenance {
                    file: file.name.clone(),
                    at: Location::ImageBox {
                        page: image.page,
                        quad_px: line.quad_px,
                    },
                },
            }));
        }
    }
    outcome.lines = lines.len();
    outcome.bom_rows = document.bom_rows.len();
    outcome.fields = fields_in_lines(&lines, document.kind, patterns);
    outcome
        .fields
        .extend(fields_in_bom(&document.bom_rows, patterns));
    Ok(())
}

/// Lines of an upright page joined into rows: lines whose centres are within half a line height
/// of each other form a row, read left to right, cells separated by a tab (a column gap, as the
/// PDF text layout writes it); the row's confidence is its cells' mean weighted by their length
/// (a speck read as two letters at 0.6 beside a serial at 0.99 must not make the serial
/// uncertain; per-value confidence is lost in the join) and its box the cells' bounding box.
fn rows(lines: Vec<OcrLine>) -> Vec<OcrLine> {
    let centre_y = |line: &OcrLine| line.quad_px.iter().map(|p| p[1]).sum::<f32>() / 4.0;
    let height = |line: &OcrLine| {
        let [q0, _, _, q3] = line.quad_px;
        (q3[0] - q0[0]).hypot(q3[1] - q0[1])
    };
    let mut sorted = lines;
    sorted.sort_by(|a, b| centre_y(a).total_cmp(&centre_y(b)));
    let mut grouped: Vec<Vec<OcrLine>> = Vec::new();
    for line in sorted {
        match grouped.last_mut() {
            Some(row)
                if (centre_y(&line) - centre_y(&row[0])).abs()
                    < height(&row[0]).min(height(&line)) / 2.0 =>
            {
                row.push(line);
            }
            _ => grouped.push(vec![line]),
        }
    }
    grouped
        .into_iter()
        .map(|mut row| {
            row.sort_by(|a, b| a.quad_px[0][0].total_cmp(&b.quad_px[0][0]));
            let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
            for [x, y] in row.iter().flat_map(|line| line.quad_px) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
            OcrLine {
                text: row
                    .iter()
                    .map(|line| line.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\t"),
                confidence: {
                    let chars: Vec<f32> = row
                        .iter()
                        .map(|line| line.text.chars().count().max(1) as f32)
                        .collect();
                    row.iter()
                        .zip(&chars)
                        .map(|(line, n)| line.confidence * n)
                        .sum::<f32>()
                        / chars.iter().sum::<f32>()
                },
                quad_px: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
            }
        })
        .collect()
}

/// The checks over what the files gave: only files that were read count as evidence present.
pub fn judge(files: Vec<FileOutcome>, patterns: &CompiledPatterns) -> CrosscheckOutcome {
    let mut present: Vec<EvidenceKind> = files
        .iter()
        .filter(|file| file.error.is_none())
        .filter_map(|file| file.kind)
        .collect();
    present.sort();
    present.dedup();
    let fields: Vec<FieldValue> = files
        .iter()
        .flat_map(|file| file.fields.iter().cloned())
        .collect();
    let checks = run_checks(&fields, &present, patterns);
    CrosscheckOutcome {
        verdict: Verdict::of(&checks),
        checks,
        files,
    }
}

/// Checks a set of files.
pub fn check_files(
    files: &[InputFile],
    limits: &Limits,
    ocr: &mut OcrState,
    patterns: &CompiledPatterns,
) -> CrosscheckOutcome {
    let outcomes = files
        .iter()
        .map(|file| extract_file(file, limits, ocr, patterns))
        .collect();
    judge(outcomes, patterns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str, x: f32, y: f32, confidence: f32) -> OcrLine {
        OcrLine {
            text: text.to_owned(),
            confidence,
            quad_px: [[x, y], [x + 80.0, y], [x + 80.0, y + 20.0], [x, y + 20.0]],
        }
    }

    #[test]
    fn cells_of_a_scanned_row_join_left_to_right() {
        let joined = rows(vec![
            cell("C1", 300.0, 102.0, 0.9),
            cell("PCA-1555-01", 100.0, 100.0, 0.99),
            cell("NOTES", 100.0, 200.0, 0.95),
        ]);
        assert_eq!(joined.len(), 2);
        assert_eq!(joined[0].text, "PCA-1555-01\tC1");
        // (11 × 0.99 + 2 × 0.9) / 13
        assert!(
            (joined[0].confidence - 0.976_153_8).abs() < 1e-5,
            "{}",
            joined[0].confidence
        );
        assert_eq!(joined[0].quad_px[2], [380.0, 122.0]);
        assert_eq!(joined[1].text, "NOTES");
    }
}
