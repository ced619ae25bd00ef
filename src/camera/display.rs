//! Frames for the screen at the size they are shown: when a tile shows a camera at a half or
//! less of its resolution, the capture worker box-filters a copy down by a whole factor, so the
//! UI thread uploads a quarter (or less) of the bytes and the GPU samples a texture the size of
//! the tile. Inspection always gets the full frame.
//!
//! Owns the shrinking and a small pool for the shrunk copies; it spawns nothing and does not
//! decide what is shown (the UI tells the slot, the capture loop asks here).

use image::RgbaImage;

use super::{FramePool, FrameSize, PooledImage};

/// Shrunk copies kept for reuse: the slot's, the one the UI is uploading, one spare.
const DISPLAY_POOL: usize = 4;

/// The whole factor to shrink `frame` by so it still covers `shown` (1 = keep it).
pub fn display_factor(frame: FrameSize, shown: FrameSize) -> u32 {
    if shown.width_px == 0 || shown.height_px == 0 {
        return 1;
    }
    (frame.width_px / shown.width_px)
        .min(frame.height_px / shown.height_px)
        .clamp(1, 8)
}

/// Shrinks a camera's frames for display, reusing its buffers.
#[derive(Default)]
pub struct DisplayScaler {
    pool: Option<FramePool>,
}

impl DisplayScaler {
    /// A copy of `image` shrunk to cover `shown`, or `None` when shrinking would not pay
    /// (shown at more than half the frame's size either way).
    pub fn shrink(&mut self, image: &RgbaImage, shown: FrameSize) -> Option<PooledImage> {
        let frame = FrameSize::new(image.width(), image.height());
        let factor = display_factor(frame, shown);
        if factor < 2 {
            return None;
        }
        let small = FrameSize::new(frame.width_px / factor, frame.height_px / factor);
        if self.pool.as_ref().is_none_or(|pool| pool.size() != small) {
            self.pool = Some(FramePool::new(small, DISPLAY_POOL));
        }
        let mut out = self.pool.as_ref()?.take();
        box_filter_into(image, factor, &mut out);
        Some(out)
    }
}

/// Averages `factor`×`factor` blocks of `image` into `out` (of the shrunk size), by rows so the
/// inner loops run over contiguous bytes.
fn box_filter_into(image: &RgbaImage, factor: u32, out: &mut RgbaImage) {
    let factor = factor as usize;
    let in_row_bytes = image.width() as usize * 4;
    let out_width = out.width() as usize;
    let area = (factor * factor) as u32;
    let mut sums = vec![0_u32; out_width * 4];
    let source = image.as_raw();
    for (out_y, out_row) in out.chunks_exact_mut(out_width * 4).enumerate() {
        sums.iter_mut().for_each(|sum| *sum = 0);
        for dy in 0..factor {
            let row_start = (out_y * factor + dy) * in_row_bytes;
            let row = &source[row_start..row_start + out_width * factor * 4];
            for (block, sum) in row.chunks_exact(factor * 4).zip(sums.chunks_exact_mut(4)) {
                for pixel in block.chunks_exact(4) {
                    for channel in 0..4 {
                        sum[channel] += u32::from(pixel[channel]);
                    }
                }
            }
        }
        for (value, sum) in out_row.iter_mut().zip(&sums) {
            *value = ((sum + area / 2) / area) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_follow_the_shown_size() {
        let hd = FrameSize::new(1280, 720);
        assert_eq!(display_factor(hd, FrameSize::new(300, 170)), 4);
        assert_eq!(display_factor(hd, FrameSize::new(640, 360)), 2);
        assert_eq!(display_factor(hd, FrameSize::new(900, 500)), 1);
        assert_eq!(
            display_factor(hd, FrameSize::new(0, 0)),
            1,
            "size not known yet"
        );
    }

    #[test]
    fn blocks_are_averaged_and_small_shrinks_are_skipped() {
        let mut image = RgbaImage::new(8, 4);
        for (x, _, pixel) in image.enumerate_pixels_mut() {
            let value = if x % 2 == 0 { 100 } else { 200 };
            *pixel = image::Rgba([value, 0, 255, 255]);
        }
        let mut scaler = DisplayScaler::default();
        let small = scaler.shrink(&image, FrameSize::new(4, 2)).unwrap();
        assert_eq!(small.dimensions(), (4, 2));
        assert!(small.pixels().all(|pixel| pixel.0 == [150, 0, 255, 255]));
        assert!(scaler.shrink(&image, FrameSize::new(6, 3)).is_none());
    }
}
