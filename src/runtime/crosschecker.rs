//! The cross-check worker: sessions of the QC desk. A new session's files are copied into the
//! station's data folder by content hash (`crosscheck/files/<sha256>.<ext>`, original names
//! kept in the store), then read one by one — each file's status goes queued → extracting →
//! done or failed, and the panel sees the progress — and the checks run once every file is
//! through. Re-running a session reads its stored files again with the station's current
//! patterns; deleting one needs an engineer (the store checks) and removes files no other
//! session uses; exporting writes the report as PDF and the checks as CSV.
//!
//! The OCR models are loaded when the first session needs them (a second or two, with their
//! golden self-test); if they are refused, files that need the OCR fail with that reason.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use image::RgbImage;
use sha2::{Digest, Sha256};

use super::crosscheck::{InputFile, OcrState, extract_file, judge};
use super::port::{Handle, Port};
use super::records::StoreHandle;
use super::worker::{WorkerCtx, WorkerExit};
use crate::docs::synth::{PackOptions, write_pack};
use crate::docs::{ACCEPTED_EXTENSIONS, Limits, read_document, scan_px_per_pt};
use crate::domain::Actor;
use crate::domain::crosscheck::{CheckResult, CompiledPatterns, FieldValue, TextLine, Verdict};
use crate::report::{ReportFile, crosscheck_pdf};
use crate::store::{
    CrosscheckFileRecord, CrosscheckFilter, CrosscheckSessionRecord, FileStatus, NewCrosscheckFile,
    StoreReader,
};

const STORE_WAIT: Duration = Duration::from_secs(5);
/// Where the demo's generated document packs are, under the data folder.
pub const DEMO_PACKS: &str = "demo-packs";
const DEMO_PACK_COUNT: u64 = 5;

/// What the panel asks.
#[derive(Debug, Clone, PartialEq)]
pub enum CrosscheckCommand {
    /// Creates a session from these files and checks it.
    Create {
        actor: Actor,
        name: String,
        files: Vec<PathBuf>,
    },
    /// Reads a session's files again with the current patterns and checks again.
    Rerun { actor: Actor, session_id: i64 },
    /// Deletes a session (an engineer or admin).
    Delete { actor: Actor, session_id: i64 },
    /// Shows a session with its files and checks.
    Open(i64),
    /// Lists sessions matching the filter.
    List(CrosscheckFilter),
    /// Writes the report (PDF) and the checks (CSV) into the station's export folder.
    Export { session_id: i64 },
    /// Reads a stored file again for the evidence view (answered by `Evidence`).
    Evidence { path: PathBuf, name: String },
}

/// What happened, for notices (the view carries the state).
#[derive(Debug, Clone, PartialEq)]
pub enum CrosscheckEvent {
    Checked {
        session_id: i64,
        verdict: Verdict,
    },
    Deleted(i64),
    Exported {
        session_id: i64,
        paths: Vec<PathBuf>,
    },
    Failed(String),
    /// A stored file read for the evidence view, or why it could not be.
    Evidence {
        path: PathBuf,
        document: Result<Arc<EvidenceDocument>, String>,
    },
}

/// What the evidence view needs of a file, read by the worker (never on the UI thread).
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceDocument {
    /// Lines with their places: a PDF's text (`Page`), a sheet's cells (`Cell`).
    pub lines: Vec<TextLine>,
    /// The photo sized for the screen, with the size of one of its pixels in the photo's own
    /// pixels (which the boxes are in).
    pub photo: Option<(RgbImage, f32)>,
    /// Scanned pages rendered for showing, by page number, each with the size of one of its
    /// pixels in the pixels of the OCR's rendering (which the boxes are in).
    pub pages: Vec<(u32, RgbImage, f32)>,
}

/// Longest side of an evidence image: a texture any GPU takes, sharp enough for a close-up.
const EVIDENCE_SIDE_PX: u32 = 2048;

