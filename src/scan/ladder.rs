//! The retry ladder: attempts ordered by cost, stopping at the first rung that reads a code.
//! Most frames read on the first rung (local threshold, full size); the later rungs cover what
//! measurement showed it misses: light-on-dark marks (inverted), codes on a large flat margin
//! (global threshold), tiny modules (upscaled), noisy large modules (downscaled), and rqrr's own
//! region-growing detector, which finds codes whose finder patterns are damaged along one axis.
//! A deadline is checked between attempts, so a frame never holds the scan worker much past it.

use std::cell::OnceCell;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use image::GrayImage;
use image::imageops::FilterType;

use super::binarize::{self, Binarized, MIN_BLOCK_RANGE};
use super::finder;
use super::grade::{self, GradeError, MarkGrade};
use super::locate::{self, Placement};
use super::payload;
use super::warp;

/// The faint rung's flat-block range: a few noise levels.
const FAINT_BLOCK_RANGE: u8 = 1;
/// How many triples that read nothing one rung tries before it gives up (the best-shaped come
/// first; a triple that reads a code does not count, so a frame of many codes reads them all).
/// Measured: 48 gave the same rates as 8–16 and cost the later rungs their time.
const MAX_FAILED_TRIPLES: usize = 10;

/// One decoded code.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub text: String,
    /// Outer corners in image pixels: top-left, top-right, bottom-right, bottom-left (as the code
    /// reads, so a code upside down has its top-left at the bottom right of the image).
    pub corners: [(f32, f32); 4],
    /// Light modules on a dark ground (a laser mark on dark metal, or printed inverted).
    pub inverted: bool,
    /// QR version, 1–40.
    pub version: u8,
    /// Module size along the code's sides, in image pixels.
    pub module_px: f32,
    /// Which rung read it (for the benchmark's breakdown).
    pub rung: &'static str,
    /// The mark's grade, when `ScanOptions::grade` asked for it.
    pub grade: Option<Result<MarkGrade, GradeError>>,
}

/// What a decode may spend.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// Attempts stop once this much time has passed (the current attempt finishes).
    pub budget: Duration,
    /// Grade every code read (`scan::grade`; tens of milliseconds a code, after the budget).
    pub grade: bool,
}

impl ScanOptions {
    /// For a live camera at 30 fps: a frame not read within 30 ms gives way to the next one
    /// (the code is still in view), so the scan worker never queues frames.
    pub fn live() -> Self {
        Self {
            budget: Duration::from_millis(30),
            grade: false,
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            budget: Duration::from_millis(400),
            grade: false,
        }
    }
}

/// The image with dark and light swapped.
fn inverted(grey: &GrayImage) -> GrayImage {
    let mut inverse = grey.clone();
    image::imageops::invert(&mut inverse);
    inverse
}

/// Every code the ladder reads in the image (empty when none), graded when the options ask.
pub fn decode(grey: &GrayImage, options: &ScanOptions) -> Vec<Code> {
    let mut codes = read_codes(grey, options);
    if options.grade {
        for code in &mut codes {
            code.grade = Some(grade::grade(grey, code));
        }
    }
    codes
}

fn read_codes(grey: &GrayImage, options: &ScanOptions) -> Vec<Code> {
    let deadline = Instant::now() + options.budget;
    // The full-size image's inverse, made once when a rung first needs it.
    let inverse = OnceCell::new();
    let (width, height) = grey.dimensions();
    let mut rungs: Vec<Rung> = vec![Rung::Local, Rung::Global, Rung::Faint, Rung::Rqrr];
    if width.min(height) >= 480 {
        rungs.push(Rung::Half);
    }
    if width.max(height) <= 1000 {
        rungs.push(Rung::Double);
    }
    for rung in rungs {
        if Instant::now() >= deadline {
            break;
        }
        let codes = rung.run(grey, &inverse, deadline);
        if !codes.is_empty() {
            return codes;
        }
    }
    Vec::new()
}

/// One attempt of the ladder.
#[derive(Debug, Clone, Copy)]
enum Rung {
    /// Local threshold at full size, normal then inverted.
    Local,
    /// Otsu's global threshold, normal then inverted.
    Global,
    /// Smoothed, then a local threshold that trusts small grey ranges (faint marks).
    Faint,
    /// rqrr's own detector on the grey image and its inverse.
    Rqrr,
    /// Local threshold at half size (large, noisy modules).
    Half,
    /// Local threshold at double size (modules of 1–3 px).
    Double,
}

