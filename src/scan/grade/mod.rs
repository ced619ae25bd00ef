//! A process grade of a decoded QR mark, after ISO/IEC 15415 (print quality of 2D symbols) and
//! ISO/IEC 29158 (direct part marks): cell contrast, modulation, fixed-pattern damage, axial
//! and grid non-uniformity and unused error correction, each graded 4 (A) to 0 (F), the
//! overall grade the lowest.
//!
//! Method (one stage per module: `symbol` lays the symbol out, `reed_solomon` corrects its
//! blocks, `geometry` measures its grid):
//! - Each module's reflectance is the mean grey of a 3×3 aperture of ±0.2 module around its
//!   centre, placed through the homography of the code's corners.
//! - The modules are thresholded, the format information read, every block corrected, and the
//!   ideal symbol rebuilt from the corrected codewords: every parameter compares the image with
//!   that ideal, as a verifier does with the decoded symbol.
//! - Cell contrast (29158): CC = (ML − MD) / ML, ML and MD the mean reflectance of the modules
//!   that must be light and dark in the image. A ≥ 30 %, B ≥ 25 %, C ≥ 20 %, D ≥ 15 %.
//! - Modulation: each module's 2·|R − GT| / (ML − MD), GT = (ML + MD) / 2, 0 when the module is
//!   on the wrong side of GT, graded A ≥ 0.50, B ≥ 0.40, C ≥ 0.30, D ≥ 0.20; a codeword takes
//!   its worst module's grade; each block's grade is, as in 15415, the best level L such that
//!   the codewords graded below L, taken as erasures, leave unused error correction graded ≥ L;
//!   the symbol takes its worst block.
//! - Fixed-pattern damage: modules in error in each finder pattern with its separator (0 → A,
//!   1 → B, 2 → C, 3 → D, more → F) and the share in error of the timing patterns (0 → A,
//!   ≤ 7 % → B, ≤ 11 % → C, ≤ 14 % → D); the worst segment.
//! - Axial non-uniformity |X − Y| / mean(X, Y) of the fitted grid's pitches: A ≤ 0.06, B ≤ 0.08,
//!   C ≤ 0.10, D ≤ 0.12. Grid non-uniformity, the largest deviation of the measured grid from
//!   the fitted one in modules: A ≤ 0.38, B ≤ 0.50, C ≤ 0.63, D ≤ 0.75.
//! - Unused error correction 1 − 2t / (d − p) per block (t errors corrected, d EC codewords, p
//!   misdecode protection): A ≥ 0.62, B ≥ 0.50, C ≥ 0.37, D ≥ 0.25; the worst block.
//!
//! Limits: a station camera is not a calibrated verifier. Its grey levels are not reflectance
//! against a calibrated standard, its lighting is not the standard's, its aperture is a few
//! pixels, and a camera not square to the part shows as grid non-uniformity. The result is a
//! process grade, to follow a laser's marks over time and catch a drifting one; it is not an
//! ISO verification grade, and the screens say so.

pub mod geometry;
pub mod reed_solomon;
pub mod symbol;

use image::GrayImage;
use serde::{Deserialize, Serialize};

use self::symbol::{Block, Layout, ec_from_format_bits};
use super::Code;
use super::locate::bilinear;
use super::transform::Perspective;

/// Offsets of the reflectance aperture around a module centre, in modules.
const APERTURE: [f32; 3] = [-0.2, 0.0, 0.2];

/// One quality parameter: what was measured and its grade, 4 (A) to 0 (F).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub value: f32,
    pub grade: u8,
}

/// The grade of one decoded mark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkGrade {
    /// (ML − MD) / ML.
    pub cell_contrast: Parameter,
    /// The mean module modulation; the grade is the error-correction-weighted one.
    pub modulation: Parameter,
    /// Modules in error in the worst finder pattern (timing patterns graded by share).
    pub fixed_pattern_damage: Parameter,
    pub axial_nonuniformity: Parameter,
    /// In modules.
    pub grid_nonuniformity: Parameter,
    /// The worst block's share of correction capacity left.
    pub unused_error_correction: Parameter,
    /// The lowest of the six.
    pub overall: u8,
    /// Codewords corrected, all blocks.
    pub errors_corrected: usize,
    /// Module size along the code's sides, pixels.
    pub module_px: f32,
}

