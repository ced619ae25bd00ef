//! The scanner worker: scan sessions on a live camera. While a session is open it takes the
//! newest frame of its source (never a queue: a frame not read in time gives way to the next),
//! decodes it with the live budget on the isolated decoder, and records each code that comes
//! into view once — a code held in view counts once; taken away and shown again it is scanned
//! again (the store calls that a duplicate). Each scan is judged by the store (known, unknown,
//! duplicate, wrong lot, wrong status) and kept with a crop of the code (no crop while the disk
//! guard has paused images: the scan is recorded without one). The panel reads the
//! published view: the open session, the counts, the last results and the newest frame.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use image::{GrayImage, RgbaImage};

use super::CameraHandle;
use super::disk_guard::DiskGuard;
use super::port::{Handle, Port};
use super::records::StoreHandle;
use super::worker::{WorkerCtx, WorkerExit};
use crate::domain::Actor;
use crate::scan::isolate::{IsolatedDecoder, Outcome};
use crate::scan::session_report::session_csv;
use crate::scan::synth::{MarkParams, Tier, render as render_mark};
use crate::scan::{Code, ScanOptions};
use crate::store::{
    BatchRecord, Expected, ItemFilter, ScanRecord, ScanResult, ScanSessionRecord, ScanSummary,
    StoreReader,
};

/// A code unseen for this long has left the view; shown again, it is scanned again.
pub const LEFT_VIEW_AFTER: Duration = Duration::from_millis(1500);
/// Results kept on the view.
const LAST_RESULTS: usize = 12;
/// How long the worker waits for the store.
const STORE_WAIT: Duration = Duration::from_secs(5);
/// A part from another station: its code reads, but it is no item of this inventory.
pub const DEMO_STRANGER: &str = "ACME-V0900-L2024-02-00417";
/// The simulated reader's frame size (a hand-held reader's VGA sensor) and rate.
const SIMULATED_SIZE: (u32, u32) = (640, 480);
const SIMULATED_PERIOD: Duration = Duration::from_millis(66);

/// What the scanner looks through.
#[derive(Clone)]
pub enum ScanSource {
    /// One of the station's cameras.
    Camera(CameraHandle),
    /// The demo's hand-held reader: it sees the part the operator presents (a laser mark of
    /// that part's UID on metal, in a new pose each time), or nothing.
    Simulated,
}

/// What the panel asks.
#[derive(Debug, Clone, PartialEq)]
pub enum ScannerCommand {
    Start {
        actor: Actor,
        name: String,
        expected: Expected,
    },
    Close {
        actor: Actor,
    },
    /// Goes on with a session left open (the station was stopped during it), as `actor`.
    Resume {
        actor: Actor,
        session_id: i64,
    },
    /// The demo reader: hold this part's mark in view (`None`: take it away).
    Present(Option<String>),
    /// Writes a session's report as CSV into the station's export folder.
    Export {
        session_id: i64,
    },
}

/// What the worker tells the panel (the view carries the state; events are for sounds and
/// notices).
#[derive(Debug, Clone, PartialEq)]
pub enum ScannerEvent {
    Scanned(ScanRecord),
    Closed(ScanSessionRecord, ScanSummary),
    /// A report written, and where.
    Exported(PathBuf),
    Failed(String),
}

/// The scanner now.
#[derive(Debug, Clone, Default)]
pub struct ScannerView {
    /// What the scanner looks through, in words.
    pub source: String,
    pub simulated: bool,
    pub session: Option<ScanSessionRecord>,
    pub counts: BTreeMap<ScanResult, u64>,
    /// Newest last.
    pub last: Vec<ScanRecord>,
    /// The newest frame looked at, and the codes read in it (corners in its pixels).
    pub frame: Option<ShownFrame>,
    pub frame_seq: u64,
    pub codes_in_view: Vec<(String, [(f32, f32); 4])>,
    /// Decode time of the last frame, ms.
    pub decode_ms: f64,
    /// Frames decoded since start, and the decoder's panics and time-outs.
    pub frames: u64,
    pub decoder_failures: u64,
    /// The recent sessions, newest first.
    pub sessions: Vec<ScanSessionRecord>,
    /// The open session's summary so far (expected seen, missing, extra).
    pub summary: Option<ScanSummary>,
    /// When the last code left the view (none in view now), for the panel to dim the last
    /// result once the part is gone.
    pub view_empty_for_ms: Option<u64>,
    /// The part the demo reader holds.
    pub presented: Option<String>,
    /// Parts the demo reader can be shown: the open session's expected UIDs and other items.
    pub demo_parts: Vec<String>,
    /// The newest batches, to scan against.
    pub batches: Vec<BatchRecord>,
}

