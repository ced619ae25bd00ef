//! The runtime: the only place that spawns threads and creates channels. `Runtime::start` is
//! a list of supervised workers — store-writer, store-reader, health, one capture worker per
//! camera — and dropping the runtime stops them phase by phase (producers, processing, hardware
//! to its safe state, services, the store drained and flushed), each phase time-boxed. The GUI
//! and the CLI drive the station through `Runtime::send`, read what happened from
//! `Runtime::events`, and read device and worker health as snapshots.

mod capture;
mod command;
mod context;
mod crosscheck;
mod crosschecker;
mod disk_guard;
mod engraver;
mod event;
mod gpio;
mod health;
mod inspector;
mod inventory;
mod mark_verify;
mod port;
mod reader;
mod records;
mod scanner;
mod session;
#[cfg(unix)]
mod signals;
mod supervisor;
mod trigger;
mod vision;
mod worker;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use arc_swap::ArcSwapOption;

use crate::camera::{FrameRing, LatestFrame, SourceSpec};
use crate::store::{AuditSeal, StationSettings, Store, StoreError, StoreReader};

pub use command::{AuditQuery, Command, StationCommand, UsersCommand};
pub use context::Waker;
pub use crosscheck::{CrosscheckOutcome, FileOutcome, InputFile, OcrState, check_files};
pub use crosschecker::{
    CrosscheckCommand, CrosscheckEvent, CrosscheckHandle, CrosscheckProgress, CrosscheckView,
    DEMO_PACKS, EvidenceDocument, OpenCrosscheck, session_files,
};
pub use disk_guard::{BYTES_PER_MB, DEFAULT_MIN_FREE_MB, DiskGuard, DiskTransition};
pub use engraver::{
    AlarmView, EngraverCommand, EngraverEvent, EngraverHandle, EngraverView, LaserLink, RunningJob,
};
pub use event::{AuditEvent, Event, SignInEntry, SignOutReason, StationEvent, UsersEvent};
pub use gpio::{GpioCommand, GpioHandle, GpioPlan, GpioSetup, GpioView};
pub use health::HealthReport;
pub use inspector::{
    CameraInspection, CameraOutcome, ImageTarget, InspectionPlan, InspectionQuery,
    InspectorCommand, InspectorEvent, InspectorHandle, InspectorView, LiveCounters,
    OpenedInspection, PartResult, PorosityJob, REPLAY_CAMERA, Rerun, Statistics, TriggerMode,
    stats,
};
pub use inventory::{InventoryCommand, InventoryEvent, InventoryPage};
pub use mark_verify::{BenchCamera, MarkPlace, MarkReading, MarkVerifier, read_mark, verification};
pub use port::{Handle, Port};
pub use records::{StoreHandle, StoreRecord};
pub use scanner::{
    DEMO_STRANGER, LEFT_VIEW_AFTER, ScanSource, ScannerCommand, ScannerEvent, ScannerHandle,
    ScannerView, ShownFrame,
};
pub use session::Session;
pub use supervisor::{PhaseReport, WorkerBoard};
pub use trigger::{TriggerError, TriggerSource};
pub use vision::{FrameJob, JobKind, VisionCounts, VisionHandler, VisionLanes, VisionQueue};
pub use worker::{
    PanicRecord, Phase, Restart, WorkerCtx, WorkerExit, WorkerSpec, WorkerState, WorkerStatus,
    panic_message,
};
pub use writer::SessionPolicy;

use context::{Outbox, Shared};
use health::HealthCell;
use supervisor::Supervisor;
use writer::WriteJob;

