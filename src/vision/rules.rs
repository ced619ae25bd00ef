//! Zone rules (`specs/porosity.md`, Zone rules): what a zone allows, checked against the pores
//! whose centroid lies in it, giving the zone's verdict and a finding per rule that failed or
//! came close, each naming the zone, the pores, the measured value and the limit.
//!
//! Conventions, the same for every rule: sizes are equivalent diameters; a maximum is broken
//! when the value is above it (at the limit passes), a minimum when the value is below it; with
//! `warn_ratio` r, a maximum warns above r × limit and a minimum below limit / r. Pores below
//! `ignore_below_mm` are not counted by any rule of the zone.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::measure::Pore;
use super::zone::ZoneShape;
use crate::domain::Verdict;

/// The shape of the sliding window of `window_mm` + `max_in_window`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowShape {
    /// A circle of diameter `window_mm`.
    #[default]
    Circle,
    /// An image-aligned square of side `window_mm`.
    Square,
}

/// How `min_pitch_mm` measures the distance between two pores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PitchBetween {
    /// Centre to centre.
    #[default]
    Centres,
    /// The gap between their outlines.
    Edges,
}

/// What one zone allows. Every limit is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZoneRules {
    pub ignore_below_mm: Option<f32>,
    pub max_diameter_mm: Option<f32>,
    pub max_count: Option<u32>,
    pub window_mm: Option<f32>,
    pub window_shape: WindowShape,
    pub max_in_window: Option<u32>,
    pub min_pitch_mm: Option<f32>,
    pub pitch_between: PitchBetween,
    pub min_edge_distance_mm: Option<f32>,
    pub max_area_percent: Option<f32>,
    pub warn_ratio: Option<f32>,
}

/// A rule set that cannot be used, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulesError {
    #[error("{field} must be a number above 0 (got {value})")]
    NotPositive { field: &'static str, value: f32 },
    #[error("warn_ratio must be above 0 and below 1, e.g. 0.8 (got {0})")]
    WarnRatio(f32),
    #[error("window_mm and max_in_window go together: set both or neither")]
    HalfWindow,
    #[error("max_area_percent must be at most 100 (got {0})")]
    AreaPercent(f32),
}

impl ZoneRules {
    /// The station's default rules, used for the whole image when a recipe draws no zone:
    /// count pores from Ø 0.2 mm, none above Ø 1.0 mm, at most 12, at most 5 in any Ø 10 mm,
    /// at most 0.5 % of the area, warn at 80 % of a limit.
    pub fn station_default() -> Self {
        Self {
            ignore_below_mm: Some(0.2),
            max_diameter_mm: Some(1.0),
            max_count: Some(12),
            window_mm: Some(10.0),
            window_shape: WindowShape::Circle,
            max_in_window: Some(5),
            min_pitch_mm: None,
            pitch_between: PitchBetween::Centres,
            min_edge_distance_mm: None,
            max_area_percent: Some(0.5),
            warn_ratio: Some(0.8),
        }
    }

    pub fn validate(&self) -> Result<(), RulesError> {
        let positive = [
            ("ignore_below_mm", self.ignore_below_mm),
            ("max_diameter_mm", self.max_diameter_mm),
            ("window_mm", self.window_mm),
            ("min_pitch_mm", self.min_pitch_mm),
            ("min_edge_distance_mm", self.min_edge_distance_mm),
            ("max_area_percent", self.max_area_percent),
        ];
        for (field, value) in positive {
            if let Some(value) = value {
                // `!(x > 0)` also refuses NaN.
                if !(value > 0.0 && value.is_finite()) {
                    return Err(RulesError::NotPositive { field, value });
                }
            }
        }
        if let Some(ratio) = self.warn_ratio
            && !(ratio > 0.0 && ratio < 1.0)
        {
            return Err(RulesError::WarnRatio(ratio));
        }
        if self.window_mm.is_some() != self.max_in_window.is_some() {
            return Err(RulesError::HalfWindow);
        }
        if let Some(percent) = self.max_area_percent
            && percent > 100.0
        {
            return Err(RulesError::AreaPercent(percent));
        }
        Ok(())
    }
}

