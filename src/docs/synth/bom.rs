//! The as-built BOM as an Excel workbook (rust_xlsxwriter) or a CSV export: title rows with a
//! `Job:` cell, then a header row whose names vary as real exports do (Part Number / P/N,
//! Rev / Revision, Serial / S/N…) and one row per line. Fixed document properties so the same
//! pack gives the same bytes. The values come from `script`; only their layout is chosen here.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::SynthError;
use super::build::Part;
use super::script::BomView;

/// A column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Item,
    PartNumber,
    Revision,
    Description,
    Quantity,
    RefDes,
    Serial,
}

/// How this export names and orders its columns and title cells.
struct Template {
    columns: Vec<(Column, &'static str)>,
    job_caption: &'static str,
    sheet: &'static str,
    /// The job written as a number (Excel users type it so) rather than text.
    job_as_number: bool,
}

fn template(rng: &mut SmallRng, lists_serials: bool) -> Template {
    let mut pick = |names: &[&'static str]| names[rng.gen_range(0..names.len())];
    let item = pick(&["Item", "Find No.", "Line"]);
    let part = pick(&["Part Number", "P/N", "Part No.", "PART NUMBER"]);
    let revision = pick(&["Rev", "Revision", "REV"]);
    let description = pick(&["Description", "DESCRIPTION", "Desc"]);
    let quantity = pick(&["Qty", "QTY", "Quantity"]);
    let ref_des = pick(&["Ref Des", "Ref. Des.", "Reference Designator", "REF DES"]);
    let serial = pick(&["Serial", "S/N", "Serial Number", "Serial No."]);
    let job_caption = pick(&["Job:", "Job:", "Job No.:"]);
    let sheet = pick(&["As-Built BOM", "BOM", "Sheet1"]);
    let mut columns = if rng.gen_bool(0.5) {
        vec![
            (Column::Item, item),
            (Column::PartNumber, part),
            (Column::Revision, revision),
            (Column::Description, description),
            (Column::Quantity, quantity),
            (Column::RefDes, ref_des),
        ]
    } else {
        vec![
            (Column::Item, item),
            (Column::Description, description),
            (Column::PartNumber, part),
            (Column::Revision, revision),
            (Column::RefDes, ref_des),
            (Column::Quantity, quantity),
        ]
    };
    if lists_serials {
        columns.push((Column::Serial, serial));
    }
    Template {
        columns,
        job_caption,
        sheet,
        job_as_number: rng.gen_bool(0.5),
    }
}

fn cell(entry: &Part, index: usize, column: Column) -> String {
    match column {
        Column::Item => (index + 1).to_string(),
        Column::PartNumber => entry.part_number.clone(),
        Column::Revision => entry.revision.clone(),
        Column::Description => entry.description.clone(),
        Column::Quantity => entry.quantity.to_string(),
        Column::RefDes => entry.ref_des.clone(),
        Column::Serial => entry.serial.clone().unwrap_or_default(),
    }
}

fn date_text(view: &BomView) -> String {
    let (year, month, day) = view.released;
    format!("{year}-{month:02}-{day:02}")
}

/// The BOM file's bytes: xlsx or CSV as the view says.
pub(super) fn write(view: &BomView, seed: u64) -> Result<Vec<u8>, SynthError> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0xb0b0_b0b0);
    let template = template(&mut rng, view.lists_serials);
    if view.csv {
        csv_bytes(view, &template)
    } else {
        xlsx_bytes(view, &template).map_err(|err| SynthError::Encode {
            what: format!("the BOM workbook {}", view.file_name),
            reason: err.to_string(),
        })
    }
}

fn csv_bytes(view: &BomView, template: &Template) -> Result<Vec<u8>, SynthError> {
    let encode_error = |err: csv::Error| SynthError::Encode {
        what: format!("the BOM CSV {}", view.file_name),
        reason: err.to_string(),
    };
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    writer
        .write_record([template.job_caption, view.job.as_str()])
        .map_err(encode_error)?;
    writer
        .write_record(["Unit S/N:", view.unit_serial.as_str()])
        .map_err(encode_error)?;
    writer
        .write_record(["Date:", date_text(view).as_str()])
        .map_err(encode_error)?;
    // A blank separator row as spreadsheet exports write it: empty cells, not a quoted "".
    writer.write_record(["", ""]).map_err(encode_error)?;
    writer
        .write_record(template.columns.iter().map(|(_, name)| *name))
        .map_err(encode_error)?;
    for (index, entry) in view.rows.iter().enumerate() {
        writer
            .write_record(
                template
                    .columns
                    .iter()
                    .map(|(column, _)| cell(entry, index, *column)),
            )
            .map_err(encode_error)?;
    }
    writer.into_inner().map_err(|err| SynthError::Encode {
        what: format!("the BOM CSV {}", view.file_name),
        reason: err.to_string(),
    })
}

/// Rows (0-based) of the workbook's layout.
const TITLE_ROW: u32 = 0;
const JOB_ROW: u32 = 2;
const HEADER_ROW: u32 = 6;

fn xlsx_bytes(view: &BomView, template: &Template) -> Result<Vec<u8>, XlsxError> {
    let (year, month, day) = view.released;
    let created = ExcelDateTime::from_ymd(year, month, day)?.and_hms(8, 15, 0)?;
    let mut workbook = Workbook::new();
    // A fixed creation time: rust_xlsxwriter would otherwise stamp the current time.
    workbook.set_properties(
        &DocProperties::new()
            .set_title("As-built bill of materials")
            .set_author("ERP export")
            .set_company("Vanguard Space Systems")
            .set_creation_datetime(&created),
    );
    let sheet = workbook.add_worksheet();
    sheet.set_name(template.sheet)?;
    fill_sheet(sheet, view, template)?;
    workbook.save_to_buffer()
}

