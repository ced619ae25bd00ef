//! `qcstation bench cameras`: the live grid with N synthetic cameras, drawn by the real Inspect
//! code into an offscreen wgpu target at up to 60 Hz (a display's pace), for a set time. It
//! measures frames produced vs shown, UI frame time (CPU + waiting for the GPU), CPU per shown
//! frame, the upload cost per frame, and allocations per frame (pool buffers allocated fresh, and
//! the whole process's heap allocations when the binary counts them), for either upload path.

use std::fmt;
use std::time::{Duration, Instant};

use eframe::egui_wgpu::{
    RenderState, RendererOptions, ScreenDescriptor, WgpuConfiguration, WgpuSetup,
};
use egui::{CentralPanel, Panel, Pos2, RawInput, Rect, vec2};

use super::admin::{AdminView, admin_ui};
use super::frame_textures::{FrameTextures, UploadPath, write_frame};
use super::inspect::{InspectView, grid_ui, inspect_ui};
use super::live_quad::{CaptionBand, LivePipeline, clearing_pass, offscreen_target};
use super::signin::{SignInForm, sign_in_screen_ui};
use super::state::AppState;
use super::{theme, top_bar};
use crate::camera::{DemoScene, FrameSize, SourceSpec, SyntheticScene};
use crate::runtime::stats::nearest_rank;
use crate::runtime::{AuditQuery, Event, Runtime, RuntimeOptions, UsersCommand, UsersEvent};

const SCREEN: FrameSize = FrameSize::new(1920, 1080);
use super::repaint::DISPLAY_PERIOD;
const WARM_UP: Duration = Duration::from_secs(1);

/// What the benchmark draws around the cameras: the station's own screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchScene {
    /// Signed out: the sign-in form beside the live grid.
    SignIn,
    /// The Inspect grid of every camera.
    Inspect,
    /// One camera expanded and zoomed 2×.
    Expanded,
    /// Admin › Users: no camera visible.
    Admin,
}

impl BenchScene {
    pub const ALL: [Self; 4] = [Self::SignIn, Self::Inspect, Self::Expanded, Self::Admin];

    pub fn title(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in with live grid",
            Self::Inspect => "Inspect grid",
            Self::Expanded => "expanded camera, zoomed 2x",
            Self::Admin => "Admin users",
        }
    }

    /// Which cameras the scene shows.
    fn shows(self, index: usize) -> bool {
        match self {
            Self::SignIn | Self::Inspect => true,
            Self::Expanded => index == 0,
            Self::Admin => false,
        }
    }
}

/// The process's heap allocations so far, from a counting global allocator in the binary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessAllocations {
    /// Allocation and reallocation calls.
    pub calls: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone)]
pub struct CameraBenchResult {
    pub scene: BenchScene,
    pub adapter: String,
    pub path: UploadPath,
    pub cameras: usize,
    pub size: FrameSize,
    pub fps: f32,
    pub seconds: f32,
    /// The window actually measured (ends with the last UI frame, so a little over `seconds`).
    pub measured_secs: f64,
    pub produced: u64,
    pub shown: u64,
    pub dropped: u64,
    pub ui_frames: usize,
    pub frame_ms_p50: f64,
    pub frame_ms_p99: f64,
    /// Process CPU (capture threads included) per frame shown.
    pub cpu_ms_per_shown_frame: f64,
    /// Process CPU per frame produced: what a camera frame costs, whatever the UI manages to show
    /// (less sensitive to other load on the machine than the per-shown figure).
    pub cpu_ms_per_produced_frame: f64,
    /// UI-thread CPU per frame shown.
    pub ui_cpu_ms_per_shown_frame: f64,
    /// UI-thread CPU per UI frame (egui, tessellation, uploads, encoding; not the GPU's work).
    pub ui_cpu_ms_per_ui_frame: f64,
    /// UI-thread time spent getting one frame to the GPU (for the egui path this includes the
    /// renderer's texture update at paint time).
    pub upload_ms_per_frame: f64,
    pub upload_mb_per_s: f64,
    /// Frames whose pixel buffer was allocated rather than reused from the camera's pool.
    pub fresh_buffers: u64,
    /// Porosity inspection running meanwhile (`bench inspect`), when asked for.
    pub inspection: Option<InspectionFigures>,
    /// Heap allocations of the whole process in the measured window, if they were counted.
    pub process_allocations: Option<ProcessAllocations>,
}