/// `image` shrunk here, on the worker, to at most `EVIDENCE_SIDE_PX` a side (the UI thread only
/// uploads it), with the size of one new pixel in the old ones.
fn for_screen(image: RgbImage) -> (RgbImage, f32) {
    let (width, height) = image.dimensions();
    let longest = width.max(height);
    if longest <= EVIDENCE_SIDE_PX {
        return (image, 1.0);
    }
    let scale = EVIDENCE_SIDE_PX as f32 / longest as f32;
    let new_width = ((width as f32 * scale).round() as u32).max(1);
    let new_height = ((height as f32 * scale).round() as u32).max(1);
    let shrunk = image::imageops::thumbnail(&image, new_width, new_height);
    (shrunk, width as f32 / new_width as f32)
}

/// Pixels a scanned page is rendered at for showing: about 100 dpi for Letter, a quarter of
/// the OCR's rendering and of its time.
const EVIDENCE_SCAN_PIXELS: u64 = 1_000_000;

/// A session as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenCrosscheck {
    pub session: CrosscheckSessionRecord,
    pub files: Vec<CrosscheckFileRecord>,
    /// Each file's fields, in the order of `files` (empty until extracted).
    pub fields: Vec<Vec<FieldValue>>,
    pub checks: Vec<CheckResult>,
}

/// Work in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct CrosscheckProgress {
    pub session_id: i64,
    /// Files finished, and in all.
    pub done: usize,
    pub total: usize,
    /// The file being read.
    pub current: String,
}

/// The worker now.
#[derive(Debug, Clone, Default)]
pub struct CrosscheckView {
    pub filter: CrosscheckFilter,
    /// Sessions matching the filter, newest first.
    pub sessions: Vec<CrosscheckSessionRecord>,
    pub open: Option<OpenCrosscheck>,
    pub progress: Option<CrosscheckProgress>,
    /// Why the OCR is disabled, once it was tried and refused.
    pub ocr_refused: Option<String>,
    /// Where the stored files are (the panel shows the evidence from them).
    pub data_dir: PathBuf,
    /// The pack folders under `<data dir>/demo-packs`, sorted.
    pub demo_packs: Vec<PathBuf>,
}

/// The faces' side.
#[derive(Clone)]
pub struct CrosscheckHandle {
    pub(super) handle: Handle<CrosscheckCommand, CrosscheckEvent>,
    pub(super) view: Arc<ArcSwap<CrosscheckView>>,
}

impl CrosscheckHandle {
    pub fn send(&self, command: CrosscheckCommand) -> Result<(), super::RuntimeError> {
        self.handle.send(command)
    }

    pub fn events(&self) -> &crossbeam_channel::Receiver<CrosscheckEvent> {
        self.handle.events()
    }

    pub fn view(&self) -> Arc<CrosscheckView> {
        self.view.load_full()
    }
}

pub(super) struct Crosschecker {
    store: StoreHandle,
    reader: StoreReader,
    data_dir: PathBuf,
    patterns: CompiledPatterns,
    limits: Limits,
    ocr: Option<OcrState>,
    /// Make the demo's document packs at start when they are missing.
    pub demo_packs: bool,
    pub view: Arc<ArcSwap<CrosscheckView>>,
    state: CrosscheckView,
}

impl Crosschecker {
    pub fn new(
        store: StoreHandle,
        reader: StoreReader,
        data_dir: PathBuf,
        patterns: CompiledPatterns,
        limits: Limits,
    ) -> Self {
        let state = CrosscheckView {
            filter: CrosscheckFilter {
                limit: 200,
                ..CrosscheckFilter::default()
            },
            data_dir: data_dir.clone(),
            ..CrosscheckView::default()
        };
        Self {
            store,
            reader,
            data_dir,
            patterns,
            limits,
            ocr: None,
            demo_packs: false,
            view: Arc::default(),
            state,
        }
    }