/// A region of a camera image with its rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Zone {
    pub name: String,
    /// The camera whose image the zone is drawn on; none = every camera of the recipe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    #[serde(flatten)]
    pub shape: ZoneShape,
    #[serde(default)]
    pub rules: ZoneRules,
}

/// Which rule a finding is about (the spec's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    MaxDiameter,
    MaxCount,
    Window,
    MinPitch,
    MinEdgeDistance,
    MaxAreaPercent,
}

impl Rule {
    pub const ALL: [Rule; 6] = [
        Self::MaxDiameter,
        Self::MaxCount,
        Self::Window,
        Self::MinPitch,
        Self::MinEdgeDistance,
        Self::MaxAreaPercent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::MaxDiameter => "max_diameter_mm",
            Self::MaxCount => "max_count",
            Self::Window => "max_in_window",
            Self::MinPitch => "min_pitch_mm",
            Self::MinEdgeDistance => "min_edge_distance_mm",
            Self::MaxAreaPercent => "max_area_percent",
        }
    }
}

/// One rule of one zone that rejected or warned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub zone: String,
    pub rule: Rule,
    pub verdict: Verdict,
    /// The pores that decided it (ids into the inspection's pore list).
    pub pore_ids: Vec<usize>,
    /// The worst measured value, in the rule's unit.
    pub measured: f64,
    pub limit: f64,
    /// Set for `min_pitch_mm` and the window: how the value was measured.
    pub detail: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pores = pore_list(&self.pore_ids);
        let bound = match self.verdict {
            Verdict::Reject => "",
            _ => "close to ",
        };
        write!(f, "{} zone \"{}\": ", self.verdict, self.zone)?;
        match self.rule {
            Rule::MaxDiameter => write!(
                f,
                "{pores} Ø {:.2} mm, {bound}max {:.2} mm",
                self.measured, self.limit
            ),
            Rule::MaxCount => write!(
                f,
                "{} pores counted, {bound}max {}",
                self.measured, self.limit
            ),
            Rule::Window => write!(
                f,
                "{} pores ({pores}) in one {}, {bound}max {}",
                self.measured,
                self.detail.as_deref().unwrap_or("window"),
                self.limit
            ),
            Rule::MinPitch => write!(
                f,
                "{pores} {:.2} mm apart ({}), {bound}min {:.2} mm",
                self.measured,
                self.detail.as_deref().unwrap_or("centres"),
                self.limit
            ),
            Rule::MinEdgeDistance if self.measured <= 0.0 => write!(
                f,
                "{pores} touches the zone's edge (min edge distance {:.2} mm)",
                self.limit
            ),
            Rule::MinEdgeDistance => write!(
                f,
                "{pores} {:.2} mm from the zone's edge, {bound}min {:.2} mm",
                self.measured, self.limit
            ),
            Rule::MaxAreaPercent => write!(
                f,
                "pore area {:.3} % of the zone, {bound}max {:.3} %",
                self.measured, self.limit
            ),
        }
    }
}

/// "pore #3" or "pores #3, #5" (1-based, as on the overlay).
fn pore_list(ids: &[usize]) -> String {
    let numbers: Vec<String> = ids.iter().map(|id| format!("#{}", id + 1)).collect();
    match numbers.len() {
        0 => "no pore".to_owned(),
        1 => format!("pore {}", numbers[0]),
        _ => format!("pores {}", numbers.join(", ")),
    }
}

/// Where a pore sits in a zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoreInZone {
    pub pore_id: usize,
    /// From the pore's outline to the zone's edge (0 when touching).
    pub edge_distance_mm: f32,
    pub touches_edge: bool,
    /// Not below `ignore_below_mm`.
    pub counted: bool,
}

/// A zone's verdict and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneJudgement {
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// The pores whose centroid is in the zone.
    pub pores: Vec<PoreInZone>,
}

