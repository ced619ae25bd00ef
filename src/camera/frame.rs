//! One captured frame: pixels plus when it was captured and its place in the sequence.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use chrono::{DateTime, Utc};
use image::RgbaImage;

/// Width × height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameSize {
    pub width_px: u32,
    pub height_px: u32,
}

impl FrameSize {
    pub const fn new(width_px: u32, height_px: u32) -> Self {
        Self {
            width_px,
            height_px,
        }
    }

    pub fn pixel_count(self) -> usize {
        self.width_px as usize * self.height_px as usize
    }
}

impl fmt::Display for FrameSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width_px, self.height_px)
    }
}

impl FromStr for FrameSize {
    type Err = String;

    /// Parses `1920x1080`; each side 16..=8192 px.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (w, h) = text
            .split_once(['x', 'X'])
            .ok_or_else(|| format!("{text:?} is not a size: write WIDTHxHEIGHT, e.g. 1920x1080"))?;
        let side = |part: &str, what: &str| -> Result<u32, String> {
            let value: u32 = part
                .trim()
                .parse()
                .map_err(|_| format!("{what} {part:?} in {text:?} is not a whole number"))?;
            if (16..=8192).contains(&value) {
                Ok(value)
            } else {
                Err(format!("{what} {value} in {text:?} is outside 16..=8192"))
            }
        };
        Ok(Self::new(side(w, "width")?, side(h, "height")?))
    }
}

/// A frame as published by a capture loop.
#[derive(Debug, Clone)]
pub struct Frame {
    /// 1 for the first frame of a source, counting up; a gap means frames were lost upstream.
    pub seq: u64,
    /// When the frame was captured (monotonic; latency is measured against it).
    pub captured_at: Instant,
    pub captured_utc: DateTime<Utc>,
    pub image: RgbaImage,
}

impl Frame {
    pub fn size(&self) -> FrameSize {
        FrameSize::new(self.image.width(), self.image.height())
    }
}

/// Numbers a source's frames from 1, stamping each with the wall-clock time as it is made.
#[derive(Debug, Default)]
pub(super) struct FrameNumbering {
    last_seq: u64,
}

impl FrameNumbering {
    pub fn next(&mut self, captured_at: Instant, image: RgbaImage) -> Frame {
        self.last_seq += 1;
        Frame {
            seq: self.last_seq,
            captured_at,
            captured_utc: Utc::now(),
            image,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_reject() {
        assert_eq!("1920x1080".parse(), Ok(FrameSize::new(1920, 1080)));
        assert!("1920".parse::<FrameSize>().is_err());
        assert!("0x10".parse::<FrameSize>().is_err());
        assert!("axb".parse::<FrameSize>().is_err());
    }
}
