//! Documents of a build: PDF text with positions, scanned pages rendered for the OCR, and
//! spreadsheets (calamine) and CSV with their header row found; every value keeps its provenance.
//!
//! One call, `read_document`, reads one file into a `Document`: lines of text and BOM rows
//! ready for the cross-check, plus the images the OCR must still read (scanned pages, the
//! photo). A damaged, encrypted, empty, huge or unsupported file fails that file with a
//! `DocError` naming it; every third-party parser runs inside a panic boundary, so no file can
//! take the session down. Runs no OCR and starts no thread: the runtime's workers call this.

mod csv;
mod error;
mod kind;
mod layout;
mod pdf;
mod photo;
mod sheet;
pub mod synth;
mod table;

use std::path::Path;

use image::RgbImage;

use crate::domain::crosscheck::{BomRow, EvidenceKind, TextLine};

pub use error::DocError;
pub use kind::{ACCEPTED_EXTENSIONS, DocKind};
pub use pdf::{SCAN_RENDER_DPI, ScannedPage, scan_px_per_pt};
pub use table::BomTable;

/// How much one file may hold before it is refused as too large.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Size of the file on disk.
    pub max_file_bytes: u64,
    /// Pages of a PDF.
    pub max_pages: u32,
    /// Non-empty rows of a spreadsheet (all sheets) or CSV.
    pub max_rows: u32,
    /// Non-empty cells of a spreadsheet (all sheets) or CSV.
    pub max_cells: u64,
    /// Pixels of a photo (checked before it is decoded).
    pub max_image_pixels: u64,
    /// Pixels of one scanned page as rendered for the OCR; a larger page is rendered at a
    /// lower resolution than `SCAN_RENDER_DPI`.
    pub max_scan_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 50 * 1024 * 1024,
            max_pages: 200,
            max_rows: 100_000,
            max_cells: 2_000_000,
            // A 108-megapixel phone camera's full-size photo.
            max_image_pixels: 110_000_000,
            // A4 or Letter at 200 dpi is about 3.9 megapixels; A3 about 7.8.
            max_scan_pixels: 12_000_000,
        }
    }
}

/// What one file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The evidence it is: Traveler (PDF), Bom (spreadsheet, CSV) or Photo (image).
    pub kind: EvidenceKind,
    pub format: DocKind,
    /// Text read without OCR, confidence 1.0: a PDF's lines (`Location::Page`), or a
    /// spreadsheet's cells outside its table such as `Job No.: 12345` (`Location::Cell`).
    pub lines: Vec<TextLine>,
    /// BOM rows, each cell with its sheet, row and column.
    pub bom_rows: Vec<BomRow>,
    /// The table found on each sheet that has one: header row and recognised columns.
    pub tables: Vec<BomTable>,
    /// PDF pages that carry their text as pixels, rendered for the OCR.
    pub scanned_pages: Vec<ScannedPage>,
    /// The photo, upright, for the OCR.
    pub photo: Option<RgbImage>,
    /// Pages of a PDF; 0 for other kinds.
    pub page_count: u32,
    /// Sheet names of a workbook in workbook order (blank sheets included); `["csv"]` for a
    /// CSV file; empty for other kinds.
    pub sheets: Vec<String>,
}

/// An image the OCR still has to read, and where its text boxes belong.
#[derive(Debug, Clone, Copy)]
pub struct ImageToRead<'a> {
    /// The scanned page it renders (for `Location::ImageBox::page`); `None` for a photo.
    pub page: Option<u32>,
    pub image: &'a RgbImage,
    /// For a scanned page, pixels per page point; `None` for a photo.
    pub px_per_pt: Option<f32>,
}

