//! Writing the traveler as PDF with pdf-writer: a text PDF (base-14 Helvetica, Helvetica-Bold
//! and Courier, WinAnsi text, uncompressed content so the text can be found in the bytes), or
//! a scanned PDF (each page one JPEG image XObject, no text layer). No dates but the traveler's
//! own release date are written, so the same pack gives the same bytes.

use pdf_writer::{Content, Date, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::script::TravelerView;
use super::traveler::{Op, PAGE_HEIGHT_PT, PAGE_WIDTH_PT, Page, PdfFont};
use crate::report::win_ansi;

const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const INFO: Ref = Ref::new(3);
const FIRST_FONT: i32 = 4;
/// Page `i` uses ids `FIRST_PAGE + 3i` (page), `+1` (content), `+2` (image).
const FIRST_PAGE: i32 = 8;

fn page_ref(index: usize, offset: i32) -> Ref {
    Ref::new(FIRST_PAGE + 3 * index as i32 + offset)
}

fn font_name(font: PdfFont) -> Name<'static> {
    match font {
        PdfFont::Helvetica => Name(b"F1"),
        PdfFont::HelveticaBold => Name(b"F2"),
        PdfFont::Courier => Name(b"F3"),
    }
}

fn font_ref(font: PdfFont) -> Ref {
    let index = PdfFont::ALL.iter().position(|f| *f == font).unwrap_or(0);
    Ref::new(FIRST_FONT + index as i32)
}

fn creation_date(view: &TravelerView) -> Date {
    let (year, month, day) = view.released;
    Date::new(year)
        .month(month)
        .day(day)
        .hour(7)
        .minute(42)
        .second(0)
        .utc_offset_hour(0)
}

/// The catalog, the page tree and the document information shared by both kinds.
fn skeleton(pdf: &mut Pdf, page_count: usize, view: &TravelerView, creator: &str) {
    pdf.catalog(CATALOG).pages(PAGE_TREE);
    pdf.pages(PAGE_TREE)
        .kids((0..page_count).map(|index| page_ref(index, 0)))
        .count(page_count as i32);
    pdf.document_info(INFO)
        .title(TextStr(&format!("Production traveler {}", view.job_text)))
        .creator(TextStr(creator))
        .producer(TextStr("qcstation synth"))
        .creation_date(creation_date(view));
}

/// The traveler as a text PDF.
pub(super) fn text_pdf(pages: &[Page], view: &TravelerView) -> Vec<u8> {
    let mut pdf = Pdf::new();
    skeleton(&mut pdf, pages.len(), view, "ERP Traveler Print 4.2");
    for font in PdfFont::ALL {
        pdf.type1_font(font_ref(font))
            .base_font(Name(font.base_name().as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    for (index, page) in pages.iter().enumerate() {
        let mut writer = pdf.page(page_ref(index, 0));
        writer
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT))
            .parent(PAGE_TREE)
            .contents(page_ref(index, 1));
        let mut resources = writer.resources();
        let mut fonts = resources.fonts();
        for font in PdfFont::ALL {
            fonts.pair(font_name(font), font_ref(font));
        }
        fonts.finish();
        resources.finish();
        writer.finish();
        let content = content_stream(page);
        pdf.stream(page_ref(index, 1), &content);
    }
    pdf.finish()
}

fn content_stream(page: &Page) -> Vec<u8> {
    let mut content = Content::new();
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
                content.set_fill_gray(*gray);
                content.begin_text();
                content.set_font(font_name(*font), *size_pt);
                content.next_line(*x_pt, PAGE_HEIGHT_PT - baseline_pt);
                content.show(Str(&win_ansi(text)));
                content.end_text();
            }
            Op::Fill {
                x_pt,
                y_pt,
                width_pt,
                height_pt,
                gray,
            } => {
                content.set_fill_gray(*gray);
                content.rect(
                    *x_pt,
                    PAGE_HEIGHT_PT - y_pt - height_pt,
                    *width_pt,
                    *height_pt,
                );
                content.fill_nonzero();
            }
        }
    }
    content.finish().to_vec()
}

/// A scanned page: grey JPEG bytes and their size.
pub(super) struct ScannedPage {
    pub jpeg: Vec<u8>,
    pub width_px: u32,
    pub height_px: u32,
}

/// The traveler as a scanned PDF: each page one image filling the page, no text.
pub(super) fn image_pdf(pages: &[ScannedPage], view: &TravelerView) -> Vec<u8> {
    let mut pdf = Pdf::new();
    skeleton(&mut pdf, pages.len(), view, "KM-C458 Scan to PDF");
    for (index, page) in pages.iter().enumerate() {
        let mut writer = pdf.page(page_ref(index, 0));
        writer
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH_PT, PAGE_HEIGHT_PT))
            .parent(PAGE_TREE)
            .contents(page_ref(index, 1));
        writer
            .resources()
            .x_objects()
            .pair(Name(b"Im1"), page_ref(index, 2));
        writer.finish();
        let mut image = pdf.image_xobject(page_ref(index, 2), &page.jpeg);
        image.filter(Filter::DctDecode);
        image.width(page.width_px as i32);
        image.height(page.height_px as i32);
        image.color_space().device_gray();
        image.bits_per_component(8);
        image.finish();
        let mut content = Content::new();
        content.save_state();
        content.transform([PAGE_WIDTH_PT, 0.0, 0.0, PAGE_HEIGHT_PT, 0.0, 0.0]);
        content.x_object(Name(b"Im1"));
        content.restore_state();
        pdf.stream(page_ref(index, 1), &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::super::traveler::layout;
    use super::*;

    fn view() -> TravelerView {
        super::super::tests::traveler_view()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    #[test]
    fn the_text_pdf_shows_each_field_in_a_content_stream() {
        let view = view();
        let bytes = text_pdf(&layout(&view).unwrap(), &view);
        assert!(bytes.starts_with(b"%PDF-"));
        for needle in [
            &b"(INF-1619) Tj"[..],
            b"(VGN-12345-0001) Tj",
            b"(EDU - NOT FOR FLIGHT) Tj",
            b"/BaseFont /Helvetica-Bold",
            b"/Encoding /WinAnsiEncoding",
            b"/Count 2",
            b"(D:20240314074200Z)",
        ] {
            assert!(
                contains(&bytes, needle),
                "{}",
                String::from_utf8_lossy(needle)
            );
        }
    }

    #[test]
    fn the_same_view_gives_the_same_bytes() {
        let view = view();
        let pages = layout(&view).unwrap();
        assert_eq!(text_pdf(&pages, &view), text_pdf(&pages, &view));
    }
}
