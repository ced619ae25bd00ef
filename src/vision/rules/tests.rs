//! Each rule at, below and above its limit, the warn margins, touching edges and the reasons.

use super::*;
use crate::vision::blobs::Blob;
use crate::vision::measure::measure;

const MM_PER_PX: f32 = 0.05;

/// A rasterised disc pore centred at (cx, cy) px.
fn disc(id: usize, cx: f32, cy: f32, radius_px: f32) -> Pore {
    measure(&Blob::disc(cx, cy, radius_px), id, MM_PER_PX)
}

/// A small pore at (x, y) mm whose equivalent diameter is set exactly.
fn pore_mm(id: usize, x_mm: f32, y_mm: f32, diameter_mm: f32) -> Pore {
    let mut pore = disc(id, x_mm / MM_PER_PX, y_mm / MM_PER_PX, 2.0);
    pore.x_px = x_mm / MM_PER_PX;
    pore.y_px = y_mm / MM_PER_PX;
    pore.diameter_mm = diameter_mm;
    pore.area_mm2 = std::f32::consts::FRAC_PI_4 * diameter_mm * diameter_mm;
    pore
}

/// A 100 × 100 mm zone (2000 px square at 0.05 mm/px) with these rules.
fn zone(rules: ZoneRules) -> Zone {
    Zone {
        name: "face".to_owned(),
        camera: None,
        shape: ZoneShape::Rect {
            x_px: 0.0,
            y_px: 0.0,
            width_px: 2000.0,
            height_px: 2000.0,
        },
        rules,
    }
}

fn verdict(rules: ZoneRules, pores: &[Pore]) -> (Verdict, Vec<Finding>) {
    let judgement = judge_zone(&zone(rules), pores, MM_PER_PX);
    (judgement.verdict, judgement.findings)
}

#[test]
fn max_diameter_at_below_above_and_warn() {
    let rules = ZoneRules {
        max_diameter_mm: Some(1.0),
        ..ZoneRules::default()
    };
    let at = [pore_mm(0, 10.0, 10.0, 1.0), pore_mm(1, 30.0, 10.0, 0.5)];
    assert_eq!(verdict(rules.clone(), &at).0, Verdict::Accept);
    let above = [pore_mm(0, 10.0, 10.0, 1.01), pore_mm(1, 30.0, 10.0, 1.2)];
    let (v, findings) = verdict(rules.clone(), &above);
    assert_eq!(v, Verdict::Reject);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].pore_ids, vec![0, 1]);
    assert!((findings[0].measured - 1.2).abs() < 1e-6);
    assert_eq!(
        findings[0].to_string(),
        "REJECT zone \"face\": pores #1, #2 Ø 1.20 mm, max 1.00 mm"
    );
    let warned = ZoneRules {
        warn_ratio: Some(0.8),
        ..rules
    };
    assert_eq!(
        verdict(warned.clone(), &[pore_mm(0, 10.0, 10.0, 0.8)]).0,
        Verdict::Accept,
        "at the warn margin is not above it"
    );
    let (v, findings) = verdict(warned, &[pore_mm(0, 10.0, 10.0, 0.85)]);
    assert_eq!(v, Verdict::Warn);
    assert_eq!(
        findings[0].to_string(),
        "WARN zone \"face\": pore #1 Ø 0.85 mm, close to max 1.00 mm"
    );
}

#[test]
fn ignore_below_removes_pores_from_every_rule() {
    let rules = ZoneRules {
        ignore_below_mm: Some(0.2),
        max_count: Some(1),
        max_diameter_mm: Some(0.1),
        ..ZoneRules::default()
    };
    let (v, findings) = verdict(
        rules.clone(),
        &[pore_mm(0, 10.0, 10.0, 0.19), pore_mm(1, 20.0, 10.0, 0.2)],
    );
    // Pore 1 (at the floor) counts and is too big; pore 0 counts for nothing.
    assert_eq!(v, Verdict::Reject);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, Rule::MaxDiameter);
    assert_eq!(findings[0].pore_ids, vec![1]);
    let judgement = judge_zone(&zone(rules), &[pore_mm(0, 10.0, 10.0, 0.19)], MM_PER_PX);
    assert!(!judgement.pores[0].counted);
}

#[test]
fn max_count_at_above_and_warn() {
    let rules = ZoneRules {
        max_count: Some(3),
        ..ZoneRules::default()
    };
    let pores: Vec<Pore> = (0..4)
        .map(|i| pore_mm(i, 10.0 + 10.0 * i as f32, 50.0, 0.5))
        .collect();
    assert_eq!(verdict(rules.clone(), &pores[..3]).0, Verdict::Accept);
    assert_eq!(verdict(rules.clone(), &pores[..2]).0, Verdict::Accept);
    let (v, findings) = verdict(rules.clone(), &pores);
    assert_eq!(v, Verdict::Reject);
    assert_eq!(
        findings[0].to_string(),
        "REJECT zone \"face\": 4 pores counted, max 3"
    );
    let warned = ZoneRules {
        warn_ratio: Some(0.8),
        ..rules
    };
    assert_eq!(verdict(warned.clone(), &pores[..3]).0, Verdict::Warn);
    assert_eq!(verdict(warned, &pores[..2]).0, Verdict::Accept);
}