/// Commands waiting for the writer before `send` reports the station busy.
const WRITE_QUEUE: usize = 256;
const READ_QUEUE: usize = 64;
/// Chain checks waiting: one running and one asked for is plenty.
const VERIFY_QUEUE: usize = 2;
const EVENT_QUEUE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start thread {name}: {source}")]
    Spawn {
        name: String,
        source: std::io::Error,
    },
    #[error("camera {name:?} has a bad source {spec:?}: {reason}")]
    CameraSpec {
        name: String,
        spec: String,
        reason: String,
    },
    #[error("the station is busy ({0} commands waiting): try again in a moment")]
    Busy(usize),
    #[error("the station is shutting down")]
    Stopped,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub database: PathBuf,
    pub data_dir: PathBuf,
    /// Seed an empty database with the demo users and cameras.
    pub demo: bool,
    pub session: SessionPolicy,
    /// Cameras to run instead of the ones in the database (benchmarks, tests).
    pub cameras: Option<Vec<(String, SourceSpec)>>,
    /// The engraving laser, if this station has one.
    pub laser: Option<LaserPlan>,
    /// Porosity inspection (vision pool, triggers, outputs), if this station runs it.
    pub inspection: Option<InspectionPlan>,
    /// Scan sessions, if this station runs them.
    pub scanning: Option<ScanPlan>,
    /// Cross-check sessions (the QC desk), if this station runs them.
    pub crosscheck: Option<CrosscheckPlan>,
    /// Below this much free space on the data directory's disk, images are not saved
    /// (`[storage] min_free_mb`); 0: never paused.
    pub min_free_bytes: u64,
}

/// Cross-check sessions: the field patterns (station configuration) and file limits.
#[derive(Debug, Clone)]
pub struct CrosscheckPlan {
    pub patterns: crate::domain::crosscheck::CompiledPatterns,
    pub limits: crate::docs::Limits,
    /// Generated document packs for the demo desk in `<data dir>/demo-packs` (made by the
    /// worker when the folder is missing).
    pub demo_packs: bool,
}

/// Scan sessions: what the scanner looks through and what a frame may spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPlan {
    pub source: ScanFrom,
    /// Decode budget per frame (`ScanOptions::live`, one frame time; tests of unoptimised builds
    /// give more).
    pub budget: Duration,
}

/// What the scanner looks through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanFrom {
    /// The demo's simulated hand-held reader.
    Simulated,
    /// A station camera, by name.
    Camera(String),
}

impl ScanPlan {
    /// `source` at the live budget.
    pub fn live(source: ScanFrom) -> Self {
        Self {
            source,
            budget: crate::scan::ScanOptions::live().budget,
        }
    }
}

impl RuntimeOptions {
    /// A demo station on `database` (the data directory beside it) with no cameras and no
    /// laser, the default lockout and no idle sign-out: benchmarks and tests change what they
    /// need with `..RuntimeOptions::scratch(path)`.
    pub fn scratch(database: PathBuf) -> Self {
        let data_dir = database
            .parent()
            .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf);
        Self {
            database,
            data_dir,
            demo: true,
            session: SessionPolicy {
                lockout: crate::store::LockoutPolicy::default(),
                idle_signout: None,
            },
            cameras: Some(Vec::new()),
            laser: None,
            inspection: None,
            scanning: None,
            crosscheck: None,
            // Tests and benchmarks must not depend on the machine's free space.
            min_free_bytes: 0,
        }
    }
}

/// Which laser the engraver drives.
#[derive(Debug, Clone)]
pub enum LaserPlan {
    /// A GRBL controller on a serial port, and the station camera (by name) over its fixture
    /// that verifies each mark, if there is one.
    Device {
        path: String,
        baud: u32,
        bench_camera: Option<String>,
    },
    /// The station's GRBL simulator on a pseudo-terminal pair (demo mode, tests), its motion
    /// `time_scale` times faster than real time.
    Simulated {
        time_scale: f64,
        machine: crate::engrave::MachineSettings,
    },
}

/// A camera as the faces see it: its name, spec and latest-frame slot.
#[derive(Clone)]
pub struct CameraHandle {
    pub name: String,
    pub spec: SourceSpec,
    pub slot: Arc<LatestFrame>,
    /// About the last second of frames, for triggers.
    pub ring: Arc<FrameRing>,
}

/// Time boxes of the shutdown phases. The store gets the longest: it commits what is queued.
#[derive(Debug, Clone, Copy)]
pub struct ShutdownBudget {
    pub per_phase: Duration,
    pub store: Duration,
}

impl Default for ShutdownBudget {
    fn default() -> Self {
        Self {
            per_phase: Duration::from_secs(3),
            store: Duration::from_secs(10),
        }
    }
}

/// What shutdown did, phase by phase, for the log and the tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    pub phases: Vec<PhaseReport>,
    /// Every worker joined, in the order they stopped.
    pub joined: Vec<String>,
    /// Workers that did not stop within their phase's time box (left behind).
    pub timed_out: Vec<String>,
}

