//! What is on a face but is not a pore, and must not be called one: dust (bright or grey fuzzy
//! specks and fibres; dark specks only below 0.1 mm), scratches (long thin lines) and smudges
//! (coolant stains, fingerprints: large and faint). None of it is labelled.

use rand::Rng;
use rand::rngs::SmallRng;

use super::scene::SceneParams;

/// Adds `delta` × `weight` to a pixel if it is on the image.
fn add(image: &mut [f32], params: &SceneParams, x: i64, y: i64, factor: f32) {
    if x >= 0 && y >= 0 && x < i64::from(params.width_px) && y < i64::from(params.height_px) {
        let index = y as usize * params.width_px as usize + x as usize;
        image[index] *= factor;
    }
}

/// A soft round speck: multiplies by `1 + strength` at the centre, fading out.
fn speck(image: &mut [f32], params: &SceneParams, cx: f32, cy: f32, sigma_px: f32, strength: f32) {
    let reach = (3.0 * sigma_px).ceil() as i64 + 1;
    for y in cy as i64 - reach..=cy as i64 + reach {
        for x in cx as i64 - reach..=cx as i64 + reach {
            let d2 = (x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2);
            let weight = (-d2 / (2.0 * sigma_px * sigma_px)).exp();
            add(image, params, x, y, 1.0 + strength * weight);
        }
    }
}

/// A thin line along a gently curving path: multiplies by `1 + strength` on it.
fn stroke(
    image: &mut [f32],
    params: &SceneParams,
    rng: &mut SmallRng,
    length_px: f32,
    width_px: f32,
    strength: f32,
    wiggle: f32,
) {
    let (mut x, mut y) = (
        rng.gen_range(0.0..params.width_px as f32),
        rng.gen_range(0.0..params.height_px as f32),
    );
    let mut heading: f32 = rng.gen_range(0.0..std::f32::consts::TAU);
    let steps = (length_px / 0.5) as usize;
    let sigma = (width_px / 2.0).max(0.35);
    let mut visited = std::collections::HashSet::new();
    for _ in 0..steps {
        heading += rng.gen_range(-wiggle..=wiggle);
        x += 0.5 * heading.cos();
        y += 0.5 * heading.sin();
        let reach = (2.0 * sigma).ceil() as i64;
        for py in y as i64 - reach..=y as i64 + reach {
            for px in x as i64 - reach..=x as i64 + reach {
                // Each pixel once per stroke, at its distance from the path here.
                let d2 = (px as f32 + 0.5 - x).powi(2) + (py as f32 + 0.5 - y).powi(2);
                if d2 < sigma * sigma * 2.0 && visited.insert((px, py)) {
                    let weight = (-d2 / (2.0 * sigma * sigma)).exp();
                    add(image, params, px, py, 1.0 + strength * weight);
                }
            }
        }
    }
}

/// Counts of what was added, for the truth file.
pub struct Added {
    pub dust: u32,
    pub scratches: u32,
}

pub fn scatter(params: &SceneParams, rng: &mut SmallRng, image: &mut [f32]) -> Added {
    let px_per_mm = 1.0 / params.mm_per_px;
    for _ in 0..params.smudges {
        let cx = rng.gen_range(0.0..params.width_px as f32);
        let cy = rng.gen_range(0.0..params.height_px as f32);
        let sigma = rng.gen_range(2.0..6.0) * px_per_mm;
        speck(image, params, cx, cy, sigma, rng.gen_range(-0.08..0.06));
    }
    for _ in 0..params.dust {
        let cx = rng.gen_range(0.0..params.width_px as f32);
        let cy = rng.gen_range(0.0..params.height_px as f32);
        match rng.gen_range(0..10) {
            // Fibres and lint: thin, curly, bright or grey.
            0..=2 => {
                let length_px = rng.gen_range(0.5..3.0) * px_per_mm;
                let width_px = rng.gen_range(0.6..1.4);
                let strength = rng.gen_range(0.15..0.5);
                stroke(image, params, rng, length_px, width_px, strength, 0.25);
            }
            // Dark grit, always below 0.1 mm.
            3 => speck(
                image,
                params,
                cx,
                cy,
                (rng.gen_range(0.02..0.045) * px_per_mm).max(0.4),
                -rng.gen_range(0.1..0.35),
            ),
            // Bright or grey fuzzy specks.
            _ => speck(
                image,
                params,
                cx,
                cy,
                rng.gen_range(0.03..0.2) * px_per_mm,
                rng.gen_range(0.1..0.6),
            ),
        }
    }
    for _ in 0..params.scratches {
        let bright = rng.gen_bool(0.5);
        let strength = if bright {
            rng.gen_range(0.1..0.35)
        } else {
            -rng.gen_range(0.1..0.3)
        };
        let length_px = rng.gen_range(3.0..20.0) * px_per_mm;
        let width_px = rng.gen_range(0.6..1.6);
        stroke(image, params, rng, length_px, width_px, strength, 0.01);
    }
    Added {
        dust: params.dust,
        scratches: params.scratches,
    }
}
