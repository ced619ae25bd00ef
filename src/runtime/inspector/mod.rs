//! The inspection worker: porosity inspection as the kiosk runs it (`specs/porosity.md`).
//!
//! It takes triggers (the on-screen button, the part sensor through the gpio worker,
//! continuous at a fixed period, or the replay of a folder of images), asks each camera of the
//! active recipe for the frame nearest the trigger (one part = one `part_seq` over its
//! cameras), and collects the vision workers' outcomes. When every camera of a part has
//! answered, the part's verdict (the worst; a camera that failed rejects the part: an unjudged
//! part never passes) drives the stack light, reject pulse and horn, is published for the
//! panel, and every camera's inspection is submitted to the store with its pores and the
//! images its recipe keeps. It also serves the History and Statistics panels' queries, stored
//! image reruns through the current recipe, signed dispositions and recipe versions.

mod job;
mod records;
pub mod stats;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, bounded};
use image::RgbaImage;

use super::gpio::{GpioCommand, GpioHandle, GpioSetup};
use super::port::{Handle, Port};
use super::records::{StoreHandle, StoreRecord};
use super::trigger::TriggerSource;
use super::vision::{FrameJob, JobKind, VisionLanes, VisionQueue};
use super::worker::{Phase, WorkerCtx, WorkerExit, WorkerSpec};
use super::{Runtime, RuntimeError};
use crate::auth::check_stored_secret;
use crate::camera::Frame;
use crate::domain::{Actor, Disposition, Verdict};
use crate::store::{
    DispositionOutcome, InspectionRecord, NewInspection, PoreRow, RecipeRecord, Store, StoreError,
    StoreReader,
};
use crate::vision::image_file::{images_in, read_rgba};
use crate::vision::recipe::Recipe;

pub use job::{CameraInspection, CameraOutcome, ImageTarget, PorosityJob, REPLAY_CAMERA};
pub use records::InspectionQuery;
pub use stats::Statistics;

/// How long the worker waits for the store to commit a disposition or a recipe.
const STORE_WAIT: Duration = Duration::from_secs(10);
/// A part whose cameras have not all answered by then is finished with the missing ones failed.
const PART_TIMEOUT: Duration = Duration::from_secs(10);
/// Cycle times kept for the live figures.
const RECENT_CYCLES: usize = 500;

/// Where triggers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerMode {
    /// The operator's button on screen (always available, whatever the mode).
    Button,
    /// The part sensor on the GPIO board.
    Gpio,
    /// A new part every `period` (a line without a sensor, soak tests).
    Continuous { period: Duration },
    /// Each image of `folder` in name order, one every `period`, as camera "replay".
    Replay { folder: PathBuf, period: Duration },
}

impl TriggerMode {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Button => "button",
            Self::Gpio => "gpio",
            Self::Continuous { .. } => "continuous",
            Self::Replay { .. } => "replay",
        }
    }
}

/// What the faces ask of the inspection worker.
#[derive(Clone)]
pub enum InspectorCommand {
    /// The on-screen trigger.
    Trigger,
    SetMode(TriggerMode),
    /// The serial number of the next parts (typed or scanned), or none.
    SetSerial(Option<String>),
    /// Use the newest version of this part number's recipe.
    SelectRecipe {
        part_number: String,
    },
    /// Save a new version of a recipe (engineers); it becomes the active recipe.
    SaveRecipe {
        actor: Actor,
        recipe: Box<Recipe>,
        note: String,
    },
    /// Sign a disposition: `secret` is the PIN or password typed again.
    Dispose {
        actor: Actor,
        inspection_id: i64,
        decision: Disposition,
        reason: String,
        secret: String,
    },
    /// A question about stored inspections, answered by the records worker.
    Query(InspectionQuery),
    Gpio(GpioCommand),
    /// The newest frame of a camera, for the recipe editor to draw zones on.
    Snapshot {
        camera_index: usize,
    },
    /// Set (or clear) a camera's calibration (engineers; audited).
    Calibrate {
        actor: Actor,
        camera_index: usize,
        mm_per_px: Option<f64>,
    },
    /// A draft recipe on an image (nothing is recorded): the editor's "try".
    Try {
        recipe: Box<Recipe>,
        camera_index: usize,
        image: Arc<RgbaImage>,
    },
}

/// Debug without the secret.
impl std::fmt::Debug for InspectorCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dispose {
                inspection_id,
                decision,
                ..
            } => write!(
                f,
                "Dispose {{ inspection_id: {inspection_id}, {decision}, secret: *** }}"
            ),
            Self::SaveRecipe { recipe, .. } => write!(f, "SaveRecipe({})", recipe.part_number),
            Self::Trigger => f.write_str("Trigger"),
            Self::SetMode(mode) => write!(f, "SetMode({mode:?})"),
            Self::SetSerial(serial) => write!(f, "SetSerial({serial:?})"),
            Self::SelectRecipe { part_number } => write!(f, "SelectRecipe({part_number})"),
            Self::Query(query) => write!(f, "Query({query:?})"),
            Self::Gpio(command) => write!(f, "Gpio({command:?})"),
            Self::Snapshot { camera_index } => write!(f, "Snapshot({camera_index})"),
            Self::Calibrate {
                camera_index,
                mm_per_px,
                ..
            } => write!(f, "Calibrate({camera_index}, {mm_per_px:?})"),
            Self::Try {
                recipe,
                camera_index,
                ..
            } => write!(f, "Try({}, camera {camera_index})", recipe.part_number),
        }
    }
}