/// Judges one zone: its pores are those whose centroid lies inside.
pub fn judge_zone(zone: &Zone, pores: &[Pore], mm_per_px: f32) -> ZoneJudgement {
    let rules = &zone.rules;
    let placed: Vec<PoreInZone> = pores
        .iter()
        .filter(|pore| zone.shape.contains(pore.centroid_px()))
        .map(|pore| place(pore, &zone.shape, rules, mm_per_px))
        .collect();
    let counted: Vec<(&Pore, &PoreInZone)> = placed
        .iter()
        .filter(|placed| placed.counted)
        .map(|placed| (&pores[placed.pore_id], placed))
        .collect();
    let mut judge = Judge {
        zone: &zone.name,
        warn_ratio: rules.warn_ratio,
        findings: Vec::new(),
    };
    if let Some(limit) = rules.max_diameter_mm {
        let values: Vec<(usize, f64)> = counted
            .iter()
            .map(|(pore, _)| (pore.id, f64::from(pore.diameter_mm)))
            .collect();
        judge.per_pore_max(Rule::MaxDiameter, f64::from(limit), &values);
    }
    if let Some(limit) = rules.max_count {
        let ids = counted.iter().map(|(pore, _)| pore.id).collect();
        judge.maximum(
            Rule::MaxCount,
            f64::from(limit),
            counted.len() as f64,
            ids,
            None,
        );
    }
    if let (Some(size_mm), Some(limit)) = (rules.window_mm, rules.max_in_window) {
        let centres_mm: Vec<(usize, [f64; 2])> = counted
            .iter()
            .map(|(pore, _)| {
                let scale = f64::from(mm_per_px);
                (
                    pore.id,
                    [f64::from(pore.x_px) * scale, f64::from(pore.y_px) * scale],
                )
            })
            .collect();
        let ids = densest_window(&centres_mm, f64::from(size_mm), rules.window_shape);
        let detail = match rules.window_shape {
            WindowShape::Circle => format!("Ø {size_mm} mm circle"),
            WindowShape::Square => format!("{size_mm} mm square"),
        };
        judge.maximum(
            Rule::Window,
            f64::from(limit),
            ids.len() as f64,
            ids,
            Some(detail),
        );
    }
    let counted_pores: Vec<&Pore> = counted.iter().map(|(pore, _)| *pore).collect();
    if let Some(limit) = rules.min_pitch_mm
        && let Some((a, b, distance_mm)) =
            closest_pair(&counted_pores, rules.pitch_between, mm_per_px)
    {
        let detail = match rules.pitch_between {
            PitchBetween::Centres => "centre to centre",
            PitchBetween::Edges => "edge to edge",
        };
        judge.minimum(
            Rule::MinPitch,
            f64::from(limit),
            distance_mm,
            vec![a, b],
            Some(detail.to_owned()),
        );
    }
    if let Some(limit) = rules.min_edge_distance_mm {
        // A pore touching the edge always rejects; otherwise the nearest decides.
        let touching: Vec<usize> = counted
            .iter()
            .filter(|(_, placed)| placed.touches_edge)
            .map(|(pore, _)| pore.id)
            .collect();
        if touching.is_empty() {
            if let Some((pore, placed)) = counted.iter().min_by(|a, b| {
                a.1.edge_distance_mm
                    .total_cmp(&b.1.edge_distance_mm)
                    .then(a.0.id.cmp(&b.0.id))
            }) {
                judge.minimum(
                    Rule::MinEdgeDistance,
                    f64::from(limit),
                    f64::from(placed.edge_distance_mm),
                    vec![pore.id],
                    None,
                );
            }
        } else {
            judge.push(
                Rule::MinEdgeDistance,
                Verdict::Reject,
                touching,
                0.0,
                f64::from(limit),
                None,
            );
        }
    }
    if let Some(limit) = rules.max_area_percent {
        let zone_area_mm2 = zone.shape.area_px() * f64::from(mm_per_px).powi(2);
        let pore_area_mm2: f64 = counted
            .iter()
            .map(|(pore, _)| f64::from(pore.area_mm2))
            .sum();
        let percent = if zone_area_mm2 > 0.0 {
            100.0 * pore_area_mm2 / zone_area_mm2
        } else {
            0.0
        };
        let ids = counted.iter().map(|(pore, _)| pore.id).collect();
        judge.maximum(Rule::MaxAreaPercent, f64::from(limit), percent, ids, None);
    }
    let verdict = judge
        .findings
        .iter()
        .map(|finding| finding.verdict)
        .max()
        .unwrap_or(Verdict::Accept);
    ZoneJudgement {
        verdict,
        findings: judge.findings,
        pores: placed,
    }
}

