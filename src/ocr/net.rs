//! One ONNX model on tract with a plan per input shape. tract's symbolic shapes are slow or
//! fail on the PP-OCR graphs, so every shape the pipeline uses gets its own optimised plan; the
//! pipeline keeps the set of shapes small (detector sizes in steps of 32 px, four recogniser
//! widths, one classifier shape).

use std::collections::HashMap;
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::OcrError;

type Plan = Arc<TypedRunnableModel>;

/// A parsed model and its plans.
pub(super) struct Net {
    name: &'static str,
    model: InferenceModel,
    plans: HashMap<[usize; 4], Plan>,
}

impl Net {
    /// Parses the model (no plan yet). `ignore_value_info` skips the shapes recorded in the
    /// graph, which the PP-OCRv6 recogniser writes in a form tract cannot use.
    pub(super) fn parse(
        name: &'static str,
        bytes: &[u8],
        ignore_value_info: bool,
    ) -> Result<Self, OcrError> {
        let model = tract_onnx::onnx()
            .with_ignore_value_info(ignore_value_info)
            .model_for_read(&mut std::io::Cursor::new(bytes))
            .map_err(|err| OcrError::Model {
                model: name,
                reason: format!("{err:#}"),
            })?;
        Ok(Self {
            name,
            model,
            plans: HashMap::new(),
        })
    }

    /// A metadata property of the ONNX file (`metadata_props`), as text.
    pub(super) fn metadata(&self, key: &str) -> Option<String> {
        self.model
            .properties
            .get(&format!("onnx.metadata_props.{key}"))
            .and_then(|tensor| {
                tensor
                    .to_plain_array_view::<String>()
                    .ok()?
                    .iter()
                    .next()
                    .cloned()
            })
    }

    fn plan(&mut self, shape: [usize; 4]) -> Result<Plan, OcrError> {
        if let Some(plan) = self.plans.get(&shape) {
            return Ok(plan.clone());
        }
        let plan = self
            .model
            .clone()
            .with_input_fact(0, f32::fact(shape).into())
            .and_then(|model| model.into_optimized())
            .and_then(|model| model.into_runnable())
            .map_err(|err| self.run_error(shape, &format!("{err:#}")))?;
        self.plans.insert(shape, plan.clone());
        Ok(plan)
    }

    /// Runs an NCHW input of `shape` (the buffer becomes the tensor without a copy) and returns
    /// the first output's shape and values.
    pub(super) fn run(
        &mut self,
        shape: [usize; 4],
        input: Vec<f32>,
    ) -> Result<(Vec<usize>, Vec<f32>), OcrError> {
        let plan = self.plan(shape)?;
        let tensor: Tensor =
            tract_ndarray::Array4::from_shape_vec((shape[0], shape[1], shape[2], shape[3]), input)
                .map_err(|err| self.run_error(shape, &err))?
                .into();
        let outputs = plan
            .run(tvec!(tensor.into()))
            .map_err(|err| self.run_error(shape, &format!("{err:#}")))?;
        let output = outputs
            .first()
            .ok_or_else(|| self.run_error(shape, &"the model gave no output"))?;
        let view = output
            .to_plain_array_view::<f32>()
            .map_err(|err| self.run_error(shape, &err))?;
        let dims = view.shape().to_vec();
        Ok((dims, view.iter().copied().collect()))
    }

    fn run_error(&self, shape: [usize; 4], reason: &dyn std::fmt::Display) -> OcrError {
        OcrError::Run {
            model: self.name,
            width_px: shape[3] as u32,
            height_px: shape[2] as u32,
            reason: reason.to_string(),
        }
    }
}

/// Packs an RGB image into a planar NCHW slice in BGR order (the PP-OCR models were trained on
/// OpenCV's BGR), each value mapped by `(v / 255 − 0.5) / 0.5`. `out` holds one image:
/// `3 × height × width_padded`; columns past the image stay as they are (the caller's padding).
pub(super) fn pack_bgr(image: &image::RgbImage, width_padded: usize, out: &mut [f32]) {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let plane = width_padded * height;
    for (y, row) in image.rows().enumerate() {
        for (x, pixel) in row.enumerate().take(width.min(width_padded)) {
            let at = y * width_padded + x;
            for (channel, &value) in pixel.0.iter().rev().enumerate() {
                out[channel * plane + at] = f32::from(value) / 127.5 - 1.0;
            }
        }
    }
}
