//! The generator's promises: reproducible, the mask and the list agree, pores never touch,
//! clean parts have no pore but do have dust and scratches.

use super::*;
use crate::vision::blobs::blobs;
use crate::vision::score_map::ScoreMap;

fn scene(seed: u64, clean: bool) -> Rendered {
    let variety = Variety {
        clean,
        ..Variety::all(384, 288)
    };
    render(&SceneParams::sample(seed, &variety))
}

fn mask_components(mask: &GrayImage) -> usize {
    let scores = mask
        .as_raw()
        .iter()
        .map(|v| f32::from(*v) / 255.0)
        .collect();
    let map = ScoreMap::from_scores(mask.width(), mask.height(), scores).unwrap();
    blobs(&map, 0.5, 1).len()
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let (a, b) = (scene(11, false), scene(11, false));
    assert_eq!(a.image.as_raw(), b.image.as_raw());
    assert_eq!(a.mask.as_raw(), b.mask.as_raw());
    assert_eq!(a.truth, b.truth);
    assert_ne!(scene(12, false).image.as_raw(), a.image.as_raw());
}

#[test]
fn mask_and_list_agree_and_pores_never_touch() {
    let mut pores_seen = 0;
    for seed in 0..12 {
        let rendered = scene(seed, false);
        let truth = &rendered.truth;
        let scale = truth.params.mm_per_px;
        let mask_px = rendered.mask.as_raw().iter().filter(|v| **v == 255).count();
        let listed_px: f32 = truth
            .pores
            .iter()
            .map(|p| p.area_mm2 / (scale * scale))
            .sum();
        assert!((mask_px as f32 - listed_px).abs() < 0.5 + truth.pores.len() as f32 * 0.01);
        assert_eq!(
            mask_components(&rendered.mask),
            truth.pores.len(),
            "seed {seed}"
        );
        for pore in &truth.pores {
            let (x, y) = (pore.x_px as u32, pore.y_px as u32);
            assert!(x < truth.params.width_px && y < truth.params.height_px);
            assert!(
                pore.diameter_mm >= 0.05 && pore.diameter_mm <= 3.3,
                "{pore:?}"
            );
            assert!(pore.feret_mm >= pore.diameter_mm * 0.9);
        }
        pores_seen += truth.pores.len();
    }
    assert!(pores_seen > 30, "only {pores_seen} pores in 12 scenes");
}

#[test]
fn a_clean_part_has_dust_and_scratches_but_no_pore() {
    for seed in 0..4 {
        let rendered = scene(seed, true);
        assert!(rendered.truth.pores.is_empty());
        assert!(rendered.mask.as_raw().iter().all(|v| *v == 0));
        assert!(rendered.truth.dust >= 5 && rendered.truth.scratches >= 1);
    }
}

#[test]
fn truth_files_round_trip_and_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rendered = scene(3, false);
    write(&rendered, dir.path(), "porosity-000003").unwrap();
    let truth = read_truth(&dir.path().join("porosity-000003.json")).unwrap();
    assert_eq!(truth, rendered.truth);
    let back = image::open(dir.path().join("porosity-000003-mask.png")).unwrap();
    assert_eq!(back.to_luma8().as_raw(), rendered.mask.as_raw());
    std::fs::write(dir.path().join("bad.json"), "{\"params\": 3}").unwrap();
    let err = read_truth(&dir.path().join("bad.json"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.json") && err.contains("not a porosity truth file"),
        "{err}"
    );
}