impl Rung {
    fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Global => "global",
            Self::Faint => "faint",
            Self::Rqrr => "rqrr",
            Self::Half => "half",
            Self::Double => "double",
        }
    }

    /// Runs the rung on `grey`; `inverse` holds the full-size inverse once it is made.
    fn run(self, grey: &GrayImage, inverse: &OnceCell<GrayImage>, deadline: Instant) -> Vec<Code> {
        let resized = |width: u32, height: u32| {
            image::imageops::resize(grey, width, height, FilterType::Triangle)
        };
        match self {
            Self::Local => both_polarities(grey, inverse, Threshold::Local, 1.0, self, deadline),
            Self::Global => both_polarities(grey, inverse, Threshold::Global, 1.0, self, deadline),
            Self::Faint => {
                let smooth = imageproc::filter::box_filter(grey, 1, 1);
                let own = OnceCell::new();
                both_polarities(&smooth, &own, Threshold::Faint, 1.0, self, deadline)
            }
            Self::Rqrr => rqrr_detect(grey, inverse, 1.0, self),
            Self::Half => {
                let small = resized(grey.width() / 2, grey.height() / 2);
                let own = OnceCell::new();
                both_polarities(&small, &own, Threshold::Local, 2.0, self, deadline)
            }
            Self::Double => {
                let large = resized(grey.width() * 2, grey.height() * 2);
                let own = OnceCell::new();
                let codes = both_polarities(&large, &own, Threshold::Local, 0.5, self, deadline);
                if !codes.is_empty() || Instant::now() >= deadline {
                    return codes;
                }
                // rqrr's region growing needs a few pixels per module too.
                rqrr_detect(&large, &own, 0.5, self)
            }
        }
    }
}

/// Which binariser a rung uses.
#[derive(Debug, Clone, Copy)]
enum Threshold {
    Local,
    Global,
    /// Local, trusting small grey ranges.
    Faint,
}

impl Threshold {
    fn apply(self, grey: &GrayImage) -> Binarized {
        match self {
            Self::Local => binarize::local(grey, MIN_BLOCK_RANGE),
            Self::Global => binarize::global(grey),
            Self::Faint => binarize::local(grey, FAINT_BLOCK_RANGE),
        }
    }
}

/// Reads dark-on-light codes, then, when none was found, light-on-dark ones from the inverted
/// grey image (binarised afresh: a flat dark ground must come out light, as a flat light one
/// does), made only then. `scale` takes the (resized) grey image's pixels back to the original's.
fn both_polarities(
    grey: &GrayImage,
    inverse: &OnceCell<GrayImage>,
    threshold: Threshold,
    scale: f32,
    rung: Rung,
    deadline: Instant,
) -> Vec<Code> {
    let codes = read_matrix(grey, &threshold.apply(grey), scale, false, rung, deadline);
    if !codes.is_empty() || Instant::now() >= deadline {
        return codes;
    }
    let inverse = inverse.get_or_init(|| inverted(grey));
    read_matrix(
        inverse,
        &threshold.apply(inverse),
        scale,
        true,
        rung,
        deadline,
    )
}

/// Finder patterns → triples → placements → rqrr's decoding, skipping triples that reuse a
/// pattern of a code already read.
fn read_matrix(
    grey: &GrayImage,
    binarized: &Binarized,
    scale: f32,
    inverted: bool,
    rung: Rung,
    deadline: Instant,
) -> Vec<Code> {
    let bits = &binarized.bits;
    let t0 = Instant::now();
    // Every row on small images; every other row from 720 lines up, where a finder pattern's
    // centre band still spans many rows and the scan is the frame's largest cost.
    let row_step = if bits.height() >= 720 { 2 } else { 1 };
    let patterns = finder::find(bits, row_step);
    tracing::trace!(
        rung = rung.name(),
        inverted,
        patterns = patterns.len(),
        find_ms = t0.elapsed().as_secs_f64() * 1000.0,
        "finder patterns"
    );
    let mut used = vec![false; patterns.len()];
    let mut codes: Vec<Code> = Vec::new();
    let mut failed = 0;
    for triple in locate::triples(&patterns) {
        if Instant::now() >= deadline || failed >= MAX_FAILED_TRIPLES {
            break;
        }
        if triple.indices.iter().any(|&index| used[index]) {
            continue;
        }
        let read = locate::placements(bits, &patterns, &triple)
            .iter()
            .find_map(|placement| {
                read_placement(grey, binarized, placement, scale, inverted, rung)
            });
        match read {
            Some(code) => {
                for index in triple.indices {
                    used[index] = true;
                }
                push_new(&mut codes, code);
            }
            None => failed += 1,
        }
    }
    codes
}

/// Adds a code unless one with the same text is already there.
fn push_new(codes: &mut Vec<Code>, code: Code) {
    if !codes.iter().any(|known| known.text == code.text) {
        codes.push(code);
    }
}

