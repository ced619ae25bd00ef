//! Detectors: from a grey image to a pore score per pixel. The network (`network`) is the
//! station's detector; the classical one (`classical`) needs no model and serves as fallback
//! and reference. A recipe picks one and the score threshold.

pub mod classical;
pub mod network;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which detector a recipe uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorKind {
    Classical,
    /// The segmentation network on tract (`models/porosity/porenet.onnx`).
    #[default]
    Onnx,
}

/// Why a detector gave no scores.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectError {
    #[error("model {path}: {reason}")]
    Model { path: PathBuf, reason: String },
    #[error("model {path} failed on this image: {reason}")]
    Run { path: PathBuf, reason: String },
    #[error("the image is empty (0 pixels)")]
    EmptyImage,
}

impl DetectorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classical => "classical",
            Self::Onnx => "onnx",
        }
    }
}

impl std::str::FromStr for DetectorKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "classical" => Ok(Self::Classical),
            "onnx" | "network" => Ok(Self::Onnx),
            other => Err(format!(
                "unknown detector {other:?}: write classical or onnx"
            )),
        }
    }
}

/// A loaded detector, owned by one worker (the network keeps per-size plans).
pub enum Detector {
    Classical,
    Network(Box<network::Network>),
}

impl Detector {
    /// Loads the detector a recipe names (the network: the station's own model, checked on
    /// its golden input first).
    pub fn load(kind: DetectorKind) -> Result<Self, DetectError> {
        match kind {
            DetectorKind::Classical => Ok(Self::Classical),
            DetectorKind::Onnx => Ok(Self::Network(Box::new(network::Network::station()?))),
        }
    }

    pub fn kind(&self) -> DetectorKind {
        match self {
            Self::Classical => DetectorKind::Classical,
            Self::Network(_) => DetectorKind::Onnx,
        }
    }

    /// Pore scores of every pixel of `grey`, taken at `mm_per_px`.
    pub fn scores(
        &mut self,
        grey: &image::GrayImage,
        mm_per_px: f32,
    ) -> Result<crate::vision::score_map::ScoreMap, DetectError> {
        if grey.width() == 0 || grey.height() == 0 {
            return Err(DetectError::EmptyImage);
        }
        match self {
            Self::Classical => Ok(classical::scores(grey, mm_per_px)),
            Self::Network(network) => network.scores(grey),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_station_model_passes_its_golden_self_test() {
        let mut detector = Detector::load(DetectorKind::Onnx).unwrap();
        assert_eq!(detector.kind(), DetectorKind::Onnx);
        let grey = image::GrayImage::from_pixel(100, 60, image::Luma([150]));
        let map = detector.scores(&grey, 0.03).unwrap();
        assert_eq!(
            (map.width_px(), map.height_px()),
            (100, 60),
            "cropped back from the padding"
        );
        assert!(
            map.scores().iter().all(|s| *s < 0.5),
            "a flat face has no pore"
        );
    }
}
