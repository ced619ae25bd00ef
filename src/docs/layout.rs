//! Glyphs placed on a page → lines of text: glyphs on one baseline form a row, read left to
//! right; a gap wider than a space's worth becomes a space, a gap of more than 1.5 em becomes a
//! tab (a column of a form or a table: the fielding reads a row's cells in order, so a part
//! number and the revision in the next column stay together, and a label and its value in the
//! column to the right stay apart). Text not set horizontally keeps the grouping of the content
//! stream's text runs. Doubled glyphs (bold faked by printing twice) are read once.
//!
//! Pure geometry on page points, origin top-left; knows nothing about PDF.

/// One glyph as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlacedGlyph {
    pub text: String,
    /// `[x_min, y_min, x_max, y_max]` in page points, origin top-left.
    pub bbox_pt: [f64; 4],
    /// Where the glyph sits: its origin's y (horizontal text).
    pub baseline_pt: f64,
    /// The font size on the page.
    pub em_pt: f64,
    /// Upright and left to right: rows are built from these only.
    pub horizontal: bool,
    /// The text run (one show-text operation) it came from.
    pub run: u32,
}

/// A line of text and its box.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LaidLine {
    pub text: String,
    pub bbox_pt: [f32; 4],
}

/// Baselines closer than this (in ems) are one row: sub- and superscripts stay in their line.
const ROW_TOLERANCE_EM: f64 = 0.3;
/// A horizontal gap wider than this (in ems) is a word space (Helvetica's space is 0.28 em;
/// kerning and tracking inside words stay well under it).
const SPACE_GAP_EM: f64 = 0.18;
/// A gap wider than this (in ems) is a column gap, written as a tab. Word spaces stay far below
/// it even in justified text; form columns are rarely closer.
const COLUMN_GAP_EM: f64 = 1.5;
/// The same glyph this close to the previous one is a second print of it.
const OVERPRINT_EM: f64 = 0.1;

struct Building {
    text: String,
    bbox: [f64; 4],
    last_text_end: usize,
    last_x0: f64,
    last_em: f64,
}

impl Building {
    fn start(glyph: &PlacedGlyph) -> Self {
        Self {
            text: glyph.text.clone(),
            bbox: glyph.bbox_pt,
            last_text_end: 0,
            last_x0: glyph.bbox_pt[0],
            last_em: glyph.em_pt,
        }
    }

    fn push(&mut self, glyph: &PlacedGlyph, gap: Gap) {
        match gap {
            Gap::None => {}
            Gap::Space => self.text.push(' '),
            Gap::Column => self.text.push('\t'),
        }
        self.last_text_end = self.text.len();
        self.text.push_str(&glyph.text);
        self.bbox = union(self.bbox, glyph.bbox_pt);
        self.last_x0 = glyph.bbox_pt[0];
        self.last_em = glyph.em_pt;
    }

    fn last_glyph_text(&self) -> &str {
        &self.text[self.last_text_end..]
    }

    fn finish(self, out: &mut Vec<LaidLine>) {
        let text = self.text.trim();
        if !text.is_empty() {
            out.push(LaidLine {
                text: text.to_owned(),
                bbox_pt: self.bbox.map(|v| v as f32),
            });
        }
    }
}