/// What porosity inspection did while the UI was measured.
#[derive(Debug, Clone, Default)]
pub struct InspectionFigures {
    pub period: Duration,
    pub workers: usize,
    /// Parts triggered, and those that got a verdict.
    pub triggers: u64,
    pub parts: u64,
    /// Cameras that could not be inspected (no frame, detector failure) and unsaved records.
    pub errors: u64,
    pub unsaved: u64,
    /// Trigger to the part's verdict (its last camera).
    pub cycle_ms_p50: f64,
    pub cycle_ms_p95: f64,
    pub cycle_ms_max: f64,
}

impl fmt::Display for InspectionFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  inspection: a part every {:.1} s on every camera, {} vision workers: {} triggered, {} judged, {} camera errors, {} unsaved; trigger to verdict p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
            self.period.as_secs_f64(),
            self.workers,
            self.triggers,
            self.parts,
            self.errors,
            self.unsaved,
            self.cycle_ms_p50,
            self.cycle_ms_p95,
            self.cycle_ms_max
        )
    }
}

/// Porosity inspection to run during `bench_cameras`: every camera takes a part each `period`.
#[derive(Debug, Clone, Copy)]
pub struct InspectionLoad {
    pub period: Duration,
    pub workers: usize,
}

/// Part number of the benchmark's recipe: the station default, over every camera.
const BENCH_PART: &str = "BENCH";

impl fmt::Display for CameraBenchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bench cameras, {}: {} x {} @ {} fps for {} s, {:?} upload path, adapter {}",
            self.scene.title(),
            self.cameras,
            self.size,
            self.fps,
            self.seconds,
            self.path,
            self.adapter
        )?;
        let expected = f64::from(self.fps) * self.measured_secs * self.cameras as f64;
        writeln!(
            f,
            "  frames: produced {} ({:.0}% of {:.0} nominal), shown {} ({:.1}%), dropped {}",
            self.produced,
            100.0 * self.produced as f64 / expected.max(1.0),
            expected,
            self.shown,
            100.0 * self.shown as f64 / (self.produced.max(1)) as f64,
            self.dropped
        )?;
        writeln!(
            f,
            "  UI frames: {} ({:.1} Hz), frame time p50 {:.2} ms, p99 {:.2} ms (GPU wait included), UI-thread CPU {:.2} ms per frame",
            self.ui_frames,
            self.ui_frames as f64 / self.measured_secs,
            self.frame_ms_p50,
            self.frame_ms_p99,
            self.ui_cpu_ms_per_ui_frame
        )?;
        writeln!(
            f,
            "  CPU per shown frame: {:.2} ms process, {:.2} ms UI thread; upload {:.3} ms per frame ({:.0} MB/s)",
            self.cpu_ms_per_shown_frame,
            self.ui_cpu_ms_per_shown_frame,
            self.upload_ms_per_frame,
            self.upload_mb_per_s
        )?;
        writeln!(
            f,
            "  process CPU per produced frame: {:.2} ms",
            self.cpu_ms_per_produced_frame
        )?;
        let produced = self.produced.max(1) as f64;
        write!(
            f,
            "  allocations per produced frame: {:.3} fresh frame buffers ({} of {} frames)",
            self.fresh_buffers as f64 / produced,
            self.fresh_buffers,
            self.produced
        )?;
        match self.process_allocations {
            Some(process) => write!(
                f,
                "; process-wide {:.1} allocations, {:.2} MB",
                process.calls as f64 / produced,
                process.bytes as f64 / 1e6 / produced
            ),
            None => write!(
                f,
                "; process-wide not counted (build with --features alloc-count)"
            ),
        }
    }
}

