//! Synthetic cameras: moving, plausible scenes of the station's three jobs, rendered without
//! hardware. Each part is rendered once as a "world" image a little larger than the view; every
//! frame then looks at it through a moving window (a part settling in a fixture, boards passing
//! on a conveyor, a hand-held reader drifting), with flickering light and sensor noise added.
//! The porosity scene comes from the porosity ground-truth generator (`vision::synth`).

pub mod bench;
mod label;
mod porosity;
mod qr_mark;
mod sensor;
pub(crate) mod texture;

use std::time::Instant;

use image::RgbaImage;

use super::frame::FrameNumbering;
use super::source::Pacer;
use super::{CameraError, Cancel, DemoScene, Frame, FramePool, FrameSize, FrameSource};
use sensor::Sensor;

/// How a scene moves in front of the camera.
struct Motion {
    /// A new part every so many seconds.
    part_period_secs: f64,
    /// The world tiles horizontally (a conveyor).
    wraps_x: bool,
}

fn motion(scene: DemoScene) -> Motion {
    match scene {
        DemoScene::Porosity => Motion {
            part_period_secs: 6.0,
            wraps_x: false,
        },
        DemoScene::Label => Motion {
            part_period_secs: label::PASS_SECS,
            wraps_x: true,
        },
        DemoScene::Qr => Motion {
            part_period_secs: 5.0,
            wraps_x: false,
        },
    }
}

/// The part of a scene every part shares (the expensive per-pixel texture), rendered once per
/// source so that a new part costs a copy and its own features, not a camera stall.
enum Backdrop {
    Porosity(crate::vision::synth::Face),
    Label(label::Backdrop),
    Qr(RgbaImage),
}

impl Backdrop {
    fn new(scene: DemoScene, size: FrameSize, seed: u64) -> Self {
        match scene {
            DemoScene::Porosity => Self::Porosity(porosity::backdrop(size, seed)),
            DemoScene::Label => Self::Label(label::backdrop(size, seed)),
            DemoScene::Qr => Self::Qr(qr_mark::backdrop(size, seed)),
        }
    }

    fn render_part(&self, size: FrameSize, seed: u64, part: u64) -> Result<RgbaImage, CameraError> {
        match self {
            Self::Porosity(face) => Ok(porosity::render(face, seed, part)),
            Self::Label(backdrop) => label::render(backdrop, size, seed, part),
            Self::Qr(steel) => qr_mark::render(steel, size, seed, part),
        }
    }
}

/// Top-left corner of the view in the world at `t_secs` into the current part.
fn view_offset(scene: DemoScene, t_secs: f64, world: FrameSize, view: FrameSize) -> (i64, i64) {
    let margin_x = f64::from(world.width_px.saturating_sub(view.width_px)) / 2.0;
    let margin_y = f64::from(world.height_px.saturating_sub(view.height_px)) / 2.0;
    let (x, y) = match scene {
        DemoScene::Porosity => {
            // The part slides into the fixture, then sits with a little machine vibration.
            let settle = (1.0 - (t_secs / 0.5).min(1.0)).powi(2);
            let vibration = (t_secs * 47.0).sin() * 1.2;
            (
                margin_x * (1.0 + 0.9 * settle) + vibration,
                margin_y + (t_secs * 31.0).cos() * 0.8,
            )
        }
        DemoScene::Label => (
            t_secs * label::CONVEYOR_FRACTION_PER_SEC * f64::from(view.width_px),
            margin_y + (t_secs * 13.0).sin() * 0.6,
        ),
        DemoScene::Qr => (
            margin_x * (1.0 + 0.6 * (t_secs * 0.9).sin()),
            margin_y * (1.0 + 0.5 * (t_secs * 1.3 + 1.0).sin()),
        ),
    };
    (x.round() as i64, y.round() as i64)
}

/// A synthetic scene rendered at any time `t_secs`, without pacing: the source below paces it
/// like a camera; benchmarks and generators call it directly.
pub struct SyntheticScene {
    scene: DemoScene,
    size: FrameSize,
    seed: u64,
    part: u64,
    backdrop: Backdrop,
    world: RgbaImage,
    sensor: Sensor,
}

impl SyntheticScene {
    pub fn new(scene: DemoScene, size: FrameSize, seed: u64) -> Result<Self, CameraError> {
        let backdrop = Backdrop::new(scene, size, seed);
        Ok(Self {
            scene,
            size,
            seed,
            part: 0,
            world: backdrop.render_part(size, seed, 0)?,
            backdrop,
            sensor: Sensor::new(seed),
        })
    }

    pub fn size(&self) -> FrameSize {
        self.size
    }

    /// The frame seen `t_secs` after the scene started (a new part is rendered when one is due),
    /// in a new image.
    pub fn render(&mut self, t_secs: f64) -> Result<RgbaImage, CameraError> {
        let mut out = RgbaImage::new(self.size.width_px, self.size.height_px);
        self.render_into(t_secs, &mut out)?;
        Ok(out)
    }

