//! A scan session as CSV, for the plant's spreadsheet: a header block with the session and its
//! summary (expected, seen, missing, extra), then one row per scan. Codes come from anything a
//! camera saw, so a field a spreadsheet would take for a formula is quoted as text.

use crate::qr::export::csv_field;
use crate::store::{ScanRecord, ScanResult, ScanSessionRecord, ScanSummary};

/// A field that cannot turn into a spreadsheet formula.
fn text_field(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{text}"))
    } else {
        csv_field(text)
    }
}

/// The whole report.
pub fn session_csv(
    session: &ScanSessionRecord,
    summary: &ScanSummary,
    scans: &[ScanRecord],
) -> String {
    let mut out = String::new();
    let mut line = |fields: &[&str]| {
        let row: Vec<String> = fields.iter().map(|field| text_field(field)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    };
    line(&["session", &session.id.to_string(), &session.name]);
    line(&["expected", &session.expected_words()]);
    line(&["started", &session.started_at_utc, &session.started_by]);
    line(&[
        "closed",
        session.closed_at_utc.as_deref().unwrap_or("open"),
        session.closed_by.as_deref().unwrap_or(""),
    ]);
    line(&["expected count", &summary.expected.to_string()]);
    line(&["expected seen", &summary.seen_expected.to_string()]);
    line(&["distinct codes seen", &summary.seen.to_string()]);
    for result in ScanResult::ALL {
        let count = summary.counts.get(&result).copied().unwrap_or(0);
        line(&[&format!("result {}", result.as_str()), &count.to_string()]);
    }
    let missing: Vec<&str> = summary.missing.iter().map(String::as_str).collect();
    line(&[&["missing"][..], &missing].concat());
    let extra: Vec<&str> = summary.extra.iter().map(String::as_str).collect();
    line(&[&["extra"][..], &extra].concat());
    line(&[]);
    line(&[
        "scan",
        "at_utc",
        "code",
        "result",
        "item_status",
        "detail",
        "image",
        "by",
    ]);
    for scan in scans {
        line(&[
            &scan.id.to_string(),
            &scan.at_utc,
            &scan.code_text,
            scan.result.as_str(),
            scan.item_status.as_deref().unwrap_or(""),
            scan.detail.as_deref().unwrap_or(""),
            scan.image_path.as_deref().unwrap_or(""),
            &scan.scanned_by,
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_in_codes_stay_text_and_commas_are_quoted() {
        assert_eq!(
            text_field("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(
            text_field("PAD-V0100-L2025-09-00001"),
            "PAD-V0100-L2025-09-00001"
        );
        assert_eq!(text_field("a,b"), "\"a,b\"");
        assert_eq!(text_field("-1"), "'-1");
    }
}
