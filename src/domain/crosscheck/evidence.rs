//! Evidence as the extractors deliver it: lines of text (from a PDF page, an OCR'd photo or a
//! scanned page) and rows of a BOM table, each value with where it came from.

use serde::{Deserialize, Serialize};

/// The three kinds of evidence about one build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Traveler or work instruction (PDF, text or scanned).
    Traveler,
    /// As-built bill of materials (spreadsheet or CSV).
    Bom,
    /// Photo of the product or its labels.
    Photo,
}

impl EvidenceKind {
    pub const ALL: [Self; 3] = [Self::Traveler, Self::Bom, Self::Photo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Traveler => "traveler",
            Self::Bom => "bom",
            Self::Photo => "photo",
        }
    }
}

/// Where inside a file a value was found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// A PDF page (1-based) and the text's box in page points, origin top-left:
    /// `[x_min, y_min, x_max, y_max]`.
    Page { page: u32, bbox_pt: [f32; 4] },
    /// A spreadsheet cell: sheet name, 1-based row and column as the spreadsheet shows them.
    Cell { sheet: String, row: u32, col: u32 },
    /// A region of an image (a photo, or a scanned page rendered at `page`), four corners in
    /// pixels, clockwise from the top-left of the text as read.
    ImageBox {
        page: Option<u32>,
        quad_px: [[f32; 2]; 4],
    },
}

/// A 1-based spreadsheet column as the spreadsheet names it: 1 → A, 27 → AA.
pub fn column_letters(col: u32) -> String {
    let mut col = col;
    let mut letters = Vec::new();
    while col > 0 {
        let rem = (col - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        col = (col - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A file and a place in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The file's original name as the operator dropped it.
    pub file: String,
    pub at: Location,
}

/// One line of text with the confidence of whoever read it (1.0 for text taken from a PDF's
/// content stream, the recogniser's score for OCR).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextLine {
    pub text: String,
    pub confidence: f32,
    pub provenance: Provenance,
}

/// What a BOM column holds, found from its header's name and variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnRole {
    Job,
    PartNumber,
    Revision,
    Quantity,
    RefDes,
    /// Serial of the installed board (board serial).
    Serial,
    UnitSerial,
    Description,
}

/// One data row of a BOM: the cells of the columns whose role is known.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BomRow {
    pub cells: Vec<(ColumnRole, TextLine)>,
}

impl BomRow {
    /// The cell of a column, if the row has that column and the cell is not blank.
    pub fn cell(&self, role: ColumnRole) -> Option<&TextLine> {
        self.cells
            .iter()
            .find(|(r, line)| *r == role && !line.text.trim().is_empty())
            .map(|(_, line)| line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(28), "AB");
        assert_eq!(column_letters(53), "BA");
    }
}