/// The image the scanner looked at last, shared, not copied: a camera's frame as captured, or
/// the demo reader's still image.
#[derive(Debug, Clone)]
pub enum ShownFrame {
    Camera(Arc<crate::camera::Frame>),
    Still(Arc<RgbaImage>),
}

impl ShownFrame {
    pub fn image(&self) -> &RgbaImage {
        match self {
            Self::Camera(frame) => &frame.image,
            Self::Still(image) => image,
        }
    }
}

/// The faces' side.
#[derive(Clone)]
pub struct ScannerHandle {
    pub(super) handle: Handle<ScannerCommand, ScannerEvent>,
    pub(super) view: Arc<ArcSwap<ScannerView>>,
}

impl ScannerHandle {
    pub fn send(&self, command: ScannerCommand) -> Result<(), super::RuntimeError> {
        self.handle.send(command)
    }

    pub fn events(&self) -> &crossbeam_channel::Receiver<ScannerEvent> {
        self.handle.events()
    }

    pub fn view(&self) -> Arc<ScannerView> {
        self.view.load_full()
    }
}

pub(super) struct Scanner {
    pub source: ScanSource,
    pub store: StoreHandle,
    pub reader: StoreReader,
    pub images_dir: PathBuf,
    /// Whether crops may be saved now (free space on the data disk).
    pub disk: DiskGuard,
    pub view: Arc<ArcSwap<ScannerView>>,
    actor: Option<Actor>,
    session: Option<ScanSessionRecord>,
    counts: BTreeMap<ScanResult, u64>,
    last: VecDeque<ScanRecord>,
    /// Codes in view and when each was last seen.
    in_view: HashMap<String, Instant>,
    decoder: IsolatedDecoder,
    /// The decode budget per frame.
    options: ScanOptions,
    seen_seq: u64,
    frames: u64,
    /// The demo reader: what it holds and its rendered image.
    presented: Option<String>,
    presentations: u64,
    last_frame: Option<ShownFrame>,
    /// What the demo reader sees now (bare metal until a part is presented), made once per
    /// presentation.
    still: (Arc<RgbaImage>, GrayImage),
    codes_in_view: Vec<(String, [(f32, f32); 4])>,
    decode_ms: f64,
    sessions: Vec<ScanSessionRecord>,
    /// The open session's summary, read again after each scan.
    summary: Option<ScanSummary>,
    /// Crops saved by this run (part of their names).
    crops: u64,
    /// Since when no code has been in view.
    empty_since: Option<Instant>,
    demo_parts: Vec<String>,
    batches: Vec<BatchRecord>,
}

impl Scanner {
    pub fn new(
        source: ScanSource,
        store: StoreHandle,
        reader: StoreReader,
        images_dir: PathBuf,
        disk: DiskGuard,
        budget: Duration,
    ) -> Self {
        let options = ScanOptions {
            budget,
            grade: false,
        };
        Self {
            options,
            source,
            store,
            reader,
            images_dir,
            disk,
            view: Arc::default(),
            actor: None,
            session: None,
            counts: BTreeMap::new(),
            last: VecDeque::new(),
            in_view: HashMap::new(),
            decoder: IsolatedDecoder::for_budget(budget),
            seen_seq: 0,
            frames: 0,
            presented: None,
            presentations: 0,
            last_frame: None,
            still: bare_metal(),
            codes_in_view: Vec::new(),
            decode_ms: 0.0,
            sessions: Vec::new(),
            summary: None,
            crops: 0,
            empty_since: None,
            demo_parts: Vec::new(),
            batches: Vec::new(),
        }
    }