/// A stored inspection opened from History.
#[derive(Debug, Clone)]
pub struct OpenedInspection {
    pub record: InspectionRecord,
    pub pores: Vec<PoreRow>,
    pub overlay: Option<Arc<RgbaImage>>,
    /// Why the overlay is not shown (not kept by the policy, file missing).
    pub image_note: Option<String>,
}

/// A stored image inspected again with the current recipe.
#[derive(Debug, Clone)]
pub struct Rerun {
    pub inspection_id: i64,
    pub stored_verdict: Verdict,
    pub recipe_version: u32,
    pub now: Arc<CameraInspection>,
}

/// What the inspection worker tells the faces.
#[derive(Debug, Clone)]
pub enum InspectorEvent {
    Info(String),
    Failed(String),
    History(Vec<InspectionRecord>),
    Opened(Box<OpenedInspection>),
    Rerun(Box<Rerun>),
    Statistics(Box<Statistics>),
    Disposed(Box<InspectionRecord>),
    SignatureRefused(String),
    RecipeSaved(Box<RecipeRecord>),
    Snapshot {
        camera_index: usize,
        image: Arc<RgbaImage>,
    },
    Tried {
        camera_index: usize,
        result: Arc<CameraInspection>,
    },
}

/// A finished part.
#[derive(Debug, Clone)]
pub struct PartResult {
    pub part_seq: u64,
    pub source: &'static str,
    pub serial: Option<String>,
    pub verdict: Verdict,
    /// From the trigger to the last camera's verdict.
    pub cycle_ms: f64,
    pub cameras: Vec<CameraOutcome>,
    /// Cameras that could not be inspected, with the reason.
    pub errors: Vec<String>,
}

/// Live counters since the station started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LiveCounters {
    pub triggers: u64,
    /// ACCEPT, WARN, REJECT parts.
    pub verdicts: [u64; 3],
    /// Cameras that could not be inspected (no frame, detector failure).
    pub errors: u64,
    /// Inspections the store did not save.
    pub unsaved: u64,
}

/// The inspection station as the panel shows it.
#[derive(Debug, Clone)]
pub struct InspectorView {
    pub recipe: Arc<Recipe>,
    /// Part numbers with a stored recipe.
    pub part_numbers: Vec<String>,
    pub mode: TriggerMode,
    pub serial: Option<String>,
    /// The newest outcome per camera index (the replay after the cameras).
    pub latest: Vec<Option<CameraOutcome>>,
    pub last_part: Option<Arc<PartResult>>,
    pub counters: LiveCounters,
    /// Recent cycle times, oldest first.
    pub recent_cycles_ms: Arc<Vec<f64>>,
    pub parts_in_flight: usize,
    pub pending_dispositions: u64,
    /// Replay progress: next file and how many.
    pub replay: Option<(usize, usize)>,
    pub camera_names: Vec<String>,
    /// Each camera's calibration, by index.
    pub scales: Vec<Option<f32>>,
}

/// The faces' side of the inspection worker.
#[derive(Clone)]
pub struct InspectorHandle {
    handle: Handle<InspectorCommand, InspectorEvent>,
    /// The records worker: History, Open, Rerun, Statistics (reads that may take a while
    /// never hold up a trigger).
    records: Handle<InspectionQuery, InspectorEvent>,
    view: Arc<ArcSwap<InspectorView>>,
    gpio: Option<GpioHandle>,
}

impl InspectorHandle {
    /// Sends a command to the inspection worker, or a query to the records worker.
    pub fn send(&self, command: InspectorCommand) -> Result<(), RuntimeError> {
        match command {
            InspectorCommand::Query(query) => self.records.send(query),
            command => self.handle.send(command),
        }
    }

    /// What both workers said since the last call, without waiting.
    pub fn try_events(&self) -> Vec<InspectorEvent> {
        let mut events: Vec<InspectorEvent> = self.handle.events().try_iter().collect();
        events.extend(self.records.events().try_iter());
        events
    }

    pub fn view(&self) -> Arc<InspectorView> {
        self.view.load_full()
    }

    pub fn gpio(&self) -> Option<&GpioHandle> {
        self.gpio.as_ref()
    }
}

