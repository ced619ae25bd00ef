//! The traveler as a scanned paper copy: each page's operations rasterised at 200 dpi (Liberation
//! Sans for Helvetica, Hack for Courier), then toner and paper tone, a slight skew and offset on
//! the glass, blur, noise and dust, stored as grey JPEG pages with no text layer. It must not
//! lay anything out: the page content is `traveler`'s.

use ab_glyph::FontRef;
use image::{GrayImage, Luma};
use imageproc::geometric_transformations::{Interpolation, Projection, warp};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::SynthError;
use super::fonts::Face;
use super::optics::{blur_gray, gray_noise, jpeg_gray};
use super::pdf::{ScannedPage, image_pdf};
use super::script::TravelerView;
use super::text::{draw_with, scale_for_em};
use super::traveler::{Op, PAGE_HEIGHT_PT, PAGE_WIDTH_PT, Page, PdfFont};

pub(super) const SCAN_DPI: f32 = 200.0;

struct ScanFonts {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    mono: FontRef<'static>,
}

impl ScanFonts {
    fn load() -> Result<Self, SynthError> {
        Ok(Self {
            regular: Face::LiberationSans.load()?,
            bold: Face::LiberationSansBold.load()?,
            mono: Face::Hack.load()?,
        })
    }

    fn face(&self, font: PdfFont) -> &FontRef<'static> {
        match font {
            PdfFont::Helvetica => &self.regular,
            PdfFont::HelveticaBold => &self.bold,
            PdfFont::Courier => &self.mono,
        }
    }
}

/// A page as a float grey buffer, 1.0 white.
struct Raster {
    width: u32,
    height: u32,
    value: Vec<f32>,
}

impl Raster {
    /// Lays `gray` over the pixel with `coverage`.
    fn ink(&mut self, x: i64, y: i64, coverage: f32, gray: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let cell = &mut self.value[y as usize * self.width as usize + x as usize];
        *cell += (gray - *cell) * coverage.clamp(0.0, 1.0);
    }
}

/// The page drawn cleanly at `dpi`, white paper and black ink.
fn rasterize(page: &Page, dpi: f32, fonts: &ScanFonts) -> GrayImage {
    let px_per_pt = dpi / 72.0;
    let (width, height) = (
        (PAGE_WIDTH_PT * px_per_pt).round() as u32,
        (PAGE_HEIGHT_PT * px_per_pt).round() as u32,
    );
    let mut raster = Raster {
        width,
        height,
        value: vec![1.0; width as usize * height as usize],
    };
    for op in &page.ops {
        match op {
            Op::Text {
                x_pt,
                baseline_pt,
                size_pt,
                font,
                gray,
                text,
            } => {
                let face = fonts.face(*font);
                let scale = scale_for_em(face, size_pt * px_per_pt);
                draw_with(
                    face,
                    scale,
                    x_pt * px_per_pt,
                    baseline_pt * px_per_pt,
                    text,
                    false,
                    &mut |x, y, coverage| raster.ink(x, y, coverage, *gray),
                );
            }
            Op::Fill {
                x_pt,
                y_pt,
                width_pt,
                height_pt,
                gray,
            } => {
                let (x0, y0) = (x_pt * px_per_pt, y_pt * px_per_pt);
                // A rule thinner than a pixel still prints as a faint pixel-wide line.
                let x1 = (x0 + width_pt * px_per_pt).max(x0 + 1.0);
                let y1 = (y0 + height_pt * px_per_pt).max(y0 + 1.0);
                for y in y0.floor() as i64..y1.ceil() as i64 {
                    let cover_y = (y1.min(y as f32 + 1.0) - y0.max(y as f32)).clamp(0.0, 1.0);
                    for x in x0.floor() as i64..x1.ceil() as i64 {
                        let cover_x = (x1.min(x as f32 + 1.0) - x0.max(x as f32)).clamp(0.0, 1.0);
                        raster.ink(x, y, cover_x * cover_y, *gray);
                    }
                }
            }
        }
    }
    GrayImage::from_fn(width, height, |x, y| {
        let value = raster.value[y as usize * width as usize + x as usize];
        Luma([(value * 255.0).round().clamp(0.0, 255.0) as u8])
    })
}

