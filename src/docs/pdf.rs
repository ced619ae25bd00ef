//! PDF travelers through hayro (pure Rust): the text of every page with its position, read from
//! the content stream (ToUnicode maps and glyph names give the characters, the glyph transforms
//! the places), grouped into lines by `layout.rs`. A page with (almost) no text that shows an
//! image or drawn outlines, or whose text has no Unicode mapping, is a *scanned page*: it is
//! rendered at 200 dpi (fewer for very large pages) for the OCR. Encrypted files are
//! `Encrypted`, unreadable ones `Corrupt`, too many pages `TooLarge`.
//!
//! Runs no OCR and no thread; callers run it inside the panic boundary.

use hayro::hayro_interpret::font::{Glyph, GlyphRun};
use hayro::hayro_interpret::hayro_cmap::BfString;
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageDrawProps,
    InterpreterCache, InterpreterSettings, SoftMask, interpret_page,
};
use hayro::hayro_syntax::page::Page;
use hayro::hayro_syntax::{DecryptionError, LoadPdfError, Pdf};
use hayro::kurbo::{Affine, BezPath, Point, Rect};
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings};
use image::RgbImage;

use crate::domain::crosscheck::{Location, Provenance, TextLine};

use super::Limits;
use super::error::DocError;
use super::layout::{self, PlacedGlyph};

/// A page that carries its text as pixels, rendered for the OCR.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedPage {
    /// 1-based page number.
    pub page: u32,
    /// The page as rendered, white background, top-left origin like `Location::Page`.
    pub image: RgbImage,
    /// Pixels per page point: a box in the image divided by this is a box in page points.
    pub px_per_pt: f32,
}

/// What the PDF gave.
#[derive(Debug, Default)]
pub(super) struct PdfContent {
    pub lines: Vec<TextLine>,
    pub scanned_pages: Vec<ScannedPage>,
    pub page_count: u32,
}

/// Resolution scanned pages are rendered at: enough for 8 pt text to reach the OCR with
/// strokes a few pixels wide.
pub const SCAN_RENDER_DPI: f32 = 200.0;
/// Longest side of a rendered page in pixels (the renderer's limit is 65 535).
const MAX_RENDER_SIDE_PX: f32 = 8000.0;
/// A page with fewer readable characters than this has no text layer worth the name.
const MIN_TEXT_CHARS: usize = 10;
/// Images covering at least this fraction of the page make a text-less page a scan.
const MIN_IMAGE_COVER: f64 = 0.1;
/// This many drawn paths on a text-less page are likely text converted to outlines.
const MIN_OUTLINE_PATHS: usize = 50;
/// Where a glyph's box reaches above and below its baseline, in ems (the base-14 fonts' ascent
/// and descent, rounded out).
const ASCENT_EM: f64 = 0.8;
const DESCENT_EM: f64 = 0.2;
/// Glyph space is 1000 units per em.
const UNITS_PER_EM: f64 = 1000.0;
/// Advance assumed when a font does not give one.
const FALLBACK_ADVANCE_UNITS: f64 = 500.0;

