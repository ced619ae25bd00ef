//! Scoring a detector against ground truth (`qcstation eval porosity`): detections matched to
//! true pores one to one, nearest first, when their centres are within max(0.25 mm, half the
//! true diameter); precision, recall and F1 over pores of at least a size; the diameter error of
//! matched pairs. Pure arithmetic on measured pores: reading files is the CLI's job.

use super::measure::Pore;

/// The matching radius never goes below this.
const MIN_MATCH_MM: f32 = 0.25;

/// Counts of one or many images.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PoreCounts {
    /// True pores of the size found by a detection.
    pub true_positives: u32,
    /// Detections of the size that match no true pore.
    pub false_positives: u32,
    /// True pores of the size no detection matched.
    pub false_negatives: u32,
    /// Sum of |measured − true| equivalent diameters over the true positives, mm.
    pub diameter_error_sum_mm: f64,
    /// Sum of (measured − true): negative when the detector measures pores too small, which
    /// turns a REJECT near a limit into a WARN.
    pub diameter_signed_sum_mm: f64,
}

impl PoreCounts {
    pub fn add(&mut self, other: PoreCounts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
        self.diameter_error_sum_mm += other.diameter_error_sum_mm;
        self.diameter_signed_sum_mm += other.diameter_signed_sum_mm;
    }

    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }

    /// Mean (measured − true) equivalent diameter of the true positives, mm.
    pub fn diameter_bias_mm(&self) -> f64 {
        if self.true_positives == 0 {
            0.0
        } else {
            self.diameter_signed_sum_mm / f64::from(self.true_positives)
        }
    }

    pub fn diameter_mae_mm(&self) -> f64 {
        if self.true_positives == 0 {
            0.0
        } else {
            self.diameter_error_sum_mm / f64::from(self.true_positives)
        }
    }
}

/// 1 when there is nothing to get wrong.
fn ratio(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        1.0
    } else {
        f64::from(part) / f64::from(whole)
    }
}

/// Matches `found` to `truth` in one image and counts pores of at least `min_diameter_mm`:
/// a true pore that size counts as found or missed; a detection that size and matching no true
/// pore is a false positive. A detection matching a smaller true pore counts for nothing.
pub fn match_pores(
    truth: &[Pore],
    found: &[Pore],
    mm_per_px: f32,
    min_diameter_mm: f32,
) -> PoreCounts {
    let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
    for (t, true_pore) in truth.iter().enumerate() {
        let reach_px = MIN_MATCH_MM.max(true_pore.diameter_mm / 2.0) / mm_per_px;
        for (f, found_pore) in found.iter().enumerate() {
            let distance_px =
                (true_pore.x_px - found_pore.x_px).hypot(true_pore.y_px - found_pore.y_px);
            if distance_px <= reach_px {
                pairs.push((distance_px, t, f));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut truth_match: Vec<Option<usize>> = vec![None; truth.len()];
    let mut found_taken = vec![false; found.len()];
    for (_, t, f) in pairs {
        if truth_match[t].is_none() && !found_taken[f] {
            truth_match[t] = Some(f);
            found_taken[f] = true;
        }
    }
    let mut counts = PoreCounts::default();
    for (true_pore, matched) in truth.iter().zip(&truth_match) {
        if true_pore.diameter_mm < min_diameter_mm {
            continue;
        }
        match matched {
            Some(f) => {
                counts.true_positives += 1;
                let error = f64::from(found[*f].diameter_mm - true_pore.diameter_mm);
                counts.diameter_error_sum_mm += error.abs();
                counts.diameter_signed_sum_mm += error;
            }
            None => counts.false_negatives += 1,
        }
    }
    counts.false_positives = found
        .iter()
        .zip(&found_taken)
        .filter(|(pore, taken)| !**taken && pore.diameter_mm >= min_diameter_mm)
        .count() as u32;
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pore(x_px: f32, y_px: f32, diameter_mm: f32) -> Pore {
        Pore {
            id: 0,
            x_px,
            y_px,
            diameter_mm,
            feret_mm: diameter_mm,
            area_mm2: 0.0,
            circularity: 1.0,
            score: 1.0,
            area_px: 1,
            bbox_px: [0, 0, 0, 0],
            outline_px: Vec::new(),
        }
    }

    #[test]
    fn matching_is_one_to_one_within_the_radius() {
        // 0.05 mm/px: the radius is max(0.25 mm, d/2) = 5 px for small pores.
        let truth = [
            pore(100.0, 100.0, 0.4),
            pore(200.0, 100.0, 2.0),
            pore(300.0, 100.0, 0.15),
        ];
        let found = [
            pore(104.0, 100.0, 0.45), // matches the first (4 px < 5 px)
            pore(100.0, 104.0, 0.5),  // second detection of the first: a false positive
            pore(215.0, 100.0, 1.9),  // 15 px < 20 px (half of 2 mm): matches the second
            pore(300.0, 101.0, 0.15), // matches the small one: counts for nothing
            pore(400.0, 100.0, 0.1),  // too small to count as a false positive
        ];
        let counts = match_pores(&truth, &found, 0.05, 0.2);
        assert_eq!(counts.true_positives, 2);
        assert_eq!(counts.false_positives, 1);
        assert_eq!(counts.false_negatives, 0);
        assert!((counts.diameter_mae_mm() - 0.075).abs() < 1e-6);
        // +0.05 and -0.1: the bias keeps the sign.
        assert!((counts.diameter_bias_mm() + 0.025).abs() < 1e-6);
        let missed = match_pores(&truth, &[], 0.05, 0.2);
        assert_eq!(missed.false_negatives, 2);
        assert_eq!(missed.recall(), 0.0);
        assert_eq!(missed.precision(), 1.0, "nothing claimed, nothing wrong");
    }

    #[test]
    fn f1_of_summed_counts() {
        let mut total = PoreCounts::default();
        total.add(PoreCounts {
            true_positives: 9,
            false_positives: 1,
            false_negatives: 0,
            diameter_error_sum_mm: 0.9,
            diameter_signed_sum_mm: -0.9,
        });
        total.add(PoreCounts {
            true_positives: 9,
            false_positives: 0,
            false_negatives: 1,
            diameter_error_sum_mm: 0.0,
            diameter_signed_sum_mm: 0.0,
        });
        assert!((total.precision() - 0.9473684).abs() < 1e-6);
        assert!((total.f1() - 0.9473684).abs() < 1e-6);
        assert!((total.diameter_mae_mm() - 0.05).abs() < 1e-9);
    }
}