fn union(a: [f64; 4], b: [f64; 4]) -> [f64; 4] {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// The lines of one page: rows top to bottom, each left to right; then text that is not
/// horizontal, run by run.
pub(super) fn lines(glyphs: &[PlacedGlyph]) -> Vec<LaidLine> {
    let mut out = Vec::new();

    let mut horizontal: Vec<&PlacedGlyph> = glyphs.iter().filter(|g| g.horizontal).collect();
    horizontal.sort_by(|a, b| {
        a.baseline_pt
            .total_cmp(&b.baseline_pt)
            .then(a.bbox_pt[0].total_cmp(&b.bbox_pt[0]))
    });
    let mut rows: Vec<Vec<&PlacedGlyph>> = Vec::new();
    for glyph in horizontal {
        match rows.last_mut() {
            Some(row)
                if (glyph.baseline_pt - row[0].baseline_pt).abs()
                    <= ROW_TOLERANCE_EM * glyph.em_pt.max(row[0].em_pt) =>
            {
                row.push(glyph);
            }
            _ => rows.push(vec![glyph]),
        }
    }
    for mut row in rows {
        row.sort_by(|a, b| a.bbox_pt[0].total_cmp(&b.bbox_pt[0]));
        split_row(&row, &mut out);
    }

    let mut current: Option<(u32, Building)> = None;
    for glyph in glyphs.iter().filter(|g| !g.horizontal) {
        match &mut current {
            Some((run, line)) if *run == glyph.run => line.push(glyph, Gap::None),
            _ => {
                if let Some((_, line)) = current.take() {
                    line.finish(&mut out);
                }
                current = Some((glyph.run, Building::start(glyph)));
            }
        }
    }
    if let Some((_, line)) = current {
        line.finish(&mut out);
    }
    out
}

/// What separates two glyphs of a row.
#[derive(Clone, Copy)]
enum Gap {
    None,
    Space,
    Column,
}

/// One row, glyphs sorted left to right, into a line with tabs at column gaps.
fn split_row(row: &[&PlacedGlyph], out: &mut Vec<LaidLine>) {
    let mut current: Option<Building> = None;
    for glyph in row {
        let Some(line) = current.as_mut() else {
            current = Some(Building::start(glyph));
            continue;
        };
        let em = line.last_em.max(glyph.em_pt);
        if glyph.text == line.last_glyph_text()
            && (glyph.bbox_pt[0] - line.last_x0).abs() < OVERPRINT_EM * em
        {
            continue;
        }
        let gap = glyph.bbox_pt[0] - line.bbox[2];
        let gap = if gap > COLUMN_GAP_EM * em {
            Gap::Column
        } else if gap > SPACE_GAP_EM * em {
            Gap::Space
        } else {
            Gap::None
        };
        line.push(glyph, gap);
    }
    if let Some(line) = current {
        line.finish(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Glyphs of `text` set in a 10 pt font of 0.5 em advance from `x`, on `baseline`.
    fn word(text: &str, x: f64, baseline: f64, run: u32) -> Vec<PlacedGlyph> {
        text.chars()
            .enumerate()
            .filter(|(_, c)| !c.is_whitespace())
            .map(|(i, c)| {
                let x0 = x + 5.0 * i as f64;
                PlacedGlyph {
                    text: c.to_string(),
                    bbox_pt: [x0, baseline - 8.0, x0 + 5.0, baseline + 2.0],
                    baseline_pt: baseline,
                    em_pt: 10.0,
                    horizontal: true,
                    run,
                }
            })
            .collect()
    }

    fn texts(lines: &[LaidLine]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn spaces_come_from_gaps_and_wide_gaps_become_tabs() {
        let mut glyphs = word("Job No.: 12345", 72.0, 100.0, 0);
        // A value in a column 20 em to the right, on a baseline a hair lower.
        glyphs.extend(word("Rev F2", 300.0, 100.4, 1));
        // The next row, given first in the content stream.
        glyphs.splice(0..0, word("Part PCA-1555-01", 72.0, 114.0, 2));
        let lines = lines(&glyphs);
        assert_eq!(
            texts(&lines),
            ["Job No.: 12345\tRev F2", "Part PCA-1555-01"]
        );
        assert_eq!(lines[0].bbox_pt[0], 72.0);
        assert_eq!(lines[0].bbox_pt[2], 300.0 + 5.0 * 6.0);
        assert_eq!(lines[1].bbox_pt[1], 106.0);
    }

    #[test]
    fn right_to_left_content_order_still_reads_left_to_right() {
        let mut glyphs = word("12345", 100.0, 50.0, 1);
        glyphs.extend(word("Job", 80.0, 50.0, 0));
        assert_eq!(texts(&lines(&glyphs)), ["Job 12345"]);
    }

    #[test]
    fn overprinted_glyphs_are_read_once() {
        let mut glyphs = word("FLIGHT", 10.0, 20.0, 0);
        let mut shadow = word("FLIGHT", 10.3, 20.0, 1);
        glyphs.append(&mut shadow);
        assert_eq!(texts(&lines(&glyphs)), ["FLIGHT"]);
    }

    #[test]
    fn vertical_text_keeps_its_runs() {
        let mut glyphs = word("Title", 10.0, 20.0, 0);
        for (i, c) in "EDU".chars().enumerate() {
            let y = 300.0 - 6.0 * i as f64;
            glyphs.push(PlacedGlyph {
                text: c.to_string(),
                bbox_pt: [500.0, y - 6.0, 510.0, y],
                baseline_pt: y,
                em_pt: 10.0,
                horizontal: false,
                run: 7,
            });
        }
        let lines = lines(&glyphs);
        assert_eq!(texts(&lines), ["Title", "EDU"]);
        assert_eq!(lines[1].bbox_pt, [500.0, 282.0, 510.0, 300.0]);
    }
}