/// What the station's inspection runs with.
#[derive(Debug, Clone)]
pub struct InspectionPlan {
    pub gpio: Option<GpioSetup>,
    /// Vision workers (each loads its own detector).
    pub workers: usize,
    /// Where kept images go.
    pub images_dir: PathBuf,
    /// The part number whose newest recipe is active at start; none: the first stored one,
    /// else the station's default recipe.
    pub part_number: Option<String>,
    pub mode: TriggerMode,
}

/// An inspection on its way to the store; its acknowledgement tells the worker the id.
struct SaveInspection {
    new: NewInspection,
    camera_index: usize,
    id: Option<i64>,
    reply: Sender<Saved>,
}

struct Saved {
    part_seq: u64,
    camera_index: usize,
    result: Result<i64, String>,
}

impl StoreRecord for SaveInspection {
    fn name(&self) -> &'static str {
        "save inspection"
    }

    fn write(&mut self, store: &mut Store, _actor: Option<&Actor>) -> Result<(), StoreError> {
        self.id = Some(store.save_inspection(&self.new)?);
        Ok(())
    }

    fn acknowledge(self: Box<Self>, outcome: Result<(), String>) {
        let result = outcome.and_then(|()| self.id.ok_or_else(|| "no id".to_owned()));
        let _ = self.reply.try_send(Saved {
            part_seq: self.new.part_seq,
            camera_index: self.camera_index,
            result,
        });
    }
}

struct PartInProgress {
    fired_at: Instant,
    source: &'static str,
    serial: Option<String>,
    expected: usize,
    outcomes: Vec<CameraOutcome>,
    errors: Vec<String>,
}

struct ReplayState {
    files: Vec<PathBuf>,
    next: usize,
}

struct Inspector {
    triggers: TriggerSource,
    queue: VisionQueue,
    store: StoreHandle,
    reader: StoreReader,
    recipe: Arc<ArcSwap<Recipe>>,
    scales: Arc<ArcSwap<Vec<Option<f32>>>>,
    gpio: Option<GpioHandle>,
    camera_names: Vec<String>,
    outcomes: Receiver<CameraOutcome>,
    saved_tx: Sender<Saved>,
    saved: Receiver<Saved>,
    view: Arc<ArcSwap<InspectorView>>,
    mode: TriggerMode,
    serial: Option<String>,
    next_part: u64,
    parts: HashMap<u64, PartInProgress>,
    latest: Vec<Option<CameraOutcome>>,
    last_part: Option<Arc<PartResult>>,
    counters: LiveCounters,
    recent_cycles: VecDeque<f64>,
    next_tick: Instant,
    replay: Option<ReplayState>,
    part_numbers: Vec<String>,
    pending: u64,
    dirty: bool,
}

impl Inspector {
    fn run(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<InspectorCommand, InspectorEvent>,
    ) -> WorkerExit {
        self.refresh_records();
        self.publish();
        while !worker.is_stopped() {
            worker.beat();
            self.take_triggers(port);
            while let Ok(outcome) = self.outcomes.try_recv() {
                self.collect(outcome);
            }
            self.expire_parts();
            while let Ok(saved) = self.saved.try_recv() {
                self.on_saved(saved);
            }
            match port.next_command(Duration::from_millis(5)) {
                Ok(Some(command)) => self.handle(command, port),
                Ok(None) => {}
                Err(_) => break,
            }
            if self.dirty {
                self.publish();
            }
        }
        WorkerExit::Finished
    }

    /// Triggers from the sensor, the continuous clock and the replay.
    fn take_triggers(&mut self, port: &Port<InspectorCommand, InspectorEvent>) {
        if let Some(gpio) = &self.gpio {
            let edges: Vec<Instant> = gpio.triggers().try_iter().collect();
            for at in edges {
                // The sensor counts only in GPIO mode; its edges are drained either way so an
                // old edge never fires when the mode changes.
                if self.mode == TriggerMode::Gpio {
                    self.take_part("gpio", at, port);
                }
            }
        }
        let now = Instant::now();
        match self.mode.clone() {
            TriggerMode::Continuous { period } if now >= self.next_tick => {
                self.next_tick = now + period;
                // A slow pool is not flooded: one part waits at most.
                if self.parts.len() < 2 {
                    self.take_part("continuous", now, port);
                }
            }
            TriggerMode::Replay { period, .. } if now >= self.next_tick => {
                self.next_tick = now + period;
                if self.parts.is_empty() {
                    self.replay_next(port);
                }
            }
            _ => {}
        }
    }

    fn cameras_of_recipe(&self, recipe: &Recipe) -> Result<Vec<usize>, String> {
        if recipe.cameras.is_empty() {
            return Ok((0..self.camera_names.len()).collect());
        }
        recipe
            .cameras
            .iter()
            .map(|name| {
                self.camera_names
                    .iter()
                    .position(|camera| camera == name)
                    .ok_or_else(|| {
                        format!(
                            "recipe {} names camera \"{name}\", which this station does not have",
                            recipe.part_number
                        )
                    })
            })
            .collect()
    }

