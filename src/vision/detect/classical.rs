//! The classical detector: no model, the reference beside the network and the fallback when
//! the model is disabled. Pores are pits darker than the surface around them, so:
//! 1. flatten the background: a blur wider than the largest pore (3 mm), computed twice, the
//!    second time with the dark outliers of the first replaced by the background (so a large
//!    pore does not pull its own background down);
//! 2. "black-hat": how much darker each pixel is than its background, in units of the image's
//!    own robust noise (1.4826 × MAD), mapped to a score in [0, 1] (0.5 at `SIGMA_AT_HALF`);
//! 3. drop components that are not pit-shaped: thin lines (scratches, tool marks) and specks
//!    of one or two pixels.
//!
//! Bright dust and rims are never dark, so they do not score.

use image::GrayImage;
use imageproc::filter::gaussian_blur_f32;

use crate::vision::blobs::blobs;
use crate::vision::measure::measure;
use crate::vision::score_map::ScoreMap;

/// The background blur spans the largest pore the spec knows.
const LARGEST_PORE_MM: f32 = 3.0;
/// Darkness (in noise units) scored 0.5.
const SIGMA_AT_HALF: f32 = 5.0;
/// Score slope around 0.5, per noise unit.
const SLOPE_PER_SIGMA: f32 = 1.0;
/// Blobs thinner than this (area over the disc of their Feret length) are lines.
const MIN_CIRCULARITY: f32 = 0.2;
/// Blobs with fewer pixels are noise.
const MIN_PIXELS: usize = 3;
/// The background is computed on an image this many times smaller.
const BACKGROUND_STEP: u32 = 4;

/// Scores every pixel of `grey` taken at `mm_per_px`.
pub fn scores(grey: &GrayImage, mm_per_px: f32) -> ScoreMap {
    let (width, height) = grey.dimensions();
    let mut map = ScoreMap::new(width, height);
    if width == 0 || height == 0 {
        return map;
    }
    let image = image::ImageBuffer::<image::Luma<f32>, Vec<f32>>::from_fn(width, height, |x, y| {
        image::Luma([f32::from(grey.get_pixel(x, y)[0])])
    });
    // A light blur takes the sensor noise off before pixels are compared.
    let smooth = gaussian_blur_f32(&image, 0.8);
    let sigma_px = LARGEST_PORE_MM / mm_per_px.max(1e-4) / 2.0;
    let first = background(&smooth, sigma_px, None);
    let noise = robust_noise(&smooth, &first);
    let second = background(&smooth, sigma_px, Some((&first, 3.0 * noise)));
    let noise = robust_noise(&smooth, &second).max(0.5);
    for y in 0..height {
        for x in 0..width {
            let darker = second.at(x, y) - smooth.get_pixel(x, y)[0];
            let z = (darker / noise - SIGMA_AT_HALF) * SLOPE_PER_SIGMA;
            map.set(x, y, 1.0 / (1.0 + (-z).exp()));
        }
    }
    drop_non_pits(&mut map, mm_per_px);
    map
}

/// A background image, stored at 1/`BACKGROUND_STEP` scale and sampled bilinearly.
struct Background {
    small: image::ImageBuffer<image::Luma<f32>, Vec<f32>>,
}

