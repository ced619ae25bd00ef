//! Text on labels and pages: PP-OCR models on tract — the DB text detector (PP-OCRv4), the
//! angle classifier and the PP-OCRv6 small recogniser, taken from the RapidOCR wheels (see
//! `models/ocr/ppocr.md`) and built into the binary. One `Ocr` per worker thread: it owns its
//! models and their plans and is not shared.
//!
//! This module reads text; choosing field values among the lines (patterns, look-alike
//! corrections) is `domain::crosscheck`'s job.

mod crop;
mod detect;
mod error;
mod net;
mod orient;
mod quad;
mod recognise;
mod strip;

use image::RgbImage;

pub use error::OcrError;

use crop::Turn;
use net::Net;
use recognise::Charset;

const DETECTOR: &[u8] = include_bytes!("../../models/ocr/ch_PP-OCRv4_det_infer.onnx");
const CLASSIFIER: &[u8] = include_bytes!("../../models/ocr/ch_ppocr_mobile_v2.0_cls_mobile.onnx");
const RECOGNISER: &[u8] = include_bytes!("../../models/ocr/PP-OCRv6_rec_small.onnx");
/// The golden input and what the pipeline reads on it (`models/ocr/ppocr.md`; RapidOCR with
/// onnxruntime reads the same two lines).
const GOLDEN_INPUT: &[u8] = include_bytes!("../../models/ocr/golden.png");
const GOLDEN_LINES: [(&str, f32); 2] = [
    ("S/N VGN-40213-0007", 0.9851),
    ("PCA-2044-03 REV G1", 0.9903),
];
/// Float summation order differs between machines; a changed model moves far more than this.
const GOLDEN_TOLERANCE: f32 = 0.01;

/// Lines the recogniser scores below this are noise (a texture, a logo), not text.
const MIN_LINE_CONFIDENCE: f32 = 0.5;
/// A line read with less confidence than this is read the other way up too…
const SECOND_LOOK_BELOW: f32 = 0.9;
/// …and kept that way when it reads this much better.
const SECOND_LOOK_MARGIN: f32 = 0.05;

/// One line of text read from an image.
#[derive(Clone, Debug, PartialEq)]
pub struct OcrLine {
    pub text: String,
    /// The recogniser's mean character probability, 0–1.
    pub confidence: f32,
    /// The line's box in the image's pixels, clockwise from the text's top-left as read.
    pub quad_px: [[f32; 2]; 4],
}

/// Everything read from one image.
#[derive(Clone, Debug, PartialEq)]
pub struct OcrPage {
    /// How far the text is turned clockwise in the image: 0, 90, 180 or 270.
    pub rotation_deg: u16,
    pub lines: Vec<OcrLine>,
}

/// The OCR pipeline of one worker.
pub struct Ocr {
    detector: Net,
    classifier: Net,
    recogniser: Net,
    charset: Charset,
}

impl Ocr {
    /// The station's models, checked on their golden input: models that do not read it as
    /// recorded are refused rather than trusted.
    pub fn station() -> Result<Self, OcrError> {
        let mut ocr = Self::parse()?;
        ocr.check_golden(&GOLDEN_LINES)?;
        Ok(ocr)
    }

    fn check_golden(&mut self, expected: &[(&str, f32)]) -> Result<(), OcrError> {
        let golden = image::load_from_memory(GOLDEN_INPUT)
            .map_err(|err| OcrError::Model {
                model: "golden input",
                reason: err.to_string(),
            })?
            .to_rgb8();
        let page = self.read(&golden)?;
        let read: Vec<(&str, f32)> = page
            .lines
            .iter()
            .map(|l| (l.text.as_str(), l.confidence))
            .collect();
        let matches = read.len() == expected.len()
            && read
                .iter()
                .zip(expected)
                .all(|((text, confidence), (want, want_confidence))| {
                    text == want && (confidence - want_confidence).abs() <= GOLDEN_TOLERANCE
                });
        if matches && page.rotation_deg == 0 {
            return Ok(());
        }
        Err(OcrError::Model {
            model: "OCR models",
            reason: format!(
                "golden self-test failed: read {read:?} at {}°, expected {expected:?} at 0°; \
                 OCR and the cross-check of photos are disabled",
                page.rotation_deg
            ),
        })
    }