    /// One part arrived at `fired_at`: every camera of the recipe takes its frame.
    fn take_part(
        &mut self,
        source: &'static str,
        fired_at: Instant,
        port: &Port<InspectorCommand, InspectorEvent>,
    ) {
        let recipe = self.recipe.load_full();
        let cameras = match self.cameras_of_recipe(&recipe) {
            Ok(cameras) if !cameras.is_empty() => cameras,
            Ok(_) => {
                port.emit(InspectorEvent::Failed(
                    "no camera to inspect with: add a camera in Admin".into(),
                ));
                return;
            }
            Err(err) => {
                port.emit(InspectorEvent::Failed(err));
                return;
            }
        };
        self.next_part += 1;
        self.counters.triggers += 1;
        let part_seq = self.next_part;
        let mut part = PartInProgress {
            fired_at,
            source,
            serial: self.serial.clone(),
            expected: cameras.len(),
            outcomes: Vec::new(),
            errors: Vec::new(),
        };
        for index in cameras {
            if let Err(err) = self
                .triggers
                .trigger(index, fired_at, Some(part_seq), &self.queue)
            {
                // No frame to judge: the camera's outcome is that, recorded like any other.
                part.outcomes.push(CameraOutcome {
                    part_seq,
                    camera_index: index,
                    camera: self.camera_names[index].clone(),
                    fired_at,
                    finished_at: Instant::now(),
                    recipe: Arc::clone(&recipe),
                    result: Err(err.to_string()),
                });
            }
        }
        self.parts.insert(part_seq, part);
        self.dirty = true;
        self.finish_if_complete(part_seq);
    }

    fn replay_next(&mut self, port: &Port<InspectorCommand, InspectorEvent>) {
        let Some(replay) = &mut self.replay else {
            return;
        };
        let Some(path) = replay.files.get(replay.next).cloned() else {
            port.emit(InspectorEvent::Info(format!(
                "Replay finished: {} image(s) inspected",
                replay.files.len()
            )));
            self.mode = TriggerMode::Button;
            self.replay = None;
            self.dirty = true;
            return;
        };
        replay.next += 1;
        self.dirty = true;
        let fired_at = Instant::now();
        self.next_part += 1;
        self.counters.triggers += 1;
        let part_seq = self.next_part;
        let mut part = PartInProgress {
            fired_at,
            source: "replay",
            serial: path.file_stem().map(|s| s.to_string_lossy().into_owned()),
            expected: 1,
            outcomes: Vec::new(),
            errors: Vec::new(),
        };
        match read_rgba(&path) {
            Ok(image) => {
                let frame = Arc::new(Frame {
                    seq: part_seq,
                    captured_at: fired_at,
                    captured_utc: chrono::Utc::now(),
                    image: image.into(),
                    display: None,
                });
                let job = FrameJob {
                    camera_index: self.camera_names.len(),
                    frame,
                    kind: JobKind::Trigger {
                        trigger_seq: part_seq,
                        part_seq,
                        fired_at,
                    },
                };
                if self.queue.push_trigger(job).is_err() {
                    part.expected = 0;
                    part.errors
                        .push("the vision pool did not take the image".to_owned());
                }
            }
            Err(err) => {
                part.expected = 0;
                part.errors.push(format!("{err:#}"));
            }
        }
        self.parts.insert(part_seq, part);
        self.finish_if_complete(part_seq);
    }

    fn collect(&mut self, outcome: CameraOutcome) {
        let part_seq = outcome.part_seq;
        let index = outcome.camera_index;
        if self.latest.len() <= index {
            self.latest.resize(index + 1, None);
        }
        self.latest[index] = Some(outcome.clone());
        match self.parts.get_mut(&part_seq) {
            Some(part) => part.outcomes.push(outcome),
            None => tracing::warn!("an outcome for part {part_seq}, already finished, came late"),
        }
        self.dirty = true;
        self.finish_if_complete(part_seq);
    }

    fn expire_parts(&mut self) {
        let late: Vec<u64> = self
            .parts
            .iter()
            .filter(|(_, part)| part.fired_at.elapsed() > PART_TIMEOUT)
            .map(|(seq, _)| *seq)
            .collect();
        for seq in late {
            if let Some(part) = self.parts.get_mut(&seq) {
                let missing = part.expected.saturating_sub(part.outcomes.len());
                part.errors.push(format!(
                    "{missing} camera(s) gave no verdict within {} s",
                    PART_TIMEOUT.as_secs()
                ));
                part.expected = part.outcomes.len();
            }
            self.finish_if_complete(seq);
        }
    }

