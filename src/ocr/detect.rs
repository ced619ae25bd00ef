//! Text detection: the PP-OCRv4 DB detector on tract. The image is resized so its longer side
//! is `DET_SIDE_PX` (sides in multiples of 32), the network gives a text probability per pixel,
//! and every region above `PIXEL_THRESHOLD` becomes a rotated box if its mean probability
//! passes `BOX_THRESHOLD`; the box is then grown by the DB "unclip" distance, because the
//! network was trained to mark a shrunk text core.
//!
//! Thresholds follow the model's published configuration (RapidOCR `config.yaml`: thresh 0.3,
//! box_thresh 0.5, unclip_ratio 1.6, dilation on).

use image::{GrayImage, Luma, RgbImage, imageops::FilterType};
use imageproc::point::Point;
use imageproc::region_labelling::{Connectivity, connected_components};

use super::OcrError;
use super::net::{Net, pack_bgr};
use super::quad::RotatedRect;

/// The detector's working size: labels with text from about 12 px up in a 1280-px photo stay
/// readable at this scale, and the network costs a quarter of the full-size run.
const DET_SIDE_PX: u32 = 960;
const SIDE_MULTIPLE: u32 = 32;
const PIXEL_THRESHOLD: f32 = 0.3;
const BOX_THRESHOLD: f32 = 0.5;
const UNCLIP_RATIO: f32 = 1.6;
/// Regions thinner than this in the probability map are specks, not text.
const MIN_SIDE_PX: f32 = 3.0;
const MAX_CANDIDATES: usize = 1000;

/// A detected line of text: a rotated box in image pixels.
#[derive(Clone, Debug)]
pub(super) struct TextBox {
    pub corners_px: [[f32; 2]; 4],
}

/// The detector's input size for an image: longer side to `side_px` (never enlarged more than
/// twice), each side rounded to a multiple of 32.
fn input_size(width_px: u32, height_px: u32, side_px: u32) -> (u32, u32) {
    let scale = (side_px as f32 / width_px.max(height_px) as f32).min(2.0);
    let round = |v: u32| {
        (((v as f32 * scale) / SIDE_MULTIPLE as f32).round() as u32).max(1) * SIDE_MULTIPLE
    };
    (round(width_px), round(height_px))
}

/// Finds the text boxes of an image, in the order their regions are first met scanning the
/// probability map row by row (the pipeline puts the lines it reads in reading order).
pub(super) fn detect(net: &mut Net, image: &RgbImage) -> Result<Vec<TextBox>, OcrError> {
    let (width, height) = image.dimensions();
    let (in_w, in_h) = input_size(width, height, DET_SIDE_PX);
    let resized = image::imageops::resize(image, in_w, in_h, FilterType::Triangle);
    let mut input = vec![0.0; 3 * in_w as usize * in_h as usize];
    pack_bgr(&resized, in_w as usize, &mut input);
    let (dims, probabilities) = net.run([1, 3, in_h as usize, in_w as usize], input)?;
    if dims != [1, 1, in_h as usize, in_w as usize] {
        return Err(OcrError::Run {
            model: "text detector",
            width_px: in_w,
            height_px: in_h,
            reason: format!("output shape {dims:?}, expected one probability per pixel"),
        });
    }
    let map = ProbabilityMap {
        width: in_w,
        height: in_h,
        values: probabilities,
    };
    let scale = [width as f32 / in_w as f32, height as f32 / in_h as f32];
    let boxes: Vec<TextBox> = map
        .regions()
        .into_iter()
        .filter_map(|rect| {
            let score = map.mean_inside(&rect);
            if score < BOX_THRESHOLD {
                return None;
            }
            let grown = rect
                .grown(rect.area() * UNCLIP_RATIO / (4.0 * (rect.half_along + rect.half_across)));
            if grown.short_side() < MIN_SIDE_PX + 2.0 {
                return None;
            }
            let corners_px = grown.corners().map(|[x, y]| {
                [
                    (x * scale[0]).clamp(0.0, width as f32),
                    (y * scale[1]).clamp(0.0, height as f32),
                ]
            });
            Some(TextBox { corners_px })
        })
        .collect();
    Ok(boxes)
}