pub struct Runtime {
    writer: Option<Sender<WriteJob>>,
    reader: Option<Sender<Command>>,
    verifier: Option<Sender<Command>>,
    events: Receiver<Event>,
    cameras: Vec<CameraHandle>,
    session: Arc<Session>,
    waker: Waker,
    live_view: Arc<AtomicBool>,
    supervisor: Supervisor,
    health: HealthCell,
    /// Whether images may be saved now (fed by the health worker).
    disk: DiskGuard,
    /// The vision pool's queue once a capability feeds it continuous frames.
    vision_feed: Arc<ArcSwapOption<VisionQueue>>,
    /// Triggers taken since start.
    triggers: Arc<AtomicU64>,
    events_dropped: Arc<AtomicU64>,
    settings: StationSettings,
    #[cfg(unix)]
    signals: Option<signals::SignalWatch>,
    engraver: Option<EngraverHandle>,
    scanner: Option<ScannerHandle>,
    crosschecker: Option<CrosscheckHandle>,
    inventory: Option<Handle<InventoryCommand, InventoryEvent>>,
    inspector: Option<InspectorHandle>,
}

/// The cameras to run: the given plan, or the enabled cameras of the database.
fn camera_plan(
    store: &Store,
    given: Option<Vec<(String, SourceSpec)>>,
) -> Result<Vec<(String, SourceSpec)>, RuntimeError> {
    if let Some(plan) = given {
        return Ok(plan);
    }
    store
        .cameras()?
        .into_iter()
        .filter(|camera| camera.enabled)
        .map(|camera| {
            camera
                .source_spec
                .parse::<SourceSpec>()
                .map(|spec| (camera.name.clone(), spec))
                .map_err(|err| RuntimeError::CameraSpec {
                    name: camera.name,
                    spec: camera.source_spec,
                    reason: err.to_string(),
                })
        })
        .collect()
}

/// How long a camera worker may go without a heartbeat: its longest reconnect wait and more.
const CAMERA_HEARTBEAT: Duration = Duration::from_secs(15);

impl Runtime {
    /// Opens (and migrates) the database and starts every worker.
    pub fn start(options: RuntimeOptions) -> Result<Self, RuntimeError> {
        let seal = AuditSeal::in_data_dir(&options.data_dir, &options.database);
        let mut store = Store::open_sealed(&options.database, &seal)?;
        if options.demo && store.seed_demo(crate::auth::new_secret_hash)? {
            tracing::info!("created the demo database {}", options.database.display());
        }
        let settings = store.settings()?;
        let cameras = camera_plan(&store, options.cameras.clone())?;
        // Readers carry the store's seal, so their chain checks see a wiped or forged trail.
        let list_reader = store.reader()?;
        let verify_reader = store.reader()?;
        let inventory_reader = store.reader()?;
        let scan_reader = match options.scanning {
            Some(_) => Some(store.reader()?),
            None => None,
        };
        let crosscheck_reader = match options.crosscheck {
            Some(_) => Some(store.reader()?),
            None => None,
        };
        let laser_reader = match options.laser {
            Some(_) => Some(store.reader()?),
            None => None,
        };
        let inspection_readers = match options.inspection {
            Some(_) => Some((store.reader()?, store.reader()?)),
            None => None,
        };

        let (write_tx, write_rx) = bounded(WRITE_QUEUE);
        let (read_tx, read_rx) = bounded(READ_QUEUE);
        let (verify_tx, verify_rx) = bounded(VERIFY_QUEUE);
        let waker = Waker::default();
        // Read the disk once before any image writer starts; the health worker keeps it fresh.
        let disk = DiskGuard::new(options.min_free_bytes);
        if let Err(reason) = disk.sample(&options.data_dir) {
            tracing::warn!("disk guard: {reason}");
        }
        let session = Arc::new(Session::new());
        let (outbox, events, events_dropped) =
            Outbox::bounded("station events", EVENT_QUEUE, waker.clone());
        let shared = Shared {
            outbox,
            session: Arc::clone(&session),
        };
        let mut runtime = Self {
            writer: Some(write_tx.clone()),
            reader: Some(read_tx),
            verifier: Some(verify_tx),
            events,
            cameras: Vec::new(),
            session,
            live_view: Arc::new(AtomicBool::new(false)),
            supervisor: Supervisor::new(waker.clone()),
            waker,
            health: HealthCell::default(),
            disk,
            vision_feed: Arc::default(),
            triggers: Arc::new(AtomicU64::new(0)),
            events_dropped,
            settings,
            #[cfg(unix)]
            signals: None,
            engraver: None,
            scanner: None,
            crosschecker: None,
            inventory: None,
            inspector: None,
        };
        runtime.start_writer(store, write_rx, options.session, shared.clone())?;
        runtime.start_reader(
            "store-reader",
            list_reader,
            read_rx,
            write_tx.clone(),
            shared.clone(),
        )?;
        runtime.start_reader("audit-verify", verify_reader, verify_rx, write_tx, shared)?;
        runtime.start_health(&options)?;
        runtime.inventory = Some(runtime.start_capability(
            WorkerSpec::new("inventory", Phase::Services),
            "inventory",
            (8, 8),
            move |worker, port| inventory::serve(&inventory_reader, worker, port),
        )?);
        for (index, (name, spec)) in cameras.into_iter().enumerate() {
            runtime.start_camera(index, name, spec)?;
        }
        // After the cameras: the bench camera and the scan camera may be among them.
        if let (Some(plan), Some(reader)) = (options.laser.clone(), laser_reader) {
            runtime.start_laser(plan, reader, options.data_dir.join("images"))?;
        }
        if let (Some(plan), Some(reader)) = (options.scanning.clone(), scan_reader) {
            runtime.start_scanner(&plan, reader, options.data_dir.join("images"))?;
        }
        if let (Some(plan), Some(reader)) = (options.crosscheck.clone(), crosscheck_reader) {
            runtime.start_crosschecker(plan, reader, options.data_dir.clone())?;
        }
        if let (Some(plan), Some((reader, records_reader))) =
            (options.inspection.clone(), inspection_readers)
        {
            runtime.start_inspection(plan, reader, records_reader)?;
        }
        runtime.send(UsersCommand::ListSignIn)?;
        Ok(runtime)
    }

