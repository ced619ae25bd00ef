//! Piecewise sampling for large codes (version 7 up) on bent or strongly tilted parts: one
//! homography from three finders and one alignment pattern drifts by a module or more across a
//! large code. Every alignment pattern is looked for where the first homography puts it, and
//! each cell between neighbouring patterns is sampled through its own homography.

use super::alignment;
use super::binarize::BitMatrix;
use super::locate::Placement;
use super::transform::Perspective;

/// Module indices of the alignment pattern centres of a version (the rows and columns they sit
/// on), as the QR standard's table gives them.
pub fn alignment_centres(version: usize) -> Vec<usize> {
    if !(2..=40).contains(&version) {
        return Vec::new();
    }
    let count = version / 7 + 2;
    let last = 4 * version + 10;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
    };
    let mut centres: Vec<usize> = (0..count - 1).map(|i| last - i * step).collect();
    centres.push(6);
    centres.reverse();
    centres
}

/// Module coordinates → image pixels through per-cell homographies.
#[derive(Debug, Clone)]
pub struct Warp {
    /// Cell boundaries along both axes, in module coordinates.
    lines: Vec<f32>,
    /// `(lines.len() - 1)²` homographies, row-major.
    cells: Vec<Perspective>,
}

impl Warp {
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let last = self.lines.len() - 2;
        let cell = |v: f32| {
            self.lines
                .windows(2)
                .position(|pair| v < pair[1])
                .unwrap_or(last)
                .min(last)
        };
        self.cells[cell(y) * (last + 1) + cell(x)].apply(x, y)
    }
}

/// The piecewise mapping of a placement, or `None` below version 7 or when fewer than half the
/// alignment patterns are found.
pub fn refine(bits: &BitMatrix, placement: &Placement) -> Option<Warp> {
    let version = (placement.side.checked_sub(17)?) / 4;
    if version < 7 {
        return None;
    }
    let lines: Vec<f32> = alignment_centres(version)
        .into_iter()
        .map(|centre| centre as f32 + 0.5)
        .collect();
    let n = lines.len();
    let mut points = Vec::with_capacity(n * n);
    let (mut found, mut looked) = (0, 0);
    for (j, &y) in lines.iter().enumerate() {
        for (i, &x) in lines.iter().enumerate() {
            let predicted = placement.transform.apply(x, y);
            // The three corners under the finder patterns hold no alignment pattern.
            let under_finder = (i == 0 && (j == 0 || j == n - 1)) || (i == n - 1 && j == 0);
            if under_finder {
                points.push(predicted);
                continue;
            }
            looked += 1;
            match alignment::find_near(
                bits,
                predicted.0,
                predicted.1,
                placement.module_px,
                2.0 * placement.module_px,
            ) {
                Some(point) => {
                    found += 1;
                    points.push(point);
                }
                None => points.push(predicted),
            }
        }
    }
    if 2 * found < looked {
        return None;
    }
    let mut cells = Vec::with_capacity((n - 1) * (n - 1));
    for j in 0..n - 1 {
        for i in 0..n - 1 {
            let from = [
                (lines[i], lines[j]),
                (lines[i + 1], lines[j]),
                (lines[i + 1], lines[j + 1]),
                (lines[i], lines[j + 1]),
            ];
            let to = [
                points[j * n + i],
                points[j * n + i + 1],
                points[(j + 1) * n + i + 1],
                points[(j + 1) * n + i],
            ];
            cells.push(Perspective::between(from, to)?);
        }
    }
    Some(Warp { lines, cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_centres_match_the_standard_table() {
        assert_eq!(alignment_centres(1), Vec::<usize>::new());
        assert_eq!(alignment_centres(2), [6, 18]);
        assert_eq!(alignment_centres(7), [6, 22, 38]);
        assert_eq!(alignment_centres(15), [6, 26, 48, 70]);
        assert_eq!(alignment_centres(32), [6, 34, 60, 86, 112, 138]);
        assert_eq!(alignment_centres(36), [6, 24, 50, 76, 102, 128, 154]);
        assert_eq!(alignment_centres(40), [6, 30, 58, 86, 114, 142, 170]);
    }
}
