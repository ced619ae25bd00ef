//! The mark grade against marks of known quality (`scan::graded_marks`) and on a crisp code.

use image::{GrayImage, Luma};
use qcstation::domain::EcLevel;
use qcstation::qr::QrSymbol;
use qcstation::scan::grade::grade;
use qcstation::scan::graded_marks::render;
use qcstation::scan::{ScanOptions, decode};

#[test]
fn a_crisp_high_contrast_code_grades_a_with_nothing_corrected() {
    let symbol = QrSymbol::encode("PAD-V0100-L2025-09-00001", EcLevel::M).unwrap();
    let module_px = 8;
    let quiet = 4;
    let size = (symbol.modules() + 2 * quiet) * module_px;
    let image = GrayImage::from_fn(size as u32, size as u32, |x, y| {
        let (col, row) = (x as usize / module_px, y as usize / module_px);
        let dark = (quiet..quiet + symbol.modules()).contains(&col)
            && (quiet..quiet + symbol.modules()).contains(&row)
            && symbol.is_dark(col - quiet, row - quiet);
        Luma([if dark { 30 } else { 220 }])
    });
    let codes = decode(&image, &ScanOptions::default());
    assert_eq!(codes.len(), 1);
    let grade = grade(&image, &codes[0]).unwrap();
    assert_eq!(grade.overall, 4, "{grade:#?}");
    assert_eq!(grade.errors_corrected, 0);
    assert!((grade.cell_contrast.value - (220.0 - 30.0) / 220.0).abs() < 0.02);
    assert!((grade.module_px - 8.0).abs() < 0.2, "{}", grade.module_px);
}

/// Seeds 100–139: each parameter's grade within one step of the truth on the share of the marks
/// read that it reaches today (95 %, grid non-uniformity 85 %: it measures strong distortion
/// low); `bench grade` measures the goal on held-apart seeds.
#[test]
fn grades_follow_the_truth_of_generated_marks() {
    let mut within = [0usize; 6];
    let mut graded = 0;
    for seed in 100..140 {
        let mark = render(seed).unwrap();
        let codes = decode(&mark.image, &ScanOptions::default());
        let Some(code) = codes.iter().find(|code| code.text == mark.payload) else {
            continue;
        };
        let measured = grade(&mark.image, code).unwrap();
        graded += 1;
        for (index, ((_, parameter), truth)) in
            measured.parameters().iter().zip(mark.truth).enumerate()
        {
            within[index] += usize::from(parameter.grade.abs_diff(truth) <= 1);
        }
    }
    assert!(graded >= 28, "only {graded} of 40 marks read");
    let percent = [95, 95, 95, 95, 85, 95];
    for (index, (&count, &minimum)) in within.iter().zip(&percent).enumerate() {
        assert!(
            count * 100 >= graded * minimum,
            "parameter {index}: {count} of {graded} within one grade"
        );
    }
}