    fn start_writer(
        &mut self,
        mut store: Store,
        jobs: Receiver<WriteJob>,
        policy: SessionPolicy,
        shared: Shared,
    ) -> Result<(), RuntimeError> {
        self.supervisor.start(
            WorkerSpec::new("store-writer", Phase::Store),
            move |worker| writer::run(&mut store, &jobs, policy, &shared, worker),
        )
    }

    /// A reader worker on its own read-only connection: `store-reader` for lists and
    /// `audit-verify` for chain checks.
    fn start_reader(
        &mut self,
        name: &str,
        reader: StoreReader,
        queries: Receiver<Command>,
        writer: Sender<WriteJob>,
        shared: Shared,
    ) -> Result<(), RuntimeError> {
        self.supervisor.start(
            // A long chain check beats between rows, but give it room.
            WorkerSpec::new(name, Phase::Services).heartbeat_budget(Duration::from_secs(30)),
            move |worker| reader::run(&reader, &queries, &writer, &shared, worker),
        )
    }

    fn start_health(&mut self, options: &RuntimeOptions) -> Result<(), RuntimeError> {
        let mut check = health::HealthCheck {
            data_dir: options.data_dir.clone(),
            database: options.database.clone(),
            published: Arc::clone(&self.health),
            waker: self.waker.clone(),
            reader: None,
            disk: self.disk.clone(),
        };
        self.supervisor
            .start(WorkerSpec::new("health", Phase::Services), move |worker| {
                check.run(worker)
            })
    }

