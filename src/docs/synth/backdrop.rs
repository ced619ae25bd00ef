//! The product a label is stuck on, as the camera frames it: a circuit board (green solder mask
//! with copper traces, pads, chips and white silkscreen reference designators) or an anodised
//! housing (grey or black, brushed, with screw heads). Surfaces only; the label and the camera's
//! effects are `label`'s and `optics`'.

use ab_glyph::FontRef;
use image::{Rgb, RgbImage};
use rand::Rng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::text::{Coverage, draw, scale_for_cap};

/// What the label is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    PcbGreen,
    AnodisedGrey,
    AnodisedBlack,
}

impl Surface {
    pub const ALL: [Self; 3] = [Self::PcbGreen, Self::AnodisedGrey, Self::AnodisedBlack];
}

/// Smooth value noise in about [-1, 1]: a hashed lattice with smoothstep interpolation.
pub(super) fn value_noise(x: f32, y: f32, salt: u32) -> f32 {
    let hash = |ix: i32, iy: i32| -> f32 {
        let mut h = (ix as u32).wrapping_mul(0x27d4_eb2d)
            ^ (iy as u32).wrapping_mul(0x1656_67b1)
            ^ salt.wrapping_mul(0x9e37_79b9);
        h ^= h >> 15;
        h = h.wrapping_mul(0x2c1b_3c6d);
        h ^= h >> 12;
        (h & 0xffff) as f32 / 32_767.5 - 1.0
    };
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (sx, sy) = (fx * fx * (3.0 - 2.0 * fx), fy * fy * (3.0 - 2.0 * fy));
    let (ix, iy) = (x0 as i32, y0 as i32);
    let top = hash(ix, iy) + (hash(ix + 1, iy) - hash(ix, iy)) * sx;
    let bottom = hash(ix, iy + 1) + (hash(ix + 1, iy + 1) - hash(ix, iy + 1)) * sx;
    top + (bottom - top) * sy
}

fn fill_rect(image: &mut RgbImage, x0: f32, y0: f32, x1: f32, y1: f32, color: [f32; 3]) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (xa, xb) = (x0.max(0.0) as u32, x1.min(w).max(0.0) as u32);
    let (ya, yb) = (y0.max(0.0) as u32, y1.min(h).max(0.0) as u32);
    for y in ya..yb {
        for x in xa..xb {
            image.put_pixel(x, y, to_rgb(color));
        }
    }
}

fn fill_disc(image: &mut RgbImage, cx: f32, cy: f32, radius: f32, color: [f32; 3]) {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let r = radius.ceil() as i64 + 1;
    for y in (cy as i64 - r).max(0)..(cy as i64 + r).min(h) {
        for x in (cx as i64 - r).max(0)..(cx as i64 + r).min(w) {
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            let cover = (radius - d + 0.5).clamp(0.0, 1.0);
            if cover > 0.0 {
                let pixel = image.get_pixel_mut(x as u32, y as u32);
                for (channel, target) in pixel.0.iter_mut().zip(color) {
                    *channel = (f32::from(*channel) * (1.0 - cover) + target * cover).round() as u8;
                }
            }
        }
    }
}

fn to_rgb(color: [f32; 3]) -> Rgb<u8> {
    Rgb(color.map(|c| c.round().clamp(0.0, 255.0) as u8))
}

/// The surface at `width`×`height`, its features sized in millimetres at `px_per_mm` so
/// they keep their size relative to the label's text.
pub(super) fn paint(
    surface: Surface,
    rng: &mut SmallRng,
    width: u32,
    height: u32,
    px_per_mm: f32,
    silkscreen: &FontRef<'_>,
) -> RgbImage {
    match surface {
        Surface::PcbGreen => circuit_board(rng, width, height, px_per_mm, silkscreen),
        Surface::AnodisedGrey => {
            let base = rng.gen_range(118.0..150.0);
            anodised(rng, width, height, px_per_mm, base)
        }
        Surface::AnodisedBlack => {
            let base = rng.gen_range(36.0..54.0);
            anodised(rng, width, height, px_per_mm, base)
        }
    }
}

