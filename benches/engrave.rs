//! G-code generation and time estimation for QR codes of 21×21 to 57×57 modules.

#![allow(clippy::unwrap_used, clippy::expect_used)] // benchmark setup: a failure is a bug

use criterion::{Criterion, criterion_group, criterion_main};
use qcstation::domain::EcLevel;
use qcstation::engrave::{LaserSettings, estimate, raster_gcode};
use qcstation::qr::QrSymbol;

fn matrix(version: i16) -> QrSymbol {
    let code = qrcode::QrCode::with_version(
        b"PAD-00001",
        qrcode::Version::Normal(version),
        qrcode::EcLevel::M,
    )
    .unwrap();
    let width = code.width();
    let colours = code.to_colors();
    let rows: Vec<Vec<bool>> = colours
        .chunks(width)
        .map(|row| row.iter().map(|c| *c == qrcode::Color::Dark).collect())
        .collect();
    QrSymbol::from_rows("bench", EcLevel::H, &rows)
}

fn gcode(c: &mut Criterion) {
    let settings = LaserSettings::default();
    for (version, modules) in [(1, 21), (6, 41), (10, 57)] {
        let matrix = matrix(version);
        assert_eq!(matrix.modules(), modules);
        c.bench_function(&format!("raster_gcode_{modules}x{modules}"), |b| {
            b.iter(|| raster_gcode(&matrix, &settings))
        });
        let text = raster_gcode(&matrix, &settings).text();
        c.bench_function(&format!("estimate_{modules}x{modules}"), |b| {
            b.iter(|| estimate(&text, &settings.machine))
        });
    }
}

criterion_group!(benches, gcode);
criterion_main!(benches);
