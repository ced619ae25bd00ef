//! The alignment pattern (version 2 and up): a 5×5 square with a dark centre module and a light
//! ring, 3 modules in from the bottom-right corner. Found near where the three finder patterns
//! put it, it pins the fourth corner of the perspective transform, which the finder patterns
//! alone cannot on a tilted or curved part.

use super::binarize::BitMatrix;

/// Looks for a light-dark-light crossing of about one module each (rows, then the column
/// through its centre) within `radius_px` of `(x, y)`; returns the candidate nearest the estimate.
pub fn find_near(
    bits: &BitMatrix,
    x: f32,
    y: f32,
    module_px: f32,
    radius_px: f32,
) -> Option<(f32, f32)> {
    let top = (y - radius_px).max(0.0) as usize;
    let bottom = ((y + radius_px) as usize).min(bits.height().saturating_sub(1));
    let left = (x - radius_px).max(0.0) as usize;
    let right = ((x + radius_px) as usize).min(bits.width().saturating_sub(1));
    if top >= bottom || left >= right {
        return None;
    }
    let mut best: Option<(f32, f32, f32)> = None;
    for row in top..=bottom {
        let mut column = left;
        while column <= right {
            if !bits.dark(column, row) {
                column += 1;
                continue;
            }
            let start = column;
            while column <= right && bits.dark(column, row) {
                column += 1;
            }
            let centre_x = (start + column) as f32 / 2.0;
            if is_centre_run(bits, start, column, row, module_px)
                && let Some(centre_y) = vertical_centre(bits, centre_x, row, module_px)
            {
                let distance = (centre_x - x).hypot(centre_y - y);
                if best.is_none_or(|(_, _, d)| distance < d) {
                    best = Some((centre_x, centre_y, distance));
                }
            }
        }
    }
    best.map(|(x, y, _)| (x, y))
}

/// Whether the width is within 50 % of `module` pixels.
fn about_one_module(width: usize, module_px: f32) -> bool {
    (width as f32 - module_px).abs() <= module_px * 0.5 + 0.5
}

/// A dark run `[start, end)` on `row` about one module wide with a module of light each side.
fn is_centre_run(bits: &BitMatrix, start: usize, end: usize, row: usize, module_px: f32) -> bool {
    if !about_one_module(end - start, module_px) {
        return false;
    }
    let mut left = 0;
    while start > left && !bits.dark(start - left - 1, row) {
        left += 1;
    }
    let mut right = 0;
    while !bits.dark(end + right, row) && end + right < bits.width() {
        right += 1;
    }
    about_one_module(left, module_px) && about_one_module(right, module_px)
}

/// The column through `x` must cross light-dark-light about a module each; returns the dark
/// run's centre row.
fn vertical_centre(bits: &BitMatrix, x: f32, row: usize, module_px: f32) -> Option<f32> {
    let column = x as usize;
    let mut top = row;
    while top > 0 && bits.dark(column, top - 1) {
        top -= 1;
    }
    let mut bottom = row + 1;
    while bits.dark(column, bottom) && bottom < bits.height() {
        bottom += 1;
    }
    if !about_one_module(bottom - top, module_px) {
        return None;
    }
    let mut above = 0;
    while top > above && !bits.dark(column, top - above - 1) {
        above += 1;
    }
    let mut below = 0;
    while !bits.dark(column, bottom + below) && bottom + below < bits.height() {
        below += 1;
    }
    (about_one_module(above, module_px) && about_one_module(below, module_px))
        .then_some((top + bottom) as f32 / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_pattern_nearest_the_estimate() {
        let module = 4;
        let mut bits = BitMatrix::new(120, 120);
        // A 5×5-module alignment pattern with its top-left at (40, 48).
        for my in 0..5 {
            for mx in 0..5 {
                let ring = mx.min(my).min(4 - mx).min(4 - my);
                for y in 0..module {
                    for x in 0..module {
                        bits.set(40 + mx * module + x, 48 + my * module + y, ring != 1);
                    }
                }
            }
        }
        let (x, y) = find_near(&bits, 55.0, 55.0, 4.0, 16.0).unwrap();
        assert!(
            (x - 50.0).abs() <= 1.0 && (y - 58.0).abs() <= 1.0,
            "{x},{y}"
        );
        assert!(find_near(&bits, 100.0, 100.0, 4.0, 8.0).is_none());
    }
}