/// The clean page as the scanner sees it: toner not quite black, paper not quite white, the
/// sheet a little skewed and shifted, optics blur, noise and a few dust specks.
fn scanner(clean: &GrayImage, rng: &mut SmallRng) -> GrayImage {
    let (w, h) = clean.dimensions();
    let paper = rng.gen_range(228.0..246.0_f32);
    let toner = rng.gen_range(18.0..45.0_f32);
    let mut toned = GrayImage::from_fn(w, h, |x, y| {
        let white = f32::from(clean.get_pixel(x, y).0[0]) / 255.0;
        Luma([(toner + (paper - toner) * white).round() as u8])
    });
    let angle = rng.gen_range(-0.9_f32..0.9).to_radians();
    let shift = (
        rng.gen_range(-12.0..12.0_f32),
        rng.gen_range(-10.0..14.0_f32),
    );
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let transform = Projection::translate(cx + shift.0, cy + shift.1)
        * Projection::rotate(angle)
        * Projection::translate(-cx, -cy);
    // Beyond the sheet is the scanner lid, a shade darker than the paper.
    toned = warp(
        &toned,
        &transform,
        Interpolation::Bilinear,
        Luma([(paper - 14.0) as u8]),
    );
    for _ in 0..rng.gen_range(6..30) {
        let (x, y) = (rng.gen_range(0..w), rng.gen_range(0..h));
        let radius = rng.gen_range(0.6..2.2_f32);
        let r = radius.ceil() as i64;
        for dy in -r..=r {
            for dx in -r..=r {
                let (px, py) = (i64::from(x) + dx, i64::from(y) + dy);
                if (dx * dx + dy * dy) as f32 <= radius * radius
                    && px >= 0
                    && py >= 0
                    && px < i64::from(w)
                    && py < i64::from(h)
                {
                    toned.put_pixel(px as u32, py as u32, Luma([toner as u8 + 30]));
                }
            }
        }
    }
    let mut blurred = blur_gray(&toned, rng.gen_range(0.45..0.8));
    let sigma = rng.gen_range(2.0..4.5);
    gray_noise(&mut blurred, rng, sigma);
    blurred
}

/// The traveler as a scanned PDF.
pub(super) fn scanned_pdf(pages: &[Page], view: &TravelerView) -> Result<Vec<u8>, SynthError> {
    let fonts = ScanFonts::load()?;
    let mut rng = SmallRng::seed_from_u64(view.seed ^ 0x5ca1_ab1e);
    let quality = rng.gen_range(62..=82);
    let mut scanned = Vec::new();
    for page in pages {
        let image = scanner(&rasterize(page, SCAN_DPI, &fonts), &mut rng);
        scanned.push(ScannedPage {
            jpeg: jpeg_gray(&image, quality)?,
            width_px: image.width(),
            height_px: image.height(),
        });
    }
    Ok(image_pdf(&scanned, view))
}

#[cfg(test)]
mod tests {
    use super::super::traveler::layout;
    use super::*;

    #[test]
    fn a_rasterised_page_has_its_text_and_rules_in_place() {
        let view = super::super::tests::traveler_view();
        let pages = layout(&view).unwrap();
        let fonts = ScanFonts::load().unwrap();
        let image = rasterize(&pages[0], 100.0, &fonts);
        assert_eq!(image.dimensions(), (850, 1100));
        // The heavy rule under the header, 73 pt down: a dark row across the page.
        let row = (73.0 * 100.0 / 72.0) as u32;
        let dark = (60..790)
            .filter(|x| image.get_pixel(*x, row).0[0] < 100)
            .count();
        assert!(dark > 700, "{dark}");
        // Some ink, mostly paper.
        let inked = image.pixels().filter(|p| p.0[0] < 128).count();
        let share = inked as f32 / (850.0 * 1100.0);
        assert!((0.01..0.15).contains(&share), "{share}");
    }

    #[test]
    fn the_scanned_pdf_has_images_and_no_text() {
        let mut view = super::super::tests::traveler_view();
        view.scanned = true;
        let pages = layout(&view).unwrap();
        let bytes = scanned_pdf(&pages, &view).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.matches("/DCTDecode").count(), 2);
        assert!(!text.contains(" Tj"));
        assert!(!text.contains("INF-1619"));
        assert_eq!(bytes, scanned_pdf(&pages, &view).unwrap(), "deterministic");
    }
}
