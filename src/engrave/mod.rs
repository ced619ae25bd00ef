//! Engraving: laser settings and material presets, the machine's GRBL settings, QR codes turned
//! into laser G-code, the time a GRBL machine takes to run it, the GRBL protocol a sender
//! speaks, and a GRBL simulator to speak it to.
//!
//! This module opens a port only when asked and spawns nothing: the engraver worker (or a CLI
//! command) calls it on its own thread.

mod estimate;
mod gcode;
pub mod grbl;
mod job;
mod line;
mod machine;
pub mod modal;
mod settings;
pub mod sim;
mod test_grid;

pub use estimate::{Estimate, estimate};
pub use gcode::{GcodeError, GcodeProgram, qr_matrix, raster_gcode};
pub use job::{JobError, JobHooks, JobPlan, JobRun, job_end, run_job};
pub use machine::{MachineError, MachineSettings};
pub use settings::{
    EcLevel, FillMode, LaserSettings, MATERIAL_PRESETS, MaterialPreset, SettingsError,
};
pub use test_grid::{GridError, TestGrid, parse_series, test_grid_gcode};