/// The parameters in the order the standard lists them: the key (the field's name in JSON, as
/// stored and printed) and the name in words.
pub const PARAMETERS: [(&str, &str); 6] = [
    ("cell_contrast", "cell contrast"),
    ("modulation", "modulation"),
    ("fixed_pattern_damage", "fixed-pattern damage"),
    ("axial_nonuniformity", "axial non-uniformity"),
    ("grid_nonuniformity", "grid non-uniformity"),
    ("unused_error_correction", "unused error correction"),
];

impl MarkGrade {
    /// The six parameters with their names, in `PARAMETERS` order.
    pub fn parameters(&self) -> [(&'static str, Parameter); 6] {
        let values = [
            self.cell_contrast,
            self.modulation,
            self.fixed_pattern_damage,
            self.axial_nonuniformity,
            self.grid_nonuniformity,
            self.unused_error_correction,
        ];
        std::array::from_fn(|i| (PARAMETERS[i].1, values[i]))
    }

    /// `B (contrast A, modulation B, …)`: for a record or a log line.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .parameters()
            .iter()
            .map(|(name, p)| format!("{name} {}", letter(p.grade)))
            .collect();
        format!("{} ({})", letter(self.overall), parts.join(", "))
    }
}

/// A grade's letter: 4 → A … 0 → F.
pub fn letter(grade: u8) -> char {
    match grade {
        4.. => 'A',
        3 => 'B',
        2 => 'C',
        1 => 'D',
        0 => 'F',
    }
}

/// Why a decoded code could not be graded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradeError {
    #[error("the code runs off the image: grade a frame with the whole code and its quiet zone")]
    OffImage,
    #[error("the code's format information does not read at grading")]
    Format,
    #[error("the code's version {0} has no layout")]
    Version(u8),
    #[error("a block of the code does not correct at grading (the decoder read it another way)")]
    Uncorrectable,
    #[error("the code's grid could not be measured (too little contrast or too few edges)")]
    Grid,
}

/// Grade thresholds: the grade is the number of `limits` the value meets, best first.
fn at_least(value: f32, limits: [f32; 4]) -> u8 {
    limits.iter().filter(|&&limit| value >= limit).count() as u8
}

fn at_most(value: f32, limits: [f32; 4]) -> u8 {
    limits.iter().filter(|&&limit| value <= limit).count() as u8
}

pub fn contrast_grade(cc: f32) -> u8 {
    at_least(cc, [0.15, 0.20, 0.25, 0.30])
}
pub fn modulation_grade(modulation: f32) -> u8 {
    at_least(modulation, [0.20, 0.30, 0.40, 0.50])
}
pub fn axial_grade(an: f32) -> u8 {
    at_most(an, [0.12, 0.10, 0.08, 0.06])
}
pub fn grid_grade(gn: f32) -> u8 {
    at_most(gn, [0.75, 0.63, 0.50, 0.38])
}
pub fn unused_ec_grade(uec: f32) -> u8 {
    at_least(uec, [0.25, 0.37, 0.50, 0.62])
}
/// Modules in error in one finder pattern and its separator.
pub fn finder_grade(errors: usize) -> u8 {
    4u8.saturating_sub(errors.min(4) as u8)
}
/// Share of the timing patterns' modules in error.
pub fn timing_grade(share: f32) -> u8 {
    at_most(share, [0.14, 0.11, 0.07, 0.0])
}

/// Unused error correction of a block with `erasures` and `errors` against `capacity` = d − p.
pub fn unused_ec(errors: usize, erasures: usize, capacity: usize) -> f32 {
    if capacity == 0 {
        return 0.0;
    }
    (1.0 - (2 * errors + erasures) as f32 / capacity as f32).max(0.0)
}

