//! The perspective transform between a code's module grid and the image: a homography fixed by
//! four point pairs (three finder centres and the alignment pattern or the estimated fourth
//! corner). Built as unit square → quadrilateral on both sides (Heckbert's closed form), so it
//! needs no linear solver.

/// A 3×3 projective transform, row-major, applied as `(x, y, 1) · M`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Perspective {
    m: [f32; 9],
}

impl Perspective {
    /// The transform taking each of `from[i]` to `to[i]`.
    pub fn between(from: [(f32, f32); 4], to: [(f32, f32); 4]) -> Option<Self> {
        let square_to_from = Self::square_to_quad(from)?;
        let from_to_square = square_to_from.adjoint();
        Some(from_to_square.then(&Self::square_to_quad(to)?))
    }

    /// The unit square (0,0),(1,0),(1,1),(0,1) onto the quadrilateral `q` in that order.
    fn square_to_quad(q: [(f32, f32); 4]) -> Option<Self> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let dx3 = x0 - x1 + x2 - x3;
        let dy3 = y0 - y1 + y2 - y3;
        if dx3.abs() < 1e-6 && dy3.abs() < 1e-6 {
            return Some(Self {
                m: [x1 - x0, y1 - y0, 0.0, x2 - x1, y2 - y1, 0.0, x0, y0, 1.0],
            });
        }
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let denominator = dx1 * dy2 - dx2 * dy1;
        if denominator.abs() < 1e-9 {
            return None;
        }
        let a13 = (dx3 * dy2 - dx2 * dy3) / denominator;
        let a23 = (dx1 * dy3 - dx3 * dy1) / denominator;
        Some(Self {
            m: [
                x1 - x0 + a13 * x1,
                y1 - y0 + a13 * y1,
                a13,
                x3 - x0 + a23 * x3,
                y3 - y0 + a23 * y3,
                a23,
                x0,
                y0,
                1.0,
            ],
        })
    }

    /// The adjoint (the inverse up to scale, which a projective map ignores).
    fn adjoint(&self) -> Self {
        let [a11, a12, a13, a21, a22, a23, a31, a32, a33] = self.m;
        Self {
            m: [
                a22 * a33 - a23 * a32,
                a13 * a32 - a12 * a33,
                a12 * a23 - a13 * a22,
                a23 * a31 - a21 * a33,
                a11 * a33 - a13 * a31,
                a13 * a21 - a11 * a23,
                a21 * a32 - a22 * a31,
                a12 * a31 - a11 * a32,
                a11 * a22 - a12 * a21,
            ],
        }
    }

    /// This transform followed by `next`.
    fn then(&self, next: &Self) -> Self {
        let (a, b) = (&self.m, &next.m);
        let mut m = [0.0f32; 9];
        for row in 0..3 {
            for column in 0..3 {
                m[row * 3 + column] = (0..3).map(|k| a[row * 3 + k] * b[k * 3 + column]).sum();
            }
        }
        Self { m }
    }

    /// Where a point goes.
    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.m;
        let w = m[2] * x + m[5] * y + m[8];
        (
            (m[0] * x + m[3] * y + m[6]) / w,
            (m[1] * x + m[4] * y + m[7]) / w,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_each_corner_onto_its_pair() {
        let from = [(3.5, 3.5), (21.5, 3.5), (18.5, 18.5), (3.5, 21.5)];
        let to = [(100.0, 80.0), (300.0, 95.0), (280.0, 260.0), (90.0, 300.0)];
        let transform = Perspective::between(from, to).unwrap();
        for (source, target) in from.iter().zip(to) {
            let (x, y) = transform.apply(source.0, source.1);
            assert!((x - target.0).abs() < 0.01 && (y - target.1).abs() < 0.01);
        }
    }

    #[test]
    fn degenerate_quadrilateral_is_refused() {
        let line = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)];
        assert!(Perspective::between(line, line).is_none());
    }
}
