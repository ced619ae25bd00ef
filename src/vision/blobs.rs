//! Connected components of a score map above a threshold: each is a candidate pore, with its
//! pixels (holes filled: a pore whose far wall catches the light is still one opening) and its
//! scores. Measuring them in millimetres is `measure`'s job.

use super::score_map::ScoreMap;

/// One 8-connected component.
#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    /// Pixel coordinates `[x, y]`, in scan order.
    pub pixels: Vec<[u32; 2]>,
    /// Mean score over the pixels the threshold kept (filled holes not counted).
    pub score_mean: f32,
    pub score_max: f32,
    /// `[x_min, y_min, x_max, y_max]`, inclusive.
    pub bbox_px: [u32; 4],
}

impl Blob {
    /// A blob of these pixels, each scoring `score` (its box is taken from the pixels).
    pub fn from_pixels(pixels: Vec<[u32; 2]>, score: f32) -> Self {
        let bbox_px = pixels.iter().fold([u32::MAX, u32::MAX, 0, 0], |b, [x, y]| {
            [b[0].min(*x), b[1].min(*y), b[2].max(*x), b[3].max(*y)]
        });
        Self {
            pixels,
            score_mean: score,
            score_max: score,
            bbox_px,
        }
    }

    /// The pixels whose centres lie within `radius_px` of (cx, cy), clipped at x, y = 0; each
    /// scores 0.9.
    #[cfg(test)]
    pub(crate) fn disc(cx: f32, cy: f32, radius_px: f32) -> Self {
        let reach = radius_px.ceil() as i64 + 1;
        let mut pixels = Vec::new();
        for y in (cy as i64 - reach).max(0)..=cy as i64 + reach {
            for x in (cx as i64 - reach).max(0)..=cx as i64 + reach {
                let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
                if dx * dx + dy * dy <= radius_px * radius_px {
                    pixels.push([x as u32, y as u32]);
                }
            }
        }
        Self::from_pixels(pixels, 0.9)
    }
}

/// Components of the pixels scoring at least `threshold`, with at least `min_pixels` pixels
/// once their holes are filled, in scan order of their first pixel.
pub fn blobs(map: &ScoreMap, threshold: f32, min_pixels: usize) -> Vec<Blob> {
    let (width, height) = (map.width_px() as usize, map.height_px() as usize);
    let scores = map.scores();
    let mut seen = vec![false; width * height];
    let mut stack: Vec<usize> = Vec::new();
    let mut found = Vec::new();
    for start in 0..width * height {
        if seen[start] || scores[start] < threshold {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut pixels = Vec::new();
        let (mut sum, mut max) = (0.0_f64, 0.0_f32);
        let mut bbox = [u32::MAX, u32::MAX, 0, 0];
        while let Some(index) = stack.pop() {
            let (x, y) = (index % width, index / width);
            let score = scores[index];
            sum += f64::from(score);
            max = max.max(score);
            pixels.push([x as u32, y as u32]);
            bbox = [
                bbox[0].min(x as u32),
                bbox[1].min(y as u32),
                bbox[2].max(x as u32),
                bbox[3].max(y as u32),
            ];
            for ny in y.saturating_sub(1)..=(y + 1).min(height - 1) {
                for nx in x.saturating_sub(1)..=(x + 1).min(width - 1) {
                    let neighbour = ny * width + nx;
                    if !seen[neighbour] && scores[neighbour] >= threshold {
                        seen[neighbour] = true;
                        stack.push(neighbour);
                    }
                }
            }
        }
        let kept = pixels.len();
        fill_holes(&mut pixels, bbox);
        if pixels.len() >= min_pixels {
            pixels.sort_unstable_by_key(|[x, y]| (*y, *x));
            found.push(Blob {
                pixels,
                score_mean: (sum / kept as f64) as f32,
                score_max: max,
                bbox_px: bbox,
            });
        }
    }
    found
}

/// Adds the pixels of the bounding box that the outside cannot reach without crossing the blob.
fn fill_holes(pixels: &mut Vec<[u32; 2]>, bbox: [u32; 4]) {
    let [x0, y0, x1, y1] = bbox;
    let (w, h) = ((x1 - x0 + 1) as usize, (y1 - y0 + 1) as usize);
    if w < 3 || h < 3 {
        return;
    }
    // 0 = unknown, 1 = blob, 2 = reached from outside.
    let mut cells = vec![0_u8; w * h];
    for [x, y] in pixels.iter() {
        cells[(*y - y0) as usize * w + (*x - x0) as usize] = 1;
    }
    let mut stack: Vec<usize> = Vec::new();
    for x in 0..w {
        stack.push(x);
        stack.push((h - 1) * w + x);
    }
    for y in 0..h {
        stack.push(y * w);
        stack.push(y * w + w - 1);
    }
    // The outside is 4-connected (the blob is 8-connected, so a diagonal gap is not a way out).
    while let Some(index) = stack.pop() {
        if cells[index] != 0 {
            continue;
        }
        cells[index] = 2;
        let (x, y) = (index % w, index / w);
        if x > 0 {
            stack.push(index - 1);
        }
        if x + 1 < w {
            stack.push(index + 1);
        }
        if y > 0 {
            stack.push(index - w);
        }
        if y + 1 < h {
            stack.push(index + w);
        }
    }
    for (index, cell) in cells.iter().enumerate() {
        if *cell == 0 {
            pixels.push([x0 + (index % w) as u32, y0 + (index / w) as u32]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_from(rows: &[&str]) -> ScoreMap {
        let height = rows.len() as u32;
        let width = rows[0].len() as u32;
        let scores = rows
            .iter()
            .flat_map(|row| row.chars().map(|c| if c == '#' { 0.9 } else { 0.1 }))
            .collect();
        ScoreMap::from_scores(width, height, scores).unwrap()
    }

    #[test]
    fn components_are_eight_connected_and_small_ones_dropped() {
        let map = map_from(&[
            "##.....#", //
            ".#......", "..#...#.", "........",
        ]);
        let found = blobs(&map, 0.5, 2);
        assert_eq!(
            found.len(),
            1,
            "the diagonal chain is one blob, singles are dropped"
        );
        assert_eq!(found[0].pixels.len(), 4);
        assert_eq!(found[0].bbox_px, [0, 0, 2, 2]);
        assert!((found[0].score_mean - 0.9).abs() < 1e-6);
    }

    #[test]
    fn holes_are_filled_but_bays_are_not() {
        let map = map_from(&[
            "#####..", //
            "#...#..", "#...#..", "#####..", ".......",
        ]);
        let found = blobs(&map, 0.5, 1);
        assert_eq!(found[0].pixels.len(), 20, "14 ring pixels + 6 hole pixels");
        let bay = map_from(&[
            "#####", //
            "#...#", "#...#", "##.##",
        ]);
        assert_eq!(
            blobs(&bay, 0.5, 1)[0].pixels.len(),
            13,
            "an open bay stays open"
        );
    }
}