    /// The engraver (hardware phase: the laser goes off before the store closes) and, for a
    /// simulated laser, the simulator serving a pseudo-terminal (services phase, after it).
    fn start_laser(
        &mut self,
        plan: LaserPlan,
        reader: StoreReader,
        images_dir: PathBuf,
    ) -> Result<(), RuntimeError> {
        let (link, bench) = match plan {
            LaserPlan::Device {
                path,
                baud,
                bench_camera,
            } => {
                let bench = match bench_camera {
                    Some(name) => {
                        let camera = self.cameras.iter().find(|camera| camera.name == name);
                        if camera.is_none() {
                            tracing::warn!(
                                "[laser] bench_camera {name:?} is not one of this station's cameras: marks are not verified"
                            );
                        }
                        camera.cloned().map(BenchCamera::Camera)
                    }
                    None => None,
                };
                let link = LaserLink {
                    path,
                    baud,
                    simulated: false,
                };
                (link, bench)
            }
            LaserPlan::Simulated {
                time_scale,
                machine,
            } => {
                let burns = crate::engrave::sim::BurnLog::new();
                let link = self.start_laser_simulator(time_scale, &machine, burns.clone())?;
                (link, Some(BenchCamera::Simulated(burns)))
            }
        };
        let store = self.store().ok_or(RuntimeError::Stopped)?;
        let mut engraver = engraver::Engraver::new(link, store, reader);
        engraver.verifier =
            bench.map(|bench| MarkVerifier::new(bench, images_dir, self.disk.clone()));
        let view = Arc::clone(&engraver.view);
        let handle = self.start_capability(
            WorkerSpec::new("engraver", Phase::Hardware).heartbeat_budget(Duration::from_secs(20)),
            "engraver",
            (32, 64),
            move |worker, port| engraver.run(worker, port),
        )?;
        self.engraver = Some(EngraverHandle { handle, view });
        Ok(())
    }

    /// The cross-check worker.
    fn start_crosschecker(
        &mut self,
        plan: CrosscheckPlan,
        reader: StoreReader,
        data_dir: PathBuf,
    ) -> Result<(), RuntimeError> {
        let store = self.store().ok_or(RuntimeError::Stopped)?;
        let mut worker =
            crosschecker::Crosschecker::new(store, reader, data_dir, plan.patterns, plan.limits);
        worker.demo_packs = plan.demo_packs;
        let view = Arc::clone(&worker.view);
        let handle = self.start_capability(
            // Reading one photo or scanned page takes a second or two on a small machine.
            WorkerSpec::new("crosscheck", Phase::Processing)
                .heartbeat_budget(Duration::from_secs(60)),
            "crosscheck",
            (16, 64),
            move |worker_ctx, port| worker.run(worker_ctx, port),
        )?;
        self.crosschecker = Some(CrosscheckHandle { handle, view });
        Ok(())
    }

    /// The scanner worker on the planned source.
    fn start_scanner(
        &mut self,
        plan: &ScanPlan,
        reader: StoreReader,
        images_dir: PathBuf,
    ) -> Result<(), RuntimeError> {
        let source = match &plan.source {
            ScanFrom::Simulated => ScanSource::Simulated,
            ScanFrom::Camera(name) => {
                let camera = self
                    .cameras
                    .iter()
                    .find(|camera| &camera.name == name)
                    .cloned()
                    .ok_or_else(|| RuntimeError::CameraSpec {
                        name: name.clone(),
                        spec: String::new(),
                        reason: "[scan] camera names no camera of this station".into(),
                    })?;
                ScanSource::Camera(camera)
            }
        };
        let store = self.store().ok_or(RuntimeError::Stopped)?;
        let mut scanner = scanner::Scanner::new(
            source,
            store,
            reader,
            images_dir,
            self.disk.clone(),
            plan.budget,
        );
        let view = Arc::clone(&scanner.view);
        let handle = self.start_capability(
            WorkerSpec::new("scanner", Phase::Processing),
            "scanner",
            (16, 256),
            move |worker, port| scanner.run(worker, port),
        )?;
        self.scanner = Some(ScannerHandle { handle, view });
        Ok(())
    }

    fn start_laser_simulator(
        &mut self,
        time_scale: f64,
        machine: &crate::engrave::MachineSettings,
        burns: crate::engrave::sim::BurnLog,
    ) -> Result<LaserLink, RuntimeError> {
        use crate::engrave::sim::{GrblSim, PtyOptions, SimPty};
        let pty = SimPty::open().map_err(|source| RuntimeError::Spawn {
            name: "grbl-sim".into(),
            source,
        })?;
        let link = LaserLink {
            path: pty.path().to_owned(),
            baud: crate::engrave::grbl::DEFAULT_BAUD,
            simulated: true,
        };
        let mut pty = Some(pty);
        let machine = machine.clone();
        self.supervisor.start(
            WorkerSpec::new("grbl-sim", Phase::Services).restart(Restart::Never),
            move |worker| {
                let Some(pty) = pty.take() else {
                    return WorkerExit::Finished;
                };
                let options = PtyOptions {
                    time_scale,
                    ..PtyOptions::default()
                };
                let mut last_beat = std::time::Instant::now();
                pty.serve(
                    GrblSim::new(&machine).with_burn_log(burns.clone()),
                    options,
                    &|| worker.is_stopped(),
                    &mut |_, _| {
                        if last_beat.elapsed() > Duration::from_secs(1) {
                            last_beat = std::time::Instant::now();
                            worker.beat();
                        }
                    },
                );
                WorkerExit::Finished
            },
        )?;
        Ok(link)
    }

