//! From finder patterns to module grids: every plausible triple of patterns (similar module
//! sizes, two legs of similar length at about a right angle) is ordered top-left, top-right,
//! bottom-left, gives the code's size in modules, finds its alignment pattern, and becomes a
//! perspective transform from module coordinates to the image. Best-shaped triples first.

use image::GrayImage;

use super::alignment;
use super::binarize::{Binarized, BitMatrix};
use super::finder::FinderPattern;
use super::transform::Perspective;

/// Smallest and largest QR code side, in modules (version 1 and 40).
const MIN_SIDE: usize = 21;
const MAX_SIDE: usize = 177;
/// How many patterns (the most confirmed) take part in triples.
const MAX_PATTERNS: usize = 24;

/// A code's place in the image: module coordinates → image pixels.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub transform: Perspective,
    /// Side in modules.
    pub side: usize,
    /// Module size, in image pixels (along the legs).
    pub module_px: f32,
}

impl Placement {
    /// The code's outer corners in image pixels: top-left, top-right, bottom-right, bottom-left.
    pub fn corners(&self) -> [(f32, f32); 4] {
        let side = self.side as f32;
        [(0.0, 0.0), (side, 0.0), (side, side), (0.0, side)]
            .map(|(x, y)| self.transform.apply(x, y))
    }
}

/// A triple ordered (top-left, top-right, bottom-left) and how far it is from an ideal square
/// corner (0 is perfect).
#[derive(Debug, Clone, Copy)]
pub struct Triple {
    pub indices: [usize; 3],
    pub misfit: f32,
}

/// Plausible triples of the most-confirmed patterns, best-shaped first.
pub fn triples(patterns: &[FinderPattern]) -> Vec<Triple> {
    // A real finder pattern crosses several rows; a pattern seen on one row is texture, unless
    // there is nothing better (a code of 1-pixel modules).
    let confirmed = patterns.iter().filter(|pattern| pattern.count >= 2).count();
    let mut order: Vec<usize> = (0..patterns.len())
        .filter(|&index| confirmed < 3 || patterns[index].count >= 2)
        .collect();
    order.sort_by(|&a, &b| patterns[b].count.cmp(&patterns[a].count));
    order.truncate(MAX_PATTERNS);
    let mut out = Vec::new();
    for (i, &a) in order.iter().enumerate() {
        for (j, &b) in order.iter().enumerate().skip(i + 1) {
            for &c in order.iter().skip(j + 1) {
                if let Some(triple) = shape(patterns, [a, b, c]) {
                    out.push(triple);
                }
            }
        }
    }
    out.sort_by(|a, b| a.misfit.total_cmp(&b.misfit));
    out
}

