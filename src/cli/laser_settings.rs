//! Laser settings as the commands take them: a TOML file (or the defaults), a material preset
//! over it, and a machine's `$$` dump for its power range, rates and accelerations.

use std::path::Path;

use anyhow::Context as _;

use crate::engrave::{LaserSettings, MachineSettings};

/// Reads a `$$` dump (`$110=6000.000` lines) naming the file in any error.
pub(super) fn machine_dump(path: &Path) -> anyhow::Result<MachineSettings> {
    let dump = std::fs::read_to_string(path)
        .with_context(|| format!("reading the machine's settings dump {}", path.display()))?;
    MachineSettings::from_dump(&dump).with_context(|| format!("in {}", path.display()))
}

/// The settings of `file` (else the defaults), with `preset`'s power, speed, passes and line
/// interval, and `machine`'s dump; checked again once the machine is known.
pub(super) fn laser_settings(
    file: Option<&Path>,
    preset: Option<&str>,
    machine: Option<&Path>,
) -> anyhow::Result<LaserSettings> {
    let mut settings = match file {
        Some(path) => LaserSettings::load(path)?,
        None => LaserSettings::default(),
    };
    if let Some(name) = preset {
        settings = settings.with_preset(name)?;
    }
    if let Some(path) = machine {
        settings.machine = machine_dump(path)?;
        settings.check(&path.display().to_string())?;
    }
    Ok(settings)
}