#[test]
fn circle_window_finds_the_densest_placement() {
    let rules = ZoneRules {
        window_mm: Some(10.0),
        max_in_window: Some(2),
        ..ZoneRules::default()
    };
    // Two centres exactly one diameter apart fit (on the rim); a third between them breaks it.
    let pair = [pore_mm(0, 20.0, 20.0, 0.5), pore_mm(1, 30.0, 20.0, 0.5)];
    assert_eq!(verdict(rules.clone(), &pair).0, Verdict::Accept);
    let mut three = pair.to_vec();
    three.push(pore_mm(2, 25.0, 24.0, 0.5));
    let (v, findings) = verdict(rules.clone(), &three);
    assert_eq!(v, Verdict::Reject);
    assert_eq!(findings[0].measured, 3.0);
    assert_eq!(
        findings[0].to_string(),
        "REJECT zone \"face\": 3 pores (pores #1, #2, #3) in one Ø 10 mm circle, max 2"
    );
    // Spread out: any circle holds at most 2 of these (a triangle with sides > 10 mm less the
    // circumradius' reach): 3 points on a circle of radius 5.1 mm do not fit in Ø 10.
    let spread = [
        pore_mm(0, 20.0, 20.0, 0.5),
        pore_mm(1, 28.8, 20.0, 0.5),
        pore_mm(2, 24.4, 27.7, 0.5),
    ];
    assert_eq!(verdict(rules, &spread).0, Verdict::Accept);
}

#[test]
fn square_window_is_image_aligned() {
    let rules = ZoneRules {
        window_mm: Some(5.0),
        window_shape: WindowShape::Square,
        max_in_window: Some(3),
        ..ZoneRules::default()
    };
    // Four corners of a 5 mm square fit in one window; a 5.1 mm square's do not.
    let square = |side: f32| -> Vec<Pore> {
        [(0.0, 0.0), (side, 0.0), (0.0, side), (side, side)]
            .iter()
            .enumerate()
            .map(|(i, (x, y))| pore_mm(i, 20.0 + x, 20.0 + y, 0.3))
            .collect()
    };
    assert_eq!(verdict(rules.clone(), &square(5.0)).0, Verdict::Reject);
    assert_eq!(verdict(rules, &square(5.1)).0, Verdict::Accept);
}

#[test]
fn min_pitch_between_centres_at_below_and_warn() {
    let rules = ZoneRules {
        min_pitch_mm: Some(2.0),
        warn_ratio: Some(0.8),
        ..ZoneRules::default()
    };
    let apart = |gap: f32| {
        [
            pore_mm(0, 10.0, 10.0, 0.3),
            pore_mm(1, 10.0 + gap, 10.0, 0.3),
        ]
    };
    assert_eq!(verdict(rules.clone(), &apart(2.6)).0, Verdict::Accept);
    assert_eq!(verdict(rules.clone(), &apart(2.4)).0, Verdict::Warn);
    assert_eq!(verdict(rules.clone(), &apart(2.0)).0, Verdict::Warn);
    let (v, findings) = verdict(rules, &apart(1.9));
    assert_eq!(v, Verdict::Reject);
    assert_eq!(
        findings[0].to_string(),
        "REJECT zone \"face\": pores #1, #2 1.90 mm apart (centre to centre), min 2.00 mm"
    );
}

#[test]
fn min_pitch_between_edges_measures_the_gap() {
    let rules = ZoneRules {
        min_pitch_mm: Some(1.0),
        pitch_between: PitchBetween::Edges,
        ..ZoneRules::default()
    };
    // Ø 1 mm discs (20 px) with centres 2.0 mm apart: a gap of 1.0 mm (± a pixel).
    let pores = [disc(0, 100.0, 100.0, 10.0), disc(1, 140.0, 100.0, 10.0)];
    let judgement = judge_zone(&zone(rules.clone()), &pores, MM_PER_PX);
    assert_eq!(judgement.verdict, Verdict::Accept);
    let closer = [disc(0, 100.0, 100.0, 10.0), disc(1, 136.0, 100.0, 10.0)];
    let (v, findings) = verdict(rules, &closer);
    assert_eq!(v, Verdict::Reject);
    assert!(
        (findings[0].measured - 0.8).abs() <= 0.051,
        "{}",
        findings[0].measured
    );
}

