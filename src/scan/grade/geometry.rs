//! Where the symbol's grid really lies, for axial and grid non-uniformity. At points every
//! three modules across the symbol, the ideal pattern of the 6×6 modules around the point (less
//! the modules the error correction found damaged) is
//! slid over the image (coarse, then fine steps of 1/20 module) to where it correlates best;
//! that displaced point is the grid as measured. A least-squares affine fit to all measured
//! points is the reference grid: its two axis lengths give axial non-uniformity, the largest
//! distance of a measured point from it grid non-uniformity.
//!
//! Limits: a camera that is not square to the part adds perspective, which the affine
//! reference does not follow; it shows as grid non-uniformity. Points whose neighbourhood is
//! almost all one colour cannot be placed and are skipped.

use image::GrayImage;

use crate::scan::locate::bilinear;
use crate::scan::transform::Perspective;

/// Half the correlated patch, in modules.
const PATCH_HALF: f32 = 3.0;
/// Sub-samples per module along each axis inside the patch.
const SAMPLES_PER_MODULE: f32 = 3.0;
/// How far the first grid point (the centre) is searched for, in modules.
const SEARCH: f32 = 0.75;
/// How far a later point is searched for around its nearest measured neighbour's displacement.
const NEIGHBOUR_SEARCH: f32 = 0.5;

/// A point in module coordinates and where it lies (pixels, or a displacement in modules).
pub type PointPair = ((f32, f32), (f32, f32));

/// The measured grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridFit {
    /// Module pitch along the code's x and y axes, pixels.
    pub pitch_x_px: f32,
    pub pitch_y_px: f32,
    /// Largest distance of a measured point from the fitted grid, in modules.
    pub worst_deviation_modules: f32,
    /// Each measured point (module coordinates) and how far, in modules, the grid there lies
    /// from where the corners' homography put it.
    pub displacements: Vec<PointPair>,
}

impl GridFit {
    /// The grid's displacement at module coordinates `(u, v)`: the inverse-distance mean of the
    /// four nearest measured points.
    pub fn displacement_at(&self, u: f32, v: f32) -> (f32, f32) {
        let mut nearest: Vec<(f32, (f32, f32))> = self
            .displacements
            .iter()
            .map(|&((pu, pv), d)| ((pu - u).powi(2) + (pv - v).powi(2), d))
            .collect();
        nearest.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (mut sum, mut weights) = ((0.0, 0.0), 0.0);
        for &(d2, (du, dv)) in nearest.iter().take(4) {
            let weight = 1.0 / (d2 + 0.25);
            sum.0 += weight * du;
            sum.1 += weight * dv;
            weights += weight;
        }
        if weights > 0.0 {
            (sum.0 / weights, sum.1 / weights)
        } else {
            (0.0, 0.0)
        }
    }

    /// |X − Y| / mean(X, Y).
    pub fn axial_nonuniformity(&self) -> f32 {
        (self.pitch_x_px - self.pitch_y_px).abs() / ((self.pitch_x_px + self.pitch_y_px) / 2.0)
    }
}

