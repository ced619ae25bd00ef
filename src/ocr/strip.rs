//! A text strip as the recogniser and the orientation classifier take it: 48 px high, width
//! by its aspect up to a fixed slot, BGR, `(v / 255 − 0.5) / 0.5`, zero (mid-grey) padding on
//! the right — the PP-OCR preprocessing.

use image::{RgbImage, imageops::FilterType};

use super::net::pack_bgr;

pub(super) const STRIP_HEIGHT_PX: u32 = 48;

/// The strip's width at 48 px high, before any slot limit.
pub(super) fn natural_width(strip: &RgbImage) -> u32 {
    let (w, h) = strip.dimensions();
    ((STRIP_HEIGHT_PX as f32 * w as f32 / h.max(1) as f32).ceil() as u32).max(1)
}

/// Writes one strip into `out` (`3 × 48 × slot_px` values, already zeroed).
pub(super) fn pack(strip: &RgbImage, slot_px: u32, out: &mut [f32]) {
    let width = natural_width(strip).min(slot_px);
    let resized = image::imageops::resize(strip, width, STRIP_HEIGHT_PX, FilterType::Triangle);
    pack_bgr(&resized, slot_px as usize, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn a_strip_fills_its_width_and_leaves_mid_grey_padding() {
        let strip = RgbImage::from_pixel(96, 24, Rgb([255, 255, 255]));
        assert_eq!(natural_width(&strip), 192);
        let slot = 320;
        let mut out = vec![0.0; 3 * 48 * slot as usize];
        pack(&strip, slot, &mut out);
        assert!((out[0] - 1.0).abs() < 1e-6);
        assert!((out[191] - 1.0).abs() < 1e-6);
        assert_eq!(out[192], 0.0);
    }
}
