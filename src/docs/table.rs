//! Finding the BOM in a grid of cells (one spreadsheet sheet or one CSV file): the header row
//! among the first rows, each column's role from its header's name and variants, the data rows
//! below it, and the label/value cells above it (`Job No.` | `12345`) as lines of text. Every
//! value keeps its sheet, row and column.
//!
//! Works on text cells only: reading workbooks and CSV (and turning numbers into text) is
//! `sheet.rs`'s and `csv.rs`'s job.

use serde::{Deserialize, Serialize};

use crate::domain::crosscheck::{BomRow, ColumnRole, Location, Provenance, TextLine};

use super::Limits;
use super::error::DocError;

/// How many non-empty rows from the top of a sheet may hold the header row.
pub(super) const HEADER_SEARCH_ROWS: u32 = 20;

/// Lines kept from the cells of a file outside any table (title blocks, notes, sheets with no
/// table), so a sheet of free text cannot flood the evidence.
const MAX_LOOSE_LINES: usize = 2000;

/// A value this far right of its label (in columns) still belongs to it.
const LABEL_VALUE_MAX_COLS: u32 = 3;

/// Header names by role, compared after `normalise_header` (lower case, letters and digits
/// only, bracketed notes dropped), so `P/N`, `Part No.` and `PART NUMBER (PN)` all match. The
/// number is the name's strength: when two columns claim a role, the stronger name wins (a
/// `Part Number` column beats an `Item` column, which is often a line number).
const HEADER_NAMES: &[(ColumnRole, u8, &[&str])] = &[
    (
        ColumnRole::Job,
        2,
        &[
            "job",
            "jobno",
            "jobnumber",
            "jobnum",
            "jobid",
            "workorder",
            "workorderno",
            "workordernumber",
            "wo",
            "wono",
        ],
    ),
    (
        ColumnRole::PartNumber,
        2,
        &[
            "partnumber",
            "partno",
            "partnum",
            "pn",
            "part",
            "partid",
            "itemnumber",
            "itemno",
        ],
    ),
    (ColumnRole::PartNumber, 1, &["item"]),
    (
        ColumnRole::Revision,
        2,
        &["rev", "revision", "revlevel", "revletter"],
    ),
    (
        ColumnRole::Quantity,
        2,
        &["qty", "quantity", "qtyper", "qtyperassy", "qtyperassembly"],
    ),
    (
        ColumnRole::RefDes,
        2,
        &[
            "refdes",
            "refdesignator",
            "refdesignators",
            "referencedesignator",
            "referencedesignators",
            "designator",
            "designators",
            "reference",
            "references",
        ],
    ),
    (
        ColumnRole::Serial,
        2,
        &[
            "serial",
            "serialno",
            "serialnumber",
            "sn",
            "boardsn",
            "boardserial",
            "boardserialno",
            "boardserialnumber",
            "installedsn",
            "installedserial",
            "installedserialno",
            "installedserialnumber",
        ],
    ),
    (
        ColumnRole::UnitSerial,
        2,
        &["unitsn", "unitserial", "unitserialno", "unitserialnumber"],
    ),
    (
        ColumnRole::Description,
        2,
        &["description", "desc", "partdescription", "itemdescription"],
    ),
];

/// The non-empty cells of one sheet: rows in ascending order, each with its cells in ascending
/// column order, texts trimmed and non-empty. Rows and columns are 1-based as the spreadsheet
/// shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Grid {
    pub sheet: String,
    pub rows: Vec<GridRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct GridRow {
    pub row: u32,
    pub cells: Vec<(u32, String)>,
}

impl Grid {
    pub(super) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The row and cell allowance of one file, spent sheet by sheet, so a huge workbook or CSV
/// fails with `TooLarge` before it fills memory.
pub(super) struct Budget<'a> {
    file: &'a str,
    rows_left: u64,
    cells_left: u64,
    max_rows: u32,
    max_cells: u64,
}

impl<'a> Budget<'a> {
    pub(super) fn new(file: &'a str, limits: &Limits) -> Self {
        Self {
            file,
            rows_left: u64::from(limits.max_rows),
            cells_left: limits.max_cells,
            max_rows: limits.max_rows,
            max_cells: limits.max_cells,
        }
    }

    /// Spends one non-empty cell.
    pub(super) fn take_cell(&mut self) -> Result<(), DocError> {
        self.cells_left = self
            .cells_left
            .checked_sub(1)
            .ok_or_else(|| DocError::TooLarge {
                file: self.file.to_owned(),
                what: format!("more than {} non-empty cells", self.max_cells),
            })?;
        Ok(())
    }