    fn start_camera(
        &mut self,
        index: usize,
        name: String,
        spec: SourceSpec,
    ) -> Result<(), RuntimeError> {
        let slot = Arc::new(LatestFrame::new(name.clone()));
        let ring = Arc::new(FrameRing::for_fps(spec.fps.unwrap_or(30.0)));
        let capture = capture::CaptureLoop {
            spec: spec.clone(),
            slot: Arc::clone(&slot),
            waker: self.waker.clone(),
            live_view: Arc::clone(&self.live_view),
            ring: Arc::clone(&ring),
            vision: Arc::clone(&self.vision_feed),
            index,
        };
        self.supervisor.start(
            WorkerSpec::new(format!("camera-{index}"), Phase::Producers)
                .heartbeat_budget(CAMERA_HEARTBEAT),
            move |worker| capture.run(worker),
        )?;
        self.cameras.push(CameraHandle {
            name,
            spec,
            slot,
            ring,
        });
        Ok(())
    }

    /// Starts a worker of a capability (or a test) under the runtime's supervision.
    pub fn start_worker(
        &mut self,
        spec: WorkerSpec,
        body: impl FnMut(&WorkerCtx) -> WorkerExit + Send + 'static,
    ) -> Result<(), RuntimeError> {
        self.supervisor.start(spec, body)
    }

    /// Starts a pool of `workers` vision workers running `handler` on the frames of the
    /// returned queue (continuous frames lossy, triggers lossless).
    pub fn start_vision(
        &mut self,
        handler: Arc<dyn VisionHandler>,
        workers: usize,
        lanes: VisionLanes,
    ) -> Result<VisionQueue, RuntimeError> {
        let (queue, inbox) = vision::lanes(lanes);
        for index in 0..workers.max(1) {
            let inbox = inbox.clone();
            let handler = Arc::clone(&handler);
            self.supervisor
                .start(vision::worker_spec(index), move |worker| {
                    inbox.serve(handler.as_ref(), worker)
                })?;
        }
        Ok(queue)
    }

    /// Starts a capability's worker with its own typed inbox and event queue, and returns the
    /// faces' handle to it. The body is called again after a panic (per `spec.restart`).
    pub fn start_capability<C, E>(
        &mut self,
        spec: WorkerSpec,
        capability: &'static str,
        queues: (usize, usize),
        mut body: impl FnMut(&WorkerCtx, &Port<C, E>) -> WorkerExit + Send + 'static,
    ) -> Result<Handle<C, E>, RuntimeError>
    where
        C: Send + 'static,
        E: Send + 'static,
    {
        let (handle, port) = port::pair(capability, queues.0, queues.1, self.waker.clone());
        self.supervisor
            .start(spec, move |worker| body(worker, &port))?;
        Ok(handle)
    }

    /// Where capability workers submit their records; `None` once shutdown has begun.
    pub fn store(&self) -> Option<StoreHandle> {
        self.writer.clone().map(|writer| StoreHandle { writer })
    }

    /// Events dropped because the face did not drain them in time; when it moves, the face
    /// re-reads the state it shows.
    pub fn events_dropped(&self) -> u64 {
        self.events_dropped.load(Ordering::Relaxed)
    }

    /// Every worker's status: running, restarting after a panic, down, stalled.
    pub fn workers(&self) -> Vec<WorkerStatus> {
        self.supervisor.board().statuses()
    }

    /// Whether images may be saved now, and the minimum free space it guards.
    pub fn disk_guard(&self) -> &DiskGuard {
        &self.disk
    }

    /// The latest disk and database health, once the health worker has run.
    pub fn health(&self) -> Option<Arc<HealthReport>> {
        self.health.load_full()
    }

