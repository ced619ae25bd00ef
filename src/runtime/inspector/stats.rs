//! Statistics of stored inspections (`specs/porosity.md`, Statistics): counts by verdict,
//! verdicts over time, pores by zone, the pore size histogram, the Pareto of failed rules and
//! the cycle time (min, mean, max, p95). Pure: computed from rows the store returned.

use std::collections::BTreeMap;

use crate::store::{InspectionRecord, parse_utc};

/// Width of a size histogram bin.
pub const SIZE_BIN_MM: f32 = 0.1;
/// Pores larger than this land in the last bin.
pub const SIZE_MAX_MM: f32 = 3.0;

/// Cycle times of a set of inspections.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CycleStats {
    pub min_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
    pub p95_ms: f64,
}

/// Verdict counts in one time bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bucket {
    /// Start of the bucket, seconds since the Unix epoch (UTC).
    pub start_s: i64,
    /// ACCEPT, WARN, REJECT.
    pub counts: [u32; 3],
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    pub inspections: u32,
    /// ACCEPT, WARN, REJECT.
    pub verdicts: [u32; 3],
    pub pending_dispositions: u32,
    pub bucket_s: i64,
    pub over_time: Vec<Bucket>,
    /// (zone, pores), most first.
    pub pores_by_zone: Vec<(String, u32)>,
    /// Pores per `SIZE_BIN_MM` bin from 0.
    pub size_histogram: Vec<u32>,
    /// (rule, inspections it failed), most first, with the cumulative share in percent.
    pub pareto: Vec<(String, u32, f64)>,
    pub cycle: Option<CycleStats>,
    /// (seconds since the Unix epoch, trigger-to-verdict ms) per inspection, oldest first; the
    /// newest `CYCLE_POINTS` at most.
    pub cycle_series: Vec<(i64, f64)>,
}

/// Points of the cycle-time chart at most.
pub const CYCLE_POINTS: usize = 2_000;

/// A bucket width giving at most about 60 buckets over `span_s`: a minute, 5, 15 minutes, an
/// hour, 4 hours, a day.
fn bucket_width(span_s: i64) -> i64 {
    [60, 300, 900, 3_600, 14_400, 86_400]
        .into_iter()
        .find(|width| span_s / width <= 60)
        .unwrap_or(86_400 * 7)
}