/// The text and scanned pages of a PDF held in `bytes`.
pub(super) fn read(bytes: Vec<u8>, file: &str, limits: &Limits) -> Result<PdfContent, DocError> {
    let mentions_encrypt = bytes.windows(8).any(|w| w == b"/Encrypt");
    let pdf = Pdf::new(bytes).map_err(|e| load_error(e, mentions_encrypt, file))?;
    let pages = pdf.pages();
    let page_count = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    if page_count == 0 {
        return Err(DocError::Empty {
            file: file.to_owned(),
            what: "the PDF has no pages".to_owned(),
        });
    }
    if page_count > limits.max_pages {
        return Err(DocError::TooLarge {
            file: file.to_owned(),
            what: format!(
                "it has {page_count} page(s), over the limit of {}",
                limits.max_pages
            ),
        });
    }

    let settings = InterpreterSettings::default();
    let interpreter_cache = InterpreterCache::new();
    let render_cache = RenderCache::new();
    let mut content = PdfContent {
        page_count,
        ..PdfContent::default()
    };
    for (index, page) in pages.iter().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let (width_pt, height_pt) = page.render_dimensions();
        let mut collector = PageCollector::new(f64::from(width_pt), f64::from(height_pt));
        let mut context = Context::new(
            page.initial_transform(true).to_kurbo(),
            Rect::new(0.0, 0.0, f64::from(width_pt), f64::from(height_pt)),
            &interpreter_cache,
            page.xref(),
            settings.clone(),
        );
        interpret_page(page, &mut context, &mut collector);

        for line in layout::lines(&collector.glyphs) {
            content.lines.push(TextLine {
                text: line.text,
                confidence: 1.0,
                provenance: Provenance {
                    file: file.to_owned(),
                    at: Location::Page {
                        page: number,
                        bbox_pt: line.bbox_pt,
                    },
                },
            });
        }
        if collector.needs_ocr() {
            content.scanned_pages.push(render_page(
                page,
                number,
                &render_cache,
                &settings,
                limits.max_scan_pixels,
            ));
        }
    }
    if content.lines.is_empty() && content.scanned_pages.is_empty() {
        return Err(DocError::Empty {
            file: file.to_owned(),
            what: format!("no text and no scanned image on its {page_count} page(s)"),
        });
    }
    Ok(content)
}

fn load_error(error: LoadPdfError, mentions_encrypt: bool, file: &str) -> DocError {
    let encrypted = |detail: &str| DocError::Encrypted {
        file: file.to_owned(),
        detail: detail.to_owned(),
    };
    match error {
        LoadPdfError::Decryption(DecryptionError::PasswordProtected) => {
            encrypted("a password is needed to open it")
        }
        LoadPdfError::Decryption(DecryptionError::UnsupportedAlgorithm) => {
            encrypted("it is encrypted with a method this station cannot open")
        }
        LoadPdfError::Decryption(
            DecryptionError::InvalidEncryption | DecryptionError::MissingIDEntry,
        ) => encrypted("it is encrypted and its encryption settings are damaged"),
        LoadPdfError::Invalid if mentions_encrypt => {
            encrypted("it is encrypted and could not be opened")
        }
        LoadPdfError::Invalid => DocError::Corrupt {
            file: file.to_owned(),
            what: "its structure (cross-reference table, trailer or page tree) could not be \
                   read; the file may be truncated"
                .to_owned(),
        },
    }
}

/// Pixels per point a page of `width_pt × height_pt` is rendered at for the OCR:
/// `SCAN_RENDER_DPI`, less when the page would exceed `max_pixels` or the renderer's side limit.
pub fn scan_px_per_pt(width_pt: f32, height_pt: f32, max_pixels: u64) -> f32 {
    let mut scale = SCAN_RENDER_DPI / 72.0;
    let pixels = f64::from(width_pt * scale) * f64::from(height_pt * scale);
    if pixels > max_pixels as f64 {
        scale *= (max_pixels as f64 / pixels).sqrt() as f32;
    }
    scale.min(MAX_RENDER_SIDE_PX / width_pt.max(height_pt).max(1.0))
}

