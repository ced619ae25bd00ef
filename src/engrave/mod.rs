//! Engraving: laser settings and material presets, the machine's GRBL settings, QR codes turned
//! into laser G-code, and the time a GRBL machine takes to run it.
//!
//! This module computes; it opens no port and spawns nothing. Streaming to a controller and the
//! GRBL simulator come with the engraver worker.

mod estimate;
mod gcode;
mod machine;
mod settings;
pub mod sim;

pub use estimate::{Estimate, estimate};
pub use gcode::{GcodeError, GcodeProgram, QrMatrix, qr_matrix, raster_gcode};
pub use machine::{MachineError, MachineSettings};
pub use settings::{EcLevel, LaserSettings, MATERIAL_PRESETS, MaterialPreset, SettingsError};
