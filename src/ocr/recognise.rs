//! Line recognition: the PP-OCRv6 small recogniser on tract, greedy CTC decoding. Strips go
//! into one of four fixed widths (320/640/960/1280 px at 48 px high) so tract keeps four
//! plans; a longer line is squeezed into the widest. The character list is the model's own
//! (`character` in its ONNX metadata); class 0 is the CTC blank and the last class a space.

use image::RgbImage;

use super::OcrError;
use super::net::Net;
use super::strip::{STRIP_HEIGHT_PX, natural_width, pack};

const SLOTS_PX: [u32; 4] = [320, 640, 960, 1280];

/// What the recogniser read on one strip.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Reading {
    pub text: String,
    /// Mean probability of the characters kept (0 when nothing was read).
    pub confidence: f32,
}

/// The recogniser's classes: blank, the model's characters, space.
pub(super) struct Charset {
    classes: Vec<char>,
}

impl Charset {
    /// From the model's `character` metadata (one character per line).
    pub(super) fn from_metadata(list: &str) -> Result<Self, OcrError> {
        let mut classes = vec!['\0'];
        for (line_no, entry) in list.split('\n').enumerate() {
            let mut chars = entry.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => classes.push(ascii_twin(c)),
                (None, _) if line_no > 0 => continue,
                _ => {
                    return Err(OcrError::Model {
                        model: "text recogniser",
                        reason: format!(
                            "character list entry {} is {entry:?}, expected one character",
                            line_no + 1
                        ),
                    });
                }
            }
        }
        classes.push(' ');
        Ok(Self { classes })
    }

    pub(super) fn len(&self) -> usize {
        self.classes.len()
    }

    /// Greedy CTC: the best class per time step, repeats merged, blanks dropped.
    fn decode(&self, steps: usize, probabilities: &[f32]) -> Reading {
        let classes = self.classes.len();
        let mut text = String::new();
        let (mut sum, mut kept) = (0.0, 0_u32);
        let mut previous = 0;
        for step in probabilities.chunks_exact(classes).take(steps) {
            let (best, probability) = step.iter().enumerate().fold(
                (0, f32::MIN),
                |acc, (i, &p)| if p > acc.1 { (i, p) } else { acc },
            );
            if best != 0 && best != previous {
                text.push(self.classes[best]);
                sum += probability;
                kept += 1;
            }
            previous = best;
        }
        Reading {
            text,
            confidence: if kept == 0 { 0.0 } else { sum / kept as f32 },
        }
    }
}

/// A full-width form as its ASCII twin: the model was trained on Chinese text too and reads a
/// label's colon as `：` (U+FF1A) about as often as `:`.
fn ascii_twin(c: char) -> char {
    match u32::from(c) {
        0x3000 => ' ',
        code @ 0xff01..=0xff5e => char::from_u32(code - 0xfee0).unwrap_or(c),
        _ => c,
    }
}

/// The slot a strip goes into: the narrowest that holds it, else the widest.
fn slot_for(width_px: u32) -> u32 {
    SLOTS_PX
        .iter()
        .copied()
        .find(|&slot| slot >= width_px)
        .unwrap_or(SLOTS_PX[SLOTS_PX.len() - 1])
}

/// Reads one strip.
pub(super) fn recognise(
    net: &mut Net,
    charset: &Charset,
    strip: &RgbImage,
) -> Result<Reading, OcrError> {
    let slot = slot_for(natural_width(strip));
    let mut input = vec![0.0; 3 * (STRIP_HEIGHT_PX * slot) as usize];
    pack(strip, slot, &mut input);
    let (dims, probabilities) = net.run([1, 3, STRIP_HEIGHT_PX as usize, slot as usize], input)?;
    match dims.as_slice() {
        [1, steps, classes] if *classes == charset.len() => {
            Ok(charset.decode(*steps, &probabilities))
        }
        _ => Err(OcrError::Run {
            model: "text recogniser",
            width_px: slot,
            height_px: STRIP_HEIGHT_PX,
            reason: format!(
                "output shape {dims:?}, expected [1, steps, {}] (the character list and the \
                 model do not match)",
                charset.len()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctc_merges_repeats_and_drops_blanks() {
        let charset = Charset::from_metadata("A\nB\n").unwrap();
        assert_eq!(charset.len(), 4); // blank, A, B, space
        // Steps: A A blank A B space B
        let best = [1, 1, 0, 1, 2, 3, 2];
        let mut probabilities = Vec::new();
        for &class in &best {
            let mut step = [0.0_f32; 4];
            step[class] = 0.8;
            probabilities.extend_from_slice(&step);
        }
        let reading = charset.decode(best.len(), &probabilities);
        assert_eq!(reading.text, "AAB B");
        assert!((reading.confidence - 0.8).abs() < 1e-6);
    }

    #[test]
    fn full_width_forms_read_as_ascii() {
        let charset = Charset::from_metadata("\u{ff1a}\nA\n\u{ff08}\n\u{4e2d}").unwrap();
        assert_eq!(charset.classes[1..5], [':', 'A', '(', '\u{4e2d}']);
    }

    #[test]
    fn a_malformed_character_list_is_refused() {
        let err = Charset::from_metadata("A\nBC\n").err().unwrap().to_string();
        assert!(err.contains("entry 2"), "{err}");
    }

    #[test]
    fn strips_go_into_the_narrowest_slot_that_holds_them() {
        assert_eq!(slot_for(100), 320);
        assert_eq!(slot_for(321), 640);
        assert_eq!(slot_for(5000), 1280);
    }
}