/// Renders one page on white for the OCR at `SCAN_RENDER_DPI`, scaled down when the page
/// would exceed `max_pixels` or the renderer's side limit.
fn render_page<'a>(
    page: &'a Page<'a>,
    number: u32,
    cache: &RenderCache<'a>,
    settings: &InterpreterSettings,
    max_pixels: u64,
) -> ScannedPage {
    let (width_pt, height_pt) = page.render_dimensions();
    let mut scale = scan_px_per_pt(width_pt, height_pt, max_pixels);
    // The renderer truncates page size × scale to whole pixels: nudge the scale up so an exact
    // product (360 pt at 200 dpi is 1000 px) does not lose a pixel to rounding.
    scale *= 1.0 + 1e-5;
    let pixmap = hayro::render(
        page,
        cache,
        settings,
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (width_px, height_px) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    let rgba = pixmap.data_as_u8_slice();
    // Premultiplied RGBA over an opaque white background: alpha is 255 everywhere, but lay
    // any remaining transparency over white rather than trust it.
    let image = RgbImage::from_fn(width_px, height_px, |x, y| {
        let at = ((y * width_px + x) * 4) as usize;
        let alpha = rgba.get(at + 3).copied().unwrap_or(255);
        let channel = |i: usize| {
            let premultiplied = rgba.get(at + i).copied().unwrap_or(255);
            premultiplied.saturating_add(255 - alpha)
        };
        image::Rgb([channel(0), channel(1), channel(2)])
    });
    ScannedPage {
        page: number,
        image,
        px_per_pt: width_px as f32 / width_pt.max(1.0),
    }
}

/// A `Device` that keeps the glyphs and notes what else the page shows (images and paths),
/// drawing nothing.
struct PageCollector {
    page: Rect,
    glyphs: Vec<PlacedGlyph>,
    /// Glyphs whose font gives no Unicode for them.
    unmapped: usize,
    image_cover_pt2: f64,
    paths: usize,
    runs: u32,
}

impl PageCollector {
    fn new(width_pt: f64, height_pt: f64) -> Self {
        Self {
            page: Rect::new(0.0, 0.0, width_pt, height_pt),
            glyphs: Vec::new(),
            unmapped: 0,
            image_cover_pt2: 0.0,
            paths: 0,
            runs: 0,
        }
    }

    /// Whether the page's text has to be read from its pixels.
    fn needs_ocr(&self) -> bool {
        let readable = self.glyphs.len();
        let page_area = self.page.area().max(1.0);
        let scanned = readable < MIN_TEXT_CHARS
            && (self.image_cover_pt2 >= MIN_IMAGE_COVER * page_area
                || self.paths >= MIN_OUTLINE_PATHS);
        let unmapped_text = self.unmapped >= MIN_TEXT_CHARS && self.unmapped > readable;
        scanned || unmapped_text
    }

    fn place(&mut self, text: String, to_page: Affine, advance_units: f64) {
        let origin = to_page * Point::ZERO;
        let up = to_page * Point::new(0.0, UNITS_PER_EM) - origin;
        let along = to_page * Point::new(UNITS_PER_EM, 0.0) - origin;
        let em_pt = up.length();
        // Text of no size, or set outside the page, is not what the operator reads.
        if em_pt < 0.1 || !self.page.inflate(em_pt, em_pt).contains(origin) {
            return;
        }
        let corners = [
            Point::new(0.0, -DESCENT_EM * UNITS_PER_EM),
            Point::new(0.0, ASCENT_EM * UNITS_PER_EM),
            Point::new(advance_units, -DESCENT_EM * UNITS_PER_EM),
            Point::new(advance_units, ASCENT_EM * UNITS_PER_EM),
        ]
        .map(|corner| to_page * corner);
        let bbox_pt = corners.iter().skip(1).fold(
            [corners[0].x, corners[0].y, corners[0].x, corners[0].y],
            |b, p| [b[0].min(p.x), b[1].min(p.y), b[2].max(p.x), b[3].max(p.y)],
        );
        // Upright, left to right (page y grows downwards, so "up" points to negative y).
        let horizontal = along.x > 0.0 && along.y.abs() <= 0.05 * along.x && up.y < 0.0;
        self.glyphs.push(PlacedGlyph {
            text,
            bbox_pt,
            baseline_pt: origin.y,
            em_pt,
            horizontal,
            run: self.runs,
        });
    }
}

/// The characters a glyph stands for, with ligatures spelled out; `None` for no mapping or a
/// mapping to control characters only.
fn glyph_text(unicode: BfString) -> Option<String> {
    let text = match unicode {
        BfString::Char(c) => c.to_string(),
        BfString::String(s) => s,
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    (!out.is_empty()).then_some(out)
}

impl<'a> Device<'a> for PageCollector {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {
        self.paths += 1;
    }

    fn push_clip_path(&mut self, _: &ClipPath) {}

    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}

    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, _: &DrawMode) {
        // Invisible text is kept: it is how scanners lay their own OCR over a scanned page.
        self.runs += 1;
        for glyph in run.glyphs() {
            let Some(text) = glyph.as_unicode().and_then(glyph_text) else {
                self.unmapped += 1;
                continue;
            };
            if text.chars().all(char::is_whitespace) {
                // Spaces are read from the gaps between glyphs (layout.rs).
                continue;
            }
            let advance = match &**glyph {
                Glyph::Outline(outline) => outline.advance_width(),
                Glyph::Type3(type3) => type3.advance_width(),
            }
            .map(f64::from)
            .filter(|w| w.is_finite() && *w >= 0.0)
            .unwrap_or(FALLBACK_ADVANCE_UNITS);
            self.place(text, props.transform * glyph.transform(), advance);
        }
    }

    fn draw_image(&mut self, image: Image<'a, '_>, props: ImageDrawProps<'a>) {
        let local = Rect::new(
            0.0,
            0.0,
            f64::from(image.width()),
            f64::from(image.height()),
        );
        let on_page = props
            .transform
            .transform_rect_bbox(local)
            .intersect(self.page);
        self.image_cover_pt2 += on_page.area().max(0.0);
    }

    fn pop_clip(&mut self) {}

    fn pop_transparency_group(&mut self) {}
}

