//! The traveler's two US-Letter pages laid out as drawing operations in points (origin top-left):
//! page 1 has the header, the title block (job, unit serial, product, build status), the board
//! serial table, the parts list and notes; page 2 the work steps with sign-offs and the final
//! inspection. Widths are measured with Helvetica's metrics so the PDF and the scanned raster
//! agree. It must not write bytes: `pdf` and `scan` turn the operations into files.

use ab_glyph::FontRef;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::SynthError;
use super::fonts::Face;
use super::script::TravelerView;
use super::text::{scale_for_em, width_px};

pub(super) const PAGE_WIDTH_PT: f32 = 612.0;
pub(super) const PAGE_HEIGHT_PT: f32 = 792.0;
const MARGIN_PT: f32 = 40.0;
const CONTENT_WIDTH_PT: f32 = PAGE_WIDTH_PT - 2.0 * MARGIN_PT;

/// The three base-14 fonts the traveler uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PdfFont {
    Helvetica,
    HelveticaBold,
    Courier,
}

impl PdfFont {
    pub const ALL: [Self; 3] = [Self::Helvetica, Self::HelveticaBold, Self::Courier];

    pub fn base_name(self) -> &'static str {
        match self {
            Self::Helvetica => "Helvetica",
            Self::HelveticaBold => "Helvetica-Bold",
            Self::Courier => "Courier",
        }
    }
}

/// One drawing operation, in points from the page's top-left.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Op {
    Text {
        x_pt: f32,
        baseline_pt: f32,
        size_pt: f32,
        font: PdfFont,
        /// 0 black … 1 white.
        gray: f32,
        text: String,
    },
    /// A filled box; rules and cell borders are thin boxes.
    Fill {
        x_pt: f32,
        y_pt: f32,
        width_pt: f32,
        height_pt: f32,
        gray: f32,
    },
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Page {
    pub ops: Vec<Op>,
}

/// Helvetica widths, from Liberation Sans which shares them.
pub(super) struct Metrics {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
}

impl Metrics {
    pub fn load() -> Result<Self, SynthError> {
        Ok(Self {
            regular: Face::LiberationSans.load()?,
            bold: Face::LiberationSansBold.load()?,
        })
    }

    pub fn width_pt(&self, font: PdfFont, size_pt: f32, text: &str) -> f32 {
        match font {
            // Every Courier glyph advances 600/1000 em.
            PdfFont::Courier => 0.6 * size_pt * text.chars().count() as f32,
            PdfFont::Helvetica => width_px(
                &self.regular,
                scale_for_em(&self.regular, size_pt),
                text,
                false,
            ),
            PdfFont::HelveticaBold => {
                width_px(&self.bold, scale_for_em(&self.bold, size_pt), text, false)
            }
        }
    }
}

/// A page being drawn.
struct Sheet<'m> {
    metrics: &'m Metrics,
    ops: Vec<Op>,
}