    fn take_rows(&mut self, rows: usize) -> Result<(), DocError> {
        self.rows_left =
            self.rows_left
                .checked_sub(rows as u64)
                .ok_or_else(|| DocError::TooLarge {
                    file: self.file.to_owned(),
                    what: format!("more than {} non-empty rows", self.max_rows),
                })?;
        Ok(())
    }
}

/// Groups `(row, col, text)` cells (1-based positions, any order, texts non-empty) into a
/// grid, spending its rows from the budget.
pub(super) fn grid_from_cells(
    sheet: String,
    mut cells: Vec<(u32, u32, String)>,
    budget: &mut Budget<'_>,
) -> Result<Grid, DocError> {
    cells.sort_by_key(|(row, col, _)| (*row, *col));
    let mut rows: Vec<GridRow> = Vec::new();
    for (row, col, text) in cells {
        match rows.last_mut() {
            Some(last) if last.row == row => last.cells.push((col, text)),
            _ => rows.push(GridRow {
                row,
                cells: vec![(col, text)],
            }),
        }
    }
    budget.take_rows(rows.len())?;
    Ok(Grid { sheet, rows })
}

/// Recognised columns: role, 1-based column, the header as written.
type Columns = Vec<(ColumnRole, u32, String)>;

/// The table found on a sheet: where its header is and what each recognised column holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BomTable {
    pub sheet: String,
    /// 1-based row of the header.
    pub header_row: u32,
    /// Recognised columns, left to right: role, 1-based column, the header as written.
    pub columns: Vec<(ColumnRole, u32, String)>,
}

/// What one grid gave.
#[derive(Debug, Default)]
pub(super) struct GridEvidence {
    pub lines: Vec<TextLine>,
    pub rows: Vec<BomRow>,
    pub table: Option<BomTable>,
}