    pub fn run(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<ScannerCommand, ScannerEvent>,
    ) -> WorkerExit {
        self.reread_sessions();
        self.publish();
        let mut next_simulated = Instant::now();
        while !worker.is_stopped() {
            worker.beat();
            let wait = if self.session.is_some() {
                Duration::from_millis(5)
            } else {
                Duration::from_millis(100)
            };
            match port.next_command(wait) {
                Ok(Some(command)) => self.command(command, port),
                Ok(None) => {}
                Err(_) => break,
            }
            let frame = match &self.source {
                ScanSource::Camera(camera) => camera.slot.take_newer(self.seen_seq).map(|frame| {
                    self.seen_seq = frame.seq;
                    // Grey only when it will be decoded.
                    let grey = if self.session.is_some() {
                        image::imageops::grayscale(&*frame.image)
                    } else {
                        GrayImage::new(1, 1)
                    };
                    (ShownFrame::Camera(frame), grey)
                }),
                ScanSource::Simulated => {
                    if Instant::now() >= next_simulated {
                        next_simulated = Instant::now() + SIMULATED_PERIOD;
                        let (image, grey) = &self.still;
                        Some((ShownFrame::Still(Arc::clone(image)), grey.clone()))
                    } else {
                        None
                    }
                }
            };
            if let Some((shown, grey)) = frame {
                self.look(shown, grey, port);
            }
        }
        WorkerExit::Finished
    }

    fn command(&mut self, command: ScannerCommand, port: &Port<ScannerCommand, ScannerEvent>) {
        match command {
            ScannerCommand::Start {
                actor,
                name,
                expected,
            } => {
                if let Some(open) = &self.session {
                    port.emit(ScannerEvent::Failed(format!(
                        "session {} ({}) is still open: close it first",
                        open.id, open.name
                    )));
                    return;
                }
                let started = self.store.call("start a scan session", STORE_WAIT, {
                    let actor = actor.clone();
                    move |store| store.start_scan_session(&actor, &name, &expected)
                });
                match started {
                    Ok(session) => {
                        self.summary = self.reader.scan_summary(session.id).ok();
                        self.session = Some(session);
                        self.actor = Some(actor);
                        self.counts.clear();
                        self.last.clear();
                        self.in_view.clear();
                    }
                    Err(err) => port.emit(ScannerEvent::Failed(err.to_string())),
                }
                self.reread_sessions();
            }
            ScannerCommand::Close { actor } => {
                let Some(session) = self.session.clone() else {
                    port.emit(ScannerEvent::Failed("no scan session is open".into()));
                    return;
                };
                let closed = self.store.call("close a scan session", STORE_WAIT, {
                    move |store| store.close_scan_session(&actor, session.id)
                });
                match closed {
                    Ok(summary) => {
                        let record = self
                            .reader
                            .scan_session(session.id)
                            .ok()
                            .flatten()
                            .unwrap_or(session);
                        self.session = None;
                        self.actor = None;
                        port.emit(ScannerEvent::Closed(record, summary));
                    }
                    Err(err) => port.emit(ScannerEvent::Failed(err.to_string())),
                }
                self.reread_sessions();
            }
            ScannerCommand::Present(part) => {
                self.presented = None;
                self.still = bare_metal();
                // A new image for the panel to upload (the demo reader's frames repeat it).
                self.seen_seq += 1;
                if let Some(uid) = part {
                    self.presentations += 1;
                    match presented_mark(&uid, self.presentations) {
                        Ok((rgba, grey)) => {
                            self.still = (Arc::new(rgba), grey);
                            self.presented = Some(uid);
                        }
                        Err(err) => port.emit(ScannerEvent::Failed(format!(
                            "the demo reader cannot show {uid}: {err}"
                        ))),
                    }
                }
            }
            ScannerCommand::Resume { actor, session_id } => {
                if let Err(err) = self.resume(actor, session_id) {
                    port.emit(ScannerEvent::Failed(err));
                }
            }
            ScannerCommand::Export { session_id } => match self.export(session_id) {
                Ok(path) => port.emit(ScannerEvent::Exported(path)),
                Err(err) => port.emit(ScannerEvent::Failed(format!(
                    "scan session {session_id} was not exported: {err}"
                ))),
            },
        }
        self.publish();
    }

    /// Goes on with an open session: its counts and last results from the store.
    fn resume(&mut self, actor: Actor, session_id: i64) -> Result<(), String> {
        let session = self
            .reader
            .scan_session(session_id)
            .map_err(|err| err.to_string())?
            .filter(ScanSessionRecord::is_open)
            .ok_or_else(|| format!("scan session {session_id} is not open"))?;
        let scans = self
            .reader
            .scans(session_id, 0)
            .map_err(|err| err.to_string())?;
        self.counts.clear();
        for scan in &scans {
            *self.counts.entry(scan.result).or_default() += 1;
        }
        self.last = scans.into_iter().rev().take(LAST_RESULTS).rev().collect();
        self.in_view.clear();
        self.summary = self.reader.scan_summary(session_id).ok();
        self.actor = Some(actor);
        self.session = Some(session);
        Ok(())
    }

