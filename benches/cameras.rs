//! Camera path benchmarks (criterion): rendering a synthetic 1080p frame per scene, a part
//! change, the latest-frame slot, and getting a 1080p frame to the GPU both ways — straight into
//! a wgpu texture, and through egui's managed textures (conversion + the renderer's upload) —
//! measured side by side so their ratio is in the same run. The whole live grid is measured by
//! `qcstation bench cameras`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // bench code: a failed unwrap is a failed run

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use egui::{ColorImage, TextureOptions};
use qcstation::camera::{DemoScene, Frame, FrameSize, LatestFrame, SyntheticScene};

const FULL_HD: FrameSize = FrameSize::new(1920, 1080);

fn synthetic(c: &mut Criterion) {
    let mut group = c.benchmark_group("synthetic_frame_1080p");
    group.throughput(Throughput::Elements(1));
    for scene in DemoScene::ALL {
        let mut renderer = SyntheticScene::new(scene, FULL_HD, 1).unwrap();
        let mut t = 0.0;
        group.bench_function(scene.as_str(), |b| {
            b.iter(|| {
                // Stay inside the first part so this is the per-frame cost.
                t = (t + 0.033) % 1.9;
                black_box(renderer.render(t).unwrap())
            });
        });
    }
    group.finish();
    // A new part arriving: every call jumps 20 s ahead, past a part boundary of every scene.
    let mut group = c.benchmark_group("synthetic_part_change_1080p");
    group.sample_size(20);
    for scene in DemoScene::ALL {
        let mut renderer = SyntheticScene::new(scene, FULL_HD, 7).unwrap();
        let mut t = 0.0;
        group.bench_function(scene.as_str(), |b| {
            b.iter(|| {
                t += 20.0;
                black_box(renderer.render(t).unwrap())
            });
        });
    }
    group.finish();
    let mut group = c.benchmark_group("synthetic_source_start_1080p");
    group.sample_size(10);
    for scene in DemoScene::ALL {
        group.bench_function(scene.as_str(), |b| {
            b.iter(|| black_box(SyntheticScene::new(scene, FULL_HD, 7).unwrap()));
        });
    }
    group.finish();
}

fn slot(c: &mut Criterion) {
    let slot = LatestFrame::new("bench");
    let image = image::RgbaImage::new(64, 64);
    let mut seq = 0;
    c.bench_function("latest_frame_publish_and_take", |b| {
        b.iter(|| {
            seq += 1;
            slot.publish(Frame {
                seq,
                captured_at: Instant::now(),
                captured_utc: chrono::Utc::now(),
                image: image.clone().into(),
                display: None,
            });
            black_box(slot.take_newer(seq - 1))
        });
    });
}

fn upload(c: &mut Criterion) {
    let Ok(render_state) = qcstation::app::headless_render_state() else {
        eprintln!("upload benchmarks skipped: no wgpu adapter (install mesa-vulkan-drivers)");
        return;
    };
    let info = render_state.adapter.get_info();
    eprintln!("upload benchmarks on {} ({:?})", info.name, info.backend);
    let frame = Arc::new(
        SyntheticScene::new(DemoScene::Porosity, FULL_HD, 1)
            .unwrap()
            .render(0.0)
            .unwrap(),
    );
    let (device, queue) = (&render_state.device, &render_state.queue);
    let texture = qcstation::app::frame_texture(device, FULL_HD, "bench frame");
    let wait = || {
        queue.submit([]);
        device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    };
    let mut group = c.benchmark_group("upload_1080p_frame");
    group.throughput(Throughput::Bytes(frame.as_raw().len() as u64));
    group.sample_size(30);
    group.bench_function("wgpu_write_texture", |b| {
        b.iter(|| {
            qcstation::app::write_frame(queue, &texture, &frame);
            wait();
        });
    });
    let id = egui::TextureId::User(1);
    group.bench_function("egui_managed_texture", |b| {
        b.iter(|| {
            let image = ColorImage::from_rgba_premultiplied(
                [FULL_HD.width_px as usize, FULL_HD.height_px as usize],
                frame.as_raw(),
            );
            let delta = egui::epaint::ImageDelta::full(image, TextureOptions::LINEAR);
            render_state
                .renderer
                .write()
                .update_texture(device, queue, id, &delta);
            wait();
        });
    });
    group.finish();
}

criterion_group!(benches, synthetic, slot, upload);
criterion_main!(benches);
