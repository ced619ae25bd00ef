//! The demo's porosity cameras: a machined aluminium face from the porosity ground-truth
//! generator (`vision::synth`), the same generator the detector was trained and measured on,
//! so the demo's verdicts are the detector's real verdicts on honest images. Each camera
//! (seed) looks at its own surface family under its own light at 0.03 mm/px; each part has its
//! own pores (none on about half of them), dust and scratches.

use image::{Rgba, RgbaImage};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::camera::FrameSize;
use crate::vision::recipe::DEFAULT_MM_PER_PX;
use crate::vision::synth::{Face, Lighting, SceneParams, SurfaceFamily, Variety};

/// World is this much larger than the view on each axis, so the part can move.
const MARGIN_FRACTION: f32 = 0.06;

/// The camera's face: painted once per source, since it is the expensive per-pixel part.
pub(super) fn backdrop(view: FrameSize, seed: u64) -> Face {
    let width = (view.width_px as f32 * (1.0 + 2.0 * MARGIN_FRACTION)) as u32;
    let height = (view.height_px as f32 * (1.0 + 2.0 * MARGIN_FRACTION)) as u32;
    let (surface, lighting) = match seed % 4 {
        1 => (SurfaceFamily::Turned, Lighting::Ring),
        2 => (SurfaceFamily::Milled, Lighting::Coaxial),
        3 => (SurfaceFamily::FlyCut, Lighting::Dome),
        _ => (SurfaceFamily::Blasted, Lighting::LowAngle),
    };
    let variety = Variety {
        surfaces: vec![surface],
        lightings: vec![lighting],
        clean: false,
        width_px: width,
        height_px: height,
    };
    let params = SceneParams {
        mm_per_px: DEFAULT_MM_PER_PX,
        jpeg_quality: None,
        ..SceneParams::sample(seed.wrapping_mul(7_919), &variety)
    };
    Face::new(params)
}

/// One part on the camera's face, in colour (a slightly warm aluminium).
pub(super) fn render(face: &Face, seed: u64, part: u64) -> RgbaImage {
    let part_seed = seed.wrapping_mul(1_000_003).wrapping_add(part);
    let mut rng = SmallRng::seed_from_u64(part_seed);
    // About half the parts are good; the others have a few pores, now and then many.
    let pores = if rng.gen_bool(0.5) {
        0
    } else if rng.gen_bool(0.8) {
        rng.gen_range(1..=4)
    } else {
        rng.gen_range(5..=14)
    };
    let (grey, _) = face.part(part_seed, pores);
    RgbaImage::from_fn(grey.width(), grey.height(), |x, y| {
        let v = f32::from(grey.get_pixel(x, y)[0]);
        Rgba([(v * 0.99) as u8, v as u8, (v * 1.02).min(255.0) as u8, 255])
    })
}
