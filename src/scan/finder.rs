//! Finder patterns: the three 7×7 squares in a QR code's corners, found as a dark-light-dark-
//! light-dark run of widths 1:1:3:1:1 along a row, confirmed down the column, along the row again
//! and across the diagonal through the same centre. A centre confirmed on several rows gathers
//! their positions and module sizes; metal texture and print rarely pass all four crossings.

use super::binarize::BitMatrix;

/// A finder pattern's centre in image pixels and its module size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FinderPattern {
    pub x: f32,
    pub y: f32,
    /// Width of one module, in pixels.
    pub module_px: f32,
    /// How many row crossings confirmed it.
    pub count: u32,
}

impl FinderPattern {
    pub fn distance(&self, other: &FinderPattern) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    /// Whether a new crossing at `(x, y)` with `module_px` is this pattern.
    fn same(&self, x: f32, y: f32, module_px: f32) -> bool {
        (y - self.y).abs() <= module_px
            && (x - self.x).abs() <= module_px
            && (module_px - self.module_px).abs() <= module_px.max(self.module_px) * 0.5
    }

    /// Merged with one more crossing (a running average).
    fn merged(&self, x: f32, y: f32, module_px: f32) -> Self {
        let n = self.count as f32;
        Self {
            x: (self.x * n + x) / (n + 1.0),
            y: (self.y * n + y) / (n + 1.0),
            module_px: (self.module_px * n + module_px) / (n + 1.0),
            count: self.count + 1,
        }
    }
}

/// Whether five run widths are in the ratio 1:1:3:1:1, each within `tolerance` modules (and
/// the centre within three times that).
fn is_finder_ratio(runs: &[u32; 5], tolerance: f32) -> bool {
    if runs.contains(&0) {
        return false;
    }
    let total: u32 = runs.iter().sum();
    if total < 7 {
        return false;
    }
    let module = total as f32 / 7.0;
    // Below 3 px per module, most of a pixel more: runs are whole pixels, and at 2 px per
    // module a run of 1 or 3 is quantisation, not a different pattern.
    let slack = if module < 3.0 { 0.75 } else { 0.0 };
    let allowed = module * tolerance + slack;
    (module - runs[0] as f32).abs() < allowed
        && (module - runs[1] as f32).abs() < allowed
        && (3.0 * module - runs[2] as f32).abs() < 3.0 * module * tolerance + slack
        && (module - runs[3] as f32).abs() < allowed
        && (module - runs[4] as f32).abs() < allowed
}

/// Centre of the middle run, given the position just past the last run.
fn centre_from_end(runs: &[u32; 5], end: usize) -> f32 {
    end as f32 - runs[4] as f32 - runs[3] as f32 - runs[2] as f32 / 2.0
}

/// Every finder pattern in the matrix. `row_step` rows are skipped between scanned rows.
pub fn find(bits: &BitMatrix, row_step: usize) -> Vec<FinderPattern> {
    let mut found: Vec<FinderPattern> = Vec::new();
    let step = row_step.max(1);
    let mut y = step / 2;
    while y < bits.height() {
        scan_row(bits, y, &mut found);
        y += step;
    }
    found
}

/// Walks one row keeping the widths of the last five runs (ending on a dark one).
fn scan_row(bits: &BitMatrix, y: usize, found: &mut Vec<FinderPattern>) {
    let row = bits.row(y);
    let mut runs = [0u32; 5];
    let mut state = 0usize;
    for (x, &dark) in row.iter().enumerate() {
        if dark {
            if state % 2 == 1 {
                state += 1;
            }
            runs[state] += 1;
        } else if state % 2 == 1 {
            runs[state] += 1;
        } else if state == 4 {
            if is_finder_ratio(&runs, 0.5) && confirm(bits, &runs, y, x, found) {
                runs = [0; 5];
                state = 0;
            } else {
                runs = [runs[2], runs[3], runs[4], 1, 0];
                state = 3;
            }
        } else {
            state += 1;
            runs[state] += 1;
        }
    }
    if state == 4 && is_finder_ratio(&runs, 0.5) {
        confirm(bits, &runs, y, row.len(), found);
    }
}

/// Checks a row crossing down the column, along the row and across the diagonal; records it.
fn confirm(
    bits: &BitMatrix,
    runs: &[u32; 5],
    y: usize,
    end_x: usize,
    found: &mut Vec<FinderPattern>,
) -> bool {
    let total: u32 = runs.iter().sum();
    let centre_x = centre_from_end(runs, end_x);
    let Some(centre_y) = cross_check(bits, centre_x, y as f32, (0, 1), runs[2] * 2, total) else {
        return false;
    };
    let Some(centre_x) = cross_check(bits, centre_x, centre_y, (1, 0), runs[2] * 2, total) else {
        return false;
    };
    if !diagonal_check(bits, centre_x, centre_y, total) {
        return false;
    }
    let module_px = total as f32 / 7.0;
    match found
        .iter_mut()
        .find(|pattern| pattern.same(centre_x, centre_y, module_px))
    {
        Some(pattern) => *pattern = pattern.merged(centre_x, centre_y, module_px),
        None => found.push(FinderPattern {
            x: centre_x,
            y: centre_y,
            module_px,
            count: 1,
        }),
    }
    true
}

