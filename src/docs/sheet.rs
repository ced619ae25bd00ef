//! Workbooks (.xlsx, .xlsm, .xlsb, .xls, .ods) through calamine: every sheet's non-empty cells
//! as text grids for `table.rs`. Numbers read as floats come out as Excel shows them (`12345`,
//! not `12345.0`), dates as ISO text. A password-protected workbook is `Encrypted`; too many
//! rows or cells is `TooLarge`.
//!
//! Reads from bytes already in memory; does not look for the header (that is `table.rs`) and
//! runs no thread of its own. Callers run it inside the panic boundary.

use std::io::Cursor;

use calamine::{Data, Ods, Reader, Xls, XlsError, Xlsb, Xlsx, open_workbook_from_rs};

use super::Limits;
use super::error::DocError;
use super::kind::{Magic, magic};
use super::table::{Budget, Grid, grid_from_cells};

type Bytes = Cursor<Vec<u8>>;

/// The container inside a workbook file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
}

/// Every sheet of the workbook as a grid, in workbook order, blank sheets included.
pub(super) fn read(
    bytes: Vec<u8>,
    ext: Option<&str>,
    file: &str,
    limits: &Limits,
) -> Result<Vec<Grid>, DocError> {
    let format = format(&bytes, ext, file)?;
    let mut budget = Budget::new(file, limits);
    match format {
        Format::Xlsx => read_xlsx(bytes, file, &mut budget),
        Format::Xlsb => {
            let workbook: Xlsb<Bytes> = open_workbook_from_rs(Cursor::new(bytes))
                .map_err(|e| not_a_workbook(file, "Excel binary (.xlsb)", &e))?;
            read_ranges(workbook, &mut budget, |e| corrupt(file, &e))
        }
        Format::Xls => {
            let workbook: Xls<Bytes> =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| match e {
                    XlsError::Password => encrypted(file),
                    e => not_a_workbook(file, "Excel 97-2003 (.xls)", &e),
                })?;
            read_ranges(workbook, &mut budget, |e| match e {
                XlsError::Password => encrypted(file),
                e => corrupt(file, &e),
            })
        }
        Format::Ods => {
            let workbook: Ods<Bytes> =
                open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| match e {
                    calamine::OdsError::Password => encrypted(file),
                    e => not_a_workbook(file, "OpenDocument (.ods)", &e),
                })?;
            read_ranges(workbook, &mut budget, |e| match e {
                calamine::OdsError::Password => encrypted(file),
                e => corrupt(file, &e),
            })
        }
    }
}

/// Which reader the bytes need: the container's magic first (a legacy workbook saved as .xlsx
/// is read as what it is), the extension to tell the zip-based formats apart.
fn format(bytes: &[u8], ext: Option<&str>, file: &str) -> Result<Format, DocError> {
    match magic(bytes) {
        Magic::Ole2 if is_encrypted_ooxml(bytes) => Err(encrypted(file)),
        Magic::Ole2 => Ok(Format::Xls),
        Magic::Zip => Ok(match ext {
            Some("ods") => Format::Ods,
            Some("xlsb") => Format::Xlsb,
            _ => Format::Xlsx,
        }),
        _ => Err(DocError::Corrupt {
            file: file.to_owned(),
            what: "it does not start like a workbook (no ZIP or OLE2 header); the file may be \
                   truncated or saved in another format"
                .to_owned(),
        }),
    }
}

/// A password-protected .xlsx/.xlsm is an OLE2 file holding an `EncryptedPackage` stream (the
/// name is stored in UTF-16LE in the directory).
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    bytes.windows(name.len()).any(|w| w == name.as_slice())
}

fn encrypted(file: &str) -> DocError {
    DocError::Encrypted {
        file: file.to_owned(),
        detail: "the workbook is encrypted with a password".to_owned(),
    }
}

fn not_a_workbook(file: &str, format: &str, error: &dyn std::fmt::Display) -> DocError {
    DocError::Corrupt {
        file: file.to_owned(),
        what: format!("not a readable {format} workbook ({error})"),
    }
}

fn corrupt(file: &str, error: &dyn std::fmt::Display) -> DocError {
    DocError::Corrupt {
        file: file.to_owned(),
        what: format!("a sheet could not be read ({error})"),
    }
}