fn fill_sheet(sheet: &mut Worksheet, view: &BomView, template: &Template) -> Result<(), XlsxError> {
    let title = Format::new().set_bold().set_font_size(14);
    let caption = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9_E1_F2))
        .set_border(FormatBorder::Thin);
    let body = Format::new().set_border(FormatBorder::Thin);
    sheet.write_string_with_format(TITLE_ROW, 0, "AS-BUILT BILL OF MATERIALS", &title)?;
    sheet.write_string(TITLE_ROW + 1, 0, "Configuration record - as assembled")?;
    sheet.write_string_with_format(JOB_ROW, 0, template.job_caption, &caption)?;
    match view.job.parse::<u32>() {
        Ok(number) if template.job_as_number => {
            sheet.write_number(JOB_ROW, 1, f64::from(number))?;
        }
        _ => {
            sheet.write_string(JOB_ROW, 1, &view.job)?;
        }
    }
    sheet.write_string_with_format(JOB_ROW + 1, 0, "Unit S/N:", &caption)?;
    sheet.write_string(JOB_ROW + 1, 1, &view.unit_serial)?;
    sheet.write_string_with_format(JOB_ROW + 2, 0, "Date:", &caption)?;
    sheet.write_string(JOB_ROW + 2, 1, date_text(view))?;
    for (col, (column, name)) in template.columns.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(HEADER_ROW, col, *name, &header)?;
        let width = match column {
            Column::Item | Column::Quantity => 8,
            Column::Revision => 10,
            Column::RefDes => 16,
            Column::PartNumber | Column::Serial => 20,
            Column::Description => 28,
        };
        sheet.set_column_width(col, width)?;
    }
    for (index, entry) in view.rows.iter().enumerate() {
        let row = HEADER_ROW + 1 + index as u32;
        for (col, (column, _)) in template.columns.iter().enumerate() {
            let col = col as u16;
            match column {
                Column::Item => {
                    sheet.write_number_with_format(row, col, (index + 1) as f64, &body)?
                }
                Column::Quantity => {
                    sheet.write_number_with_format(row, col, f64::from(entry.quantity), &body)?
                }
                _ => {
                    sheet.write_string_with_format(row, col, cell(entry, index, *column), &body)?
                }
            };
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    use super::*;

    fn view(csv: bool) -> BomView {
        BomView {
            file_name: "bom.xlsx".to_owned(),
            job: "12346".to_owned(),
            unit_serial: "INF-1619".to_owned(),
            rows: vec![
                Part {
                    part_number: "pca-1555-01".to_owned(),
                    revision: "F2".to_owned(),
                    description: "CPU BOARD".to_owned(),
                    quantity: 1,
                    ref_des: "A1".to_owned(),
                    serial: Some("VGN-12345-0001".to_owned()),
                },
                Part {
                    part_number: "DRW-2044-03".to_owned(),
                    revision: "G".to_owned(),
                    description: "BRACKET, MOUNTING".to_owned(),
                    quantity: 3,
                    ref_des: "MP1-MP3".to_owned(),
                    serial: None,
                },
            ],
            lists_serials: true,
            csv,
            released: (2024, 3, 14),
        }
    }

    fn cells(bytes: Vec<u8>) -> Vec<Vec<String>> {
        let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let name = workbook.sheet_names()[0].clone();
        let range = workbook.worksheet_range(&name).unwrap();
        range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|cell| match cell {
                        Data::Float(f) => format!("{f}"),
                        Data::Int(i) => i.to_string(),
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => format!("{other:?}"),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_workbook_reads_back_with_its_job_header_and_rows() {
        let rows = cells(write(&view(false), 1).unwrap());
        let job_row = rows.iter().find(|row| row[0].starts_with("Job")).unwrap();
        assert_eq!(job_row[1], "12346");
        let header_at = rows
            .iter()
            .position(|row| {
                row.iter().any(|c| {
                    ["Part Number", "P/N", "Part No.", "PART NUMBER"].contains(&c.as_str())
                })
            })
            .unwrap();
        assert!(header_at > 2, "title rows come first");
        let data: Vec<&Vec<String>> = rows[header_at + 1..].iter().collect();
        assert_eq!(data.len(), 2);
        assert!(data[0].contains(&"pca-1555-01".to_owned()));
        assert!(data[0].contains(&"VGN-12345-0001".to_owned()));
        assert!(data[1].contains(&"3".to_owned()));
    }

    #[test]
    fn the_same_view_gives_the_same_workbook_bytes() {
        assert_eq!(
            write(&view(false), 7).unwrap(),
            write(&view(false), 7).unwrap()
        );
    }

    #[test]
    fn header_names_vary_between_packs() {
        let headers: std::collections::HashSet<String> = (0..20)
            .map(|seed| {
                let rows = cells(write(&view(false), seed).unwrap());
                rows[HEADER_ROW as usize].join("|")
            })
            .collect();
        assert!(headers.len() > 5, "{headers:?}");
    }

    #[test]
    fn the_csv_export_has_the_job_line_and_the_table() {
        let text = String::from_utf8(write(&view(true), 3).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("Job") && lines[0].ends_with(",12346"),
            "{}",
            lines[0]
        );
        assert!(text.contains("\"BRACKET, MOUNTING\""));
        assert!(lines.iter().any(|l| l.contains("VGN-12345-0001")));
    }
}