/// Samples one placement and decodes it.
fn read_placement(
    grey: &GrayImage,
    binarized: &Binarized,
    placement: &Placement,
    scale: f32,
    inverted: bool,
    rung: Rung,
) -> Option<Code> {
    let grid = locate::sample(grey, binarized, placement)?;
    if !timing_patterns_hold(&grid) {
        return None;
    }
    let (version, bytes) = decode_grid(rqrr::Grid::new(grid)).or_else(|| {
        // A large code on a bent or tilted part: sample it cell by cell between all its
        // alignment patterns.
        let warp = warp::refine(&binarized.bits, placement)?;
        let grid = locate::sample_with(grey, binarized, placement.side, |x, y| warp.apply(x, y))?;
        decode_grid(rqrr::Grid::new(grid))
    })?;
    Some(Code {
        text: payload::text(&bytes)?,
        corners: placement.corners().map(|(x, y)| (x * scale, y * scale)),
        inverted,
        version,
        module_px: placement.module_px * scale,
        rung: rung.name(),
        grade: None,
    })
}

/// Whether the two timing patterns (row and column 6, alternating between the finder
/// patterns) mostly read as they must: a cheap test that throws out triples of texture and
/// wrong sizes before the error correction is tried. Up to a third of the modules may be wrong
/// (glare, wear) and a code still passes.
fn timing_patterns_hold(grid: &rqrr::SimpleGrid) -> bool {
    use rqrr::BitGrid as _;
    let side = grid.size();
    if side < 21 {
        return false;
    }
    let (mut agree, mut total) = (0usize, 0usize);
    for i in 8..side - 8 {
        let want = i % 2 == 0;
        agree += usize::from(grid.bit(6, i) == want) + usize::from(grid.bit(i, 6) == want);
        total += 2;
    }
    3 * agree >= 2 * total
}

/// rqrr's error correction and bitstream decoding, inside a panic boundary.
fn decode_grid<G: rqrr::BitGrid>(grid: rqrr::Grid<G>) -> Option<(u8, Vec<u8>)> {
    catch_unwind(AssertUnwindSafe(|| {
        let mut bytes = Vec::new();
        let meta = grid.decode_to(&mut bytes).ok()?;
        bytes.flush().ok()?;
        Some((meta.version.0 as u8, bytes))
    }))
    .ok()
    .flatten()
}

/// rqrr's own detector (capstones by region growing), on the image and its inverse; `scale`
/// takes the image's pixels back to the original's. rqrr 0.11 panics inside `detect_grids` on
/// some images: the panic is caught and the rung reads nothing.
fn rqrr_detect(
    grey: &GrayImage,
    inverse: &OnceCell<GrayImage>,
    scale: f32,
    rung: Rung,
) -> Vec<Code> {
    let codes = rqrr_once(grey, false, scale, rung);
    if !codes.is_empty() {
        return codes;
    }
    rqrr_once(inverse.get_or_init(|| inverted(grey)), true, scale, rung)
}

fn rqrr_once(grey: &GrayImage, inverted: bool, scale: f32, rung: Rung) -> Vec<Code> {
    // rqrr takes the image by value; detection and decoding both run inside the boundary (the
    // grids borrow the prepared image).
    let grey = grey.clone();
    let found = catch_unwind(AssertUnwindSafe(
        move || -> Vec<([rqrr::Point; 4], usize, usize, Vec<u8>)> {
            let mut prepared = rqrr::PreparedImage::prepare(grey);
            prepared
                .detect_grids()
                .into_iter()
                .filter_map(|grid| {
                    let mut bytes = Vec::new();
                    let meta = grid.decode_to(&mut bytes).ok()?;
                    Some((grid.bounds, meta.version.to_size(), meta.version.0, bytes))
                })
                .collect::<Vec<_>>()
        },
    ));
    let Ok(found) = found else {
        return Vec::new();
    };
    let mut codes: Vec<Code> = Vec::new();
    for (bounds, side, version, bytes) in found {
        let Some(text) = payload::text(&bytes) else {
            continue;
        };
        let corners = bounds.map(|point| (point.x as f32 * scale, point.y as f32 * scale));
        let edge = ((corners[1].0 - corners[0].0).hypot(corners[1].1 - corners[0].1)
            + (corners[3].0 - corners[0].0).hypot(corners[3].1 - corners[0].1))
            / 2.0;
        push_new(
            &mut codes,
            Code {
                text,
                corners,
                inverted,
                version: version as u8,
                module_px: edge / (side as f32).max(1.0),
                rung: rung.name(),
                grade: None,
            },
        );
    }
    codes
}