struct ProbabilityMap {
    width: u32,
    height: u32,
    values: Vec<f32>,
}

impl ProbabilityMap {
    /// Rotated boxes around the connected regions above the pixel threshold (after a 2×2
    /// dilation, as the model's reference post-processing does).
    fn regions(&self) -> Vec<RotatedRect> {
        let w = self.width as usize;
        let on = |x: usize, y: usize| self.values[y * w + x] > PIXEL_THRESHOLD;
        let bitmap = GrayImage::from_fn(self.width, self.height, |x, y| {
            let (x, y) = (x as usize, y as usize);
            let hit = on(x, y)
                || (x > 0 && on(x - 1, y))
                || (y > 0 && on(x, y - 1))
                || (x > 0 && y > 0 && on(x - 1, y - 1));
            Luma([u8::from(hit) * 255])
        });
        let labels = connected_components(&bitmap, Connectivity::Eight, Luma([0]));
        let mut points: Vec<Vec<Point<i32>>> = Vec::new();
        for (x, y, label) in labels.enumerate_pixels() {
            let label = label.0[0] as usize;
            if label == 0 {
                continue;
            }
            if points.len() < label {
                points.resize_with(label, Vec::new);
            }
            points[label - 1].push(Point::new(x as i32, y as i32));
        }
        points
            .iter()
            .take(MAX_CANDIDATES)
            .filter_map(|region| RotatedRect::around(region))
            .filter(|rect| rect.short_side() >= MIN_SIDE_PX)
            .collect()
    }

    /// Mean probability of the pixels whose centres lie inside the box.
    fn mean_inside(&self, rect: &RotatedRect) -> f32 {
        let reach = rect.half_along + rect.half_across;
        let x0 = (rect.centre[0] - reach).floor().max(0.0) as u32;
        let x1 = ((rect.centre[0] + reach).ceil() as u32).min(self.width - 1);
        let y0 = (rect.centre[1] - reach).floor().max(0.0) as u32;
        let y1 = ((rect.centre[1] + reach).ceil() as u32).min(self.height - 1);
        let (mut sum, mut count) = (0.0, 0_u32);
        for y in y0..=y1 {
            for x in x0..=x1 {
                if rect.contains(x as f32, y as f32) {
                    sum += self.values[(y * self.width + x) as usize];
                    count += 1;
                }
            }
        }
        if count == 0 { 0.0 } else { sum / count as f32 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_is_a_multiple_of_32_with_the_longer_side_at_the_working_size() {
        assert_eq!(input_size(1280, 960, 960), (960, 736));
        assert_eq!(input_size(960, 1280, 960), (736, 960));
        // Small images are enlarged at most twice.
        assert_eq!(input_size(200, 100, 960), (416, 192));
    }

    #[test]
    fn a_probability_blob_becomes_one_box_grown_by_the_unclip_distance() {
        let (w, h) = (64_u32, 32_u32);
        let mut values = vec![0.0; (w * h) as usize];
        for y in 12..18 {
            for x in 10..50 {
                values[(y * w + x) as usize] = 0.9;
            }
        }
        let map = ProbabilityMap {
            width: w,
            height: h,
            values,
        };
        let regions = map.regions();
        assert_eq!(regions.len(), 1);
        let rect = regions[0];
        // Dilation adds one pixel to the right and below.
        assert!((rect.half_along - 20.5).abs() < 1e-3, "{rect:?}");
        assert!((rect.half_across - 3.5).abs() < 1e-3, "{rect:?}");
        assert!(map.mean_inside(&rect) > 0.7);
    }
}
