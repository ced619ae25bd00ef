//! Camera frames drawn by a wgpu pipeline of their own: one opaque textured quad per tile, no
//! blending, a fragment shader that samples and returns. egui's general pipeline blends every
//! fragment and runs its colour, dithering and sampling logic on it; on a fill-rate-bound GPU
//! (Mesa's llvmpipe here, a Raspberry Pi class kiosk) that made each camera's pixels cost several
//! times what they need. egui still draws everything else around the tiles.
//!
//! Owns the pipeline and one bind group per camera texture, kept in egui-wgpu's callback
//! resources; `FrameTextures` registers a texture when it creates one. Nothing here uploads
//! pixels or decides what is visible.

use std::collections::HashMap;

use eframe::egui_wgpu::{self, CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};
use egui::Rect;

const SHADER: &str = r"
struct UvRect { min_uv: vec2<f32>, max_uv: vec2<f32>, band_from: f32, band_keep: f32, pad: vec2<f32> };
@group(0) @binding(0) var frame_tex: texture_2d<f32>;
@group(0) @binding(1) var frame_sampler: sampler;
@group(0) @binding(2) var<uniform> uv_rect: UvRect;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
    @location(1) down: f32,
};

// A quad filling the viewport (egui sets it to the tile), as a 4-vertex triangle strip.
@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    let corner = vec2<f32>(f32(index & 1u), f32(index >> 1u));
    var out: VertexOut;
    out.position = vec4<f32>(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0, 0.0, 1.0);
    out.uv = mix(uv_rect.min_uv, uv_rect.max_uv, corner);
    out.down = corner.y;
    return out;
}

// Frames and target are both 8-bit sRGB-encoded without conversion: a plain copy of colour.
// The sampler clamps, so texture coordinates outside 0..1 are safe to sample.
// Below `band_from` (0..1 down the quad) the image is dimmed for the caption drawn over it, so
// the caption needs no blended overlay of its own.
@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let colour = textureSample(frame_tex, frame_sampler, in.uv);
    // Outside the frame (the tile's letterbox bars) is black: one opaque pass covers the tile.
    let inside = all(in.uv >= vec2<f32>(0.0)) && all(in.uv <= vec2<f32>(1.0));
    let keep = select(1.0, uv_rect.band_keep, in.down >= uv_rect.band_from);
    return vec4<f32>(select(vec3<f32>(0.0), colour.rgb * keep, inside), 1.0);
}
";

/// The part of the frame a quad shows, in texture coordinates (0..1).
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct UvUniform {
    min_uv: [f32; 2],
    max_uv: [f32; 2],
    band_from: f32,
    band_keep: f32,
    pad: [f32; 2],
}

/// The foot of a quad dimmed under a caption: from `from` (0 = top, 1 = bottom) down, colour is
/// multiplied by `keep`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaptionBand {
    pub from: f32,
    pub keep: f32,
}

impl CaptionBand {
    pub const NONE: Self = Self {
        from: 2.0,
        keep: 1.0,
    };
}

/// The pipeline, shared by every camera.
pub struct LivePipeline {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
}

/// One camera texture as the pipeline binds it.
pub struct LiveBinding {
    bind_group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
}

impl LivePipeline {
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat) -> Self {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("live quad"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("live quad"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 2,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("live quad"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("live quad"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                // Opaque: no blending, so the GPU never reads what is underneath.
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                ..wgpu::PrimitiveState::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("live quad"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..wgpu::SamplerDescriptor::default()
        });
        Self {
            pipeline,
            layout,
            sampler,
        }
    }

    /// Binds a camera texture (format `Rgba8Unorm`) for drawing.
    pub fn bind(&self, device: &wgpu::Device, view: &wgpu::TextureView) -> LiveBinding {
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("live quad uv"),
            size: std::mem::size_of::<UvUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("live quad"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: uniform.as_entire_binding(),
                },
            ],
        });
        LiveBinding {
            bind_group,
            uniform,
        }
    }

    /// Sets which part of the frame `binding` shows, and the caption band dimmed at its foot;
    /// call before the pass that draws it.
    pub fn set_uv(queue: &wgpu::Queue, binding: &LiveBinding, uv: Rect, band: CaptionBand) {
        let uniform = UvUniform {
            min_uv: [uv.min.x, uv.min.y],
            max_uv: [uv.max.x, uv.max.y],
            band_from: band.from,
            band_keep: band.keep,
            pad: [0.0; 2],
        };
        queue.write_buffer(&binding.uniform, 0, bytemuck::bytes_of(&uniform));
    }

    /// Draws `binding` into the pass's current viewport.
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>, binding: &LiveBinding) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &binding.bind_group, &[]);
        pass.draw(0..4, 0..1);
    }
}

/// An offscreen render target (benchmarks, tests): `usage` beyond rendering, e.g. `COPY_SRC`.
pub fn offscreen_target(
    device: &wgpu::Device,
    format: wgpu::TextureFormat,
    (width, height): (u32, u32),
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("offscreen target"),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | usage,
        view_formats: &[],
    })
}

