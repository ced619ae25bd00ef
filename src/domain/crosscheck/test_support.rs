//! Evidence for the unit tests of the fielding and the checks: the spec's patterns, places in
//! a PDF page, a photo and a spreadsheet, and lines of text read there.

use super::evidence::{Location, Provenance, TextLine};
use super::fields::CompiledPatterns;

/// The spec's patterns.
pub fn patterns() -> CompiledPatterns {
    CompiledPatterns::default()
}

/// The `index`th line of page 1 of a PDF, lines 14 pt apart.
pub fn page_at(file: &str, index: u32) -> Provenance {
    let top = 72.0 + 14.0 * index as f32;
    Provenance {
        file: file.to_owned(),
        at: Location::Page {
            page: 1,
            bbox_pt: [72.0, top, 500.0, top + 12.0],
        },
    }
}

/// A box of text in a photo.
pub fn photo_at(file: &str) -> Provenance {
    Provenance {
        file: file.to_owned(),
        at: Location::ImageBox {
            page: None,
            quad_px: [[10.0, 10.0], [200.0, 10.0], [200.0, 40.0], [10.0, 40.0]],
        },
    }
}

/// A spreadsheet cell (row and column 1-based).
pub fn cell_at(file: &str, sheet: &str, row: u32, col: u32) -> Provenance {
    Provenance {
        file: file.to_owned(),
        at: Location::Cell {
            sheet: sheet.to_owned(),
            row,
            col,
        },
    }
}

/// `text` read with `confidence` at `provenance`.
pub fn line(text: &str, confidence: f32, provenance: Provenance) -> TextLine {
    TextLine {
        text: text.to_owned(),
        confidence,
        provenance,
    }
}