    /// The models parsed, without the golden self-test (plans are built on first use of each
    /// shape).
    fn parse() -> Result<Self, OcrError> {
        let detector = Net::parse("text detector", DETECTOR, false)?;
        let classifier = Net::parse("orientation classifier", CLASSIFIER, false)?;
        let recogniser = Net::parse("text recogniser", RECOGNISER, true)?;
        let list = recogniser.metadata("character").ok_or(OcrError::Model {
            model: "text recogniser",
            reason: "the ONNX file has no `character` metadata (the character list)".into(),
        })?;
        let charset = Charset::from_metadata(&list)?;
        Ok(Self {
            detector,
            classifier,
            recogniser,
            charset,
        })
    }

    /// Reads every line of text in an image.
    pub fn read(&mut self, image: &RgbImage) -> Result<OcrPage, OcrError> {
        let (width_px, height_px) = image.dimensions();
        if width_px < 8 || height_px < 8 {
            return Err(OcrError::TooSmall {
                width_px,
                height_px,
            });
        }
        let boxes = detect::detect(&mut self.detector, image)?;
        let strips: Vec<(RgbImage, Turn, [[f32; 2]; 4])> = boxes
            .iter()
            .map(|text_box| {
                let (strip, turn) = crop::cut(image, &text_box.corners_px);
                (strip, turn, text_box.corners_px)
            })
            .collect();
        // Each line's own quarter turn comes from its box; which way up it reads is decided per
        // group of lines that share a quarter turn (a label's lines turn together; the
        // silkscreen around it may not), weighted by line length.
        let mut upside_down_by_turn = [false; 2];
        for (slot, turn) in [Turn::None, Turn::QuarterCounterClockwise]
            .into_iter()
            .enumerate()
        {
            let mut votes = Vec::new();
            for (strip, _, _) in strips.iter().filter(|s| s.1 == turn) {
                let probability = orient::upside_down_probability(&mut self.classifier, strip)?;
                votes.push((probability, strip.width() as f32));
            }
            upside_down_by_turn[slot] = orient::page_upside_down(&votes);
        }
        let mut lines = Vec::with_capacity(strips.len());
        for (strip, turn, corners) in strips {
            let quarter_turned = turn == Turn::QuarterCounterClockwise;
            let mut upside_down = upside_down_by_turn[usize::from(quarter_turned)];
            // The strip half-turned, made once: read first when the group is upside down, else
            // only for a second look.
            let mut half_turned = upside_down.then(|| image::imageops::rotate180(&strip));
            let first = half_turned.as_ref().unwrap_or(&strip);
            let mut reading = recognise::recognise(&mut self.recogniser, &self.charset, first)?;
            // A line the group's way up reads badly gets a second look the other way up: an
            // upside-down label on an upright board is outvoted by the board's silkscreen.
            if reading.confidence < SECOND_LOOK_BELOW {
                let other_way = if upside_down {
                    &strip
                } else {
                    half_turned.insert(image::imageops::rotate180(&strip))
                };
                let other = recognise::recognise(&mut self.recogniser, &self.charset, other_way)?;
                if other.confidence > reading.confidence + SECOND_LOOK_MARGIN {
                    reading = other;
                    upside_down = !upside_down;
                }
            }
            let text = reading.text.trim().to_owned();
            if text.is_empty() || reading.confidence < MIN_LINE_CONFIDENCE {
                continue;
            }
            lines.push((
                rotation_of(quarter_turned, upside_down),
                OcrLine {
                    text,
                    confidence: reading.confidence,
                    quad_px: reading_order(corners, quarter_turned, upside_down),
                },
            ));
        }
        let (rotation_deg, lines) = in_reading_order(lines);
        Ok(OcrPage {
            rotation_deg,
            lines,
        })
    }
}

fn rotation_of(quarter_turned: bool, upside_down: bool) -> u16 {
    match (quarter_turned, upside_down) {
        (false, false) => 0,
        (true, false) => 90,
        (false, true) => 180,
        (true, true) => 270,
    }
}