/// Run widths through `(x, y)` along `direction` both ways: dark centre, light ring, dark ring.
/// Each run is capped at `max_run` pixels. Returns the runs and the centre's offset along the
/// direction from `(x, y)`.
fn runs_through(
    bits: &BitMatrix,
    x: f32,
    y: f32,
    direction: (i32, i32),
    max_run: u32,
) -> Option<([u32; 5], f32)> {
    let (x0, y0) = (x as i64, y as i64);
    let at = |k: i64| -> bool {
        let (px, py) = (
            x0 + k * i64::from(direction.0),
            y0 + k * i64::from(direction.1),
        );
        px >= 0 && py >= 0 && bits.dark(px as usize, py as usize)
    };
    if !at(0) {
        return None;
    }
    let mut runs = [0u32; 5];
    // Backwards: centre (2), light (1), dark (0).
    let mut k = 0i64;
    for (index, want_dark) in [(2usize, true), (1, false), (0, true)] {
        while at(k) == want_dark && runs[index] <= max_run {
            runs[index] += 1;
            k -= 1;
            if k < -(4 * max_run as i64) {
                return None;
            }
        }
        if runs[index] == 0 || runs[index] > max_run {
            return None;
        }
    }
    // Forwards from the pixel after the start: the rest of the centre (2), light (3), dark (4).
    let mut k = 1i64;
    let mut forward_centre = 0u32;
    while at(k) && runs[2] + forward_centre <= max_run * 2 {
        forward_centre += 1;
        k += 1;
    }
    for index in [3usize, 4] {
        let want_dark = index == 4;
        while at(k) == want_dark && runs[index] <= max_run {
            runs[index] += 1;
            k += 1;
            if k > 4 * max_run as i64 {
                return None;
            }
        }
        if runs[index] == 0 || runs[index] > max_run {
            return None;
        }
    }
    let backward_centre = runs[2];
    runs[2] += forward_centre;
    // Offset of the middle of the centre run from (x, y), in pixels along the direction.
    let offset = (forward_centre as f32 - (backward_centre as f32 - 1.0)) / 2.0;
    Some((runs, offset))
}

/// Cross-checks a crossing along `direction` and returns the refined centre coordinate along it.
fn cross_check(
    bits: &BitMatrix,
    x: f32,
    y: f32,
    direction: (i32, i32),
    max_run: u32,
    row_total: u32,
) -> Option<f32> {
    let (runs, offset) = runs_through(bits, x, y, direction, max_run)?;
    let total: u32 = runs.iter().sum();
    // Reject when the crossing's size differs from the row's by 40 % or more.
    if 5 * total.abs_diff(row_total) >= 2 * row_total || !is_finder_ratio(&runs, 0.5) {
        return None;
    }
    let along = if direction.0 != 0 { x } else { y };
    Some(along.floor() + 0.5 + offset)
}

/// The same pattern must cross the diagonal through the centre (looser: perspective shears it).
/// Patterns of modules under 3 px skip it: on them the diagonal steps through pixel corners and
/// the 1-module rings break up.
fn diagonal_check(bits: &BitMatrix, x: f32, y: f32, row_total: u32) -> bool {
    if row_total < 21 {
        return true;
    }
    // A diagonal run is at most √2 times the row's; texture must not send the walk far.
    let max_run = row_total;
    [(1, 1), (1, -1)].into_iter().any(|direction| {
        runs_through(bits, x, y, direction, max_run)
            .is_some_and(|(runs, _)| is_finder_ratio(&runs, 0.75))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A finder pattern of `module` pixels at `(left, top)` drawn into a light matrix.
    fn draw_finder(bits: &mut BitMatrix, left: usize, top: usize, module: usize) {
        for my in 0..7 {
            for mx in 0..7 {
                let ring = mx.min(my).min(6 - mx).min(6 - my);
                let dark = ring != 1;
                for y in 0..module {
                    for x in 0..module {
                        bits.set(left + mx * module + x, top + my * module + y, dark);
                    }
                }
            }
        }
    }

    #[test]
    fn finds_three_patterns_with_their_module_size() {
        let mut bits = BitMatrix::new(200, 200);
        draw_finder(&mut bits, 20, 20, 4);
        draw_finder(&mut bits, 140, 20, 4);
        draw_finder(&mut bits, 20, 140, 4);
        let found = find(&bits, 1);
        assert_eq!(found.len(), 3, "{found:?}");
        for pattern in &found {
            assert!((pattern.module_px - 4.0).abs() < 0.5, "{pattern:?}");
            assert!(pattern.count >= 3);
        }
        let top_left = found
            .iter()
            .min_by(|a, b| (a.x + a.y).total_cmp(&(b.x + b.y)))
            .unwrap();
        assert!((top_left.x - 34.0).abs() < 1.0 && (top_left.y - 34.0).abs() < 1.0);
    }

    #[test]
    fn stripes_are_not_finder_patterns() {
        // Vertical stripes 1:1:3:1:1 along rows, but uniform down the columns.
        let mut bits = BitMatrix::new(100, 100);
        for y in 0..100 {
            for (x0, width) in [(10, 4), (18, 12), (34, 4)] {
                for x in x0..x0 + width {
                    bits.set(x, y, true);
                }
            }
        }
        assert!(find(&bits, 1).is_empty());
    }

    #[test]
    fn ratio_test() {
        assert!(is_finder_ratio(&[2, 2, 6, 2, 2], 0.5));
        assert!(!is_finder_ratio(&[6, 6, 6, 6, 6], 0.5));
        // 2-pixel modules, quantised.
        assert!(is_finder_ratio(&[3, 1, 7, 2, 2], 0.5));
        assert!(!is_finder_ratio(&[0, 2, 6, 2, 2], 0.5));
    }
}
