//! What a camera or a scanner does to a clean picture: uneven light, a glare blob, lens blur,
//! sensor noise, and the file encoding (PNG, or JPEG at a quality). Pixel effects only; it must
//! not know what the picture shows.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{GrayImage, ImageEncoder, RgbImage};
use imageproc::filter::gaussian_blur_f32;
use rand::Rng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::SynthError;

/// How a photo is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum PhotoEncoding {
    Png,
    Jpeg { quality: u8 },
}

impl PhotoEncoding {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg { .. } => "jpg",
        }
    }
}

/// Two independent standard normal samples (Box–Muller, so noise needs no extra crate).
fn gaussian_pair(rng: &mut SmallRng) -> (f32, f32) {
    let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
    let u2: f32 = rng.r#gen();
    let radius = (-2.0 * u1.ln()).sqrt();
    let (sin, cos) = (std::f32::consts::TAU * u2).sin_cos();
    (radius * cos, radius * sin)
}

/// Light falling off across the frame in a random direction, and darker corners.
pub(super) fn uneven_light(image: &mut RgbImage, rng: &mut SmallRng, strength: f32) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let angle = rng.gen_range(0.0..std::f32::consts::TAU);
    let (dx, dy) = (angle.cos(), angle.sin());
    let slope = rng.gen_range(0.4..1.0) * strength;
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let (u, v) = (x as f32 / w - 0.5, y as f32 / h - 0.5);
        let gradient = 1.0 + slope * (u * dx + v * dy);
        let vignette = 1.0 - 0.6 * strength * (u * u + v * v);
        let gain = gradient * vignette;
        for channel in &mut pixel.0 {
            *channel = (f32::from(*channel) * gain).round().clamp(0.0, 255.0) as u8;
        }
    }
}

/// An elliptical specular highlight added to the image, peak `peak` grey levels.
pub(super) fn glare(image: &mut RgbImage, rng: &mut SmallRng, peak: f32) {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (cx, cy) = (rng.gen_range(0.15..0.85) * w, rng.gen_range(0.15..0.85) * h);
    let radius = rng.gen_range(0.06..0.16) * w.min(h);
    let (ax, ay) = (radius * rng.gen_range(1.0..2.2), radius);
    let angle = rng.gen_range(0.0..std::f32::consts::PI);
    let (cos, sin) = (angle.cos(), angle.sin());
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let (px, py) = (x as f32 - cx, y as f32 - cy);
        let (u, v) = ((px * cos + py * sin) / ax, (-px * sin + py * cos) / ay);
        let d2 = u * u + v * v;
        if d2 > 9.0 {
            continue;
        }
        let add = peak * (-d2 * 1.5).exp();
        for channel in &mut pixel.0 {
            *channel = (f32::from(*channel) + add).round().clamp(0.0, 255.0) as u8;
        }
    }
}

pub(super) fn blur_rgb(image: &RgbImage, sigma_px: f32) -> RgbImage {
    // imageproc asserts a positive sigma; a tiny one is no blur at all.
    if sigma_px < 0.05 {
        image.clone()
    } else {
        gaussian_blur_f32(image, sigma_px)
    }
}

pub(super) fn blur_gray(image: &GrayImage, sigma_px: f32) -> GrayImage {
    if sigma_px < 0.05 {
        image.clone()
    } else {
        gaussian_blur_f32(image, sigma_px)
    }
}

