//! A flowing A4 layout on pdf-writer: headings, wrapped paragraphs, a verdict banner and table
//! rows with a coloured status cell, onto as many pages as the content needs, each page with a
//! footer (title, page n of m). Text is WinAnsi in Helvetica; line wrapping uses Helvetica's
//! real advance widths so columns do not overrun.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_WIDTH_PT: f32 = 595.0;
const PAGE_HEIGHT_PT: f32 = 842.0;
const MARGIN_PT: f32 = 48.0;
const FOOTER_PT: f32 = 28.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

/// A colour as RGB 0–1.
pub type Rgb = [f32; 3];

/// WinAnsi bytes of `text`: ASCII as is, a few typographic characters mapped, anything else a
/// `?` (never a wrong byte).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.replace('\u{2194}', "<->")
        .replace('\u{2192}', "->")
        .replace('\u{2260}', "!=")
        .replace('\u{2264}', "<=")
        .replace('\u{2265}', ">=")
        .chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            // Latin-1's printable upper half is WinAnsi's too.
            '\u{00a0}'..='\u{00ff}' => c as u8,
            '\u{2026}' => 0x85,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            _ => b'?',
        })
        .collect()
}

/// Helvetica advance widths (1/1000 em) of ASCII 32–126, from the font's AFM metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 278, 260, 334, 584,
];

/// Width of `text` in points at `size_pt` (bold is taken as 6 % wider, close enough for
/// wrapping).
fn text_width_pt(text: &str, size_pt: f32, bold: bool) -> f32 {
    let em: u32 = win_ansi(text)
        .iter()
        .map(|&b| {
            if (32..127).contains(&b) {
                u32::from(HELVETICA[usize::from(b - 32)])
            } else {
                556
            }
        })
        .sum();
    em as f32 / 1000.0 * size_pt * if bold { 1.06 } else { 1.0 }
}

