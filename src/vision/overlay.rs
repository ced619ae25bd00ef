//! The overlay drawn on an inspected image, for the stored record and the CLI: zones outlined
//! (red when they rejected, amber when they warned), every pore's outline, and a ring around
//! the pores a rule failed on. The live view draws the same with egui; this is the raster form.

use image::{GrayImage, Rgba, RgbaImage};
use imageproc::drawing::{draw_hollow_circle_mut, draw_line_segment_mut};

use super::inspect::Inspection;
use crate::domain::Verdict;

const PORE: Rgba<u8> = Rgba([0, 200, 255, 255]);
const ZONE: Rgba<u8> = Rgba([80, 220, 80, 255]);
const WARN: Rgba<u8> = Rgba([255, 176, 0, 255]);
const REJECT: Rgba<u8> = Rgba([255, 40, 40, 255]);

fn colour(verdict: Verdict) -> Rgba<u8> {
    match verdict {
        Verdict::Accept => ZONE,
        Verdict::Warn => WARN,
        Verdict::Reject => REJECT,
    }
}

/// The grey image in colour with the inspection drawn on it.
pub fn overlay(grey: &GrayImage, inspection: &Inspection) -> RgbaImage {
    let mut image = RgbaImage::from_fn(grey.width(), grey.height(), |x, y| {
        let v = grey.get_pixel(x, y)[0];
        Rgba([v, v, v, 255])
    });
    // Edges on the image's border (a whole-image zone) are pulled onto its last pixels.
    let (right, bottom) = (grey.width() as f32 - 1.0, grey.height() as f32 - 1.0);
    let on_image = |p: [f32; 2]| (p[0].clamp(0.0, right), p[1].clamp(0.0, bottom));
    for (zone, judgement) in inspection.zones.iter().zip(&inspection.judgements) {
        let corners = zone.shape.corners_px();
        let stroke = colour(judgement.verdict);
        for (i, a) in corners.iter().enumerate() {
            let b = corners[(i + 1) % corners.len()];
            draw_line_segment_mut(&mut image, on_image(*a), on_image(b), stroke);
        }
    }
    for pore in &inspection.pores {
        let verdict = inspection.pore_verdict(pore.id);
        let stroke = verdict.map_or(PORE, colour);
        for [x, y] in &pore.outline_px {
            image.put_pixel(*x, *y, stroke);
        }
        if verdict.is_some() {
            let radius = (pore.feret_mm / inspection.mm_per_px / 2.0 + 6.0) as i32;
            let centre = (pore.x_px as i32, pore.y_px as i32);
            draw_hollow_circle_mut(&mut image, centre, radius, stroke);
            draw_hollow_circle_mut(&mut image, centre, radius + 1, stroke);
        }
    }
    image
}
