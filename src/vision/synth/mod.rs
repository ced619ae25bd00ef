//! The porosity ground-truth generator: machined aluminium faces as a mono industrial camera
//! sees them (surface family, light, tool marks, dust, scratches, smudges, blur, noise, JPEG)
//! with pores of known size, shape, rim and position at a known `mm_per_px`, and the exact pore
//! mask and list. It feeds the network's training set, `eval porosity`, the tests and the demo.
//! Deterministic: a scene is a function of its parameters, which are a function of a seed.

mod distractor;
mod pore;
mod scene;
mod surface;

use std::path::{Path, PathBuf};

use image::GrayImage;
use imageproc::filter::gaussian_blur_f32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

pub use pore::{PoreShape, Rim};
pub use scene::{Lighting, SceneParams, SurfaceFamily, Variety};

/// One true pore, measured from its pixels in the mask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruePore {
    pub id: u32,
    /// Centroid, image pixels (pixel (0,0) covers [0,1)×[0,1)).
    pub x_px: f32,
    pub y_px: f32,
    /// Equivalent diameter, sqrt(4A/π).
    pub diameter_mm: f32,
    pub area_mm2: f32,
    /// Max Feret: the farthest pixel centres plus one pixel.
    pub feret_mm: f32,
    pub shape: PoreShape,
    pub rim: Rim,
}

/// A scene's parameters and what is in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub params: SceneParams,
    pub pores: Vec<TruePore>,
    pub dust: u32,
    pub scratches: u32,
}

/// A rendered scene.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub image: GrayImage,
    /// 255 on pore pixels, 0 elsewhere.
    pub mask: GrayImage,
    pub truth: Truth,
}

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("{path}: not a porosity truth file: {reason}")]
    Truth { path: PathBuf, reason: String },
}

/// Renders the scene `params` describes.
pub fn render(params: &SceneParams) -> Rendered {
    let (width, height) = (params.width_px as usize, params.height_px as usize);
    let mut rng = SmallRng::seed_from_u64(params.seed);
    let mut image = vec![0.0_f32; width * height];
    let mut labels = vec![0_u16; width * height];
    surface::paint(params, &mut rng, &mut image);
    let pores = pore::place(params, &mut rng);
    for (index, spec) in pores.iter().enumerate() {
        pore::draw(spec, index as u16 + 1, params, &mut image, &mut labels);
    }
    let added = distractor::scatter(params, &mut rng, &mut image);
    let image = optics(params, &mut rng, image);
    let truth_pores = measure_labels(params, &labels, &pores);
    let mask = GrayImage::from_fn(params.width_px, params.height_px, |x, y| {
        let on = labels[y as usize * width + x as usize] != 0;
        image::Luma([if on { 255 } else { 0 }])
    });
    Rendered {
        image,
        mask,
        truth: Truth {
            params: params.clone(),
            pores: truth_pores,
            dust: added.dust,
            scratches: added.scratches,
        },
    }
}

/// A face painted once, on which parts are then placed cheaply: the demo cameras, whose face
/// stays the same while parts come and go. The painted surface is the expensive per-pixel
/// step; a part adds its pores and dust to a copy and blurs it (no sensor noise: the camera
/// adds its own).
pub struct Face {
    params: SceneParams,
    base: Vec<f32>,
}

impl Face {
    pub fn new(params: SceneParams) -> Self {
        let mut rng = SmallRng::seed_from_u64(params.seed);
        let mut base = vec![0.0_f32; params.width_px as usize * params.height_px as usize];
        surface::paint(&params, &mut rng, &mut base);
        Self { params, base }
    }

    /// Part `part_seed` on this face with `pore_count` pores (0: a good part) and its own
    /// dust and scratches; also the pores as placed.
    pub fn part(&self, part_seed: u64, pore_count: u32) -> (GrayImage, Vec<TruePore>) {
        let params = SceneParams {
            seed: part_seed,
            pore_count,
            ..self.params.clone()
        };
        let mut rng = SmallRng::seed_from_u64(part_seed ^ 0x9a27);
        let mut image = self.base.clone();
        let mut labels = vec![0_u16; image.len()];
        let pores = pore::place(&params, &mut rng);
        for (index, spec) in pores.iter().enumerate() {
            pore::draw(spec, index as u16 + 1, &params, &mut image, &mut labels);
        }
        distractor::scatter(&params, &mut rng, &mut image);
        let (w, h) = (params.width_px, params.height_px);
        let mut buffer = image::ImageBuffer::<image::Luma<f32>, Vec<f32>>::from_raw(w, h, image)
            .unwrap_or_else(|| image::ImageBuffer::new(w, h));
        if params.blur_sigma_px > 0.3 {
            buffer = gaussian_blur_f32(&buffer, params.blur_sigma_px);
        }
        let grey = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([buffer.get_pixel(x, y)[0].round().clamp(0.0, 255.0) as u8])
        });
        (grey, measure_labels(&params, &labels, &pores))
    }
}

