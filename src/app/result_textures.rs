//! The last inspection of each camera as a texture: the inspected frame with its overlay
//! (zones, pores, the failing ones ringed), uploaded once per part. The Inspect grid shows it
//! in place of the live picture for a few seconds after the verdict, or until the next part
//! when results are held; History uses one for the inspection it opened.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{ColorImage, TextureHandle, TextureOptions};
use image::RgbaImage;

use crate::runtime::{CameraOutcome, InspectorView};

/// How long a result stays on a tile when results are not held.
pub const RESULT_SHOWN: Duration = Duration::from_secs(4);

/// One camera's shown result.
pub struct ShownResult {
    pub part_seq: u64,
    pub texture: TextureHandle,
    pub size_px: egui::Vec2,
    pub outcome: CameraOutcome,
    pub uploaded_at: Instant,
}

#[derive(Default)]
pub struct ResultTextures {
    shown: Vec<Option<ShownResult>>,
    /// Keep each camera's last result on screen until the next part.
    pub hold: bool,
}

/// An RGBA image as an egui texture.
pub fn upload(ctx: &egui::Context, name: &str, image: &RgbaImage) -> TextureHandle {
    let size = [image.width() as usize, image.height() as usize];
    let pixels = ColorImage::from_rgba_unmultiplied(size, image.as_raw());
    ctx.load_texture(name, pixels, TextureOptions::LINEAR)
}

impl ResultTextures {
    /// Uploads the results newer than what is shown.
    pub fn refresh(&mut self, ctx: &egui::Context, view: &InspectorView) {
        if self.shown.len() < view.latest.len() {
            self.shown.resize_with(view.latest.len(), || None);
        }
        for (index, latest) in view.latest.iter().enumerate() {
            let Some(outcome) = latest else { continue };
            let current = self.shown[index].as_ref().map(|shown| shown.part_seq);
            if current == Some(outcome.part_seq) {
                continue;
            }
            let Ok(result) = &outcome.result else {
                self.shown[index] = None;
                continue;
            };
            let overlay: &Arc<RgbaImage> = &result.overlay;
            self.shown[index] = Some(ShownResult {
                part_seq: outcome.part_seq,
                texture: upload(ctx, &format!("result-{index}"), overlay),
                size_px: egui::vec2(overlay.width() as f32, overlay.height() as f32),
                outcome: outcome.clone(),
                uploaded_at: Instant::now(),
            });
        }
    }

    /// The result to show on camera `index` now, if any.
    pub fn active(&self, index: usize, now: Instant) -> Option<&ShownResult> {
        self.shown
            .get(index)
            .and_then(Option::as_ref)
            .filter(|shown| self.hold || now.duration_since(shown.uploaded_at) < RESULT_SHOWN)
    }

    /// Whether any result is on screen (the UI looks again when it expires).
    pub fn any_active(&self, now: Instant) -> bool {
        (0..self.shown.len()).any(|index| self.active(index, now).is_some())
    }
}