/// .xlsx and .xlsm stream cell by cell, so a sheet with one stray value far down and right
/// (whose full rectangle would not fit in memory) costs only its cells.
fn read_xlsx(bytes: Vec<u8>, file: &str, budget: &mut Budget<'_>) -> Result<Vec<Grid>, DocError> {
    let mut workbook: Xlsx<Bytes> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| not_a_workbook(file, "Excel (.xlsx)", &e))?;
    let mut grids = Vec::new();
    for name in workbook.sheet_names() {
        let mut reader = workbook
            .worksheet_cells_reader(&name)
            .map_err(|e| corrupt(file, &e))?;
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|e| corrupt(file, &e))? {
            let (row, col) = cell.get_position();
            if let Some(text) = data_text(&Data::from(cell.get_value().clone())) {
                budget.take_cell()?;
                cells.push((row.saturating_add(1), col.saturating_add(1), text));
            }
        }
        grids.push(grid_from_cells(name, cells, budget)?);
    }
    Ok(grids)
}

/// The other formats come as one rectangle per sheet.
fn read_ranges<R: Reader<Bytes>>(
    mut workbook: R,
    budget: &mut Budget<'_>,
    map_error: impl Fn(R::Error) -> DocError,
) -> Result<Vec<Grid>, DocError> {
    let mut grids = Vec::new();
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).map_err(&map_error)?;
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut cells = Vec::new();
        for (row, col, value) in range.used_cells() {
            if let Some(text) = data_text(value) {
                budget.take_cell()?;
                let row = row0.saturating_add(u32::try_from(row).unwrap_or(u32::MAX));
                let col = col0.saturating_add(u32::try_from(col).unwrap_or(u32::MAX));
                cells.push((row.saturating_add(1), col.saturating_add(1), text));
            }
        }
        grids.push(grid_from_cells(name, cells, budget)?);
    }
    Ok(grids)
}

/// A cell as the operator reads it on screen; `None` for a blank cell.
fn data_text(value: &Data) -> Option<String> {
    let text = match value {
        Data::Empty => return None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => clean(s),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) if dt.is_duration() => duration_text(dt.as_f64()),
        Data::DateTime(dt) => {
            let (year, month, day, hour, minute, second, _) = dt.to_ymd_hms_milli();
            let time = (hour, minute, second) != (0, 0, 0);
            match (dt.as_f64() < 1.0, time) {
                // A time of day with no date.
                (true, _) => format!("{hour:02}:{minute:02}:{second:02}"),
                (false, false) => format!("{year:04}-{month:02}-{day:02}"),
                (false, true) => {
                    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
                }
            }
        }
        Data::Error(e) => e.to_string(),
    };
    (!text.is_empty()).then_some(text)
}