/// The `p`-th percentile (0..=1) of `values` (any order), nearest rank; `None` for none.
pub fn nearest_rank(values: &[f64], p: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

/// Statistics of `rows` and of their pores (zone, diameter in mm).
pub fn compute(rows: &[InspectionRecord], pores: &[(Option<String>, f32)]) -> Statistics {
    let mut stats = Statistics {
        inspections: u32::try_from(rows.len()).unwrap_or(u32::MAX),
        ..Statistics::default()
    };
    // Each row's time, parsed once (seconds since the epoch; `None` for a damaged stamp).
    let times: Vec<Option<i64>> = rows
        .iter()
        .map(|row| parse_utc(&row.at_utc).map(|at| at.timestamp()))
        .collect();
    let (first, last) = (
        times.iter().flatten().copied().min().unwrap_or(0),
        times.iter().flatten().copied().max().unwrap_or(0),
    );
    stats.bucket_s = bucket_width(last - first);
    let mut buckets: BTreeMap<i64, [u32; 3]> = BTreeMap::new();
    let mut rules: BTreeMap<String, u32> = BTreeMap::new();
    let mut cycles = Vec::with_capacity(rows.len());
    for (row, at) in rows.iter().zip(&times) {
        let index = row.verdict.index();
        stats.verdicts[index] += 1;
        if row.disposition == crate::domain::DispositionState::Pending {
            stats.pending_dispositions += 1;
        }
        if let Some(at) = at {
            let start = at.div_euclid(stats.bucket_s) * stats.bucket_s;
            buckets.entry(start).or_default()[index] += 1;
            stats.cycle_series.push((*at, row.cycle_ms));
        }
        let mut seen = std::collections::BTreeSet::new();
        for rule in &row.failed_rules {
            // An inspection counts once per rule, however many zones it failed in.
            if seen.insert(rule) {
                *rules.entry(rule.clone()).or_default() += 1;
            }
        }
        cycles.push(row.cycle_ms);
    }
    stats.cycle_series.sort_by_key(|(at, _)| *at);
    let excess = stats.cycle_series.len().saturating_sub(CYCLE_POINTS);
    stats.cycle_series.drain(..excess);
    stats.over_time = buckets
        .into_iter()
        .map(|(start_s, counts)| Bucket { start_s, counts })
        .collect();
    let mut zones: BTreeMap<String, u32> = BTreeMap::new();
    let bins = (SIZE_MAX_MM / SIZE_BIN_MM).round() as usize;
    stats.size_histogram = vec![0; bins];
    for (zone, diameter_mm) in pores {
        *zones
            .entry(zone.clone().unwrap_or_else(|| "outside zones".to_owned()))
            .or_default() += 1;
        let bin = ((diameter_mm / SIZE_BIN_MM).floor().max(0.0) as usize).min(bins - 1);
        stats.size_histogram[bin] += 1;
    }
    stats.pores_by_zone = zones.into_iter().collect();
    stats
        .pores_by_zone
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut pareto: Vec<(String, u32)> = rules.into_iter().collect();
    pareto.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total: u32 = pareto.iter().map(|(_, n)| n).sum();
    let mut running = 0;
    stats.pareto = pareto
        .into_iter()
        .map(|(rule, n)| {
            running += n;
            (
                rule,
                n,
                100.0 * f64::from(running) / f64::from(total.max(1)),
            )
        })
        .collect();
    if !cycles.is_empty() {
        cycles.sort_by(f64::total_cmp);
        stats.cycle = Some(CycleStats {
            min_ms: cycles[0],
            mean_ms: cycles.iter().sum::<f64>() / cycles.len() as f64,
            max_ms: cycles[cycles.len() - 1],
            p95_ms: nearest_rank(&cycles, 0.95).unwrap_or_default(),
        });
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DispositionState, Verdict};

    fn row(at: &str, verdict: Verdict, rules: &[&str], cycle_ms: f64) -> InspectionRecord {
        InspectionRecord {
            id: 1,
            at_utc: at.to_owned(),
            part_seq: 1,
            source: "button".into(),
            camera: "A".into(),
            part_number: "P".into(),
            recipe_version: 1,
            serial: None,
            verdict,
            reasons: Vec::new(),
            failed_rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            pore_count: 0,
            detector: "onnx".into(),
            mm_per_px: 0.03,
            width_px: 10,
            height_px: 10,
            inspect_ms: 1.0,
            cycle_ms,
            raw_image: None,
            overlay_image: None,
            disposition: DispositionState::for_verdict(verdict),
            disposition_reason: None,
            disposition_by: None,
            disposition_at_utc: None,
        }
    }

    #[test]
    fn counts_buckets_pareto_histogram_and_cycle_on_fixed_rows() {
        let rows: Vec<InspectionRecord> = (0..20)
            .map(|i| {
                let verdict = match i % 4 {
                    0 => Verdict::Reject,
                    1 => Verdict::Warn,
                    _ => Verdict::Accept,
                };
                let rules: &[&str] = match i % 4 {
                    0 => &["max_diameter_mm", "max_count", "max_diameter_mm"],
                    1 => &["max_count"],
                    _ => &[],
                };
                row(
                    &format!("2026-11-22T10:{:02}:00.000Z", i * 2),
                    verdict,
                    rules,
                    f64::from(i + 1) * 10.0,
                )
            })
            .collect();
        let pores = [
            (Some("face".to_owned()), 0.05),
            (Some("face".to_owned()), 0.25),
            (Some("flange".to_owned()), 0.29),
            (None, 7.0),
        ];
        let stats = compute(&rows, &pores);
        assert_eq!(stats.inspections, 20);
        assert_eq!(stats.verdicts, [10, 5, 5]);
        assert_eq!(stats.pending_dispositions, 10);
        // 38 minutes: one-minute buckets, one per inspection.
        assert_eq!(stats.bucket_s, 60);
        assert_eq!(stats.over_time.len(), 20);
        assert_eq!(stats.over_time[0].counts, [0, 0, 1]);
        // max_count failed in 10 inspections, max_diameter_mm in 5 (counted once each).
        assert_eq!(stats.pareto[0].0, "max_count");
        assert_eq!(stats.pareto[0].1, 10);
        assert_eq!(stats.pareto[1], ("max_diameter_mm".to_owned(), 5, 100.0));
        assert!((stats.pareto[0].2 - 66.666).abs() < 0.01);
        assert_eq!(stats.pores_by_zone[0], ("face".to_owned(), 2));
        assert_eq!(stats.size_histogram[0], 1);
        assert_eq!(stats.size_histogram[2], 2);
        assert_eq!(
            stats.size_histogram[29], 1,
            "the 7 mm pore is in the last bin"
        );
        let cycle = stats.cycle.unwrap();
        assert_eq!((cycle.min_ms, cycle.max_ms), (10.0, 200.0));
        assert_eq!(cycle.p95_ms, 190.0);
        assert_eq!(stats.cycle_series.len(), 20);
        assert!(
            stats.cycle_series.windows(2).all(|w| w[0].0 <= w[1].0),
            "oldest first"
        );
        assert!((cycle.mean_ms - 105.0).abs() < 1e-9);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(nearest_rank(&values, 0.95), Some(95.0));
        assert_eq!(nearest_rank(&values, 0.5), Some(50.0));
        assert_eq!(nearest_rank(&[7.0], 0.95), Some(7.0));
        assert_eq!(nearest_rank(&[], 0.95), None);
    }

    #[test]
    fn nothing_stored_gives_empty_statistics() {
        let stats = compute(&[], &[]);
        assert_eq!(stats.inspections, 0);
        assert!(stats.cycle.is_none());
        assert!(stats.over_time.is_empty() && stats.pareto.is_empty());
    }
}
