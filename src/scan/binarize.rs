//! Grey to dark/light: the first stage of the decoder. Two binarisers, chosen by the retry ladder:
//! a local one (each 8×8 block thresholded at the mean of the 5×5 blocks around it, so a
//! gradient of light across a metal part or a shadow across a page does not swallow half a code)
//! and a global one (Otsu's threshold on the histogram, for small crops and for codes with a
//! large dark margin where local blocks see no contrast). Both keep their thresholds, so the
//! module sampler can compare interpolated grey with the same threshold instead of reading the
//! nearest binarised pixel.

use image::GrayImage;

/// Side of a local-threshold block, in pixels.
const BLOCK_PX: usize = 8;
/// A block whose grey range is below this is taken as flat (no edge inside it).
pub const MIN_BLOCK_RANGE: u8 = 24;

/// A binarised image with the thresholds it was made with.
#[derive(Debug, Clone)]
pub struct Binarized {
    pub bits: BitMatrix,
    /// One threshold per block, row-major.
    thresholds: Vec<u8>,
    /// Block side in pixels (the whole image for a global threshold).
    block_px: usize,
    blocks_x: usize,
}

impl Binarized {
    /// The threshold in force at a pixel.
    pub fn threshold_at(&self, x: usize, y: usize) -> u8 {
        let (bx, by) = (x / self.block_px, y / self.block_px);
        self.thresholds
            .get(by * self.blocks_x + bx.min(self.blocks_x - 1))
            .or(self.thresholds.last())
            .copied()
            .unwrap_or(128)
    }
}

/// A dark/light image: `true` is dark (a dark module of a dark-on-light code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitMatrix {
    width: usize,
    height: usize,
    dark: Vec<bool>,
}

impl BitMatrix {
    /// An all-light matrix.
    pub fn new(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            dark: vec![false; width * height],
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// Whether the pixel is dark; outside the image counts as light.
    pub fn dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.height && self.dark[y * self.width + x]
    }

    /// Whether the pixel nearest a real-valued point is dark; outside is light.
    pub fn dark_at(&self, x: f32, y: f32) -> Option<bool> {
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let (xi, yi) = (x as usize, y as usize);
        (xi < self.width && yi < self.height).then(|| self.dark[yi * self.width + xi])
    }

    pub fn set(&mut self, x: usize, y: usize, dark: bool) {
        if x < self.width && y < self.height {
            self.dark[y * self.width + x] = dark;
        }
    }

    /// One row, left to right.
    pub fn row(&self, y: usize) -> &[bool] {
        &self.dark[y * self.width..(y + 1) * self.width]
    }
}

/// Local threshold: each 8×8 block is compared with the mean of the 5×5 blocks around it. A flat
/// block (range at most `min_range` grey levels: `MIN_BLOCK_RANGE` normally, less for faint
/// marks) takes half its minimum, or its neighbours' mean when that is lower, so a flat light area
/// stays light and a flat dark one stays dark. Images smaller than 5 blocks on a side fall back
/// to the global threshold.
pub fn local(grey: &GrayImage, min_range: u8) -> Binarized {
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    if width < 5 * BLOCK_PX || height < 5 * BLOCK_PX {
        return global(grey);
    }
    let blocks_x = width.div_ceil(BLOCK_PX);
    let blocks_y = height.div_ceil(BLOCK_PX);
    let pixels = grey.as_raw();
    let mut means = vec![0u32; blocks_x * blocks_y];
    for by in 0..blocks_y {
        for bx in 0..blocks_x {
            let (x0, y0) = (
                (bx * BLOCK_PX).min(width - BLOCK_PX),
                (by * BLOCK_PX).min(height - BLOCK_PX),
            );
            let (mut sum, mut min, mut max) = (0u32, u8::MAX, u8::MIN);
            for y in y0..y0 + BLOCK_PX {
                for &value in &pixels[y * width + x0..y * width + x0 + BLOCK_PX] {
                    sum += u32::from(value);
                    min = min.min(value);
                    max = max.max(value);
                }
            }
            let mut mean = sum / (BLOCK_PX * BLOCK_PX) as u32;
            if max - min <= min_range {
                mean = u32::from(min) / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (means[(by - 1) * blocks_x + bx]
                        + 2 * means[by * blocks_x + bx - 1]
                        + means[(by - 1) * blocks_x + bx - 1])
                        / 4;
                    if u32::from(min) < neighbours {
                        mean = neighbours;
                    }
                }
            }
            means[by * blocks_x + bx] = mean;
        }
    }
    let mut bits = BitMatrix::new(width, height);
    let mut thresholds = vec![0u8; blocks_x * blocks_y];
    for by in 0..blocks_y {
        let cy = by.clamp(2, blocks_y - 3);
        for bx in 0..blocks_x {
            let cx = bx.clamp(2, blocks_x - 3);
            let mut sum = 0u32;
            for ny in cy - 2..=cy + 2 {
                sum += means[ny * blocks_x + cx - 2..=ny * blocks_x + cx + 2]
                    .iter()
                    .sum::<u32>();
            }
            let threshold = sum / 25;
            thresholds[by * blocks_x + bx] = threshold.min(255) as u8;
            let (x0, y0) = (
                (bx * BLOCK_PX).min(width - BLOCK_PX),
                (by * BLOCK_PX).min(height - BLOCK_PX),
            );
            for y in y0..y0 + BLOCK_PX {
                for x in x0..x0 + BLOCK_PX {
                    bits.dark[y * width + x] = u32::from(pixels[y * width + x]) <= threshold;
                }
            }
        }
    }
    Binarized {
        bits,
        thresholds,
        block_px: BLOCK_PX,
        blocks_x,
    }
}

