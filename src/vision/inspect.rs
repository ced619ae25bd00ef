//! One inspection: a grey image, the zones to judge, the scale and a detector in; pores in mm,
//! each zone's judgement, the verdict and its reasons out. Runs the stages in order; owns no
//! state (the caller owns the detector, one per worker, and times what it needs).

use image::GrayImage;

use super::blobs::blobs;
use super::contrast::keep_contrasted;
use super::detect::{DetectError, Detector, DetectorKind};
use super::measure::{Pore, measure};
use super::rules::{Finding, Zone, ZoneJudgement, judge_zone, part_verdict};
use crate::domain::Verdict;

/// A component needs this many pixels to be measured as a pore (smaller is sensor noise;
/// `ignore_below_mm` decides what counts).
const MIN_PORE_PIXELS: usize = 3;

/// Everything one image's inspection found.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub width_px: u32,
    pub height_px: u32,
    pub mm_per_px: f32,
    pub detector: DetectorKind,
    pub pores: Vec<Pore>,
    /// For each pore, the first zone (recipe order) holding its centroid.
    pub pore_zones: Vec<Option<usize>>,
    pub zones: Vec<Zone>,
    pub judgements: Vec<ZoneJudgement>,
    pub verdict: Verdict,
    /// Every rule that rejected or warned, zone by zone.
    pub findings: Vec<Finding>,
}

impl Inspection {
    /// The name of the zone pore `id` is reported in.
    pub fn zone_of(&self, id: usize) -> Option<&str> {
        self.pore_zones
            .get(id)
            .copied()
            .flatten()
            .map(|index| self.zones[index].name.as_str())
    }

    /// The worst verdict of a finding naming pore `id`, if any.
    pub fn pore_verdict(&self, id: usize) -> Option<Verdict> {
        self.findings
            .iter()
            .filter(|finding| finding.pore_ids.contains(&id))
            .map(|finding| finding.verdict)
            .max()
    }

    /// The reasons as text, one per finding.
    pub fn reasons(&self) -> Vec<String> {
        self.findings.iter().map(ToString::to_string).collect()
    }
}

/// Inspects `grey` (taken at `mm_per_px`) in `zones`, pixels scoring at least `threshold`
/// being pore pixels.
pub fn inspect(
    grey: &GrayImage,
    zones: Vec<Zone>,
    mm_per_px: f32,
    threshold: f32,
    detector: &mut Detector,
) -> Result<Inspection, DetectError> {
    let scores = detector.scores(grey, mm_per_px)?;
    let measured: Vec<Pore> = blobs(&scores, threshold, MIN_PORE_PIXELS)
        .iter()
        .enumerate()
        .map(|(id, blob)| measure(blob, id, mm_per_px))
        .collect();
    let pores = keep_contrasted(grey, measured);
    let Judged {
        pore_zones,
        judgements,
        verdict,
        findings,
    } = judge(&pores, &zones, mm_per_px);
    Ok(Inspection {
        width_px: grey.width(),
        height_px: grey.height(),
        mm_per_px,
        detector: detector.kind(),
        pores,
        pore_zones,
        zones,
        judgements,
        verdict,
        findings,
    })
}

/// What the zones' rules made of a set of pores.
#[derive(Debug, Clone)]
pub struct Judged {
    /// For each pore, the first zone (recipe order) holding its centroid.
    pub pore_zones: Vec<Option<usize>>,
    pub judgements: Vec<ZoneJudgement>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

/// Judges measured pores in `zones`: an inspection's second half, and how `eval` judges the
/// ground truth with the same rules.
pub fn judge(pores: &[Pore], zones: &[Zone], mm_per_px: f32) -> Judged {
    let judgements: Vec<ZoneJudgement> = zones
        .iter()
        .map(|zone| judge_zone(zone, pores, mm_per_px))
        .collect();
    let pore_zones = pores
        .iter()
        .map(|pore| {
            zones
                .iter()
                .position(|zone| zone.shape.contains(pore.centroid_px()))
        })
        .collect();
    let findings = judgements
        .iter()
        .flat_map(|judgement| judgement.findings.iter().cloned())
        .collect();
    Judged {
        pore_zones,
        verdict: part_verdict(&judgements),
        judgements,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::recipe::Recipe;

    #[test]
    fn a_big_dark_pit_rejects_with_the_classical_detector() {
        // 0.04 mm/px: a Ø 40 px pit is 1.6 mm, above the default max of 1.0 mm.
        let grey = GrayImage::from_fn(400, 300, |x, y| {
            let (dx, dy) = (x as f32 - 200.0, y as f32 - 150.0);
            let v = if dx * dx + dy * dy < 400.0 {
                40
            } else {
                160 + ((x * 7 + y * 3) % 9) as u8
            };
            image::Luma([v])
        });
        let zones = Recipe::station_default().zones_for(None, 400, 300);
        let inspection = inspect(&grey, zones, 0.04, 0.5, &mut Detector::Classical).unwrap();
        assert_eq!(inspection.pores.len(), 1);
        assert_eq!(inspection.verdict, Verdict::Reject);
        assert_eq!(inspection.zone_of(0), Some("whole image"));
        assert_eq!(inspection.pore_verdict(0), Some(Verdict::Reject));
        assert!(inspection.reasons()[0].starts_with("REJECT zone \"whole image\": pore #1 Ø 1.6"));
    }
}
