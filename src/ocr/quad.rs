//! Boxes of text as rotated rectangles: the smallest rectangle around a region (rotating
//! calipers over its convex hull), growing it outwards (the detector's "unclip"), and its four
//! corners in reading order.

use imageproc::point::Point;

/// A rotated rectangle: centre, unit direction of its long side, half extents along that side
/// and across it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct RotatedRect {
    pub centre: [f32; 2],
    pub axis: [f32; 2],
    pub half_along: f32,
    pub half_across: f32,
}

impl RotatedRect {
    /// The smallest-area rectangle holding every point, or `None` for fewer than three distinct
    /// points.
    pub(super) fn around(points: &[Point<i32>]) -> Option<Self> {
        let hull = imageproc::geometry::convex_hull(points.to_vec());
        if hull.len() < 3 {
            return None;
        }
        let mut best: Option<(f32, Self)> = None;
        for (i, a) in hull.iter().enumerate() {
            let b = hull[(i + 1) % hull.len()];
            let (dx, dy) = ((b.x - a.x) as f32, (b.y - a.y) as f32);
            let length = dx.hypot(dy);
            if length == 0.0 {
                continue;
            }
            let u = [dx / length, dy / length];
            let v = [-u[1], u[0]];
            let (mut u_min, mut u_max, mut v_min, mut v_max) =
                (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
            for p in &hull {
                let (px, py) = (p.x as f32, p.y as f32);
                let pu = px * u[0] + py * u[1];
                let pv = px * v[0] + py * v[1];
                u_min = u_min.min(pu);
                u_max = u_max.max(pu);
                v_min = v_min.min(pv);
                v_max = v_max.max(pv);
            }
            let area = (u_max - u_min) * (v_max - v_min);
            if best
                .as_ref()
                .is_some_and(|(best_area, _)| *best_area <= area)
            {
                continue;
            }
            let (cu, cv) = ((u_min + u_max) / 2.0, (v_min + v_max) / 2.0);
            let centre = [cu * u[0] + cv * v[0], cu * u[1] + cv * v[1]];
            // Pixels are cells: a run of n pixel centres covers n pixels, not n − 1.
            let rect = Self::with_sides(
                centre,
                u,
                (u_max - u_min + 1.0) / 2.0,
                (v_max - v_min + 1.0) / 2.0,
            );
            best = Some((area, rect));
        }
        best.map(|(_, rect)| rect)
    }

    /// Normalises so that `axis` runs along the longer side and points right (or down for a
    /// vertical box).
    fn with_sides(centre: [f32; 2], u: [f32; 2], half_u: f32, half_v: f32) -> Self {
        let (mut axis, half_along, half_across) = if half_u >= half_v {
            (u, half_u, half_v)
        } else {
            ([-u[1], u[0]], half_v, half_u)
        };
        if axis[0] < 0.0 || (axis[0] == 0.0 && axis[1] < 0.0) {
            axis = [-axis[0], -axis[1]];
        }
        Self {
            centre,
            axis,
            half_along,
            half_across,
        }
    }

    pub(super) fn area(&self) -> f32 {
        4.0 * self.half_along * self.half_across
    }

    pub(super) fn short_side(&self) -> f32 {
        2.0 * self.half_across
    }

    /// The rectangle grown by `distance` on every side.
    pub(super) fn grown(&self, distance: f32) -> Self {
        Self {
            half_along: self.half_along + distance,
            half_across: self.half_across + distance,
            ..*self
        }
    }

    /// Whether a point lies inside.
    pub(super) fn contains(&self, x: f32, y: f32) -> bool {
        let (dx, dy) = (x - self.centre[0], y - self.centre[1]);
        let along = dx * self.axis[0] + dy * self.axis[1];
        let across = -dx * self.axis[1] + dy * self.axis[0];
        along.abs() <= self.half_along && across.abs() <= self.half_across
    }

    /// The corners ordered as the detector reports them: the two leftmost by x give top-left
    /// and bottom-left, the two rightmost top-right and bottom-right (by y), returned clockwise
    /// from top-left. For a vertical box this puts the first edge across the text, which the
    /// cropper recognises by its aspect and turns.
    pub(super) fn corners(&self) -> [[f32; 2]; 4] {
        let (u, v) = (self.axis, [-self.axis[1], self.axis[0]]);
        let at = |su: f32, sv: f32| {
            [
                self.centre[0] + su * self.half_along * u[0] + sv * self.half_across * v[0],
                self.centre[1] + su * self.half_along * u[1] + sv * self.half_across * v[1],
            ]
        };
        let mut points = [at(-1.0, -1.0), at(1.0, -1.0), at(1.0, 1.0), at(-1.0, 1.0)];
        points.sort_by(|a, b| a[0].total_cmp(&b[0]));
        let (left, right) = points.split_at_mut(2);
        left.sort_by(|a, b| a[1].total_cmp(&b[1]));
        right.sort_by(|a, b| a[1].total_cmp(&b[1]));
        [left[0], right[0], right[1], left[1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(x0: i32, y0: i32, w: i32, h: i32) -> Vec<Point<i32>> {
        (y0..y0 + h)
            .flat_map(|y| (x0..x0 + w).map(move |x| Point::new(x, y)))
            .collect()
    }

    #[test]
    fn an_upright_block_gives_its_own_rectangle() {
        let rect = RotatedRect::around(&block(10, 20, 40, 8)).unwrap();
        assert!((rect.half_along - 20.0).abs() < 1e-3, "{rect:?}");
        assert!((rect.half_across - 4.0).abs() < 1e-3, "{rect:?}");
        assert!((rect.centre[0] - 29.5).abs() < 1e-3 && (rect.centre[1] - 23.5).abs() < 1e-3);
        let corners = rect.corners();
        assert!((corners[0][0] - 9.5).abs() < 1e-3 && (corners[0][1] - 19.5).abs() < 1e-3);
        assert!((corners[2][0] - 49.5).abs() < 1e-3 && (corners[2][1] - 27.5).abs() < 1e-3);
        assert!((rect.area() - 320.0).abs() < 1e-2);
    }

    #[test]
    fn a_tilted_line_keeps_its_angle_and_grows_evenly() {
        // A line 60 px long, 6 px thick, at about 30°.
        let (cos, sin) = (30_f32.to_radians().cos(), 30_f32.to_radians().sin());
        let mut points = Vec::new();
        for a in 0..60 {
            for b in 0..6 {
                let (a, b) = (a as f32, b as f32);
                points.push(Point::new(
                    (100.0 + a * cos - b * sin).round() as i32,
                    (50.0 + a * sin + b * cos).round() as i32,
                ));
            }
        }
        let rect = RotatedRect::around(&points).unwrap();
        let angle = rect.axis[1].atan2(rect.axis[0]).to_degrees();
        assert!((angle - 30.0).abs() < 3.0, "angle {angle}");
        let grown = rect.grown(2.0);
        assert!((grown.short_side() - rect.short_side() - 4.0).abs() < 1e-4);
        assert!(grown.contains(rect.centre[0], rect.centre[1]));
        assert!(!rect.contains(0.0, 0.0));
    }

    #[test]
    fn too_few_points_have_no_rectangle() {
        assert!(RotatedRect::around(&[Point::new(1, 1), Point::new(2, 2)]).is_none());
    }
}