impl Document {
    /// The images to OCR: each scanned page in page order, or the photo.
    pub fn images_to_read(&self) -> Vec<ImageToRead<'_>> {
        let pages = self.scanned_pages.iter().map(|scan| ImageToRead {
            page: Some(scan.page),
            image: &scan.image,
            px_per_pt: Some(scan.px_per_pt),
        });
        let photo = self.photo.iter().map(|image| ImageToRead {
            page: None,
            image,
            px_per_pt: None,
        });
        pages.chain(photo).collect()
    }

    fn new(format: DocKind) -> Self {
        Self {
            kind: format.evidence(),
            format,
            lines: Vec::new(),
            bom_rows: Vec::new(),
            tables: Vec::new(),
            scanned_pages: Vec::new(),
            photo: None,
            page_count: 0,
            sheets: Vec::new(),
        }
    }
}

/// Reads the file at `path`. `display_name` is the file's original name: it is what every
/// provenance and error names, and its extension (else the path's) helps tell the kind, as
/// stored files may be named by their content hash.
pub fn read_document(
    path: &Path,
    display_name: &str,
    limits: &Limits,
) -> Result<Document, DocError> {
    let unreadable = |e: std::io::Error| DocError::Unreadable {
        file: display_name.to_owned(),
        reason: e.to_string(),
    };
    let size_bytes = std::fs::metadata(path).map_err(unreadable)?.len();
    check_size(size_bytes, display_name, limits)?;
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let ext = kind::extension(display_name).or_else(|| {
        path.file_name()
            .and_then(|n| kind::extension(&n.to_string_lossy()))
    });
    read_with_ext(bytes, ext.as_deref(), display_name, limits)
}

/// The photo at `path`, upright and as RGB, as the cross-check reads it (size and pixel limits,
/// EXIF orientation, transparency over white), decoded inside the panic boundary.
pub fn read_photo(path: &Path, limits: &Limits) -> Result<RgbImage, DocError> {
    let name = path.display().to_string();
    let unreadable = |e: std::io::Error| DocError::Unreadable {
        file: name.clone(),
        reason: e.to_string(),
    };
    check_size(
        std::fs::metadata(path).map_err(unreadable)?.len(),
        &name,
        limits,
    )?;
    let bytes = std::fs::read(path).map_err(unreadable)?;
    error::guarded(&name, "image decoder", || {
        photo::read(&bytes, &name, limits)
    })
}

/// Reads a file already in memory (`display_name` as for `read_document`).
pub fn read_bytes(
    bytes: Vec<u8>,
    display_name: &str,
    limits: &Limits,
) -> Result<Document, DocError> {
    let ext = kind::extension(display_name);
    read_with_ext(bytes, ext.as_deref(), display_name, limits)
}

fn check_size(size_bytes: u64, file: &str, limits: &Limits) -> Result<(), DocError> {
    if size_bytes == 0 {
        return Err(DocError::Empty {
            file: file.to_owned(),
            what: "the file has 0 bytes".to_owned(),
        });
    }
    if size_bytes > limits.max_file_bytes {
        let mb = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        return Err(DocError::TooLarge {
            file: file.to_owned(),
            what: format!(
                "{:.1} MB, over the {:.1} MB limit",
                mb(size_bytes),
                mb(limits.max_file_bytes)
            ),
        });
    }
    Ok(())
}

fn read_with_ext(
    bytes: Vec<u8>,
    ext: Option<&str>,
    file: &str,
    limits: &Limits,
) -> Result<Document, DocError> {
    check_size(bytes.len() as u64, file, limits)?;
    let format = kind::detect(&bytes, ext).map_err(|found| DocError::Unsupported {
        file: file.to_owned(),
        found,
    })?;
    let mut document = Document::new(format);
    match format {
        DocKind::Pdf => {
            let content = error::guarded(file, "PDF reader", || pdf::read(bytes, file, limits))?;
            document.lines = content.lines;
            document.scanned_pages = content.scanned_pages;
            document.page_count = content.page_count;
        }
        DocKind::Spreadsheet => {
            let grids = error::guarded(file, "spreadsheet reader", || {
                sheet::read(bytes, ext, file, limits)
            })?;
            document.sheets = grids.iter().map(|g| g.sheet.clone()).collect();
            fill_bom(&mut document, &grids, file)?;
        }
        DocKind::Csv => {
            let grid = error::guarded(file, "CSV reader", || csv::read(&bytes, ext, file, limits))?;
            document.sheets = vec![grid.sheet.clone()];
            fill_bom(&mut document, std::slice::from_ref(&grid), file)?;
        }
        DocKind::Image => {
            let image =
                error::guarded(file, "image decoder", || photo::read(&bytes, file, limits))?;
            document.photo = Some(image);
        }
    }
    Ok(document)
}