/// Global threshold: Otsu's, the level that best separates the histogram into two classes.
pub fn global(grey: &GrayImage) -> Binarized {
    let threshold = otsu_level(grey);
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    Binarized {
        bits: BitMatrix {
            width,
            height,
            dark: grey
                .as_raw()
                .iter()
                .map(|&value| value <= threshold)
                .collect(),
        },
        thresholds: vec![threshold],
        block_px: width.max(height).max(1),
        blocks_x: 1,
    }
}

/// Otsu's threshold of a grey image.
pub fn otsu_level(grey: &GrayImage) -> u8 {
    let mut histogram = [0u64; 256];
    for &value in grey.as_raw() {
        histogram[usize::from(value)] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(level, &count)| level as f64 * count as f64)
        .sum();
    let (mut weight_dark, mut sum_dark) = (0u64, 0f64);
    let (mut best_level, mut best_between) = (0u8, -1f64);
    for (level, &count) in histogram.iter().enumerate() {
        weight_dark += count;
        if weight_dark == 0 {
            continue;
        }
        let weight_light = total - weight_dark;
        if weight_light == 0 {
            break;
        }
        sum_dark += level as f64 * count as f64;
        let mean_dark = sum_dark / weight_dark as f64;
        let mean_light = (sum_all - sum_dark) / weight_light as f64;
        let between = weight_dark as f64 * weight_light as f64 * (mean_dark - mean_light).powi(2);
        if between > best_between {
            best_between = between;
            best_level = level as u8;
        }
    }
    best_level
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dark square on a light field under a strong left-to-right light gradient.
    fn shaded_square() -> GrayImage {
        GrayImage::from_fn(160, 120, |x, y| {
            let light = 90 + (x * 160 / 160) as u8;
            let inside = (60..100).contains(&x) && (40..80).contains(&y);
            image::Luma([if inside { light / 3 } else { light }])
        })
    }

    #[test]
    fn local_threshold_follows_the_light() {
        let bits = local(&shaded_square(), MIN_BLOCK_RANGE).bits;
        assert!(bits.dark(80, 60), "the square is dark");
        assert!(!bits.dark(10, 60), "the dim left field stays light");
        assert!(!bits.dark(150, 60), "the bright right field stays light");
        assert!(
            bits.dark(61, 41) && bits.dark(98, 78),
            "corners of the square"
        );
    }

    #[test]
    fn global_threshold_splits_two_levels() {
        let grey = GrayImage::from_fn(20, 10, |x, _| image::Luma([if x < 5 { 30 } else { 200 }]));
        let level = otsu_level(&grey);
        assert!((30..200).contains(&level));
        let binarized = global(&grey);
        assert_eq!(binarized.threshold_at(3, 3), level);
        let bits = binarized.bits;
        assert!(bits.dark(0, 0) && !bits.dark(10, 0));
    }
}
