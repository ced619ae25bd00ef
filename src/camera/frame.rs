//! One captured frame: pixels plus when it was captured and its place in the sequence. A frame
//! is published once as an `Arc<Frame>` and shared, never copied, by the display and the workers;
//! its pixels live in a pooled buffer that returns to its source's pool when the last holder
//! lets go.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::PooledImage;

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
    /// Reads as an `image::RgbaImage` (`Deref`).
    pub image: PooledImage,
    /// A copy shrunk to the size the screen shows it at, when that is half the frame or less
    /// (made on the capture thread); the UI uploads this instead of `image`.
    pub display: Option<PooledImage>,
}

impl Frame {
    /// The pixels to upload for the screen: the shrunk copy if there is one.
    pub fn display_image(&self) -> &image::RgbaImage {
        self.display.as_deref().unwrap_or(&self.image)
    }

    pub fn size(&self) -> FrameSize {
        FrameSize::new(self.image.width(), self.image.height())
    }
}

/// Numbers a source's frames from 1 and gives each the wall-clock time of its capture instant
/// (not of when rendering or decoding finished).
#[derive(Debug, Default)]
pub(super) struct FrameNumbering {
    last_seq: u64,
}

impl FrameNumbering {
    pub fn next(&mut self, captured_at: Instant, image: PooledImage) -> Frame {
        self.last_seq += 1;
        let since_capture = chrono::Duration::from_std(captured_at.elapsed()).unwrap_or_default();
        Frame {
            display: None,
            seq: self.last_seq,
            captured_at,
            captured_utc: Utc::now() - since_capture,
            image,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_stamp_is_the_capture_instant_not_the_numbering_time() {
        let captured_at = Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(40));
        let frame = FrameNumbering::default().next(captured_at, image::RgbaImage::new(1, 1).into());
        let age_ms = (Utc::now() - frame.captured_utc).num_milliseconds();
        assert!(age_ms >= 40, "stamped {age_ms} ms ago");
        assert_eq!(frame.seq, 1);
    }

    #[test]
    fn sizes_parse_and_reject() {
        assert_eq!("1920x1080".parse(), Ok(FrameSize::new(1920, 1080)));
        assert!("1920".parse::<FrameSize>().is_err());
        assert!("0x10".parse::<FrameSize>().is_err());
        assert!("axb".parse::<FrameSize>().is_err());
    }
}