/// Why the offscreen benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error(
        "no wgpu adapter for offscreen rendering ({0}): install mesa-vulkan-drivers for a software one"
    )]
    NoAdapter(String),
    #[error("starting the runtime for the benchmark: {0}")]
    Runtime(#[from] crate::runtime::RuntimeError),
    #[error("waiting for the GPU: {0}")]
    Gpu(String),
    #[error("preparing the {0} scene: {1}")]
    Scene(&'static str, String),
    #[error("preparing the benchmark's database: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// What the scene's screen shows, from the runtime's own answers: the sign-in list, and for
/// Admin a signed-in admin with the user list and audit rows.
fn scene_state(runtime: &Runtime, scene: BenchScene) -> Result<AppState, HeadlessError> {
    let mut state = AppState::new(&runtime.initial_settings().station_name);
    state.demo = true;
    let fail = |why: &str| HeadlessError::Scene(scene.title(), why.to_owned());
    if scene == BenchScene::Admin {
        let admin = crate::store::DEMO_USERS
            .iter()
            .find(|user| user.role == crate::domain::Role::Admin)
            .ok_or_else(|| fail("the demo users have no admin"))?;
        runtime.send(UsersCommand::SignIn {
            name: admin.name.to_owned(),
            secret: admin.secret.to_owned(),
        })?;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut asked = false;
    loop {
        let ready = !state.sign_in_list.is_empty()
            && (scene != BenchScene::Admin || !state.users.is_empty());
        if ready {
            return Ok(state);
        }
        if Instant::now() > deadline {
            return Err(fail("the runtime did not answer within 20 s"));
        }
        let Some(event) = runtime.next_event(Duration::from_millis(100)) else {
            continue;
        };
        let signed_in = matches!(event, Event::Users(UsersEvent::SignedIn(_)));
        state.apply(event);
        if signed_in && !asked {
            asked = true;
            runtime.send(UsersCommand::List)?;
            runtime.send(AuditQuery::Rows(state.audit_filter.clone()))?;
        }
    }
}

/// The bare-wgpu baseline: what the same pixels cost with nothing else drawn.
#[derive(Debug, Clone)]
pub struct BaselineResult {
    pub quads: usize,
    pub size: FrameSize,
    pub frames: usize,
    pub frame_ms_p50: f64,
    pub frame_ms_p99: f64,
}

impl fmt::Display for BaselineResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bare wgpu baseline: {} uploads of {} + clear + {} opaque textured quads in the quarters of {} (linear sampling, GPU wait included): frame p50 {:.2} ms, p99 {:.2} ms over {} frames",
            self.quads,
            self.size,
            self.quads,
            SCREEN,
            self.frame_ms_p50,
            self.frame_ms_p99,
            self.frames
        )
    }
}

/// Draws the baseline on the same device and target size as the station's scenes: every frame
/// uploads `quads` frames of `size`, clears, and draws each into one quarter of the target.
pub fn bench_baseline(
    quads: usize,
    size: FrameSize,
    seconds: f32,
) -> Result<BaselineResult, HeadlessError> {
    let quads = quads.clamp(1, 4);
    let render_state = headless_render_state()?;
    let (device, queue) = (&render_state.device, &render_state.queue);
    let target = offscreen_target(
        device,
        render_state.target_format,
        (SCREEN.width_px, SCREEN.height_px),
        wgpu::TextureUsages::empty(),
    );
    let target_view = target.create_view(&wgpu::TextureViewDescriptor::default());
    let pipeline = LivePipeline::new(device, render_state.target_format);
    let image = SyntheticScene::new(DemoScene::Porosity, size, 1)
        .and_then(|mut scene| scene.render(0.0))
        .map_err(|err| HeadlessError::Scene("baseline", err.to_string()))?;
    let textures: Vec<wgpu::Texture> = (0..quads)
        .map(|_| super::frame_textures::frame_texture(device, size, "baseline frame"))
        .collect();
    let bindings: Vec<_> = textures
        .iter()
        .map(|texture| {
            let binding = pipeline.bind(
                device,
                &texture.create_view(&wgpu::TextureViewDescriptor::default()),
            );
            LivePipeline::set_uv(
                queue,
                &binding,
                Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                CaptionBand::NONE,
            );
            binding
        })
        .collect();
    let (half_w, half_h) = (SCREEN.width_px as f32 / 2.0, SCREEN.height_px as f32 / 2.0);
    let mut frame_times = Vec::new();
    let started = Instant::now();
    let run_for = WARM_UP + Duration::from_secs_f32(seconds);
    while started.elapsed() < run_for {
        let frame_start = Instant::now();
        for texture in &textures {
            write_frame(queue, texture, &image);
        }
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("baseline frame"),
        });
        {
            let mut pass = clearing_pass(&mut encoder, &target_view, wgpu::Color::BLACK);
            for (index, binding) in bindings.iter().enumerate() {
                let x = (index % 2) as f32 * half_w;
                let y = (index / 2) as f32 * half_h;
                pass.set_viewport(x, y, half_w, half_h, 0.0, 1.0);
                pipeline.draw(&mut pass, binding);
            }
        }
        queue.submit([encoder.finish()]);
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|err| HeadlessError::Gpu(err.to_string()))?;
        let elapsed = frame_start.elapsed();
        if started.elapsed() >= WARM_UP {
            frame_times.push(elapsed);
        }
        if elapsed < DISPLAY_PERIOD {
            std::thread::sleep(DISPLAY_PERIOD - elapsed);
        }
    }
    frame_times.sort();
    Ok(BaselineResult {
        quads,
        size,
        frames: frame_times.len(),
        frame_ms_p50: percentile_ms(&frame_times, 0.5),
        frame_ms_p99: percentile_ms(&frame_times, 0.99),
    })
}

