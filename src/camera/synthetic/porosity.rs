//! A machined aluminium face under a ring light: fine turning marks, a bolt hole with a bright
//! chamfer, and casting pores — dark cavities whose far wall catches the light — scattered and
//! sometimes clustered. Every part has its own pores.

use image::RgbaImage;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::texture::{blend, fbm, grain, paint, value_noise};
use crate::camera::FrameSize;

/// World is this much larger than the view on each axis, so the part can move.
const MARGIN_FRACTION: f32 = 0.06;

/// The machined face under the ring light, the same for every part of a source: rendered once,
/// since it is the expensive per-pixel part.
pub(super) fn backdrop(view: FrameSize, seed: u64) -> RgbaImage {
    let width = (view.width_px as f32 * (1.0 + 2.0 * MARGIN_FRACTION)) as u32;
    let height = (view.height_px as f32 * (1.0 + 2.0 * MARGIN_FRACTION)) as u32;
    let scale = view.height_px as f32 / 720.0;
    let mut rng = SmallRng::seed_from_u64(seed);
    let noise_seed = rng.r#gen::<u32>();
    let mut image = RgbaImage::new(width, height);
    // Turning marks: rings around a centre off to the left, with a slight wander.
    let (turn_x, turn_y) = (-0.9 * width as f32, rng.gen_range(0.2..0.8) * height as f32);
    let ring_period_px = 3.4 * scale;
    let (w, h) = (width as f32, height as f32);
    paint(&mut image, |x, y| {
        let wander = value_noise(x / (70.0 * scale), y / (70.0 * scale), noise_seed) * 1.6;
        let radius = ((x - turn_x).powi(2) + (y - turn_y).powi(2)).sqrt() + wander;
        let rings = (radius * std::f32::consts::TAU / ring_period_px).sin();
        let cloud = fbm(
            x / (110.0 * scale),
            y / (110.0 * scale),
            4,
            noise_seed ^ 0xa1,
        );
        let fine = grain(x as i32, y as i32, noise_seed ^ 0x77);
        // Ring light: brighter in the middle, falling off to the corners.
        let dx = (x - w / 2.0) / w;
        let dy = (y - h / 2.0) / h;
        let light = 1.0 - 0.55 * (dx * dx + dy * dy);
        let v = (168.0 + 7.0 * rings + 10.0 * cloud + 3.5 * fine) * light;
        [v * 0.97, v * 0.99, v * 1.03]
    });
    image
}

/// One part: the face with this part's bolt hole position and pores.
pub(super) fn render(backdrop: &RgbaImage, view: FrameSize, seed: u64, part: u64) -> RgbaImage {
    let scale = view.height_px as f32 / 720.0;
    let part_seed = seed.wrapping_mul(1_000_003).wrapping_add(part);
    let mut rng = SmallRng::seed_from_u64(part_seed);
    let mut image = backdrop.clone();
    let (w, h) = (image.width() as f32, image.height() as f32);

    // A bolt hole with a chamfer that catches the ring light.
    let hole_r = 0.085 * h;
    let (hole_x, hole_y) = (rng.gen_range(0.15..0.85) * w, rng.gen_range(0.25..0.75) * h);
    let chamfer_px = 7.0 * scale;
    let reach = (hole_r + chamfer_px + 2.0) as i64;
    for y in hole_y as i64 - reach..=hole_y as i64 + reach {
        for x in hole_x as i64 - reach..=hole_x as i64 + reach {
            let (dx, dy) = (x as f32 + 0.5 - hole_x, y as f32 + 0.5 - hole_y);
            let distance = (dx * dx + dy * dy).sqrt();
            let angle_light = 0.5 + 0.5 * ((dx - dy) / distance.max(1.0)).clamp(-1.0, 1.0);
            if distance < hole_r {
                let depth = 22.0 + 20.0 * (distance / hole_r).powi(3);
                blend(&mut image, x, y, [depth; 3], hole_r - distance + 0.5);
            } else if distance < hole_r + chamfer_px {
                let v = 160.0 + 85.0 * angle_light;
                let coverage = (hole_r + chamfer_px - distance + 0.5).min(1.0);
                blend(&mut image, x, y, [v, v, v * 1.02], coverage);
            }
        }
    }

    // Pores: mostly small, a few large, some in clusters as gas porosity tends to be.
    let pore_count = rng.gen_range(10..32);
    let mut centres: Vec<(f32, f32)> = Vec::new();
    for index in 0..pore_count {
        let (cx, cy) = if index > 3 && rng.gen_bool(0.35) {
            let (px, py) = centres[rng.gen_range(0..centres.len())];
            (
                px + rng.gen_range(-40.0..40.0) * scale,
                py + rng.gen_range(-40.0..40.0) * scale,
            )
        } else {
            (rng.gen_range(0.03..0.97) * w, rng.gen_range(0.03..0.97) * h)
        };
        let (hx, hy) = (cx - hole_x, cy - hole_y);
        if (hx * hx + hy * hy).sqrt() < hole_r + chamfer_px + 20.0 * scale {
            continue;
        }
        centres.push((cx, cy));
        let radius = (1.6 + 13.0 * rng.r#gen::<f32>().powf(2.4)) * scale;
        let aspect = rng.gen_range(1.0..1.5);
        let angle = rng.gen_range(0.0..std::f32::consts::PI);
        draw_pore(&mut image, cx, cy, radius, radius / aspect, angle);
    }
    image
}

/// An elliptical cavity lit from the upper left: a dark floor, a lit far wall, a faint shadow
/// ring just outside the edge.
fn draw_pore(image: &mut RgbaImage, cx: f32, cy: f32, rx: f32, ry: f32, angle: f32) {
    let (sin, cos) = angle.sin_cos();
    let light = (
        std::f32::consts::FRAC_1_SQRT_2,
        std::f32::consts::FRAC_1_SQRT_2,
    );
    let reach = (rx * 1.3 + 2.0) as i64;
    for y in cy as i64 - reach..=cy as i64 + reach {
        for x in cx as i64 - reach..=cx as i64 + reach {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            let u = dx * cos + dy * sin;
            let v = -dx * sin + dy * cos;
            let d = ((u / rx).powi(2) + (v / ry).powi(2)).sqrt();
            let edge_px = (1.0 - d) * ry;
            if d < 1.0 + 1.0 / ry {
                let length = (dx * dx + dy * dy).sqrt().max(1e-3);
                let facing = ((dx * light.0 + dy * light.1) / length).max(0.0);
                let lit_wall = facing * ((d - 0.45) / 0.55).clamp(0.0, 1.0);
                let floor = 34.0 + 40.0 * d * d + 120.0 * lit_wall;
                blend(image, x, y, [floor, floor, floor * 1.03], edge_px + 0.5);
            } else if d < 1.3 {
                let shadow = 0.18 * (1.3 - d) / 0.3;
                let pixel = image.get_pixel(
                    x.clamp(0, i64::from(image.width()) - 1) as u32,
                    y.clamp(0, i64::from(image.height()) - 1) as u32,
                );
                let darker = [
                    f32::from(pixel[0]) * (1.0 - shadow),
                    f32::from(pixel[1]) * (1.0 - shadow),
                    f32::from(pixel[2]) * (1.0 - shadow),
                ];
                blend(image, x, y, darker, 1.0);
            }
        }
    }
}
