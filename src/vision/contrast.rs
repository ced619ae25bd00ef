//! The contrast check: a pore is a pit, darker than the face around it. A detection whose
//! centre is not darker than its surroundings by `MIN_CONTRAST_NOISE` times the image's noise is
//! dropped as shading, a faint smudge or a stain (what the network marked on faces it was never
//! trained on). The threshold was chosen with a prototype of this check run on the generator's
//! held-apart sets: there, true pores ≥ 0.2 mm had a contrast of 4.5 noise units at the 1st
//! percentile (median 15) and the false detections on clean parts and the held-out tier at most
//! 2.9. The eval figures in the model card are measured with this module.

use image::GrayImage;

use super::measure::Pore;

/// How much darker than its ring a pore's centre must be, in units of the image's noise.
pub const MIN_CONTRAST_NOISE: f32 = 3.5;

/// The image's noise: the robust spread of diagonal pixel differences (so texture and
/// shading hardly count), on a sample of the pixels. At least 0.5 grey level.
pub fn noise_level(grey: &GrayImage) -> f32 {
    let (w, h) = grey.dimensions();
    let mut diffs: Vec<f32> = Vec::with_capacity((w as usize / 2) * (h as usize / 2));
    for y in (1..h).step_by(2) {
        for x in (1..w).step_by(2) {
            let a = f32::from(grey.get_pixel(x, y)[0]);
            let b = f32::from(grey.get_pixel(x - 1, y - 1)[0]);
            diffs.push((a - b).abs());
        }
    }
    if diffs.is_empty() {
        return 0.5;
    }
    let middle = diffs.len() / 2;
    let (_, median, _) = diffs.select_nth_unstable_by(middle, f32::total_cmp);
    // The MAD of a difference of two pixels, as one pixel's standard deviation.
    (1.4826 * *median / std::f32::consts::SQRT_2).max(0.5)
}

/// Median grey of the pixels whose distance to (`x`, `y`) is within `range`.
fn median_in(
    grey: &GrayImage,
    x: f32,
    y: f32,
    range: std::ops::RangeInclusive<f32>,
) -> Option<f32> {
    let (w, h) = grey.dimensions();
    let reach = range.end().ceil() as i64 + 1;
    let mut values = Vec::new();
    for py in (y as i64 - reach).max(0)..=(y as i64 + reach).min(i64::from(h) - 1) {
        for px in (x as i64 - reach).max(0)..=(x as i64 + reach).min(i64::from(w) - 1) {
            let distance = ((px as f32 + 0.5 - x).powi(2) + (py as f32 + 0.5 - y).powi(2)).sqrt();
            if range.contains(&distance) {
                values.push(grey.get_pixel(px as u32, py as u32)[0]);
            }
        }
    }
    if values.is_empty() {
        return None;
    }
    let middle = values.len() / 2;
    let (_, median, _) = values.select_nth_unstable(middle);
    Some(f32::from(*median))
}

/// How much darker than the ring around it (1.6 to 2.6 radii) the centre (0.7 radius) of `pore`
/// is, in grey levels.
pub fn contrast(grey: &GrayImage, pore: &Pore) -> f32 {
    let r = pore.radius_px();
    let [x, y] = pore.centroid_px();
    let centre = median_in(grey, x, y, 0.0..=(0.7 * r).max(1.0));
    let ring = median_in(grey, x, y, (1.6 * r)..=(2.6 * r + 1.0));
    match (centre, ring) {
        (Some(centre), Some(ring)) => ring - centre,
        // At the image's edge with no ring to compare: keep it.
        _ => f32::INFINITY,
    }
}

/// The pores dark enough against their surroundings, numbered again from 0.
pub fn keep_contrasted(grey: &GrayImage, pores: Vec<Pore>) -> Vec<Pore> {
    if pores.is_empty() {
        return pores;
    }
    let noise = noise_level(grey);
    pores
        .into_iter()
        .filter(|pore| contrast(grey, pore) >= MIN_CONTRAST_NOISE * noise)
        .enumerate()
        .map(|(id, pore)| Pore { id, ..pore })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::blobs::Blob;
    use crate::vision::measure::measure;

    /// A noisy face (about 2 grey levels) with a dark pit and a faint stain of the same size.
    fn face() -> GrayImage {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        GrayImage::from_fn(200, 100, |x, y| {
            let noise: f32 = rng.gen_range(-3.0..3.0);
            let pit = ((x as f32 - 50.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt() < 6.0;
            let stain = ((x as f32 - 150.0).powi(2) + (y as f32 - 50.0).powi(2)).sqrt() < 6.0;
            let v = 150.0 + noise
                - if pit {
                    60.0
                } else if stain {
                    2.0
                } else {
                    0.0
                };
            image::Luma([v as u8])
        })
    }

    #[test]
    fn a_dark_pit_is_kept_and_a_faint_stain_is_dropped() {
        let grey = face();
        let pit = measure(&Blob::disc(50.0, 50.0, 6.0), 0, 0.03);
        let stain = measure(&Blob::disc(150.0, 50.0, 6.0), 1, 0.03);
        assert!(contrast(&grey, &pit) > 50.0);
        assert!(contrast(&grey, &stain) < 3.0);
        let kept = keep_contrasted(&grey, vec![stain, pit]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, 0, "numbered again");
        assert!((kept[0].x_px - 50.0).abs() < 1.0);
    }

    #[test]
    fn the_noise_level_follows_the_noise_not_the_shading() {
        let flat = GrayImage::from_pixel(100, 100, image::Luma([100]));
        assert_eq!(noise_level(&flat), 0.5, "the floor");
        let ramp = GrayImage::from_fn(100, 100, |x, _| image::Luma([(x * 2) as u8]));
        assert!(noise_level(&ramp) <= 3.0, "a smooth ramp is not noise");
    }
}
