//! Pores: placed without touching, drawn as dark cavities shaded by the light (a lit far wall,
//! a bright or dark rim), and labelled pixel by pixel in the ground truth. The label of a pixel
//! is the pore whose outline holds the pixel's centre; everything the truth says about a pore is
//! measured from those labels, so the list and the mask always agree.

use rand::Rng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::scene::{Lighting, SceneParams};

/// Outline family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoreShape {
    Round,
    Elliptic,
    /// Shrinkage: a lobed, jagged outline.
    Irregular,
}

/// What the pore's edge looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rim {
    /// The edge catches the light.
    Bright,
    /// A shadow ring.
    Dark,
    None,
}

/// One pore to draw, in pixels.
#[derive(Debug, Clone)]
pub struct PoreSpec {
    pub cx: f32,
    pub cy: f32,
    /// Mean radius, px.
    pub radius_px: f32,
    pub aspect: f32,
    pub angle: f32,
    /// Harmonics (order, amplitude, phase) of an irregular outline.
    pub lobes: Vec<(f32, f32, f32)>,
    pub shape: PoreShape,
    pub rim: Rim,
    /// How dark the floor is, 0 (black) .. 1 (as the surface).
    pub floor: f32,
}

impl PoreSpec {
    /// The outline's radius towards `theta` (pore frame), px.
    fn radius_towards(&self, theta: f32) -> f32 {
        let lobes: f32 = self
            .lobes
            .iter()
            .map(|(order, amplitude, phase)| amplitude * (order * theta + phase).cos())
            .sum();
        let (s, c) = theta.sin_cos();
        // An ellipse of axes r·aspect and r/aspect... kept at the same area.
        let ellipse = self.radius_px
            / ((c / self.aspect.sqrt()).powi(2) + (s * self.aspect.sqrt()).powi(2)).sqrt();
        ellipse * (1.0 + lobes)
    }

    /// The farthest the outline reaches from the centre, px.
    pub fn reach_px(&self) -> f32 {
        let lobes: f32 = self.lobes.iter().map(|(_, a, _)| a.abs()).sum();
        self.radius_px * self.aspect.sqrt() * (1.0 + lobes)
    }

    /// Where (x, y) sits: ρ / r(θ) (below 1 inside) and the unit direction from the centre.
    fn relative(&self, x: f32, y: f32) -> (f32, (f32, f32)) {
        let (dx, dy) = (x - self.cx, y - self.cy);
        let rho = dx.hypot(dy);
        let (s, c) = self.angle.sin_cos();
        let (u, v) = (dx * c + dy * s, -dx * s + dy * c);
        let theta = v.atan2(u);
        let r = self.radius_towards(theta).max(0.3);
        let direction = if rho > 0.0 {
            (dx / rho, dy / rho)
        } else {
            (0.0, 0.0)
        };
        (rho / r, direction)
    }
}

