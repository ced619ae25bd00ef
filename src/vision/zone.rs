//! Zones: the regions of a camera image a recipe judges, as rectangles or polygons in image
//! pixels (x right, y down; pixel (0,0) covers [0,1)×[0,1)). Geometry only: which points are
//! inside, how far a point is from the edge, the area. What a zone allows lives in `rules`.

use serde::{Deserialize, Serialize};

/// The outline of a zone in image pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum ZoneShape {
    Rect {
        x_px: f32,
        y_px: f32,
        width_px: f32,
        height_px: f32,
    },
    /// Corners in order (either direction); the last joins the first.
    Polygon { points_px: Vec<[f32; 2]> },
}

/// Why a zone's outline cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZoneError {
    #[error("a rectangle needs a width and height above 0 px (got {width_px} × {height_px})")]
    EmptyRect { width_px: f32, height_px: f32 },
    #[error("a polygon needs at least 3 points (got {0})")]
    TooFewPoints(usize),
    #[error("point {index} is not a finite number ({x}, {y})")]
    NotFinite { index: usize, x: f32, y: f32 },
    #[error("the polygon encloses no area (its points are on one line)")]
    NoArea,
    #[error("edges {first} and {second} cross: draw the outline without crossing itself")]
    SelfCrossing { first: usize, second: usize },
}

impl ZoneShape {
    /// The whole of a `width_px` × `height_px` image.
    pub fn whole_image(width_px: u32, height_px: u32) -> Self {
        Self::Rect {
            x_px: 0.0,
            y_px: 0.0,
            width_px: width_px as f32,
            height_px: height_px as f32,
        }
    }

    /// The corners, in order.
    pub fn corners_px(&self) -> Vec<[f32; 2]> {
        match self {
            Self::Rect {
                x_px,
                y_px,
                width_px,
                height_px,
            } => vec![
                [*x_px, *y_px],
                [x_px + width_px, *y_px],
                [x_px + width_px, y_px + height_px],
                [*x_px, y_px + height_px],
            ],
            Self::Polygon { points_px } => points_px.clone(),
        }
    }

    /// Checks the outline can be judged: finite, enough points, an area, no self-crossing.
    pub fn validate(&self) -> Result<(), ZoneError> {
        if let Self::Rect {
            width_px,
            height_px,
            ..
        } = self
        {
            // `!(x > 0)` also refuses NaN.
            if !(*width_px > 0.0 && *height_px > 0.0) {
                return Err(ZoneError::EmptyRect {
                    width_px: *width_px,
                    height_px: *height_px,
                });
            }
        }
        let corners = self.corners_px();
        if corners.len() < 3 {
            return Err(ZoneError::TooFewPoints(corners.len()));
        }
        for (index, [x, y]) in corners.iter().enumerate() {
            if !x.is_finite() || !y.is_finite() {
                return Err(ZoneError::NotFinite {
                    index,
                    x: *x,
                    y: *y,
                });
            }
        }
        let n = corners.len();
        for first in 0..n {
            // Neighbouring edges share a corner; only edges two or more apart can cross.
            for second in first + 2..n {
                if first == 0 && second == n - 1 {
                    continue;
                }
                let a = (corners[first], corners[(first + 1) % n]);
                let b = (corners[second], corners[(second + 1) % n]);
                if segments_cross(a, b) {
                    return Err(ZoneError::SelfCrossing { first, second });
                }
            }
        }
        if self.area_px() <= f64::EPSILON {
            return Err(ZoneError::NoArea);
        }
        Ok(())
    }

    /// Whether the point is inside (even–odd rule; a point exactly on an edge may go either way).
    pub fn contains(&self, point: [f32; 2]) -> bool {
        if let Self::Rect {
            x_px,
            y_px,
            width_px,
            height_px,
        } = self
        {
            return point[0] >= *x_px
                && point[0] < x_px + width_px
                && point[1] >= *y_px
                && point[1] < y_px + height_px;
        }
        let corners = self.corners_px();
        let [px, py] = point;
        let mut inside = false;
        let mut previous = corners[corners.len() - 1];
        for &current in &corners {
            let ([x0, y0], [x1, y1]) = (previous, current);
            if (y0 > py) != (y1 > py) {
                let x_cross = x0 + (py - y0) * (x1 - x0) / (y1 - y0);
                if px < x_cross {
                    inside = !inside;
                }
            }
            previous = current;
        }
        inside
    }

    /// Distance from the point to the nearest edge, in pixels (inside or outside).
    pub fn distance_to_edge_px(&self, point: [f32; 2]) -> f32 {
        let corners = self.corners_px();
        let mut best = f32::INFINITY;
        let mut previous = corners[corners.len() - 1];
        for &current in &corners {
            best = best.min(distance_to_segment(point, previous, current));
            previous = current;
        }
        best
    }

