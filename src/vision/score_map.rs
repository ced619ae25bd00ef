//! A detector's answer: one score per pixel in [0, 1], how likely the pixel is part of a pore
//! (a probability for the network, a scaled contrast for the classical detector). Owns only the
//! buffer and its indexing; thresholds and components live in `blobs`.

/// Scores of one image, row-major, `width_px × height_px`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreMap {
    width_px: u32,
    height_px: u32,
    scores: Vec<f32>,
}

impl ScoreMap {
    /// A map of zeros.
    pub fn new(width_px: u32, height_px: u32) -> Self {
        Self {
            width_px,
            height_px,
            scores: vec![0.0; width_px as usize * height_px as usize],
        }
    }

    /// Wraps scores already in row-major order; `None` when the length does not match.
    pub fn from_scores(width_px: u32, height_px: u32, scores: Vec<f32>) -> Option<Self> {
        (scores.len() == width_px as usize * height_px as usize).then_some(Self {
            width_px,
            height_px,
            scores,
        })
    }

    /// A mask (grey 255 = pore, 0 = not) as scores of 1 and 0, so ground truth is cut into
    /// pores and measured exactly as detections are.
    pub fn from_mask(mask: &image::GrayImage) -> Self {
        Self {
            width_px: mask.width(),
            height_px: mask.height(),
            scores: mask
                .as_raw()
                .iter()
                .map(|v| if *v > 127 { 1.0 } else { 0.0 })
                .collect(),
        }
    }

    pub fn width_px(&self) -> u32 {
        self.width_px
    }

    pub fn height_px(&self) -> u32 {
        self.height_px
    }

    pub fn at(&self, x: u32, y: u32) -> f32 {
        self.scores[y as usize * self.width_px as usize + x as usize]
    }

    pub fn set(&mut self, x: u32, y: u32, score: f32) {
        let width = self.width_px as usize;
        self.scores[y as usize * width + x as usize] = score;
    }

    pub fn scores(&self) -> &[f32] {
        &self.scores
    }

    pub fn scores_mut(&mut self) -> &mut [f32] {
        &mut self.scores
    }
}