impl Background {
    fn at(&self, x: u32, y: u32) -> f32 {
        let (w, h) = self.small.dimensions();
        let step = BACKGROUND_STEP as f32;
        let fx = ((x as f32 + 0.5) / step - 0.5).clamp(0.0, (w - 1) as f32);
        let fy = ((y as f32 + 0.5) / step - 0.5).clamp(0.0, (h - 1) as f32);
        let (x0, y0) = (fx.floor() as u32, fy.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let p = |x, y| self.small.get_pixel(x, y)[0];
        let top = p(x0, y0) * (1.0 - tx) + p(x1, y0) * tx;
        let bottom = p(x0, y1) * (1.0 - tx) + p(x1, y1) * tx;
        top * (1.0 - ty) + bottom * ty
    }
}

/// Block means at 1/`BACKGROUND_STEP`, blurred; with `clip`, pixels darker than the earlier
/// background by more than the margin take the background's value first.
fn background(
    image: &image::ImageBuffer<image::Luma<f32>, Vec<f32>>,
    sigma_px: f32,
    clip: Option<(&Background, f32)>,
) -> Background {
    let (width, height) = image.dimensions();
    let (sw, sh) = (
        width.div_ceil(BACKGROUND_STEP),
        height.div_ceil(BACKGROUND_STEP),
    );
    let mut sums = vec![(0.0_f32, 0_u32); sw as usize * sh as usize];
    for y in 0..height {
        for x in 0..width {
            let mut value = image.get_pixel(x, y)[0];
            if let Some((earlier, margin)) = clip {
                let floor = earlier.at(x, y) - margin;
                if value < floor {
                    value = earlier.at(x, y);
                }
            }
            let cell = &mut sums[(y / BACKGROUND_STEP * sw + x / BACKGROUND_STEP) as usize];
            cell.0 += value;
            cell.1 += 1;
        }
    }
    let small = image::ImageBuffer::from_fn(sw, sh, |x, y| {
        let (sum, count) = sums[(y * sw + x) as usize];
        image::Luma([sum / count.max(1) as f32])
    });
    let sigma_small = (sigma_px / BACKGROUND_STEP as f32).max(0.5);
    Background {
        small: gaussian_blur_f32(&small, sigma_small),
    }
}

/// 1.4826 × the median absolute deviation of image − background: the noise and texture level,
/// barely moved by the pores themselves.
fn robust_noise(image: &image::ImageBuffer<image::Luma<f32>, Vec<f32>>, bg: &Background) -> f32 {
    let (width, height) = image.dimensions();
    // Every third pixel each way is plenty for a median.
    let mut deviations: Vec<f32> = (0..height)
        .step_by(3)
        .flat_map(|y| (0..width).step_by(3).map(move |x| (x, y)))
        .map(|(x, y)| (image.get_pixel(x, y)[0] - bg.at(x, y)).abs())
        .collect();
    if deviations.is_empty() {
        return 1.0;
    }
    let middle = deviations.len() / 2;
    let (_, median, _) = deviations.select_nth_unstable_by(middle, f32::total_cmp);
    1.4826 * *median
}

/// Zeroes components that cannot be pores: lines and specks.
fn drop_non_pits(map: &mut ScoreMap, mm_per_px: f32) {
    for blob in blobs(map, 0.5, 1) {
        let pore = measure(&blob, 0, mm_per_px);
        let speck = blob.pixels.len() < MIN_PIXELS;
        let line = pore.circularity < MIN_CIRCULARITY && pore.area_px > MIN_PIXELS as u32;
        if speck || line {
            for [x, y] in &blob.pixels {
                map.set(*x, *y, map.at(*x, *y).min(0.2));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured face with one dark pit of radius 12 px at (100, 80) and a dark scratch.
    fn face() -> GrayImage {
        GrayImage::from_fn(320, 200, |x, y| {
            let texture = 6.0 * ((x as f32 * 0.9).sin() + (y as f32 * 1.7 + x as f32).cos());
            let gradient = 0.15 * x as f32;
            let mut v = 150.0 + texture + gradient;
            let (dx, dy) = (x as f32 - 100.0, y as f32 - 80.0);
            if dx * dx + dy * dy < 144.0 {
                v = 50.0;
            }
            if (200..300).contains(&x) && y == 150 {
                v = 60.0;
            }
            image::Luma([v.clamp(0.0, 255.0) as u8])
        })
    }

    #[test]
    fn finds_the_pit_and_ignores_the_scratch_and_texture() {
        let map = scores(&face(), 0.04);
        let found = blobs(&map, 0.5, 3);
        assert_eq!(
            found.len(),
            1,
            "{:?}",
            found.iter().map(|b| b.bbox_px).collect::<Vec<_>>()
        );
        let pore = measure(&found[0], 0, 0.04);
        assert!((pore.x_px - 100.0).abs() < 1.0 && (pore.y_px - 80.0).abs() < 1.0);
        // Ø 24 px = 0.96 mm; the blur softens the edge by about a pixel.
        assert!(
            (pore.diameter_mm - 0.96).abs() < 0.08,
            "{}",
            pore.diameter_mm
        );
    }

    #[test]
    fn a_flat_image_scores_nothing() {
        let map = scores(&GrayImage::from_pixel(64, 48, image::Luma([128])), 0.03);
        assert!(map.scores().iter().all(|s| *s < 0.5));
    }
}
