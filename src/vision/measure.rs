//! Pores in millimetres: centroid, equivalent diameter, max Feret, area and circularity of each
//! blob, from the camera's calibration (`mm_per_px`, square pixels). Zone-relative measures
//! (edge distance, touching the edge) depend on the zone and live in `rules`.

use serde::{Deserialize, Serialize};

use super::blobs::Blob;

/// One measured pore.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pore {
    /// Index in the inspection's pore list, from 0.
    pub id: usize,
    /// Centroid in image pixels (pixel (0,0) covers [0,1)×[0,1)).
    pub x_px: f32,
    pub y_px: f32,
    /// Diameter of the disc of the same area.
    pub diameter_mm: f32,
    /// Largest distance across the pore (max Feret).
    pub feret_mm: f32,
    pub area_mm2: f32,
    /// Area over the area of the disc its Feret length spans: 1 for a disc, → 0 for a line.
    pub circularity: f32,
    pub score: f32,
    pub area_px: u32,
    /// `[x_min, y_min, x_max, y_max]`, inclusive pixels.
    pub bbox_px: [u32; 4],
    /// The pore's pixels on its outline (4-neighbour outside the pore), for overlays and for
    /// edge-to-edge and zone-edge distances.
    #[serde(skip)]
    pub outline_px: Vec<[u32; 2]>,
}

impl Pore {
    pub fn centroid_px(&self) -> [f32; 2] {
        [self.x_px, self.y_px]
    }

    /// The radius of the disc of the same area, in pixels.
    pub fn radius_px(&self) -> f32 {
        (self.area_px as f32 / std::f32::consts::PI).sqrt()
    }
}

/// Measures one blob as pore `id`.
pub fn measure(blob: &Blob, id: usize, mm_per_px: f32) -> Pore {
    let count = blob.pixels.len().max(1);
    let (sum_x, sum_y) = blob
        .pixels
        .iter()
        .fold((0.0_f64, 0.0_f64), |(sx, sy), [x, y]| {
            (sx + f64::from(*x), sy + f64::from(*y))
        });
    let x_px = (sum_x / count as f64) as f32 + 0.5;
    let y_px = (sum_y / count as f64) as f32 + 0.5;
    let area_px = blob.pixels.len() as f32;
    let area_mm2 = area_px * mm_per_px * mm_per_px;
    let diameter_mm = (4.0 * area_mm2 / std::f32::consts::PI).sqrt();
    let outline_px = outline(blob);
    // Pixel centres span one pixel less than the pixels themselves.
    let feret_px = max_distance_px(&outline_px) + 1.0;
    let feret_mm = feret_px * mm_per_px;
    let circularity = (area_px / (std::f32::consts::FRAC_PI_4 * feret_px * feret_px)).min(1.0);
    Pore {
        id,
        x_px,
        y_px,
        diameter_mm,
        feret_mm,
        area_mm2,
        circularity,
        score: blob.score_mean,
        area_px: blob.pixels.len() as u32,
        bbox_px: blob.bbox_px,
        outline_px,
    }
}

/// Pixels of the blob with a 4-neighbour outside it.
fn outline(blob: &Blob) -> Vec<[u32; 2]> {
    let [x0, y0, x1, y1] = blob.bbox_px;
    let w = (x1 - x0 + 3) as usize;
    let h = (y1 - y0 + 3) as usize;
    // A one-pixel empty border around the bbox so every neighbour has an index.
    let mut inside = vec![false; w * h];
    let index = |x: u32, y: u32| (y - y0 + 1) as usize * w + (x - x0 + 1) as usize;
    for [x, y] in &blob.pixels {
        inside[index(*x, *y)] = true;
    }
    blob.pixels
        .iter()
        .filter(|[x, y]| {
            let i = index(*x, *y);
            !(inside[i - 1] && inside[i + 1] && inside[i - w] && inside[i + w])
        })
        .copied()
        .collect()
}

/// The largest distance between two points (over their convex hull).
fn max_distance_px(points: &[[u32; 2]]) -> f32 {
    let hull = imageproc::geometry::convex_hull(
        points
            .iter()
            .map(|[x, y]| imageproc::point::Point::new(*x as i64, *y as i64))
            .collect::<Vec<_>>(),
    );
    let mut best = 0_i64;
    for (i, a) in hull.iter().enumerate() {
        for b in &hull[i + 1..] {
            best = best.max((a.x - b.x).pow(2) + (a.y - b.y).pow(2));
        }
    }
    (best as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disc(cx: f32, cy: f32, radius_px: f32) -> Blob {
        let mut blob = Blob::disc(cx, cy, radius_px);
        blob.score_mean = 0.8;
        blob
    }

    #[test]
    fn a_disc_measures_its_diameter_in_mm() {
        // Ø 1.0 mm at 0.025 mm/px = 40 px across.
        let pore = measure(&disc(100.3, 80.7, 20.0), 0, 0.025);
        assert!((pore.x_px - 100.3).abs() < 0.1, "{}", pore.x_px);
        assert!((pore.y_px - 80.7).abs() < 0.1, "{}", pore.y_px);
        assert!(
            (pore.diameter_mm - 1.0).abs() < 0.01,
            "{}",
            pore.diameter_mm
        );
        assert!((pore.feret_mm - 1.0).abs() < 0.03, "{}", pore.feret_mm);
        assert!((pore.area_mm2 - std::f32::consts::FRAC_PI_4).abs() < 0.01);
        assert!(pore.circularity > 0.95, "{}", pore.circularity);
        assert_eq!(pore.score, 0.8);
    }

    #[test]
    fn a_line_has_a_long_feret_and_low_circularity() {
        let blob = Blob::from_pixels((10..50).map(|x| [x, 5]).collect(), 1.0);
        let pore = measure(&blob, 3, 0.05);
        assert_eq!(pore.id, 3);
        assert!((pore.feret_mm - 2.0).abs() < 1e-5, "{}", pore.feret_mm);
        assert!(pore.circularity < 0.05);
        assert_eq!(pore.outline_px.len(), 40);
    }
}
