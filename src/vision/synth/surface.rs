//! The machined face under its light, before pores and distractors: tool marks of the surface
//! family, large-scale waviness and reflectance variation, times the lighting's illumination.
//! Writes grey levels into a float buffer, one pass, no allocation per pixel.

use rand::Rng;
use rand::rngs::SmallRng;

use super::scene::{Lighting, SceneParams, SurfaceFamily};
use crate::camera::synthetic::texture::{fbm, grain, value_noise};

/// How strongly each lighting shows the texture (a low light rakes across tool marks, a dome
/// hides them).
fn texture_gain(lighting: Lighting) -> f32 {
    match lighting {
        Lighting::LowAngle => 1.6,
        Lighting::Ring => 1.0,
        Lighting::Coaxial => 0.7,
        Lighting::Dome => 0.45,
    }
}

/// Tool-mark geometry drawn once per scene.
struct Marks {
    family: SurfaceFamily,
    period_px: f32,
    /// Lathe or cutter centre, px.
    centre: (f32, f32),
    /// Cutter radius, px (milled, fly-cut).
    cutter_px: f32,
    /// Direction of feed (unit vector) and pass width across it, px.
    feed: (f32, f32),
    pass_px: f32,
    noise_seed: u32,
}

impl Marks {
    fn new(params: &SceneParams, rng: &mut SmallRng) -> Self {
        let (w, h) = (params.width_px as f32, params.height_px as f32);
        let period_px = (params.mark_period_mm / params.mm_per_px).max(1.6);
        let angle: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
        let (centre, cutter_px, pass_px) = match params.surface {
            SurfaceFamily::Turned => {
                // The lathe's axis is off the image, so the rings are gently curved.
                let reach = rng.gen_range(1.2..4.0) * w.max(h);
                (
                    (w / 2.0 + reach * angle.cos(), h / 2.0 + reach * angle.sin()),
                    0.0,
                    0.0,
                )
            }
            SurfaceFamily::Milled => {
                let cutter = rng.gen_range(8.0..25.0) / params.mm_per_px;
                (
                    (rng.gen_range(0.0..w), rng.gen_range(0.0..h)),
                    cutter,
                    cutter * 1.4,
                )
            }
            SurfaceFamily::FlyCut => {
                let cutter = rng.gen_range(40.0..120.0) / params.mm_per_px;
                (
                    (rng.gen_range(0.0..w), rng.gen_range(0.0..h)),
                    cutter,
                    cutter * 1.8,
                )
            }
            SurfaceFamily::Blasted => ((0.0, 0.0), 0.0, 0.0),
        };
        Self {
            family: params.surface,
            period_px,
            centre,
            cutter_px,
            feed: (angle.cos(), angle.sin()),
            pass_px,
            noise_seed: rng.r#gen(),
        }
    }

    /// Tool-mark relief at (x, y) in about [-1, 1], plus a per-pass brightness step.
    fn at(&self, x: f32, y: f32) -> f32 {
        let wander = value_noise(x / 60.0, y / 60.0, self.noise_seed) * 0.8;
        match self.family {
            SurfaceFamily::Turned => {
                let r = (x - self.centre.0).hypot(y - self.centre.1) + wander;
                let phase = r / self.period_px * std::f32::consts::TAU;
                0.7 * phase.sin() + 0.3 * (2.0 * phase).sin()
            }
            SurfaceFamily::Milled | SurfaceFamily::FlyCut => {
                // Coordinates along the feed (u) and across it (v).
                let (dx, dy) = (x - self.centre.0, y - self.centre.1);
                let u = dx * self.feed.0 + dy * self.feed.1;
                let v = -dx * self.feed.1 + dy * self.feed.0;
                let pass = (v / self.pass_px).round();
                let v_in_pass = v - pass * self.pass_px;
                // Each tooth leaves an arc: u shifted by the sagitta of the cutter at v.
                let r = self.cutter_px;
                let sag = r - (r * r - v_in_pass.min(r * 0.99).powi(2)).max(0.0).sqrt();
                let phase = (u + sag + wander) / self.period_px * std::f32::consts::TAU;
                let step = 0.35 * (grain(pass as i32, 0, self.noise_seed) * 0.5);
                0.75 * phase.sin() + 0.25 * (3.0 * phase).sin() + step
            }
            SurfaceFamily::Blasted => 0.0,
        }
    }
}

/// The illumination at (x, y) for a `w × h` image, about 1 in the middle.
fn illumination(lighting: Lighting, x: f32, y: f32, w: f32, h: f32, angle: f32) -> f32 {
    let (nx, ny) = (x / w - 0.5, y / h - 0.5);
    match lighting {
        Lighting::Ring => 1.08 - 0.6 * (nx * nx + ny * ny),
        Lighting::Coaxial => {
            1.05 - 0.15 * (nx * nx + ny * ny) + 0.08 * (-(nx * nx + ny * ny) * 20.0).exp()
        }
        Lighting::LowAngle => 1.0 + 0.35 * (nx * angle.cos() + ny * angle.sin()) * 2.0,
        Lighting::Dome => 1.0 - 0.08 * (nx * nx + ny * ny),
    }
}

/// Fills `out` (row-major, `width_px × height_px`) with the lit face.
pub fn paint(params: &SceneParams, rng: &mut SmallRng, out: &mut [f32]) {
    let marks = Marks::new(params, rng);
    let (w, h) = (params.width_px as f32, params.height_px as f32);
    let gain = texture_gain(params.lighting);
    let seed: u32 = rng.r#gen();
    let blasted = params.surface == SurfaceFamily::Blasted;
    // Features sized in mm, converted to px.
    let wave_px = 6.0 / params.mm_per_px;
    let cloud_px = 1.5 / params.mm_per_px;
    let speck_px = (0.06 / params.mm_per_px).max(1.0);
    for (index, value) in out.iter_mut().enumerate() {
        let x = (index % params.width_px as usize) as f32 + 0.5;
        let y = (index / params.width_px as usize) as f32 + 0.5;
        let waviness = fbm(x / wave_px, y / wave_px, 3, seed);
        let cloud = fbm(x / cloud_px, y / cloud_px, 3, seed ^ 0x55);
        let fine = grain(x as i32, y as i32, seed ^ 0x99);
        let texture = if blasted {
            // Matte: craters a few hundredths of a mm across, no direction.
            let speck = value_noise(x / speck_px, y / speck_px, seed ^ 0x33);
            params.mark_contrast * (0.9 * speck + 0.4 * fine)
        } else {
            params.mark_contrast * marks.at(x, y) + 2.0 * fine
        };
        let base = params.brightness + 12.0 * waviness + 6.0 * cloud + gain * texture;
        *value = base * illumination(params.lighting, x, y, w, h, params.light_angle);
    }
}
