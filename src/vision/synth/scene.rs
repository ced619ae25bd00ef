//! What one generated scene is: surface family, lighting, scale, pores wanted, distractors and
//! optics, sampled reproducibly from a seed within the variety asked for. Rendering is elsewhere.

use std::fmt;
use std::str::FromStr;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// How the face was machined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SurfaceFamily {
    /// Concentric rings of a lathe.
    Turned,
    /// Overlapping arcs of a face mill, pass after pass.
    Milled,
    /// One wide sweeping arc per revolution of a fly cutter.
    FlyCut,
    /// Matte isotropic speckle of shot or bead blasting.
    Blasted,
}

/// How the camera's light falls on the face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lighting {
    Ring,
    Coaxial,
    LowAngle,
    Dome,
}

macro_rules! named {
    ($ty:ident, $what:literal, $($variant:ident => $name:literal),+) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown {} {text:?}: write one of {}", $what, names.join(", "))
                })
            }
        }
    };
}

named!(SurfaceFamily, "surface", Turned => "turned", Milled => "milled", FlyCut => "fly_cut", Blasted => "blasted");
named!(Lighting, "lighting", Ring => "ring", Coaxial => "coaxial", LowAngle => "low_angle", Dome => "dome");

/// The range of scenes to sample from.
#[derive(Debug, Clone, PartialEq)]
pub struct Variety {
    pub surfaces: Vec<SurfaceFamily>,
    pub lightings: Vec<Lighting>,
    /// No pores at all (distractors only).
    pub clean: bool,
    pub width_px: u32,
    pub height_px: u32,
}

impl Variety {
    /// Every family and lighting at `width_px × height_px`.
    pub fn all(width_px: u32, height_px: u32) -> Self {
        Self {
            surfaces: SurfaceFamily::ALL.to_vec(),
            lightings: Lighting::ALL.to_vec(),
            clean: false,
            width_px,
            height_px,
        }
    }
}

/// Everything that defines one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneParams {
    pub seed: u64,
    pub width_px: u32,
    pub height_px: u32,
    pub mm_per_px: f32,
    pub surface: SurfaceFamily,
    pub lighting: Lighting,
    /// Pores asked for (fewer are placed when they do not fit).
    pub pore_count: u32,
    /// Some pores gathered in one place, as gas porosity tends to be.
    pub clustered: bool,
    /// Tool-mark period in mm and its contrast (grey levels).
    pub mark_period_mm: f32,
    pub mark_contrast: f32,
    /// Mean grey level of the face.
    pub brightness: f32,
    /// Direction the light comes from, radians (image x right, y down).
    pub light_angle: f32,
    pub dust: u32,
    pub scratches: u32,
    pub smudges: u32,
    pub blur_sigma_px: f32,
    /// Read noise in grey levels (shot noise scales with the signal on top).
    pub noise: f32,
    pub jpeg_quality: Option<u8>,
}

impl SceneParams {
    /// The scene of `seed` within `variety`: the same seed always gives the same scene.
    pub fn sample(seed: u64, variety: &Variety) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x05ee_d0f5_ce7e);
        let surfaces = if variety.surfaces.is_empty() {
            SurfaceFamily::ALL
        } else {
            &variety.surfaces[..]
        };
        let lightings = if variety.lightings.is_empty() {
            Lighting::ALL
        } else {
            &variety.lightings[..]
        };
        let surface = surfaces[rng.gen_range(0..surfaces.len())];
        let lighting = lightings[rng.gen_range(0..lightings.len())];
        let pore_count = if variety.clean || rng.gen_bool(0.15) {
            0
        } else {
            rng.gen_range(1..=20)
        };
        let (dust, scratches) = if variety.clean {
            (rng.gen_range(5..40), rng.gen_range(1..6))
        } else {
            (rng.gen_range(0..25), rng.gen_range(0..4))
        };
        Self {
            seed,
            width_px: variety.width_px,
            height_px: variety.height_px,
            mm_per_px: rng.gen_range(0.02..0.05),
            surface,
            lighting,
            pore_count,
            clustered: rng.gen_bool(0.3),
            mark_period_mm: rng.gen_range(0.08..0.4),
            mark_contrast: rng.gen_range(3.0..16.0),
            brightness: rng.gen_range(110.0..190.0),
            light_angle: rng.gen_range(0.0..std::f32::consts::TAU),
            dust,
            scratches,
            smudges: rng.gen_range(0..3),
            blur_sigma_px: rng.gen_range(0.0..1.2),
            noise: rng.gen_range(0.8..4.0),
            jpeg_quality: rng.gen_bool(0.3).then(|| rng.gen_range(70..=95)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_list_the_choices() {
        for surface in SurfaceFamily::ALL {
            assert_eq!(surface.as_str().parse::<SurfaceFamily>(), Ok(*surface));
        }
        let err = "knurled".parse::<SurfaceFamily>().unwrap_err();
        assert_eq!(
            err,
            "unknown surface \"knurled\": write one of turned, milled, fly_cut, blasted"
        );
        assert_eq!(
            serde_json::to_string(&Lighting::LowAngle).unwrap(),
            "\"low_angle\""
        );
    }

    #[test]
    fn sampling_is_reproducible_and_stays_in_the_variety() {
        let variety = Variety {
            surfaces: vec![SurfaceFamily::Milled],
            lightings: vec![Lighting::Dome, Lighting::Ring],
            clean: false,
            width_px: 320,
            height_px: 240,
        };
        assert_eq!(
            SceneParams::sample(7, &variety),
            SceneParams::sample(7, &variety)
        );
        for seed in 0..50 {
            let params = SceneParams::sample(seed, &variety);
            assert_eq!(params.surface, SurfaceFamily::Milled);
            assert!(matches!(params.lighting, Lighting::Dome | Lighting::Ring));
            assert!((0.02..0.05).contains(&params.mm_per_px));
        }
        let clean = Variety {
            clean: true,
            ..variety
        };
        assert!((0..20).all(|seed| SceneParams::sample(seed, &clean).pore_count == 0));
    }
}