#[test]
fn edge_distance_and_touching_the_edge() {
    let rules = ZoneRules {
        min_edge_distance_mm: Some(1.0),
        ..ZoneRules::default()
    };
    // A Ø 1 mm disc whose outline is 1.5 mm (30 px) from the left edge.
    let clear = disc(0, 40.0, 500.0, 10.0);
    let judgement = judge_zone(&zone(rules.clone()), &[clear], MM_PER_PX);
    assert_eq!(judgement.verdict, Verdict::Accept);
    let distance = judgement.pores[0].edge_distance_mm;
    assert!((distance - 1.5).abs() <= 0.05, "{distance}");
    // 0.5 mm from the edge.
    let (v, findings) = verdict(rules.clone(), &[disc(0, 20.0, 500.0, 10.0)]);
    assert_eq!(v, Verdict::Reject);
    assert!(
        findings[0]
            .to_string()
            .contains("mm from the zone's edge, min 1.00 mm")
    );
    // Centre inside, outline over the edge: touches, always rejects.
    let (v, findings) = verdict(rules, &[disc(0, 5.0, 500.0, 10.0)]);
    assert_eq!(v, Verdict::Reject);
    assert_eq!(
        findings[0].to_string(),
        "REJECT zone \"face\": pore #1 touches the zone's edge (min edge distance 1.00 mm)"
    );
    // Without the rule, touching is only measured.
    let judgement = judge_zone(
        &zone(ZoneRules::default()),
        &[disc(0, 5.0, 500.0, 10.0)],
        MM_PER_PX,
    );
    assert_eq!(judgement.verdict, Verdict::Accept);
    assert!(judgement.pores[0].touches_edge);
}

#[test]
fn area_percent_over_the_zone() {
    // The zone is 10 000 mm²; 0.5 % is 50 mm².
    let rules = ZoneRules {
        max_area_percent: Some(0.5),
        ..ZoneRules::default()
    };
    let with_area = |id: usize, x_mm: f32, area_mm2: f32| {
        let mut pore = pore_mm(id, x_mm, 10.0, 1.0);
        pore.area_mm2 = area_mm2;
        pore
    };
    let at = [with_area(0, 10.0, 25.0), with_area(1, 50.0, 25.0)];
    assert_eq!(verdict(rules.clone(), &at).0, Verdict::Accept);
    let above = [with_area(0, 10.0, 25.0), with_area(1, 50.0, 25.5)];
    let (v, findings) = verdict(rules, &above);
    assert_eq!(v, Verdict::Reject);
    assert!((findings[0].measured - 0.505).abs() < 1e-3);
}

#[test]
fn only_pores_centred_in_the_zone_are_judged_and_the_worst_zone_decides() {
    let small = Zone {
        name: "seal".to_owned(),
        camera: None,
        shape: ZoneShape::Polygon {
            points_px: vec![[0.0, 0.0], [400.0, 0.0], [0.0, 400.0]],
        },
        rules: ZoneRules {
            max_count: Some(0),
            ..ZoneRules::default()
        },
    };
    let outside = pore_mm(0, 15.0, 15.0, 0.5); // (300, 300) px: beyond the hypotenuse
    let judgement = judge_zone(&small, std::slice::from_ref(&outside), MM_PER_PX);
    assert!(judgement.pores.is_empty());
    assert_eq!(judgement.verdict, Verdict::Accept);
    let inside = pore_mm(1, 5.0, 5.0, 0.5);
    let rejected = judge_zone(&small, &[outside, inside], MM_PER_PX);
    assert_eq!(rejected.verdict, Verdict::Reject);
    let accepted = judge_zone(&zone(ZoneRules::default()), &[], MM_PER_PX);
    assert_eq!(
        part_verdict(std::slice::from_ref(&accepted)),
        Verdict::Accept
    );
    assert_eq!(part_verdict(&[accepted, rejected]), Verdict::Reject);
}

#[test]
fn rule_sets_are_checked_naming_the_field() {
    assert_eq!(ZoneRules::station_default().validate(), Ok(()));
    let negative = ZoneRules {
        max_diameter_mm: Some(-1.0),
        ..ZoneRules::default()
    };
    assert_eq!(
        negative.validate().unwrap_err().to_string(),
        "max_diameter_mm must be a number above 0 (got -1)"
    );
    let half = ZoneRules {
        window_mm: Some(10.0),
        ..ZoneRules::default()
    };
    assert_eq!(half.validate(), Err(RulesError::HalfWindow));
    let ratio = ZoneRules {
        warn_ratio: Some(1.0),
        ..ZoneRules::default()
    };
    assert_eq!(ratio.validate(), Err(RulesError::WarnRatio(1.0)));
    let toml_text =
        "max_count = 3\nwindow_mm = 10.0\nmax_in_window = 2\nwindow_shape = \"square\"\n";
    let parsed: ZoneRules = toml::from_str(toml_text).unwrap();
    assert_eq!(parsed.window_shape, WindowShape::Square);
    assert!(
        toml::from_str::<ZoneRules>("max_cuont = 3").is_err(),
        "typos are refused"
    );
}