fn circuit_board(
    rng: &mut SmallRng,
    width: u32,
    height: u32,
    px_per_mm: f32,
    silkscreen: &FontRef<'_>,
) -> RgbImage {
    let mm = px_per_mm;
    let salt = rng.r#gen::<u32>();
    let tint = rng.gen_range(-8.0..8.0_f32);
    let mut image = RgbImage::from_fn(width, height, |x, y| {
        let v = value_noise(x as f32 / (15.0 * mm), y as f32 / (15.0 * mm), salt);
        to_rgb([18.0 + 4.0 * v, 92.0 + tint + 10.0 * v, 50.0 + 6.0 * v])
    });
    let (w, h) = (width as f32, height as f32);
    let area_mm2 = w * h / (mm * mm);
    // Copper traces under the mask: orthogonal runs, a lighter green, with vias at the ends.
    let trace = [36.0, 122.0 + tint, 64.0];
    for _ in 0..(area_mm2 / 30.0).min(600.0) as u32 {
        let (mut x, mut y) = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
        let thickness = rng.gen_range(0.2..0.5) * mm;
        for _ in 0..rng.gen_range(1..4) {
            let length = rng.gen_range(2.0..15.0) * mm * if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
            if rng.gen_bool(0.5) {
                fill_rect(
                    &mut image,
                    x.min(x + length),
                    y,
                    x.max(x + length),
                    y + thickness,
                    trace,
                );
                x += length;
            } else {
                fill_rect(
                    &mut image,
                    x,
                    y.min(y + length),
                    x + thickness,
                    y.max(y + length),
                    trace,
                );
                y += length;
            }
        }
        if rng.gen_bool(0.4) {
            fill_disc(&mut image, x, y, 0.35 * mm, [180.0, 160.0, 100.0]);
            fill_disc(&mut image, x, y, 0.15 * mm, [20.0, 20.0, 22.0]);
        }
    }
    // 0603 passives: tinned end caps around a black or beige body; chips, placed after,
    // cover any that land under them.
    for _ in 0..(area_mm2 / 25.0).min(300.0) as u32 {
        let (x, y) = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
        let (long, short) = (1.6 * mm, 0.8 * mm);
        let body = if rng.gen_bool(0.5) {
            [40.0, 36.0, 32.0]
        } else {
            [168.0, 146.0, 100.0]
        };
        let pad = [200.0, 196.0, 180.0];
        if rng.gen_bool(0.5) {
            fill_rect(&mut image, x, y, x + long, y + short, pad);
            fill_rect(
                &mut image,
                x + 0.3 * long,
                y,
                x + 0.7 * long,
                y + short,
                body,
            );
        } else {
            fill_rect(&mut image, x, y, x + short, y + long, pad);
            fill_rect(
                &mut image,
                x,
                y + 0.3 * long,
                x + short,
                y + 0.7 * long,
                body,
            );
        }
    }
    // Chips with gull-wing pins on two sides.
    for _ in 0..(area_mm2 / 400.0).clamp(1.0, 20.0) as u32 {
        let (x, y) = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
        let (cw, ch) = (rng.gen_range(4.0..12.0) * mm, rng.gen_range(4.0..12.0) * mm);
        let pin = [186.0, 186.0, 180.0];
        let pitch = 0.65 * mm;
        let mut px = x + pitch;
        while px < x + cw - pitch {
            fill_rect(&mut image, px, y - mm, px + 0.3 * mm, y, pin);
            fill_rect(&mut image, px, y + ch, px + 0.3 * mm, y + ch + mm, pin);
            px += pitch;
        }
        let body = rng.gen_range(22.0..36.0);
        fill_rect(&mut image, x, y, x + cw, y + ch, [body, body, body + 2.0]);
        fill_disc(
            &mut image,
            x + 0.8 * mm,
            y + 0.8 * mm,
            0.3 * mm,
            [body + 25.0; 3],
        );
    }
    // A mounting hole with a plated ring.
    if rng.gen_bool(0.5) {
        let (x, y) = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
        fill_disc(&mut image, x, y, 2.6 * mm, [196.0, 168.0, 96.0]);
        fill_disc(&mut image, x, y, 1.6 * mm, [24.0, 24.0, 26.0]);
    }
    // Silkscreen reference designators: text a reader must learn to ignore.
    let font_scale = scale_for_cap(silkscreen, (1.0 * mm).max(6.0));
    let mut ink = Coverage::new(width, height);
    for _ in 0..(area_mm2 / 150.0).clamp(2.0, 40.0) as u32 {
        let text = format!(
            "{}{}",
            ["R", "C", "U", "L", "D", "J", "TP"][rng.gen_range(0..7)],
            rng.gen_range(1..120)
        );
        let (x, y) = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
        draw(&mut ink, silkscreen, font_scale, x, y, &text, true);
    }
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let cover = ink.at(x, y);
        if cover > 0.0 {
            for channel in &mut pixel.0 {
                *channel = (f32::from(*channel) * (1.0 - cover) + 228.0 * cover).round() as u8;
            }
        }
    }
    image
}