/// A render pass that starts by clearing `view` to `colour`.
pub fn clearing_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    view: &wgpu::TextureView,
    colour: wgpu::Color,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some("clearing pass"),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: wgpu::LoadOp::Clear(colour),
                store: wgpu::StoreOp::Store,
            },
        })],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    })
}

/// The pipeline and every bound camera texture, stored in egui-wgpu's callback resources.
pub struct LiveResources {
    pipeline: LivePipeline,
    bindings: HashMap<u64, LiveBinding>,
}

/// Registers `view` under `key` (replacing an older texture of the same key).
pub fn register(render_state: &RenderState, key: u64, view: &wgpu::TextureView) {
    let mut renderer = render_state.renderer.write();
    let resources = &mut renderer.callback_resources;
    if resources.get::<LiveResources>().is_none() {
        resources.insert(LiveResources {
            pipeline: LivePipeline::new(&render_state.device, render_state.target_format),
            bindings: HashMap::new(),
        });
    }
    if let Some(live) = resources.get_mut::<LiveResources>() {
        let binding = live.pipeline.bind(&render_state.device, view);
        live.bindings.insert(key, binding);
    }
}

/// Forgets the texture registered under `key`.
pub fn unregister(render_state: &RenderState, key: u64) {
    let mut renderer = render_state.renderer.write();
    if let Some(live) = renderer.callback_resources.get_mut::<LiveResources>() {
        live.bindings.remove(&key);
    }
}

/// A paint callback drawing the camera texture `key`'s `uv` part into the callback's rect.
pub struct LiveQuad {
    pub key: u64,
    pub uv: Rect,
    pub band: CaptionBand,
}

impl LiveQuad {
    pub fn shape(self, rect: Rect) -> egui::Shape {
        egui::Shape::Callback(egui_wgpu::Callback::new_paint_callback(rect, self))
    }
}

impl CallbackTrait for LiveQuad {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen_descriptor: &ScreenDescriptor,
        _egui_encoder: &mut wgpu::CommandEncoder,
        callback_resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(binding) = callback_resources
            .get::<LiveResources>()
            .and_then(|live| live.bindings.get(&self.key))
        {
            LivePipeline::set_uv(queue, binding, self.uv, self.band);
        }
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        callback_resources: &CallbackResources,
    ) {
        if let Some(live) = callback_resources.get::<LiveResources>()
            && let Some(binding) = live.bindings.get(&self.key)
        {
            live.pipeline.draw(render_pass, binding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::frame_textures::{frame_texture, write_frame};
    use crate::app::headless_render_state;
    use crate::camera::FrameSize;

    /// Draws a flat sRGB grey frame through the pipeline into an 8×8 target and reads it back.
    fn draw_grey(band: CaptionBand) -> Vec<[u8; 4]> {
        let state = headless_render_state().expect("lavapipe or a GPU");
        let (device, queue) = (&state.device, &state.queue);
        let size = FrameSize::new(8, 8);
        let target = offscreen_target(
            device,
            wgpu::TextureFormat::Rgba8Unorm,
            (8, 8),
            wgpu::TextureUsages::COPY_SRC,
        );
        let pipeline = LivePipeline::new(device, wgpu::TextureFormat::Rgba8Unorm);
        let frame = frame_texture(device, size, "grey");
        write_frame(
            queue,
            &frame,
            &image::RgbaImage::from_pixel(8, 8, image::Rgba([128, 64, 200, 255])),
        );
        let binding = pipeline.bind(
            device,
            &frame.create_view(&wgpu::TextureViewDescriptor::default()),
        );
        LivePipeline::set_uv(
            queue,
            &binding,
            Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            band,
        );
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: 256 * 8,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
        {
            let view = target.create_view(&wgpu::TextureViewDescriptor::default());
            let mut pass = clearing_pass(&mut encoder, &view, wgpu::Color::BLACK);
            pipeline.draw(&mut pass, &binding);
        }
        encoder.copy_texture_to_buffer(
            target.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(256),
                    rows_per_image: Some(8),
                },
            },
            wgpu::Extent3d {
                width: 8,
                height: 8,
                depth_or_array_layers: 1,
            },
        );
        queue.submit([encoder.finish()]);
        readback
            .slice(..)
            .map_async(wgpu::MapMode::Read, |result| result.unwrap());
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
        let bytes = readback.slice(..).get_mapped_range().unwrap().to_vec();
        (0..8)
            .map(|row| {
                let at = row * 256;
                [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]
            })
            .collect()
    }

    #[test]
    fn frames_reach_the_target_unchanged_and_the_caption_band_is_dimmed() {
        // Row colours of the first column, top to bottom.
        let plain = draw_grey(CaptionBand::NONE);
        assert!(
            plain.iter().all(|pixel| *pixel == [128, 64, 200, 255]),
            "colour changed on the way (an sRGB conversion?): {plain:?}"
        );
        let banded = draw_grey(CaptionBand {
            from: 0.5,
            keep: 0.5,
        });
        assert_eq!(banded[0], [128, 64, 200, 255], "above the band");
        assert_eq!(banded[7], [64, 32, 100, 255], "inside the band");
    }
}