    /// `render` into `out`, which must be of the scene's size; every pixel is written, so a
    /// reused buffer needs no clearing.
    pub fn render_into(&mut self, t_secs: f64, out: &mut RgbaImage) -> Result<(), CameraError> {
        if out.dimensions() != (self.size.width_px, self.size.height_px) {
            return Err(CameraError::Synthetic {
                scene: self.scene.as_str(),
                reason: format!(
                    "asked to render {}x{} into a {}x{} image",
                    self.size.width_px,
                    self.size.height_px,
                    out.width(),
                    out.height()
                ),
            });
        }
        let motion = motion(self.scene);
        let part = (t_secs.max(0.0) / motion.part_period_secs) as u64;
        if part != self.part {
            self.part = part;
            self.world = self.backdrop.render_part(self.size, self.seed, part)?;
        }
        let t_in_part = t_secs - part as f64 * motion.part_period_secs;
        let world_size = FrameSize::new(self.world.width(), self.world.height());
        let (x, y) = view_offset(self.scene, t_in_part, world_size, self.size);
        // Mains-frequency flicker beating against the frame rate, as under real LED lights.
        let gain = 1.0 + 0.025 * (t_secs * 2.0 * std::f64::consts::PI * 0.7).sin() as f32;
        self.sensor
            .expose_into(&self.world, x, y, motion.wraps_x, gain, out);
        Ok(())
    }
}

pub(super) struct SyntheticSource {
    scene: SyntheticScene,
    fps: f32,
    pacer: Pacer,
    numbering: FrameNumbering,
    started: Option<Instant>,
    pool: FramePool,
}

impl SyntheticSource {
    pub fn new(
        scene: DemoScene,
        size: FrameSize,
        fps: f32,
        seed: u64,
    ) -> Result<Self, CameraError> {
        Ok(Self {
            scene: SyntheticScene::new(scene, size, seed)?,
            fps,
            pacer: Pacer::new(fps),
            numbering: FrameNumbering::default(),
            started: None,
            pool: FramePool::for_stream(size, fps),
        })
    }
}

impl FrameSource for SyntheticSource {
    fn size(&self) -> FrameSize {
        self.scene.size
    }

    fn nominal_fps(&self) -> f32 {
        self.fps
    }

    fn next_frame(&mut self, cancel: Cancel<'_>) -> Result<Frame, CameraError> {
        let captured_at = self.pacer.wait(cancel)?;
        let started = *self.started.get_or_insert(captured_at);
        let mut image = self.pool.take();
        self.scene.render_into(
            captured_at.duration_since(started).as_secs_f64(),
            &mut image,
        )?;
        Ok(self.numbering.next(captured_at, image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grab(scene: DemoScene) -> (Frame, Frame) {
        let mut source = SyntheticSource::new(scene, FrameSize::new(320, 180), 60.0, 3).unwrap();
        let first = source.next_frame(Cancel::never()).unwrap();
        for _ in 0..5 {
            source.next_frame(Cancel::never()).unwrap();
        }
        (first, source.next_frame(Cancel::never()).unwrap())
    }

    #[test]
    fn frames_reuse_pooled_buffers_and_match_fresh_renders() {
        let size = FrameSize::new(96, 64);
        let mut source = SyntheticSource::new(DemoScene::Label, size, 500.0, 5).unwrap();
        let mut reference = SyntheticScene::new(DemoScene::Label, size, 5).unwrap();
        let mut started = None;
        for _ in 0..4 {
            let frame = source.next_frame(Cancel::never()).unwrap();
            let t0 = *started.get_or_insert(frame.captured_at);
            // The sensor's noise differs per call, so compare the scene's first frame only.
            if frame.seq == 1 {
                let expected = reference
                    .render(frame.captured_at.duration_since(t0).as_secs_f64())
                    .unwrap();
                assert_eq!(frame.image.as_raw(), expected.as_raw());
            }
        }
        let stats = source.pool.stats();
        assert_eq!((stats.fresh, stats.reused), (1, 3), "{stats:?}");
        let mut wrong = RgbaImage::new(10, 10);
        assert!(reference.render_into(0.0, &mut wrong).is_err());
    }

    #[test]
    fn every_scene_moves_and_has_content() {
        for scene in DemoScene::ALL {
            let (first, later) = grab(scene);
            assert_eq!(first.size(), FrameSize::new(320, 180));
            assert_eq!(later.seq, 7);
            assert!(later.captured_at > first.captured_at);
            let differing = first
                .image
                .pixels()
                .zip(later.image.pixels())
                .filter(|(a, b)| a.0[0].abs_diff(b.0[0]) > 12)
                .count();
            assert!(differing > 100, "{scene:?} did not move: {differing}");
            let (min, max) = first
                .image
                .pixels()
                .fold((255u8, 0u8), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
            // A machined face under diffuse light is honestly low in contrast (the porosity
            // scene is the ground-truth generator's); boards and marks are not.
            let wanted = if scene == DemoScene::Porosity { 40 } else { 80 };
            assert!(
                max - min > wanted,
                "{scene:?} has too little contrast: {min}..{max}"
            );
        }
    }
}