/// `text` broken into lines no wider than `width_pt` (a word longer than a line is cut).
pub fn wrap(text: &str, size_pt: f32, bold: bool, width_pt: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if text_width_pt(&candidate, size_pt, bold) <= width_pt {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word.to_owned();
        while text_width_pt(&rest, size_pt, bold) > width_pt && rest.chars().count() > 1 {
            let mut cut = rest.chars().count() - 1;
            while cut > 1
                && text_width_pt(&rest.chars().take(cut).collect::<String>(), size_pt, bold)
                    > width_pt
            {
                cut -= 1;
            }
            lines.push(rest.chars().take(cut).collect());
            rest = rest.chars().skip(cut).collect();
        }
        line = rest;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A column of a table: its width and header.
pub struct Column {
    pub header: &'static str,
    pub width_pt: f32,
}

/// A document being laid out.
pub struct Document {
    title: String,
    pages: Vec<Content>,
    /// Distance from the page's top edge to the next line's top.
    y_pt: f32,
}

impl Document {
    pub fn new(title: &str) -> Self {
        let mut document = Self {
            title: title.to_owned(),
            pages: Vec::new(),
            y_pt: 0.0,
        };
        document.new_page();
        document
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y_pt = MARGIN_PT;
    }

    fn room(&mut self, height_pt: f32) {
        if self.y_pt + height_pt > PAGE_HEIGHT_PT - MARGIN_PT - FOOTER_PT {
            self.new_page();
        }
    }

    fn content(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text_at(
        &mut self,
        x_pt: f32,
        top_pt: f32,
        text: &str,
        size_pt: f32,
        bold: bool,
        colour: Rgb,
    ) {
        let baseline = PAGE_HEIGHT_PT - top_pt - size_pt * 0.8;
        let bytes = win_ansi(text);
        let content = self.content();
        content.set_fill_rgb(colour[0], colour[1], colour[2]);
        content.begin_text();
        content.set_font(if bold { BOLD } else { REGULAR }, size_pt);
        content.next_line(x_pt, baseline);
        content.show(Str(&bytes));
        content.end_text();
    }

    fn fill(&mut self, x_pt: f32, top_pt: f32, width_pt: f32, height_pt: f32, colour: Rgb) {
        let content = self.content();
        content.set_fill_rgb(colour[0], colour[1], colour[2]);
        content.rect(
            x_pt,
            PAGE_HEIGHT_PT - top_pt - height_pt,
            width_pt,
            height_pt,
        );
        content.fill_nonzero();
    }

    fn rule(&mut self, top_pt: f32) {
        let content = self.content();
        content.set_stroke_rgb(0.75, 0.75, 0.75);
        content.set_line_width(0.5);
        content.move_to(MARGIN_PT, PAGE_HEIGHT_PT - top_pt);
        content.line_to(PAGE_WIDTH_PT - MARGIN_PT, PAGE_HEIGHT_PT - top_pt);
        content.stroke();
    }

    /// Usable width between the margins.
    pub fn width_pt(&self) -> f32 {
        PAGE_WIDTH_PT - 2.0 * MARGIN_PT
    }

    /// A bold heading, wrapped to the page's width (a title naming many files is long).
    pub fn heading(&mut self, text: &str, size_pt: f32) {
        let lines = wrap(text, size_pt, true, self.width_pt());
        self.room(size_pt * (0.7 + 1.5 * lines.len() as f32));
        self.y_pt += size_pt * 0.6;
        for line in lines {
            let y = self.y_pt;
            self.text_at(MARGIN_PT, y, &line, size_pt, true, [0.1, 0.1, 0.1]);
            self.y_pt += size_pt * 1.5;
        }
    }

    pub fn paragraph(&mut self, text: &str, size_pt: f32) {
        let width = self.width_pt();
        let lines = wrap(text, size_pt, false, width);
        // A short paragraph stays on one page rather than leaving a line alone on the next.
        if lines.len() <= 4 {
            self.room(size_pt * 1.35 * lines.len() as f32);
        }
        for line in lines {
            self.room(size_pt * 1.35);
            let y = self.y_pt;
            self.text_at(MARGIN_PT, y, &line, size_pt, false, [0.15, 0.15, 0.15]);
            self.y_pt += size_pt * 1.35;
        }
    }

    /// A full-width coloured band with large white text.
    pub fn banner(&mut self, text: &str, colour: Rgb) {
        let height = 44.0;
        self.room(height + 10.0);
        let y = self.y_pt;
        let width = self.width_pt();
        self.fill(MARGIN_PT, y, width, height, colour);
        self.text_at(
            MARGIN_PT + 14.0,
            y + 10.0,
            text,
            24.0,
            true,
            [1.0, 1.0, 1.0],
        );
        self.y_pt += height + 10.0;
    }

    /// A table header row.
    pub fn table_header(&mut self, columns: &[Column]) {
        let size = 9.0;
        self.room(size * 2.0);
        let y = self.y_pt;
        let width = self.width_pt();
        self.fill(MARGIN_PT, y, width, size * 1.8, [0.9, 0.9, 0.9]);
        let mut x = MARGIN_PT + 3.0;
        for column in columns {
            self.text_at(
                x,
                y + size * 0.4,
                column.header,
                size,
                true,
                [0.1, 0.1, 0.1],
            );
            x += column.width_pt;
        }
        self.y_pt += size * 1.8;
    }

    /// A table row; cells wrap within their column. `status` colours the cell at that index.
    pub fn table_row(
        &mut self,
        columns: &[Column],
        cells: &[String],
        status: Option<(usize, Rgb)>,
    ) {
        let size = 8.5;
        let leading = size * 1.3;
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|(column, cell)| wrap(cell, size, false, column.width_pt - 6.0))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * leading + 6.0;
        self.room(height);
        let y = self.y_pt;
        let mut x = MARGIN_PT;
        for (index, (column, cell_lines)) in columns.iter().zip(&wrapped).enumerate() {
            let colour = match status {
                Some((at, colour)) if at == index => {
                    self.fill(x, y + 1.0, column.width_pt - 2.0, height - 2.0, colour);
                    [1.0, 1.0, 1.0]
                }
                _ => [0.1, 0.1, 0.1],
            };
            for (n, line) in cell_lines.iter().enumerate() {
                self.text_at(
                    x + 3.0,
                    y + 3.0 + n as f32 * leading,
                    line,
                    size,
                    status.is_some_and(|(at, _)| at == index),
                    colour,
                );
            }
            x += column.width_pt;
        }
        self.y_pt += height;
        let y = self.y_pt;
        self.rule(y);
    }

    pub fn gap(&mut self, height_pt: f32) {
        self.y_pt += height_pt;
    }

    /// The finished PDF.
    pub fn finish(mut self) -> Vec<u8> {
        let count = self.pages.len();
        let title = self.title.clone();
        for index in 0..count {
            let footer = format!("{title}  -  page {} of {count}", index + 1);
            let content = &mut self.pages[index];
            let bytes = win_ansi(&footer);
            content.set_fill_rgb(0.4, 0.4, 0.4);
            content.begin_text();
            content.set_font(REGULAR, 8.0);
            content.next_line(MARGIN_PT, MARGIN_PT * 0.6);
            content.show(Str(&bytes));
            content.end_text();
        }
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let page_ref = |index: usize, offset: i32| Ref::new(10 + 2 * index as i32 + offset);
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids((0..count).map(|index| page_ref(index, 0)))
            .count(count as i32);
        pdf.document_info(info)
            .title(TextStr(&title))
            .creator(TextStr("qcstation"));
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        for (index, content) in self.pages.into_iter().enumerate() {
            let mut page = pdf.page(page_ref(index, 0));
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT));
            page.parent(tree);
            page.contents(page_ref(index, 1));
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(REGULAR, regular);
            fonts.pair(BOLD, bold);
            fonts.finish();
            resources.finish();
            page.finish();
            pdf.stream(page_ref(index, 1), &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_maps_dashes_and_never_emits_utf8() {
        assert_eq!(win_ansi("A\u{2013}B"), vec![b'A', 0x96, b'B']);
        assert_eq!(win_ansi("\u{4e2d}"), b"?".to_vec());
        assert_eq!(win_ansi("a \u{2194} b"), b"a <-> b".to_vec());
        assert_eq!(win_ansi("74203 \u{2260} 47203"), b"74203 != 47203".to_vec());
        assert_eq!(win_ansi("\u{00e9}\u{2026}"), vec![0xe9, 0x85]);
    }

    #[test]
    fn wrapping_keeps_lines_within_the_width() {
        let text =
            "Board serial VGN-12345-0001 on the photo differs from VGN-12345-0002 on the traveler";
        let lines = wrap(text, 10.0, false, 150.0);
        assert!(lines.len() >= 3, "{lines:?}");
        for line in &lines {
            assert!(text_width_pt(line, 10.0, false) <= 150.0, "{line}");
        }
        assert_eq!(lines.join(" "), text);
        // "M" is 833/1000 em in Helvetica.
        assert!((text_width_pt("M", 10.0, false) - 8.33).abs() < 1e-4);
    }

    #[test]
    fn a_long_document_flows_onto_more_pages() {
        let mut document = Document::new("test");
        for n in 0..200 {
            document.paragraph(&format!("line {n}"), 10.0);
        }
        let pdf = document.finish();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-"));
        assert!(
            text.contains("/Count 3") || text.contains("/Count 4"),
            "pages"
        );
        assert!(text.contains("(line 199) Tj"));
    }
}
