//! The segmentation network (`models/porosity/`) on tract: a fully convolutional net, so one
//! ONNX file serves every image size, but tract runs best on fixed shapes, so each worker keeps
//! one optimised plan per input size it has seen (a station has one or two camera sizes).
//! Preprocessing (must match `models/porosity/train.py`): grey in [0, 1], standardised by the
//! image's own mean and deviation, padded by edge replication to a multiple of 8.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::GrayImage;
use tract_onnx::prelude::*;

use super::DetectError;
use crate::vision::score_map::ScoreMap;

/// Space-to-depth halves the image, two strided convolutions halve it twice more.
const SIZE_MULTIPLE: u32 = 8;
/// A flat image (a dark frame, a lens cap) is not stretched into noise.
const MIN_STD: f32 = 0.02;

type Plan = Arc<TypedRunnableModel>;

/// The network, parsed once; plans per input size are built on first use.
pub struct Network {
    path: PathBuf,
    model: InferenceModel,
    plans: HashMap<(u32, u32), Plan>,
}

/// The station's model, built into the binary (nothing is read or fetched at run time).
const STATION_MODEL: &[u8] = include_bytes!("../../../models/porosity/porenet.onnx");
const STATION_MODEL_NAME: &str = "models/porosity/porenet.onnx";
/// The golden input and what onnxruntime gave on it at training (`models/porosity/golden.json`).
const GOLDEN_INPUT: &[u8] = include_bytes!("../../../models/porosity/golden.png");
const STATION_GOLDEN: Golden = Golden {
    above_half: 128,
    mean: 0.001_675_586_9,
};

/// What a model must give on its golden input.
#[derive(Debug, Clone, Copy)]
struct Golden {
    /// Pixels scoring above 0.5 (a few may flip with float summation order).
    above_half: usize,
    mean: f32,
}

impl Network {
    /// The station's porosity model, checked on its golden input (`models/porosity/porenet.md`):
    /// a model that does not give the recorded answer is refused rather than trusted.
    pub fn station() -> Result<Self, DetectError> {
        let mut network = Self::from_bytes(Path::new(STATION_MODEL_NAME), STATION_MODEL)?;
        network.check_golden(STATION_GOLDEN)?;
        Ok(network)
    }

    /// A model from a file, without the golden self-test: for measuring candidate models
    /// (`qcstation bench inspect --model`), never for judging parts.
    pub fn from_file(path: &Path) -> Result<Self, DetectError> {
        let bytes = std::fs::read(path).map_err(|err| DetectError::Model {
            path: path.to_owned(),
            reason: err.to_string(),
        })?;
        Self::from_bytes(path, &bytes)
    }

    fn check_golden(&mut self, golden: Golden) -> Result<(), DetectError> {
        let input = image::load_from_memory(GOLDEN_INPUT)
            .map_err(|err| self.run_error(&format!("golden input: {err}")))?
            .to_luma8();
        let scores = self.scores(&input)?;
        let above = scores.scores().iter().filter(|s| **s > 0.5).count();
        let mean = scores.scores().iter().sum::<f32>() / scores.scores().len().max(1) as f32;
        if above.abs_diff(golden.above_half) > 3 || (mean - golden.mean).abs() > 1e-4 {
            return Err(DetectError::Model {
                path: self.path.clone(),
                reason: format!(
                    "golden self-test failed: {above} pixels above 0.5 and mean {mean:.6}, \
                     expected {} and {:.6}; the network detector is disabled (use the \
                     classical detector)",
                    golden.above_half, golden.mean
                ),
            });
        }
        Ok(())
    }

    /// Parses an ONNX model (no plan is built yet).
    fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self, DetectError> {
        let model = tract_onnx::onnx()
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(|err| DetectError::Model {
                path: path.to_owned(),
                reason: format!("{err:#}"),
            })?;
        Ok(Self {
            path: path.to_owned(),
            model,
            plans: HashMap::new(),
        })
    }

