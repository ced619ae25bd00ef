//! QR decoding from camera frames and image files: several codes per image, dark-on-light and
//! light-on-dark, any rotation, perspective, uneven light. Pure computation on a grey image; the
//! runtime runs it on its scan worker and the CLI on an isolated thread (`isolate`).
//!
//! Pipeline, one stage per module: `binarize` (grey → dark/light, local or global threshold) →
//! `finder` (1:1:3:1:1 finder patterns) → `locate` (triples → module grid placements, with the
//! `alignment` pattern and a `transform`; `warp` samples large codes cell by cell) → rqrr's error correction and bitstream decoding →
//! `payload` (bytes → text). `ladder` orders the attempts by cost and stops at the first that
//! reads; rqrr's own detector is one of its rungs.

pub mod alignment;
pub mod binarize;
pub mod finder;
pub mod grade;
pub mod graded_marks;
pub mod isolate;
pub mod ladder;
pub mod locate;
pub mod payload;
pub mod session_report;
pub mod synth;
pub mod transform;
pub mod warp;

pub use ladder::{Code, ScanOptions, decode};
