//! Porosity inspection, stage by stage, on a generated 1280x720 scene (seed 900000, the
//! evaluation seeds): the network on tract, the classical detector, and the whole inspection
//! (detect, blobs, measure, zones and rules) with each. The goals (a verdict within 1 s of the
//! trigger for 4 cameras every 2 s; tract ≤ 1.5× onnxruntime) are checked by `qcstation bench
//! inspect`, which runs the station and the peer in the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup: a failure is a bug

use criterion::{Criterion, criterion_group, criterion_main};
use qcstation::vision::detect::{Detector, DetectorKind};
use qcstation::vision::inspect::inspect;
use qcstation::vision::recipe::Recipe;
use qcstation::vision::synth::{SceneParams, Variety, render};

fn porosity(c: &mut Criterion) {
    let params = SceneParams::sample(900_000, &Variety::all(1280, 720));
    let grey = render(&params).image;
    let recipe = Recipe::station_default();
    let mut group = c.benchmark_group("porosity_1280x720");
    group.sample_size(20);
    for kind in [DetectorKind::Onnx, DetectorKind::Classical] {
        let mut detector = Detector::load(kind).unwrap();
        group.bench_function(format!("scores_{}", kind.as_str()), |b| {
            b.iter(|| detector.scores(&grey, params.mm_per_px).unwrap())
        });
        group.bench_function(format!("inspect_{}", kind.as_str()), |b| {
            b.iter(|| {
                let zones = recipe.zones_for(None, grey.width(), grey.height());
                inspect(
                    &grey,
                    zones,
                    params.mm_per_px,
                    recipe.threshold,
                    &mut detector,
                )
                .unwrap()
            })
        });
    }
    let noise = qcstation::vision::contrast::noise_level(&grey);
    group.bench_function("contrast_noise_level", |b| {
        b.iter(|| qcstation::vision::contrast::noise_level(&grey))
    });
    assert!(noise > 0.0);
    group.finish();
}

criterion_group!(benches, porosity);
criterion_main!(benches);