/// A block's modulation grade from its codewords' grades (15415's decodability-weighted
/// procedure, codewords below a level taken as erasures).
pub fn block_modulation_grade(codeword_grades: &[u8], capacity: usize) -> u8 {
    (1..=4u8)
        .map(|level| {
            let below = codeword_grades.iter().filter(|&&g| g < level).count();
            level.min(unused_ec_grade(unused_ec(0, below, capacity)))
        })
        .max()
        .unwrap_or(0)
}

/// The symbol as one sampling reads it.
struct Reading {
    /// Grey level at each module (row-major).
    reflectance: Vec<f32>,
    /// Modules read as carrying a 1 (dark in a dark mark).
    sampled: Vec<bool>,
    layout: Layout,
    /// Corrected codewords, interleaved.
    codewords: Vec<u8>,
    /// Errors corrected in each block.
    block_errors: Vec<usize>,
}

/// Grey at every module centre: a 3×3 aperture around the centre, displaced by the measured
/// grid when there is one.
fn reflectances(
    grey: &GrayImage,
    side: usize,
    to_image: &Perspective,
    grid: Option<&geometry::GridFit>,
) -> Result<Vec<f32>, GradeError> {
    let mut reflectance = Vec::with_capacity(side * side);
    for my in 0..side {
        for mx in 0..side {
            let (cu, cv) = (mx as f32 + 0.5, my as f32 + 0.5);
            let (du, dv) = grid.map_or((0.0, 0.0), |grid| grid.displacement_at(cu, cv));
            let mut sum = 0.0;
            for dy in APERTURE {
                for dx in APERTURE {
                    let (x, y) = to_image.apply(cu + du + dx, cv + dv + dy);
                    sum += bilinear(grey, x, y).ok_or(GradeError::OffImage)?;
                }
            }
            reflectance.push(sum / 9.0);
        }
    }
    Ok(reflectance)
}

/// Thresholds the modules at `threshold` (or, without one, midway between the 10th and 90th
/// percentiles), reads the format information and corrects every block.
fn read(
    reflectance: Vec<f32>,
    threshold: Option<f32>,
    code: &Code,
    side: usize,
) -> Result<Reading, GradeError> {
    let threshold = threshold.unwrap_or_else(|| {
        let mut sorted = reflectance.clone();
        sorted.sort_by(f32::total_cmp);
        (sorted[sorted.len() / 10] + sorted[sorted.len() * 9 / 10]) / 2.0
    });
    // A 1 is dark in the image, or light when the mark is inverted.
    let sampled: Vec<bool> = reflectance
        .iter()
        .map(|&r| (r < threshold) != code.inverted)
        .collect();
    let grid = rqrr::SimpleGrid::from_func(side, |x, y| sampled[y * side + x]);
    let (meta, _) = rqrr::Grid::new(grid)
        .get_raw_data()
        .map_err(|_| GradeError::Format)?;
    let ec = ec_from_format_bits(meta.ecc_level);
    let layout =
        Layout::new(code.version, ec, meta.mask as u8).ok_or(GradeError::Version(code.version))?;
    let mut codewords = layout.read(&sampled);
    let mut block_errors = Vec::with_capacity(layout.blocks.len());
    for block in &layout.blocks {
        let mut values: Vec<u8> = block.positions.iter().map(|&p| codewords[p]).collect();
        let errors = reed_solomon::correct(&mut values, block.ec_len)
            .map_err(|_| GradeError::Uncorrectable)?;
        for (&p, &value) in block.positions.iter().zip(&values) {
            codewords[p] = value;
        }
        block_errors.push(errors);
    }
    Ok(Reading {
        reflectance,
        sampled,
        layout,
        codewords,
        block_errors,
    })
}

/// Mean grey of the modules that must be light (`ML`) and dark (`MD`) in the image.
fn light_and_dark(reflectance: &[f32], bright: &[bool], counted: &[bool]) -> (f32, f32) {
    let (mut light_sum, mut light_n, mut dark_sum, mut dark_n) = (0.0, 0usize, 0.0, 0usize);
    for i in (0..bright.len()).filter(|&i| counted[i]) {
        if bright[i] {
            light_sum += reflectance[i];
            light_n += 1;
        } else {
            dark_sum += reflectance[i];
            dark_n += 1;
        }
    }
    (
        light_sum / light_n.max(1) as f32,
        dark_sum / dark_n.max(1) as f32,
    )
}

