//! A product photo of one label with known field values: the label card (white, silver or
//! yellow, in one of the bundled faces, with its fields' captions) stuck on a board or a housing,
//! turned 0/90/180/270° plus a few degrees and sheared a little, under uneven light and glare,
//! blurred, noisy and encoded, per `Tier`. The truth gives every line's and field's corners in
//! the photo. The OCR benchmark calls `label_photo` to make its own held-apart sets.

use ab_glyph::FontRef;
use image::{Rgb, RgbImage, Rgba, RgbaImage};
use imageproc::geometric_transformations::{Interpolation, Projection, warp_into};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::backdrop::{Surface, paint, value_noise};
use super::fonts::Face;
use super::optics::{
    PhotoEncoding, blur_gray, blur_rgb, glare, round_trip, sensor_noise, uneven_light,
};
use super::text::{Coverage, draw, scale_for_cap, width_px};
use super::{SynthError, Tier};
use crate::domain::crosscheck::FieldKind;

/// The field values printed on a label, exactly as printed (a deviation may print
/// `12345-0001` or `INF 1619`). Absent fields are not on the label.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LabelFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board_serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_serial: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight_status: Option<String>,
}

impl LabelFields {
    /// The field as printed; a label never carries the job number.
    pub fn value(&self, name: FieldKind) -> Option<&str> {
        match name {
            FieldKind::BoardSerial => self.board_serial.as_deref(),
            FieldKind::PartNumber => self.part_number.as_deref(),
            FieldKind::Revision => self.revision.as_deref(),
            FieldKind::UnitSerial => self.unit_serial.as_deref(),
            FieldKind::FlightStatus => self.flight_status.as_deref(),
            FieldKind::JobNumber => None,
        }
    }

    /// Plausible canonical fields of a board label (two in three) or a unit label, for
    /// benchmarks that need many labels without a pack.
    pub fn sample(seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0xf1e1_d5ee);
        if rng.gen_bool(0.67) {
            let letters = super::build::REVISION_LETTERS;
            let letter = char::from(letters[rng.gen_range(0..letters.len())]);
            let revision = if rng.gen_bool(0.5) {
                letter.to_string()
            } else {
                format!("{letter}{}", rng.gen_range(1..=9))
            };
            Self {
                board_serial: Some(format!(
                    "VGN-{}-{:04}",
                    rng.gen_range(10_000..=99_999),
                    rng.gen_range(1..=9_999)
                )),
                part_number: Some(format!(
                    "{}-{}-{:02}",
                    ["PCA", "DRW"][usize::from(rng.gen_bool(0.2))],
                    rng.gen_range(1_000..=9_999),
                    rng.gen_range(1..=99)
                )),
                revision: Some(revision),
                ..Self::default()
            }
        } else {
            let markings = [
                "FLIGHT",
                "FLIGHT UNIT",
                "EDU - NOT FOR FLIGHT",
                "EDU-NOT FOR FLIGHT",
                "NOT FOR FLIGHT",
            ];
            Self {
                unit_serial: Some(format!("INF-{}", rng.gen_range(1_000..=9_999))),
                flight_status: Some(markings[rng.gen_range(0..markings.len())].to_owned()),
                ..Self::default()
            }
        }
    }
}

/// Four corners in photo pixels, clockwise from the top-left of the text as read.
pub type Quad = [[f32; 2]; 4];

/// Where one field's value is in the photo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldTruth {
    pub name: FieldKind,
    pub value: String,
    pub quad_px: Quad,
}

/// One printed line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelLineTruth {
    pub text: String,
    pub quad_px: Quad,
    /// Height of a capital letter in photo pixels (the label is not scaled, only turned).
    pub cap_height_px: f32,
    pub fields: Vec<FieldTruth>,
}

/// Everything known about a rendered label photo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelTruth {
    pub fields: LabelFields,
    pub lines: Vec<LabelLineTruth>,
    pub tier: Tier,
    pub font: Face,
    pub surface: Surface,
    /// Label colour name: `white`, `silver` or `yellow`.
    pub label_colour: String,
    /// Clockwise turn of the text, degrees: a quarter turn plus the skew.
    pub rotation_deg: f32,
    pub cap_height_px: f32,
    /// Ink against label, in grey levels (about 200 on a fresh print, 40–90 in the hard tier).
    pub contrast_levels: f32,
    pub blur_sigma_px: f32,
    pub noise_sigma_levels: f32,
    pub glare_peak_levels: f32,
    pub encoding: PhotoEncoding,
    pub width_px: u32,
    pub height_px: u32,
}

