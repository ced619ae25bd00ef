//! Marks of known quality, for the grade's agreement benchmark and tests: a station UID whose
//! module levels, damaged codewords, damaged finder modules, axial stretch and grid distortion
//! are chosen, rendered through blur and noise, with each parameter's true grade computed from
//! what was chosen (not from the image). Deterministic in its seed.

use image::GrayImage;
use imageproc::filter::gaussian_blur_f32;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::grade::symbol::{Block, Layout, ec_from_format_bits};
use super::grade::{
    self, axial_grade, block_modulation_grade, contrast_grade, finder_grade, grid_grade,
    modulation_grade, unused_ec, unused_ec_grade,
};
use crate::vision::synth::gaussian;

/// One generated mark and its truth.
#[derive(Debug, Clone)]
pub struct GradedMark {
    pub image: GrayImage,
    pub payload: String,
    /// True grades, in `MarkGrade::parameters` order.
    pub truth: [u8; 6],
}

/// The mark of seed `seed`.
pub fn render(seed: u64) -> Option<GradedMark> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x6AD3_0000_0000);
    let payload = format!(
        "PAD-V{:04}-L2026-{:02}-{:05}",
        rng.gen_range(1..10_000),
        rng.gen_range(1..13),
        rng.gen_range(1..100_000)
    );
    let ec = [qrcode::EcLevel::M, qrcode::EcLevel::Q, qrcode::EcLevel::H][rng.gen_range(0..3)];
    let code = qrcode::QrCode::with_error_correction_level(&payload, ec).ok()?;
    let side = code.width();
    let mut dark: Vec<bool> = code
        .to_colors()
        .iter()
        .map(|&c| c == qrcode::Color::Dark)
        .collect();
    let grid = rqrr::SimpleGrid::from_func(side, |x, y| dark[y * side + x]);
    let (meta, _) = rqrr::Grid::new(grid).get_raw_data().ok()?;
    let version = ((side - 17) / 4) as u8;
    let layout = Layout::new(
        version,
        ec_from_format_bits(meta.ecc_level),
        meta.mask as u8,
    )?;
    let block = &layout.blocks[0];
    let capacity = block
        .ec_len
        .saturating_sub(Block::misdecode_protection(version, layout.ec));

    // Damage: whole codewords of block 0 inverted, and a few finder modules.
    let damaged_codewords = rng.gen_range(0..=capacity * 2 / 5);
    for &position in block.positions.iter().take(damaged_codewords) {
        for &(x, y) in &layout.codewords[position] {
            dark[y * side + x] = !dark[y * side + x];
        }
    }
    let finder_damage = rng.gen_range(0..=3usize);
    // Outer ring of the top-left finder pattern, spread out.
    for k in 0..finder_damage {
        let (x, y) = [(2, 0), (0, 4), (6, 2)][k];
        dark[y * side + x] = !dark[y * side + x];
    }

    // Levels: light ground `ml`, dark modules `md`, each module jittered.
    let ml: f32 = rng.gen_range(150.0..230.0);
    let cc_chosen: f32 = rng.gen_range(0.10..0.65);
    let md = ml * (1.0 - cc_chosen);
    // Modules keep at least 30 % of the swing: darker or lighter ones than that would be
    // damage, which the damaged codewords stand for.
    let jitter: f32 = rng.gen_range(0.0..0.7);
    let inverted = rng.gen_bool(0.3);
    let levels: Vec<f32> = dark
        .iter()
        .map(|&is_dark| {
            let swing = (ml - md) / 2.0 * jitter * rng.gen_range(0.0..1.0f32);
            let bright = is_dark == inverted;
            if bright { ml - swing } else { md + swing }
        })
        .collect();

    // Geometry: axial stretch and a smooth distortion.
    let stretch: f32 = rng.gen_range(-0.14..0.14);
    let amplitude: f32 = if rng.gen_bool(0.5) {
        rng.gen_range(0.0..0.7)
    } else {
        0.0
    };
    let module_px: f32 = rng.gen_range(6.0..10.0);
    let rotation = rng.gen_range(0.0..std::f32::consts::TAU);
    let (pitch_x, pitch_y) = (module_px * (1.0 + stretch), module_px);
    let displacement = |u: f32, v: f32| {
        let k = std::f32::consts::TAU / side as f32;
        (amplitude * (k * v).sin(), amplitude * (k * u).sin())
    };
    let extent = (side as f32 + 10.0) * pitch_x.max(pitch_y) * std::f32::consts::SQRT_2;
    let size = extent.ceil() as u32;
    let centre = (size as f32 / 2.0, size as f32 / 2.0);
    let (sin, cos) = rotation.sin_cos();
    let forward = |u: f32, v: f32| {
        let (du, dv) = displacement(u, v);
        let (ax, ay) = (
            (u + du - side as f32 / 2.0) * pitch_x,
            (v + dv - side as f32 / 2.0) * pitch_y,
        );
        (
            centre.0 + ax * cos - ay * sin,
            centre.1 + ax * sin + ay * cos,
        )
    };
    let inverse = |x: f32, y: f32| {
        let (dx, dy) = (x - centre.0, y - centre.1);
        let (ax, ay) = (dx * cos + dy * sin, -dx * sin + dy * cos);
        let (base_u, base_v) = (
            ax / pitch_x + side as f32 / 2.0,
            ay / pitch_y + side as f32 / 2.0,
        );
        let (mut u, mut v) = (base_u, base_v);
        for _ in 0..6 {
            let (du, dv) = displacement(u, v);
            u = base_u - du;
            v = base_v - dv;
        }
        (u, v)
    };
    let quiet = if inverted { md } else { ml };
    let mut image = GrayImage::new(size, size);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let mut sum = 0.0;
        for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            let (u, v) = inverse(x as f32 + ox, y as f32 + oy);
            sum += if u >= 0.0 && v >= 0.0 && u < side as f32 && v < side as f32 {
                levels[v as usize * side + u as usize]
            } else {
                quiet
            };
        }
        pixel.0[0] = (sum / 4.0).clamp(0.0, 255.0) as u8;
    }
    let mut image = gaussian_blur_f32(&image, rng.gen_range(0.4..0.9));
    // Sensor noise well under the smallest swing left to a module.
    let noise: f32 = rng.gen_range(0.5..3.0f32).min(0.05 * (ml - md));
    for pixel in image.pixels_mut() {
        let value = f32::from(pixel.0[0]) + noise * gaussian(&mut rng);
        pixel.0[0] = value.clamp(0.0, 255.0) as u8;
    }

    // Truth, from the chosen values.
    let ideal: Vec<bool> = code
        .to_colors()
        .iter()
        .map(|&c| c == qrcode::Color::Dark)
        .collect();
    let mut counted = layout.functional.clone();
    for &(x, y) in layout.codewords.iter().flatten() {
        counted[y * side + x] = true;
    }
    let bright: Vec<bool> = ideal.iter().map(|&d| d == inverted).collect();
    let mean_of = |want_bright: bool| {
        let values: Vec<f32> = (0..side * side)
            .filter(|&i| counted[i] && bright[i] == want_bright)
            .map(|i| levels[i])
            .collect();
        values.iter().sum::<f32>() / values.len().max(1) as f32
    };
    let (true_ml, true_md) = (mean_of(true), mean_of(false));
    let cc = (true_ml - true_md) / true_ml;
    let gt = (true_ml + true_md) / 2.0;
    let modulation_of = |i: usize| {
        let signed = if bright[i] {
            levels[i] - gt
        } else {
            gt - levels[i]
        };
        (signed / ((true_ml - true_md) / 2.0)).clamp(0.0, 1.0)
    };
    let codeword_grades: Vec<u8> = layout
        .codewords
        .iter()
        .map(|modules| {
            modules
                .iter()
                .map(|&(x, y)| modulation_grade(modulation_of(y * side + x)))
                .min()
                .unwrap_or(0)
        })
        .collect();
    let modulation = layout
        .blocks
        .iter()
        .map(|b| {
            let grades: Vec<u8> = b.positions.iter().map(|&p| codeword_grades[p]).collect();
            let cap = b
                .ec_len
                .saturating_sub(Block::misdecode_protection(version, layout.ec));
            block_modulation_grade(&grades, cap)
        })
        .min()
        .unwrap_or(0);
    let axial = stretch.abs() / (1.0 + stretch / 2.0);
    let centres: Vec<((f32, f32), (f32, f32))> = (0..side)
        .flat_map(|j| (0..side).map(move |i| (i as f32 + 0.5, j as f32 + 0.5)))
        .map(|(u, v)| ((u, v), forward(u, v)))
        .collect();
    let grid = grade::geometry::fit(&centres)?.worst_deviation_modules;
    let truth = [
        contrast_grade(cc),
        modulation,
        finder_grade(finder_damage),
        axial_grade(axial),
        grid_grade(grid),
        unused_ec_grade(unused_ec(damaged_codewords, 0, capacity)),
    ];
    Some(GradedMark {
        image,
        payload,
        truth,
    })
}