    /// Queues a command without waiting; `Busy` when its queue is full. Changes go to the
    /// store-writer, queries to the store-reader, a chain check to the audit verifier (so a
    /// long trail never holds up the lists on screen).
    pub fn send(&self, command: impl Into<Command>) -> Result<(), RuntimeError> {
        let command = command.into();
        tracing::debug!("command {command:?}");
        fn offer<T>(queue: Option<&Sender<T>>, item: T) -> Result<(), RuntimeError> {
            let queue = queue.ok_or(RuntimeError::Stopped)?;
            queue.try_send(item).map_err(|err| match err {
                TrySendError::Full(_) => RuntimeError::Busy(queue.len()),
                TrySendError::Disconnected(_) => RuntimeError::Stopped,
            })
        }
        let result = match &command {
            Command::Audit(AuditQuery::Verify) => offer(self.verifier.as_ref(), command),
            Command::Audit(_) => offer(self.reader.as_ref(), command),
            Command::Users(users) if users.is_query() => offer(self.reader.as_ref(), command),
            Command::Users(_) | Command::Station(_) => {
                offer(self.writer.as_ref(), WriteJob::Command(command))
            }
        };
        if let Err(err) = &result {
            tracing::warn!("command refused: {err:#}");
        }
        result
    }

    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Waits up to `timeout` for the next event (CLI and tests; the GUI uses `events()`).
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Inventory queries (the Inventory panel's).
    pub fn inventory(&self) -> Option<&Handle<InventoryCommand, InventoryEvent>> {
        self.inventory.as_ref()
    }

    /// The cross-check worker, when this station runs cross-check sessions.
    pub fn crosschecker(&self) -> Option<&CrosscheckHandle> {
        self.crosschecker.as_ref()
    }

    /// The scanner, when this station runs scan sessions.
    pub fn scanner(&self) -> Option<&ScannerHandle> {
        self.scanner.as_ref()
    }

    /// The engraving bench, when the station has a laser.
    pub fn engraver(&self) -> Option<&EngraverHandle> {
        self.engraver.as_ref()
    }

    pub fn cameras(&self) -> &[CameraHandle] {
        &self.cameras
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The settings as they were at start (changes arrive as `Event::Station(StationEvent::Settings)`).
    pub fn initial_settings(&self) -> &StationSettings {
        &self.settings
    }

    /// Records user input, which keeps the session from going idle.
    pub fn touch(&self) {
        self.session.touch();
    }

    /// Installs the UI's repaint request.
    pub fn set_waker(&self, wake: impl Fn() + Send + Sync + 'static) {
        self.waker.set(wake);
    }

    /// While true, every new camera frame wakes the UI.
    pub fn set_live_view(&self, live: bool) {
        self.live_view.store(live, Ordering::Relaxed);
    }

    /// Stops every worker phase by phase (the writer commits what is queued last) and joins
    /// them, each phase within its time box.
    pub fn shutdown(mut self) -> ShutdownReport {
        self.stop_in_phases(ShutdownBudget::default())
    }

    /// `shutdown` with other time boxes (tests of a hung worker).
    pub fn shutdown_within(mut self, budget: ShutdownBudget) -> ShutdownReport {
        self.stop_in_phases(budget)
    }

    fn stop_in_phases(&mut self, budget: ShutdownBudget) -> ShutdownReport {
        tracing::info!("shutting down");
        #[cfg(unix)]
        if let Some(signals) = &self.signals {
            signals.shutdown_started();
        }
        let mut report = ShutdownReport::default();
        for phase in Phase::ORDER {
            if phase == Phase::Services {
                // No new queries; the readers end once they have answered the queued ones.
                self.reader = None;
                self.verifier = None;
            }
            if phase == Phase::Store {
                // The writer commits everything queued, then ends when its queue is closed.
                self.writer = None;
            }
            let time_box = if phase == Phase::Store {
                budget.store
            } else {
                budget.per_phase
            };
            let phase_report = self.supervisor.stop_phase(phase, time_box);
            report.joined.extend(phase_report.joined.iter().cloned());
            report
                .timed_out
                .extend(phase_report.timed_out.iter().cloned());
            report.phases.push(phase_report);
        }
        // Last, so that a second signal during a slow shutdown still exits at once.
        #[cfg(unix)]
        if let Some(signals) = self.signals.take() {
            report.joined.push(signals.close());
        }
        tracing::info!("runtime stopped: joined {}", report.joined.join(", "));
        report
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.supervisor.is_empty() {
            self.stop_in_phases(ShutdownBudget::default());
        }
    }
}
