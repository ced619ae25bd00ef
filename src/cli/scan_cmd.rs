//! `qcstation scan IMAGE... [--json]`: QR codes in image files (PNG, JPEG, BMP, WebP, GIF), each
//! decoded on an isolated thread (a decoder panic or hang fails that image, not the run). Exit
//! code 0 when every image gave at least one code, 1 otherwise. With `--json`, one object per
//! image per line (a contract other tools parse): `{"image", "codes": [{"text", "corners":
//! [[x,y]×4], "inverted", "grade"}], "elapsed_ms"}`; an image that could not be read or decoded
//! gives `{"image", "codes": [], "error", "elapsed_ms"}`. `grade` is the mark's process grade
//! (`scan::grade`): `{"overall": "A".."F", "process_grade": true, "<parameter>": {"value",
//! "grade"}..., "errors_corrected", "module_px"}`, or `{"error"}` when the code could not be
//! graded.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use super::round;
use crate::scan::grade::{GradeError, MarkGrade, PARAMETERS, letter};
use crate::scan::isolate::{IsolatedDecoder, Outcome};
use crate::scan::{Code, ScanOptions};
use crate::vision::image_file::read_grey;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Image files (PNG, JPEG, BMP, WebP, GIF).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// One JSON object per image per line.
    #[arg(long)]
    pub json: bool,
    /// Time the decoder may spend on one image before it stops trying, in milliseconds.
    #[arg(long, default_value_t = 400, value_name = "MS")]
    pub budget_ms: u64,
}

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let options = ScanOptions {
        budget: Duration::from_millis(args.budget_ms),
        grade: true,
    };
    let mut decoder = IsolatedDecoder::for_budget(options.budget);
    let mut every_image_read = true;
    for path in &args.images {
        let started = Instant::now();
        let result = scan_file(path, &mut decoder, options);
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(codes) => {
                every_image_read &= !codes.is_empty();
                if args.json {
                    println!("{}", json_line(path, &codes, elapsed_ms));
                } else {
                    print_text(path, &codes, elapsed_ms);
                }
            }
            Err(err) => {
                every_image_read = false;
                if args.json {
                    println!(
                        "{}",
                        json!({
                            "image": path.display().to_string(),
                            "codes": [],
                            "error": format!("{err:#}"),
                            "elapsed_ms": round(elapsed_ms, 2),
                        })
                    );
                }
                // Every error of `scan_file` names the file.
                eprintln!("error: {err:#}");
            }
        }
    }
    Ok(if every_image_read {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub(super) fn scan_file(
    path: &Path,
    decoder: &mut IsolatedDecoder,
    options: ScanOptions,
) -> anyhow::Result<Vec<Code>> {
    let grey = read_grey(path)?;
    match decoder.decode(grey, options)? {
        Outcome::Codes(codes) => Ok(codes),
        Outcome::Panicked(message) => anyhow::bail!(
            "{}: the decoder crashed on this image ({message}); the image is skipped, please report it",
            path.display()
        ),
        Outcome::TimedOut => anyhow::bail!(
            "{}: the decoder gave no answer within {} ms and was abandoned",
            path.display(),
            decoder.hard_limit().as_millis()
        ),
    }
}

fn json_line(path: &Path, codes: &[Code], elapsed_ms: f64) -> serde_json::Value {
    let codes: Vec<serde_json::Value> = codes
        .iter()
        .map(|code| {
            json!({
                "text": code.text,
                "corners": code.corners.map(|(x, y)| [round(f64::from(x), 1), round(f64::from(y), 1)]),
                "inverted": code.inverted,
                "grade": grade_json(code.grade.as_ref()),
            })
        })
        .collect();
    json!({
        "image": path.display().to_string(),
        "codes": codes,
        "elapsed_ms": round(elapsed_ms, 2),
    })
}

/// The grade as JSON: letters for grades, values rounded.
fn grade_json(grade: Option<&Result<MarkGrade, GradeError>>) -> serde_json::Value {
    match grade {
        None => serde_json::Value::Null,
        Some(Err(err)) => json!({ "error": err.to_string() }),
        Some(Ok(grade)) => {
            let mut object = serde_json::Map::new();
            object.insert("overall".into(), json!(letter(grade.overall).to_string()));
            object.insert("process_grade".into(), json!(true));
            for ((key, _), (_, parameter)) in PARAMETERS.iter().zip(grade.parameters()) {
                object.insert(
                    (*key).to_owned(),
                    json!({
                        "value": round(f64::from(parameter.value), 3),
                        "grade": letter(parameter.grade).to_string(),
                    }),
                );
            }
            object.insert("errors_corrected".into(), json!(grade.errors_corrected));
            object.insert(
                "module_px".into(),
                json!(round(f64::from(grade.module_px), 2)),
            );
            serde_json::Value::Object(object)
        }
    }
}

fn print_text(path: &Path, codes: &[Code], elapsed_ms: f64) {
    println!(
        "{}: {} code{} in {elapsed_ms:.1} ms",
        path.display(),
        codes.len(),
        if codes.len() == 1 { "" } else { "s" }
    );
    for code in codes {
        let (x, y) = code.corners[0];
        println!(
            "  {:?}  version {}, {:.1} px/module{}, top-left corner at ({x:.0}, {y:.0}), read by the {} rung",
            code.text,
            code.version,
            code.module_px,
            if code.inverted { ", light on dark" } else { "" },
            code.rung
        );
        match &code.grade {
            Some(Ok(grade)) => println!("    process grade {}", grade.summary()),
            Some(Err(err)) => println!("    not graded: {err}"),
            None => {}
        }
    }
}
