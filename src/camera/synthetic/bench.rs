//! The demo's bench camera: it looks straight down at the part in the laser's fixture and sees
//! what the simulated laser burned (`engrave::sim::BurnLog`), each stretch drawn with the laser
//! spot's width and darkened by its power, on brushed steel, through a little blur and sensor
//! noise. A correct program gives a readable mark; a wrong one, the wrong mark.

use image::{GrayImage, Luma};
use imageproc::filter::gaussian_blur_f32;

use super::texture::{grain, value_noise};
use crate::engrave::sim::Burn;

/// Where the camera looks and its sensor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BenchView {
    /// The centre of the view on the part, machine millimetres.
    pub centre_mm: [f64; 2],
    /// How much of the part the image's height covers, mm.
    pub height_mm: f64,
    pub width_px: u32,
    pub height_px: u32,
}

impl BenchView {
    /// A 1280×960 view centred on a job's box (`[min x, min y, max x, max y]`), its height
    /// 1.6 times the box's.
    pub fn around(bbox_mm: [f64; 4]) -> Self {
        let height = (bbox_mm[3] - bbox_mm[1]).max(1.0);
        Self {
            centre_mm: [
                (bbox_mm[0] + bbox_mm[2]) / 2.0,
                (bbox_mm[1] + bbox_mm[3]) / 2.0,
            ],
            height_mm: 1.6 * height,
            width_px: 1280,
            height_px: 960,
        }
    }

    fn px_per_mm(&self) -> f64 {
        f64::from(self.height_px) / self.height_mm
    }

    /// Image pixel of a machine position (image up is machine +Y).
    fn pixel_of(&self, at_mm: [f64; 2]) -> (f64, f64) {
        let scale = self.px_per_mm();
        (
            f64::from(self.width_px) / 2.0 + (at_mm[0] - self.centre_mm[0]) * scale,
            f64::from(self.height_px) / 2.0 - (at_mm[1] - self.centre_mm[1]) * scale,
        )
    }
}

/// Grey of bare steel and of a fully burned spot.
const STEEL: f32 = 168.0;
const ANNEALED: f32 = 58.0;

/// The image of the part carrying `burns`, with a laser spot `spot_mm` wide.
pub fn render(burns: &[Burn], view: &BenchView, spot_mm: f64, seed: u64) -> GrayImage {
    let (width, height) = (view.width_px as usize, view.height_px as usize);
    let mut coverage = vec![0.0f32; width * height];
    let radius = (spot_mm / 2.0 * view.px_per_mm()).max(0.7);
    for burn in burns {
        let (x0, y0) = view.pixel_of(burn.from_mm);
        let (x1, y1) = view.pixel_of(burn.to_mm);
        let steps = ((x1 - x0).hypot(y1 - y0) * 2.0).ceil().max(1.0) as usize;
        // Steel darkens quickly with power and saturates.
        let depth = (burn.power * 1.6).min(1.0) as f32;
        for step in 0..=steps {
            let t = step as f64 / steps as f64;
            stamp(
                &mut coverage,
                (width, height),
                (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t),
                radius,
                depth,
            );
        }
    }
    let noise_seed = (seed as u32) ^ 0xbe9c;
    let mut image = GrayImage::from_fn(view.width_px, view.height_px, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let brushed = value_noise(fx / 300.0, fy / 1.5, noise_seed);
        let light =
            1.0 - 0.25 * ((fx / width as f32 - 0.45).powi(2) + (fy / height as f32 - 0.5).powi(2));
        let ground = (STEEL + 10.0 * brushed) * light;
        let burned = coverage[y as usize * width + x as usize];
        // The annealed oxide loses the brushing and varies a little with the pulses.
        let mark = ANNEALED + 6.0 * grain(x as i32 / 3, y as i32 / 3, noise_seed ^ 0x51);
        Luma([(ground + (mark - ground) * burned).clamp(0.0, 255.0) as u8])
    });
    image = gaussian_blur_f32(&image, 0.9);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let noise = 2.5 * grain(x as i32, y as i32, noise_seed ^ 0x77);
        pixel.0[0] = (f32::from(pixel.0[0]) + noise).clamp(0.0, 255.0) as u8;
    }
    image
}

/// Darkens a disc of `radius` pixels at `centre` to at least `depth`, its edge anti-aliased.
fn stamp(
    coverage: &mut [f32],
    (width, height): (usize, usize),
    centre: (f64, f64),
    radius: f64,
    depth: f32,
) {
    let reach = radius + 1.0;
    let (x_min, x_max) = ((centre.0 - reach).floor(), (centre.0 + reach).ceil());
    let (y_min, y_max) = ((centre.1 - reach).floor(), (centre.1 + reach).ceil());
    if x_max < 0.0 || y_max < 0.0 || x_min >= width as f64 || y_min >= height as f64 {
        return;
    }
    for y in (y_min.max(0.0) as usize)..(y_max as usize).min(height) {
        for x in (x_min.max(0.0) as usize)..(x_max as usize).min(width) {
            let d = (x as f64 + 0.5 - centre.0).hypot(y as f64 + 0.5 - centre.1);
            let inside = (radius + 0.5 - d).clamp(0.0, 1.0) as f32;
            let cell = &mut coverage[y * width + x];
            *cell = cell.max(inside * depth);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_burned_line_is_dark_where_it_was_burned_and_steel_elsewhere() {
        let view = BenchView {
            centre_mm: [10.0, 10.0],
            height_mm: 10.0,
            width_px: 200,
            height_px: 100,
        };
        // A horizontal line through the centre, 2 mm long; the image's y is machine −Y.
        let burns = [Burn {
            from_mm: [9.0, 12.0],
            to_mm: [11.0, 12.0],
            power: 1.0,
        }];
        let image = render(&burns, &view, 0.3, 1);
        // 10 px per mm: machine y 12 is 20 px above the centre row.
        let on = image.get_pixel(100, 30).0[0];
        let below = image.get_pixel(100, 70).0[0];
        assert!(on < 90, "burned {on}");
        assert!(below > 130, "steel {below}");
    }
}