    fn finish_if_complete(&mut self, part_seq: u64) {
        let complete = self
            .parts
            .get(&part_seq)
            .is_some_and(|part| part.outcomes.len() >= part.expected);
        if !complete {
            return;
        }
        let Some(part) = self.parts.remove(&part_seq) else {
            return;
        };
        let mut errors = part.errors;
        for outcome in &part.outcomes {
            if let Err(err) = &outcome.result {
                errors.push(format!("{}: {err}", outcome.camera));
            }
        }
        let judged = part
            .outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok())
            .map(|r| r.inspection.verdict)
            .max();
        // A camera that could not judge the part rejects it: an unjudged part never passes.
        let verdict = if errors.is_empty() {
            judged.unwrap_or(Verdict::Reject)
        } else {
            Verdict::Reject
        };
        let finished = part
            .outcomes
            .iter()
            .map(|o| o.finished_at)
            .max()
            .unwrap_or_else(Instant::now);
        let cycle_ms = finished.duration_since(part.fired_at).as_secs_f64() * 1e3;
        if let Some(gpio) = &self.gpio
            && let Err(err) = gpio.send(GpioCommand::Verdict(verdict))
        {
            tracing::error!("the outputs did not take part {part_seq}'s verdict: {err}");
        }
        self.counters.verdicts[verdict.index()] += 1;
        self.counters.errors += errors.len() as u64;
        self.recent_cycles.push_back(cycle_ms);
        while self.recent_cycles.len() > RECENT_CYCLES {
            self.recent_cycles.pop_front();
        }
        for error in &errors {
            tracing::warn!("part {part_seq}: {error}");
        }
        for outcome in &part.outcomes {
            self.submit(part_seq, part.source, part.serial.clone(), outcome);
        }
        self.last_part = Some(Arc::new(PartResult {
            part_seq,
            source: part.source,
            serial: part.serial,
            verdict,
            cycle_ms,
            cameras: part.outcomes,
            errors,
        }));
        self.dirty = true;
    }

    fn submit(
        &mut self,
        part_seq: u64,
        source: &str,
        serial: Option<String>,
        outcome: &CameraOutcome,
    ) {
        let cycle_ms = outcome
            .finished_at
            .duration_since(outcome.fired_at)
            .as_secs_f64()
            * 1e3;
        let new = match &outcome.result {
            Ok(result) => judged_row(part_seq, source, serial, outcome, result, cycle_ms),
            // A camera that could not judge is recorded too: the part's REJECT has a row that
            // says why, and waits for a disposition like any other.
            Err(reason) => NewInspection {
                part_seq,
                source: source.to_owned(),
                camera: outcome.camera.clone(),
                part_number: outcome.recipe.part_number.clone(),
                recipe_version: outcome.recipe.version,
                serial,
                verdict: Verdict::Reject,
                reasons: vec![format!("the camera could not judge the part: {reason}")],
                failed_rules: vec!["unjudged".to_owned()],
                detector: "none".to_owned(),
                mm_per_px: outcome.recipe.mm_per_px.unwrap_or(0.0),
                width_px: 0,
                height_px: 0,
                inspect_ms: 0.0,
                cycle_ms,
                raw_image: None,
                overlay_image: None,
                pores: Vec::new(),
            },
        };
        let record = SaveInspection {
            new,
            camera_index: outcome.camera_index,
            id: None,
            reply: self.saved_tx.clone(),
        };
        if let Err(err) = self.store.submit(Box::new(record)) {
            self.counters.unsaved += 1;
            tracing::error!("part {part_seq} ({}): not saved: {err}", outcome.camera);
        }
    }

    fn on_saved(&mut self, saved: Saved) {
        match saved.result {
            Ok(_) => {
                // A WARN or REJECT now waits for a disposition.
                self.refresh_pending();
            }
            Err(err) => {
                self.counters.unsaved += 1;
                tracing::error!(
                    "part {} camera {}: the inspection was not saved: {err}",
                    saved.part_seq,
                    saved.camera_index
                );
            }
        }
        self.dirty = true;
    }

    fn refresh_pending(&mut self) {
        match self.reader.count_pending_dispositions() {
            Ok(count) => self.pending = count,
            Err(err) => tracing::warn!("counting pending dispositions: {err}"),
        }
    }

    fn refresh_records(&mut self) {
        self.refresh_pending();
        match self.reader.cameras() {
            Ok(records) => {
                let scales = self
                    .camera_names
                    .iter()
                    .map(|name| {
                        records
                            .iter()
                            .find(|record| &record.name == name)
                            .and_then(|record| record.mm_per_px)
                            .map(|scale| scale as f32)
                    })
                    .collect();
                self.scales.store(Arc::new(scales));
            }
            Err(err) => tracing::warn!("reading the cameras' calibration: {err}"),
        }
        match self.reader.latest_recipes() {
            Ok(recipes) => {
                self.part_numbers = recipes.into_iter().map(|r| r.part_number).collect();
            }
            Err(err) => tracing::warn!("listing recipes: {err}"),
        }
        self.dirty = true;
    }

    fn publish(&mut self) {
        self.dirty = false;
        self.view.store(Arc::new(InspectorView {
            recipe: self.recipe.load_full(),
            part_numbers: self.part_numbers.clone(),
            mode: self.mode.clone(),
            serial: self.serial.clone(),
            latest: self.latest.clone(),
            last_part: self.last_part.clone(),
            counters: self.counters,
            recent_cycles_ms: Arc::new(self.recent_cycles.iter().copied().collect()),
            parts_in_flight: self.parts.len(),
            pending_dispositions: self.pending,
            replay: self.replay.as_ref().map(|r| (r.next, r.files.len())),
            camera_names: self.camera_names.clone(),
            scales: self.scales.load().to_vec(),
        }));
    }

    fn handle(&mut self, command: InspectorCommand, port: &Port<InspectorCommand, InspectorEvent>) {
        match command {
            InspectorCommand::Trigger => self.take_part("button", Instant::now(), port),
            InspectorCommand::SetMode(mode) => self.set_mode(mode, port),
            InspectorCommand::SetSerial(serial) => {
                self.serial = serial
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty());
                self.dirty = true;
            }
            InspectorCommand::SelectRecipe { part_number } => {
                match load_recipe(&self.reader, &part_number) {
                    Ok(recipe) => {
                        port.emit(InspectorEvent::Info(format!(
                            "Recipe {} v{} is active",
                            recipe.part_number, recipe.version
                        )));
                        self.recipe.store(Arc::new(recipe));
                        self.dirty = true;
                    }
                    Err(err) => port.emit(InspectorEvent::Failed(err)),
                }
            }
            InspectorCommand::SaveRecipe {
                actor,
                recipe,
                note,
            } => self.save_recipe(&actor, *recipe, note, port),
            InspectorCommand::Dispose {
                actor,
                inspection_id,
                decision,
                reason,
                secret,
            } => self.dispose(&actor, inspection_id, decision, reason, &secret, port),
            InspectorCommand::Query(_) => {
                // `InspectorHandle::send` routes queries to the records worker.
                tracing::error!("a records query reached the inspection worker");
            }
            InspectorCommand::Snapshot { camera_index } => {
                let frame = self
                    .triggers
                    .cameras()
                    .get(camera_index)
                    .and_then(|camera| camera.ring.newest());
                match frame {
                    Some(frame) => port.emit(InspectorEvent::Snapshot {
                        camera_index,
                        image: Arc::new((*frame.image).clone()),
                    }),
                    None => port.emit(InspectorEvent::Failed(format!(
                        "camera {camera_index} has no frame yet"
                    ))),
                }
            }
            InspectorCommand::Try {
                recipe,
                camera_index,
                image,
            } => {
                if let Err(err) = recipe.validate() {
                    port.emit(InspectorEvent::Failed(format!(
                        "The draft is not valid: {err}"
                    )));
                    return;
                }
                let grey = image::imageops::grayscale(&*image);
                let camera = self.camera_names.get(camera_index).map(String::as_str);
                let calibration = self.scales.load().get(camera_index).copied().flatten();
                let mm_per_px = job::scale(calibration, &recipe);
                match PorosityJob::run(&recipe, camera, &grey, mm_per_px, None) {
                    Ok(result) => port.emit(InspectorEvent::Tried {
                        camera_index,
                        result: Arc::new(result),
                    }),
                    Err(err) => port.emit(InspectorEvent::Failed(format!("Try: {err}"))),
                }
            }
            InspectorCommand::Calibrate {
                actor,
                camera_index,
                mm_per_px,
            } => {
                let Some(name) = self.camera_names.get(camera_index).cloned() else {
                    port.emit(InspectorEvent::Failed(format!(
                        "there is no camera {camera_index}"
                    )));
                    return;
                };
                let camera = name.clone();
                let saved = self
                    .store
                    .call("calibrate camera", STORE_WAIT, move |store| {
                        store.calibrate_camera(&actor, &camera, mm_per_px)
                    });
                match saved {
                    Ok(()) => {
                        self.refresh_records();
                        port.emit(InspectorEvent::Info(match mm_per_px {
                            Some(scale) => format!("Camera {name} calibrated: {scale} mm/px"),
                            None => format!("Camera {name}: calibration cleared"),
                        }));
                    }
                    Err(err) => port.emit(InspectorEvent::Failed(format!(
                        "Calibration not saved: {err}"
                    ))),
                }
            }
            InspectorCommand::Gpio(command) => match &self.gpio {
                Some(gpio) => {
                    if let Err(err) = gpio.send(command) {
                        port.emit(InspectorEvent::Failed(format!("GPIO: {err}")));
                    }
                }
                None => port.emit(InspectorEvent::Failed(
                    "this station has no GPIO board configured".into(),
                )),
            },
        }
    }

    fn set_mode(&mut self, mode: TriggerMode, port: &Port<InspectorCommand, InspectorEvent>) {
        self.replay = None;
        match &mode {
            TriggerMode::Gpio if self.gpio.is_none() => {
                port.emit(InspectorEvent::Failed(
                    "this station has no GPIO board configured: triggers stay on the button".into(),
                ));
                return;
            }
            TriggerMode::Replay { folder, .. } => match images_in(folder) {
                Ok(files) if !files.is_empty() => {
                    port.emit(InspectorEvent::Info(format!(
                        "Replaying {} image(s) from {}",
                        files.len(),
                        folder.display()
                    )));
                    self.replay = Some(ReplayState { files, next: 0 });
                }
                Ok(_) => {
                    port.emit(InspectorEvent::Failed(format!(
                        "{} has no PNG, JPEG or BMP image to replay",
                        folder.display()
                    )));
                    return;
                }
                Err(err) => {
                    port.emit(InspectorEvent::Failed(format!("{err:#}")));
                    return;
                }
            },
            _ => {}
        }
        // Continuous parts start one period from now (the cameras may still be opening); a
        // replay starts at once.
        self.next_tick = match &mode {
            TriggerMode::Continuous { period } => Instant::now() + *period,
            _ => Instant::now(),
        };
        self.mode = mode;
        self.dirty = true;
    }

    fn save_recipe(
        &mut self,
        actor: &Actor,
        recipe: Recipe,
        note: String,
        port: &Port<InspectorCommand, InspectorEvent>,
    ) {
        if let Err(err) = recipe.validate() {
            port.emit(InspectorEvent::Failed(format!("Recipe not saved: {err}")));
            return;
        }
        let part_number = recipe.part_number.clone();
        let body = recipe.body_toml();
        let actor = actor.clone();
        let saved = self.store.call("save recipe", STORE_WAIT, move |store| {
            store.save_recipe(&actor, &part_number, &body, &note)
        });
        match saved {
            Ok(record) => {
                self.recipe.store(Arc::new(Recipe {
                    version: record.version,
                    ..recipe
                }));
                self.refresh_records();
                port.emit(InspectorEvent::RecipeSaved(Box::new(record)));
            }
            Err(err) => port.emit(InspectorEvent::Failed(format!("Recipe not saved: {err}"))),
        }
    }

    fn dispose(
        &mut self,
        actor: &Actor,
        inspection_id: i64,
        decision: Disposition,
        reason: String,
        secret: &str,
        port: &Port<InspectorCommand, InspectorEvent>,
    ) {
        // The slow hash check runs here, outside any transaction; the store re-checks that
        // the hash is still the user's when it records.
        let stored = match self.reader.stored_secret(&actor.name) {
            Ok(stored) => stored,
            Err(err) => {
                port.emit(InspectorEvent::Failed(format!("Signature: {err}")));
                return;
            }
        };
        let check = match check_stored_secret(stored, secret) {
            Ok(Some(check)) => check,
            Ok(None) => {
                port.emit(InspectorEvent::Failed(format!(
                    "{} has no account to sign with",
                    actor.name
                )));
                return;
            }
            Err(err) => {
                port.emit(InspectorEvent::Failed(format!("Signature: {err:#}")));
                return;
            }
        };
        let actor = actor.clone();
        let outcome = self
            .store
            .call("sign a disposition", STORE_WAIT, move |store| {
                store.dispose(&actor, inspection_id, decision, &reason, &check)
            });
        match outcome {
            Ok(DispositionOutcome::Recorded(record)) => {
                self.refresh_pending();
                self.dirty = true;
                port.emit(InspectorEvent::Disposed(Box::new(record)));
            }
            Ok(DispositionOutcome::SignatureRefused) => {
                port.emit(InspectorEvent::SignatureRefused(
                    "The PIN or password does not match: the disposition was not signed".into(),
                ));
            }
            Err(err) => port.emit(InspectorEvent::Failed(format!(
                "Disposition not recorded: {err}"
            ))),
        }
    }
}

