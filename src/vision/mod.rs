//! Porosity inspection: what turns a camera image into pores in millimetres, zones with rules,
//! and a verdict with its reasons. Pure computation on images and numbers: no threads, no store,
//! no UI (the runtime runs it on the vision workers; the app and the CLI show it).
//!
//! Pipeline, one stage per module: `detect` (a pore score per pixel of the grey image, as a
//! `score_map`) → `blobs` (connected components) → `measure` (pores in mm) → `contrast` (a pore
//! is darker than the face around it) → `zone` + `rules` (per-zone findings and the part's
//! verdict) → `overlay`. `inspect` runs the chain; `recipe`
//! says how.

pub mod blobs;
pub mod contrast;
pub mod detect;
pub mod eval;
pub mod image_file;
pub mod inspect;
pub mod measure;
pub mod overlay;
pub mod recipe;
pub mod rules;
pub mod score_map;
pub mod synth;
pub mod zone;