/// The photo before its encoding's losses (the pack writes it once, in its encoding).
pub(super) struct Rendered {
    pub image: RgbImage,
    pub truth: LabelTruth,
}

/// A span of a printed line: literal caption text, or a field's value.
struct Span {
    text: String,
    field: Option<FieldKind>,
}

fn caption(text: &str) -> Span {
    Span {
        text: text.to_owned(),
        field: None,
    }
}

fn value(name: FieldKind, text: &str) -> Span {
    Span {
        text: text.to_owned(),
        field: Some(name),
    }
}

/// The label's lines: captions vary as label templates do; values are printed as given.
fn compose(rng: &mut SmallRng, fields: &LabelFields) -> Vec<Vec<Span>> {
    let mut lines = Vec::new();
    if rng.gen_bool(0.45) {
        let maker = [
            "VANGUARD SPACE",
            "NORTHGATE",
            "INFINITE ORBIT",
            "QC ACCEPTED",
        ];
        lines.push(vec![caption(maker[rng.gen_range(0..maker.len())])]);
    }
    let mut part_line = Vec::new();
    let split_part = rng.gen_bool(0.3);
    if let Some(number) = &fields.part_number {
        if split_part || rng.gen_bool(0.3) {
            part_line.push(caption(["P/N ", "P/N: ", "PN "][rng.gen_range(0..3)]));
        }
        part_line.push(value(FieldKind::PartNumber, number));
    }
    let mut revision_line = Vec::new();
    if let Some(revision) = &fields.revision {
        let label = ["REV ", "REV. ", "Rev "][rng.gen_range(0..3)];
        if split_part || part_line.is_empty() {
            revision_line.push(caption(label));
        } else {
            part_line.push(caption(&format!(" {label}")));
        }
        revision_line.push(value(FieldKind::Revision, revision));
    }
    if !split_part && !part_line.is_empty() {
        part_line.append(&mut revision_line);
    }
    let serial_line = fields.board_serial.as_ref().map(|serial| {
        vec![
            caption(["S/N: ", "S/N ", "SN: ", "SER NO. "][rng.gen_range(0..4)]),
            value(FieldKind::BoardSerial, serial),
        ]
    });
    let mut serial_line = serial_line;
    if rng.gen_bool(0.5) {
        lines.extend(serial_line.take());
    }
    for line in [part_line, revision_line] {
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines.extend(serial_line);
    if let Some(unit) = &fields.unit_serial {
        lines.push(vec![
            caption(["UNIT S/N ", "UNIT S/N: ", "UNIT SN "][rng.gen_range(0..3)]),
            value(FieldKind::UnitSerial, unit),
        ]);
    }
    if let Some(status) = &fields.flight_status {
        lines.push(vec![value(FieldKind::FlightStatus, status)]);
    }
    lines
}

/// How the label looks, sampled per tier.
struct Style {
    face: Face,
    cap_px: f32,
    colour_name: &'static str,
    label_rgb: [f32; 3],
    ink_rgb: [f32; 3],
    brushed: bool,
    border: bool,
}

fn style(rng: &mut SmallRng, tier: Tier) -> Style {
    let face = Face::LABEL[rng.gen_range(0..Face::LABEL.len())];
    let (colour_name, label_rgb, brushed) = match rng.gen_range(0..3) {
        0 => {
            let v = rng.gen_range(232.0..250.0);
            ("white", [v, v - 1.0, v - 4.0], false)
        }
        1 => {
            let v = rng.gen_range(178.0..205.0);
            ("silver", [v, v + 1.0, v + 4.0], true)
        }
        _ => (
            "yellow",
            [
                rng.gen_range(232.0..248.0),
                rng.gen_range(196.0..214.0),
                rng.gen_range(30.0..60.0),
            ],
            false,
        ),
    };
    let luma = |rgb: [f32; 3]| 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
    let (cap_px, ink_rgb) = match tier {
        Tier::Normal => {
            let k = rng.gen_range(16.0..42.0);
            (rng.gen_range(26.0..38.0_f32).round(), [k, k, k + 2.0])
        }
        Tier::Hard => {
            // Faded thermal print or laser etch on silver: 40–90 grey levels of contrast.
            let contrast = rng.gen_range(40.0..90.0);
            let k = (luma(label_rgb) - contrast).max(0.0);
            (rng.gen_range(12.0..18.0_f32).round(), [k, k, k])
        }
    };
    Style {
        face,
        cap_px,
        colour_name,
        label_rgb,
        ink_rgb,
        brushed,
        border: rng.gen_bool(0.5),
    }
}

/// A box in card pixels: left, top, right, bottom.
type CardBox = [f32; 4];

struct CardLine {
    text: String,
    bounds: CardBox,
    fields: Vec<(FieldKind, String, CardBox)>,
}

/// The label card, upright, with a transparent margin so the turned edge stays smooth.
struct Card {
    image: RgbaImage,
    lines: Vec<CardLine>,
}

const CARD_PAD_PX: f32 = 3.0;

fn card(rng: &mut SmallRng, style: &Style, font: &FontRef<'_>, lines: &[Vec<Span>]) -> Card {
    let cap = style.cap_px;
    let scale = scale_for_cap(font, cap);
    let margin_x = cap * rng.gen_range(0.9..1.4);
    let margin_y = cap * rng.gen_range(0.9..1.2);
    let pitch = cap * rng.gen_range(1.75..2.05);
    let widths: Vec<f32> = lines
        .iter()
        .map(|spans| {
            let text: String = spans.iter().map(|span| span.text.as_str()).collect();
            width_px(font, scale, &text, true)
        })
        .collect();
    let text_width = widths.iter().copied().fold(0.0, f32::max);
    let card_w = text_width + 2.0 * margin_x;
    let card_h = 2.0 * margin_y + cap + pitch * (lines.len().max(1) - 1) as f32;
    let (w, h) = (
        (card_w + 2.0 * CARD_PAD_PX).ceil() as u32,
        (card_h + 2.0 * CARD_PAD_PX).ceil() as u32,
    );
    let mut ink = Coverage::new(w, h);
    let mut card_lines = Vec::new();
    let centred = rng.gen_bool(0.3);
    for (index, spans) in lines.iter().enumerate() {
        let baseline = CARD_PAD_PX + margin_y + cap + pitch * index as f32;
        let left = CARD_PAD_PX
            + margin_x
            + if centred {
                (text_width - widths[index]) / 2.0
            } else {
                0.0
            };
        let mut x = left;
        let mut text = String::new();
        let mut fields = Vec::new();
        // The whole line is drawn span by span with kerning carried across: measure each
        // span's end on the running prefix so boxes match the drawn glyphs.
        for span in spans {
            let start = left + width_px(font, scale, &text, true);
            text.push_str(&span.text);
            let end = left + width_px(font, scale, &text, true);
            if let Some(name) = span.field {
                fields.push((
                    name,
                    span.text.clone(),
                    [start, baseline - cap, end, baseline],
                ));
            }
            x = end;
        }
        draw(&mut ink, font, scale, left, baseline, &text, true);
        card_lines.push(CardLine {
            text,
            bounds: [left, baseline - cap, x, baseline],
            fields,
        });
    }
    let radius = cap * rng.gen_range(0.2..0.6);
    let salt = rng.r#gen::<u32>();
    let (x0, y0, x1, y1) = (
        CARD_PAD_PX,
        CARD_PAD_PX,
        CARD_PAD_PX + card_w,
        CARD_PAD_PX + card_h,
    );
    let border_inset = cap * 0.35;
    let border_width = (cap * 0.07).max(1.0);
    let image = RgbaImage::from_fn(w, h, |x, y| {
        let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
        let inside = -rounded_box_distance(px, py, x0, y0, x1, y1, radius);
        let alpha = (inside + 0.5).clamp(0.0, 1.0);
        let texture = if style.brushed {
            6.0 * value_noise(px / 90.0, py / 0.6, salt)
                + 2.0 * value_noise(px / 3.0, py / 3.0, salt ^ 1)
        } else {
            1.5 * value_noise(px / 2.0, py / 2.0, salt)
        };
        let mut cover = ink.at(x, y);
        if style.border && inside > border_inset && inside < border_inset + border_width {
            cover = cover.max(0.85);
        }
        let rgb = [0, 1, 2].map(|c| {
            let paper = style.label_rgb[c] + texture;
            paper + (style.ink_rgb[c] - paper) * cover
        });
        Rgba([
            rgb[0].round().clamp(0.0, 255.0) as u8,
            rgb[1].round().clamp(0.0, 255.0) as u8,
            rgb[2].round().clamp(0.0, 255.0) as u8,
            (alpha * 255.0).round() as u8,
        ])
    });
    Card {
        image,
        lines: card_lines,
    }
}

/// Signed distance from a point to a rounded box (negative inside).
fn rounded_box_distance(px: f32, py: f32, x0: f32, y0: f32, x1: f32, y1: f32, radius: f32) -> f32 {
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (hx, hy) = ((x1 - x0) / 2.0 - radius, (y1 - y0) / 2.0 - radius);
    let (qx, qy) = ((px - cx).abs() - hx, (py - cy).abs() - hy);
    let outside = (qx.max(0.0).powi(2) + qy.max(0.0).powi(2)).sqrt();
    outside + qx.max(qy).min(0.0) - radius
}

/// Renders the label photo of `seed` with `fields` in `tier`, before the file encoding.
pub(super) fn render(seed: u64, tier: Tier, fields: &LabelFields) -> Result<Rendered, SynthError> {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x1abe_1f07);
    let style = style(&mut rng, tier);
    let font = style.face.load()?;
    let lines = compose(&mut rng, fields);
    let card = card(&mut rng, &style, &font, &lines);

    // The turn: a quarter turn (upright most often) plus a skew, and a slight shear.
    let quarter = [0.0, 0.0, 90.0, 180.0, 270.0][rng.gen_range(0..5)];
    let skew_limit = match tier {
        Tier::Normal => 4.0,
        Tier::Hard => 7.0,
    };
    let rotation_deg: f32 = quarter + rng.gen_range(-skew_limit..skew_limit);
    let shear = rng.gen_range(-0.05..0.05_f32);
    let (cw, ch) = (card.image.width() as f32, card.image.height() as f32);
    let turn = Projection::rotate(rotation_deg.to_radians())
        * shear_projection(shear)
        * Projection::translate(-cw / 2.0, -ch / 2.0);
    let corners = [(0.0, 0.0), (cw, 0.0), (cw, ch), (0.0, ch)].map(|p| turn * p);
    let (min_x, max_x) = min_max(corners.iter().map(|c| c.0));
    let (min_y, max_y) = min_max(corners.iter().map(|c| c.1));
    let (box_w, box_h) = (max_x - min_x, max_y - min_y);

    // Frame a 4:3 photo, held upright for a label that stands, in which the label fills a
    // share of the frame.
    let fill = match tier {
        Tier::Normal => rng.gen_range(0.5..0.8),
        Tier::Hard => rng.gen_range(0.3..0.55),
    };
    let (long, short) = (box_w.max(box_h) / fill, box_w.min(box_h) / fill);
    let long_px = long.max(short * 4.0 / 3.0).max(320.0).ceil() as u32;
    let short_px = (long_px as f32 * 0.75).ceil() as u32;
    let (photo_w, photo_h) = if box_w >= box_h {
        (long_px, short_px)
    } else {
        (short_px, long_px)
    };
    let centre = (
        rng.gen_range(
            (box_w / 2.0 + 4.0)..=(photo_w as f32 - box_w / 2.0 - 4.0).max(box_w / 2.0 + 4.0),
        ),
        rng.gen_range(
            (box_h / 2.0 + 4.0)..=(photo_h as f32 - box_h / 2.0 - 4.0).max(box_h / 2.0 + 4.0),
        ),
    );
    let place = Projection::translate(centre.0, centre.1) * turn;

    let surface = Surface::ALL[rng.gen_range(0..Surface::ALL.len())];
    // Label text is about 2.5 mm tall: this many pixels per millimetre of product.
    let px_per_mm = style.cap_px / 2.5;
    let mut photo = paint(surface, &mut rng, photo_w, photo_h, px_per_mm, &font);
    // Only the label's neighbourhood is warped and composited: the rest is product.
    let margin = (style.cap_px * 0.6).ceil() + 4.0;
    let origin = (
        (centre.0 - box_w / 2.0 - margin).floor().max(0.0),
        (centre.1 - box_h / 2.0 - margin).floor().max(0.0),
    );
    let region = (
        ((box_w + 2.0 * margin).ceil() as u32).min(photo_w - origin.0 as u32),
        ((box_h + 2.0 * margin).ceil() as u32).min(photo_h - origin.1 as u32),
    );
    let mut placed = RgbaImage::new(region.0, region.1);
    let transparent = {
        let [r, g, b] = style.label_rgb.map(|c| c as u8);
        Rgba([r, g, b, 0])
    };
    warp_into(
        &card.image,
        &(Projection::translate(-origin.0, -origin.1) * place),
        Interpolation::Bilinear,
        transparent,
        &mut placed,
    );
    composite(
        &mut photo,
        &placed,
        (origin.0 as u32, origin.1 as u32),
        style.cap_px,
    );

    // The camera.
    let (light, glare_peak, blur_sigma, noise_sigma, encoding) = match tier {
        Tier::Normal => (
            rng.gen_range(0.1..0.35),
            if rng.gen_bool(0.7) {
                rng.gen_range(35.0..90.0)
            } else {
                0.0
            },
            rng.gen_range(0.5..1.1),
            rng.gen_range(2.0..5.0),
            if rng.gen_bool(0.3) {
                PhotoEncoding::Png
            } else {
                PhotoEncoding::Jpeg {
                    quality: rng.gen_range(85..=95),
                }
            },
        ),
        Tier::Hard => (
            rng.gen_range(0.3..0.55),
            rng.gen_range(60.0..140.0),
            rng.gen_range(1.6..2.6),
            rng.gen_range(6.0..11.0),
            PhotoEncoding::Jpeg {
                quality: rng.gen_range(20..=40),
            },
        ),
    };
    uneven_light(&mut photo, &mut rng, light);
    if glare_peak > 0.0 {
        glare(&mut photo, &mut rng, glare_peak);
    }
    let mut photo = blur_rgb(&photo, blur_sigma);
    sensor_noise(&mut photo, &mut rng, noise_sigma);

    let map_box = |b: &CardBox| -> Quad {
        [(b[0], b[1]), (b[2], b[1]), (b[2], b[3]), (b[0], b[3])].map(|p| {
            let (x, y) = place * p;
            [x, y]
        })
    };
    let truth_lines = card
        .lines
        .iter()
        .map(|line| LabelLineTruth {
            text: line.text.clone(),
            quad_px: map_box(&line.bounds),
            cap_height_px: style.cap_px,
            fields: line
                .fields
                .iter()
                .map(|(name, value, bounds)| FieldTruth {
                    name: *name,
                    value: value.clone(),
                    quad_px: map_box(bounds),
                })
                .collect(),
        })
        .collect();
    let luma = |rgb: [f32; 3]| 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
    let truth = LabelTruth {
        fields: fields.clone(),
        lines: truth_lines,
        tier,
        font: style.face,
        surface,
        label_colour: style.colour_name.to_owned(),
        rotation_deg: rotation_deg.rem_euclid(360.0),
        cap_height_px: style.cap_px,
        contrast_levels: luma(style.label_rgb) - luma(style.ink_rgb),
        blur_sigma_px: blur_sigma,
        noise_sigma_levels: noise_sigma,
        glare_peak_levels: glare_peak,
        encoding,
        width_px: photo_w,
        height_px: photo_h,
    };
    Ok(Rendered {
        image: photo,
        truth,
    })
}