/// The newest stored recipe of `part_number`, parsed and validated.
fn load_recipe(reader: &StoreReader, part_number: &str) -> Result<Recipe, String> {
    let record = reader
        .latest_recipe(part_number)
        .map_err(|err| err.to_string())?
        .ok_or_else(|| format!("there is no recipe for part number {part_number}"))?;
    Recipe::from_stored(&record.body_toml, &record.part_number, record.version)
        .map_err(|err| err.to_string())
}

/// The recipe active at start: the plan's part number, else the first stored part, else the
/// station default.
fn initial_recipe(reader: &StoreReader, part_number: Option<&str>) -> Recipe {
    let wanted = part_number.map(str::to_owned).or_else(|| {
        reader
            .latest_recipes()
            .ok()
            .and_then(|recipes| recipes.into_iter().next())
            .map(|r| r.part_number)
    });
    match wanted {
        Some(part) => load_recipe(reader, &part).unwrap_or_else(|err| {
            tracing::error!("{err}; the station's default recipe is active");
            Recipe::station_default()
        }),
        None => Recipe::station_default(),
    }
}

impl Runtime {
    /// Starts porosity inspection: the gpio worker (if any), the vision pool running
    /// `PorosityJob`, and the inspection worker.
    pub(super) fn start_inspection(
        &mut self,
        plan: InspectionPlan,
        reader: StoreReader,
        records_reader: StoreReader,
    ) -> Result<(), RuntimeError> {
        let gpio = match plan.gpio {
            Some(setup) => Some(self.start_gpio(setup)?),
            None => None,
        };
        let camera_names: Vec<String> = self.cameras.iter().map(|c| c.name.clone()).collect();
        let recipe = Arc::new(ArcSwap::from_pointee(initial_recipe(
            &reader,
            plan.part_number.as_deref(),
        )));
        let (outcomes_tx, outcomes) = bounded(64);
        let scales = Arc::new(ArcSwap::from_pointee(Vec::new()));
        let queue = self.start_vision(
            Arc::new(PorosityJob {
                recipe: Arc::clone(&recipe),
                scales: Arc::clone(&scales),
                camera_names: camera_names.clone(),
                images_dir: plan.images_dir.clone(),
                disk: self.disk_guard().clone(),
                outcomes: outcomes_tx,
            }),
            plan.workers,
            VisionLanes::default(),
        )?;
        let store = self.store().ok_or(RuntimeError::Stopped)?;
        let (saved_tx, saved) = bounded(256);
        let recipe_for_records = Arc::clone(&recipe);
        let images_dir_for_records = plan.images_dir;
        let view = Arc::new(ArcSwap::from_pointee(InspectorView {
            recipe: recipe.load_full(),
            part_numbers: Vec::new(),
            mode: plan.mode.clone(),
            serial: None,
            latest: Vec::new(),
            last_part: None,
            counters: LiveCounters::default(),
            recent_cycles_ms: Arc::default(),
            parts_in_flight: 0,
            pending_dispositions: 0,
            replay: None,
            camera_names: camera_names.clone(),
            scales: Vec::new(),
        }));
        let mut inspector = Inspector {
            triggers: self.trigger_source(),
            queue,
            store,
            reader,
            recipe,
            scales,
            gpio: gpio.clone(),
            camera_names,
            outcomes,
            saved_tx,
            saved,
            view: Arc::clone(&view),
            mode: TriggerMode::Button,
            serial: None,
            next_part: 0,
            parts: HashMap::new(),
            latest: Vec::new(),
            last_part: None,
            counters: LiveCounters::default(),
            recent_cycles: VecDeque::new(),
            next_tick: Instant::now(),
            replay: None,
            part_numbers: Vec::new(),
            pending: 0,
            dirty: true,
        };
        let initial_mode = plan.mode;
        let handle = self.start_capability(
            WorkerSpec::new("inspector", Phase::Producers),
            "inspector",
            (64, 64),
            move |worker, port| {
                if inspector.mode != initial_mode {
                    inspector.set_mode(initial_mode.clone(), port);
                }
                inspector.run(worker, port)
            },
        )?;
        let mut records = records::RecordsWorker {
            reader: records_reader,
            recipe: recipe_for_records,
            images_dir: images_dir_for_records,
        };
        let records = self.start_capability(
            WorkerSpec::new("inspection-records", Phase::Services),
            "inspection records",
            (16, 16),
            move |worker, port| records.serve(worker, port),
        )?;
        self.inspector = Some(InspectorHandle {
            handle,
            records,
            view,
            gpio,
        });
        Ok(())
    }