#[cfg(test)]
pub(super) mod tests {
    use pdf_writer::{Content, Finish, Name, Pdf as PdfWriter, Rect as PdfRect, Ref, Str};

    use super::*;

    #[test]
    fn scanned_pages_render_at_200_dpi_unless_over_the_pixel_limit() {
        // Letter at 200 dpi is 3.7 megapixels: under the limit, so 200 dpi.
        assert!((scan_px_per_pt(612.0, 792.0, 12_000_000) - 200.0 / 72.0).abs() < 1e-4);
        // A 40 × 40 inch page would be 64 megapixels: scaled to the 12 megapixel limit.
        let expected = (12_000_000.0f32).sqrt() / 2880.0;
        assert!((scan_px_per_pt(2880.0, 2880.0, 12_000_000) - expected).abs() < 1e-4);
    }

    /// A one-page PDF (`width_pt`×`height_pt`) with Helvetica text: `(x, y, size, text)` with
    /// y from the bottom as PDF has it.
    pub(in crate::docs) fn text_pdf(
        width_pt: f32,
        height_pt: f32,
        texts: &[(f32, f32, f32, &str)],
    ) -> Vec<u8> {
        let mut content = Content::new();
        for (x, y, size, text) in texts {
            content
                .begin_text()
                .set_font(Name(b"F1"), *size)
                .next_line(*x, *y)
                .show(Str(text.as_bytes()))
                .end_text();
        }
        one_page_pdf(width_pt, height_pt, &content.finish(), None)
    }

    /// A one-page PDF whose page is one grey image (`pixels`, row-major, top row first) drawn
    /// over the whole page.
    pub(in crate::docs) fn image_pdf(
        width_pt: f32,
        height_pt: f32,
        pixels: &image::GrayImage,
    ) -> Vec<u8> {
        let mut content = Content::new();
        content
            .save_state()
            .transform([width_pt, 0.0, 0.0, height_pt, 0.0, 0.0])
            .x_object(Name(b"Im1"))
            .restore_state();
        one_page_pdf(width_pt, height_pt, &content.finish(), Some(pixels))
    }

