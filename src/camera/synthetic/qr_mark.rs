//! A steel part carrying a laser-etched QR mark: brushed metal, a laser-cleaned quiet zone and
//! dark annealed modules with soft edges. The mark encodes a unit id, new for every part.

use image::RgbaImage;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::texture::{blend, fbm, grain, paint, qr_modules, value_noise};
use crate::camera::{CameraError, FrameSize};

const MARGIN_FRACTION: f32 = 0.1;

/// Brushed steel with a soft light gradient, the same for every part of a source.
pub(super) fn backdrop(view: FrameSize, seed: u64) -> RgbaImage {
    let width = (view.width_px as f32 * (1.0 + 2.0 * MARGIN_FRACTION)) as u32;
    let height = (view.height_px as f32 * (1.0 + 2.0 * MARGIN_FRACTION)) as u32;
    let (w, h) = (width as f32, height as f32);
    let scale = view.height_px as f32 / 720.0;
    let noise_seed = SmallRng::seed_from_u64(seed ^ 0x9e37).r#gen::<u32>();
    let mut image = RgbaImage::new(width, height);
    // Noise stretched along the brushing direction.
    paint(&mut image, |x, y| {
        let brushed = value_noise(x / (240.0 * scale), y / (1.6 * scale), noise_seed);
        let cloud = fbm(
            x / (160.0 * scale),
            y / (160.0 * scale),
            3,
            noise_seed ^ 0x33,
        );
        let light = 1.0 - 0.35 * ((x / w - 0.4).powi(2) + (y / h - 0.45).powi(2));
        let v =
            (128.0 + 14.0 * brushed + 9.0 * cloud + 3.0 * grain(x as i32, y as i32, noise_seed))
                * light;
        [v, v * 1.01, v * 1.04]
    });
    image
}

/// One part: the steel with this part's unit id etched as a QR code.
pub(super) fn render(
    backdrop: &RgbaImage,
    view: FrameSize,
    seed: u64,
    part: u64,
) -> Result<RgbaImage, CameraError> {
    let mut image = backdrop.clone();
    let (w, h) = (image.width() as f32, image.height() as f32);
    let mut rng = SmallRng::seed_from_u64(seed.wrapping_mul(104_729).wrapping_add(part));
    let noise_seed = rng.r#gen::<u32>();
    let uid = format!("QC-UID-{:08}", (seed % 1000) * 100_000 + 184 + part);
    let modules = qr_modules(&uid).map_err(|reason| CameraError::Synthetic {
        scene: "qr",
        reason,
    })?;
    let count = modules.len() as f32;
    let module_px = (0.36 * view.height_px as f32 / count).max(2.0);
    let quiet = 3.0 * module_px;
    let side = count * module_px;
    let (x0, y0) = (
        w / 2.0 - side / 2.0 + rng.gen_range(-0.1..0.1) * w,
        h / 2.0 - side / 2.0,
    );
    // Laser-cleaned quiet zone, a little brighter than the part.
    for y in (y0 - quiet) as i64..(y0 + side + quiet) as i64 {
        for x in (x0 - quiet) as i64..(x0 + side + quiet) as i64 {
            let v = 168.0 + 6.0 * grain(x as i32, y as i32, noise_seed ^ 9);
            blend(&mut image, x, y, [v, v, v * 1.02], 0.85);
        }
    }
    // Modules with edges blurred over about a fifth of a module, as a laser spot leaves them.
    let soft = (module_px * 0.2).max(0.7);
    for y in y0 as i64 - 1..(y0 + side) as i64 + 1 {
        for x in x0 as i64 - 1..(x0 + side) as i64 + 1 {
            let mx = (x as f32 + 0.5 - x0) / module_px;
            let my = (y as f32 + 0.5 - y0) / module_px;
            let darkness = module_darkness(&modules, mx, my, soft / module_px);
            if darkness > 0.0 {
                let v = 38.0 + 10.0 * grain(x as i32, y as i32, noise_seed ^ 5);
                blend(&mut image, x, y, [v * 1.05, v, v * 0.95], darkness * 0.92);
            }
        }
    }
    Ok(image)
}

/// Coverage of dark modules around module-space point (mx, my), blurred by `soft` modules.
fn module_darkness(modules: &[Vec<bool>], mx: f32, my: f32, soft: f32) -> f32 {
    let dark_at = |x: f32, y: f32| -> f32 {
        if x < 0.0 || y < 0.0 {
            return 0.0;
        }
        let (col, row) = (x as usize, y as usize);
        match modules.get(row).and_then(|line| line.get(col)) {
            Some(true) => 1.0,
            _ => 0.0,
        }
    };
    let taps = [-soft, 0.0, soft];
    let mut sum = 0.0;
    for dy in taps {
        for dx in taps {
            sum += dark_at(mx + dx, my + dy);
        }
    }
    sum / 9.0
}