/// Sensor noise: per-pixel luminance noise plus a little colour noise (a third as strong).
pub(super) fn sensor_noise(image: &mut RgbImage, rng: &mut SmallRng, sigma: f32) {
    for pixel in image.pixels_mut() {
        let (luma, chroma) = gaussian_pair(rng);
        // One normal sample spread over the channels with fixed weights: colour noise that
        // costs no further draws.
        let offsets = [
            luma + 0.35 * chroma,
            luma - 0.1 * chroma,
            luma - 0.3 * chroma,
        ];
        for (channel, offset) in pixel.0.iter_mut().zip(offsets) {
            *channel = (f32::from(*channel) + offset * sigma)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    }
}

pub(super) fn gray_noise(image: &mut GrayImage, rng: &mut SmallRng, sigma: f32) {
    let mut pixels = image.pixels_mut();
    while let Some(first) = pixels.next() {
        let (a, b) = gaussian_pair(rng);
        first.0[0] = (f32::from(first.0[0]) + a * sigma)
            .round()
            .clamp(0.0, 255.0) as u8;
        if let Some(second) = pixels.next() {
            second.0[0] = (f32::from(second.0[0]) + b * sigma)
                .round()
                .clamp(0.0, 255.0) as u8;
        }
    }
}

fn encode_error(what: &str, err: impl std::fmt::Display) -> SynthError {
    SynthError::Encode {
        what: what.to_owned(),
        reason: err.to_string(),
    }
}

/// The photo's file bytes.
pub(super) fn encode(image: &RgbImage, encoding: PhotoEncoding) -> Result<Vec<u8>, SynthError> {
    let mut bytes = Vec::new();
    let (w, h) = image.dimensions();
    match encoding {
        PhotoEncoding::Png => PngEncoder::new(&mut bytes)
            .write_image(image.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .map_err(|err| encode_error("a PNG photo", err))?,
        PhotoEncoding::Jpeg { quality } => JpegEncoder::new_with_quality(&mut bytes, quality)
            .write_image(image.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .map_err(|err| encode_error("a JPEG photo", err))?,
    }
    Ok(bytes)
}

/// A grey page as JPEG, as scanners store them.
pub(super) fn jpeg_gray(image: &GrayImage, quality: u8) -> Result<Vec<u8>, SynthError> {
    let mut bytes = Vec::new();
    let (w, h) = image.dimensions();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .write_image(image.as_raw(), w, h, image::ExtendedColorType::L8)
        .map_err(|err| encode_error("a scanned page", err))?;
    Ok(bytes)
}

/// What a reader of the file sees: the pixels after the encoding's losses.
pub(super) fn round_trip(
    image: &RgbImage,
    encoding: PhotoEncoding,
) -> Result<RgbImage, SynthError> {
    match encoding {
        PhotoEncoding::Png => Ok(image.clone()),
        PhotoEncoding::Jpeg { .. } => {
            let bytes = encode(image, encoding)?;
            image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
                .map(|decoded| decoded.to_rgb8())
                .map_err(|err| encode_error("decoding a JPEG photo back", err))
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn gaussian_samples_have_unit_spread() {
        let mut rng = SmallRng::seed_from_u64(1);
        let samples: Vec<f32> = (0..10_000)
            .flat_map(|_| {
                let (a, b) = gaussian_pair(&mut rng);
                [a, b]
            })
            .collect();
        let mean = samples.iter().sum::<f32>() / samples.len() as f32;
        let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / samples.len() as f32;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn glare_brightens_only_near_its_centre() {
        let mut image = RgbImage::from_pixel(200, 200, image::Rgb([100, 100, 100]));
        glare(&mut image, &mut SmallRng::seed_from_u64(3), 80.0);
        let max = image.pixels().map(|p| p.0[0]).max().unwrap();
        let untouched = image.pixels().filter(|p| p.0[0] == 100).count();
        assert!(max >= 170, "{max}");
        assert!(untouched > 10_000, "{untouched}");
    }

    #[test]
    fn jpeg_round_trip_is_what_the_file_decodes_to() {
        let mut image = RgbImage::from_pixel(64, 48, image::Rgb([200, 180, 40]));
        sensor_noise(&mut image, &mut SmallRng::seed_from_u64(5), 8.0);
        let encoding = PhotoEncoding::Jpeg { quality: 30 };
        let seen = round_trip(&image, encoding).unwrap();
        let file = image::load_from_memory(&encode(&image, encoding).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(seen, file);
        assert_ne!(seen, image);
        assert_eq!(round_trip(&image, PhotoEncoding::Png).unwrap(), image);
    }
}
