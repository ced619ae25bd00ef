//! `qcstation bench vision`: the frame fan-out without a UI. Synthetic cameras feed the vision
//! pool's drop-oldest lane while triggers fire on every camera at a fixed rate; the workers do
//! nothing, so what is measured is the plumbing: frames produced, queued and dropped, triggers
//! taken and lost, how far each trigger's frame was from its time, the buffers allocated, and
//! the process CPU per produced frame.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::camera::{DemoScene, FrameSize, SourceSpec};
use crate::runtime::{FrameJob, JobKind, Runtime, RuntimeOptions, VisionHandler, VisionLanes};

/// Counts jobs and keeps how far each trigger's frame was from the trigger.
#[derive(Default)]
struct DoNothing {
    frames: AtomicU64,
    trigger_offsets_micros: Mutex<Vec<u64>>,
}

impl VisionHandler for DoNothing {
    fn handle(&self, job: &FrameJob) {
        match job.kind {
            JobKind::Continuous => {
                self.frames.fetch_add(1, Ordering::Relaxed);
            }
            JobKind::Trigger { fired_at, .. } => {
                let captured_at = job.frame.captured_at;
                let off = captured_at
                    .saturating_duration_since(fired_at)
                    .max(fired_at.saturating_duration_since(captured_at));
                if let Ok(mut offsets) = self.trigger_offsets_micros.lock() {
                    offsets.push(u64::try_from(off.as_micros()).unwrap_or(u64::MAX));
                }
            }
        }
    }
}

/// What to run.
#[derive(Debug, clap::Args)]
pub struct VisionBench {
    #[arg(long, default_value_t = 4)]
    pub cameras: usize,
    #[arg(long, default_value = "1920x1080")]
    pub size: FrameSize,
    #[arg(long, default_value_t = 30.0)]
    pub fps: f32,
    /// Vision workers in the pool.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Triggers per second on each camera.
    #[arg(long, default_value_t = 5.0)]
    pub trigger_hz: f32,
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f32,
}

pub fn run(bench: &VisionBench) -> anyhow::Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("qcstation-bench-vision-{}", std::process::id()));
    let scenes = [DemoScene::Porosity, DemoScene::Label, DemoScene::Qr];
    let cameras = (0..bench.cameras)
        .map(|index| {
            let spec = SourceSpec::demo(scenes[index % scenes.len()])
                .with_size(bench.size)
                .with_fps(bench.fps)
                .with_seed(index as u64 + 1);
            (format!("cam {index}"), spec)
        })
        .collect();
    let mut runtime = Runtime::start(RuntimeOptions {
        demo: false,
        cameras: Some(cameras),
        ..RuntimeOptions::scratch(dir.join("bench.sqlite"))
    })
    .context("starting the runtime")?;
    let handler = Arc::new(DoNothing::default());
    let queue = runtime.start_vision(handler.clone(), bench.workers, VisionLanes::default())?;
    // Let every camera open and fill its one-second ring (and so its buffer pool) first.
    let warm_frames = (bench.fps * 1.5).ceil() as u64;
    let warm_until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < warm_until
        && runtime
            .cameras()
            .iter()
            .any(|camera| camera.slot.counters().produced < warm_frames)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    runtime.feed_vision(queue.clone());
    let produced_at_start: u64 = produced(&runtime);
    let fresh_at_start: u64 = fresh(&runtime);
    let cpu_start = cpu_time::ProcessTime::now();
    let started = Instant::now();
    let period = Duration::from_secs_f32(1.0 / bench.trigger_hz.max(0.01));
    let mut next_trigger = started + period;
    let (mut fired, mut missed) = (0_u64, Vec::new());
    while started.elapsed().as_secs_f32() < bench.seconds {
        let now = Instant::now();
        if now >= next_trigger {
            next_trigger += period;
            for camera in 0..bench.cameras {
                fired += 1;
                if let Err(err) = runtime.trigger(camera, now, &queue) {
                    missed.push(err.to_string());
                }
            }
        } else {
            std::thread::sleep((next_trigger - now).min(Duration::from_millis(5)));
        }
    }
    let elapsed = started.elapsed();
    let cpu = cpu_start.elapsed();
    let produced_frames = produced(&runtime) - produced_at_start;
    let fresh_buffers = fresh(&runtime) - fresh_at_start;
    // Let the pool finish what is queued before counting.
    std::thread::sleep(Duration::from_millis(300));
    let counts = queue.counts();
    let mut offsets = handler
        .trigger_offsets_micros
        .lock()
        .map(|offsets| offsets.clone())
        .unwrap_or_default();
    offsets.sort_unstable();
    let percentile = |p: f64| {
        let index = ((offsets.len() as f64 - 1.0) * p).round() as usize;
        offsets
            .get(index)
            .map_or(0.0, |&micros| micros as f64 / 1e3)
    };
    let report = runtime.shutdown();
    std::fs::remove_dir_all(&dir).ok();

    let nominal = bench.fps as f64 * bench.cameras as f64 * elapsed.as_secs_f64();
    println!(
        "vision fan-out: {} cameras {} at {} fps, {} do-nothing workers, triggers at {} Hz per camera, {:.1} s",
        bench.cameras,
        bench.size,
        bench.fps,
        bench.workers,
        bench.trigger_hz,
        elapsed.as_secs_f64()
    );
    println!(
        "  frames produced {produced_frames} ({:.0}% of nominal); queued for vision {}, dropped oldest {} ({:.1}%), handled {}",
        100.0 * produced_frames as f64 / nominal.max(1.0),
        counts.frames_queued,
        counts.frames_dropped,
        100.0 * counts.frames_dropped as f64 / (counts.frames_queued.max(1) as f64),
        handler.frames.load(Ordering::Relaxed),
    );
    println!(
        "  triggers fired {fired}, queued {}, refused {}, without a frame {}, handled {}; frame offset from trigger p50 {:.1} ms, max {:.1} ms",
        counts.triggers_queued,
        counts.triggers_refused,
        missed.len(),
        offsets.len(),
        percentile(0.5),
        percentile(1.0),
    );
    println!(
        "  fresh frame buffers {fresh_buffers} ({:.4} per produced frame); process CPU {:.2} ms per produced frame; shutdown joined {} workers",
        fresh_buffers as f64 / produced_frames.max(1) as f64,
        cpu.as_secs_f64() * 1e3 / produced_frames.max(1) as f64,
        report.joined.len()
    );
    if let Some(first) = missed.first() {
        println!("  first trigger without a frame: {first}");
    }
    let lost = fired - offsets.len() as u64;
    Ok(if lost == 0 {
        ExitCode::SUCCESS
    } else {
        println!("  {lost} trigger(s) lost");
        ExitCode::FAILURE
    })
}

fn produced(runtime: &Runtime) -> u64 {
    runtime
        .cameras()
        .iter()
        .map(|camera| camera.slot.counters().produced)
        .sum()
}

fn fresh(runtime: &Runtime) -> u64 {
    runtime
        .cameras()
        .iter()
        .map(|camera| camera.slot.counters().fresh_buffers)
        .sum()
}