/// The BOM of a file's grids; `Empty` when every grid is blank, `NoHeader` when none has a
/// table.
fn fill_bom(document: &mut Document, grids: &[table::Grid], file: &str) -> Result<(), DocError> {
    let filled: Vec<&table::Grid> = grids.iter().filter(|g| !g.is_empty()).collect();
    if filled.is_empty() {
        return Err(DocError::Empty {
            file: file.to_owned(),
            what: if grids.len() > 1 {
                "every sheet is blank".to_owned()
            } else {
                "no rows".to_owned()
            },
        });
    }
    for grid in &filled {
        let evidence = table::read_grid(grid, file);
        document.lines.extend(evidence.lines);
        document.bom_rows.extend(evidence.rows);
        document.tables.extend(evidence.table);
    }
    if document.tables.is_empty() {
        let names: Vec<&str> = filled.iter().map(|g| g.sheet.as_str()).collect();
        return Err(DocError::NoHeader {
            file: file.to_owned(),
            scope: match names.as_slice() {
                [csv::CSV_SHEET] => "the file".to_owned(),
                [one] => format!("sheet {one}"),
                many => format!("sheets {}", many.join(", ")),
            },
            searched_rows: table::HEADER_SEARCH_ROWS,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::pdf::tests::{image_pdf, text_pdf};
    use super::*;
    use crate::domain::crosscheck::{ColumnRole, Location};

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn cell(line: &TextLine) -> (&str, u32, u32) {
        match &line.provenance.at {
            Location::Cell { sheet, row, col } => (sheet.as_str(), *row, *col),
            other => panic!("not a cell: {other:?}"),
        }
    }

    fn bom_workbook() -> Vec<u8> {
        let mut workbook = Workbook::new();
        let notes = workbook.add_worksheet().set_name("Notes").unwrap();
        notes.write_string(0, 0, "Printed for the line").unwrap();
        let sheet = workbook.add_worksheet().set_name("As-built").unwrap();
        sheet.write_string(0, 0, "As-built BOM").unwrap();
        sheet.write_string(1, 0, "Job: 12345").unwrap();
        sheet.write_string(2, 0, "Job No.").unwrap();
        sheet.write_number(2, 1, 12345.0).unwrap();
        for (col, header) in [
            "Item",
            "P/N",
            "Rev.",
            "Qty",
            "Ref Des",
            "S/N",
            "Description",
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_string(4, col as u16, header).unwrap();
        }
        let rows: [(&str, &str, f64, &str, &str, &str); 2] = [
            (
                "PCA-1555-01",
                "F2",
                1.0,
                "A1",
                "VGN-12345-0001",
                "Main board",
            ),
            ("DRW-2044-03", "C", 4.0, "", "", "Bracket"),
        ];
        for (i, (part, rev, qty, refdes, serial, desc)) in rows.into_iter().enumerate() {
            let row = 5 + i as u32;
            sheet.write_number(row, 0, (i + 1) as f64).unwrap();
            sheet.write_string(row, 1, part).unwrap();
            sheet.write_string(row, 2, rev).unwrap();
            sheet.write_number(row, 3, qty).unwrap();
            if !refdes.is_empty() {
                sheet.write_string(row, 4, refdes).unwrap();
            }
            if !serial.is_empty() {
                sheet.write_string(row, 5, serial).unwrap();
            }
            sheet.write_string(row, 6, desc).unwrap();
        }
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn an_xlsx_bom_gives_roles_values_and_cells() {
        let dir = tempfile::tempdir().unwrap();
        // Stored by content hash: the kind comes from the original name.
        let path = write(&dir, "3f9a0c", &bom_workbook());
        let doc = read_document(&path, "BOM 12345.xlsx", &Limits::default()).unwrap();
        assert_eq!(doc.kind, EvidenceKind::Bom);
        assert_eq!(doc.format, DocKind::Spreadsheet);
        assert_eq!(doc.sheets, ["Notes", "As-built"]);
        assert_eq!(doc.page_count, 0);
        assert!(doc.images_to_read().is_empty());

        assert_eq!(doc.tables.len(), 1);
        let table = &doc.tables[0];
        assert_eq!((table.sheet.as_str(), table.header_row), ("As-built", 5));
        let roles: Vec<_> = table.columns.iter().map(|(r, c, _)| (*r, *c)).collect();
        assert_eq!(
            roles,
            [
                (ColumnRole::PartNumber, 2),
                (ColumnRole::Revision, 3),
                (ColumnRole::Quantity, 4),
                (ColumnRole::RefDes, 5),
                (ColumnRole::Serial, 6),
                (ColumnRole::Description, 7),
            ]
        );

        assert_eq!(doc.bom_rows.len(), 2);
        let first = &doc.bom_rows[0];
        let part = first.cell(ColumnRole::PartNumber).unwrap();
        assert_eq!(part.text, "PCA-1555-01");
        assert_eq!(part.confidence, 1.0);
        assert_eq!(part.provenance.file, "BOM 12345.xlsx");
        assert_eq!(cell(part), ("As-built", 6, 2));
        assert_eq!(first.cell(ColumnRole::Revision).unwrap().text, "F2");
        assert_eq!(first.cell(ColumnRole::Quantity).unwrap().text, "1");
        assert_eq!(
            first.cell(ColumnRole::Serial).unwrap().text,
            "VGN-12345-0001"
        );
        let second = &doc.bom_rows[1];
        assert_eq!(second.cell(ColumnRole::Quantity).unwrap().text, "4");
        assert!(second.cell(ColumnRole::Serial).is_none());
        assert_eq!(
            cell(second.cell(ColumnRole::Description).unwrap()),
            ("As-built", 7, 7)
        );

        let lines: Vec<_> = doc
            .lines
            .iter()
            .map(|l| (l.text.as_str(), cell(l)))
            .collect();
        assert_eq!(
            lines,
            [
                ("Printed for the line", ("Notes", 1, 1)),
                ("As-built BOM", ("As-built", 1, 1)),
                ("Job: 12345", ("As-built", 2, 1)),
                // The numeric job cell reads as Excel shows it, at the value's cell.
                ("Job No.: 12345", ("As-built", 3, 2)),
            ]
        );
    }

    #[test]
    fn a_semicolon_csv_gives_a_bom() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "Job #;12345\nPart No.;Revision;Unit S/N;Board S/N\nPCA-1555-01;F2;INF-1619;12345-0001\n";
        let path = write(&dir, "bom.csv", csv.as_bytes());
        let doc = read_document(&path, "bom.csv", &Limits::default()).unwrap();
        assert_eq!((doc.kind, doc.format), (EvidenceKind::Bom, DocKind::Csv));
        assert_eq!(doc.sheets, ["csv"]);
        assert_eq!(doc.tables[0].header_row, 2);
        let row = &doc.bom_rows[0];
        assert_eq!(row.cell(ColumnRole::UnitSerial).unwrap().text, "INF-1619");
        let serial = row.cell(ColumnRole::Serial).unwrap();
        assert_eq!(serial.text, "12345-0001");
        assert_eq!(cell(serial), ("csv", 3, 4));
        assert_eq!(doc.lines.len(), 1);
        assert_eq!(doc.lines[0].text, "Job #: 12345");
        assert_eq!(cell(&doc.lines[0]), ("csv", 1, 2));
    }

    #[test]
    fn a_pdf_is_a_traveler_and_a_scan_is_an_image_to_read() {
        let doc = read_bytes(
            text_pdf(612.0, 792.0, &[(72.0, 700.0, 12.0, "Job 12345")]),
            "traveler.pdf",
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(
            (doc.kind, doc.format, doc.page_count),
            (EvidenceKind::Traveler, DocKind::Pdf, 1)
        );
        assert_eq!(doc.lines[0].text, "Job 12345");
        assert!(doc.images_to_read().is_empty());

        let pixels = image::GrayImage::from_pixel(20, 20, image::Luma([0]));
        let doc = read_bytes(
            image_pdf(72.0, 72.0, &pixels),
            "scan.pdf",
            &Limits::default(),
        )
        .unwrap();
        let images = doc.images_to_read();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].page, Some(1));
        assert_eq!(images[0].image.dimensions(), (200, 200));
    }

    #[test]
    fn a_photo_is_an_image_to_read() {
        let mut png = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(RgbImage::new(30, 10))
            .write_to(&mut png, image::ImageFormat::Png)
            .unwrap();
        let doc = read_bytes(png.into_inner(), "label.JPG", &Limits::default()).unwrap();
        assert_eq!(
            (doc.kind, doc.format),
            (EvidenceKind::Photo, DocKind::Image)
        );
        let images = doc.images_to_read();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].page, None);
        assert_eq!(images[0].image.dimensions(), (30, 10));
    }

    #[test]
    fn bad_files_fail_with_the_right_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits::default();
        let pdf = text_pdf(612.0, 792.0, &[(72.0, 700.0, 12.0, "Job 12345")]);

        let truncated = write(&dir, "a", &pdf[..pdf.len() / 8]);
        let error = read_document(&truncated, "traveler.pdf", &limits).unwrap_err();
        assert!(matches!(error, DocError::Corrupt { .. }), "{error}");
        assert_eq!(error.file(), "traveler.pdf");

        let mut not_a_workbook = b"PK\x05\x06".to_vec();
        not_a_workbook.extend_from_slice(&[0; 18]);
        let zip = write(&dir, "b", &not_a_workbook);
        let error = read_document(&zip, "bom.xlsx", &limits).unwrap_err();
        assert!(matches!(error, DocError::Corrupt { .. }), "{error}");
        assert!(error.to_string().starts_with("bom.xlsx: "), "{error}");

        let empty = write(&dir, "c", b"");
        let error = read_document(&empty, "bom.csv", &limits).unwrap_err();
        assert_eq!(
            error,
            DocError::Empty {
                file: "bom.csv".into(),
                what: "the file has 0 bytes".into()
            }
        );
        let blank = write(&dir, "d", b" ; ;\n\n;\n");
        let error = read_document(&blank, "bom.csv", &limits).unwrap_err();
        assert_eq!(
            error,
            DocError::Empty {
                file: "bom.csv".into(),
                what: "no rows".into()
            }
        );

        let big = write(&dir, "e", &pdf);
        let small = Limits {
            max_file_bytes: 100,
            ..Limits::default()
        };
        let error = read_document(&big, "traveler.pdf", &small).unwrap_err();
        assert!(
            matches!(error, DocError::TooLarge { ref file, ref what } if file == "traveler.pdf" && what.contains("MB limit")),
            "{error}"
        );

        let unknown = write(&dir, "f", b"hello");
        let error = read_document(&unknown, "notes.txt", &limits).unwrap_err();
        assert_eq!(
            error,
            DocError::Unsupported {
                file: "notes.txt".into(),
                found: "a .txt file".into()
            }
        );
        assert!(error.to_string().contains(".xlsx"));

        let missing = dir.path().join("gone.pdf");
        let error = read_document(&missing, "gone.pdf", &limits).unwrap_err();
        assert!(matches!(error, DocError::Unreadable { ref file, .. } if file == "gone.pdf"));

        let error = read_bytes(b"a;b\nc;d\n".to_vec(), "list.csv", &limits).unwrap_err();
        assert_eq!(
            error,
            DocError::NoHeader {
                file: "list.csv".into(),
                scope: "the file".into(),
                searched_rows: 20
            }
        );
    }
}