/// Grades `code`, read from `grey`: a first reading through the corners' homography gives the
/// ideal symbol; the grid is measured against it; a second reading samples each module where
/// the grid really put it, and every parameter comes from that one.
pub fn grade(grey: &GrayImage, code: &Code) -> Result<MarkGrade, GradeError> {
    let side = usize::from(code.version) * 4 + 17;
    let square = [
        (0.0, 0.0),
        (side as f32, 0.0),
        (side as f32, side as f32),
        (0.0, side as f32),
    ];
    let to_image = Perspective::between(square, code.corners).ok_or(GradeError::OffImage)?;
    let first = read(reflectances(grey, side, &to_image, None)?, None, code, side)?;
    let ideal = first.layout.ideal(&first.codewords);
    // Modules that count: function patterns and codewords (not the remainder bits).
    let mut counted = first.layout.functional.clone();
    for &(x, y) in first.layout.codewords.iter().flatten() {
        counted[y * side + x] = true;
    }
    // Bright in the image: light modules of a dark mark, dark modules of an inverted one.
    let bright: Vec<bool> = ideal.iter().map(|&dark| dark == code.inverted).collect();
    let (ml, md) = light_and_dark(&first.reflectance, &bright, &counted);
    // Measure the grid against the ideal, leaving out the modules read wrong (damage, or
    // sampled off their module where the grid bends), and read again where the grid puts the
    // modules. (A second round of both was measured: no better agreement, twice the time.)
    let levels = ((ml + md) / 2.0, (ml - md) / 2.0);
    let damaged: Vec<bool> = first
        .sampled
        .iter()
        .zip(&ideal)
        .map(|(read, ideal)| read != ideal)
        .collect();
    let fit = geometry::measure(grey, side, &bright, &to_image, levels, &damaged);
    let reading = match &fit {
        Some(measured) => read(
            reflectances(grey, side, &to_image, Some(measured))?,
            Some(levels.0),
            code,
            side,
        )
        .unwrap_or(first),
        None => first,
    };
    let Reading {
        reflectance,
        layout,
        block_errors,
        ..
    } = reading;
    let ec = layout.ec;
    let capacity = |block: &Block| {
        block
            .ec_len
            .saturating_sub(Block::misdecode_protection(code.version, ec))
    };
    let (ml, md) = light_and_dark(&reflectance, &bright, &counted);
    let cell_contrast = if ml > 0.0 { (ml - md) / ml } else { 0.0 };
    let gt = (ml + md) / 2.0;
    let half_swing = ((ml - md) / 2.0).max(f32::EPSILON);
    let module_modulation: Vec<f32> = (0..side * side)
        .map(|i| {
            let signed = if bright[i] {
                reflectance[i] - gt
            } else {
                gt - reflectance[i]
            };
            (signed / half_swing).clamp(0.0, 1.0)
        })
        .collect();
    let in_error = |i: usize| (reflectance[i] >= gt) != bright[i];
    // Modulation.
    let codeword_grade: Vec<u8> = layout
        .codewords
        .iter()
        .map(|modules| {
            modules
                .iter()
                .map(|&(x, y)| modulation_grade(module_modulation[y * side + x]))
                .min()
                .unwrap_or(0)
        })
        .collect();
    let modulation_grade_value = layout
        .blocks
        .iter()
        .map(|block| {
            let grades: Vec<u8> = block.positions.iter().map(|&p| codeword_grade[p]).collect();
            block_modulation_grade(&grades, capacity(block))
        })
        .min()
        .unwrap_or(0);
    let mean_modulation = {
        let values: Vec<f32> = (0..side * side)
            .filter(|&i| counted[i])
            .map(|i| module_modulation[i])
            .collect();
        values.iter().sum::<f32>() / values.len().max(1) as f32
    };
    // Fixed-pattern damage.
    let finder_errors = [(0, 0), (side - 8, 0), (0, side - 8)]
        .iter()
        .map(|&(x0, y0)| {
            (y0..y0 + 8)
                .flat_map(|y| (x0..x0 + 8).map(move |x| y * side + x))
                .filter(|&i| in_error(i))
                .count()
        })
        .max()
        .unwrap_or(0);
    let timing: Vec<usize> = (8..side - 8)
        .flat_map(|i| [6 * side + i, i * side + 6])
        .collect();
    let timing_share =
        timing.iter().filter(|&&i| in_error(i)).count() as f32 / timing.len().max(1) as f32;
    let fixed_pattern_damage = Parameter {
        value: finder_errors as f32,
        grade: finder_grade(finder_errors).min(timing_grade(timing_share)),
    };
    // Geometry.
    // Never an invented figure: without a measured grid there is no grade.
    let Some(measured) = &fit else {
        return Err(GradeError::Grid);
    };
    let (axial, grid) = (
        measured.axial_nonuniformity(),
        measured.worst_deviation_modules,
    );
    // Unused error correction.
    let uec = layout
        .blocks
        .iter()
        .zip(&block_errors)
        .map(|(block, &errors)| unused_ec(errors, 0, capacity(block)))
        .fold(1.0, f32::min);
    let parameters = [
        Parameter {
            value: cell_contrast,
            grade: contrast_grade(cell_contrast),
        },
        Parameter {
            value: mean_modulation,
            grade: modulation_grade_value,
        },
        fixed_pattern_damage,
        Parameter {
            value: axial,
            grade: axial_grade(axial),
        },
        Parameter {
            value: grid,
            grade: grid_grade(grid),
        },
        Parameter {
            value: uec,
            grade: unused_ec_grade(uec),
        },
    ];
    let overall = parameters.iter().map(|p| p.grade).min().unwrap_or(0);
    let [cc, modulation, fpd, an, gn, unused] = parameters;
    let module_px = (measured.pitch_x_px + measured.pitch_y_px) / 2.0;
    Ok(MarkGrade {
        cell_contrast: cc,
        modulation,
        fixed_pattern_damage: fpd,
        axial_nonuniformity: an,
        grid_nonuniformity: gn,
        unused_error_correction: unused,
        overall,
        errors_corrected: block_errors.iter().sum(),
        module_px,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_grade_as_the_standards_tables() {
        assert_eq!(contrast_grade(0.31), 4);
        assert_eq!(contrast_grade(0.22), 2);
        assert_eq!(contrast_grade(0.10), 0);
        assert_eq!(axial_grade(0.05), 4);
        assert_eq!(axial_grade(0.11), 1);
        assert_eq!(axial_grade(0.2), 0);
        assert_eq!(grid_grade(0.45), 3);
        assert_eq!(unused_ec_grade(1.0), 4);
        assert_eq!(unused_ec_grade(0.3), 1);
        assert_eq!(finder_grade(0), 4);
        assert_eq!(finder_grade(2), 2);
        assert_eq!(finder_grade(9), 0);
        assert_eq!(timing_grade(0.0), 4);
        assert_eq!(timing_grade(0.05), 3);
        assert_eq!(timing_grade(0.5), 0);
        assert_eq!(letter(3), 'B');
    }

    #[test]
    fn modulation_is_weighted_by_the_error_correction_left() {
        // 20 EC codewords of capacity: two codewords graded D cost 2/20 = 10 %: still A.
        let mut grades = vec![4u8; 40];
        grades[3] = 1;
        grades[7] = 1;
        assert_eq!(block_modulation_grade(&grades, 20), 4);
        // Eight codewords graded F leave 60 %: level A fails (B by UEC), level B holds.
        let mut grades = vec![4u8; 40];
        for g in grades.iter_mut().take(8) {
            *g = 0;
        }
        assert_eq!(block_modulation_grade(&grades, 20), 3);
        // All codewords C: level C holds with no erasures.
        assert_eq!(block_modulation_grade(&[2u8; 40], 20), 2);
    }
}
