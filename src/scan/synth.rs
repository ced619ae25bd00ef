//! Laser marks on metal with known truth, for the decoder's tests and benchmark and for the
//! demo's bench camera: a QR code of a station UID burned into brushed metal, dark on a light
//! part or light on a dark (anodised) one, under a camera that is tilted, rotated, unevenly lit,
//! glared, out of focus and noisy. Tiers push one difficulty each to its hard end. Deterministic:
//! a mark is a function of its parameters, which are a function of a seed and a tier.

use image::GrayImage;
use imageproc::filter::gaussian_blur_f32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::transform::Perspective;
use crate::domain::EcLevel;
use crate::qr::{QUIET_ZONE_MODULES, QrError, QrSymbol};
use crate::vision::synth::{gaussian, jpeg_round_trip};

/// What one tier makes hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Dark marks, moderate everything.
    Normal,
    /// Light marks on dark metal.
    Inverted,
    /// Mark and ground a few grey levels apart.
    LowContrast,
    /// A specular highlight across the code.
    Glare,
    /// Strong perspective and any rotation.
    Tilt,
    /// Modules of 2–3 pixels.
    Small,
}

impl Tier {
    pub const ALL: [Tier; 6] = [
        Tier::Normal,
        Tier::Inverted,
        Tier::LowContrast,
        Tier::Glare,
        Tier::Tilt,
        Tier::Small,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Inverted => "inverted",
            Self::LowContrast => "low-contrast",
            Self::Glare => "glare",
            Self::Tilt => "tilt",
            Self::Small => "small",
        }
    }
}

/// Everything that decides a mark image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkParams {
    pub seed: u64,
    pub tier: Tier,
    pub payload: String,
    pub ec: EcLevel,
    pub width_px: u32,
    pub height_px: u32,
    /// Module size at the code's centre, in pixels.
    pub module_px: f32,
    pub rotation_deg: f32,
    /// How far each corner is pushed, as a share of the code's side (perspective).
    pub tilt: f32,
    /// Light marks on a dark ground.
    pub inverted: bool,
    /// Ground grey level (0–255) and the mark's difference from it.
    pub ground: f32,
    pub contrast: f32,
    /// Brushed-metal streak amplitude, grey levels.
    pub texture: f32,
    /// Peak of the specular highlight, grey levels (0: none).
    pub glare: f32,
    pub blur_px: f32,
    pub noise: f32,
    /// JPEG quality of the round trip, or none.
    pub jpeg_quality: Option<u8>,
}

impl MarkParams {
    /// The parameters of seed `seed` in `tier`, in a `width_px`×`height_px` frame.
    pub fn sample(seed: u64, tier: Tier, width_px: u32, height_px: u32) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5CA1_0000_0000 ^ tier as u64);
        let components = ["PAD", "BRK", "HSG", "VLV", "SHF", "CAP"];
        let payload = format!(
            "{}-V{:04}-L20{:02}-{:02}-{:05}",
            components[rng.gen_range(0..components.len())],
            rng.gen_range(1..10_000),
            rng.gen_range(24..28),
            rng.gen_range(1..13),
            rng.gen_range(1..100_000),
        );
        let ec = [EcLevel::M, EcLevel::M, EcLevel::Q, EcLevel::H][rng.gen_range(0..4)];
        let inverted = match tier {
            Tier::Inverted => true,
            Tier::Normal | Tier::Small => false,
            _ => rng.gen_bool(0.3),
        };
        let ground = if inverted {
            rng.gen_range(35.0..80.0)
        } else {
            rng.gen_range(140.0..210.0)
        };
        let contrast = match tier {
            Tier::LowContrast => rng.gen_range(12.0..28.0),
            _ => rng.gen_range(45.0..110.0),
        };
        Self {
            seed,
            tier,
            payload,
            ec,
            width_px,
            height_px,
            module_px: match tier {
                Tier::Small => rng.gen_range(2.0..3.0),
                _ => rng.gen_range(4.0..12.0),
            },
            rotation_deg: match tier {
                Tier::Tilt => rng.gen_range(0.0..360.0),
                _ => rng.gen_range(-20.0..20.0),
            },
            tilt: match tier {
                Tier::Tilt => rng.gen_range(0.08..0.18),
                _ => rng.gen_range(0.0..0.04),
            },
            inverted,
            ground,
            contrast,
            texture: rng.gen_range(3.0..14.0),
            glare: match tier {
                Tier::Glare => rng.gen_range(120.0..230.0),
                _ => 0.0,
            },
            blur_px: match tier {
                Tier::Small => rng.gen_range(0.3..0.7),
                _ => rng.gen_range(0.4..1.4),
            },
            noise: match tier {
                Tier::LowContrast => rng.gen_range(1.5..4.0),
                _ => rng.gen_range(2.0..7.0),
            },
            jpeg_quality: rng.gen_bool(0.3).then(|| rng.gen_range(70..95)),
        }
    }
}

