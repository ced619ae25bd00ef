//! The last inspection of each camera as a texture: the inspected frame with its overlay
//! (zones, pores, the failing ones ringed), uploaded once per part. The Inspect grid shows it
//! in place of the live picture for a few seconds after the verdict, or until the next part
//! when results are held; History uses one for the inspection it opened.
//!
//! With a wgpu device, a camera's result is written into a texture of its own and drawn by the
//! live-quad pipeline (one opaque quad, like the live pictures): through egui's blended image
//! path, four result tiles cost a fill-rate-bound GPU (llvmpipe, a Pi) most of a frame.

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui_wgpu::RenderState;
use egui::{ColorImage, TextureHandle, TextureOptions};
use image::RgbaImage;

use super::frame_textures::{frame_texture, next_live_key, write_frame};
use crate::camera::FrameSize;
use crate::runtime::{CameraOutcome, InspectorView};

/// How long a result stays on a tile when results are not held.
pub const RESULT_SHOWN: Duration = Duration::from_secs(4);

/// Where a result's pixels are.
pub enum ResultPixels {
    /// A texture of the live-quad pipeline (drawn as one opaque quad).
    Live(u64),
    /// An egui-managed texture (no wgpu device).
    Managed(TextureHandle),
}

/// One camera's shown result.
pub struct ShownResult {
    pub part_seq: u64,
    pub pixels: ResultPixels,
    pub size_px: egui::Vec2,
    pub outcome: CameraOutcome,
    pub uploaded_at: Instant,
}

/// A camera's result texture on the wgpu path, reused while the size stays.
struct LiveTexture {
    texture: wgpu::Texture,
    key: u64,
    size: FrameSize,
}

#[derive(Default)]
pub struct ResultTextures {
    shown: Vec<Option<ShownResult>>,
    live: Vec<Option<LiveTexture>>,
    render_state: Option<RenderState>,
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
    /// Results drawn through the live-quad pipeline of `render_state` when there is one.
    pub fn new(render_state: Option<RenderState>) -> Self {
        Self {
            render_state,
            ..Self::default()
        }
    }

    /// Writes `image` into camera `index`'s live texture (made or remade for its size).
    fn write_live(&mut self, index: usize, image: &RgbaImage) -> Option<ResultPixels> {
        let render_state = self.render_state.as_ref()?;
        let size = FrameSize::new(image.width(), image.height());
        if self.live.len() <= index {
            self.live.resize_with(index + 1, || None);
        }
        let slot = &mut self.live[index];
        if slot.as_ref().is_none_or(|live| live.size != size) {
            if let Some(old) = slot.take() {
                super::live_quad::unregister(render_state, old.key);
            }
            let texture = frame_texture(&render_state.device, size, "inspection result");
            let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            let key = next_live_key();
            super::live_quad::register(render_state, key, &view);
            *slot = Some(LiveTexture { texture, key, size });
        }
        let live = slot.as_ref()?;
        write_frame(&render_state.queue, &live.texture, image);
        Some(ResultPixels::Live(live.key))
    }

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
            let pixels = self.write_live(index, overlay).unwrap_or_else(|| {
                ResultPixels::Managed(upload(ctx, &format!("result-{index}"), overlay))
            });
            self.shown[index] = Some(ShownResult {
                part_seq: outcome.part_seq,
                pixels,
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
