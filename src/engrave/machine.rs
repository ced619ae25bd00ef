//! What a sender must know of the machine, read from GRBL's `$$` dump: power range (`$30/$31`),
//! laser mode (`$32`), junction deviation (`$11`), maximum rates (`$110–$112`, mm/min) and
//! accelerations (`$120–$122`, mm/s²). Defaults are GRBL 1.1's own.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MachineError {
    #[error("line {line} of the settings dump: {reason}")]
    Dump { line: usize, reason: String },
}

/// The machine settings a laser sender uses.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MachineSettings {
    /// `$30`: the S value of 100 % power.
    pub spindle_max: f64,
    /// `$31`: the S value of the lowest power.
    pub spindle_min: f64,
    /// `$32`: laser mode (M4 dynamic power, no stop at power changes).
    pub laser_mode: bool,
    /// `$11`: how far the path may deviate at a corner, which sets junction speeds.
    pub junction_deviation_mm: f64,
    /// `$110–$112`.
    pub max_rate_mm_per_min: [f64; 3],
    /// `$120–$122`.
    pub accel_mm_per_s2: [f64; 3],
}

impl Default for MachineSettings {
    fn default() -> Self {
        Self {
            spindle_max: 1000.0,
            spindle_min: 0.0,
            laser_mode: true,
            junction_deviation_mm: 0.01,
            max_rate_mm_per_min: [500.0, 500.0, 500.0],
            accel_mm_per_s2: [10.0, 10.0, 10.0],
        }
    }
}

impl MachineSettings {
    /// Reads a `$$` dump (`$n=value` lines; other lines — `ok`, messages — are ignored).
    /// Settings not in the dump keep GRBL's defaults.
    /// A desktop diode laser as plants run them: GRBL's defaults with the rates and
    /// accelerations such machines are set to (the demo's simulated laser).
    pub fn desktop_diode() -> Self {
        Self {
            max_rate_mm_per_min: [6000.0, 6000.0, 500.0],
            accel_mm_per_s2: [1000.0, 1000.0, 100.0],
            ..Self::default()
        }
    }

    pub fn from_dump(text: &str) -> Result<Self, MachineError> {
        let mut values = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            let Some(rest) = line.strip_prefix('$') else {
                continue;
            };
            let Some((number, value)) = rest.split_once('=') else {
                continue;
            };
            let fail = |reason: String| MachineError::Dump {
                line: index + 1,
                reason,
            };
            let number: u32 = number
                .parse()
                .map_err(|_| fail(format!("{number:?} is not a setting number")))?;
            // GRBL prints `$n=value` with an optional trailing comment in some builds.
            let value = value.split_whitespace().next().unwrap_or("");
            let value: f64 = value
                .parse()
                .map_err(|_| fail(format!("${number} has the value {value:?}, not a number")))?;
            values.insert(number, value);
        }
        let mut settings = Self::default();
        let set = |number: u32, target: &mut f64| {
            if let Some(value) = values.get(&number) {
                *target = *value;
            }
        };
        set(30, &mut settings.spindle_max);
        set(31, &mut settings.spindle_min);
        set(11, &mut settings.junction_deviation_mm);
        for axis in 0..3 {
            set(110 + axis as u32, &mut settings.max_rate_mm_per_min[axis]);
            set(120 + axis as u32, &mut settings.accel_mm_per_s2[axis]);
        }
        if let Some(mode) = values.get(&32) {
            settings.laser_mode = *mode != 0.0;
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_sets_what_it_names_and_ignores_other_lines() {
        let dump = "$0=10\n$11=0.020\n$30=255\n$31=0\n$32=1\n$110=6000.000\n$111=5000.000\n$120=800.000\n[MSG:x]\nok\n";
        let settings = MachineSettings::from_dump(dump).unwrap();
        assert_eq!(settings.spindle_max, 255.0);
        assert!(settings.laser_mode);
        assert_eq!(settings.junction_deviation_mm, 0.02);
        assert_eq!(settings.max_rate_mm_per_min, [6000.0, 5000.0, 500.0]);
        assert_eq!(settings.accel_mm_per_s2, [800.0, 10.0, 10.0]);
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let err = MachineSettings::from_dump("$30=1000\n$110=fast\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2 of the settings dump: $110 has the value \"fast\", not a number"
        );
    }
}