fn anodised(rng: &mut SmallRng, width: u32, height: u32, scale: f32, base: f32) -> RgbImage {
    let salt = rng.r#gen::<u32>();
    let hue = [
        rng.gen_range(-3.0..3.0_f32),
        0.0,
        rng.gen_range(-2.0..5.0_f32),
    ];
    let brushed = rng.gen_bool(0.6);
    let amplitude = base * 0.05;
    let mut image = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        // Brushing: noise stretched along x; bead blasting: fine isotropic grain.
        let v = if brushed {
            value_noise(fx / (120.0 * scale), fy / (0.35 * scale), salt)
        } else {
            0.6 * value_noise(fx / (0.8 * scale), fy / (0.8 * scale), salt)
        } + 0.5 * value_noise(fx / (60.0 * scale), fy / (60.0 * scale), salt ^ 0xa5a5);
        let level = base + amplitude * v;
        to_rgb([level + hue[0], level + hue[1], level + hue[2]])
    });
    let (w, h) = (width as f32, height as f32);
    // A machined edge or pocket wall: a band of different tone.
    if rng.gen_bool(0.5) {
        let y0 = rng.gen_range(0.0..h);
        let shade = base * rng.gen_range(0.7..1.25);
        fill_rect(
            &mut image,
            0.0,
            y0,
            w,
            y0 + rng.gen_range(2.0..6.0) * scale,
            [shade; 3],
        );
    }
    // Screw heads: a dark recess, the head and a cross slot.
    for _ in 0..rng.gen_range(0..4) {
        let (x, y) = (rng.gen_range(0.0..w), rng.gen_range(0.0..h));
        let radius = rng.gen_range(2.5..4.0) * scale;
        fill_disc(&mut image, x, y, radius * 1.15, [base * 0.4; 3]);
        fill_disc(&mut image, x, y, radius, [172.0, 172.0, 168.0]);
        let slot = 0.25 * radius;
        fill_rect(
            &mut image,
            x - 0.6 * radius,
            y - slot / 2.0,
            x + 0.6 * radius,
            y + slot / 2.0,
            [70.0; 3],
        );
        fill_rect(
            &mut image,
            x - slot / 2.0,
            y - 0.6 * radius,
            x + slot / 2.0,
            y + 0.6 * radius,
            [70.0; 3],
        );
    }
    image
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::super::fonts::Face;
    use super::*;

    #[test]
    fn value_noise_is_smooth_and_bounded() {
        let mut previous = value_noise(0.0, 0.5, 7);
        for step in 1..400 {
            let v = value_noise(step as f32 * 0.01, 0.5, 7);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - previous).abs() < 0.1, "jump at {step}");
            previous = v;
        }
    }

    #[test]
    fn surfaces_have_their_colours() {
        let font = Face::Hack.load().unwrap();
        let mean = |image: &RgbImage| {
            let n = f32::from(u16::try_from(image.pixels().len().min(60_000)).unwrap());
            let mut sum = [0.0_f32; 3];
            for p in image.pixels().take(60_000) {
                for (total, channel) in sum.iter_mut().zip(p.0) {
                    *total += f32::from(channel);
                }
            }
            sum.map(|s| s / n)
        };
        let mut rng = SmallRng::seed_from_u64(4);
        let board = paint(Surface::PcbGreen, &mut rng, 300, 200, 12.0, &font);
        let [r, g, b] = mean(&board);
        assert!(g > r + 30.0 && g > b + 20.0, "{r} {g} {b}");
        let grey = paint(Surface::AnodisedGrey, &mut rng, 300, 200, 12.0, &font);
        let [r, g, b] = mean(&grey);
        assert!(
            (r - g).abs() < 10.0 && (100.0..170.0).contains(&g),
            "{r} {g} {b}"
        );
        let black = paint(Surface::AnodisedBlack, &mut rng, 300, 200, 12.0, &font);
        assert!(mean(&black)[1] < 70.0);
    }
}
