//! Sheets: many codes on one page in a grid, each with its caption (the UID) centred under it,
//! as a PNG (captions drawn with the built-in Hack font) or as SVG (captions as `<text>`). Both
//! use the same layout, so a sheet prints the same either way. Paging a batch into sheets is
//! the caller's (`export`).

use std::fmt::Write as _;

use ab_glyph::{FontRef, PxScale};
use image::GrayImage;

use super::render::{DARK, LIGHT, check_module_px, draw_symbol, path_data, xml_escape};
use super::{QrError, QrSymbol};

/// Codes per row of a sheet.
pub const SHEET_COLUMNS: usize = 6;
/// Rows of codes per sheet; a batch larger than a sheet goes on several.
pub const SHEET_ROWS: usize = 8;

/// One code on a sheet and the text printed under it.
#[derive(Debug, Clone, Copy)]
pub struct SheetEntry<'a> {
    pub symbol: &'a QrSymbol,
    pub caption: &'a str,
}

fn font() -> Result<FontRef<'static>, QrError> {
    FontRef::try_from_slice(epaint_default_fonts::HACK_REGULAR)
        .map_err(|err| QrError::Invalid(format!("the built-in caption font: {err}")))
}

/// Where everything goes, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Layout {
    module_px: u32,
    columns: u32,
    rows: u32,
    /// Side of the largest code, quiet zone included.
    code_px: u32,
    cell_w_px: u32,
    cell_h_px: u32,
    caption_px: f32,
    /// Below the code, to the top of the caption.
    caption_gap_px: u32,
}