/// Orders three patterns and scores their shape; `None` when they cannot be one code.
fn shape(patterns: &[FinderPattern], indices: [usize; 3]) -> Option<Triple> {
    let [p, q, r] = indices.map(|index| patterns[index]);
    let sizes = [p.module_px, q.module_px, r.module_px];
    let (smallest, largest) = sizes
        .iter()
        .fold((f32::MAX, 0f32), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    if largest > smallest * 1.7 {
        return None;
    }
    // The corner pattern is the one opposite the longest side.
    let (pq, qr, pr) = (p.distance(&q), q.distance(&r), p.distance(&r));
    let [corner, mut first, mut second] = if qr >= pq && qr >= pr {
        indices
    } else if pr >= pq {
        [indices[1], indices[0], indices[2]]
    } else {
        [indices[2], indices[0], indices[1]]
    };
    let (c, f, s) = (patterns[corner], patterns[first], patterns[second]);
    // Top-right is clockwise from top-left (image y points down).
    if (f.x - c.x) * (s.y - c.y) - (f.y - c.y) * (s.x - c.x) < 0.0 {
        std::mem::swap(&mut first, &mut second);
    }
    let (leg_a, leg_b) = (c.distance(&f), c.distance(&s));
    let hypotenuse = f.distance(&s);
    let mean_module = (p.module_px + q.module_px + r.module_px) / 3.0;
    let modules = (leg_a + leg_b) / 2.0 / mean_module + 7.0;
    if !(MIN_SIDE as f32 - 4.0..=MAX_SIDE as f32 + 8.0).contains(&modules) {
        return None;
    }
    let leg_ratio = leg_a.max(leg_b) / leg_a.min(leg_b).max(1.0);
    let squares = leg_a * leg_a + leg_b * leg_b;
    let right_angle = (hypotenuse * hypotenuse - squares).abs() / squares.max(1.0);
    if leg_ratio > 1.8 || right_angle > 0.5 {
        return None;
    }
    Some(Triple {
        indices: [corner, first, second],
        misfit: (leg_ratio - 1.0) + right_angle + (largest / smallest - 1.0),
    })
}

/// Module size measured along the line from one finder centre towards another: from the centre
/// out through dark, light, dark to the light beyond is 3.5 modules, both ways 7.
fn module_along(bits: &BitMatrix, from: &FinderPattern, to: &FinderPattern) -> Option<f32> {
    let length = from.distance(to);
    if length < 1.0 {
        return None;
    }
    let (dx, dy) = ((to.x - from.x) / length, (to.y - from.y) / length);
    let limit = from.module_px * 6.0;
    let forward = edge_distance(bits, from.x, from.y, dx, dy, limit)?;
    let backward = edge_distance(bits, from.x, from.y, -dx, -dy, limit)?;
    Some((forward + backward) / 7.0)
}

/// Distance from a finder centre to its outer edge along a direction (dark, light, dark, then
/// the first light pixel).
fn edge_distance(bits: &BitMatrix, x: f32, y: f32, dx: f32, dy: f32, limit: f32) -> Option<f32> {
    let mut phase = 0;
    let mut step = 0.0f32;
    while step <= limit {
        let dark = bits.dark_at(x + dx * step, y + dy * step)?;
        let want_dark = phase % 2 == 0;
        if dark != want_dark {
            phase += 1;
            if phase == 3 {
                return Some(step);
            }
        }
        step += 0.5;
    }
    None
}

/// Candidate placements of one triple: the side estimated from the legs (and the sides 4 modules
/// either way), each with the alignment pattern when found and the parallelogram guess otherwise.
pub fn placements(bits: &BitMatrix, patterns: &[FinderPattern], triple: &Triple) -> Vec<Placement> {
    let [top_left, top_right, bottom_left] = triple.indices.map(|index| patterns[index]);
    let module_a = module_along(bits, &top_left, &top_right)
        .zip(module_along(bits, &top_right, &top_left))
        .map(|(a, b)| (a + b) / 2.0)
        .unwrap_or((top_left.module_px + top_right.module_px) / 2.0);
    let module_b = module_along(bits, &top_left, &bottom_left)
        .zip(module_along(bits, &bottom_left, &top_left))
        .map(|(a, b)| (a + b) / 2.0)
        .unwrap_or((top_left.module_px + bottom_left.module_px) / 2.0);
    let module_px = (module_a + module_b) / 2.0;
    let estimate = ((top_left.distance(&top_right) / module_a
        + top_left.distance(&bottom_left) / module_b)
        / 2.0)
        .round() as usize
        + 7;
    let base = match estimate % 4 {
        0 => estimate + 1,
        2 => estimate - 1,
        3 => estimate + 2,
        _ => estimate,
    };
    let corner = (
        top_right.x - top_left.x + bottom_left.x,
        top_right.y - top_left.y + bottom_left.y,
    );
    // The alignment pattern sits 3 modules in from the fourth corner; searched once, for the
    // estimated side (a side 4 modules off moves the guess by well under the search radius).
    let aligned = (base > MIN_SIDE)
        .then(|| {
            let towards = 1.0 - 3.0 / (base as f32 - 7.0);
            let guess = (
                top_left.x + towards * (corner.0 - top_left.x),
                top_left.y + towards * (corner.1 - top_left.y),
            );
            [4.0, 8.0].into_iter().find_map(|radius_modules| {
                alignment::find_near(
                    bits,
                    guess.0,
                    guess.1,
                    module_px,
                    radius_modules * module_px,
                )
            })
        })
        .flatten();
    let mut out = Vec::new();
    for side in [base, base + 4, base.saturating_sub(4)] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&side) {
            continue;
        }
        let far = side as f32 - 3.5;
        let finders = [
            ((3.5, 3.5), (top_left.x, top_left.y)),
            ((far, 3.5), (top_right.x, top_right.y)),
            ((3.5, far), (bottom_left.x, bottom_left.y)),
        ];
        let mut fourths = Vec::new();
        if let Some(found) = aligned.filter(|_| side > MIN_SIDE) {
            fourths.push(((far - 3.0, far - 3.0), found));
        }
        fourths.push(((far, far), corner));
        for fourth in fourths {
            let from = [finders[0].0, finders[1].0, fourth.0, finders[2].0];
            let to = [finders[0].1, finders[1].1, fourth.1, finders[2].1];
            if let Some(transform) = Perspective::between(from, to) {
                out.push(Placement {
                    transform,
                    side,
                    module_px,
                });
            }
        }
    }
    out
}

