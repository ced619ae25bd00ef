//! Laser settings for one engraving: power, speed, passes, raster line interval, module size,
//! overscan, origin, rotation, air assist, QR error correction, and the machine they run on. Read
//! from TOML with every bad value named; named material presets give starting points.

use std::path::Path;

use super::MachineSettings;

pub use crate::domain::EcLevel;

/// How a dark module is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FillMode {
    /// Bidirectional raster lines across the whole code (fast: long runs at speed).
    #[default]
    Raster,
    /// Each dark module on its own: concentric squares from its edge inwards, so every module
    /// is a crisp square whatever its neighbours (slower; for marks verified with a grade).
    Squares,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("{file}: {reason}")]
    Parse { file: String, reason: String },
    #[error("{file}: {key} = {value}: {reason}")]
    Invalid {
        file: String,
        key: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("no material preset {0:?}: choose one of {1}")]
    UnknownPreset(String, String),
}

/// How one code is engraved. Raster fill: lines `line_interval_mm` apart through every module
/// row, bidirectional, with overscan so the head is at speed before a dark module.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LaserSettings {
    /// Power while burning, % of the machine's `$30`.
    pub power_percent: f64,
    pub speed_mm_per_min: f64,
    pub passes: u32,
    pub line_interval_mm: f64,
    /// Raster lines, or concentric squares per module; `line_interval_mm` apart either way.
    pub fill: FillMode,
    /// Side of one QR module on the part.
    pub module_mm: f64,
    /// Run-in and run-out beyond the code on each raster line.
    pub overscan_mm: f64,
    /// Bottom-left corner of the code (quiet zone excluded) in machine coordinates.
    pub origin_mm: [f64; 2],
    /// Counter-clockwise about the origin.
    pub rotation_deg: f64,
    pub air_assist: bool,
    pub error_correction: EcLevel,
    pub machine: MachineSettings,
}

impl Default for LaserSettings {
    fn default() -> Self {
        let preset = &MATERIAL_PRESETS[0];
        Self {
            power_percent: preset.power_percent,
            speed_mm_per_min: preset.speed_mm_per_min,
            passes: preset.passes,
            line_interval_mm: preset.line_interval_mm,
            fill: FillMode::Raster,
            module_mm: 0.5,
            overscan_mm: 2.0,
            origin_mm: [10.0, 10.0],
            rotation_deg: 0.0,
            air_assist: true,
            error_correction: EcLevel::M,
            machine: MachineSettings::default(),
        }
    }
}

/// A starting point for a material, to be tuned with a test grid on the real machine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaterialPreset {
    pub name: &'static str,
    pub power_percent: f64,
    pub speed_mm_per_min: f64,
    pub passes: u32,
    pub line_interval_mm: f64,
}

pub const MATERIAL_PRESETS: [MaterialPreset; 4] = [
    MaterialPreset {
        name: "anodised aluminium",
        power_percent: 80.0,
        speed_mm_per_min: 1500.0,
        passes: 1,
        line_interval_mm: 0.1,
    },
    MaterialPreset {
        name: "stainless steel",
        power_percent: 100.0,
        speed_mm_per_min: 600.0,
        passes: 2,
        line_interval_mm: 0.05,
    },
    MaterialPreset {
        name: "ABS",
        power_percent: 35.0,
        speed_mm_per_min: 2000.0,
        passes: 1,
        line_interval_mm: 0.1,
    },
    MaterialPreset {
        name: "wood",
        power_percent: 60.0,
        speed_mm_per_min: 2500.0,
        passes: 1,
        line_interval_mm: 0.1,
    },
];