/// Blur, vignetting, shot and read noise, 8-bit quantisation, and maybe a JPEG round trip.
fn optics(params: &SceneParams, rng: &mut SmallRng, image: Vec<f32>) -> GrayImage {
    let (w, h) = (params.width_px, params.height_px);
    let mut buffer = image::ImageBuffer::<image::Luma<f32>, Vec<f32>>::from_raw(w, h, image)
        .unwrap_or_else(|| image::ImageBuffer::new(w, h));
    if params.blur_sigma_px > 0.3 {
        buffer = gaussian_blur_f32(&buffer, params.blur_sigma_px);
    }
    let vignette: f32 = rng.gen_range(0.0..0.25);
    let grey = GrayImage::from_fn(w, h, |x, y| {
        let (nx, ny) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
        let v = buffer.get_pixel(x, y)[0] * (1.0 - vignette * (nx * nx + ny * ny) * 2.0);
        // Shot noise grows with the signal; read noise does not.
        let shot = (v.max(0.0) / 40.0).sqrt() * params.noise * gaussian(rng);
        let read = params.noise * gaussian(rng) * 0.6;
        image::Luma([(v + shot + read).round().clamp(0.0, 255.0) as u8])
    });
    match params.jpeg_quality {
        Some(quality) => jpeg_round_trip(&grey, quality).unwrap_or(grey),
        None => grey,
    }
}

/// A standard normal sample (sum of uniforms: cheap and close enough for sensor noise).
pub(crate) fn gaussian(rng: &mut SmallRng) -> f32 {
    (0..4).map(|_| rng.r#gen::<f32>()).sum::<f32>() * 1.732 - 3.464
}

pub(crate) fn jpeg_round_trip(grey: &GrayImage, quality: u8) -> Option<GrayImage> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(grey)
        .ok()?;
    image::load_from_memory(&bytes)
        .ok()
        .map(|decoded| decoded.to_luma8())
}

/// Each pore's area, centroid and Feret from its labelled pixels (pores with no pixel of
/// their own are left out: too small to be seen as anything but noise).
fn measure_labels(params: &SceneParams, labels: &[u16], pores: &[pore::PoreSpec]) -> Vec<TruePore> {
    let width = params.width_px as usize;
    let mut pixels: Vec<Vec<[u32; 2]>> = vec![Vec::new(); pores.len()];
    for (index, label) in labels.iter().enumerate() {
        if *label != 0 {
            pixels[usize::from(*label) - 1].push([(index % width) as u32, (index / width) as u32]);
        }
    }
    let scale = params.mm_per_px;
    let mut truth = Vec::new();
    for (spec, own) in pores.iter().zip(pixels) {
        if own.is_empty() {
            continue;
        }
        let blob = crate::vision::blobs::Blob::from_pixels(own, 1.0);
        let measured = crate::vision::measure::measure(&blob, truth.len(), scale);
        truth.push(TruePore {
            id: truth.len() as u32,
            x_px: measured.x_px,
            y_px: measured.y_px,
            diameter_mm: measured.diameter_mm,
            area_mm2: measured.area_mm2,
            feret_mm: measured.feret_mm,
            shape: spec.shape,
            rim: spec.rim,
        });
    }
    truth
}

/// Writes `stem.png`, `stem-mask.png` and `stem.json` into `dir`.
pub fn write(rendered: &Rendered, dir: &Path, stem: &str) -> Result<(), SynthError> {
    let io = |path: &Path, reason: String| SynthError::Io {
        path: path.to_owned(),
        reason,
    };
    let image_path = dir.join(format!("{stem}.png"));
    rendered
        .image
        .save(&image_path)
        .map_err(|err| io(&image_path, err.to_string()))?;
    let mask_path = dir.join(format!("{stem}-mask.png"));
    rendered
        .mask
        .save(&mask_path)
        .map_err(|err| io(&mask_path, err.to_string()))?;
    let truth_path = dir.join(format!("{stem}.json"));
    let text = serde_json::to_string_pretty(&rendered.truth)
        .map_err(|err| io(&truth_path, err.to_string()))?;
    std::fs::write(&truth_path, text).map_err(|err| io(&truth_path, err.to_string()))
}

/// Reads a truth file written by `write`.
pub fn read_truth(path: &Path) -> Result<Truth, SynthError> {
    let text = std::fs::read_to_string(path).map_err(|err| SynthError::Io {
        path: path.to_owned(),
        reason: err.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|err| SynthError::Truth {
        path: path.to_owned(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests;
