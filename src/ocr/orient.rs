//! Which way up a strip reads: the PP-OCR angle classifier (`ch_ppocr_mobile_v2.0_cls`) scores
//! 0° against 180° on a 48 × 192 strip. Which way up is decided from the lines together (per
//! group of lines sharing a quarter turn: the lines of one label turn together), weighted by
//! line length, so one odd line cannot flip a label.

use image::RgbImage;

use super::OcrError;
use super::net::Net;
use super::strip::{STRIP_HEIGHT_PX, pack};

const CLS_WIDTH_PX: u32 = 192;

/// The probability that a strip reads upside down.
pub(super) fn upside_down_probability(net: &mut Net, strip: &RgbImage) -> Result<f32, OcrError> {
    let mut input = vec![0.0; 3 * (STRIP_HEIGHT_PX * CLS_WIDTH_PX) as usize];
    pack(strip, CLS_WIDTH_PX, &mut input);
    let (dims, scores) = net.run(
        [1, 3, STRIP_HEIGHT_PX as usize, CLS_WIDTH_PX as usize],
        input,
    )?;
    if dims != [1, 2] {
        return Err(OcrError::Run {
            model: "orientation classifier",
            width_px: CLS_WIDTH_PX,
            height_px: STRIP_HEIGHT_PX,
            reason: format!("output shape {dims:?}, expected [1, 2]"),
        });
    }
    Ok(scores[1])
}

/// Whether the page reads upside down, from each line's probability and length.
pub(super) fn page_upside_down(votes: &[(f32, f32)]) -> bool {
    let (mut weighted, mut total) = (0.0, 0.0);
    for &(probability, length) in votes {
        weighted += probability * length;
        total += length;
    }
    total > 0.0 && weighted / total > 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_outvote_short_ones() {
        assert!(!page_upside_down(&[(0.9, 10.0), (0.1, 200.0)]));
        assert!(page_upside_down(&[(0.9, 300.0), (0.2, 40.0)]));
        assert!(!page_upside_down(&[]));
    }
}
