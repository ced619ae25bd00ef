//! Porosity inspection: what turns a camera image into pores in millimetres, zones with rules,
//! and a verdict with its reasons. Pure computation on images and numbers: no threads, no store,
//! no UI (the runtime runs it on the vision workers; the app and the CLI show it).
//!
//! Pipeline, one stage per module: `grey` (preprocess) → `detect` (a score per pixel) →
//! `blobs` (connected components) → `measure` (pores in mm) → `zone` + `rules` (per-zone
//! findings) → `verdict` → `overlay`. `inspect` runs the chain; `recipe` says how.

pub mod blobs;
pub mod score_map;
pub mod measure;
pub mod rules;
pub mod zone;