/// Equivalent diameter in mm, skewed small: most 0.15–0.8 mm, about one in ten above 1 mm.
fn sample_diameter_mm(rng: &mut SmallRng, min_mm: f32) -> f32 {
    let d = if rng.gen_bool(0.1) {
        rng.gen_range(1.0..3.0)
    } else {
        // Log-normal around 0.35 mm.
        let normal: f32 = (0..6).map(|_| rng.r#gen::<f32>()).sum::<f32>() - 3.0;
        (0.35_f32.ln() + 0.55 * normal).exp()
    };
    d.clamp(min_mm, 3.0)
}

fn sample_spec(rng: &mut SmallRng, params: &SceneParams, cx: f32, cy: f32) -> PoreSpec {
    // Below 2.5 px across a pore has no reliable pixel of its own.
    let min_mm = (0.1_f32).max(2.5 * params.mm_per_px);
    let diameter_mm = sample_diameter_mm(rng, min_mm);
    let radius_px = diameter_mm / params.mm_per_px / 2.0;
    let shape = match rng.gen_range(0..10) {
        0..=3 => PoreShape::Round,
        4..=6 => PoreShape::Elliptic,
        _ => PoreShape::Irregular,
    };
    let aspect = match shape {
        PoreShape::Round => rng.gen_range(1.0..1.15),
        PoreShape::Elliptic => rng.gen_range(1.2..2.0),
        PoreShape::Irregular => rng.gen_range(1.0..1.5),
    };
    let lobes = if shape == PoreShape::Irregular {
        (0..rng.gen_range(2..5))
            .map(|_| {
                (
                    rng.gen_range(2..7) as f32,
                    rng.gen_range(0.04..0.14),
                    rng.gen_range(0.0..std::f32::consts::TAU),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let rim = match rng.gen_range(0..10) {
        0..=4 => Rim::Bright,
        5..=7 => Rim::Dark,
        _ => Rim::None,
    };
    // Mostly deep and dark; some faint (but still a visible pit).
    let floor = if rng.gen_bool(0.15) {
        rng.gen_range(0.5..0.68)
    } else {
        rng.gen_range(0.12..0.5)
    };
    PoreSpec {
        cx,
        cy,
        radius_px,
        aspect,
        angle: rng.gen_range(0.0..std::f32::consts::PI),
        lobes,
        shape,
        rim,
        floor,
    }
}

/// Gap kept between two pores' reach, px (the rims must not merge the masks either).
const GAP_PX: f32 = 4.0;

/// Places up to `params.pore_count` pores inside the image without touching each other.
pub fn place(params: &SceneParams, rng: &mut SmallRng) -> Vec<PoreSpec> {
    let (w, h) = (params.width_px as f32, params.height_px as f32);
    let mut placed: Vec<PoreSpec> = Vec::new();
    let cluster = params.clustered.then(|| {
        (
            rng.gen_range(0.2..0.8) * w,
            rng.gen_range(0.2..0.8) * h,
            rng.gen_range(2.0..4.0) / params.mm_per_px,
            rng.gen_range(3..=6_u32),
        )
    });
    for index in 0..params.pore_count {
        for _attempt in 0..30 {
            let (cx, cy) = match cluster {
                Some((x, y, spread, size)) if index < size => (
                    x + rng.gen_range(-spread..spread),
                    y + rng.gen_range(-spread..spread),
                ),
                _ => (rng.gen_range(0.0..w), rng.gen_range(0.0..h)),
            };
            let spec = sample_spec(rng, params, cx, cy);
            let reach = spec.reach_px() * 1.35 + 2.0;
            let inside =
                cx - reach >= 0.0 && cy - reach >= 0.0 && cx + reach <= w && cy + reach <= h;
            let clear = placed.iter().all(|other| {
                (other.cx - cx).hypot(other.cy - cy)
                    > reach + other.reach_px() * 1.35 + 2.0 + GAP_PX
            });
            if inside && clear {
                placed.push(spec);
                break;
            }
        }
    }
    placed
}

/// Draws `pore` into `image` and labels its pixels `label` in `labels`.
pub fn draw(
    pore: &PoreSpec,
    label: u16,
    params: &SceneParams,
    image: &mut [f32],
    labels: &mut [u16],
) {
    let width = params.width_px as usize;
    let reach = pore.reach_px() * 1.35 + 2.0;
    let x0 = (pore.cx - reach).floor().max(0.0) as usize;
    let y0 = (pore.cy - reach).floor().max(0.0) as usize;
    let x1 = ((pore.cx + reach).ceil() as usize).min(width - 1);
    let y1 = ((pore.cy + reach).ceil() as usize).min(params.height_px as usize - 1);
    let (lx, ly) = (params.light_angle.cos(), params.light_angle.sin());
    // Under a low light the far wall is brightly lit; under a dome barely.
    let wall_light = match params.lighting {
        Lighting::LowAngle => 1.3,
        Lighting::Ring => 0.7,
        Lighting::Coaxial => 0.25,
        Lighting::Dome => 0.35,
    };
    let rim_width = (pore.radius_px * 0.25).clamp(0.8, 4.0);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let index = y * width + x;
            let (xc, yc) = (x as f32 + 0.5, y as f32 + 0.5);
            let (d_centre, direction) = pore.relative(xc, yc);
            if d_centre < 1.0 {
                labels[index] = label;
            }
            // Coverage of the opening from 4 × 4 sub-samples near the outline.
            let coverage = if (d_centre - 1.0).abs() * pore.radius_px > 1.5 {
                if d_centre < 1.0 { 1.0 } else { 0.0 }
            } else {
                let mut inside = 0;
                for sy in 0..4 {
                    for sx in 0..4 {
                        let (d, _) = pore.relative(
                            x as f32 + (sx as f32 + 0.5) / 4.0,
                            y as f32 + (sy as f32 + 0.5) / 4.0,
                        );
                        inside += usize::from(d < 1.0);
                    }
                }
                inside as f32 / 16.0
            };
            let surface = image[index];
            // The far wall faces the light: the side of the pore away from where light comes.
            let facing = (-(direction.0 * lx + direction.1 * ly)).max(0.0);
            let wall = wall_light * facing * ((d_centre - 0.45) / 0.55).clamp(0.0, 1.0);
            let floor = surface * (pore.floor + 0.25 * d_centre * d_centre).min(0.95);
            let inside_value = (floor + surface * wall * 0.6).min(surface * 1.25);
            let outside_value = {
                let t = (d_centre - 1.0) * pore.radius_px / rim_width;
                if (0.0..1.0).contains(&t) {
                    let strength = 1.0 - t;
                    match pore.rim {
                        Rim::Bright => surface * (1.0 + 0.35 * strength),
                        Rim::Dark => surface * (1.0 - 0.25 * strength),
                        Rim::None => surface,
                    }
                } else {
                    surface
                }
            };
            image[index] = coverage * inside_value + (1.0 - coverage) * outside_value;
        }
    }
}
