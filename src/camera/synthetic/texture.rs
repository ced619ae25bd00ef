//! Procedural texture helpers shared by the scenes: hashed lattice noise, smooth value noise and
//! fractal sums of it, plus blending a colour into an image with coverage.

use image::{Rgba, RgbaImage};

/// A well-mixed 32-bit hash of a lattice point.
fn hash(x: i32, y: i32, seed: u32) -> u32 {
    let mut h = (x as u32).wrapping_mul(0x8da6_b343)
        ^ (y as u32).wrapping_mul(0xd816_3841)
        ^ seed.wrapping_mul(0xcb1a_b31f);
    h ^= h >> 13;
    h = h.wrapping_mul(0x5bd1_e995);
    h ^ (h >> 15)
}

/// Per-pixel grain in [-1, 1].
pub fn grain(x: i32, y: i32, seed: u32) -> f32 {
    (hash(x, y, seed) & 0xffff) as f32 / 32767.5 - 1.0
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// Smooth value noise in [-1, 1] with features about one unit apart.
pub fn value_noise(x: f32, y: f32, seed: u32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (tx, ty) = (smooth(x - x0), smooth(y - y0));
    let (ix, iy) = (x0 as i32, y0 as i32);
    let a = grain(ix, iy, seed);
    let b = grain(ix + 1, iy, seed);
    let c = grain(ix, iy + 1, seed);
    let d = grain(ix + 1, iy + 1, seed);
    let top = a + (b - a) * tx;
    let bottom = c + (d - c) * tx;
    top + (bottom - top) * ty
}

/// Fractal sum of `octaves` of value noise, roughly in [-1, 1].
pub fn fbm(x: f32, y: f32, octaves: u32, seed: u32) -> f32 {
    let (mut sum, mut amplitude, mut frequency, mut norm) = (0.0, 1.0, 1.0, 0.0);
    for octave in 0..octaves {
        sum += amplitude * value_noise(x * frequency, y * frequency, seed.wrapping_add(octave));
        norm += amplitude;
        amplitude *= 0.5;
        frequency *= 2.0;
    }
    sum / norm
}

/// Mixes `colour` into the pixel at (x, y) with `coverage` in [0, 1]; outside the image does
/// nothing.
pub fn blend(image: &mut RgbaImage, x: i64, y: i64, colour: [f32; 3], coverage: f32) {
    if x < 0 || y < 0 || x >= i64::from(image.width()) || y >= i64::from(image.height()) {
        return;
    }
    let coverage = coverage.clamp(0.0, 1.0);
    let pixel = image.get_pixel_mut(x as u32, y as u32);
    for channel in 0..3 {
        let old = f32::from(pixel[channel]);
        pixel[channel] = (old + (colour[channel] - old) * coverage).clamp(0.0, 255.0) as u8;
    }
}

/// Fills an axis-aligned rectangle (in world pixels) with a colour.
pub fn fill_rect(image: &mut RgbaImage, x0: f32, y0: f32, x1: f32, y1: f32, colour: [f32; 3]) {
    let rgba = Rgba([
        colour[0].clamp(0.0, 255.0) as u8,
        colour[1].clamp(0.0, 255.0) as u8,
        colour[2].clamp(0.0, 255.0) as u8,
        255,
    ]);
    let (w, h) = (image.width() as f32, image.height() as f32);
    for y in y0.max(0.0) as u32..y1.min(h).max(0.0) as u32 {
        for x in x0.max(0.0) as u32..x1.min(w).max(0.0) as u32 {
            image.put_pixel(x, y, rgba);
        }
    }
}

/// Fills a disc with an anti-aliased edge.
pub fn fill_disc(image: &mut RgbaImage, cx: f32, cy: f32, radius: f32, colour: [f32; 3]) {
    let reach = radius + 1.0;
    for y in (cy - reach).floor() as i64..=(cy + reach).ceil() as i64 {
        for x in (cx - reach).floor() as i64..=(cx + reach).ceil() as i64 {
            let distance = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            blend(image, x, y, colour, radius - distance + 0.5);
        }
    }
}

/// Paints an image from a per-pixel function of (x, y) giving RGB.
pub fn paint(image: &mut RgbaImage, shade: impl Fn(f32, f32) -> [f32; 3]) {
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let rgb = shade(x as f32, y as f32);
        *pixel = Rgba([
            rgb[0].clamp(0.0, 255.0) as u8,
            rgb[1].clamp(0.0, 255.0) as u8,
            rgb[2].clamp(0.0, 255.0) as u8,
            255,
        ]);
    }
}

/// A QR code for `text`, as rows of dark (true) and light modules.
pub fn qr_modules(text: &str) -> Result<Vec<Vec<bool>>, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|err| err.to_string())?;
    let width = code.width();
    Ok((0..width)
        .map(|y| {
            (0..width)
                .map(|x| code[(x, y)] == qrcode::Color::Dark)
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_bounded_and_varies() {
        let samples: Vec<f32> = (0..500)
            .map(|i| fbm(i as f32 * 0.37, i as f32 * 0.11, 4, 9))
            .collect();
        assert!(samples.iter().all(|v| (-1.0..=1.0).contains(v)));
        let spread = samples.iter().cloned().fold(f32::MIN, f32::max)
            - samples.iter().cloned().fold(f32::MAX, f32::min);
        assert!(spread > 0.5, "{spread}");
    }

    #[test]
    fn qr_has_finder_patterns() {
        let modules = qr_modules("QC-UID-00000042").unwrap();
        assert!(modules.len() >= 21);
        // The top-left finder pattern: a dark 7x7 ring around a light ring around a 3x3 core.
        assert!(modules[0][0] && modules[0][6] && modules[6][0] && modules[3][3]);
        assert!(!modules[1][1] && !modules[5][5]);
    }
}