    /// `exports/scan-session-<id>.csv` beside the image folder.
    fn export(&self, session_id: i64) -> Result<PathBuf, String> {
        let session = self
            .reader
            .scan_session(session_id)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("no scan session {session_id}"))?;
        let summary = self
            .reader
            .scan_summary(session_id)
            .map_err(|err| err.to_string())?;
        let scans = self
            .reader
            .scans(session_id, 0)
            .map_err(|err| err.to_string())?;
        let folder = self
            .images_dir
            .parent()
            .unwrap_or(&self.images_dir)
            .join("exports");
        std::fs::create_dir_all(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
        let path = folder.join(format!("scan-session-{session_id}.csv"));
        std::fs::write(&path, session_csv(&session, &summary, &scans))
            .map_err(|err| format!("{}: {err}", path.display()))?;
        Ok(path)
    }

    fn reread_sessions(&mut self) {
        match self.reader.scan_sessions(50) {
            Ok(sessions) => self.sessions = sessions,
            Err(err) => tracing::warn!("reading the scan sessions: {err}"),
        }
        match self.reader.batches(20) {
            Ok(batches) => self.batches = batches,
            Err(err) => tracing::warn!("reading the batches: {err}"),
        }
        if matches!(self.source, ScanSource::Simulated) {
            self.demo_parts = self.demo_parts();
        }
    }

