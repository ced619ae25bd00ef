//! One symbol as an image: a grey-scale PNG raster at a whole number of pixels per module, or
//! SVG text (one path of row runs, in module units, so it scales without blur). Both include
//! the quiet zone and draw dark modules black on white.

use std::fmt::Write as _;
use std::path::Path;

use image::{GrayImage, Luma};

use super::{QUIET_ZONE_MODULES, QrError, QrSymbol};

/// Pixel sizes of a module a PNG may use.
pub const MODULE_PX_RANGE: std::ops::RangeInclusive<u32> = 1..=64;

pub(super) const DARK: Luma<u8> = Luma([0]);
pub(super) const LIGHT: Luma<u8> = Luma([255]);

/// Checks a module size before any work is done.
pub fn check_module_px(module_px: u32) -> Result<(), QrError> {
    if MODULE_PX_RANGE.contains(&module_px) {
        Ok(())
    } else {
        Err(QrError::Invalid(format!(
            "module size {module_px} px is not valid: {} to {} px",
            MODULE_PX_RANGE.start(),
            MODULE_PX_RANGE.end()
        )))
    }
}

/// Draws `symbol` (quiet zone included) into `image` with its top-left corner at (`x0`, `y0`).
pub(super) fn draw_symbol(
    image: &mut GrayImage,
    symbol: &QrSymbol,
    module_px: u32,
    x0: u32,
    y0: u32,
) {
    let quiet = QUIET_ZONE_MODULES as u32 * module_px;
    let side = symbol.side_modules() as u32 * module_px;
    for y in 0..side {
        for x in 0..side {
            if x0 + x >= image.width() || y0 + y >= image.height() {
                continue;
            }
            let inside = x >= quiet && y >= quiet;
            let dark = inside
                && symbol.is_dark(
                    ((x - quiet) / module_px) as usize,
                    ((y - quiet) / module_px) as usize,
                );
            image.put_pixel(x0 + x, y0 + y, if dark { DARK } else { LIGHT });
        }
    }
}

/// The symbol as a square grey image, `module_px` pixels per module.
pub fn symbol_image(symbol: &QrSymbol, module_px: u32) -> Result<GrayImage, QrError> {
    check_module_px(module_px)?;
    let side = symbol.side_modules() as u32 * module_px;
    let mut image = GrayImage::from_pixel(side, side, LIGHT);
    draw_symbol(&mut image, symbol, module_px, 0, 0);
    Ok(image)
}

/// Writes a PNG of the symbol.
pub fn write_png(symbol: &QrSymbol, module_px: u32, path: &Path) -> Result<(), QrError> {
    let image = symbol_image(symbol, module_px)?;
    image.save(path).map_err(|source| QrError::Image {
        path: path.to_owned(),
        source,
    })
}

/// The symbol's dark modules as SVG path data in module units, the quiet zone offsetting them:
/// one `M x y h w v 1 h -w z` rectangle per horizontal run of dark modules.
pub(super) fn path_data(symbol: &QrSymbol) -> String {
    let mut data = String::new();
    for (row, col, run) in symbol.dark_runs() {
        let (x, y) = (col + QUIET_ZONE_MODULES, row + QUIET_ZONE_MODULES);
        // Writing to a String cannot fail.
        let _ = write!(data, "M{x} {y}h{run}v1h-{run}z");
    }
    data
}

/// The symbol as a standalone SVG document, `module_px` user pixels per module.
pub fn svg_text(symbol: &QrSymbol, module_px: u32) -> Result<String, QrError> {
    check_module_px(module_px)?;
    let side = symbol.side_modules();
    let side_px = side as u32 * module_px;
    Ok(format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{side_px}\" ",
            "height=\"{side_px}\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\n",
            "<title>{title}</title>\n",
            "<rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\n",
            "<path fill=\"#000\" d=\"{data}\"/>\n",
            "</svg>\n"
        ),
        side_px = side_px,
        side = side,
        title = xml_escape(symbol.payload()),
        data = path_data(symbol),
    ))
}

