//! CSV (and TSV) files as one text grid for `table.rs`, sheet name `csv`: the text decoded
//! (UTF-8, UTF-16 with a byte-order mark, or Windows-1252 as European Excel saves it), the
//! delimiter sniffed among `,` `;` and tab (or taken from Excel's `sep=` first line), rows of
//! any length. Row numbers are those a spreadsheet shows when it opens the file.
//!
//! Does not look for the header (that is `table.rs`); callers run it inside the panic boundary.

use std::borrow::Cow;

use encoding_rs::{Encoding, WINDOWS_1252};

use super::Limits;
use super::error::DocError;
use super::table::{Budget, Grid, grid_from_cells};

/// The sheet name CSV cells carry in their provenance.
pub(super) const CSV_SHEET: &str = "csv";

const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// Lines looked at to sniff the delimiter.
const SNIFF_LINES: usize = 20;

/// The file as one grid.
pub(super) fn read(
    bytes: &[u8],
    ext: Option<&str>,
    file: &str,
    limits: &Limits,
) -> Result<Grid, DocError> {
    let text = decode(bytes);
    // Rows count from the line after a `sep=` line, as Excel hides that line.
    let (delimiter, body) = match sep_line(&text) {
        Some((delimiter, rest)) => (delimiter, rest),
        None if ext == Some("tsv") => (b'\t', text.as_ref()),
        None => (sniff(&text), text.as_ref()),
    };
    let mut budget = Budget::new(file, limits);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut cells = Vec::new();
    // Rows are physical lines up to each record's start, less the newlines inside quoted
    // cells before it (a spreadsheet shows those inside one cell).
    let mut counted_to = 0usize;
    let mut lines_before = 0u64;
    let mut lines_inside_cells = 0u64;
    for record in reader.records() {
        let record = record.map_err(|e| DocError::Corrupt {
            file: file.to_owned(),
            what: format!("not readable as CSV: {e}"),
        })?;
        let mut start = record
            .position()
            .map_or(counted_to, |p| {
                usize::try_from(p.byte()).unwrap_or(usize::MAX)
            })
            .clamp(counted_to, body.len());
        // The reader skips empty lines and may place the record at the first of them.
        while matches!(body.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        lines_before += body.as_bytes()[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted_to = start;
        let row = u32::try_from((lines_before + 1).saturating_sub(lines_inside_cells))
            .unwrap_or(u32::MAX);
        for (index, field) in record.iter().enumerate() {
            lines_inside_cells += field.matches('\n').count() as u64;
            let text = field
                .split(['\r', '\n'])
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            if text.is_empty() {
                continue;
            }
            budget.take_cell()?;
            let col = u32::try_from(index + 1).unwrap_or(u32::MAX);
            cells.push((row, col, text));
        }
    }
    grid_from_cells(CSV_SHEET.to_owned(), cells, &mut budget)
}

/// UTF-8 or UTF-16 by byte-order mark, else UTF-8 if it is valid, else Windows-1252.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(bytes).0,
    }
}

/// Excel's `sep=;` first line names the delimiter; the table starts below it.
fn sep_line(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let value = first.trim_end_matches('\r').strip_prefix("sep=")?;
    let &[delimiter] = value.as_bytes() else {
        return None;
    };
    Some((delimiter, rest))
}

/// The delimiter that splits the first lines most consistently (the same count, above zero,
/// on the most lines; more splits on a tie). Separators inside double quotes do not count.
fn sniff(text: &str) -> u8 {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let mut best = (b',', 0usize, 0usize);
    for delimiter in DELIMITERS {
        let counts: Vec<usize> = lines
            .iter()
            .map(|line| count_outside_quotes(line, delimiter))
            .collect();
        let Some(mode) = mode(&counts).filter(|&m| m > 0) else {
            continue;
        };
        let agreeing = counts.iter().filter(|&&c| c == mode).count();
        if (agreeing, mode) > (best.1, best.2) {
            best = (delimiter, agreeing, mode);
        }
    }
    best.0
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    line.bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == delimiter && !quoted
        })
        .count()
}