/// Line breaks inside a cell (Alt+Enter) read as spaces; ends trimmed.
fn clean(text: &str) -> String {
    text.split(['\r', '\n', '\t'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `12345.0` → `12345`; `1.2000000000000002` → `1.2` (Excel shows 15 significant digits).
pub(super) fn number_text(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value.fract() == 0.0 && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let rounded: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    rounded.to_string()
}

fn duration_text(days: f64) -> String {
    let total_secs = (days * 86_400.0).round() as i64;
    let sign = if total_secs < 0 { "-" } else { "" };
    let secs = total_secs.abs();
    format!(
        "{sign}{}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use calamine::{ExcelDateTime, ExcelDateTimeType};
    use rust_xlsxwriter::Workbook;

    use super::super::table::GridRow;
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn xlsx(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
        let mut workbook = Workbook::new();
        build(&mut workbook);
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number_text(12345.0), "12345");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(0.5), "0.5");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(1.2000000000000002), "1.2");
        assert_eq!(number_text(1e20), "100000000000000000000");
    }

    #[test]
    fn dates_and_durations_read_as_text() {
        let date = Data::DateTime(ExcelDateTime::new(
            45943.0,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(data_text(&date).as_deref(), Some("2025-10-13"));
        let stamp = Data::DateTime(ExcelDateTime::new(
            45943.5,
            ExcelDateTimeType::DateTime,
            false,
        ));
        assert_eq!(data_text(&stamp).as_deref(), Some("2025-10-13 12:00:00"));
        let time = Data::DateTime(ExcelDateTime::new(0.25, ExcelDateTimeType::DateTime, false));
        assert_eq!(data_text(&time).as_deref(), Some("06:00:00"));
        let span = Data::DateTime(ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false));
        assert_eq!(data_text(&span).as_deref(), Some("36:00:00"));
        assert_eq!(
            data_text(&Data::String("  a\nb ".into())).as_deref(),
            Some("a b")
        );
        assert_eq!(data_text(&Data::String("   ".into())), None);
        assert_eq!(data_text(&Data::Empty), None);
    }

    #[test]
    fn every_sheet_comes_back_with_1_based_positions() {
        let bytes = xlsx(|wb| {
            let cover = wb.add_worksheet().set_name("Cover").unwrap();
            cover.write_string(0, 0, "Job:").unwrap();
            cover.write_number(0, 1, 12345.0).unwrap();
            wb.add_worksheet().set_name("Blank").unwrap();
            let bom = wb.add_worksheet().set_name("BOM").unwrap();
            bom.write_string(2, 3, "P/N").unwrap();
        });
        let grids = read(bytes, Some("xlsx"), "b.xlsx", &limits()).unwrap();
        let names: Vec<_> = grids.iter().map(|g| g.sheet.as_str()).collect();
        assert_eq!(names, ["Cover", "Blank", "BOM"]);
        assert_eq!(
            grids[0].rows,
            [GridRow {
                row: 1,
                cells: vec![(1, "Job:".into()), (2, "12345".into())]
            }]
        );
        assert!(grids[1].is_empty());
        assert_eq!(grids[2].rows[0].row, 3);
        assert_eq!(grids[2].rows[0].cells, [(4, "P/N".to_owned())]);
    }

    #[test]
    fn row_and_cell_limits_fail_the_file() {
        let bytes = xlsx(|wb| {
            let sheet = wb.add_worksheet();
            for row in 0..30 {
                sheet.write_number(row, 0, f64::from(row)).unwrap();
                sheet.write_number(row, 1, f64::from(row)).unwrap();
            }
        });
        let few_rows = Limits {
            max_rows: 20,
            ..limits()
        };
        let error = read(bytes.clone(), Some("xlsx"), "big.xlsx", &few_rows).unwrap_err();
        assert_eq!(
            error,
            DocError::TooLarge {
                file: "big.xlsx".into(),
                what: "more than 20 non-empty rows".into()
            }
        );
        let few_cells = Limits {
            max_cells: 50,
            ..limits()
        };
        let error = read(bytes, Some("xlsx"), "big.xlsx", &few_cells).unwrap_err();
        assert!(
            matches!(error, DocError::TooLarge { ref what, .. } if what.contains("50 non-empty cells"))
        );
    }

    #[test]
    fn a_zip_that_is_not_a_workbook_is_corrupt() {
        // The smallest valid zip: an empty archive's end-of-central-directory record.
        let mut empty_zip = b"PK\x05\x06".to_vec();
        empty_zip.extend_from_slice(&[0; 18]);
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend_from_slice(&[0; 26]);
        for candidate in [bytes, empty_zip] {
            let error = read(candidate, Some("xlsx"), "bom.xlsx", &limits()).unwrap_err();
            assert!(
                matches!(error, DocError::Corrupt { ref file, .. } if file == "bom.xlsx"),
                "{error}"
            );
        }
    }

    #[test]
    fn garbage_with_a_workbook_name_is_corrupt_and_encrypted_ooxml_is_encrypted() {
        let error = read(b"hello".to_vec(), Some("xlsx"), "bom.xlsx", &limits()).unwrap_err();
        assert!(
            error.to_string().contains("does not start like a workbook"),
            "{error}"
        );

        let mut ole2 = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole2.resize(512, 0);
        ole2.extend("EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes));
        let error = read(ole2, Some("xlsx"), "locked.xlsx", &limits()).unwrap_err();
        assert!(matches!(error, DocError::Encrypted { ref file, .. } if file == "locked.xlsx"));
    }

    #[test]
    fn a_broken_xls_is_corrupt() {
        let mut ole2 = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole2.resize(1024, 0xFF);
        let error = read(ole2, Some("xls"), "old.xls", &limits()).unwrap_err();
        assert!(
            matches!(error, DocError::Corrupt { ref what, .. } if what.contains(".xls")),
            "{error}"
        );
    }
}