/// `P/N` → `pn`, `Rev.` → `rev`, `Qty (ea)` → `qty`, `Job #` → `job`.
fn normalise_header(text: &str) -> String {
    let mut depth = 0u32;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// The role a header names and the strength of the name.
fn header_role(text: &str) -> Option<(ColumnRole, u8)> {
    // `Job:` is a label with its value beside it, not a column header.
    if text.trim_end().ends_with(':') {
        return None;
    }
    let name = normalise_header(text);
    HEADER_NAMES
        .iter()
        .find(|(_, _, names)| names.contains(&name.as_str()))
        .map(|(role, strength, _)| (*role, *strength))
}

/// A cell that names the value beside it: `Job No.`, `Rev:`, `Prepared by:`.
fn is_label(text: &str) -> bool {
    text.trim_end().ends_with(':') || header_role(text).is_some()
}

/// The columns a header row assigns: for each role the strongest name, the leftmost on a tie.
fn assign_columns(row: &GridRow) -> Columns {
    let mut best: Vec<(ColumnRole, u8, u32, &str)> = Vec::new();
    for (col, text) in &row.cells {
        let Some((role, strength)) = header_role(text) else {
            continue;
        };
        match best.iter_mut().find(|(r, ..)| *r == role) {
            Some(entry) if strength > entry.1 => *entry = (role, strength, *col, text),
            Some(_) => {}
            None => best.push((role, strength, *col, text)),
        }
    }
    let mut columns: Vec<_> = best
        .into_iter()
        .map(|(role, _, col, text)| (role, col, text.to_owned()))
        .collect();
    columns.sort_by_key(|(_, col, _)| *col);
    columns
}

/// The header row: among the first `HEADER_SEARCH_ROWS` non-empty rows, the one naming the most
/// distinct roles (at least two); the first such row on a tie. Taking the richest row rather
/// than the first passable one keeps a title line like `Part Number | PCA-1555-01 | Rev | F2`
/// from passing for the header of the table below it.
fn find_header(grid: &Grid) -> Option<(usize, Columns)> {
    let mut found: Option<(usize, Columns)> = None;
    for (index, row) in grid
        .rows
        .iter()
        .enumerate()
        .take(HEADER_SEARCH_ROWS as usize)
    {
        let columns = assign_columns(row);
        let better = match &found {
            Some((_, best)) => columns.len() > best.len(),
            None => columns.len() >= 2,
        };
        if better {
            found = Some((index, columns));
        }
    }
    found
}

fn cell_line(file: &str, sheet: &str, row: u32, col: u32, text: String) -> TextLine {
    TextLine {
        text,
        confidence: 1.0,
        provenance: Provenance {
            file: file.to_owned(),
            at: Location::Cell {
                sheet: sheet.to_owned(),
                row,
                col,
            },
        },
    }
}

/// The cells of one row outside the table as lines: a label and the value to its right become
/// one line `Label: value` placed at the value's cell; other cells are lines of their own.
fn loose_lines(file: &str, sheet: &str, row: &GridRow, out: &mut Vec<TextLine>) {
    let mut index = 0;
    while index < row.cells.len() {
        let (col, text) = &row.cells[index];
        let value = row.cells.get(index + 1).filter(|(value_col, value_text)| {
            is_label(text) && value_col - col <= LABEL_VALUE_MAX_COLS && !is_label(value_text)
        });
        match value {
            Some((value_col, value_text)) => {
                let label = text.trim_end();
                let joined = if label.ends_with(':') {
                    format!("{label} {value_text}")
                } else {
                    format!("{label}: {value_text}")
                };
                out.push(cell_line(file, sheet, row.row, *value_col, joined));
                index += 2;
            }
            None => {
                out.push(cell_line(file, sheet, row.row, *col, text.clone()));
                index += 1;
            }
        }
    }
}

/// The BOM of one grid: its table's rows, and the cells above the table (or of the whole sheet
/// when it has no table) as lines.
pub(super) fn read_grid(grid: &Grid, file: &str) -> GridEvidence {
    let mut evidence = GridEvidence::default();
    let Some((header_index, columns)) = find_header(grid) else {
        for row in &grid.rows {
            loose_lines(file, &grid.sheet, row, &mut evidence.lines);
            if evidence.lines.len() >= MAX_LOOSE_LINES {
                evidence.lines.truncate(MAX_LOOSE_LINES);
                break;
            }
        }
        return evidence;
    };
    for row in &grid.rows[..header_index] {
        loose_lines(file, &grid.sheet, row, &mut evidence.lines);
    }
    evidence.lines.truncate(MAX_LOOSE_LINES);

    let header = &grid.rows[header_index];
    for row in &grid.rows[header_index + 1..] {
        // Printed exports repeat the header on every page.
        if assign_columns(row) == columns {
            continue;
        }
        let cells: Vec<(ColumnRole, TextLine)> = columns
            .iter()
            .filter_map(|(role, col, _)| {
                let (_, text) = row.cells.iter().find(|(c, _)| c == col)?;
                Some((
                    *role,
                    cell_line(file, &grid.sheet, row.row, *col, text.clone()),
                ))
            })
            .collect();
        if !cells.is_empty() {
            evidence.rows.push(BomRow { cells });
        }
    }
    evidence.table = Some(BomTable {
        sheet: grid.sheet.clone(),
        header_row: header.row,
        columns,
    });
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[(u32, &[(u32, &str)])]) -> Grid {
        Grid {
            sheet: "BOM".into(),
            rows: rows
                .iter()
                .map(|(row, cells)| GridRow {
                    row: *row,
                    cells: cells.iter().map(|(c, t)| (*c, (*t).to_owned())).collect(),
                })
                .collect(),
        }
    }

    fn at(line: &TextLine) -> (u32, u32) {
        match &line.provenance.at {
            Location::Cell { row, col, .. } => (*row, *col),
            other => panic!("not a cell: {other:?}"),
        }
    }

    #[test]
    fn header_variants_map_to_roles() {
        let cases = [
            ("Job", ColumnRole::Job),
            ("Job No.", ColumnRole::Job),
            ("JOB #", ColumnRole::Job),
            ("Work Order", ColumnRole::Job),
            ("Part Number", ColumnRole::PartNumber),
            ("P/N", ColumnRole::PartNumber),
            ("pn", ColumnRole::PartNumber),
            ("Part No.", ColumnRole::PartNumber),
            ("Item", ColumnRole::PartNumber),
            ("Rev.", ColumnRole::Revision),
            ("REVISION", ColumnRole::Revision),
            ("Qty (ea)", ColumnRole::Quantity),
            ("Quantity", ColumnRole::Quantity),
            ("Ref Des", ColumnRole::RefDes),
            ("RefDes", ColumnRole::RefDes),
            ("Designator", ColumnRole::RefDes),
            ("Reference", ColumnRole::RefDes),
            ("Serial", ColumnRole::Serial),
            ("S/N", ColumnRole::Serial),
            ("Serial No.", ColumnRole::Serial),
            ("Board S/N", ColumnRole::Serial),
            ("Installed S/N", ColumnRole::Serial),
            ("Unit S/N", ColumnRole::UnitSerial),
            ("Unit Serial", ColumnRole::UnitSerial),
            ("Description", ColumnRole::Description),
            ("Desc", ColumnRole::Description),
        ];
        for (text, role) in cases {
            assert_eq!(header_role(text).map(|(r, _)| r), Some(role), "{text}");
        }
        assert_eq!(header_role("Manufacturer"), None);
        assert_eq!(header_role("Job:"), None, "a label is not a header");
    }

    #[test]
    fn the_richest_early_row_is_the_header_and_labels_pair_with_values() {
        let g = grid(&[
            (1, &[(1, "As-built BOM")]),
            (2, &[(1, "Job No."), (2, "12345")]),
            (
                3,
                &[
                    (1, "Part Number"),
                    (2, "PCA-1555-01"),
                    (3, "Rev"),
                    (4, "F2"),
                ],
            ),
            (
                5,
                &[
                    (1, "Item"),
                    (2, "P/N"),
                    (3, "Rev."),
                    (4, "Qty"),
                    (5, "S/N"),
                    (6, "Notes"),
                ],
            ),
            (
                6,
                &[
                    (1, "1"),
                    (2, "PCA-2001-02"),
                    (3, "B"),
                    (4, "1"),
                    (5, "VGN-12345-0001"),
                ],
            ),
            (
                8,
                &[
                    (1, "2"),
                    (2, "DRW-2044-03"),
                    (3, "C"),
                    (4, "2"),
                    (6, "spare"),
                ],
            ),
            (9, &[(6, "only a note")]),
        ]);
        let evidence = read_grid(&g, "bom.xlsx");
        let table = evidence.table.as_ref().unwrap();
        assert_eq!(table.header_row, 5);
        let roles: Vec<_> = table.columns.iter().map(|(r, c, _)| (*r, *c)).collect();
        // `Item` loses the part-number role to `P/N`.
        assert_eq!(
            roles,
            [
                (ColumnRole::PartNumber, 2),
                (ColumnRole::Revision, 3),
                (ColumnRole::Quantity, 4),
                (ColumnRole::Serial, 5),
            ]
        );
        assert_eq!(
            evidence.rows.len(),
            2,
            "a row with only an unmapped note is no BOM row"
        );
        let first = &evidence.rows[0];
        assert_eq!(
            first.cell(ColumnRole::PartNumber).unwrap().text,
            "PCA-2001-02"
        );
        assert_eq!(at(first.cell(ColumnRole::Serial).unwrap()), (6, 5));
        let second = &evidence.rows[1];
        assert_eq!(second.cell(ColumnRole::Revision).unwrap().text, "C");
        assert!(second.cell(ColumnRole::Serial).is_none());

        let lines: Vec<_> = evidence
            .lines
            .iter()
            .map(|l| (l.text.as_str(), at(l)))
            .collect();
        assert_eq!(
            lines,
            [
                ("As-built BOM", (1, 1)),
                ("Job No.: 12345", (2, 2)),
                ("Part Number: PCA-1555-01", (3, 2)),
                ("Rev: F2", (3, 4)),
            ]
        );
    }

    #[test]
    fn repeated_headers_are_skipped() {
        let g = grid(&[
            (1, &[(1, "P/N"), (2, "Rev")]),
            (2, &[(1, "PCA-1"), (2, "A")]),
            (40, &[(1, "P/N"), (2, "Rev")]),
            (41, &[(1, "PCA-2"), (2, "B")]),
        ]);
        let evidence = read_grid(&g, "bom.csv");
        let parts: Vec<_> = evidence
            .rows
            .iter()
            .map(|r| r.cell(ColumnRole::PartNumber).unwrap().text.as_str())
            .collect();
        assert_eq!(parts, ["PCA-1", "PCA-2"]);
    }

    #[test]
    fn a_sheet_without_a_header_gives_its_cells_as_lines() {
        let g = grid(&[
            (1, &[(1, "Job:"), (2, "12345")]),
            (2, &[(1, "Notes"), (3, "see traveler")]),
        ]);
        let evidence = read_grid(&g, "cover.xlsx");
        assert!(evidence.table.is_none());
        assert!(evidence.rows.is_empty());
        let texts: Vec<_> = evidence.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Job: 12345", "Notes", "see traveler"]);
    }

    #[test]
    fn a_label_far_from_its_neighbour_stays_alone() {
        let row = GridRow {
            row: 1,
            cells: vec![(1, "Rev:".into()), (9, "F2".into())],
        };
        let mut lines = Vec::new();
        loose_lines("a.xlsx", "S", &row, &mut lines);
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Rev:", "F2"]);
    }
}