/// A rendered mark and where its code is.
#[derive(Debug, Clone)]
pub struct Mark {
    pub image: GrayImage,
    pub params: MarkParams,
    /// Outer corners of the code (without quiet zone) in image pixels: top-left, top-right,
    /// bottom-right, bottom-left as the code reads.
    pub corners: [(f32, f32); 4],
    /// QR version of the code.
    pub version: u8,
}

/// Renders a mark.
pub fn render(params: &MarkParams) -> Result<Mark, QrError> {
    let symbol = QrSymbol::encode(&params.payload, params.ec)?;
    let modules = symbol.modules() as f32;
    let mut rng = SmallRng::seed_from_u64(params.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let (width, height) = (params.width_px as f32, params.height_px as f32);
    // The code's square (with quiet zone) centred somewhere it fits, rotated, then its corners
    // pushed for perspective.
    let side_px = modules * params.module_px;
    let quiet_px = QUIET_ZONE_MODULES as f32 * params.module_px;
    let reach = (side_px / 2.0 + quiet_px) * std::f32::consts::SQRT_2 * (1.0 + params.tilt);
    let centre = (
        sample_in(&mut rng, reach, width - reach),
        sample_in(&mut rng, reach, height - reach),
    );
    let (sin, cos) = params.rotation_deg.to_radians().sin_cos();
    let corners_modules = [
        (0.0, 0.0),
        (modules, 0.0),
        (modules, modules),
        (0.0, modules),
    ];
    let corners = corners_modules.map(|(mx, my)| {
        let (dx, dy) = (
            (mx - modules / 2.0) * params.module_px,
            (my - modules / 2.0) * params.module_px,
        );
        let push = params.tilt * side_px;
        (
            centre.0 + dx * cos - dy * sin + rng.gen_range(-push..=push),
            centre.1 + dx * sin + dy * cos + rng.gen_range(-push..=push),
        )
    });
    let to_modules =
        Perspective::between(corners, corners_modules).ok_or_else(|| QrError::Encode {
            payload: params.payload.clone(),
            reason: "degenerate perspective".into(),
        })?;
    // Brushing direction and a table of streak levels across it.
    let brush = rng.gen_range(0.0..std::f32::consts::PI);
    let (brush_sin, brush_cos) = brush.sin_cos();
    let streaks = streak_table(&mut rng, 4096);
    let light_slope = (rng.gen_range(-0.25..0.25), rng.gen_range(-0.25..0.25));
    let glare_centre = (
        centre.0 + rng.gen_range(-0.3..0.3) * side_px,
        centre.1 + rng.gen_range(-0.3..0.3) * side_px,
    );
    let glare_radius = side_px * rng.gen_range(0.15..0.35);
    let mark_sign = if params.inverted { 1.0 } else { -1.0 };
    let mut image = GrayImage::new(params.width_px, params.height_px);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
        // 2×2 supersampling of the mark's coverage.
        let mut covered = 0.0;
        for (ox, oy) in [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)] {
            let (mx, my) = to_modules.apply(fx + ox, fy + oy);
            if mx >= 0.0 && my >= 0.0 && symbol.is_dark(mx as usize, my as usize) {
                covered += 0.25;
            }
        }
        let across = fx * brush_cos + fy * brush_sin;
        let streak = streaks[(across.floor() as i64).rem_euclid(4096) as usize];
        let light = 1.0 + light_slope.0 * (fx / width - 0.5) + light_slope.1 * (fy / height - 0.5);
        let mut level = (params.ground + params.texture * streak) * light;
        // The burned area loses the brushing and varies with the laser's pulses.
        level += covered * (mark_sign * params.contrast - 0.6 * params.texture * streak);
        if params.glare > 0.0 {
            let d2 = (fx - glare_centre.0).powi(2) + (fy - glare_centre.1).powi(2);
            level += params.glare * (-d2 / (2.0 * glare_radius * glare_radius)).exp();
        }
        pixel.0[0] = level.clamp(0.0, 255.0) as u8;
    }
    let mut image = if params.blur_px > 0.05 {
        gaussian_blur_f32(&image, params.blur_px)
    } else {
        image
    };
    for pixel in image.pixels_mut() {
        let value = f32::from(pixel.0[0]) + params.noise * gaussian(&mut rng);
        pixel.0[0] = value.clamp(0.0, 255.0) as u8;
    }
    if let Some(quality) = params.jpeg_quality
        && let Some(decoded) = jpeg_round_trip(&image, quality)
    {
        image = decoded;
    }
    Ok(Mark {
        image,
        params: params.clone(),
        corners,
        version: ((symbol.modules() - 17) / 4) as u8,
    })
}