/// A wgpu device with no window (a real GPU if there is one, else Mesa's lavapipe).
pub fn headless_render_state() -> Result<RenderState, HeadlessError> {
    let setup = WgpuSetup::without_display_handle();
    let instance = pollster::block_on(setup.new_instance());
    pollster::block_on(RenderState::create(
        &WgpuConfiguration {
            wgpu_setup: setup,
            ..Default::default()
        },
        &instance,
        None,
        RendererOptions::default(),
    ))
    .map_err(|err| HeadlessError::NoAdapter(err.to_string()))
}

/// The station window's clear colour as wgpu wants it.
fn clear_colour() -> wgpu::Color {
    let [r, g, b, a] = theme::clear_colour().map(f64::from);
    wgpu::Color { r, g, b, a }
}

fn percentile_ms(sorted: &[Duration], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// Runs the benchmark; `wgpu_path` picks the upload path; `allocations` reads the process's
/// allocation counter when the binary has one.
#[allow(clippy::too_many_arguments)]
pub fn bench_cameras(
    scene: BenchScene,
    camera_count: usize,
    size: FrameSize,
    fps: f32,
    seconds: f32,
    wgpu_path: bool,
    allocations: Option<fn() -> ProcessAllocations>,
    inspection: Option<InspectionLoad>,
) -> Result<CameraBenchResult, HeadlessError> {
    let dir = std::env::temp_dir().join(format!("qcstation-bench-{}", std::process::id()));
    let scenes = if inspection.is_some() {
        vec![DemoScene::Porosity]
    } else {
        vec![DemoScene::Porosity, DemoScene::Label, DemoScene::Qr]
    };
    let cameras = (0..camera_count)
        .map(|index| {
            let spec = SourceSpec::demo(scenes[index % scenes.len()])
                .with_size(size)
                .with_fps(fps)
                .with_seed(index as u64 + 1);
            (format!("cam {index}"), spec)
        })
        .collect();
    let database = dir.join("bench.sqlite");
    if inspection.is_some() {
        // The station's default recipe over every camera, stored as a part of its own (the
        // demo recipe names the demo's two cameras).
        let mut store = crate::store::Store::open(&database)?;
        store.seed_demo(crate::auth::new_secret_hash)?;
        let recipe = crate::vision::recipe::Recipe {
            part_number: BENCH_PART.to_owned(),
            ..crate::vision::recipe::Recipe::station_default()
        };
        store.save_recipe(
            &crate::domain::Actor::console("bench"),
            BENCH_PART,
            &recipe.body_toml(),
            "bench inspect",
        )?;
    }
    // Demo users (scratch is a demo station), so the sign-in and Admin scenes show real lists.
    let runtime = Runtime::start(RuntimeOptions {
        cameras: Some(cameras),
        inspection: inspection.map(|load| crate::runtime::InspectionPlan {
            gpio: Some(crate::runtime::GpioSetup::simulated(
                crate::gpio::SimBoard::default(),
            )),
            workers: load.workers,
            images_dir: dir.join("images"),
            part_number: Some(BENCH_PART.to_owned()),
            mode: crate::runtime::TriggerMode::Continuous {
                period: load.period,
            },
        }),
        ..RuntimeOptions::scratch(database)
    })?;
    let mut column = super::verdict_column::ColumnForm::default();
    let (mut triggers_at_start, mut errors_at_start) = (0, 0);
    let render_state = headless_render_state()?;
    let adapter = render_state.adapter.get_info();
    let device = render_state.device.clone();
    let queue = render_state.queue.clone();
    let target = offscreen_target(
        &device,
        render_state.target_format,
        (SCREEN.width_px, SCREEN.height_px),
        wgpu::TextureUsages::empty(),
    );
    let target_view = target.create_view(&wgpu::TextureViewDescriptor::default());
    let ctx = egui::Context::default();
    theme::apply(&ctx, 1.0);
    let mut textures = FrameTextures::new(wgpu_path.then(|| render_state.clone()), camera_count);
    let mut results =
        super::result_textures::ResultTextures::new(wgpu_path.then(|| render_state.clone()));
    let mut view = InspectView::default();
    if scene == BenchScene::Expanded {
        view.expand_zoomed(0, 2.0);
    }
    let mut state = scene_state(&runtime, scene)?;
    let mut signin = SignInForm::default();
    let mut admin = AdminView::default();
    let screen = ScreenDescriptor {
        size_in_pixels: [SCREEN.width_px, SCREEN.height_px],
        pixels_per_point: 1.0,
    };

    let mut frame_times = Vec::new();
    let mut delta_busy = Duration::ZERO;
    let mut measuring = false;
    let mut start_counters = Vec::new();
    let mut start_upload = textures.stats();
    let mut start_cpu = cpu_time::ProcessTime::now();
    let mut start_ui_cpu = cpu_time::ThreadTime::now();
    let mut start_allocations = allocations.map(|count| count());
    let started = Instant::now();
    let mut measure_start = started;
    let run_for = Duration::from_secs_f32(seconds);
    loop {
        let frame_start = Instant::now();
        if !measuring && frame_start.duration_since(started) >= WARM_UP {
            measuring = true;
            measure_start = frame_start;
            start_counters = runtime
                .cameras()
                .iter()
                .map(|c| c.slot.counters())
                .collect();
            start_upload = textures.stats();
            start_cpu = cpu_time::ProcessTime::now();
            start_ui_cpu = cpu_time::ThreadTime::now();
            start_allocations = allocations.map(|count| count());
            delta_busy = Duration::ZERO;
            let counters = runtime
                .inspector()
                .map(|inspector| inspector.view().counters)
                .unwrap_or_default();
            triggers_at_start = counters.triggers;
            errors_at_start = counters.errors;
        }
        if measuring && frame_start.duration_since(measure_start) >= run_for {
            break;
        }
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(
                Pos2::ZERO,
                vec2(SCREEN.width_px as f32, SCREEN.height_px as f32),
            )),
            ..Default::default()
        };
        state.health = runtime.health().map(|report| (*report).clone());
        state.workers = runtime.workers();
        let inspector_view = runtime.inspector().map(|inspector| inspector.view());
        let output = ctx.run_ui(input, |ui| {
            let cameras = runtime.cameras();
            textures.refresh(ui.ctx(), cameras, |index| scene.shows(index));
            if let Some(view) = &inspector_view {
                results.refresh(ui.ctx(), view);
            }
            let alarms = top_bar::alarms(&state, cameras);
            Panel::top("top_bar")
                .exact_size(theme::TOP_BAR_HEIGHT)
                .frame(theme::top_bar_frame())
                .show(ui, |ui| {
                    top_bar::top_bar_ui(ui, &state, cameras, &alarms, &mut false, &mut Vec::new());
                });
            CentralPanel::default().show(ui, |ui| match scene {
                BenchScene::SignIn => {
                    sign_in_screen_ui(ui, &mut signin, &state, &mut Vec::new(), |ui| {
                        grid_ui(ui, &mut view, &textures, cameras, false, None);
                    });
                }
                BenchScene::Inspect | BenchScene::Expanded => {
                    if let Some(inspector) = &inspector_view {
                        Panel::right("verdict_column")
                            .exact_size(super::verdict_column::COLUMN_WIDTH)
                            .show(ui, |ui| {
                                let mut hold = false;
                                super::verdict_column::verdict_column_ui(
                                    ui,
                                    &mut column,
                                    inspector,
                                    None,
                                    &state,
                                    &mut hold,
                                    &mut Vec::new(),
                                );
                            });
                    }
                    let shown = inspector_view.as_ref().map(|_| &results);
                    inspect_ui(ui, &mut view, &textures, cameras, shown);
                }
                BenchScene::Admin => admin_ui(ui, &mut admin, &state, None, &mut Vec::new()),
            });
        });
        let jobs = ctx.tessellate(output.shapes, output.pixels_per_point);
        {
            let mut renderer = render_state.renderer.write();
            let delta_start = Instant::now();
            for (id, deltas) in &output.textures_delta.set {
                for delta in deltas {
                    renderer.update_texture(&device, &queue, *id, delta);
                }
            }
            delta_busy += delta_start.elapsed();
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("bench frame"),
            });
            let mut commands =
                renderer.update_buffers(&device, &queue, &mut encoder, &jobs, &screen);
            {
                let pass = clearing_pass(&mut encoder, &target_view, clear_colour());
                renderer.render(&mut pass.forget_lifetime(), &jobs, &screen);
            }
            for id in &output.textures_delta.free {
                renderer.free_texture(id);
            }
            commands.push(encoder.finish());
            queue.submit(commands);
        }
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|err| HeadlessError::Gpu(err.to_string()))?;
        let elapsed = frame_start.elapsed();
        if measuring {
            frame_times.push(elapsed);
        }
        if elapsed < DISPLAY_PERIOD {
            std::thread::sleep(DISPLAY_PERIOD - elapsed);
        }
    }
    let cpu = start_cpu.elapsed();
    let ui_cpu = start_ui_cpu.elapsed();
    let process_allocations = allocations.zip(start_allocations).map(|(count, start)| {
        let end = count();
        ProcessAllocations {
            calls: end.calls.saturating_sub(start.calls),
            bytes: end.bytes.saturating_sub(start.bytes),
        }
    });
    let measured_secs = measure_start.elapsed().as_secs_f64();
    let upload = textures.stats();
    let end_counters: Vec<_> = runtime
        .cameras()
        .iter()
        .map(|c| c.slot.counters())
        .collect();
    let inspection = match (inspection, runtime.inspector()) {
        (Some(load), Some(inspector)) => {
            // Let the parts under way finish before counting.
            let deadline = Instant::now() + Duration::from_secs(10);
            inspector
                .send(crate::runtime::InspectorCommand::SetMode(
                    crate::runtime::TriggerMode::Button,
                ))
                .ok();
            while inspector.view().parts_in_flight > 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let view = inspector.view();
            let triggers = view.counters.triggers - triggers_at_start;
            let cycles = &view.recent_cycles_ms;
            let measured: Vec<f64> = cycles
                .iter()
                .rev()
                .take(triggers as usize)
                .copied()
                .collect();
            Some(InspectionFigures {
                period: load.period,
                workers: load.workers,
                triggers,
                parts: measured.len() as u64,
                errors: view.counters.errors - errors_at_start,
                unsaved: view.counters.unsaved,
                cycle_ms_p50: nearest_rank(&measured, 0.5).unwrap_or_default(),
                cycle_ms_p95: nearest_rank(&measured, 0.95).unwrap_or_default(),
                cycle_ms_max: measured.iter().copied().fold(0.0, f64::max),
            })
        }
        _ => None,
    };
    drop(textures);
    runtime.shutdown();
    if let Err(err) = std::fs::remove_dir_all(&dir) {
        tracing::warn!("could not remove {}: {err}", dir.display());
    }
    let diff = |pick: fn(&crate::camera::CounterSnapshot) -> u64| -> u64 {
        end_counters
            .iter()
            .zip(&start_counters)
            .map(|(end, start)| pick(end).saturating_sub(pick(start)))
            .sum()
    };
    let shown = diff(|c| c.shown);
    let produced = diff(|c| c.produced);
    let uploads = upload.uploads.saturating_sub(start_upload.uploads).max(1);
    let upload_busy = upload.busy.saturating_sub(start_upload.busy) + delta_busy;
    frame_times.sort();
    Ok(CameraBenchResult {
        scene,
        adapter: format!("{} ({:?})", adapter.name, adapter.backend),
        path: if wgpu_path {
            UploadPath::Wgpu
        } else {
            UploadPath::Egui
        },
        cameras: camera_count,
        size,
        fps,
        seconds,
        measured_secs,
        produced,
        shown,
        dropped: diff(|c| c.dropped),
        ui_frames: frame_times.len(),
        frame_ms_p50: percentile_ms(&frame_times, 0.5),
        frame_ms_p99: percentile_ms(&frame_times, 0.99),
        cpu_ms_per_shown_frame: cpu.as_secs_f64() * 1000.0 / shown.max(1) as f64,
        cpu_ms_per_produced_frame: cpu.as_secs_f64() * 1000.0 / produced.max(1) as f64,
        ui_cpu_ms_per_shown_frame: ui_cpu.as_secs_f64() * 1000.0 / shown.max(1) as f64,
        ui_cpu_ms_per_ui_frame: ui_cpu.as_secs_f64() * 1000.0 / frame_times.len().max(1) as f64,
        upload_ms_per_frame: upload_busy.as_secs_f64() * 1000.0 / uploads as f64,
        upload_mb_per_s: upload.bytes.saturating_sub(start_upload.bytes) as f64
            / 1e6
            / measured_secs,
        fresh_buffers: diff(|c| c.fresh_buffers),
        inspection,
        process_allocations,
    })
}
