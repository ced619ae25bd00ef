//! The simulated sensor: reads a window of the world with a gain and adds noise drawn from a
//! precomputed table, as straight byte loops over runs of the world (vectorised), so four 1080p
//! streams at 30 fps leave the CPU to inspection. It writes into the
//! caller's buffer (a pooled one) and allocates nothing per frame.

use image::RgbaImage;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Noise entries a row may start at (a multiple of 4, so entries line up with channels).
const NOISE_LEN: usize = 1 << 16;
/// Longest row the sensor writes, in bytes (8192 px, the largest frame a spec allows).
const MAX_ROW_BYTES: usize = 8192 * 4;
/// Added to alpha: saturates it to 255 whatever the source and gain.
const ALPHA_FILL: i16 = 255;

pub(super) struct Sensor {
    /// Per byte of a row: noise for R, G, B and `ALPHA_FILL` for A, long enough that any start
    /// in `0..NOISE_LEN` has a whole row after it.
    noise: Vec<i16>,
    rng: SmallRng,
    /// Byte offset in a world row of each output column (reused every frame).
    columns: Vec<usize>,
    /// The same columns as runs of consecutive source pixels: (first output column, first
    /// source byte, pixels). The view is usually one run; clamped edges and a wrapping conveyor
    /// give a few more.
    runs: Vec<(usize, usize, usize)>,
}

impl Sensor {
    pub fn new(seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5eed_5e50);
        // Sum of four uniforms: close to Gaussian, sigma about 2.9 grey levels.
        let noise = (0..NOISE_LEN + MAX_ROW_BYTES)
            .map(|index| {
                if index % 4 == 3 {
                    ALPHA_FILL
                } else {
                    (0..4).map(|_| rng.gen_range(-5_i16..=5)).sum()
                }
            })
            .collect();
        Self {
            noise,
            rng,
            columns: Vec::new(),
            runs: Vec::new(),
        }
    }

    /// Fills `out` (every pixel) with the view whose top-left corner sits at (`x`, `y`) in
    /// `world`.
    pub fn expose_into(
        &mut self,
        world: &RgbaImage,
        x: i64,
        y: i64,
        wraps_x: bool,
        gain: f32,
        out: &mut RgbaImage,
    ) {
        let world_w = i64::from(world.width());
        let world_h = i64::from(world.height());
        self.columns.clear();
        self.columns.extend((0..i64::from(out.width())).map(|col| {
            let sx = x + col;
            let sx = if wraps_x {
                sx.rem_euclid(world_w)
            } else {
                sx.clamp(0, world_w - 1)
            };
            (sx as usize) * 4
        }));
        self.runs.clear();
        for (col, &sx) in self.columns.iter().enumerate() {
            match self.runs.last_mut() {
                Some((_, start, len)) if *start + *len * 4 == sx => *len += 1,
                _ => self.runs.push((col, sx, 1)),
            }
        }
        // 16-bit lanes (a u16 multiply exists in baseline x86-64 SIMD, a 32-bit one does not):
        // gain in 1/128ths keeps 255 × gain under 65 536 for gains up to 2.
        let gain_q7 = (gain.clamp(0.0, 2.0) * 128.0) as u16;
        let width = out.width() as usize;
        let row_bytes = (width * 4).min(MAX_ROW_BYTES);
        let world_raw = world.as_raw();
        for (row, out_row) in out.chunks_exact_mut(width * 4).enumerate() {
            let sy = (y + row as i64).clamp(0, world_h - 1) as usize;
            let src = &world_raw[sy * world_w as usize * 4..(sy + 1) * world_w as usize * 4];
            let start = self.rng.gen_range(0..NOISE_LEN / 4) * 4;
            let noise = &self.noise[start..start + row_bytes];
            for &(col, sx, len) in &self.runs {
                let bytes = col * 4..(col + len) * 4;
                // One straight loop over bytes: the compiler vectorises it.
                for ((value, &source), &grain) in out_row[bytes.clone()]
                    .iter_mut()
                    .zip(&src[sx..sx + len * 4])
                    .zip(&noise[bytes])
                {
                    *value =
                        ((((u16::from(source) * gain_q7) >> 7) as i16) + grain).clamp(0, 255) as u8;
                }
            }
        }
    }
}
