//! One camera's inspection of one part, on a vision worker: the frame in grey, the recipe's
//! detector (loaded once per worker thread, the network after its golden self-test; the
//! classical detector takes over, said in the result, if the network cannot load), pores,
//! zones and rules, the overlay, and the images the recipe's saving policy keeps (unless the
//! disk guard has paused images: the inspection is recorded without them). The outcome goes to
//! the inspection worker, which groups the cameras of a part.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;
use crossbeam_channel::Sender;
use image::{GrayImage, RgbaImage};

use crate::domain::Verdict;
use crate::runtime::{DiskGuard, FrameJob, JobKind, VisionHandler};
use crate::vision::detect::{Detector, DetectorKind};
use crate::vision::inspect::{Inspection, inspect};
use crate::vision::overlay::overlay;
use crate::vision::recipe::{DEFAULT_MM_PER_PX, Recipe, SavingPolicy};

/// What one camera made of one part.
#[derive(Debug, Clone)]
pub struct CameraInspection {
    pub inspection: Inspection,
    /// The image with the inspection drawn on it, for the screen: at most
    /// `DISPLAY_WIDTH_PX` wide (a kept overlay image is full size).
    pub overlay: Arc<RgbaImage>,
    /// Where the images were kept, relative to the image folder.
    pub raw_image: Option<String>,
    pub overlay_image: Option<String>,
    /// Why an image the policy asked for was not kept, or why the fallback detector ran.
    pub notes: Vec<String>,
    pub inspect_ms: f64,
}

/// A finished job, for the inspection worker.
#[derive(Debug, Clone)]
pub struct CameraOutcome {
    pub part_seq: u64,
    pub camera_index: usize,
    pub camera: String,
    pub fired_at: Instant,
    pub finished_at: Instant,
    pub recipe: Arc<Recipe>,
    pub result: Result<Arc<CameraInspection>, String>,
}

/// The vision handler of porosity inspection.
pub struct PorosityJob {
    pub recipe: Arc<ArcSwap<Recipe>>,
    /// Each camera's calibration, by index (`None`: not calibrated).
    pub scales: Arc<ArcSwap<Vec<Option<f32>>>>,
    /// Camera names by index; an index past the cameras is the folder replay.
    pub camera_names: Vec<String>,
    pub images_dir: PathBuf,
    /// Whether images may be saved now (free space on the data disk).
    pub disk: DiskGuard,
    pub outcomes: Sender<CameraOutcome>,
}

/// Where a run keeps the images its recipe's saving policy asks for.
#[derive(Clone, Copy)]
pub struct ImageTarget<'a> {
    pub dir: &'a Path,
    /// File names start with this (`part-0000042-cam-A-101502123`).
    pub stem: &'a str,
    pub disk: &'a DiskGuard,
}

/// Name of the camera an index past the station's cameras stands for.
pub const REPLAY_CAMERA: &str = "replay";

thread_local! {
    /// This worker's detector: loaded on its first job, again only when the recipe changes
    /// the kind.
    static DETECTOR: RefCell<Option<(DetectorKind, Detector, Option<String>)>> =
        const { RefCell::new(None) };
}

/// Runs `f` with this thread's detector for `kind`, loading it if needed. The third value is a
/// note when a fallback runs instead.
fn with_detector<T>(kind: DetectorKind, f: impl FnOnce(&mut Detector, Option<&str>) -> T) -> T {
    DETECTOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let loaded = match slot.take() {
            Some(loaded) if loaded.0 == kind => loaded,
            _ => {
                let (detector, note) = match Detector::load(kind) {
                    Ok(detector) => (detector, None),
                    Err(err) => {
                        let note = format!(
                            "the {} detector could not load ({err}); the classical detector ran instead",
                            kind.as_str()
                        );
                        tracing::error!("{note}");
                        (Detector::Classical, Some(note))
                    }
                };
                (kind, detector, note)
            }
        };
        let (_, detector, note) = slot.insert(loaded);
        f(detector, note.as_deref())
    })
}

/// Widest overlay sent to the screen: a tile or the History view never shows more, and a
/// full 1280x720 RGBA upload per camera per part cost the UI frames (`bench inspect`).
pub const DISPLAY_WIDTH_PX: u32 = 960;

/// `drawn`, shrunk to `DISPLAY_WIDTH_PX` wide when it is wider.
fn for_display(drawn: RgbaImage) -> RgbaImage {
    if drawn.width() <= DISPLAY_WIDTH_PX {
        return drawn;
    }
    let height = (u64::from(drawn.height()) * u64::from(DISPLAY_WIDTH_PX)
        / u64::from(drawn.width().max(1))) as u32;
    image::imageops::resize(
        &drawn,
        DISPLAY_WIDTH_PX,
        height.max(1),
        image::imageops::FilterType::Triangle,
    )
}

/// A camera's calibration, else the recipe's scale, else the default.
pub fn scale(calibration: Option<f32>, recipe: &Recipe) -> f32 {
    calibration
        .or(recipe.mm_per_px)
        .unwrap_or(DEFAULT_MM_PER_PX)
}

fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Writes `save` as PNG under `dir/<date>/`, returning the path relative to `dir`.
fn keep(
    dir: &Path,
    stem: &str,
    save: impl FnOnce(&Path) -> image::ImageResult<()>,
) -> Result<String, String> {
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let folder = dir.join(&day);
    std::fs::create_dir_all(&folder)
        .map_err(|err| format!("image folder {}: {err}", folder.display()))?;
    let name = format!("{stem}.png");
    let path = folder.join(&name);
    save(&path).map_err(|err| format!("{}: {err}", path.display()))?;
    Ok(format!("{day}/{name}"))
}

impl PorosityJob {
    fn camera_name(&self, index: usize) -> &str {
        self.camera_names
            .get(index)
            .map_or(REPLAY_CAMERA, String::as_str)
    }

    /// The scale of camera `index`'s images: its calibration, else the recipe's, else 0.03.
    pub fn scale_of(&self, index: usize, recipe: &Recipe) -> f32 {
        scale(self.scales.load().get(index).copied().flatten(), recipe)
    }

    /// Inspects `grey`, taken at `mm_per_px`, as `camera` with `recipe`; no channel, no queue
    /// (replays of stored images and the editor's "try" call it directly).
    pub fn run(
        recipe: &Recipe,
        camera: Option<&str>,
        grey: &GrayImage,
        mm_per_px: f32,
        images: Option<ImageTarget<'_>>,
    ) -> Result<CameraInspection, String> {
        let started = Instant::now();
        let zones = recipe.zones_for(camera, grey.width(), grey.height());
        let (inspection, mut notes) = with_detector(recipe.detector, |detector, note| {
            inspect(grey, zones, mm_per_px, recipe.threshold, detector)
                .map(|inspection| {
                    (
                        inspection,
                        note.map(str::to_owned).into_iter().collect::<Vec<_>>(),
                    )
                })
                .map_err(|err| err.to_string())
        })?;
        let inspect_ms = started.elapsed().as_secs_f64() * 1e3;
        let drawn = overlay(grey, &inspection);
        let (mut raw_image, mut overlay_image) = (None, None);
        let wanted = match recipe.saving.policy {
            SavingPolicy::None => false,
            SavingPolicy::NgOnly => inspection.verdict != Verdict::Accept,
            SavingPolicy::All => true,
        };
        let wanted = wanted && (recipe.saving.raw || recipe.saving.overlay);
        if let (true, Some(ImageTarget { dir, stem, disk })) = (wanted, images) {
            if !disk.may_save_images() {
                // The record is kept all the same; only its images are skipped.
                notes.push(format!("images not kept ({})", disk.paused_reason()));
            } else {
                if recipe.saving.raw {
                    match keep(dir, &format!("{stem}-raw"), |path| grey.save(path)) {
                        Ok(path) => raw_image = Some(path),
                        Err(err) => notes.push(format!("raw image not kept: {err}")),
                    }
                }
                if recipe.saving.overlay {
                    match keep(dir, &format!("{stem}-overlay"), |path| drawn.save(path)) {
                        Ok(path) => overlay_image = Some(path),
                        Err(err) => notes.push(format!("overlay image not kept: {err}")),
                    }
                }
            }
        }
        Ok(CameraInspection {
            inspection,
            overlay: Arc::new(for_display(drawn)),
            raw_image,
            overlay_image,
            notes,
            inspect_ms,
        })
    }
}

impl VisionHandler for PorosityJob {
    /// Loads this worker's detector (the network runs its golden self-test here), so a model
    /// that fails is reported when the station starts, not at the first part.
    fn prepare(&self) {
        let kind = self.recipe.load().detector;
        with_detector(kind, |_, note| {
            if let Some(note) = note {
                tracing::error!("vision worker: {note}");
            }
        });
    }

    fn handle(&self, job: &FrameJob) {
        let JobKind::Trigger {
            part_seq, fired_at, ..
        } = job.kind
        else {
            // Continuous frames are not inspected: a part is inspected when it is triggered.
            return;
        };
        let recipe = self.recipe.load_full();
        let camera = self.camera_name(job.camera_index).to_owned();
        let grey = image::imageops::grayscale(&*job.frame.image);
        let stem = format!(
            "part-{part_seq:07}-{}-{}",
            file_safe(&camera),
            job.frame.captured_utc.format("%H%M%S%3f")
        );
        let result = Self::run(
            &recipe,
            (job.camera_index < self.camera_names.len()).then_some(camera.as_str()),
            &grey,
            self.scale_of(job.camera_index, &recipe),
            Some(ImageTarget {
                dir: &self.images_dir,
                stem: &stem,
                disk: &self.disk,
            }),
        )
        .map(Arc::new);
        let outcome = CameraOutcome {
            part_seq,
            camera_index: job.camera_index,
            camera,
            fired_at,
            finished_at: Instant::now(),
            recipe,
            result,
        };
        if self
            .outcomes
            .send_timeout(outcome, std::time::Duration::from_secs(2))
            .is_err()
        {
            tracing::error!(
                "an inspection's outcome was not taken: the inspection worker is stuck"
            );
        }
    }
}