/// Writes an SVG of the symbol.
pub fn write_svg(symbol: &QrSymbol, module_px: u32, path: &Path) -> Result<(), QrError> {
    let text = svg_text(symbol, module_px)?;
    std::fs::write(path, text).map_err(|source| QrError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Text made safe for SVG content and attribute values.
pub(super) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(super) mod tests {
    use super::*;
    use crate::domain::EcLevel;

    /// Reads a code back from an image the way a careful scanner would on a perfect print:
    /// the centre pixel of every module, quiet zone included.
    pub(in crate::qr) fn sample_modules(
        image: &GrayImage,
        x0: u32,
        y0: u32,
        side_modules: usize,
        module_px: u32,
    ) -> Vec<Vec<bool>> {
        (0..side_modules as u32)
            .map(|row| {
                (0..side_modules as u32)
                    .map(|col| {
                        let x = x0 + col * module_px + module_px / 2;
                        let y = y0 + row * module_px + module_px / 2;
                        image.get_pixel(x, y).0[0] < 128
                    })
                    .collect()
            })
            .collect()
    }

    /// What the `qrcode` crate says the modules are, with the quiet zone around them.
    pub(in crate::qr) fn expected_modules(payload: &str, ec: qrcode::EcLevel) -> Vec<Vec<bool>> {
        let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), ec).unwrap();
        let width = code.width();
        let side = width + 2 * QUIET_ZONE_MODULES;
        (0..side)
            .map(|row| {
                (0..side)
                    .map(|col| {
                        let (c, r) = (col.wrapping_sub(4), row.wrapping_sub(4));
                        c < width && r < width && code[(c, r)] == qrcode::Color::Dark
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_png_read_back_at_module_centres_is_the_qrcode_matrix() {
        let dir = tempfile::tempdir().unwrap();
        for (ec, ours, module_px) in [
            (qrcode::EcLevel::M, EcLevel::M, 4),
            (qrcode::EcLevel::H, EcLevel::H, 7),
            (qrcode::EcLevel::L, EcLevel::L, 1),
        ] {
            let payload = "PAD-V0100-L2025-09-00042";
            let symbol = QrSymbol::encode(payload, ours).unwrap();
            let path = dir.path().join("code.png");
            write_png(&symbol, module_px, &path).unwrap();
            let image = image::open(&path).unwrap().to_luma8();
            let side = symbol.side_modules();
            assert_eq!(
                image.dimensions(),
                (side as u32 * module_px, side as u32 * module_px)
            );
            assert_eq!(
                sample_modules(&image, 0, 0, side, module_px),
                expected_modules(payload, ec),
                "{ec:?} at {module_px} px"
            );
        }
        assert!(
            write_png(
                &QrSymbol::encode("x", EcLevel::M).unwrap(),
                0,
                &dir.path().join("zero.png")
            )
            .unwrap_err()
            .to_string()
            .contains("module size 0 px")
        );
    }

    /// Fills the rectangles of our own path data back into a module grid.
    fn rasterise_path(data: &str, side: usize) -> Vec<Vec<bool>> {
        let mut grid = vec![vec![false; side]; side];
        for rect in data.split('z').filter(|rect| !rect.is_empty()) {
            let rect = rect.strip_prefix('M').unwrap();
            let (xy, rest) = rect.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (width, _) = rest.split_once('v').unwrap();
            let (x, y, width): (usize, usize, usize) = (
                x.parse().unwrap(),
                y.parse().unwrap(),
                width.parse().unwrap(),
            );
            for cell in &mut grid[y][x..x + width] {
                assert!(!*cell, "rectangles do not overlap");
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn the_svg_path_covers_exactly_the_dark_modules() {
        let payload = "BRKT-V0200-L2025-10-00007";
        let symbol = QrSymbol::encode(payload, EcLevel::Q).unwrap();
        let svg = svg_text(&symbol, 5).unwrap();
        let side = symbol.side_modules();
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        assert!(svg.contains(&format!("width=\"{}\"", side * 5)), "{svg}");
        assert!(svg.contains(&format!("<title>{payload}</title>")));
        let data = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(
            rasterise_path(data, side),
            expected_modules(payload, qrcode::EcLevel::Q)
        );
        assert_eq!(xml_escape("a<b&\"c\""), "a&lt;b&amp;&quot;c&quot;");
    }
}
