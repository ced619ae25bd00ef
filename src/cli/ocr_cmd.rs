//! `qcstation ocr IMAGE... [--field NAME] [--json]`: text read from image files with the
//! station's OCR, then fielded with the station's patterns (`[crosscheck]` in the config): the
//! patterns choose among the lines and correct look-alike characters only where a digit or a
//! letter is demanded, lowering the confidence. With `--json`, one object per image per line (a
//! contract other tools parse): `{"image", "rotation_deg", "lines": [{"text", "confidence",
//! "box": [[x,y]×4]}], "fields": {NAME: {"value", "confidence", "corrected"}}, "elapsed_ms"}`;
//! `fields` holds every field found (the most confident reading of each), or with `--field`
//! only that one. An unreadable image gives the same keys with no lines, no fields and a null
//! rotation, plus `"error"` (as `scan` does). Images are read as the cross-check reads photos
//! (`docs::read_photo`: EXIF orientation, size and pixel limits), so both see the same pixels.
//! Exit code 0 when every image was read (and, with `--field`, gave that field), 1 otherwise.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::round;
use crate::config::Config;
use crate::docs::{Limits, read_photo};
use crate::domain::crosscheck::{
    CompiledPatterns, EvidenceKind, FieldKind, Location, Normalised, Provenance, TextLine,
    fields_in_lines,
};
use crate::ocr::{Ocr, OcrPage};

#[derive(Debug, Args)]
pub struct OcrArgs {
    /// Image files (PNG, JPEG, BMP, WebP, GIF).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// One JSON object per image per line.
    #[arg(long)]
    pub json: bool,
    /// Only this field: board_serial, unit_serial, part_number, revision, flight_status or
    /// job_number.
    #[arg(long, value_name = "NAME")]
    pub field: Option<FieldKind>,
}

pub fn run(args: &OcrArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let patterns = config
        .crosscheck
        .compile()
        .map_err(|err| anyhow::anyhow!("[crosscheck] in the config: {err}"))?;
    let mut ocr = Ocr::station()?;
    let limits = Limits::default();
    let mut every_image_read = true;
    for path in &args.images {
        let started = Instant::now();
        let page = read_photo(path, &limits)
            .map_err(anyhow::Error::from)
            .and_then(|image| Ok(ocr.read(&image)?));
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match page {
            Ok(page) => {
                let lines = photo_lines(
                    &path.display().to_string(),
                    page.lines
                        .iter()
                        .map(|line| (line.text.clone(), line.confidence, line.quad_px)),
                );
                let fields = best_fields(&lines, args.field, &patterns);
                every_image_read &= args.field.is_none() || !fields.is_empty();
                if args.json {
                    println!("{}", json_line(path, &page, &fields, elapsed_ms));
                } else {
                    println!(
                        "{}  rotation {}°  {elapsed_ms:.0} ms",
                        path.display(),
                        page.rotation_deg
                    );
                    for line in &page.lines {
                        println!("  {:<40} {:.3}", line.text, line.confidence);
                    }
                    for (kind, value) in &fields {
                        let corrected = if value.corrections.is_empty() {
                            ""
                        } else {
                            "  corrected"
                        };
                        println!(
                            "  {kind}: {} ({:.3}){corrected}",
                            value.value, value.confidence
                        );
                    }
                }
            }
            Err(err) => {
                every_image_read = false;
                if args.json {
                    println!(
                        "{}",
                        json!({
                            "image": path.display().to_string(),
                            "rotation_deg": null,
                            "lines": [],
                            "fields": {},
                            "error": format!("{err:#}"),
                            "elapsed_ms": round(elapsed_ms, 2),
                        })
                    );
                }
                eprintln!("error: {}: {err:#}", path.display());
            }
        }
    }
    Ok(if every_image_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A photo's OCR lines as the fielding takes them: `(text, confidence, box)` each.
pub(super) fn photo_lines(
    file: &str,
    lines: impl IntoIterator<Item = (String, f32, [[f32; 2]; 4])>,
) -> Vec<TextLine> {
    lines
        .into_iter()
        .map(|(text, confidence, quad_px)| TextLine {
            text,
            confidence,
            provenance: Provenance {
                file: file.to_owned(),
                at: Location::ImageBox {
                    page: None,
                    quad_px,
                },
            },
        })
        .collect()
}

/// The most confident reading of each field found in a photo's lines (or of `only`); on a tie
/// the first found.
pub(super) fn best_fields(
    lines: &[TextLine],
    only: Option<FieldKind>,
    patterns: &CompiledPatterns,
) -> BTreeMap<FieldKind, Normalised> {
    let mut best: BTreeMap<FieldKind, Normalised> = BTreeMap::new();
    for found in fields_in_lines(lines, EvidenceKind::Photo, patterns) {
        if only.is_some_and(|kind| kind != found.kind) {
            continue;
        }
        let better = best
            .get(&found.kind)
            .is_none_or(|held| found.value.confidence > held.confidence);
        if better {
            best.insert(found.kind, found.value);
        }
    }
    best
}

fn json_line(
    path: &std::path::Path,
    page: &OcrPage,
    fields: &BTreeMap<FieldKind, Normalised>,
    elapsed_ms: f64,
) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = page
        .lines
        .iter()
        .map(|line| {
            json!({
                "text": line.text,
                "confidence": round(f64::from(line.confidence), 4),
                "box": line.quad_px.map(|[x, y]| [round(f64::from(x), 1), round(f64::from(y), 1)]),
            })
        })
        .collect();
    json!({
        "image": path.display().to_string(),
        "rotation_deg": page.rotation_deg,
        "lines": lines,
        "fields": fields
            .iter()
            .map(|(kind, value)| {
                (
                    kind.as_str().to_owned(),
                    json!({
                        "value": value.value,
                        "confidence": round(f64::from(value.confidence), 4),
                        "corrected": !value.corrections.is_empty(),
                    }),
                )
            })
            .collect::<serde_json::Map<_, _>>(),
        "elapsed_ms": round(elapsed_ms, 2),
    })
}