/// The page's rotation — that of the lines holding the most text — and the lines in reading
/// order: that rotation's lines first, then any others, each group read in its own frame.
fn in_reading_order(lines: Vec<(u16, OcrLine)>) -> (u16, Vec<OcrLine>) {
    let mut groups: Vec<(u16, f32, Vec<OcrLine>)> = Vec::new();
    for (rotation, line) in lines {
        let weight = line.text.chars().count() as f32 * line.confidence;
        match groups.iter_mut().find(|group| group.0 == rotation) {
            Some(group) => {
                group.1 += weight;
                group.2.push(line);
            }
            None => groups.push((rotation, weight, vec![line])),
        }
    }
    groups.sort_by(|a, b| b.1.total_cmp(&a.1));
    let rotation_deg = groups.first().map_or(0, |group| group.0);
    let mut ordered = Vec::new();
    for (rotation, _, mut group) in groups {
        sort_as_read(&mut group, rotation);
        ordered.extend(group);
    }
    (rotation_deg, ordered)
}

/// Lines of one rotation in reading order: top to bottom, and left to right within a row
/// (a line whose centre is within half a line height of the row's first line joins the row).
fn sort_as_read(lines: &mut Vec<OcrLine>, rotation_deg: u16) {
    // Image coordinates → the upright page's coordinates, for the page's rotation.
    let upright = |[x, y]: [f32; 2]| match rotation_deg {
        90 => [y, -x],
        180 => [-x, -y],
        270 => [-y, x],
        _ => [x, y],
    };
    let mut keyed: Vec<([f32; 2], f32, OcrLine)> = lines
        .drain(..)
        .map(|line| {
            let centre = line.quad_px.iter().fold([0.0, 0.0], |acc, p| {
                [acc[0] + p[0] / 4.0, acc[1] + p[1] / 4.0]
            });
            let [q0, _, _, q3] = line.quad_px;
            (upright(centre), (q3[0] - q0[0]).hypot(q3[1] - q0[1]), line)
        })
        .collect();
    keyed.sort_by(|a, b| a.0[1].total_cmp(&b.0[1]));
    let mut rows: Vec<Vec<([f32; 2], f32, OcrLine)>> = Vec::new();
    for entry in keyed {
        match rows.last_mut() {
            Some(row) if (entry.0[1] - row[0].0[1]).abs() < row[0].1.min(entry.1) / 2.0 => {
                row.push(entry)
            }
            _ => rows.push(vec![entry]),
        }
    }
    for mut row in rows {
        row.sort_by(|a, b| a.0[0].total_cmp(&b.0[0]));
        lines.extend(row.into_iter().map(|(_, _, line)| line));
    }
}

/// The box's corners starting from the text's own top-left, clockwise, given how the strip was
/// turned to be read.
fn reading_order(corners: [[f32; 2]; 4], quarter_turned: bool, upside_down: bool) -> [[f32; 2]; 4] {
    // Turning the strip a quarter counter-clockwise puts the box's top-right corner (index 1)
    // at the text's top-left; a half turn moves the start two corners on.
    let start = usize::from(quarter_turned) + usize::from(upside_down) * 2;
    std::array::from_fn(|i| corners[(start + i) % 4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turned_box_starts_at_the_texts_own_top_left() {
        // A tall box, corners clockwise from the image's top-left.
        let tall = [[10.0, 0.0], [20.0, 0.0], [20.0, 60.0], [10.0, 60.0]];
        assert_eq!(reading_order(tall, false, false)[0], [10.0, 0.0]);
        // Text running down the image starts at the box's top-right corner…
        assert_eq!(reading_order(tall, true, false)[0], [20.0, 0.0]);
        // …running up it, at the bottom-left; upside down, at the bottom-right.
        assert_eq!(reading_order(tall, true, true)[0], [10.0, 60.0]);
        assert_eq!(reading_order(tall, false, true)[0], [20.0, 60.0]);
        assert_eq!(reading_order(tall, true, false)[1], [20.0, 60.0]);
    }
}
