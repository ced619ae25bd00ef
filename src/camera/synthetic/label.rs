//! Circuit boards passing on a conveyor belt, each with components, traces and a white serial
//! label carrying the serial as text and as a QR code. The world is two boards wide and tiles
//! horizontally; each pass brings boards with new serials.

use ab_glyph::{FontRef, PxScale};
use image::{Rgba, RgbaImage};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::texture::{fbm, fill_disc, fill_rect, grain, paint, qr_modules};
use crate::camera::{CameraError, FrameSize};

/// The belt moves this fraction of the view's width per second.
pub(super) const CONVEYOR_FRACTION_PER_SEC: f64 = 0.16;
/// Seconds for the belt to carry one world (two boards) past.
pub(super) const PASS_SECS: f64 = 2.0 / CONVEYOR_FRACTION_PER_SEC;

fn font() -> Result<FontRef<'static>, CameraError> {
    FontRef::try_from_slice(epaint_default_fonts::HACK_REGULAR).map_err(|err| {
        CameraError::Synthetic {
            scene: "label",
            reason: format!("built-in font: {err}"),
        }
    })
}

/// What every pass shares: the rubber belt and a bare board's solder mask, rendered once.
pub(super) struct Backdrop {
    belt: RgbaImage,
    board: RgbaImage,
}

fn board_origin(view: FrameSize, index: u32) -> (f32, f32) {
    let (vw, vh) = (view.width_px as f32, view.height_px as f32);
    (index as f32 * vw + 0.14 * vw, 0.15 * vh)
}

pub(super) fn backdrop(view: FrameSize, seed: u64) -> Backdrop {
    let (vw, vh) = (view.width_px as f32, view.height_px as f32);
    let scale = vh / 720.0;
    let noise_seed = SmallRng::seed_from_u64(seed ^ 0x1abe1).r#gen::<u32>();
    let mut belt = RgbaImage::new(view.width_px * 2, (vh * 1.04) as u32);
    // Rubber belt with cross seams.
    paint(&mut belt, |x, y| {
        let seam = if (x as u32 % (180.0 * scale) as u32) < (3.0 * scale) as u32 {
            -10.0
        } else {
            0.0
        };
        let v = 44.0
            + 6.0 * fbm(x / 30.0, y / 30.0, 3, noise_seed)
            + 3.0 * grain(x as i32, y as i32, noise_seed)
            + seam;
        [v, v * 1.02, v * 1.05]
    });
    // Solder mask, a little uneven.
    let mask_seed = noise_seed ^ 0x5011;
    let mut board = RgbaImage::new((0.72 * vw) as u32, (0.72 * vh) as u32);
    paint(&mut board, |x, y| {
        let v = fbm(x / 50.0, y / 50.0, 3, mask_seed);
        let g = grain(x as i32, y as i32, mask_seed);
        [16.0 + 4.0 * v, 88.0 + 10.0 * v + 3.0 * g, 46.0 + 6.0 * v]
    });
    Backdrop { belt, board }
}

pub(super) fn render(
    backdrop: &Backdrop,
    view: FrameSize,
    seed: u64,
    pass: u64,
) -> Result<RgbaImage, CameraError> {
    let scale = view.height_px as f32 / 720.0;
    let mut rng = SmallRng::seed_from_u64(seed.wrapping_mul(7919).wrapping_add(pass));
    let mut image = backdrop.belt.clone();
    let font = font()?;
    for board in 0..2_u32 {
        let (x0, y0) = board_origin(view, board);
        image::imageops::replace(&mut image, &backdrop.board, x0 as i64, y0 as i64);
        let serial = 4_000 + (seed % 100) * 10_000 + pass * 2 + u64::from(board);
        draw_board(
            &mut image,
            &font,
            &mut rng,
            x0,
            y0,
            backdrop.board.width() as f32,
            backdrop.board.height() as f32,
            scale,
            serial,
        )?;
    }
    Ok(image)
}