    fn one_page_pdf(
        width_pt: f32,
        height_pt: f32,
        content: &[u8],
        image: Option<&image::GrayImage>,
    ) -> Vec<u8> {
        let (catalog, tree, page_id, font, contents, image_id) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
            Ref::new(6),
        );
        let mut pdf = PdfWriter::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids([page_id]).count(1);
        let mut page = pdf.page(page_id);
        page.media_box(PdfRect::new(0.0, 0.0, width_pt, height_pt))
            .parent(tree)
            .contents(contents);
        let mut resources = page.resources();
        resources.fonts().pair(Name(b"F1"), font);
        if image.is_some() {
            resources.x_objects().pair(Name(b"Im1"), image_id);
        }
        resources.finish();
        page.finish();
        pdf.type1_font(font).base_font(Name(b"Helvetica"));
        pdf.stream(contents, content);
        if let Some(image) = image {
            let mut xobject = pdf.image_xobject(image_id, image.as_raw());
            xobject.width(image.width() as i32);
            xobject.height(image.height() as i32);
            xobject.color_space().device_gray();
            xobject.bits_per_component(8);
            xobject.finish();
        }
        pdf.finish()
    }

    fn page_box(line: &TextLine) -> (u32, [f32; 4]) {
        match line.provenance.at {
            Location::Page { page, bbox_pt } => (page, bbox_pt),
            ref other => panic!("not a page location: {other:?}"),
        }
    }

    fn near(a: f32, b: f32, tolerance: f32) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn text_comes_back_in_lines_with_boxes_in_points_from_the_top() {
        let bytes = text_pdf(
            612.0,
            792.0,
            &[
                (72.0, 700.0, 12.0, "Job No.: 12345"),
                (300.0, 700.0, 12.0, "FLIGHT UNIT"),
                (72.0, 680.0, 12.0, "Part Number PCA-1555-01"),
                (72.0, 660.0, 10.0, "Rev F2"),
            ],
        );
        let content = read(bytes, "traveler.pdf", &Limits::default()).unwrap();
        assert_eq!(content.page_count, 1);
        assert!(content.scanned_pages.is_empty());
        let texts: Vec<_> = content.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Job No.: 12345\tFLIGHT UNIT",
                "Part Number PCA-1555-01",
                "Rev F2"
            ]
        );
        for line in &content.lines {
            assert_eq!(line.confidence, 1.0);
            assert_eq!(line.provenance.file, "traveler.pdf");
        }
        let (page, bbox) = page_box(&content.lines[0]);
        assert_eq!(page, 1);
        // Baseline 700 from the bottom of a 792 pt page is 92 pt from the top; the box reaches
        // 0.8 em above and 0.2 em below it.
        assert!(near(bbox[0], 72.0, 0.01), "{bbox:?}");
        assert!(near(bbox[1], 92.0 - 9.6, 0.01), "{bbox:?}");
        assert!(near(bbox[3], 92.0 + 2.4, 0.01), "{bbox:?}");
        // The row ends where the right column does: Helvetica's advances for "FLIGHT UNIT" add
        // up to 6.167 em from x = 300.
        assert!(near(bbox[2], 300.0 + 6.167 * 12.0, 0.01), "{bbox:?}");
        let (_, part) = page_box(&content.lines[1]);
        // "Part Number PCA-1555-01": 12.004 em.
        assert!(near(part[2], 72.0 + 12.004 * 12.0, 0.01), "{part:?}");
        let (_, rev) = page_box(&content.lines[2]);
        assert!(near(rev[1], 132.0 - 8.0, 0.01), "{rev:?}");
    }

    #[test]
    fn an_image_only_page_is_rendered_for_the_ocr() {
        // 100×50 px grey image: white with a black block in the left half of the top half.
        let mut pixels = image::GrayImage::from_pixel(100, 50, image::Luma([255]));
        for y in 0..25 {
            for x in 0..50 {
                pixels.put_pixel(x, y, image::Luma([0]));
            }
        }
        let bytes = image_pdf(360.0, 180.0, &pixels);
        let content = read(bytes, "scan.pdf", &Limits::default()).unwrap();
        assert!(content.lines.is_empty());
        assert_eq!(content.scanned_pages.len(), 1);
        let scanned = &content.scanned_pages[0];
        assert_eq!(scanned.page, 1);
        // 360 pt × 180 pt at 200 dpi.
        assert_eq!(scanned.image.dimensions(), (1000, 500));
        assert!(near(scanned.px_per_pt, 200.0 / 72.0, 0.01));
        let grey = |x: u32, y: u32| scanned.image.get_pixel(x, y).0[0];
        assert!(grey(250, 125) < 40, "inside the block: {}", grey(250, 125));
        assert!(
            grey(750, 125) > 215,
            "right of the block: {}",
            grey(750, 125)
        );
        assert!(grey(250, 375) > 215, "below the block: {}", grey(250, 375));
    }

    #[test]
    fn the_scan_resolution_drops_to_stay_under_the_pixel_cap() {
        let pixels = image::GrayImage::from_pixel(10, 10, image::Luma([0]));
        let limits = Limits {
            max_scan_pixels: 100_000,
            ..Limits::default()
        };
        let content = read(image_pdf(720.0, 720.0, &pixels), "big.pdf", &limits).unwrap();
        let scanned = &content.scanned_pages[0];
        let (w, h) = scanned.image.dimensions();
        assert!(u64::from(w) * u64::from(h) <= 100_000, "{w}×{h}");
        assert!(w >= 310, "{w}");
        assert!(near(scanned.px_per_pt, w as f32 / 720.0, 1e-4));
    }

    #[test]
    fn a_truncated_pdf_is_corrupt_and_never_panics() {
        let bytes = text_pdf(612.0, 792.0, &[(72.0, 700.0, 12.0, "Job 12345")]);
        let error = read(bytes[..20].to_vec(), "cut.pdf", &Limits::default()).unwrap_err();
        assert!(
            matches!(error, DocError::Corrupt { ref file, .. } if file == "cut.pdf"),
            "{error}"
        );
        // Cut anywhere: an answer either way, and no panic escapes (hayro may rebuild a
        // damaged cross-reference table from the objects it can still find).
        for cut in (0..bytes.len()).step_by(37) {
            let _ = read(bytes[..cut].to_vec(), "cut.pdf", &Limits::default());
        }
    }

    #[test]
    fn a_password_protected_pdf_is_encrypted() {
        let bytes = text_pdf(612.0, 792.0, &[(72.0, 700.0, 12.0, "Job 12345")]);
        // Standard security handler, revision 3, with a /U entry that no empty user password
        // produces: the reader cannot open it without the password.
        let encrypt = format!(
            "/Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <{}> /U <{}> >>\n\
             /ID [<0123456789ABCDEF0123456789ABCDEF> <0123456789ABCDEF0123456789ABCDEF>]\n",
            "AB".repeat(32),
            "CD".repeat(32)
        );
        let find = |needle: &[u8], from: usize| {
            bytes[from..]
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|i| i + from)
                .unwrap()
        };
        let open = find(b"<<", find(b"trailer", 0)) + 2;
        let mut locked = bytes[..open].to_vec();
        locked.extend_from_slice(b"\n");
        locked.extend_from_slice(encrypt.as_bytes());
        locked.extend_from_slice(&bytes[open..]);
        let error = read(locked, "locked.pdf", &Limits::default()).unwrap_err();
        assert_eq!(
            error,
            DocError::Encrypted {
                file: "locked.pdf".into(),
                detail: "a password is needed to open it".into()
            }
        );
        assert!(error.to_string().contains("remove the password"));
    }

    #[test]
    fn too_many_pages_and_blank_pages_fail() {
        let bytes = text_pdf(612.0, 792.0, &[(72.0, 700.0, 12.0, "Job 12345")]);
        let limits = Limits {
            max_pages: 0,
            ..Limits::default()
        };
        let error = read(bytes, "long.pdf", &limits).unwrap_err();
        assert_eq!(
            error,
            DocError::TooLarge {
                file: "long.pdf".into(),
                what: "it has 1 page(s), over the limit of 0".into()
            }
        );
        let blank = text_pdf(612.0, 792.0, &[]);
        let error = read(blank, "blank.pdf", &Limits::default()).unwrap_err();
        assert!(
            matches!(error, DocError::Empty { ref file, .. } if file == "blank.pdf"),
            "{error}"
        );
    }

    #[test]
    fn ligatures_and_controls_in_unicode_maps() {
        assert_eq!(
            glyph_text(BfString::Char('\u{FB01}')).as_deref(),
            Some("fi")
        );
        assert_eq!(glyph_text(BfString::Char('\0')), None);
        assert_eq!(
            glyph_text(BfString::String("A\u{1}".into())).as_deref(),
            Some("A")
        );
    }
}