/// The most frequent value; the largest on a tie.
fn mode(values: &[usize]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &value in values {
        let count = values.iter().filter(|&&v| v == value).count();
        if best.is_none_or(|(v, c)| (count, value) > (c, v)) {
            best = Some((value, count));
        }
    }
    best.map(|(value, _)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(text: &[u8]) -> Grid {
        read(text, Some("csv"), "bom.csv", &Limits::default()).unwrap()
    }

    fn cells(grid: &Grid) -> Vec<(u32, u32, &str)> {
        grid.rows
            .iter()
            .flat_map(|r| r.cells.iter().map(move |(c, t)| (r.row, *c, t.as_str())))
            .collect()
    }

    #[test]
    fn the_delimiter_is_sniffed() {
        assert_eq!(sniff("Job;Part;Rev\n12345;PCA-1;A\n"), b';');
        assert_eq!(sniff("Job,Part,Rev\n12345,PCA-1,A\n"), b',');
        assert_eq!(sniff("Job\tPart\n1\t2\n"), b'\t');
        // Decimal commas inside a semicolon file do not fool it.
        assert_eq!(sniff("Part;Qty\nPCA-1;1,5\nPCA-2;2,25\n"), b';');
        // Commas inside quotes do not count.
        assert_eq!(sniff("\"a,b,c\";x\n\"d,e\";y\n"), b';');
        assert_eq!(sniff("single column\n"), b',');
    }

    #[test]
    fn semicolon_rows_keep_their_spreadsheet_positions() {
        let g = grid(
            b"Job;12345\n\nP/N;Rev;Qty\n\"PCA-1555-01\";F2;1\n\"multi\nline\";B;2\nDRW-2044-03;C\n",
        );
        assert_eq!(g.sheet, "csv");
        assert_eq!(
            cells(&g),
            [
                (1, 1, "Job"),
                (1, 2, "12345"),
                (3, 1, "P/N"),
                (3, 2, "Rev"),
                (3, 3, "Qty"),
                (4, 1, "PCA-1555-01"),
                (4, 2, "F2"),
                (4, 3, "1"),
                (5, 1, "multi line"),
                (5, 2, "B"),
                (5, 3, "2"),
                (6, 1, "DRW-2044-03"),
                (6, 2, "C"),
            ]
        );
    }

    #[test]
    fn excel_sep_line_and_encodings() {
        let g = grid(b"sep=|\nP/N|Rev\nPCA-1|A\n");
        assert_eq!(
            cells(&g),
            [(1, 1, "P/N"), (1, 2, "Rev"), (2, 1, "PCA-1"), (2, 2, "A")]
        );

        // Windows-1252 (`°` is 0xB0) and UTF-8 with a BOM.
        let g = grid(b"Part;Note\nPCA-1;85\xB0C\n");
        assert_eq!(cells(&g)[3], (2, 2, "85°C"));
        let g = grid("\u{feff}P/N,Rev\nPCA-1,A\n".as_bytes());
        assert_eq!(cells(&g)[0], (1, 1, "P/N"));

        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "P/N\tRev\r\nPCA-1\tA\r\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let g = grid(&utf16);
        assert_eq!(
            cells(&g),
            [(1, 1, "P/N"), (1, 2, "Rev"), (2, 1, "PCA-1"), (2, 2, "A")]
        );
    }

    #[test]
    fn tsv_uses_tabs_and_too_many_rows_fail() {
        let g = read(b"a,b\tc\n", Some("tsv"), "x.tsv", &Limits::default()).unwrap();
        assert_eq!(cells(&g), [(1, 1, "a,b"), (1, 2, "c")]);
        let limits = Limits {
            max_rows: 2,
            ..Limits::default()
        };
        let error = read(b"a\nb\nc\n", Some("csv"), "long.csv", &limits).unwrap_err();
        assert!(matches!(error, DocError::TooLarge { ref file, .. } if file == "long.csv"));
    }
}