impl Layout {
    fn new(entries: &[SheetEntry<'_>], module_px: u32, font: &FontRef<'_>) -> Self {
        let code_px = entries
            .iter()
            .map(|entry| entry.symbol.side_modules() as u32 * module_px)
            .max()
            .unwrap_or(0);
        // Legible when printed, never dwarfing the code.
        let caption_px = (module_px as f32 * 3.0).clamp(12.0, 28.0);
        let caption_w_px = entries
            .iter()
            .map(|entry| {
                imageproc::drawing::text_size(PxScale::from(caption_px), font, entry.caption).0
            })
            .max()
            .unwrap_or(0);
        let columns = entries.len().clamp(1, SHEET_COLUMNS) as u32;
        let rows = entries.len().div_ceil(columns as usize).max(1) as u32;
        Self {
            module_px,
            columns,
            rows,
            code_px,
            cell_w_px: code_px.max(caption_w_px + 2 * caption_px as u32),
            cell_h_px: code_px + (caption_px * 2.0).ceil() as u32,
            caption_px,
            caption_gap_px: (caption_px * 0.2).ceil() as u32,
        }
    }

    fn size_px(&self) -> (u32, u32) {
        (self.columns * self.cell_w_px, self.rows * self.cell_h_px)
    }

    /// Top-left corner of entry `index`'s cell.
    fn cell(&self, index: usize) -> (u32, u32) {
        let index = index as u32;
        (
            (index % self.columns) * self.cell_w_px,
            (index / self.columns) * self.cell_h_px,
        )
    }

    /// Top-left corner of a code of `side_px` in its cell (centred horizontally).
    fn code_origin(&self, index: usize, side_px: u32) -> (u32, u32) {
        let (x, y) = self.cell(index);
        (
            x + (self.cell_w_px - side_px) / 2,
            y + (self.code_px - side_px) / 2,
        )
    }
}

fn check_entries(entries: &[SheetEntry<'_>], module_px: u32) -> Result<(), QrError> {
    check_module_px(module_px)?;
    if entries.is_empty() {
        return Err(QrError::Invalid(
            "a sheet needs at least one code".to_owned(),
        ));
    }
    Ok(())
}

/// The sheet as a grey image.
pub fn png_sheet(entries: &[SheetEntry<'_>], module_px: u32) -> Result<GrayImage, QrError> {
    check_entries(entries, module_px)?;
    let font = font()?;
    let layout = Layout::new(entries, module_px, &font);
    let (width, height) = layout.size_px();
    let mut image = GrayImage::from_pixel(width, height, LIGHT);
    let scale = PxScale::from(layout.caption_px);
    for (index, entry) in entries.iter().enumerate() {
        let side_px = entry.symbol.side_modules() as u32 * module_px;
        let (x, y) = layout.code_origin(index, side_px);
        draw_symbol(&mut image, entry.symbol, module_px, x, y);
        let (cell_x, cell_y) = layout.cell(index);
        let (text_w, _) = imageproc::drawing::text_size(scale, &font, entry.caption);
        let text_x = cell_x + layout.cell_w_px.saturating_sub(text_w) / 2;
        let text_y = cell_y + layout.code_px + layout.caption_gap_px;
        imageproc::drawing::draw_text_mut(
            &mut image,
            DARK,
            text_x as i32,
            text_y as i32,
            scale,
            &font,
            entry.caption,
        );
    }
    Ok(image)
}

/// The sheet as an SVG document: each code a path in module units scaled into its cell, each
/// caption a monospace `<text>` centred under it.
pub fn svg_sheet(entries: &[SheetEntry<'_>], module_px: u32) -> Result<String, QrError> {
    check_entries(entries, module_px)?;
    let font = font()?;
    let layout = Layout::new(entries, module_px, &font);
    let (width, height) = layout.size_px();
    let mut svg = format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{w}\" ",
            "height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n",
            "<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\n"
        ),
        w = width,
        h = height
    );
    for (index, entry) in entries.iter().enumerate() {
        let side_px = entry.symbol.side_modules() as u32 * module_px;
        let (x, y) = layout.code_origin(index, side_px);
        let (cell_x, cell_y) = layout.cell(index);
        // Writing to a String cannot fail.
        let _ = write!(
            svg,
            concat!(
                "<path fill=\"#000\" shape-rendering=\"crispEdges\" ",
                "transform=\"translate({x} {y}) scale({scale})\" d=\"{data}\"/>\n",
                "<text x=\"{tx}\" y=\"{ty}\" font-family=\"monospace\" font-size=\"{size}\" ",
                "text-anchor=\"middle\" dominant-baseline=\"hanging\">{caption}</text>\n"
            ),
            x = x,
            y = y,
            scale = module_px,
            data = path_data(entry.symbol),
            tx = cell_x + layout.cell_w_px / 2,
            ty = cell_y + layout.code_px + layout.caption_gap_px,
            size = layout.caption_px,
            caption = xml_escape(entry.caption),
        );
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::render::tests::{expected_modules, sample_modules};
    use super::*;
    use crate::domain::EcLevel;

    fn uids(count: u32) -> Vec<String> {
        (1..=count)
            .map(|seq| format!("PAD-V0100-L2025-09-{seq:05}"))
            .collect()
    }

    #[test]
    fn a_png_sheet_holds_every_code_readable_with_its_caption() {
        let uids = uids(8);
        let symbols: Vec<_> = uids
            .iter()
            .map(|uid| QrSymbol::encode(uid, EcLevel::M).unwrap())
            .collect();
        let entries: Vec<_> = symbols
            .iter()
            .zip(&uids)
            .map(|(symbol, uid)| SheetEntry {
                symbol,
                caption: uid,
            })
            .collect();
        let module_px = 3;
        let sheet = png_sheet(&entries, module_px).unwrap();
        let layout = Layout::new(&entries, module_px, &font().unwrap());
        assert_eq!((layout.columns, layout.rows), (6, 2));
        assert_eq!(sheet.dimensions(), layout.size_px());
        let side = symbols[0].side_modules();
        for (index, uid) in uids.iter().enumerate() {
            let (x, y) = layout.code_origin(index, side as u32 * module_px);
            assert_eq!(
                sample_modules(&sheet, x, y, side, module_px),
                expected_modules(uid, qrcode::EcLevel::M),
                "code {index}"
            );
            // The caption band under the code has ink, and only there.
            let (cell_x, cell_y) = layout.cell(index);
            let band = cell_y + layout.code_px..cell_y + layout.cell_h_px;
            let ink = band
                .flat_map(|y| (cell_x..cell_x + layout.cell_w_px).map(move |x| (x, y)))
                .filter(|&(x, y)| sheet.get_pixel(x, y).0[0] < 128)
                .count();
            assert!(ink > 50, "caption {index} has {ink} dark pixels");
        }
        // The caption is wider than a small code: cells make room for it.
        assert!(layout.cell_w_px > layout.code_px);
    }

    #[test]
    fn an_svg_sheet_has_a_path_and_a_caption_per_code() {
        let uids = uids(7);
        let symbols: Vec<_> = uids
            .iter()
            .map(|uid| QrSymbol::encode(uid, EcLevel::H).unwrap())
            .collect();
        let entries: Vec<_> = symbols
            .iter()
            .zip(&uids)
            .map(|(symbol, uid)| SheetEntry {
                symbol,
                caption: uid,
            })
            .collect();
        let svg = svg_sheet(&entries, 4).unwrap();
        assert_eq!(svg.matches("<path ").count(), 7);
        assert_eq!(svg.matches("<text ").count(), 7);
        for uid in &uids {
            assert!(svg.contains(&format!(">{uid}</text>")), "{uid}");
        }
        assert!(svg.contains(&format!("d=\"{}\"", path_data(&symbols[6]))));
        assert!(png_sheet(&[], 4).is_err());
    }
}