    fn plan(&mut self, width_px: u32, height_px: u32) -> Result<Plan, DetectError> {
        if let Some(plan) = self.plans.get(&(width_px, height_px)) {
            return Ok(plan.clone());
        }
        let fact = f32::fact([1, 1, height_px as usize, width_px as usize]);
        let plan = self
            .model
            .clone()
            .with_input_fact(0, fact.into())
            .and_then(|model| model.into_optimized())
            .and_then(|model| model.into_runnable())
            .map_err(|err| DetectError::Model {
                path: self.path.clone(),
                reason: format!("for a {width_px}×{height_px} input: {err:#}"),
            })?;
        self.plans.insert((width_px, height_px), plan.clone());
        Ok(plan)
    }

    /// The pore probability of every pixel.
    pub fn scores(&mut self, grey: &GrayImage) -> Result<ScoreMap, DetectError> {
        let (width, height) = grey.dimensions();
        let padded_w = width.div_ceil(SIZE_MULTIPLE) * SIZE_MULTIPLE;
        let padded_h = height.div_ceil(SIZE_MULTIPLE) * SIZE_MULTIPLE;
        let input = standardised(grey, padded_w, padded_h);
        let plan = self.plan(padded_w, padded_h)?;
        // The buffer becomes the tensor as is (no copy).
        let tensor: Tensor = tract_ndarray::Array4::from_shape_vec(
            (1, 1, padded_h as usize, padded_w as usize),
            input,
        )
        .map_err(|err| self.run_error(&err))?
        .into();
        let outputs = plan
            .run(tvec!(tensor.into()))
            .map_err(|err| self.run_error(&err))?;
        let output = outputs
            .first()
            .ok_or_else(|| self.run_error(&"the model gave no output"))?;
        let view = output
            .to_plain_array_view::<f32>()
            .map_err(|err| self.run_error(&err))?;
        let flat = view
            .as_slice()
            .filter(|flat| flat.len() == padded_w as usize * padded_h as usize)
            .ok_or_else(|| self.run_error(&"the output is not one score per pixel"))?;
        let mut map = ScoreMap::new(width, height);
        for y in 0..height as usize {
            let row = &flat[y * padded_w as usize..y * padded_w as usize + width as usize];
            map.scores_mut()[y * width as usize..(y + 1) * width as usize].copy_from_slice(row);
        }
        Ok(map)
    }

    fn run_error(&self, err: &dyn std::fmt::Display) -> DetectError {
        DetectError::Run {
            path: self.path.clone(),
            reason: err.to_string(),
        }
    }
}

/// Grey → [0, 1] → (x − mean) / std, edge-replicated out to `width × height`.
fn standardised(grey: &GrayImage, width: u32, height: u32) -> Vec<f32> {
    let pixels = grey.as_raw();
    let count = pixels.len().max(1) as f64;
    let (sum, sum_sq) = pixels.iter().fold((0.0_f64, 0.0_f64), |(s, q), &v| {
        let v = f64::from(v) / 255.0;
        (s + v, q + v * v)
    });
    let mean = sum / count;
    let std = ((sum_sq / count - mean * mean).max(0.0).sqrt() as f32).max(MIN_STD);
    let mean = mean as f32;
    let (src_w, src_h) = grey.dimensions();
    let mut out = Vec::with_capacity(width as usize * height as usize);
    for y in 0..height {
        let row = y.min(src_h - 1) as usize * src_w as usize;
        for x in 0..width {
            let v = f32::from(pixels[row + x.min(src_w - 1) as usize]) / 255.0;
            out.push((v - mean) / std);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_that_gives_another_answer_on_the_golden_input_is_refused() {
        let mut network = Network::station().unwrap();
        let wrong = Golden {
            above_half: STATION_GOLDEN.above_half + 50,
            ..STATION_GOLDEN
        };
        let err = network.check_golden(wrong).unwrap_err().to_string();
        assert!(err.contains("golden self-test failed"), "{err}");
        assert!(err.contains("models/porosity/porenet.onnx"), "{err}");
        network.check_golden(STATION_GOLDEN).unwrap();
    }
}