/// Measures the grid of a `side`-module symbol whose ideal modules are `bright` in the image
/// (row-major), skipping the `ignored` ones (damaged: they would not match), placed roughly by `to_image` (module coordinates → pixels). `levels` is the
/// global threshold and half the light–dark swing: the image is correlated through a soft sign
/// around the threshold, so modules of uneven darkness weigh alike and only the edges move the
/// score.
pub fn measure(
    grey: &GrayImage,
    side: usize,
    bright: &[bool],
    to_image: &Perspective,
    levels: (f32, f32),
    ignored: &[bool],
) -> Option<GridFit> {
    let (threshold, half_swing) = levels;
    let soft = |level: f32| ((level - threshold) / (0.5 * half_swing).max(1.0)).clamp(-1.0, 1.0);
    // Outside the symbol is quiet zone: the colour of a light module.
    let quiet_bright = !bright[0];
    // +1 bright, −1 dark, 0 a module known to be damaged (nothing to match).
    let ideal = |u: f32, v: f32| -> f32 {
        if u < 0.0 || v < 0.0 || u >= side as f32 || v >= side as f32 {
            return if quiet_bright { 1.0 } else { -1.0 };
        }
        let i = v as usize * side + u as usize;
        if ignored[i] {
            0.0
        } else if bright[i] {
            1.0
        } else {
            -1.0
        }
    };
    let steps = (2.0 * PATCH_HALF * SAMPLES_PER_MODULE) as usize;
    let offsets: Vec<f32> = (0..steps)
        .map(|i| -PATCH_HALF + (i as f32 + 0.5) / SAMPLES_PER_MODULE)
        .collect();
    // Module corners from the symbol's edge to its far edge, about three apart, both edges
    // included: a grid bends most at its edges (the patch there takes in the quiet zone).
    let spans = side.div_ceil(3);
    let grid_points: Vec<usize> = (0..=spans)
        .map(|k| (k * side + spans / 2) / spans)
        .collect();
    // From the centre outwards, each point searched around its nearest measured neighbour's
    // displacement: a real grid bends smoothly, and a search that starts where the grid is
    // cannot jump a whole module on a pattern that repeats.
    let centre = side as f32 / 2.0;
    let mut order: Vec<(f32, f32)> = grid_points
        .iter()
        .flat_map(|&gy| grid_points.iter().map(move |&gx| (gx as f32, gy as f32)))
        .collect();
    order.sort_by(|a, b| {
        let d = |p: &(f32, f32)| (p.0 - centre).hypot(p.1 - centre);
        d(a).total_cmp(&d(b))
    });
    let mut found: Vec<PointPair> = Vec::new();
    let mut measured: Vec<PointPair> = Vec::new();
    for (u0, v0) in order {
        // The patch's ideal values, mean removed.
        let mut pattern: Vec<(f32, f32, f32)> = Vec::with_capacity(steps * steps);
        for &dy in &offsets {
            for &dx in &offsets {
                pattern.push((dx, dy, ideal(u0 + dx, v0 + dy)));
            }
        }
        let known: Vec<f32> = pattern.iter().map(|p| p.2).filter(|&v| v != 0.0).collect();
        let mean = known.iter().sum::<f32>() / known.len().max(1) as f32;
        if mean.abs() > 0.6 || known.len() * 3 < pattern.len() {
            continue; // almost one colour: nothing to lock onto
        }
        let score = |du: f32, dv: f32| -> Option<f32> {
            let mut sum = 0.0;
            for &(dx, dy, value) in &pattern {
                let (x, y) = to_image.apply(u0 + dx + du, v0 + dy + dv);
                if value != 0.0 {
                    sum += (value - mean) * soft(bilinear(grey, x, y)?);
                }
            }
            Some(sum)
        };
        let (start, reach) = found
            .iter()
            .min_by(|a, b| {
                let d = |p: &PointPair| (p.0.0 - u0).hypot(p.0.1 - v0);
                d(a).total_cmp(&d(b))
            })
            .map_or(((0.0, 0.0), SEARCH), |&(_, offset)| {
                (offset, NEIGHBOUR_SEARCH)
            });
        let Some(best) = search(&score, start, reach) else {
            continue;
        };
        found.push(((u0, v0), best));
        measured.push(((u0, v0), to_image.apply(u0 + best.0, v0 + best.1)));
    }
    let mut grid = fit(&measured)?;
    grid.displacements = found;
    Some(grid)
}