    /// What the demo reader may be shown: the newest batch's items, and a code that is no
    /// item of this station.
    fn demo_parts(&self) -> Vec<String> {
        let mut parts: Vec<String> = match self.batches.first() {
            Some(batch) => self
                .reader
                .items(&ItemFilter {
                    batch_id: Some(batch.id),
                    ..ItemFilter::default()
                })
                .map(|items| items.into_iter().map(|item| item.uid).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        parts.push(DEMO_STRANGER.to_owned());
        parts
    }

    /// Decodes one frame (only while a session is open) and records codes new in view.
    fn look(
        &mut self,
        shown: ShownFrame,
        grey: GrayImage,
        port: &Port<ScannerCommand, ScannerEvent>,
    ) {
        self.last_frame = Some(shown);
        if self.session.is_none() {
            self.codes_in_view.clear();
            self.publish();
            return;
        }
        let started = Instant::now();
        let outcome = self.decoder.decode(grey.clone(), self.options);
        self.decode_ms = started.elapsed().as_secs_f64() * 1000.0;
        self.frames += 1;
        let codes: Vec<Code> = match outcome {
            Ok(Outcome::Codes(codes)) => codes,
            Ok(Outcome::Panicked(_) | Outcome::TimedOut) | Err(_) => Vec::new(),
        };
        let now = Instant::now();
        self.in_view
            .retain(|_, seen| now.duration_since(*seen) < LEFT_VIEW_AFTER);
        self.codes_in_view = codes
            .iter()
            .map(|code| (code.text.clone(), code.corners))
            .collect();
        if self.in_view.is_empty() && codes.is_empty() {
            self.empty_since.get_or_insert(now);
        } else {
            self.empty_since = None;
        }
        for code in &codes {
            let new_in_view = self.in_view.insert(code.text.clone(), now).is_none();
            if new_in_view {
                self.record(code, &grey, port);
            }
        }
        self.publish();
    }

    fn record(&mut self, code: &Code, grey: &GrayImage, port: &Port<ScannerCommand, ScannerEvent>) {
        let (Some(session), Some(actor)) = (self.session.clone(), self.actor.clone()) else {
            return;
        };
        self.crops += 1;
        // Unique whatever the store answered before: the time and a counter of this run.
        let name = format!(
            "{}-{:04}",
            crate::store::now_utc().format("%Y%m%dT%H%M%S%3f"),
            self.crops
        );
        // A full disk pauses the crops, never the scans (the guard logs the pause once).
        let image_path = if self.disk.may_save_images() {
            save_crop(&self.images_dir, grey, code, session.id, &name)
                .map_err(|err| tracing::warn!("scan image not saved: {err}"))
                .ok()
        } else {
            None
        };
        let text = code.text.clone();
        let recorded = self.store.call("record a scan", STORE_WAIT, move |store| {
            store.record_scan(&actor, session.id, &text, image_path.as_deref())
        });
        match recorded {
            Ok(record) => {
                self.summary = self.reader.scan_summary(record.session_id).ok();
                *self.counts.entry(record.result).or_default() += 1;
                self.last.push_back(record.clone());
                while self.last.len() > LAST_RESULTS {
                    self.last.pop_front();
                }
                port.emit(ScannerEvent::Scanned(record));
            }
            Err(err) => port.emit(ScannerEvent::Failed(format!(
                "{:?} was read but not recorded: {err}",
                code.text
            ))),
        }
    }

    fn publish(&self) {
        self.view.store(Arc::new(ScannerView {
            source: match &self.source {
                ScanSource::Camera(camera) => format!("camera {}", camera.name),
                ScanSource::Simulated => "the demo's hand-held reader (simulated)".to_owned(),
            },
            simulated: matches!(self.source, ScanSource::Simulated),
            session: self.session.clone(),
            counts: self.counts.clone(),
            last: self.last.iter().cloned().collect(),
            frame: self.last_frame.clone(),
            frame_seq: self.seen_seq,
            codes_in_view: self.codes_in_view.clone(),
            decode_ms: self.decode_ms,
            frames: self.frames,
            decoder_failures: self.decoder.panics() + self.decoder.timeouts(),
            sessions: self.sessions.clone(),
            summary: self.session.as_ref().and(self.summary.clone()),
            view_empty_for_ms: self
                .empty_since
                .map(|since| since.elapsed().as_millis() as u64),
            presented: self.presented.clone(),
            demo_parts: self.demo_parts.clone(),
            batches: self.batches.clone(),
        }));
    }
}

/// The demo reader with nothing in front of it.
fn bare_metal() -> (Arc<RgbaImage>, GrayImage) {
    let grey = GrayImage::from_pixel(SIMULATED_SIZE.0, SIMULATED_SIZE.1, image::Luma([52]));
    let rgba = image::DynamicImage::ImageLuma8(grey.clone()).to_rgba8();
    (Arc::new(rgba), grey)
}

/// The demo reader's image of a part: its UID as a laser mark on metal, posed by `seed`.
fn presented_mark(uid: &str, seed: u64) -> Result<(RgbaImage, GrayImage), String> {
    let mut params = MarkParams::sample(seed, Tier::Normal, SIMULATED_SIZE.0, SIMULATED_SIZE.1);
    params.payload = uid.to_owned();
    let mark = render_mark(&params).map_err(|err| err.to_string())?;
    let rgba = image::DynamicImage::ImageLuma8(mark.image.clone()).to_rgba8();
    Ok((rgba, mark.image))
}

/// Saves the code's neighbourhood as `scans/<session>/<name>.png` under the image folder.
fn save_crop(
    images_dir: &Path,
    grey: &GrayImage,
    code: &Code,
    session_id: i64,
    name: &str,
) -> Result<String, String> {
    let (xs, ys): (Vec<f32>, Vec<f32>) = code.corners.iter().copied().unzip();
    let margin = 4.0 * code.module_px;
    let min = |values: &[f32]| values.iter().copied().fold(f32::MAX, f32::min) - margin;
    let max = |values: &[f32]| values.iter().copied().fold(f32::MIN, f32::max) + margin;
    let x0 = min(&xs).clamp(0.0, grey.width() as f32) as u32;
    let y0 = min(&ys).clamp(0.0, grey.height() as f32) as u32;
    let x1 = max(&xs).clamp(0.0, grey.width() as f32) as u32;
    let y1 = max(&ys).clamp(0.0, grey.height() as f32) as u32;
    if x1 <= x0 || y1 <= y0 {
        return Err("the code lies outside the frame".into());
    }
    let crop = image::imageops::crop_imm(grey, x0, y0, x1 - x0, y1 - y0).to_image();
    let relative = Path::new("scans")
        .join(session_id.to_string())
        .join(format!("{name}.png"));
    let path = images_dir.join(&relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|err| format!("{}: {err}", parent.display()))?;
    }
    crop.save(&path)
        .map_err(|err| format!("{}: {err}", path.display()))?;
    Ok(relative.to_string_lossy().into_owned())
}