impl LaserSettings {
    /// These settings with a preset's power, speed, passes and line interval.
    pub fn with_preset(mut self, name: &str) -> Result<Self, SettingsError> {
        let preset = MATERIAL_PRESETS
            .iter()
            .find(|preset| preset.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                SettingsError::UnknownPreset(
                    name.to_owned(),
                    MATERIAL_PRESETS
                        .iter()
                        .map(|preset| preset.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
        self.power_percent = preset.power_percent;
        self.speed_mm_per_min = preset.speed_mm_per_min;
        self.passes = preset.passes;
        self.line_interval_mm = preset.line_interval_mm;
        Ok(self)
    }

    /// The settings as TOML, as a job keeps them.
    pub fn to_toml(&self) -> String {
        // Plain numbers, booleans and an enum: serialisation cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Reads and checks a settings file (TOML; every key optional, defaults as `Default`).
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| SettingsError::Parse {
            file: file.clone(),
            reason: format!("cannot read it: {err}"),
        })?;
        Self::parse(&text, &file)
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, SettingsError> {
        let settings: Self = toml::from_str(text).map_err(|err| SettingsError::Parse {
            file: file.to_owned(),
            reason: err.message().to_owned(),
        })?;
        settings.check(file)?;
        Ok(settings)
    }

    /// Every value in its range, named when it is not.
    pub fn check(&self, file: &str) -> Result<(), SettingsError> {
        let invalid = |key: &'static str, value: String, reason: &'static str| {
            Err(SettingsError::Invalid {
                file: file.to_owned(),
                key,
                value,
                reason,
            })
        };
        if !(self.power_percent > 0.0 && self.power_percent <= 100.0) {
            return invalid(
                "power_percent",
                self.power_percent.to_string(),
                "must be above 0 and at most 100",
            );
        }
        if !(self.speed_mm_per_min > 0.0 && self.speed_mm_per_min.is_finite()) {
            return invalid(
                "speed_mm_per_min",
                self.speed_mm_per_min.to_string(),
                "must be above 0",
            );
        }
        if self.passes == 0 || self.passes > 20 {
            return invalid("passes", self.passes.to_string(), "must be 1 to 20");
        }
        if !(self.module_mm >= 0.05 && self.module_mm <= 10.0) {
            return invalid(
                "module_mm",
                self.module_mm.to_string(),
                "must be 0.05 to 10 mm",
            );
        }
        if !(self.line_interval_mm >= 0.01 && self.line_interval_mm <= self.module_mm) {
            return invalid(
                "line_interval_mm",
                self.line_interval_mm.to_string(),
                "must be at least 0.01 mm and at most the module size",
            );
        }
        if !(0.0..=50.0).contains(&self.overscan_mm) {
            return invalid(
                "overscan_mm",
                self.overscan_mm.to_string(),
                "must be 0 to 50 mm",
            );
        }
        if !self.rotation_deg.is_finite() || self.origin_mm.iter().any(|v| !v.is_finite()) {
            return invalid(
                "origin_mm/rotation_deg",
                format!("{:?}/{}", self.origin_mm, self.rotation_deg),
                "must be finite numbers",
            );
        }
        if self.machine.spindle_max <= self.machine.spindle_min {
            return invalid(
                "machine.spindle_max",
                self.machine.spindle_max.to_string(),
                "must be above machine.spindle_min ($30 > $31)",
            );
        }
        if !self.machine.laser_mode {
            return invalid(
                "machine.laser_mode",
                "false".to_owned(),
                "GRBL must be in laser mode ($32=1) for M4 dynamic power",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_what_it_names() {
        let settings = LaserSettings::parse(
            "power_percent = 50\nmodule_mm = 0.4\nerror_correction = \"H\"\n[machine]\nspindle_max = 255\n",
            "s.toml",
        )
        .unwrap();
        assert_eq!(settings.power_percent, 50.0);
        assert_eq!(settings.error_correction, EcLevel::H);
        assert_eq!(settings.machine.spindle_max, 255.0);
        assert_eq!(settings.passes, 1, "untouched keys keep their defaults");
    }

    #[test]
    fn bad_values_name_the_key_and_the_rule() {
        let err = LaserSettings::parse("power_percent = 150\n", "s.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "s.toml: power_percent = 150: must be above 0 and at most 100"
        );
        let err = LaserSettings::parse("line_interval_mm = 0.9\nmodule_mm = 0.5\n", "s.toml")
            .unwrap_err();
        assert!(err.to_string().contains("line_interval_mm"), "{err}");
        let err = LaserSettings::parse("powr = 1\n", "s.toml").unwrap_err();
        assert!(err.to_string().contains("powr"), "{err}");
    }

    #[test]
    fn presets_apply_by_name() {
        let steel = LaserSettings::default()
            .with_preset("Stainless Steel")
            .unwrap();
        assert_eq!(steel.passes, 2);
        assert!(LaserSettings::default().with_preset("glass").is_err());
    }
}
