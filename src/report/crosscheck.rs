//! The cross-check report: the verdict as a coloured band, then every check (number, priority,
//! status, what was compared) with the values and where each came from, then the files and
//! what each gave. The same content the Cross-check panel shows, for the record.

use super::layout::{Column, Document, Rgb};
use crate::domain::crosscheck::{
    CheckResult, CheckStatus, FieldValue, Location, Verdict, column_letters,
};

const PASS: Rgb = [0.13, 0.55, 0.25];
const WARNING: Rgb = [0.85, 0.55, 0.05];
const FAIL: Rgb = [0.78, 0.12, 0.12];
const SKIPPED: Rgb = [0.5, 0.5, 0.5];

/// A file of the session as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub name: String,
    /// `traveler`, `bom`, `photo` or `?`.
    pub kind: String,
    /// What it gave, or why it failed.
    pub summary: String,
}

fn status_colour(status: CheckStatus) -> Rgb {
    match status {
        CheckStatus::Pass => PASS,
        CheckStatus::Warning => WARNING,
        CheckStatus::Fail => FAIL,
        CheckStatus::Skipped => SKIPPED,
    }
}

/// Where a value was found, in words.
pub fn source_words(value: &FieldValue) -> String {
    let at = match &value.provenance.at {
        Location::Page { page, .. } => format!("page {page}"),
        Location::Cell { sheet, row, col } => format!("{sheet}!{}{row}", column_letters(*col)),
        Location::ImageBox {
            page: Some(page), ..
        } => format!("scanned page {page}"),
        Location::ImageBox {
            page: None,
            quad_px,
        } => {
            format!("photo at ({:.0}, {:.0}) px", quad_px[0][0], quad_px[0][1])
        }
    };
    format!("{} {}", value.provenance.file, at)
}

/// A value with its raw text, confidence and source, one line.
fn value_words(value: &FieldValue) -> String {
    let mut words = format!("{} {}", value.kind.label(), value.value.value);
    if value.value.raw.trim() != value.value.value {
        words.push_str(&format!(" (read \"{}\")", value.value.raw.trim()));
    }
    if value.value.confidence < 1.0 {
        words.push_str(&format!(" {:.0} %", value.value.confidence * 100.0));
    }
    if !value.value.corrections.is_empty() {
        words.push_str(" corrected");
    }
    words.push_str(&format!(" - {}", source_words(value)));
    words
}

/// The report as PDF bytes.
pub fn crosscheck_pdf(
    title: &str,
    created: &str,
    verdict: Verdict,
    checks: &[CheckResult],
    files: &[ReportFile],
) -> Vec<u8> {
    let mut document = Document::new(&format!("Cross-check {title}"));
    document.heading(&format!("Cross-check report: {title}"), 18.0);
    document.paragraph(created, 10.0);
    document.gap(6.0);
    let colour = match verdict {
        Verdict::Pass => PASS,
        Verdict::Warning => WARNING,
        Verdict::Fail => FAIL,
    };
    document.banner(verdict.as_str(), colour);
    document.heading("Checks", 13.0);
    let width = document.width_pt();
    let columns = [
        Column {
            header: "#",
            width_pt: 20.0,
        },
        Column {
            header: "Status",
            width_pt: 58.0,
        },
        Column {
            header: "Priority",
            width_pt: 48.0,
        },
        Column {
            header: "Check and values compared",
            width_pt: width - 126.0,
        },
    ];
    document.table_header(&columns);
    for check in checks {
        let mut text = format!("{}: {}", check.name, check.message);
        for value in &check.values {
            text.push_str(&format!(" | {}", value_words(value)));
        }
        document.table_row(
            &columns,
            &[
                check.number.to_string(),
                check.status.as_str().to_owned(),
                check.priority.as_str().to_owned(),
                text,
            ],
            Some((1, status_colour(check.status))),
        );
    }
    document.gap(10.0);
    document.heading("Files", 13.0);
    let file_columns = [
        Column {
            header: "File",
            width_pt: 170.0,
        },
        Column {
            header: "Kind",
            width_pt: 56.0,
        },
        Column {
            header: "Result",
            width_pt: width - 226.0,
        },
    ];
    document.table_header(&file_columns);
    for file in files {
        document.table_row(
            &file_columns,
            &[file.name.clone(), file.kind.clone(), file.summary.clone()],
            None,
        );
    }
    document.gap(10.0);
    document.paragraph(
        "Values read by OCR carry the recogniser's confidence; a value under the station's \
         threshold never passes a check silently. Look-alike corrections (O/0, I/1, S/5, B/8, \
         Z/2, G/6) are made only where the field's pattern demands a digit or a letter, and are \
         marked corrected.",
        8.5,
    );
    document.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_carries_the_verdict_checks_and_files() {
        let files = [ReportFile {
            name: "traveler.pdf".into(),
            kind: "traveler".into(),
            summary: "6 fields".into(),
        }];
        let pdf = crosscheck_pdf("job 12345", "2026-12-05", Verdict::Fail, &[], &files);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(FAIL) Tj"));
        assert!(text.contains("(traveler.pdf) Tj"));
    }
}