#[allow(clippy::too_many_arguments)]
fn draw_board(
    image: &mut RgbaImage,
    font: &FontRef<'_>,
    rng: &mut SmallRng,
    x0: f32,
    y0: f32,
    w: f32,
    h: f32,
    scale: f32,
    serial: u64,
) -> Result<(), CameraError> {
    // Copper traces under the mask: orthogonal runs.
    let trace = [44.0, 128.0, 70.0];
    for _ in 0..40 {
        let (mut x, mut y) = (
            x0 + rng.gen_range(0.05..0.95) * w,
            y0 + rng.gen_range(0.05..0.95) * h,
        );
        for _ in 0..3 {
            let length = rng.gen_range(20.0..160.0) * scale;
            let thickness = rng.gen_range(1.5..4.0) * scale;
            if rng.gen_bool(0.5) {
                let x1 = (x + length).min(x0 + w - 4.0);
                fill_rect(image, x, y, x1, y + thickness, trace);
                x = x1;
            } else {
                let y1 = (y + length).min(y0 + h - 4.0);
                fill_rect(image, x, y, x + thickness, y1, trace);
                y = y1;
            }
        }
    }
    // Mounting holes in the corners.
    for (fx, fy) in [(0.04, 0.07), (0.96, 0.07), (0.04, 0.93), (0.96, 0.93)] {
        fill_disc(
            image,
            x0 + fx * w,
            y0 + fy * h,
            11.0 * scale,
            [196.0, 168.0, 96.0],
        );
        fill_disc(
            image,
            x0 + fx * w,
            y0 + fy * h,
            6.0 * scale,
            [30.0, 30.0, 32.0],
        );
    }
    // Chips with pins, and small passives.
    let white = Rgba([232, 232, 226, 255]);
    for index in 0..3 {
        let (cw, ch) = (
            rng.gen_range(70.0..130.0) * scale,
            rng.gen_range(50.0..100.0) * scale,
        );
        let cx = x0 + (0.08 + 0.18 * index as f32) * w;
        let cy = y0 + rng.gen_range(0.12..0.55) * h;
        let pin = 3.0 * scale;
        let mut px = cx + 4.0 * scale;
        while px < cx + cw - 6.0 * scale {
            fill_rect(
                image,
                px,
                cy - 7.0 * scale,
                px + pin,
                cy + ch + 7.0 * scale,
                [178.0, 180.0, 184.0],
            );
            px += 8.0 * scale;
        }
        fill_rect(image, cx, cy, cx + cw, cy + ch, [26.0, 26.0, 30.0]);
        imageproc::drawing::draw_text_mut(
            image,
            white,
            cx as i32,
            (cy + ch + 10.0 * scale) as i32,
            PxScale::from(16.0 * scale),
            font,
            &format!("U{}", index + 1),
        );
    }
    for _ in 0..24 {
        let px = x0 + rng.gen_range(0.05..0.6) * w;
        let py = y0 + rng.gen_range(0.65..0.92) * h;
        let (pw, ph) = (16.0 * scale, 8.0 * scale);
        fill_rect(image, px, py, px + pw, py + ph, [150.0, 110.0, 70.0]);
        fill_rect(
            image,
            px,
            py,
            px + 4.0 * scale,
            py + ph,
            [200.0, 200.0, 205.0],
        );
        fill_rect(
            image,
            px + pw - 4.0 * scale,
            py,
            px + pw,
            py + ph,
            [200.0, 200.0, 205.0],
        );
    }
    // The serial label: QR on the left, text on the right.
    let (lx, ly, lw, lh) = (x0 + 0.62 * w, y0 + 0.6 * h, 0.34 * w, 0.3 * h);
    fill_rect(image, lx, ly, lx + lw, ly + lh, [236.0, 236.0, 230.0]);
    let serial_text = format!("QC26-{serial:06}");
    let modules =
        qr_modules(&format!("SN:{serial_text}")).map_err(|reason| CameraError::Synthetic {
            scene: "label",
            reason,
        })?;
    let module_px = ((lh * 0.8) / modules.len() as f32).floor().max(1.0);
    let (qx, qy) = (lx + 0.08 * lh, ly + 0.1 * lh);
    for (row, line) in modules.iter().enumerate() {
        for (col, dark) in line.iter().enumerate() {
            if *dark {
                let x = qx + col as f32 * module_px;
                let y = qy + row as f32 * module_px;
                fill_rect(
                    image,
                    x,
                    y,
                    x + module_px,
                    y + module_px,
                    [20.0, 20.0, 22.0],
                );
            }
        }
    }
    let text_x = qx + modules.len() as f32 * module_px + 0.08 * lh;
    let ink = Rgba([18, 18, 20, 255]);
    let lines = [
        format!("SN {serial_text}"),
        "PN 7741-220 REV C".to_owned(),
        "MADE IN EU 2026-11".to_owned(),
    ];
    let line_px = lh / 4.2;
    // Hack is monospaced, about 0.6 em per character: size the text so the longest line fits.
    let longest = lines
        .iter()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(1) as f32;
    let room_px = (lx + lw - 0.05 * lh - text_x).max(1.0);
    let text_px = (line_px * 0.8).min(room_px / (0.61 * longest));
    for (index, text) in lines.iter().enumerate() {
        imageproc::drawing::draw_text_mut(
            image,
            ink,
            text_x as i32,
            (ly + 0.12 * lh + index as f32 * line_px) as i32,
            PxScale::from(text_px),
            font,
            text,
        );
    }
    Ok(())
}