    /// Porosity inspection, when this station runs it.
    pub fn inspector(&self) -> Option<&InspectorHandle> {
        self.inspector.as_ref()
    }
}

/// The record of a camera that judged the part.
fn judged_row(
    part_seq: u64,
    source: &str,
    serial: Option<String>,
    outcome: &CameraOutcome,
    result: &CameraInspection,
    cycle_ms: f64,
) -> NewInspection {
    let inspection = &result.inspection;
    NewInspection {
        part_seq,
        source: source.to_owned(),
        camera: outcome.camera.clone(),
        part_number: outcome.recipe.part_number.clone(),
        recipe_version: outcome.recipe.version,
        serial,
        verdict: inspection.verdict,
        reasons: inspection.reasons(),
        failed_rules: inspection
            .findings
            .iter()
            .map(|f| f.rule.as_str().to_owned())
            .collect(),
        detector: inspection.detector.as_str().to_owned(),
        mm_per_px: inspection.mm_per_px,
        width_px: inspection.width_px,
        height_px: inspection.height_px,
        inspect_ms: result.inspect_ms,
        cycle_ms,
        raw_image: result.raw_image.clone(),
        overlay_image: result.overlay_image.clone(),
        pores: inspection
            .pores
            .iter()
            .map(|pore| PoreRow {
                n: u32::try_from(pore.id + 1).unwrap_or(u32::MAX),
                zone: inspection.zone_of(pore.id).map(str::to_owned),
                x_px: pore.x_px,
                y_px: pore.y_px,
                diameter_mm: pore.diameter_mm,
                feret_mm: pore.feret_mm,
                area_mm2: pore.area_mm2,
                circularity: pore.circularity,
                score: pore.score,
                verdict: inspection.pore_verdict(pore.id),
            })
            .collect(),
    }
}
