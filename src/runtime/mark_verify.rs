//! Engrave → scan → verify: after an item's job, the bench camera's image of the fresh mark is
//! decoded (a few attempts, each on a new image and time-boxed on the isolated decoder), the
//! payload compared with the item's UID and the mark graded; the image is saved beside the
//! station's other images (unless the disk guard has paused images) and the result becomes a `NewVerification` for the store (which
//! moves the item to `verified` or `engrave_failed`). Runs on the engraver's thread between
//! jobs: the next part cannot be marked before this one is judged.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::GrayImage;

use super::CameraHandle;
use super::disk_guard::DiskGuard;
use crate::camera::synthetic::bench::{BenchView, render};
use crate::domain::Uid;
use crate::engrave::sim::BurnLog;
use crate::scan::grade::{MarkGrade, letter};
use crate::scan::isolate::{IsolatedDecoder, Outcome};
use crate::scan::{Code, ScanOptions};
use crate::store::NewVerification;

/// Attempts before a mark is declared unreadable.
pub const ATTEMPTS: u32 = 3;
/// What one attempt may spend decoding: the CLI's default in an optimised build; ten times that
/// in an unoptimised one (the test builds), where the same ladder runs about ten times slower.
const ATTEMPT_BUDGET: Duration = if cfg!(debug_assertions) {
    Duration::from_millis(4000)
} else {
    Duration::from_millis(400)
};
/// How long an attempt waits for a camera frame newer than the job's end.
const FRAME_WAIT: Duration = Duration::from_secs(2);

/// The camera over the laser's fixture.
#[derive(Clone)]
pub enum BenchCamera {
    /// The demo: the simulated laser's burns, seen through `camera::synthetic::bench`.
    Simulated(BurnLog),
    /// One of the station's cameras.
    Camera(CameraHandle),
}

/// Where the mark is and how wide the spot burned it.
#[derive(Debug, Clone, Copy)]
pub struct MarkPlace {
    pub bbox_mm: [f64; 4],
    pub spot_mm: f64,
}

pub struct MarkVerifier {
    bench: BenchCamera,
    images_dir: PathBuf,
    disk: DiskGuard,
    decoder: IsolatedDecoder,
}

impl MarkVerifier {
    pub fn new(bench: BenchCamera, images_dir: PathBuf, disk: DiskGuard) -> Self {
        Self {
            bench,
            images_dir,
            disk,
            decoder: IsolatedDecoder::for_budget(ATTEMPT_BUDGET),
        }
    }

    /// The station's image folder the mark images are saved under.
    pub fn images_dir(&self) -> &Path {
        &self.images_dir
    }

    /// A fresh part goes into the fixture before a job (the simulated part starts blank).
    pub fn new_part(&self) {
        if let BenchCamera::Simulated(log) = &self.bench {
            log.new_part();
        }
    }

    /// Grabs, decodes and grades the mark of `uid` made by job `job_id`. An error when the
    /// camera gave no image at all: nothing was looked at, so nothing is to be recorded against
    /// the item. `keep_going` is asked before each attempt and while waiting for a frame (the
    /// engraver beats its heartbeat there and stops when the station stops).
    pub fn check(
        &mut self,
        uid: &Uid,
        job_id: i64,
        place: MarkPlace,
        keep_going: &dyn Fn() -> bool,
    ) -> Result<NewVerification, String> {
        let mut seen_seq = 0;
        let started = Instant::now();
        let bench = self.bench.clone();
        let reading = read_mark(uid, &mut self.decoder, ATTEMPTS, |attempt| {
            if !keep_going() {
                return Err("the station is stopping".into());
            }
            grab(&bench, place, attempt, &mut seen_seq, started, keep_going)
        });
        if reading.image.is_none() {
            return Err(reading.problems.join("; "));
        }
        let name = format!("{uid}-job{job_id}");
        Ok(verification(
            uid,
            Some(job_id),
            reading,
            &self.images_dir,
            &self.disk,
            &name,
        ))
    }
}

/// What the attempts on one mark found.
pub struct MarkReading {
    /// The item's own code if it was read, else any other code read.
    pub code: Option<Code>,
    /// The image the code was read in; without a code, the last image looked at.
    pub image: Option<GrayImage>,
    pub attempts: u32,
    pub problems: Vec<String>,
}

