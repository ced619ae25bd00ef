//! qcstation: a factory-floor quality station — camera inspection, QR engraving and document
//! cross-checking — as one egui/wgpu program with an embedded SQLite record.
//!
//! Layers (arrows point down only): `domain` ← capabilities (`camera`, `store`, `auth`) ←
//! `runtime` (threads and channels) ← faces (`app` for the GUI, `cli`). See DESIGN.md.

pub mod app;
pub mod auth;
pub mod backup;
pub mod camera;
pub mod cli;
pub mod config;
pub mod docs;
pub mod domain;
pub mod engrave;
pub mod gpio;
pub mod ocr;
pub mod paths;
pub mod qr;
pub mod report;
pub mod runtime;
pub mod scan;
pub mod store;
pub mod telemetry;
pub mod vision;
