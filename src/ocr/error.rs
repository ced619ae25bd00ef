//! What can go wrong reading text: a model that does not load or fails its golden self-test, a
//! run that fails, an image the pipeline cannot take.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OcrError {
    #[error("OCR model {model}: {reason}")]
    Model { model: &'static str, reason: String },
    #[error("OCR model {model} failed on a {width_px}×{height_px} input: {reason}")]
    Run {
        model: &'static str,
        width_px: u32,
        height_px: u32,
        reason: String,
    },
    #[error("image {width_px}×{height_px} px is too small to hold text (at least 8 px each way)")]
    TooSmall { width_px: u32, height_px: u32 },
}