/// Up to `attempts` images from `grab`, each decoded and graded on `decoder`, until one gives
/// `uid`.
pub fn read_mark(
    uid: &Uid,
    decoder: &mut IsolatedDecoder,
    attempts: u32,
    mut grab: impl FnMut(u32) -> Result<GrayImage, String>,
) -> MarkReading {
    let expected = uid.to_string();
    let options = ScanOptions {
        budget: ATTEMPT_BUDGET,
        grade: true,
    };
    let mut reading = MarkReading {
        code: None,
        image: None,
        attempts: 0,
        problems: Vec::new(),
    };
    while reading.attempts < attempts {
        reading.attempts += 1;
        let grey = match grab(reading.attempts) {
            Ok(grey) => grey,
            Err(problem) => {
                reading.problems.push(problem);
                continue;
            }
        };
        let outcome = decoder.decode(grey.clone(), options);
        if reading.code.is_none() {
            reading.image = Some(grey.clone());
        }
        match outcome {
            Ok(Outcome::Codes(codes)) => {
                if let Some(index) = codes.iter().position(|code| code.text == expected) {
                    reading.code = codes.into_iter().nth(index);
                    reading.image = Some(grey);
                    break;
                }
                if reading.code.is_none()
                    && let Some(code) = codes.into_iter().next()
                {
                    reading.code = Some(code);
                    reading.image = Some(grey);
                }
            }
            Ok(Outcome::Panicked(message)) => {
                reading
                    .problems
                    .push(format!("the decoder crashed ({message})"));
            }
            Ok(Outcome::TimedOut) => reading.problems.push("the decoder ran out of time".into()),
            Err(err) => reading.problems.push(format!("no decoder thread: {err}")),
        }
    }
    reading
}

/// The record of a reading: the image saved as `marks/<name>.png` under `images_dir`, unless
/// `disk` has paused images (the record then says so in its reason).
pub fn verification(
    uid: &Uid,
    job_id: Option<i64>,
    mut reading: MarkReading,
    images_dir: &Path,
    disk: &DiskGuard,
    name: &str,
) -> NewVerification {
    let image_path = match &reading.image {
        Some(_) if !disk.may_save_images() => {
            reading.problems.push(format!(
                "the image was not saved ({})",
                disk.paused_reason()
            ));
            None
        }
        Some(grey) => save(images_dir, grey, name, &mut reading.problems),
        None => None,
    };
    let grade = reading
        .code
        .as_ref()
        .and_then(|code| code.grade.clone())
        .and_then(|grade| {
            grade
                .map_err(|err| reading.problems.push(err.to_string()))
                .ok()
        });
    let payload_read = reading.code.as_ref().map(|code| code.text.clone());
    let summary = summary(
        payload_read.as_deref(),
        &uid.to_string(),
        reading.attempts,
        grade.as_ref(),
    );
    NewVerification {
        uid: uid.clone(),
        job_id,
        payload_read,
        attempts: reading.attempts,
        overall_grade: grade.as_ref().map(|grade| grade.overall),
        // The grade whole, as `MarkGrade` serialises (the Engrave panel reads it back).
        grade_json: grade
            .as_ref()
            .and_then(|grade| serde_json::to_string(grade).ok()),
        module_px: reading
            .code
            .as_ref()
            .map(|code| grade.as_ref().map_or(code.module_px, |g| g.module_px)),
        image_path,
        reason: (!reading.problems.is_empty()).then(|| reading.problems.join("; ")),
        summary,
    }
}

/// One image of the mark.
fn grab(
    bench: &BenchCamera,
    place: MarkPlace,
    attempt: u32,
    seen_seq: &mut u64,
    after: Instant,
    keep_going: &dyn Fn() -> bool,
) -> Result<GrayImage, String> {
    match bench {
        BenchCamera::Simulated(log) => {
            let (_, burns) = log.snapshot();
            if burns.is_empty() {
                return Err("the bench camera sees no mark on the part".into());
            }
            Ok(render(
                &burns,
                &BenchView::around(place.bbox_mm),
                place.spot_mm,
                u64::from(attempt),
            ))
        }
        BenchCamera::Camera(camera) => {
            let deadline = Instant::now() + FRAME_WAIT;
            loop {
                if let Some(frame) = camera.slot.take_newer(*seen_seq) {
                    *seen_seq = frame.seq;
                    if frame.captured_at >= after {
                        return Ok(image::imageops::grayscale(&*frame.image));
                    }
                }
                if !keep_going() {
                    return Err("the station is stopping".into());
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "bench camera {:?} gave no frame within {} s",
                        camera.name,
                        FRAME_WAIT.as_secs()
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Saves the image as `marks/<name>.png` under the image folder; the relative path.
fn save(
    images_dir: &Path,
    grey: &GrayImage,
    name: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    let relative = Path::new("marks").join(format!("{name}.png"));
    let path = images_dir.join(&relative);
    let saved = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| grey.save(&path).map_err(std::io::Error::other));
    match saved {
        Ok(()) => Some(relative.to_string_lossy().into_owned()),
        Err(err) => {
            problems.push(format!(
                "the image was not saved to {}: {err}",
                path.display()
            ));
            None
        }
    }
}

/// `decoded, 1 attempt, grade B` / `read "X", not the UID, 3 attempts` / `not decoded, 3 attempts`.
fn summary(read: Option<&str>, expected: &str, attempts: u32, grade: Option<&MarkGrade>) -> String {
    let tries = format!("{attempts} attempt{}", if attempts == 1 { "" } else { "s" });
    match read {
        Some(text) if text == expected => match grade {
            Some(grade) => format!("decoded, {tries}, process grade {}", letter(grade.overall)),
            None => format!("decoded, {tries}, not graded"),
        },
        Some(text) => format!("read {text:?}, not the UID, {tries}"),
        None => format!("not decoded, {tries}"),
    }
}