    /// Enclosed area in square pixels (shoelace).
    pub fn area_px(&self) -> f64 {
        let corners = self.corners_px();
        let mut twice = 0.0_f64;
        let mut previous = corners[corners.len().saturating_sub(1)];
        for &current in &corners {
            twice += f64::from(previous[0]) * f64::from(current[1])
                - f64::from(current[0]) * f64::from(previous[1]);
            previous = current;
        }
        (twice / 2.0).abs()
    }

    /// Smallest rectangle holding the outline: `[x_min, y_min, x_max, y_max]`.
    pub fn bounds_px(&self) -> [f32; 4] {
        self.corners_px().iter().fold(
            [
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ],
            |[x0, y0, x1, y1], [x, y]| [x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y)],
        )
    }
}

fn distance_to_segment(point: [f32; 2], a: [f32; 2], b: [f32; 2]) -> f32 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length_sq = dx * dx + dy * dy;
    let t = if length_sq > 0.0 {
        (((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / length_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    ((point[0] - cx).powi(2) + (point[1] - cy).powi(2)).sqrt()
}

/// Whether two segments properly cross (touching at an end counts as crossing too).
fn segments_cross(a: ([f32; 2], [f32; 2]), b: ([f32; 2], [f32; 2])) -> bool {
    fn orient(p: [f32; 2], q: [f32; 2], r: [f32; 2]) -> f32 {
        (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    }
    let d1 = orient(b.0, b.1, a.0);
    let d2 = orient(b.0, b.1, a.1);
    let d3 = orient(a.0, a.1, b.0);
    let d4 = orient(a.0, a.1, b.1);
    (d1 * d2 <= 0.0) && (d3 * d4 <= 0.0) && !(d1 == 0.0 && d2 == 0.0 && d3 == 0.0 && d4 == 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l_shape() -> ZoneShape {
        ZoneShape::Polygon {
            points_px: vec![
                [0.0, 0.0],
                [10.0, 0.0],
                [10.0, 4.0],
                [4.0, 4.0],
                [4.0, 10.0],
                [0.0, 10.0],
            ],
        }
    }

    #[test]
    fn polygon_contains_and_area() {
        let zone = l_shape();
        assert!(zone.contains([2.0, 8.0]));
        assert!(zone.contains([8.0, 2.0]));
        assert!(!zone.contains([8.0, 8.0]), "the notch of the L is outside");
        assert!(!zone.contains([-1.0, 2.0]));
        assert!((zone.area_px() - 64.0).abs() < 1e-9);
        zone.validate().unwrap();
    }

    #[test]
    fn distance_to_edge_inside_and_outside() {
        let zone = l_shape();
        assert!((zone.distance_to_edge_px([2.0, 8.0]) - 2.0).abs() < 1e-6);
        assert!((zone.distance_to_edge_px([7.0, 7.0]) - 3.0).abs() < 1e-6);
        let rect = ZoneShape::whole_image(100, 50);
        assert!((rect.distance_to_edge_px([50.0, 10.0]) - 10.0).abs() < 1e-6);
        assert_eq!(rect.bounds_px(), [0.0, 0.0, 100.0, 50.0]);
    }

    #[test]
    fn bad_outlines_are_refused_with_the_reason() {
        let bow_tie = ZoneShape::Polygon {
            points_px: vec![[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 10.0]],
        };
        assert!(matches!(
            bow_tie.validate(),
            Err(ZoneError::SelfCrossing { .. })
        ));
        let line = ZoneShape::Polygon {
            points_px: vec![[0.0, 0.0], [5.0, 5.0], [10.0, 10.0]],
        };
        assert_eq!(line.validate(), Err(ZoneError::NoArea));
        let two = ZoneShape::Polygon {
            points_px: vec![[0.0, 0.0], [5.0, 5.0]],
        };
        assert_eq!(two.validate(), Err(ZoneError::TooFewPoints(2)));
        let flat = ZoneShape::Rect {
            x_px: 0.0,
            y_px: 0.0,
            width_px: 0.0,
            height_px: 5.0,
        };
        assert!(matches!(flat.validate(), Err(ZoneError::EmptyRect { .. })));
        let nan = ZoneShape::Polygon {
            points_px: vec![[0.0, 0.0], [f32::NAN, 5.0], [10.0, 0.0]],
        };
        assert!(matches!(
            nan.validate(),
            Err(ZoneError::NotFinite { index: 1, .. })
        ));
    }
}
