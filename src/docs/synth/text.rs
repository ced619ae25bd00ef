//! Text as ink coverage: measuring and rasterising a line with ab_glyph into a float coverage
//! mask, sized either by cap height in pixels (labels) or by em size in points at a resolution
//! (scanned pages, so they match the PDF's layout). Colour and compositing are the caller's.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

/// Ink coverage in [0, 1] per pixel.
pub(super) struct Coverage {
    pub width: u32,
    pub height: u32,
    data: Vec<f32>,
}

impl Coverage {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            data: vec![0.0; width as usize * height as usize],
        }
    }

    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.data[y as usize * self.width as usize + x as usize]
    }

    /// Adds ink; overlapping glyph edges saturate rather than sum past full.
    pub fn add(&mut self, x: i64, y: i64, value: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let cell = &mut self.data[y as usize * self.width as usize + x as usize];
        *cell = (*cell + value).min(1.0);
    }
}

/// The scale at which capital H of `font` is `cap_px` pixels tall.
pub(super) fn scale_for_cap(font: &FontRef<'_>, cap_px: f32) -> PxScale {
    let cap_units = font
        .outline(font.glyph_id('H'))
        .map(|outline| outline.bounds.height())
        .filter(|height| *height > 0.0)
        .unwrap_or(font.units_per_em().unwrap_or(1000.0) * 0.7);
    PxScale::from(cap_px * font.height_unscaled() / cap_units)
}

/// The scale at which the font's em is `em_px` pixels, as PDF font sizes are.
pub(super) fn scale_for_em(font: &FontRef<'_>, em_px: f32) -> PxScale {
    let em_units = font.units_per_em().unwrap_or(1000.0);
    PxScale::from(em_px * font.height_unscaled() / em_units)
}

/// The advance width of `text`, with kerning when `kern` (labels) and without (PDF text,
/// whose `Tj` does not kern).
pub(super) fn width_px(font: &FontRef<'_>, scale: PxScale, text: &str, kern: bool) -> f32 {
    let scaled = font.as_scaled(scale);
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let (true, Some(before)) = (kern, previous) {
            width += scaled.kern(before, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// Draws `text` with its baseline at `baseline_px` from `x_px` into `coverage`; returns the
/// pen's end.
pub(super) fn draw(
    coverage: &mut Coverage,
    font: &FontRef<'_>,
    scale: PxScale,
    x_px: f32,
    baseline_px: f32,
    text: &str,
    kern: bool,
) -> f32 {
    draw_with(
        font,
        scale,
        x_px,
        baseline_px,
        text,
        kern,
        &mut |x, y, value| {
            coverage.add(x, y, value);
        },
    )
}

/// Draws `text` handing each pixel's coverage to `plot(x, y, coverage)`, so a caller can ink a
/// large page without a page-sized mask per line.
pub(super) fn draw_with(
    font: &FontRef<'_>,
    scale: PxScale,
    x_px: f32,
    baseline_px: f32,
    text: &str,
    kern: bool,
    plot: &mut impl FnMut(i64, i64, f32),
) -> f32 {
    let scaled = font.as_scaled(scale);
    let mut x = x_px;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let (true, Some(before)) = (kern, previous) {
            x += scaled.kern(before, id);
        }
        let glyph = id.with_scale_and_position(scale, point(x, baseline_px));
        if let Some(outlined) = font.outline_glyph(glyph) {
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, value| {
                plot(
                    bounds.min.x as i64 + i64::from(gx),
                    bounds.min.y as i64 + i64::from(gy),
                    value,
                );
            });
        }
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::super::fonts::Face;
    use super::*;

    /// Rows that hold ink, top and bottom.
    fn ink_rows(coverage: &Coverage) -> (u32, u32) {
        let rows: Vec<u32> = (0..coverage.height)
            .filter(|y| (0..coverage.width).any(|x| coverage.at(x, *y) > 0.5))
            .collect();
        (rows[0], rows[rows.len() - 1])
    }

    #[test]
    fn cap_height_scaling_gives_the_asked_height_in_every_face() {
        for face in [Face::Hack, Face::UbuntuLight, Face::DejaVuSansCondensedBold] {
            let font = face.load().unwrap();
            let scale = scale_for_cap(&font, 30.0);
            let mut coverage = Coverage::new(300, 80);
            draw(&mut coverage, &font, scale, 5.0, 60.0, "HEN", true);
            let (top, bottom) = ink_rows(&coverage);
            let height = bottom - top + 1;
            assert!((29..=31).contains(&height), "{}: {height}", face.as_str());
            assert_eq!(bottom, 59, "{}: sits on the baseline", face.as_str());
        }
    }

    #[test]
    fn em_scaling_matches_pdf_widths() {
        // Helvetica's advance for "H" is 722/1000 em; Liberation Sans is metric-compatible.
        let font = Face::LiberationSans.load().unwrap();
        let width = width_px(&font, scale_for_em(&font, 100.0), "HHHH", false);
        assert!((width - 288.8).abs() < 0.5, "{width}");
    }
}
