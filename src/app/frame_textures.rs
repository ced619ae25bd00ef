//! Camera frames into GPU textures. The fast path writes each new frame straight into a wgpu
//! texture of its own (one copy, from the frame's buffer into wgpu's staging memory) that egui
//! draws as a native texture. The fallback, used when no wgpu device is available, goes through
//! egui's texture manager (a conversion to `Color32` and a second copy at paint time).
//! `qcstation bench cameras` measures both.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui_wgpu::RenderState;
use egui::{ColorImage, TextureHandle, TextureId, TextureOptions, Vec2};

use crate::camera::{Frame, FrameSize};
use crate::runtime::CameraHandle;

/// The window over which the shown rate is counted.
const SHOWN_WINDOW: Duration = Duration::from_secs(1);

/// Which way frames reach the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPath {
    /// Straight into a wgpu texture registered with egui as a native texture.
    Wgpu,
    /// Through egui's managed textures.
    Egui,
}

/// Totals of the upload work done on the UI thread.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UploadStats {
    pub uploads: u64,
    pub busy: Duration,
    pub bytes: u64,
}

struct GpuTexture {
    texture: wgpu::Texture,
    id: TextureId,
    /// The texture's key in the live-quad pipeline's bindings.
    live_key: u64,
    size: FrameSize,
}

/// Keys for live-quad bindings, unique in the process.
static NEXT_LIVE_KEY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A new key for a texture registered with the live-quad pipeline.
pub fn next_live_key() -> u64 {
    NEXT_LIVE_KEY.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

#[derive(Default)]
struct CameraTexture {
    seen_seq: u64,
    frame: Option<Arc<Frame>>,
    gpu: Option<GpuTexture>,
    managed: Option<TextureHandle>,
    shown_at: VecDeque<Instant>,
}

/// What a camera tile draws.
pub struct CameraView<'a> {
    pub texture: TextureId,
    /// On the wgpu path: the key to draw it with the live-quad pipeline (opaque, unblended).
    pub live_key: Option<u64>,
    pub size_px: Vec2,
    pub frame: &'a Frame,
}

pub struct FrameTextures {
    render_state: Option<RenderState>,
    cameras: Vec<CameraTexture>,
    stats: UploadStats,
}

impl FrameTextures {
    /// With a render state (eframe's or a headless one) frames take the wgpu path.
    pub fn new(render_state: Option<RenderState>, camera_count: usize) -> Self {
        Self {
            render_state,
            cameras: (0..camera_count)
                .map(|_| CameraTexture::default())
                .collect(),
            stats: UploadStats::default(),
        }
    }

    pub fn path(&self) -> UploadPath {
        if self.render_state.is_some() {
            UploadPath::Wgpu
        } else {
            UploadPath::Egui
        }
    }

    pub fn stats(&self) -> UploadStats {
        self.stats
    }

    /// Takes the newest frame of every camera for which `visible` is true and uploads it.
    pub fn refresh(
        &mut self,
        ctx: &egui::Context,
        cameras: &[CameraHandle],
        visible: impl Fn(usize) -> bool,
    ) {
        for (index, camera) in cameras.iter().enumerate() {
            if !visible(index) {
                continue;
            }
            let Some(slot) = self.cameras.get_mut(index) else {
                continue;
            };
            let Some(frame) = camera.slot.take_newer(slot.seen_seq) else {
                continue;
            };
            let started = Instant::now();
            match &self.render_state {
                Some(render_state) => upload_wgpu(render_state, slot, &frame, &camera.name),
                None => upload_managed(ctx, slot, &frame, &camera.name),
            }
            self.stats.busy += started.elapsed();
            self.stats.uploads += 1;
            self.stats.bytes += frame.display_image().as_raw().len() as u64;
            slot.seen_seq = frame.seq;
            slot.frame = Some(frame);
            let now = Instant::now();
            slot.shown_at.push_back(now);
            while slot
                .shown_at
                .front()
                .is_some_and(|at| now.duration_since(*at) > SHOWN_WINDOW)
            {
                slot.shown_at.pop_front();
            }
        }
    }