fn place(pore: &Pore, shape: &ZoneShape, rules: &ZoneRules, mm_per_px: f32) -> PoreInZone {
    let mut nearest_px = f32::INFINITY;
    let mut touches_edge = false;
    for [x, y] in &pore.outline_px {
        let centre = [*x as f32 + 0.5, *y as f32 + 0.5];
        if !shape.contains(centre) {
            touches_edge = true;
        }
        // The pixel reaches half a pixel beyond its centre.
        nearest_px = nearest_px.min(shape.distance_to_edge_px(centre) - 0.5);
    }
    if nearest_px <= 0.0 {
        touches_edge = true;
    }
    let edge_distance_mm = if touches_edge {
        0.0
    } else {
        nearest_px * mm_per_px
    };
    PoreInZone {
        pore_id: pore.id,
        edge_distance_mm,
        touches_edge,
        counted: rules
            .ignore_below_mm
            .is_none_or(|floor| pore.diameter_mm >= floor),
    }
}

/// Collects findings with the zone's warn margin.
struct Judge<'a> {
    zone: &'a str,
    warn_ratio: Option<f32>,
    findings: Vec<Finding>,
}

impl Judge<'_> {
    fn push(
        &mut self,
        rule: Rule,
        verdict: Verdict,
        pore_ids: Vec<usize>,
        measured: f64,
        limit: f64,
        detail: Option<String>,
    ) {
        self.findings.push(Finding {
            zone: self.zone.to_owned(),
            rule,
            verdict,
            pore_ids,
            measured,
            limit,
            detail,
        });
    }

    fn ratio(&self) -> Option<f64> {
        self.warn_ratio.map(f64::from)
    }

    /// A maximum over one value.
    fn maximum(
        &mut self,
        rule: Rule,
        limit: f64,
        measured: f64,
        ids: Vec<usize>,
        detail: Option<String>,
    ) {
        if measured > limit {
            self.push(rule, Verdict::Reject, ids, measured, limit, detail);
        } else if self.ratio().is_some_and(|ratio| measured > ratio * limit) {
            self.push(rule, Verdict::Warn, ids, measured, limit, detail);
        }
    }

    /// A minimum over one value.
    fn minimum(
        &mut self,
        rule: Rule,
        limit: f64,
        measured: f64,
        ids: Vec<usize>,
        detail: Option<String>,
    ) {
        if measured < limit {
            self.push(rule, Verdict::Reject, ids, measured, limit, detail);
        } else if self.ratio().is_some_and(|ratio| measured < limit / ratio) {
            self.push(rule, Verdict::Warn, ids, measured, limit, detail);
        }
    }

    /// A maximum every pore must keep: one finding naming every pore that broke it (or, when
    /// none did, every pore in the warn margin), with the worst value.
    fn per_pore_max(&mut self, rule: Rule, limit: f64, values: &[(usize, f64)]) {
        let worst = |ids: &[usize]| {
            values
                .iter()
                .filter(|(id, _)| ids.contains(id))
                .map(|(_, value)| *value)
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let over: Vec<usize> = values
            .iter()
            .filter(|(_, value)| *value > limit)
            .map(|(id, _)| *id)
            .collect();
        if !over.is_empty() {
            let measured = worst(&over);
            self.push(rule, Verdict::Reject, over, measured, limit, None);
            return;
        }
        if let Some(ratio) = self.ratio() {
            let close: Vec<usize> = values
                .iter()
                .filter(|(_, value)| *value > ratio * limit)
                .map(|(id, _)| *id)
                .collect();
            if !close.is_empty() {
                let measured = worst(&close);
                self.push(rule, Verdict::Warn, close, measured, limit, None);
            }
        }
    }
}