fn sample_in(rng: &mut SmallRng, low: f32, high: f32) -> f32 {
    if high > low {
        rng.gen_range(low..high)
    } else {
        (low + high) / 2.0
    }
}

/// Smoothed random levels in about −1..1: brushed metal seen across its grain.
fn streak_table(rng: &mut SmallRng, len: usize) -> Vec<f32> {
    let raw: Vec<f32> = (0..len).map(|_| gaussian(rng)).collect();
    (0..len)
        .map(|i| {
            let sum: f32 = (0..5).map(|k| raw[(i + k) % len]).sum();
            sum / 5.0_f32.sqrt() / 2.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mark() {
        let a = render(&MarkParams::sample(7, Tier::Normal, 320, 240)).unwrap();
        let b = render(&MarkParams::sample(7, Tier::Normal, 320, 240)).unwrap();
        assert_eq!(a.image, b.image);
        assert_eq!(a.params.payload, b.params.payload);
        let c = render(&MarkParams::sample(8, Tier::Normal, 320, 240)).unwrap();
        assert_ne!(a.params.payload, c.params.payload);
    }

    #[test]
    fn marks_are_darker_or_lighter_than_their_ground() {
        for (tier, darker) in [(Tier::Normal, true), (Tier::Inverted, false)] {
            let mark = render(&MarkParams::sample(3, tier, 400, 300)).unwrap();
            // The top-left finder's centre (3.5 modules in) is marked; far outside is ground.
            let transform = Perspective::between(
                [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
                mark.corners,
            )
            .unwrap();
            let modules = 17.0 + 4.0 * f32::from(mark.version);
            let (x, y) = transform.apply(3.5 / modules, 3.5 / modules);
            let (qx, qy) = transform.apply(-2.0 / modules, -2.0 / modules);
            let centre = f32::from(mark.image.get_pixel(x as u32, y as u32).0[0]);
            let quiet = f32::from(mark.image.get_pixel(qx as u32, qy as u32).0[0]);
            assert_eq!(
                centre < quiet,
                darker,
                "{tier:?}: centre {centre}, quiet {quiet}"
            );
        }
    }
}