/// The module grid under a placement: each module centre's grey (bilinear) against the
/// binariser's threshold there.
pub fn sample(
    grey: &GrayImage,
    binarized: &Binarized,
    placement: &Placement,
) -> Option<rqrr::SimpleGrid> {
    sample_with(grey, binarized, placement.side, |x, y| {
        placement.transform.apply(x, y)
    })
}

/// The module grid of a `side`-module code whose module coordinates `to_image` maps to pixels.
pub fn sample_with(
    grey: &GrayImage,
    binarized: &Binarized,
    side: usize,
    to_image: impl Fn(f32, f32) -> (f32, f32),
) -> Option<rqrr::SimpleGrid> {
    let mut modules = vec![false; side * side];
    let mut outside = 0usize;
    for my in 0..side {
        for mx in 0..side {
            let (x, y) = to_image(mx as f32 + 0.5, my as f32 + 0.5);
            match bilinear(grey, x, y) {
                Some(level) => {
                    let threshold = f32::from(binarized.threshold_at(x as usize, y as usize));
                    modules[my * side + mx] = level <= threshold;
                }
                None => outside += 1,
            }
        }
    }
    // A code more than a few rows off the image cannot be corrected back.
    if outside > side * 2 {
        return None;
    }
    Some(rqrr::SimpleGrid::from_func(side, |x, y| {
        modules[y * side + x]
    }))
}

/// Grey at a real-valued point (pixel centres at +0.5), or `None` outside the image.
pub fn bilinear(grey: &GrayImage, x: f32, y: f32) -> Option<f32> {
    let (width, height) = (grey.width() as f32, grey.height() as f32);
    if !(0.0..width).contains(&x) || !(0.0..height).contains(&y) {
        return None;
    }
    let (fx, fy) = (
        (x - 0.5).clamp(0.0, width - 1.0),
        (y - 0.5).clamp(0.0, height - 1.0),
    );
    let (x0, y0) = (fx as u32, fy as u32);
    let (x1, y1) = (
        (x0 + 1).min(grey.width() - 1),
        (y0 + 1).min(grey.height() - 1),
    );
    let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
    let at = |x: u32, y: u32| f32::from(grey.get_pixel(x, y).0[0]);
    let top = at(x0, y0) * (1.0 - tx) + at(x1, y0) * tx;
    let bottom = at(x0, y1) * (1.0 - tx) + at(x1, y1) * tx;
    Some(top * (1.0 - ty) + bottom * ty)
}