    /// The texture and frame to draw for camera `index`, once a frame has arrived.
    pub fn view(&self, index: usize) -> Option<CameraView<'_>> {
        let slot = self.cameras.get(index)?;
        let frame = slot.frame.as_deref()?;
        let (texture, live_key) = match (&slot.gpu, &slot.managed) {
            (Some(gpu), _) => (gpu.id, Some(gpu.live_key)),
            (None, Some(handle)) => (handle.id(), None),
            (None, None) => return None,
        };
        Some(CameraView {
            texture,
            live_key,
            size_px: Vec2::new(frame.image.width() as f32, frame.image.height() as f32),
            frame,
        })
    }

    /// Frames shown in the last second (counted now, so a camera that stops drops to 0).
    pub fn shown_fps(&self, index: usize) -> usize {
        self.cameras.get(index).map_or(0, |slot| {
            slot.shown_at
                .iter()
                .filter(|at| at.elapsed() <= SHOWN_WINDOW)
                .count()
        })
    }
}

fn upload_wgpu(render_state: &RenderState, slot: &mut CameraTexture, frame: &Frame, name: &str) {
    let image = frame.display_image();
    let size = FrameSize::new(image.width(), image.height());
    if slot.gpu.as_ref().is_none_or(|gpu| gpu.size != size) {
        let texture = frame_texture(&render_state.device, size, name);
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        if let Some(old) = slot.gpu.take() {
            render_state.renderer.write().free_texture(&old.id);
            super::live_quad::unregister(render_state, old.live_key);
        }
        let id = render_state.renderer.write().register_native_texture(
            &render_state.device,
            &view,
            wgpu::FilterMode::Linear,
        );
        let live_key = next_live_key();
        super::live_quad::register(render_state, live_key, &view);
        slot.gpu = Some(GpuTexture {
            texture,
            id,
            live_key,
            size,
        });
    }
    if let Some(gpu) = &slot.gpu {
        write_frame(&render_state.queue, &gpu.texture, image);
    }
}

/// A texture a camera's frames are written into and egui samples from.
pub fn frame_texture(device: &wgpu::Device, size: FrameSize, label: &str) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: size.width_px,
            height: size.height_px,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        // Not `…Srgb`: frames are sRGB-encoded bytes and the target is a non-sRGB framebuffer,
        // so sampling must not linearise them (that darkened every camera image).
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

/// Writes an RGBA frame into a texture of its size: the one copy of the wgpu path.
pub fn write_frame(queue: &wgpu::Queue, texture: &wgpu::Texture, image: &image::RgbaImage) {
    let (width, height) = image.dimensions();
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        image.as_raw(),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(4 * width),
            rows_per_image: Some(height),
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
}

fn upload_managed(ctx: &egui::Context, slot: &mut CameraTexture, frame: &Frame, name: &str) {
    let pixels = frame.display_image();
    let size = [pixels.width() as usize, pixels.height() as usize];
    // Camera frames are opaque, so premultiplied and straight alpha are the same bytes.
    let image = ColorImage::from_rgba_premultiplied(size, pixels.as_raw());
    match &mut slot.managed {
        Some(handle) => handle.set(image, TextureOptions::LINEAR),
        None => slot.managed = Some(ctx.load_texture(name, image, TextureOptions::LINEAR)),
    }
}

impl Drop for FrameTextures {
    fn drop(&mut self) {
        if let Some(render_state) = &self.render_state {
            let mut renderer = render_state.renderer.write();
            for slot in &mut self.cameras {
                if let Some(gpu) = slot.gpu.take() {
                    renderer.free_texture(&gpu.id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::camera::{LatestFrame, SourceSpec};

    #[test]
    fn shown_rate_falls_to_zero_when_a_camera_stops() {
        let slot = Arc::new(LatestFrame::new("bay"));
        let cameras = [CameraHandle {
            name: "bay".into(),
            spec: "demo:qr".parse::<SourceSpec>().unwrap(),
            slot: Arc::clone(&slot),
            ring: Arc::new(crate::camera::FrameRing::new(2)),
        }];
        let ctx = egui::Context::default();
        let mut textures = FrameTextures::new(None, 1);
        for seq in 1..=3 {
            slot.publish(Frame {
                seq,
                captured_at: Instant::now(),
                captured_utc: chrono::Utc::now(),
                image: image::RgbaImage::new(4, 4).into(),
                display: None,
            });
            textures.refresh(&ctx, &cameras, |_| true);
        }
        assert_eq!(textures.shown_fps(0), 3);
        std::thread::sleep(SHOWN_WINDOW + Duration::from_millis(50));
        assert_eq!(
            textures.shown_fps(0),
            0,
            "no frame for a second: nothing is shown"
        );
    }
}