/// One label photo with known field values, as a reader of its file would see it (after the
/// encoding's losses), and its truth. Deterministic in `seed`, `tier` and `fields`.
pub fn label_photo(
    seed: u64,
    tier: Tier,
    fields: &LabelFields,
) -> Result<(RgbImage, LabelTruth), SynthError> {
    let rendered = render(seed, tier, fields)?;
    let image = round_trip(&rendered.image, rendered.truth.encoding)?;
    Ok((image, rendered.truth))
}

fn shear_projection(shear: f32) -> Projection {
    Projection::from_matrix([1.0, shear, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])
        .unwrap_or_else(|| Projection::translate(0.0, 0.0))
}

fn min_max(values: impl Iterator<Item = f32>) -> (f32, f32) {
    values.fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Lays the placed label (a region of the photo at `origin`) over the product, with a soft
/// contact shadow under it.
fn composite(photo: &mut RgbImage, placed: &RgbaImage, origin: (u32, u32), cap_px: f32) {
    let (w, h) = placed.dimensions();
    let shadow_offset = (cap_px * 0.08).max(1.0).round() as u32;
    let shadow = image::GrayImage::from_fn(w, h, |x, y| {
        let alpha = if x < shadow_offset || y < shadow_offset {
            0
        } else {
            placed.get_pixel(x - shadow_offset, y - shadow_offset).0[3]
        };
        image::Luma([alpha])
    });
    let shadow = blur_gray(&shadow, cap_px * 0.15);
    for (x, y, top) in placed.enumerate_pixels() {
        let (px, py) = (origin.0 + x, origin.1 + y);
        if px >= photo.width() || py >= photo.height() {
            continue;
        }
        let pixel = photo.get_pixel_mut(px, py);
        let darken = 1.0 - 0.45 * f32::from(shadow.get_pixel(x, y).0[0]) / 255.0;
        let a = f32::from(top.0[3]) / 255.0;
        let blended: [f32; 3] = [0, 1, 2].map(|c| {
            let below = f32::from(pixel.0[c]) * darken;
            below + (f32::from(top.0[c]) - below) * a
        });
        *pixel = Rgb(blended.map(|v| v.round().clamp(0.0, 255.0) as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board_fields() -> LabelFields {
        LabelFields {
            board_serial: Some("VGN-12345-0001".to_owned()),
            part_number: Some("PCA-1555-01".to_owned()),
            revision: Some("F2".to_owned()),
            ..LabelFields::default()
        }
    }

    fn unit_fields() -> LabelFields {
        LabelFields {
            unit_serial: Some("INF-1619".to_owned()),
            flight_status: Some("EDU - NOT FOR FLIGHT".to_owned()),
            ..LabelFields::default()
        }
    }

    fn quad_height(quad: &Quad) -> f32 {
        // Top-left to bottom-left: the text's height whatever the turn.
        ((quad[3][0] - quad[0][0]).powi(2) + (quad[3][1] - quad[0][1]).powi(2)).sqrt()
    }

    #[test]
    fn every_field_is_printed_once_with_its_place() {
        for seed in 0..3 {
            for fields in [board_fields(), unit_fields()] {
                let rendered = render(seed, Tier::Normal, &fields).unwrap();
                let truth = &rendered.truth;
                for name in FieldKind::ALL {
                    let found: Vec<&FieldTruth> = truth
                        .lines
                        .iter()
                        .flat_map(|line| &line.fields)
                        .filter(|field| field.name == name)
                        .collect();
                    match fields.value(name) {
                        Some(value) => {
                            assert_eq!(found.len(), 1, "seed {seed} {name:?}");
                            assert_eq!(found[0].value, value);
                            for corner in found[0].quad_px {
                                assert!(corner[0] >= 0.0 && corner[0] <= truth.width_px as f32);
                                assert!(corner[1] >= 0.0 && corner[1] <= truth.height_px as f32);
                            }
                        }
                        None => assert!(found.is_empty()),
                    }
                }
                for line in &truth.lines {
                    for field in &line.fields {
                        assert!(line.text.contains(&field.value));
                    }
                }
            }
        }
    }

    #[test]
    fn normal_tier_text_is_at_least_25_px_high_in_the_pixels() {
        for seed in 0..16 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let style = style(&mut rng, Tier::Normal);
            let font = style.face.load().unwrap();
            let lines = compose(&mut rng, &board_fields());
            let card = card(&mut rng, &style, &font, &lines);
            // Ink rows of the serial's value, measured on the upright card.
            let serial = card
                .lines
                .iter()
                .flat_map(|line| &line.fields)
                .find(|field| field.0 == FieldKind::BoardSerial)
                .unwrap();
            let [x0, y0, x1, y1] = serial.2;
            let ink_rows = (y0 as u32 - 4..y1 as u32 + 4)
                .filter(|y| {
                    (x0 as u32..x1 as u32).any(|x| {
                        let p = card.image.get_pixel(x, *y).0;
                        f32::from(p[1]) < (style.label_rgb[1] + style.ink_rgb[1]) / 2.0
                    })
                })
                .count();
            assert!(
                ink_rows >= 25,
                "seed {seed} {}: {ink_rows} rows",
                style.face.as_str()
            );
        }
        for seed in 0..3 {
            let truth = render(seed, Tier::Normal, &unit_fields()).unwrap().truth;
            assert!(truth.cap_height_px >= 25.0);
            for line in &truth.lines {
                assert!(quad_height(&line.quad_px) >= 25.0, "seed {seed}");
            }
        }
    }

    #[test]
    fn hard_tier_is_small_low_contrast_blurred_and_badly_compressed() {
        for seed in 0..4 {
            let truth = render(seed, Tier::Hard, &board_fields()).unwrap().truth;
            assert!(
                (12.0..=18.0).contains(&truth.cap_height_px),
                "{}",
                truth.cap_height_px
            );
            assert!(
                (40.0..=90.0).contains(&truth.contrast_levels),
                "{}",
                truth.contrast_levels
            );
            assert!(truth.blur_sigma_px >= 1.6);
            match truth.encoding {
                PhotoEncoding::Jpeg { quality } => assert!((20..=40).contains(&quality)),
                PhotoEncoding::Png => panic!("hard tier is JPEG"),
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_pixels() {
        let (a, truth_a) = label_photo(5, Tier::Normal, &board_fields()).unwrap();
        let (b, truth_b) = label_photo(5, Tier::Normal, &board_fields()).unwrap();
        let (c, _) = label_photo(6, Tier::Normal, &board_fields()).unwrap();
        assert_eq!(a, b);
        assert_eq!(truth_a, truth_b);
        assert_ne!(a, c);
        assert_eq!(
            (a.width(), a.height()),
            (truth_a.width_px, truth_a.height_px)
        );
    }

    #[test]
    fn the_label_is_light_where_the_truth_puts_it() {
        // Inside a field's quad the photo shows label and ink, not the product: on a white or
        // yellow label the brightest pixels there are far brighter than a board's green.
        for seed in 0..3 {
            let (image, truth) = label_photo(seed, Tier::Normal, &unit_fields()).unwrap();
            let field = &truth.lines.last().unwrap().fields[0];
            let [cx, cy] = field.quad_px.iter().fold([0.0, 0.0], |acc, p| {
                [acc[0] + p[0] / 4.0, acc[1] + p[1] / 4.0]
            });
            let near: Vec<u8> = (-6..=6)
                .flat_map(|dy| (-6..=6).map(move |dx| (dx, dy)))
                .map(|(dx, dy)| {
                    let p = image
                        .get_pixel((cx as i32 + dx) as u32, (cy as i32 + dy) as u32)
                        .0;
                    p[0].max(p[1]).max(p[2])
                })
                .collect();
            let brightest = near.iter().copied().max().unwrap();
            let darkest = near.iter().copied().min().unwrap();
            assert!(brightest > 150, "seed {seed}: {brightest}");
            assert!(
                brightest - darkest > 60,
                "seed {seed}: ink and label differ"
            );
        }
    }

    #[test]
    fn sampled_fields_are_board_or_unit_labels() {
        let mut boards = 0;
        for seed in 0..60 {
            let fields = LabelFields::sample(seed);
            if fields.board_serial.is_some() {
                boards += 1;
                assert!(fields.part_number.is_some() && fields.revision.is_some());
                assert!(fields.unit_serial.is_none());
            } else {
                assert!(fields.unit_serial.is_some() && fields.flight_status.is_some());
            }
        }
        assert!((25..55).contains(&boards), "{boards}");
    }
}