impl Sheet<'_> {
    fn text(&mut self, x_pt: f32, baseline_pt: f32, size_pt: f32, font: PdfFont, text: &str) {
        self.text_gray(x_pt, baseline_pt, size_pt, font, 0.0, text);
    }

    fn text_gray(
        &mut self,
        x_pt: f32,
        baseline_pt: f32,
        size_pt: f32,
        font: PdfFont,
        gray: f32,
        text: &str,
    ) {
        self.ops.push(Op::Text {
            x_pt,
            baseline_pt,
            size_pt,
            font,
            gray,
            text: text.to_owned(),
        });
    }

    fn text_right(
        &mut self,
        right_pt: f32,
        baseline_pt: f32,
        size_pt: f32,
        font: PdfFont,
        text: &str,
    ) {
        let width = self.metrics.width_pt(font, size_pt, text);
        self.text(right_pt - width, baseline_pt, size_pt, font, text);
    }

    /// The largest size up to `size_pt` at which `text` fits in `width_pt`.
    fn fit(&self, font: PdfFont, size_pt: f32, width_pt: f32, text: &str) -> f32 {
        let natural = self.metrics.width_pt(font, size_pt, text);
        if natural <= width_pt {
            size_pt
        } else {
            (size_pt * width_pt / natural).max(5.0)
        }
    }

    fn fill(&mut self, x_pt: f32, y_pt: f32, width_pt: f32, height_pt: f32, gray: f32) {
        self.ops.push(Op::Fill {
            x_pt,
            y_pt,
            width_pt,
            height_pt,
            gray,
        });
    }

    fn hrule(&mut self, x0_pt: f32, x1_pt: f32, y_pt: f32, weight_pt: f32) {
        self.fill(x0_pt, y_pt - weight_pt / 2.0, x1_pt - x0_pt, weight_pt, 0.0);
    }

    fn vrule(&mut self, x_pt: f32, y0_pt: f32, y1_pt: f32, weight_pt: f32) {
        self.fill(x_pt - weight_pt / 2.0, y0_pt, weight_pt, y1_pt - y0_pt, 0.0);
    }

    fn frame(&mut self, x_pt: f32, y_pt: f32, width_pt: f32, height_pt: f32, weight_pt: f32) {
        self.hrule(x_pt, x_pt + width_pt, y_pt, weight_pt);
        self.hrule(x_pt, x_pt + width_pt, y_pt + height_pt, weight_pt);
        self.vrule(x_pt, y_pt, y_pt + height_pt, weight_pt);
        self.vrule(x_pt + width_pt, y_pt, y_pt + height_pt, weight_pt);
    }

    /// Greedy word wrap of `text` into lines no wider than `width_pt`.
    fn wrap(&self, font: PdfFont, size_pt: f32, width_pt: f32, text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.metrics.width_pt(font, size_pt, &candidate) > width_pt {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// A section heading on a grey band; returns the y below it.
    fn section(&mut self, y_pt: f32, title: &str) -> f32 {
        self.fill(MARGIN_PT, y_pt, CONTENT_WIDTH_PT, 14.0, 0.86);
        self.text(
            MARGIN_PT + 4.0,
            y_pt + 10.3,
            8.5,
            PdfFont::HelveticaBold,
            title,
        );
        y_pt + 14.0
    }

    /// A table: a header row, then rows; cells `(font, size, text)`. Returns the y below it.
    fn table(
        &mut self,
        y_pt: f32,
        widths_pt: &[f32],
        headers: &[&str],
        rows: &[Vec<(PdfFont, f32, String)>],
        row_height_pt: f32,
    ) -> f32 {
        let header_height = 13.0;
        let total_width: f32 = widths_pt.iter().sum();
        self.fill(MARGIN_PT, y_pt, total_width, header_height, 0.94);
        let mut x = MARGIN_PT;
        for (width, header) in widths_pt.iter().zip(headers) {
            self.text(x + 3.0, y_pt + 9.3, 7.0, PdfFont::HelveticaBold, header);
            x += width;
        }
        let mut y = y_pt + header_height;
        for row in rows {
            let mut x = MARGIN_PT;
            for (width, (font, size, text)) in widths_pt.iter().zip(row) {
                let size = self.fit(*font, *size, width - 6.0, text);
                self.text(
                    x + 3.0,
                    y + row_height_pt * 0.5 + size * 0.35,
                    size,
                    *font,
                    text,
                );
                x += width;
            }
            y += row_height_pt;
            self.hrule(MARGIN_PT, MARGIN_PT + total_width, y, 0.4);
        }
        self.frame(MARGIN_PT, y_pt, total_width, y - y_pt, 0.8);
        self.hrule(
            MARGIN_PT,
            MARGIN_PT + total_width,
            y_pt + header_height,
            0.6,
        );
        let mut x = MARGIN_PT;
        for width in &widths_pt[..widths_pt.len() - 1] {
            x += width;
            self.vrule(x, y_pt, y, 0.4);
        }
        y
    }

    fn footer(&mut self, page: u32, pages: u32, form: &str) {
        let y = PAGE_HEIGHT_PT - 36.0;
        self.hrule(MARGIN_PT, PAGE_WIDTH_PT - MARGIN_PT, y, 0.5);
        self.text_gray(
            MARGIN_PT,
            y + 10.0,
            6.5,
            PdfFont::Helvetica,
            0.25,
            "CONTROLLED DOCUMENT. Verify the revision before use; printed copies are uncontrolled.",
        );
        self.text_right(
            PAGE_WIDTH_PT - MARGIN_PT,
            y + 10.0,
            7.0,
            PdfFont::Helvetica,
            &format!("{form}   Page {page} of {pages}"),
        );
    }
}

const COMPANIES: [&str; 3] = [
    "Vanguard Space Systems",
    "Northgate Avionics Inc.",
    "Infinite Orbit Technologies",
];
const PLANNERS: [&str; 5] = [
    "M. Keller",
    "S. Okafor",
    "J. Lindqvist",
    "R. Alvarez",
    "T. Nakamura",
];
const INITIALS: [&str; 7] = ["JM", "RK", "AL", "DP", "SO", "TN", "KB"];

fn date_text(date: (u16, u8, u8), days_later: u8) -> String {
    let (year, month, day) = date;
    let day = (day + days_later).min(28);
    format!("{month:02}/{day:02}/{:02}", year % 100)
}

/// The work steps of this build, numbered 10, 20, …
fn steps(view: &TravelerView) -> Vec<String> {
    let mut steps = vec![
        "Kit all parts per the as-built BOM; verify part numbers and revisions against this traveler.".to_owned(),
        "Verify the ESD workstation and wrist strap; record the tester ID on the data sheet.".to_owned(),
    ];
    for board in &view.boards {
        steps.push(format!(
            "Inspect board {} for damage and workmanship (IPC-A-610 Class 3); confirm its serial label matches the serial table.",
            board.ref_des
        ));
        steps.push(format!(
            "Install board {} into the chassis; torque fasteners to 4.5 in-lb and apply torque stripe.",
            board.ref_des
        ));
    }
    steps.extend(
        [
            "Route and tie down the internal harness; check bend radius and clearance.",
            "Perform continuity and isolation tests per the test procedure; attach the results.",
            "Functional test at ambient temperature; attach the test data sheet.",
            "Apply the unit identification label and the build status marking.",
            "Final visual inspection and cleanliness check; close all open items.",
        ]
        .map(str::to_owned),
    );
    steps
}

/// Lays the traveler of `view` out as two pages.
pub(super) fn layout(view: &TravelerView) -> Result<Vec<Page>, SynthError> {
    let metrics = Metrics::load()?;
    let mut rng = SmallRng::seed_from_u64(view.seed);
    let company = COMPANIES[rng.gen_range(0..COMPANIES.len())];
    let form = format!(
        "TRV-{} Rev {}",
        rng.gen_range(100..=999),
        ["B", "C", "D"][rng.gen_range(0..3)]
    );
    let planner = PLANNERS[rng.gen_range(0..PLANNERS.len())];
    let first = first_page(&metrics, &mut rng, view, company, &form, planner);
    let second = second_page(&metrics, &mut rng, view, company, &form);
    Ok(vec![first, second])
}

fn first_page(
    metrics: &Metrics,
    rng: &mut SmallRng,
    view: &TravelerView,
    company: &str,
    form: &str,
    planner: &str,
) -> Page {
    let mut sheet = Sheet {
        metrics,
        ops: Vec::new(),
    };
    let right = PAGE_WIDTH_PT - MARGIN_PT;
    sheet.text(MARGIN_PT, 54.0, 13.0, PdfFont::HelveticaBold, company);
    sheet.text_gray(
        MARGIN_PT,
        65.0,
        7.5,
        PdfFont::Helvetica,
        0.3,
        "Manufacturing Operations - Assembly & Test",
    );
    sheet.text_right(
        right,
        54.0,
        15.0,
        PdfFont::HelveticaBold,
        "PRODUCTION TRAVELER",
    );
    sheet.text_right(
        right,
        65.0,
        7.5,
        PdfFont::Helvetica,
        &format!("Form {form}"),
    );
    sheet.hrule(MARGIN_PT, right, 73.0, 1.6);

    // Title block: captions small and grey, values as the ERP printed them.
    let released = {
        let (year, month, day) = view.released;
        format!("{year}-{month:02}-{day:02}")
    };
    let cells: [[(&str, PdfFont, f32, &str); 4]; 2] = [
        [
            ("JOB NO.", PdfFont::Courier, 12.0, view.job_text.as_str()),
            (
                "UNIT S/N",
                PdfFont::Courier,
                12.0,
                view.unit_serial.as_str(),
            ),
            ("PRODUCT", PdfFont::Helvetica, 9.5, view.product.as_str()),
            (
                "BUILD STATUS",
                PdfFont::HelveticaBold,
                11.0,
                view.flight_marking.as_str(),
            ),
        ],
        [
            ("RELEASED", PdfFont::Courier, 10.0, released.as_str()),
            ("PLANNER", PdfFont::Helvetica, 9.5, planner),
            ("BUILD QTY", PdfFont::Courier, 10.0, "1"),
            ("ROUTING", PdfFont::Helvetica, 9.5, "ASSY / TEST / QA"),
        ],
    ];
    let (top, cell_width, cell_height) = (82.0, CONTENT_WIDTH_PT / 4.0, 34.0);
    for (row_index, row) in cells.iter().enumerate() {
        let y = top + row_index as f32 * cell_height;
        for (col, (caption, font, size, value)) in row.iter().enumerate() {
            let x = MARGIN_PT + col as f32 * cell_width;
            sheet.text_gray(x + 4.0, y + 9.0, 6.5, PdfFont::HelveticaBold, 0.35, caption);
            let size = sheet.fit(*font, *size, cell_width - 8.0, value);
            sheet.text(x + 4.0, y + 26.0, size, *font, value);
        }
    }
    sheet.frame(MARGIN_PT, top, CONTENT_WIDTH_PT, 2.0 * cell_height, 1.0);
    sheet.hrule(MARGIN_PT, right, top + cell_height, 0.5);
    for col in 1..4 {
        sheet.vrule(
            MARGIN_PT + col as f32 * cell_width,
            top,
            top + 2.0 * cell_height,
            0.5,
        );
    }

    let mut y = top + 2.0 * cell_height + 16.0;
    if !view.boards.is_empty() {
        y = sheet.section(y, "BOARD SERIAL NUMBERS");
        let rows: Vec<Vec<(PdfFont, f32, String)>> = view
            .boards
            .iter()
            .map(|board| {
                vec![
                    (PdfFont::Helvetica, 9.0, board.ref_des.clone()),
                    (PdfFont::Courier, 10.0, board.part_number.clone()),
                    (PdfFont::Courier, 10.0, board.serial.clone()),
                    (
                        PdfFont::Courier,
                        9.0,
                        INITIALS[rng.gen_range(0..INITIALS.len())].to_owned(),
                    ),
                    (
                        PdfFont::Courier,
                        9.0,
                        date_text(view.released, rng.gen_range(1..=4)),
                    ),
                ]
            })
            .collect();
        y = sheet.table(
            y + 4.0,
            &[60.0, 140.0, 160.0, 86.0, 86.0],
            &["REF DES", "PART NUMBER", "BOARD S/N", "RECORDED BY", "DATE"],
            &rows,
            18.0,
        );
        y += 16.0;
    }

    y = sheet.section(y, "PARTS LIST");
    let rows: Vec<Vec<(PdfFont, f32, String)>> = view
        .parts
        .iter()
        .enumerate()
        .map(|(index, part)| {
            vec![
                (PdfFont::Helvetica, 9.0, (index + 1).to_string()),
                (PdfFont::Courier, 10.0, part.part_number.clone()),
                (
                    PdfFont::Courier,
                    10.0,
                    format!("{}{}", view.revision_prefix, part.revision),
                ),
                (PdfFont::Helvetica, 8.5, part.description.clone()),
                (PdfFont::Courier, 10.0, part.quantity.to_string()),
                (PdfFont::Helvetica, 8.5, part.ref_des.clone()),
            ]
        })
        .collect();
    y = sheet.table(
        y + 4.0,
        &[36.0, 130.0, 56.0, 190.0, 40.0, 80.0],
        &[
            "ITEM",
            "PART NUMBER",
            "REV",
            "DESCRIPTION",
            "QTY",
            "REF DES",
        ],
        &rows,
        16.0,
    );

    y = sheet.section(y + 16.0, "NOTES");
    let notes = [
        "1. Handle all assemblies per ESD-S20.20. Wear a grounded wrist strap at all times.",
        "2. Record every board serial number before installation; do not remove serial labels.",
        "3. Any nonconformance stops the build: raise an NCR and notify Quality before rework.",
    ];
    for (index, note) in notes.iter().enumerate() {
        sheet.text(
            MARGIN_PT + 4.0,
            y + 13.0 + index as f32 * 12.0,
            8.0,
            PdfFont::Helvetica,
            note,
        );
    }

    // Release approvals: who planned the build and who let it start.
    let y = sheet.section(
        y + 13.0 + notes.len() as f32 * 12.0 + 10.0,
        "RELEASE APPROVALS",
    );
    let released_on = date_text(view.released, 0);
    let approvals = [
        ("PREPARED BY (PLANNING)", planner.to_owned()),
        (
            "APPROVED (ENGINEERING)",
            PLANNERS[rng.gen_range(0..PLANNERS.len())].to_owned(),
        ),
        (
            "APPROVED (QUALITY)",
            PLANNERS[rng.gen_range(0..PLANNERS.len())].to_owned(),
        ),
    ];
    let width = CONTENT_WIDTH_PT / 3.0;
    for (index, (caption, name)) in approvals.iter().enumerate() {
        let x = MARGIN_PT + index as f32 * width;
        sheet.text_gray(
            x + 4.0,
            y + 13.0,
            6.5,
            PdfFont::HelveticaBold,
            0.35,
            caption,
        );
        sheet.text(x + 6.0, y + 30.0, 9.5, PdfFont::Helvetica, name);
        sheet.text_right(
            x + width - 10.0,
            y + 30.0,
            9.0,
            PdfFont::Courier,
            &released_on,
        );
        sheet.hrule(x + 4.0, x + width - 8.0, y + 34.0, 0.5);
    }
    sheet.footer(1, 2, form);
    Page { ops: sheet.ops }
}

fn second_page(
    metrics: &Metrics,
    rng: &mut SmallRng,
    view: &TravelerView,
    company: &str,
    form: &str,
) -> Page {
    let mut sheet = Sheet {
        metrics,
        ops: Vec::new(),
    };
    let right = PAGE_WIDTH_PT - MARGIN_PT;
    sheet.text(MARGIN_PT, 52.0, 11.0, PdfFont::HelveticaBold, company);
    sheet.text_right(
        right,
        52.0,
        12.0,
        PdfFont::HelveticaBold,
        "PRODUCTION TRAVELER - WORK STEPS",
    );
    let job = if view.job_text.chars().all(|c| c.is_ascii_digit()) {
        format!("Job No.: {}", view.job_text)
    } else {
        view.job_text.clone()
    };
    sheet.text(MARGIN_PT, 66.0, 9.0, PdfFont::Helvetica, &job);
    sheet.text(
        MARGIN_PT + 150.0,
        66.0,
        9.0,
        PdfFont::Helvetica,
        &format!("Unit S/N: {}", view.unit_serial),
    );
    sheet.hrule(MARGIN_PT, right, 73.0, 1.6);

    let widths = [38.0, 266.0, 76.0, 76.0, 76.0];
    let headers = ["STEP", "OPERATION", "OPERATOR", "DATE", "QA STAMP"];
    let row_height = 32.0;
    let mut y = 84.0;
    sheet.fill(MARGIN_PT, y, CONTENT_WIDTH_PT, 13.0, 0.94);
    let mut x = MARGIN_PT;
    for (width, header) in widths.iter().zip(headers) {
        sheet.text(x + 3.0, y + 9.3, 7.0, PdfFont::HelveticaBold, header);
        x += width;
    }
    let table_top = y;
    y += 13.0;
    let steps = steps(view);
    let columns: Vec<f32> = widths
        .iter()
        .scan(MARGIN_PT, |x, width| {
            let left = *x;
            *x += width;
            Some(left)
        })
        .collect();
    for (index, step) in steps.iter().enumerate() {
        sheet.text(
            columns[0] + 4.0,
            y + 13.0,
            9.0,
            PdfFont::Helvetica,
            &format!("{}", (index + 1) * 10),
        );
        for (line_index, line) in sheet
            .wrap(PdfFont::Helvetica, 8.0, widths[1] - 8.0, step)
            .iter()
            .take(3)
            .enumerate()
        {
            let baseline = y + 11.0 + line_index as f32 * 9.5;
            sheet.text(columns[1] + 4.0, baseline, 8.0, PdfFont::Helvetica, line);
        }
        // Sign-off lines, then the marks of whoever did and checked the step.
        for col in 2..5 {
            sheet.hrule(
                columns[col] + 6.0,
                columns[col] + widths[col] - 6.0,
                y + 24.0,
                0.4,
            );
        }
        if rng.gen_bool(0.9) {
            let initials = INITIALS[rng.gen_range(0..INITIALS.len())];
            sheet.text(
                columns[2] + 10.0,
                y + 21.0,
                10.0,
                PdfFont::Courier,
                initials,
            );
            sheet.text(
                columns[3] + 8.0,
                y + 21.0,
                9.0,
                PdfFont::Courier,
                &date_text(view.released, 1 + (index / 4) as u8),
            );
            let stamp = format!("QA {:02}", rng.gen_range(1..=20));
            sheet.frame(columns[4] + 10.0, y + 9.0, 40.0, 14.0, 0.7);
            sheet.text(columns[4] + 13.0, y + 19.5, 8.5, PdfFont::Courier, &stamp);
        }
        y += row_height;
        sheet.hrule(MARGIN_PT, right, y, 0.4);
    }
    sheet.frame(MARGIN_PT, table_top, CONTENT_WIDTH_PT, y - table_top, 0.8);
    sheet.hrule(MARGIN_PT, right, table_top + 13.0, 0.6);
    for left in &columns[1..] {
        sheet.vrule(*left, table_top, y, 0.4);
    }

    let y = sheet.section(y + 18.0, "FINAL INSPECTION / ACCEPTANCE");
    let fields = [
        (
            "Inspector",
            INITIALS[rng.gen_range(0..INITIALS.len())].to_owned(),
        ),
        ("Stamp", format!("QA {:02}", rng.gen_range(1..=20))),
        ("Date", date_text(view.released, 6)),
        ("Disposition", "ACCEPT".to_owned()),
    ];
    let width = CONTENT_WIDTH_PT / 4.0;
    for (index, (caption, value)) in fields.iter().enumerate() {
        let x = MARGIN_PT + index as f32 * width;
        sheet.text_gray(
            x + 4.0,
            y + 14.0,
            7.0,
            PdfFont::HelveticaBold,
            0.35,
            caption,
        );
        sheet.text(x + 8.0, y + 32.0, 10.0, PdfFont::Courier, value);
        sheet.hrule(x + 4.0, x + width - 8.0, y + 36.0, 0.5);
    }
    sheet.footer(2, 2, form);
    Page { ops: sheet.ops }
}

#[cfg(test)]
mod tests {
    use super::super::tests::traveler_view as sample_view;
    use super::*;

    /// Every text string of the pages, in drawing order.
    fn texts(pages: &[Page]) -> Vec<&str> {
        pages
            .iter()
            .flat_map(|page| &page.ops)
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                Op::Fill { .. } => None,
            })
            .collect()
    }

    #[test]
    fn the_pages_carry_every_field_once_in_its_place() {
        let pages = layout(&sample_view()).unwrap();
        assert_eq!(pages.len(), 2);
        let texts = texts(&pages);
        for wanted in [
            "12345",
            "INF-1619",
            "EDU - NOT FOR FLIGHT",
            "VGN-12345-0001",
            "Rev. F2",
            "BOARD S/N",
        ] {
            assert_eq!(
                texts.iter().filter(|t| **t == wanted).count(),
                1,
                "{wanted}"
            );
        }
        assert!(texts.contains(&"Job No.: 12345"));
        assert!(texts.contains(&"Unit S/N: INF-1619"));
        assert_eq!(texts.iter().filter(|t| **t == "PCA-1555-01").count(), 2);
    }

    #[test]
    fn everything_stays_on_the_page() {
        let mut view = sample_view();
        view.product = "A product name far too long to fit in its title block cell".to_owned();
        let metrics = Metrics::load().unwrap();
        for page in layout(&view).unwrap() {
            for op in page.ops {
                match op {
                    Op::Text {
                        x_pt,
                        baseline_pt,
                        size_pt,
                        font,
                        text,
                        ..
                    } => {
                        let right = x_pt + metrics.width_pt(font, size_pt, &text);
                        assert!(
                            x_pt >= MARGIN_PT - 0.5 && right <= PAGE_WIDTH_PT - MARGIN_PT + 0.5,
                            "{text}: {x_pt}..{right}"
                        );
                        assert!(
                            baseline_pt > 40.0 && baseline_pt < PAGE_HEIGHT_PT - 20.0,
                            "{text}"
                        );
                    }
                    Op::Fill {
                        y_pt, height_pt, ..
                    } => {
                        assert!(y_pt >= 0.0 && y_pt + height_pt <= PAGE_HEIGHT_PT);
                    }
                }
            }
        }
    }
}