/// The pores of the window placement holding the most centres (ties: the first found).
/// Exact: a best circle can be moved until two centres lie on its rim (or it holds one); a
/// best square until a centre lies on its left edge and one on its top edge.
fn densest_window(
    centres_mm: &[(usize, [f64; 2])],
    size_mm: f64,
    shape: WindowShape,
) -> Vec<usize> {
    // Centres on the window's rim count as inside; 10 nm absorbs the rounding of px → mm.
    const SLACK_MM: f64 = 1e-5;
    let inside = |test: &dyn Fn([f64; 2]) -> bool| -> Vec<usize> {
        centres_mm
            .iter()
            .filter(|(_, centre)| test(*centre))
            .map(|(id, _)| *id)
            .collect()
    };
    let mut best: Vec<usize> = centres_mm
        .first()
        .map(|(id, _)| vec![*id])
        .unwrap_or_default();
    match shape {
        WindowShape::Circle => {
            let radius = size_mm / 2.0;
            let reach = radius + SLACK_MM;
            for (i, (_, a)) in centres_mm.iter().enumerate() {
                for (_, b) in &centres_mm[i + 1..] {
                    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                    let distance = (dx * dx + dy * dy).sqrt();
                    if distance > 2.0 * radius + SLACK_MM || distance == 0.0 {
                        continue;
                    }
                    let (mx, my) = ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0);
                    let offset = (radius * radius - distance * distance / 4.0)
                        .max(0.0)
                        .sqrt();
                    let (ux, uy) = (-dy / distance, dx / distance);
                    for sign in [-1.0, 1.0] {
                        let centre = [mx + sign * offset * ux, my + sign * offset * uy];
                        let found = inside(&|p: [f64; 2]| {
                            (p[0] - centre[0]).hypot(p[1] - centre[1]) <= reach
                        });
                        if found.len() > best.len() {
                            best = found;
                        }
                    }
                }
            }
        }
        WindowShape::Square => {
            for (_, left) in centres_mm {
                for (_, top) in centres_mm {
                    let (x0, y0) = (left[0], top[1]);
                    let found = inside(&|p: [f64; 2]| {
                        p[0] >= x0 - SLACK_MM
                            && p[0] <= x0 + size_mm + SLACK_MM
                            && p[1] >= y0 - SLACK_MM
                            && p[1] <= y0 + size_mm + SLACK_MM
                    });
                    if found.len() > best.len() {
                        best = found;
                    }
                }
            }
        }
    }
    best
}

/// The two closest pores and their distance in mm.
fn closest_pair(
    pores: &[&Pore],
    between: PitchBetween,
    mm_per_px: f32,
) -> Option<(usize, usize, f64)> {
    let mut best: Option<(usize, usize, f64)> = None;
    for (i, a) in pores.iter().enumerate() {
        for b in &pores[i + 1..] {
            let centres_px = f64::from(a.x_px - b.x_px).hypot(f64::from(a.y_px - b.y_px));
            let distance_px = match between {
                PitchBetween::Centres => centres_px,
                PitchBetween::Edges => {
                    // Outlines cannot be nearer than the centres less both Feret half-lengths.
                    let floor_px = centres_px
                        - f64::from(a.feret_mm + b.feret_mm) / 2.0 / f64::from(mm_per_px);
                    if best.is_some_and(|(_, _, best_mm)| floor_px * f64::from(mm_per_px) > best_mm)
                    {
                        continue;
                    }
                    outline_gap_px(a, b)
                }
            };
            let distance_mm = distance_px * f64::from(mm_per_px);
            if best.is_none_or(|(_, _, best_mm)| distance_mm < best_mm) {
                best = Some((a.id, b.id, distance_mm));
            }
        }
    }
    best
}

/// The gap between two outlines: nearest pixel centres less one pixel (each pixel reaches half
/// a pixel beyond its centre), never below 0.
fn outline_gap_px(a: &Pore, b: &Pore) -> f64 {
    let mut nearest_sq = i64::MAX;
    for [ax, ay] in &a.outline_px {
        for [bx, by] in &b.outline_px {
            let (dx, dy) = (
                i64::from(*ax) - i64::from(*bx),
                i64::from(*ay) - i64::from(*by),
            );
            nearest_sq = nearest_sq.min(dx * dx + dy * dy);
        }
    }
    ((nearest_sq as f64).sqrt() - 1.0).max(0.0)
}

/// The part's verdict: the worst zone's.
pub fn part_verdict(judgements: &[ZoneJudgement]) -> Verdict {
    judgements
        .iter()
        .map(|judgement| judgement.verdict)
        .max()
        .unwrap_or(Verdict::Accept)
}

#[cfg(test)]
mod tests;