    pub fn run(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<CrosscheckCommand, CrosscheckEvent>,
    ) -> WorkerExit {
        if self.demo_packs {
            self.write_demo_packs(worker);
        }
        self.relist();
        self.publish();
        while !worker.is_stopped() {
            worker.beat();
            match port.next_command(Duration::from_millis(200)) {
                // Evidence changes nothing the view shows.
                Ok(Some(CrosscheckCommand::Evidence { path, name })) => {
                    let document = self.evidence(&path, &name).map(Arc::new);
                    port.emit(CrosscheckEvent::Evidence { path, document });
                }
                Ok(Some(command)) => {
                    if let Err(reason) = self.command(command, worker, port) {
                        port.emit(CrosscheckEvent::Failed(reason));
                    }
                    self.state.progress = None;
                    self.relist();
                    self.publish();
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
        WorkerExit::Finished
    }

    fn publish(&self) {
        self.view.store(Arc::new(self.state.clone()));
    }

    fn relist(&mut self) {
        match self.reader.crosscheck_sessions(&self.state.filter) {
            Ok(sessions) => self.state.sessions = sessions,
            Err(err) => tracing::warn!("reading the cross-check sessions: {err}"),
        }
        self.state.demo_packs = demo_packs(&self.data_dir);
    }

    fn command(
        &mut self,
        command: CrosscheckCommand,
        worker: &WorkerCtx,
        port: &Port<CrosscheckCommand, CrosscheckEvent>,
    ) -> Result<(), String> {
        match command {
            CrosscheckCommand::Create { actor, name, files } => {
                let stored = self.store_files(&files)?;
                let session =
                    self.store
                        .call("start a cross-check session", STORE_WAIT, move |store| {
                            store
                                .create_crosscheck_session(&actor.clone(), &name, &stored)
                                .map(|session| (session, actor))
                        })?;
                let (session, actor) = session;
                // Listed at once, not only when its check ends.
                self.relist();
                self.check(&actor, session.id, worker, port)
            }
            CrosscheckCommand::Rerun { actor, session_id } => {
                self.check(&actor, session_id, worker, port)
            }
            CrosscheckCommand::Delete { actor, session_id } => {
                let orphaned =
                    self.store
                        .call("delete a cross-check session", STORE_WAIT, move |store| {
                            store.delete_crosscheck_session(&actor, session_id)
                        })?;
                for path in orphaned {
                    let file = self.data_dir.join(&path);
                    if let Err(err) = std::fs::remove_file(&file) {
                        tracing::warn!("removing {}: {err}", file.display());
                    }
                }
                if self
                    .state
                    .open
                    .as_ref()
                    .is_some_and(|open| open.session.id == session_id)
                {
                    self.state.open = None;
                }
                port.emit(CrosscheckEvent::Deleted(session_id));
                Ok(())
            }
            CrosscheckCommand::Open(session_id) => self.open(session_id),
            CrosscheckCommand::List(filter) => {
                self.state.filter = filter;
                Ok(())
            }
            CrosscheckCommand::Export { session_id } => {
                let paths = self.export(session_id)?;
                port.emit(CrosscheckEvent::Exported { session_id, paths });
                Ok(())
            }
            CrosscheckCommand::Evidence { .. } => Ok(()),
        }
    }

    /// A stored file read again as the worker read it (so boxes fall where it found them),
    /// scanned pages at a lower resolution for the screen.
    fn evidence(&self, path: &Path, name: &str) -> Result<EvidenceDocument, String> {
        let limits = Limits {
            max_scan_pixels: EVIDENCE_SCAN_PIXELS,
            ..self.limits.clone()
        };
        let document = read_document(path, name, &limits).map_err(|err| err.to_string())?;
        let pages = document
            .scanned_pages
            .into_iter()
            .map(|scan| {
                let per_pt = scan.px_per_pt.max(1e-3);
                let (width_pt, height_pt) = (
                    scan.image.width() as f32 / per_pt,
                    scan.image.height() as f32 / per_pt,
                );
                let ocr_per_pt = scan_px_per_pt(width_pt, height_pt, self.limits.max_scan_pixels);
                let (image, shrunk_by) = for_screen(scan.image);
                (scan.page, image, ocr_per_pt / per_pt * shrunk_by)
            })
            .collect();
        let mut lines = document.lines;
        lines.extend(
            document
                .bom_rows
                .into_iter()
                .flat_map(|row| row.cells.into_iter().map(|(_, line)| line)),
        );
        Ok(EvidenceDocument {
            lines,
            photo: document.photo.map(for_screen),
            pages,
        })
    }

    /// The demo desk's document packs (`demo-packs/pack-00000N`, seeds 1–5), written once.
    fn write_demo_packs(&self, worker: &WorkerCtx) {
        let folder = self.data_dir.join(DEMO_PACKS);
        if folder.exists() {
            return;
        }
        for seed in 1..=DEMO_PACK_COUNT {
            worker.beat();
            let dir = folder.join(format!("pack-{seed:06}"));
            if let Err(err) = write_pack(&dir, seed, &PackOptions::default()) {
                tracing::warn!("writing the demo's document packs: {err}");
                return;
            }
        }
        tracing::info!(
            "wrote {DEMO_PACK_COUNT} demo document packs in {}",
            folder.display()
        );
    }

    /// Copies the dropped files (a folder: its accepted files) into the data folder by
    /// content hash.
    fn store_files(&self, given: &[PathBuf]) -> Result<Vec<NewCrosscheckFile>, String> {
        let files = session_files(given)?;
        if files.is_empty() {
            return Err("drop or pick at least one file (traveler PDF, BOM, photos)".into());
        }
        let folder = self.data_dir.join("crosscheck").join("files");
        std::fs::create_dir_all(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
        let mut stored = Vec::with_capacity(files.len());
        for path in &files {
            let bytes = std::fs::read(path).map_err(|err| {
                format!(
                    "{}: cannot read the file ({err}); nothing was started",
                    path.display()
                )
            })?;
            let sha256 = hex::encode(Sha256::digest(&bytes));
            let original_name = InputFile::at(path).name;
            let ext = Path::new(&original_name)
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy().to_lowercase()))
                .unwrap_or_default();
            let relative = format!("crosscheck/files/{sha256}{ext}");
            let target = self.data_dir.join(&relative);
            if !target.exists() {
                let partial = target.with_extension("partial");
                std::fs::write(&partial, &bytes)
                    .and_then(|()| std::fs::rename(&partial, &target))
                    .map_err(|err| format!("{}: {err}", target.display()))?;
            }
            stored.push(NewCrosscheckFile {
                original_name,
                sha256,
                size_bytes: bytes.len() as u64,
                stored_path: relative,
            });
        }
        Ok(stored)
    }

    /// Reads every file of a session and records the checks.
    fn check(
        &mut self,
        actor: &Actor,
        session_id: i64,
        worker: &WorkerCtx,
        port: &Port<CrosscheckCommand, CrosscheckEvent>,
    ) -> Result<(), String> {
        let files = self
            .reader
            .crosscheck_files(session_id)
            .map_err(|err| err.to_string())?;
        if files.is_empty() {
            return Err(format!("cross-check session {session_id} has no files"));
        }
        self.store
            .call("queue the cross-check files", STORE_WAIT, move |store| {
                store.queue_crosscheck_files(session_id)
            })?;
        // Read once; the loop below keeps the shown files in step with what it records. (A
        // session whose earlier run cannot be decoded is still run, which rewrites it.)
        if let Err(err) = self.open(session_id) {
            tracing::warn!("showing cross-check session {session_id}: {err}");
        }
        let mut ocr = self.ocr.take().unwrap_or_else(|| {
            worker.beat();
            OcrState::station()
        });
        if let OcrState::Refused(reason) = &ocr {
            self.state.ocr_refused = Some(reason.clone());
        }
        let mut outcomes = Vec::with_capacity(files.len());
        for (index, file) in files.iter().enumerate() {
            worker.beat();
            self.state.progress = Some(CrosscheckProgress {
                session_id,
                done: index,
                total: files.len(),
                current: file.original_name.clone(),
            });
            let id = file.id;
            self.store.call(
                "mark a cross-check file extracting",
                STORE_WAIT,
                move |store| {
                    store.set_crosscheck_file(id, FileStatus::Extracting, None, None, None)
                },
            )?;
            self.show_file(session_id, index, |shown, _| {
                shown.status = FileStatus::Extracting
            });
            self.publish();
            let input = InputFile {
                path: self.data_dir.join(&file.stored_path),
                name: file.original_name.clone(),
            };
            let outcome = extract_file(&input, &self.limits, &mut ocr, &self.patterns);
            let kind = outcome.kind.map(|kind| kind.as_str().to_owned());
            let reason = outcome.error.clone();
            let fields = serde_json::to_string(&outcome.fields).map_err(|err| err.to_string())?;
            let status = if outcome.error.is_none() {
                FileStatus::Done
            } else {
                FileStatus::Failed
            };
            self.show_file(session_id, index, |shown, shown_fields| {
                shown.status = status;
                shown.kind = kind.clone().or(shown.kind.take());
                shown.reason = reason.clone();
                shown.fields_json = Some(fields.clone());
                *shown_fields = outcome.fields.clone();
            });
            self.store
                .call("record a cross-check file", STORE_WAIT, move |store| {
                    store.set_crosscheck_file(
                        id,
                        status,
                        kind.as_deref(),
                        reason.as_deref(),
                        Some(&fields),
                    )
                })?;
            outcomes.push(outcome);
        }
        self.ocr = Some(ocr);
        let outcome = judge(outcomes, &self.patterns);
        let checks = serde_json::to_string(&outcome.checks).map_err(|err| err.to_string())?;
        let rules =
            serde_json::to_string(self.patterns.settings()).map_err(|err| err.to_string())?;
        let verdict = outcome.verdict;
        let actor = actor.clone();
        self.store
            .call("record a cross-check", STORE_WAIT, move |store| {
                store.record_crosscheck_result(
                    &actor,
                    session_id,
                    verdict.as_str(),
                    &checks,
                    &rules,
                )
            })?;
        self.open(session_id)?;
        port.emit(CrosscheckEvent::Checked {
            session_id,
            verdict,
        });
        Ok(())
    }

    /// Changes the shown `index`th file of session `session_id` (and its fields) as the store
    /// is told, so the panel follows a run without reading the session again per file.
    fn show_file(
        &mut self,
        session_id: i64,
        index: usize,
        change: impl FnOnce(&mut CrosscheckFileRecord, &mut Vec<FieldValue>),
    ) {
        if let Some(open) = &mut self.state.open
            && open.session.id == session_id
            && let (Some(file), Some(fields)) =
                (open.files.get_mut(index), open.fields.get_mut(index))
        {
            change(file, fields);
        }
    }

    fn open(&mut self, session_id: i64) -> Result<(), String> {
        self.state.open = Some(open_session(&self.reader, session_id)?);
        Ok(())
    }

    fn export(&self, session_id: i64) -> Result<Vec<PathBuf>, String> {
        let open = open_session(&self.reader, session_id)?;
        let verdict: Verdict = open
            .session
            .verdict
            .as_deref()
            .ok_or_else(|| format!("session {session_id} has not been checked yet"))?
            .parse()
            .map_err(|err: crate::domain::crosscheck::VerdictParseError| err.0)?;
        let folder = self.data_dir.join("exports");
        std::fs::create_dir_all(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
        let files: Vec<ReportFile> = open
            .files
            .iter()
            .zip(&open.fields)
            .map(|(file, fields)| ReportFile {
                name: file.original_name.clone(),
                kind: file.kind.clone().unwrap_or_else(|| "?".into()),
                summary: match &file.reason {
                    Some(reason) => format!("failed: {reason}"),
                    None => format!("{} fields, {}", fields.len(), file.status.as_str()),
                },
            })
            .collect();
        let created = format!(
            "Session {} created {} by {}; checked {}",
            open.session.id,
            open.session.created_at_utc,
            open.session.created_by,
            open.session.checked_at_utc.as_deref().unwrap_or("-")
        );
        let pdf = crosscheck_pdf(&open.session.name, &created, verdict, &open.checks, &files);
        let pdf_path = folder.join(format!("crosscheck-{session_id}.pdf"));
        std::fs::write(&pdf_path, pdf).map_err(|err| format!("{}: {err}", pdf_path.display()))?;
        let csv_path = folder.join(format!("crosscheck-{session_id}.csv"));
        std::fs::write(&csv_path, checks_csv(&open.checks))
            .map_err(|err| format!("{}: {err}", csv_path.display()))?;
        Ok(vec![pdf_path, csv_path])
    }
}

/// The files of a new session: each file as given, each folder's accepted files (by
/// extension, not its subfolders, sorted), each once; a missing path or a folder with nothing
/// to read is named.
pub fn session_files(given: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in given {
        let found = if path.is_dir() {
            let found = accepted_files(path)?;
            if found.is_empty() {
                return Err(format!(
                    "{}: no traveler, BOM or photo in this folder ({} files)",
                    path.display(),
                    ACCEPTED_EXTENSIONS.join(", ")
                ));
            }
            found
        } else if path.is_file() {
            vec![path.clone()]
        } else {
            return Err(format!(
                "{}: no such file or folder; check the path (copy it from the file manager)",
                path.display()
            ));
        };
        for file in found {
            if !files.contains(&file) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

/// The files of `folder` a session accepts (by extension), sorted by name.
fn accepted_files(folder: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(folder).map_err(|err| format!("{}: {err}", folder.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path.extension().is_some_and(|ext| {
                    let ext = ext.to_string_lossy().to_lowercase();
                    ACCEPTED_EXTENSIONS.contains(&ext.as_str())
                })
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The pack folders under `<data_dir>/demo-packs`, sorted.
fn demo_packs(data_dir: &Path) -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(data_dir.join(DEMO_PACKS))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| {
                    path.is_dir()
                        && path
                            .file_name()
                            .is_some_and(|name| name.to_string_lossy().starts_with("pack-"))
                })
                .collect()
        })
        .unwrap_or_default();
    packs.sort();
    packs
}

/// A stored session with its files, fields and checks decoded.
pub fn open_session(reader: &StoreReader, session_id: i64) -> Result<OpenCrosscheck, String> {
    let session = reader
        .crosscheck_session(session_id)
        .map_err(|err| err.to_string())?
        .ok_or_else(|| format!("no cross-check session {session_id}"))?;
    let files = reader
        .crosscheck_files(session_id)
        .map_err(|err| err.to_string())?;
    let fields = files
        .iter()
        .map(|file| match &file.fields_json {
            Some(json) => serde_json::from_str(json)
                .map_err(|err| format!("stored fields of {}: {err}", file.original_name)),
            None => Ok(Vec::new()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let checks = match &session.checks_json {
        Some(json) => serde_json::from_str(json)
            .map_err(|err| format!("stored checks of session {session_id}: {err}"))?,
        None => Vec::new(),
    };
    Ok(OpenCrosscheck {
        session,
        files,
        fields,
        checks,
    })
}

/// The checks as CSV: one row per value compared (a check with none gets one row).
pub fn checks_csv(checks: &[CheckResult]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header = [
        "check",
        "name",
        "priority",
        "status",
        "message",
        "field",
        "value",
        "raw",
        "confidence",
        "corrected",
        "file",
        "where",
    ];
    let write = || -> Result<Vec<u8>, csv::Error> {
        writer.write_record(header)?;
        for check in checks {
            let base = [
                check.number.to_string(),
                check.name.to_owned(),
                check.priority.as_str().to_owned(),
                check.status.as_str().to_owned(),
                check.message.clone(),
            ];
            if check.values.is_empty() {
                writer.write_record(
                    base.iter()
                        .cloned()
                        .chain(std::iter::repeat_n(String::new(), 7)),
                )?;
            }
            for value in &check.values {
                writer.write_record(base.iter().cloned().chain([
                    value.kind.as_str().to_owned(),
                    value.value.value.clone(),
                    value.value.raw.clone(),
                    format!("{:.3}", value.value.confidence),
                    (!value.value.corrections.is_empty()).to_string(),
                    value.provenance.file.clone(),
                    crate::report::source_words(value),
                ]))?;
            }
        }
        writer
            .into_inner()
            .map_err(|err| csv::Error::from(err.into_error()))
    };
    String::from_utf8(write().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_images_are_sized_for_the_screen_on_the_worker() {
        let (small, scale) = for_screen(RgbImage::new(800, 600));
        assert_eq!((small.dimensions(), scale), ((800, 600), 1.0));
        let (shrunk, scale) = for_screen(RgbImage::new(4096, 3072));
        assert_eq!(shrunk.dimensions(), (2048, 1536));
        // A box drawn at photo pixel 4096 lands at the shrunk image's edge.
        assert!((scale - 2.0).abs() < 1e-6);
    }

    #[test]
    fn a_folder_gives_its_accepted_files_once_and_a_missing_path_is_named() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.csv", "a.PNG", "answer.json", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let files = session_files(&[dir.path().to_path_buf(), dir.path().join("b.csv")]).unwrap();
        assert_eq!(
            files,
            vec![dir.path().join("a.PNG"), dir.path().join("b.csv")]
        );
        let missing = dir.path().join("nope.pdf");
        let error = session_files(&[missing]).unwrap_err();
        assert!(
            error.contains("nope.pdf") && error.contains("no such file"),
            "{error}"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(
            session_files(&[empty.path().to_path_buf()])
                .unwrap_err()
                .contains("no traveler")
        );
    }

    #[test]
    fn the_csv_has_a_row_per_value_compared_and_one_for_a_check_without() {
        use crate::domain::crosscheck::{
            EvidenceKind, FieldKind, Location, Provenance, run_checks,
        };
        let patterns = CompiledPatterns::default();
        let job = |raw: &str, source: EvidenceKind, file: &str| FieldValue {
            kind: FieldKind::JobNumber,
            value: crate::domain::crosscheck::normalise(FieldKind::JobNumber, raw, true, &patterns)
                .unwrap(),
            source,
            provenance: Provenance {
                file: file.to_owned(),
                at: Location::Cell {
                    sheet: "Sheet1".to_owned(),
                    row: 2,
                    col: 28,
                },
            },
            part_of: None,
        };
        let fields = [
            job("12345", EvidenceKind::Traveler, "t.xlsx"),
            job("12346", EvidenceKind::Bom, "bom.xlsx"),
        ];
        let checks = run_checks(&fields, &EvidenceKind::ALL, &patterns);
        let csv = checks_csv(&checks);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(
            rows[0],
            "check,name,priority,status,message,field,value,raw,confidence,corrected,file,where"
        );
        let check1: Vec<&str> = rows
            .iter()
            .copied()
            .filter(|r| r.starts_with("1,"))
            .collect();
        assert_eq!(check1.len(), 2, "{csv}");
        assert!(
            check1[1].ends_with(",job_number,12346,12346,1.000,false,bom.xlsx,bom.xlsx Sheet1!AB2"),
            "{}",
            check1[1]
        );
        // A check that compared no value still has its row, with the value columns empty.
        let skipped = checks.iter().find(|c| c.values.is_empty()).unwrap();
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("{},", skipped.number)))
            .unwrap();
        assert!(row.ends_with(",,,,,,,"), "{row}");
        assert_eq!(
            rows.len(),
            1 + checks.iter().map(|c| c.values.len().max(1)).sum::<usize>()
        );
    }

    #[test]
    fn demo_packs_are_the_pack_folders_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let packs = dir.path().join(DEMO_PACKS);
        for name in ["pack-00002", "pack-00001", "other"] {
            std::fs::create_dir_all(packs.join(name)).unwrap();
        }
        assert_eq!(
            demo_packs(dir.path()),
            vec![packs.join("pack-00001"), packs.join("pack-00002")]
        );
        assert!(demo_packs(&dir.path().join("missing")).is_empty());
    }
}
