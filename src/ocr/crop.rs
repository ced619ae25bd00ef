//! Cutting a detected line out of the image as an upright strip: the box's quadrilateral is
//! sampled bilinearly onto a rectangle as long and as tall as its longer edges. A strip at
//! least 1.5 times taller than wide is text running up or down the image; it is turned a
//! quarter counter-clockwise so the recogniser sees a row (the orientation stage decides
//! whether it then reads upside down).

use image::{Rgb, RgbImage};

/// How a strip was turned after cutting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Turn {
    None,
    QuarterCounterClockwise,
}

/// Cuts the quadrilateral `corners_px` (clockwise from top-left) out of `image`.
pub(super) fn cut(image: &RgbImage, corners_px: &[[f32; 2]; 4]) -> (RgbImage, Turn) {
    let [p0, p1, p2, p3] = *corners_px;
    let dist = |a: [f32; 2], b: [f32; 2]| (a[0] - b[0]).hypot(a[1] - b[1]);
    let width = dist(p0, p1).max(dist(p3, p2)).round().max(1.0) as u32;
    let height = dist(p0, p3).max(dist(p1, p2)).round().max(1.0) as u32;
    let strip = RgbImage::from_fn(width, height, |x, y| {
        let u = (x as f32 + 0.5) / width as f32;
        let v = (y as f32 + 0.5) / height as f32;
        let top = [p0[0] + u * (p1[0] - p0[0]), p0[1] + u * (p1[1] - p0[1])];
        let bottom = [p3[0] + u * (p2[0] - p3[0]), p3[1] + u * (p2[1] - p3[1])];
        let point = [
            top[0] + v * (bottom[0] - top[0]),
            top[1] + v * (bottom[1] - top[1]),
        ];
        sample(image, point[0] - 0.5, point[1] - 0.5)
    });
    if height as f32 >= 1.5 * width as f32 {
        (
            image::imageops::rotate270(&strip),
            Turn::QuarterCounterClockwise,
        )
    } else {
        (strip, Turn::None)
    }
}

/// Bilinear sample at pixel-centre coordinates, edges replicated.
fn sample(image: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xi: i64, yi: i64| {
        image
            .get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32)
            .0
    };
    let (xi, yi) = (x0 as i64, y0 as i64);
    let (a, b, c, d) = (
        at(xi, yi),
        at(xi + 1, yi),
        at(xi, yi + 1),
        at(xi + 1, yi + 1),
    );
    let mut out = [0_u8; 3];
    for channel in 0..3 {
        let top = f32::from(a[channel]) * (1.0 - fx) + f32::from(b[channel]) * fx;
        let bottom = f32::from(c[channel]) * (1.0 - fx) + f32::from(d[channel]) * fx;
        out[channel] = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
    }
    Rgb(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_axis_aligned_box_cuts_the_same_pixels() {
        let image = RgbImage::from_fn(40, 20, |x, y| Rgb([x as u8 * 5, y as u8 * 10, 7]));
        let (strip, turn) = cut(
            &image,
            &[[10.0, 5.0], [30.0, 5.0], [30.0, 15.0], [10.0, 15.0]],
        );
        assert_eq!(turn, Turn::None);
        assert_eq!(strip.dimensions(), (20, 10));
        assert_eq!(strip.get_pixel(0, 0).0, [50, 50, 7]);
        assert_eq!(strip.get_pixel(19, 9).0, [145, 140, 7]);
    }

    #[test]
    fn a_tall_box_is_turned_to_a_row() {
        let image = RgbImage::from_fn(40, 80, |_, y| Rgb([y as u8, 0, 0]));
        let (strip, turn) = cut(
            &image,
            &[[10.0, 0.0], [20.0, 0.0], [20.0, 60.0], [10.0, 60.0]],
        );
        assert_eq!(turn, Turn::QuarterCounterClockwise);
        assert_eq!(strip.dimensions(), (60, 10));
        // Turned counter-clockwise: the top of the box is now at the left.
        assert!(strip.get_pixel(0, 5).0[0] < strip.get_pixel(59, 5).0[0]);
    }
}