/// The displacement with the best score: a coarse grid over ±`reach` around `start`, then a fine
/// one around the best.
fn search(
    score: &impl Fn(f32, f32) -> Option<f32>,
    start: (f32, f32),
    reach: f32,
) -> Option<(f32, f32)> {
    let mut best: Option<((f32, f32), f32)> = None;
    let consider = |du: f32, dv: f32, best: &mut Option<((f32, f32), f32)>| {
        if let Some(value) = score(du, dv)
            && best.is_none_or(|(_, top)| value > top)
        {
            *best = Some(((du, dv), value));
        }
    };
    let coarse = 0.25;
    let steps = (reach / coarse).round() as i32;
    for j in -steps..=steps {
        for i in -steps..=steps {
            consider(
                start.0 + i as f32 * coarse,
                start.1 + j as f32 * coarse,
                &mut best,
            );
        }
    }
    let ((cu, cv), _) = best?;
    let fine = 0.05;
    for j in -4..=4 {
        for i in -4..=4 {
            consider(cu + i as f32 * fine, cv + j as f32 * fine, &mut best);
        }
    }
    best.map(|(at, _)| at)
}

/// Least-squares affine fit image = A·(u, v, 1) to the measured points.
pub fn fit(points: &[PointPair]) -> Option<GridFit> {
    if points.len() < 4 {
        return None;
    }
    // Normal equations for [u v 1] · [a; b; c], solved for x and for y.
    let mut ata = [[0.0f64; 3]; 3];
    let mut atx = [0.0f64; 3];
    let mut aty = [0.0f64; 3];
    for &((u, v), (x, y)) in points {
        let row = [f64::from(u), f64::from(v), 1.0];
        for i in 0..3 {
            for j in 0..3 {
                ata[i][j] += row[i] * row[j];
            }
            atx[i] += row[i] * f64::from(x);
            aty[i] += row[i] * f64::from(y);
        }
    }
    let cx = solve3(ata, atx)?;
    let cy = solve3(ata, aty)?;
    let pitch_x = cx[0].hypot(cy[0]);
    let pitch_y = cx[1].hypot(cy[1]);
    let pitch = (pitch_x + pitch_y) / 2.0;
    if pitch <= f64::EPSILON {
        return None;
    }
    let worst = points
        .iter()
        .map(|&((u, v), (x, y))| {
            let (u, v) = (f64::from(u), f64::from(v));
            let fx = cx[0] * u + cx[1] * v + cx[2];
            let fy = cy[0] * u + cy[1] * v + cy[2];
            (fx - f64::from(x)).hypot(fy - f64::from(y))
        })
        .fold(0.0, f64::max);
    Some(GridFit {
        pitch_x_px: pitch_x as f32,
        pitch_y_px: pitch_y as f32,
        worst_deviation_modules: (worst / pitch) as f32,
        displacements: Vec::new(),
    })
}

/// Solves a 3×3 system by Cramer's rule.
fn solve3(m: [[f64; 3]; 3], b: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut out = [0.0; 3];
    for (column, value) in out.iter_mut().enumerate() {
        let mut replaced = m;
        for row in 0..3 {
            replaced[row][column] = b[row];
        }
        *value = det(&replaced) / d;
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_affine_grid_fits_exactly_and_its_axes_are_measured() {
        let points: Vec<_> = (0..5)
            .flat_map(|j| (0..5).map(move |i| (i as f32 * 3.0, j as f32 * 3.0)))
            .map(|(u, v)| ((u, v), (10.0 + 8.8 * u + 0.5 * v, 20.0 - 0.4 * u + 8.0 * v)))
            .collect();
        let fit = fit(&points).unwrap();
        assert!((fit.pitch_x_px - 8.8f32.hypot(0.4)).abs() < 1e-3);
        assert!((fit.pitch_y_px - 8.0f32.hypot(0.5)).abs() < 1e-3);
        assert!(fit.worst_deviation_modules < 1e-3);
        assert!((fit.axial_nonuniformity() - 0.0974).abs() < 0.01);
    }

    #[test]
    fn one_displaced_point_is_the_worst_deviation() {
        let mut points: Vec<_> = (0..5)
            .flat_map(|j| (0..5).map(move |i| (i as f32, j as f32)))
            .map(|(u, v)| ((u, v), (10.0 * u, 10.0 * v)))
            .collect();
        points[12].1.0 += 5.0; // half a module, at the centre
        let fit = fit(&points).unwrap();
        assert!((0.4..0.5).contains(&fit.worst_deviation_modules), "{fit:?}");
    }
}
