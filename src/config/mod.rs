//! The station's configuration file (TOML): where the data lives, sign-in security, the UI's
//! kiosk options, logging, the plant's lot-number pattern, the laser's port and backups. Every
//! key has a documented default (`DEFAULT_TOML`); unknown keys and bad values are reported with
//! the key and the reason, never silently replaced.
//!
//! No config file means demo mode: a demo database with demo users and synthetic cameras.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::crosscheck::FieldPatterns;
use crate::domain::{LockoutPolicy, LotRule};

/// The file written by `qcstation config init`, documenting every key and its default.
pub const DEFAULT_TOML: &str = concat!(
    r#"# qcstation configuration. Every key is optional; the values shown are the defaults.

[station]
# Open the GUI full screen (kiosks). F11 toggles it too. (The station's name is a setting an
# admin changes in Admin > Station; it lives in the database.)
fullscreen = false
# Scale of the whole UI; 1.0 suits a 15" 1080p touch screen.
ui_scale = 1.0

[security]
# Wrong PINs or passwords in a row before the account locks.
max_failed_attempts = 5
# How long a locked account stays locked.
lockout_secs = 300
# Sign the user out after this long without input; live views keep running. 0 disables.
idle_signout_secs = 300

[storage]
# Where the database, images and logs live. Empty: the platform's data directory.
data_dir = ""
# Below this much free space (MB, 1 MB = 1048576 bytes) on the data directory's disk the
# station stops saving images (inspections, scans and verifications are still recorded), says
# so in the top bar and the log, and saves images again once space is freed. 0: never stop.
min_free_mb = 2048

[backup]
# Back up into <data_dir>/backups every this many hours; 0: only when asked
# (`qcstation backup`). (The schedule is not run by this version yet.)
every_hours = 24
# Keep the newest backup of each of the last keep_daily days that have backups (at least 1)...
keep_daily = 7
# ...and the newest of each of the last keep_weekly ISO weeks that have backups (0: none more).
keep_weekly = 4
# Warn in the top bar when the last good backup is older than this many hours; 0: never.
warn_after_hours = 48

[inventory]
# The plant's lot-number pattern for item UIDs; empty: L + year + '-' + month (L2025-09).
# '#' is a digit, '@' an upper-case letter, '*' either; upper-case letters, digits and '-'
# stand for themselves, e.g. "LOT-####@".
lot_pattern = ""

[laser]
# The engraving laser's GRBL controller: its serial device (e.g. "/dev/ttyUSB0"); empty: this
# station has no laser. "simulated" runs the station's own GRBL simulator (as the demo does).
port = ""
baud = 115200
# The camera over the fixture that reads and grades each fresh mark (a name from [[cameras]] or
# the camera list); empty: none. The simulated laser has its own simulated bench camera.
bench_camera = ""

[scan]
# The camera scan sessions read from (a camera's name); empty: this station runs no scan
# sessions. "simulated" runs the demo's simulated hand-held reader.
camera = ""

[inspection]
# Porosity inspection on this station's cameras.
enabled = true
# Vision workers (each loads its own copy of the detector). 2 suits a 2-core kiosk.
workers = 2
# The part number whose newest recipe is active at start; empty: the first stored recipe.
part_number = ""
# The digital I/O: "none", "simulated" (the demo's on-screen board) or "raspberry-pi" (needs a
# build with the `kiosk` feature).
gpio = "none"
# A part-sensor level must hold this long to count (contact bounce).
debounce_ms = 10
# Length of the reject pulse to the diverter on a REJECT.
reject_pulse_ms = 250
# How long the horn sounds on a REJECT; 0: never; -1: until the acknowledge button.
horn_secs = 3
# BCM pin numbers on the Raspberry Pi header, and the inputs' wiring (switch to ground).
trigger_pin = 17
acknowledge_pin = 27
green_pin = 5
amber_pin = 6
red_pin = 13
reject_pin = 19
horn_pin = 26
inputs_active_low = true

# The cross-check's field patterns (see specs/crosscheck.md).
"#,
    crate::domain::crosscheck::default_toml!(),
    r#"
[logging]
# tracing filter for the log file and stderr, e.g. "info" or "qcstation=debug,info".
filter = "info"
# Rotated log files to keep.
keep_files = 14
"#
);

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub station: StationSection,
    pub security: SecuritySection,
    pub storage: StorageSection,
    pub backup: BackupSection,
    pub inventory: InventorySection,
    pub laser: LaserSection,
    pub scan: ScanSection,
    pub inspection: InspectionSection,
    /// The cross-check's field patterns and confidence threshold.
    pub crosscheck: FieldPatterns,
    pub logging: LoggingSection,
}

/// Scan sessions.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanSection {
    /// The station camera scan sessions read from (its name); empty: no scan sessions.
    /// "simulated" runs the demo's simulated hand-held reader.
    pub camera: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InspectionSection {
    pub enabled: bool,
    pub workers: u32,
    pub part_number: String,
    pub gpio: String,
    pub debounce_ms: u32,
    pub reject_pulse_ms: u32,
    pub horn_secs: i32,
    pub trigger_pin: u8,
    pub acknowledge_pin: u8,
    pub green_pin: u8,
    pub amber_pin: u8,
    pub red_pin: u8,
    pub reject_pin: u8,
    pub horn_pin: u8,
    pub inputs_active_low: bool,
}

impl Default for InspectionSection {
    fn default() -> Self {
        let pins = crate::gpio::PinMap::default();
        Self {
            enabled: true,
            workers: 2,
            part_number: String::new(),
            gpio: "none".to_owned(),
            debounce_ms: 10,
            reject_pulse_ms: 250,
            horn_secs: 3,
            trigger_pin: pins.inputs[0],
            acknowledge_pin: pins.inputs[1],
            green_pin: pins.outputs[0],
            amber_pin: pins.outputs[1],
            red_pin: pins.outputs[2],
            reject_pin: pins.outputs[3],
            horn_pin: pins.outputs[4],
            inputs_active_low: pins.inputs_active_low,
        }
    }
}

impl InspectionSection {
    pub fn pin_map(&self) -> crate::gpio::PinMap {
        crate::gpio::PinMap {
            inputs: [self.trigger_pin, self.acknowledge_pin],
            outputs: [
                self.green_pin,
                self.amber_pin,
                self.red_pin,
                self.reject_pin,
                self.horn_pin,
            ],
            inputs_active_low: self.inputs_active_low,
        }
    }

    pub fn timing(&self) -> crate::gpio::OutputTiming {
        crate::gpio::OutputTiming {
            reject_pulse: std::time::Duration::from_millis(u64::from(self.reject_pulse_ms)),
            horn: u64::try_from(self.horn_secs)
                .ok()
                .map(std::time::Duration::from_secs),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LaserSection {
    pub port: String,
    pub baud: u32,
    /// The station camera over the laser's fixture (its name), which reads and grades each
    /// fresh mark; empty: none (items stay `engraved` until scanned).
    pub bench_camera: String,
}

impl Default for LaserSection {
    fn default() -> Self {
        Self {
            port: String::new(),
            baud: 115_200,
            bench_camera: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StationSection {
    pub fullscreen: bool,
    pub ui_scale: f32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    pub max_failed_attempts: u32,
    pub lockout_secs: u32,
    pub idle_signout_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSection {
    pub data_dir: String,
    /// Free space (binary MB) below which images are not saved; 0: never paused.
    pub min_free_mb: u64,
}

impl Default for StorageSection {
    fn default() -> Self {
        Self {
            data_dir: String::new(),
            min_free_mb: crate::runtime::DEFAULT_MIN_FREE_MB,
        }
    }
}

impl StorageSection {
    /// `min_free_mb` in bytes, for the runtime's disk guard.
    pub fn min_free_bytes(&self) -> u64 {
        self.min_free_mb
            .saturating_mul(crate::runtime::BYTES_PER_MB)
    }
}

/// Scheduled backups and their retention (see `backup`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupSection {
    /// Hours between scheduled backups; 0: none.
    pub every_hours: u32,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    /// Hours without a good backup before the top bar warns; 0: never.
    pub warn_after_hours: u32,
}

impl Default for BackupSection {
    fn default() -> Self {
        Self {
            every_hours: 24,
            keep_daily: 7,
            keep_weekly: 4,
            warn_after_hours: 48,
        }
    }
}

impl BackupSection {
    pub fn retention(&self) -> crate::backup::Retention {
        crate::backup::Retention {
            keep_daily: self.keep_daily,
            keep_weekly: self.keep_weekly,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InventorySection {
    pub lot_pattern: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingSection {
    pub filter: String,
    pub keep_files: u32,
}

impl Default for StationSection {
    fn default() -> Self {
        Self {
            fullscreen: false,
            ui_scale: 1.0,
        }
    }
}

impl Default for SecuritySection {
    fn default() -> Self {
        Self {
            max_failed_attempts: 5,
            lockout_secs: 300,
            idle_signout_secs: 300,
        }
    }
}

impl Default for LoggingSection {
    fn default() -> Self {
        Self {
            filter: "info".to_owned(),
            keep_files: 14,
        }
    }
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key (`security.lockout_secs`), or empty when the file as a whole is unreadable.
    pub key: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    pub reason: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.key.is_empty(), self.line) {
            (false, Some(line)) => write!(f, "line {line}, {}: {}", self.key, self.reason),
            (false, None) => write!(f, "{}: {}", self.key, self.reason),
            (true, Some(line)) => write!(f, "line {line}: {}", self.reason),
            (true, None) => f.write_str(&self.reason),
        }
    }
}

/// A config file that cannot be used, with every problem found.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {}", issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ConfigError {
    pub path: PathBuf,
    pub issues: Vec<ConfigIssue>,
}

impl Config {
    pub fn lockout(&self) -> LockoutPolicy {
        LockoutPolicy {
            max_failed_attempts: self.security.max_failed_attempts,
            lockout_secs: self.security.lockout_secs,
        }
    }

    /// The laser the engraver drives: none, the simulator, or a serial device.
    pub fn laser_plan(&self) -> Option<crate::runtime::LaserPlan> {
        match self.laser.port.trim() {
            "" => None,
            "simulated" => Some(crate::runtime::LaserPlan::Simulated {
                time_scale: 1.0,
                machine: crate::engrave::MachineSettings::desktop_diode(),
            }),
            path => Some(crate::runtime::LaserPlan::Device {
                path: path.to_owned(),
                baud: self.laser.baud,
                bench_camera: Some(self.laser.bench_camera.trim().to_owned())
                    .filter(|name| !name.is_empty()),
            }),
        }
    }

    /// Scan sessions as configured.
    pub fn scan_plan(&self) -> Option<crate::runtime::ScanPlan> {
        match self.scan.camera.trim() {
            "" => None,
            "simulated" => Some(crate::runtime::ScanPlan::live(
                crate::runtime::ScanFrom::Simulated,
            )),
            name => Some(crate::runtime::ScanPlan::live(
                crate::runtime::ScanFrom::Camera(name.to_owned()),
            )),
        }
    }

    /// Porosity inspection as configured; `demo` runs the simulated GPIO board whatever the
    /// file says. `None` when inspection is disabled.
    pub fn inspection_plan(
        &self,
        data_dir: &Path,
        demo: bool,
    ) -> Option<crate::runtime::InspectionPlan> {
        use crate::runtime::{GpioPlan, GpioSetup, InspectionPlan, TriggerMode};
        let section = &self.inspection;
        if !section.enabled {
            return None;
        }
        let plan = match (demo, section.gpio.as_str()) {
            (true, _) | (false, "simulated") => {
                Some(GpioPlan::Simulated(crate::gpio::SimBoard::default()))
            }
            #[cfg(feature = "kiosk")]
            (false, "raspberry-pi") => Some(GpioPlan::RaspberryPi(section.pin_map())),
            _ => None,
        };
        Some(InspectionPlan {
            gpio: plan.map(|plan| GpioSetup {
                plan,
                debounce: std::time::Duration::from_millis(u64::from(section.debounce_ms)),
                timing: section.timing(),
            }),
            workers: section.workers as usize,
            images_dir: data_dir.join("images"),
            part_number: Some(section.part_number.trim().to_owned()).filter(|p| !p.is_empty()),
            mode: TriggerMode::Button,
        })
    }

    /// The rule lot numbers follow (validated when the file was read; an unreadable pattern
    /// falls back to the default only for a `Config` built in code without validation).
    pub fn lot_rule(&self) -> LotRule {
        LotRule::pattern(&self.inventory.lot_pattern).unwrap_or_default()
    }

    /// Parses and validates TOML text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|err| ConfigError {
            path: path.to_owned(),
            issues: vec![issue_from_toml(text, &err)],
        })?;
        let issues = config.validate();
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError {
                path: path.to_owned(),
                issues: issues
                    .into_iter()
                    .map(|(key, reason)| ConfigIssue {
                        line: line_of_key(text, &key),
                        key,
                        reason,
                    })
                    .collect(),
            })
        }
    }

    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError {
            path: path.to_owned(),
            issues: vec![ConfigIssue {
                key: String::new(),
                line: None,
                reason: format!("cannot read the file: {err}"),
            }],
        })?;
        Self::parse(&text, path)
    }

    /// Range checks beyond what the types enforce: (key, reason) pairs.
    fn validate(&self) -> Vec<(String, String)> {
        let mut issues = Vec::new();
        let mut check = |ok: bool, key: &str, reason: &str| {
            if !ok {
                issues.push((key.to_owned(), reason.to_owned()));
            }
        };
        check(
            (0.5..=3.0).contains(&self.station.ui_scale),
            "station.ui_scale",
            "must be between 0.5 and 3.0",
        );
        check(
            (1..=20).contains(&self.security.max_failed_attempts),
            "security.max_failed_attempts",
            "must be 1 to 20",
        );
        check(
            (10..=86_400).contains(&self.security.lockout_secs),
            "security.lockout_secs",
            "must be 10 to 86400 seconds",
        );
        check(
            self.security.idle_signout_secs == 0
                || (30..=86_400).contains(&self.security.idle_signout_secs),
            "security.idle_signout_secs",
            "must be 0 (never) or 30 to 86400 seconds",
        );
        check(
            tracing_subscriber::EnvFilter::try_new(&self.logging.filter).is_ok(),
            "logging.filter",
            "is not a valid tracing filter (try \"info\" or \"qcstation=debug,info\")",
        );
        if let Err(reason) = LotRule::pattern(&self.inventory.lot_pattern) {
            issues.push(("inventory.lot_pattern".to_owned(), reason));
        }
        if let Err(err) = self.crosscheck.validate() {
            issues.extend(
                err.issues
                    .into_iter()
                    .map(|issue| (issue.key, issue.reason)),
            );
        }
        let mut check = |ok: bool, key: &str, reason: &str| {
            if !ok {
                issues.push((key.to_owned(), reason.to_owned()));
            }
        };
        check(
            (1..=365).contains(&self.logging.keep_files),
            "logging.keep_files",
            "must be 1 to 365",
        );
        check(
            self.storage.min_free_mb <= 1_048_576,
            "storage.min_free_mb",
            "must be 0 (never stop saving images) to 1048576 MB (1 TB)",
        );
        let backup = &self.backup;
        check(
            backup.every_hours <= 24 * 7,
            "backup.every_hours",
            "must be 0 (no schedule) to 168 hours (a week)",
        );
        check(
            (1..=366).contains(&backup.keep_daily),
            "backup.keep_daily",
            "must be 1 to 366 (the newest backup is always kept)",
        );
        check(
            backup.keep_weekly <= 520,
            "backup.keep_weekly",
            "must be 0 to 520",
        );
        check(
            backup.warn_after_hours <= 24 * 366,
            "backup.warn_after_hours",
            "must be 0 (never) to 8784 hours",
        );
        check(
            backup.warn_after_hours == 0
                || backup.every_hours == 0
                || backup.warn_after_hours > backup.every_hours,
            "backup.warn_after_hours",
            "must be more than backup.every_hours, or the top bar warns before each scheduled backup is due",
        );
        check(
            [9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 250_000].contains(&self.laser.baud),
            "laser.baud",
            "must be a serial rate GRBL boards use (115200 for GRBL 1.1)",
        );
        let inspection = &self.inspection;
        check(
            (1..=8).contains(&inspection.workers),
            "inspection.workers",
            "must be 1 to 8",
        );
        check(
            ["none", "simulated", "raspberry-pi"].contains(&inspection.gpio.as_str()),
            "inspection.gpio",
            "must be \"none\", \"simulated\" or \"raspberry-pi\"",
        );
        check(
            inspection.gpio != "raspberry-pi" || cfg!(feature = "kiosk"),
            "inspection.gpio",
            "\"raspberry-pi\" needs qcstation built with the kiosk feature (cargo build --release --features kiosk)",
        );
        check(
            (1..=1_000).contains(&inspection.debounce_ms),
            "inspection.debounce_ms",
            "must be 1 to 1000 ms",
        );
        check(
            (10..=10_000).contains(&inspection.reject_pulse_ms),
            "inspection.reject_pulse_ms",
            "must be 10 to 10000 ms",
        );
        check(
            (-1..=600).contains(&inspection.horn_secs),
            "inspection.horn_secs",
            "must be -1 (until acknowledged), 0 (never) or up to 600 seconds",
        );
        if let Err(reason) = inspection.pin_map().validate() {
            issues.push(("inspection.trigger_pin".to_owned(), reason));
        }
        issues
    }
}

fn line_at(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

fn issue_from_toml(text: &str, err: &toml::de::Error) -> ConfigIssue {
    let line = err.span().map(|span| line_at(text, span.start));
    // toml reports the offending key in its message; keep the message's first line.
    let message = err.message().lines().next().unwrap_or_default().to_owned();
    let key = err
        .span()
        .map(|span| dotted_key_at(text, span.start))
        .unwrap_or_default();
    ConfigIssue {
        key,
        line,
        reason: message,
    }
}

/// The dotted key (`section.key`) of the line holding byte `at`.
fn dotted_key_at(text: &str, at: usize) -> String {
    let mut section = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            section = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
        }
        if at < offset + line.len() {
            let key = trimmed.split('=').next().unwrap_or_default().trim();
            if trimmed.starts_with('[') || key.is_empty() {
                return section;
            }
            return if section.is_empty() {
                key.to_owned()
            } else {
                format!("{section}.{key}")
            };
        }
        offset += line.len();
    }
    section
}

/// The line of `section.key` in the text, if it is written there.
fn line_of_key(text: &str, dotted: &str) -> Option<usize> {
    let (section, key) = dotted.split_once('.')?;
    let mut in_section = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_section = trimmed.trim_matches(|c| c == '[' || c == ']').trim() == section;
        } else if in_section && trimmed.split('=').next().map(str::trim) == Some(key) {
            return Some(index + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_to_defaults() {
        let config = Config::parse(DEFAULT_TOML, Path::new("default.toml")).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn the_crosscheck_section_is_the_domain_default_and_a_bad_pattern_names_its_key() {
        assert!(DEFAULT_TOML.contains(crate::domain::crosscheck::DEFAULT_TOML));
        let text = "[crosscheck.board_serial]\npattern = \"[0-9\"\n";
        let err = Config::parse(text, Path::new("station.toml")).unwrap_err();
        assert!(
            err.issues
                .iter()
                .any(|issue| issue.key.starts_with("crosscheck.board_serial")),
            "{err}"
        );
    }

    #[test]
    fn bad_values_name_key_line_and_reason() {
        let text = "[station]\nfullscreen = true\n\n[security]\nlockout_secs = 2\nmax_failed_attempts = 0\n";
        let err = Config::parse(text, Path::new("station.toml")).unwrap_err();
        assert_eq!(err.issues.len(), 2, "{err}");
        assert_eq!(err.issues[0].key, "security.max_failed_attempts");
        assert_eq!(err.issues[0].line, Some(6));
        assert_eq!(err.issues[1].key, "security.lockout_secs");
        assert_eq!(err.issues[1].line, Some(5));
        assert!(err.to_string().starts_with("station.toml: "));
    }

    #[test]
    fn inspection_keys_are_checked_and_become_the_plan() {
        let text = "[inspection]\nworkers = 0\ngpio = \"parallel-port\"\nreject_pulse_ms = 5\nhorn_secs = -2\ngreen_pin = 17\n";
        let err = Config::parse(text, Path::new("station.toml")).unwrap_err();
        let keys: Vec<&str> = err.issues.iter().map(|i| i.key.as_str()).collect();
        for key in [
            "inspection.workers",
            "inspection.gpio",
            "inspection.reject_pulse_ms",
            "inspection.horn_secs",
            "inspection.trigger_pin",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        let pins = err
            .issues
            .iter()
            .find(|i| i.key == "inspection.trigger_pin")
            .unwrap();
        assert!(pins.reason.contains("BCM pin 17"), "{}", pins.reason);

        let config = Config::parse(
            "[inspection]\ngpio = \"simulated\"\nhorn_secs = -1\npart_number = \"HSG-4471\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let plan = config.inspection_plan(Path::new("/data"), false).unwrap();
        assert!(plan.gpio.is_some());
        assert_eq!(
            plan.gpio.unwrap().timing.horn,
            None,
            "-1: until acknowledged"
        );
        assert_eq!(plan.part_number.as_deref(), Some("HSG-4471"));
        assert_eq!(plan.images_dir, Path::new("/data/images"));
        let off = Config::parse("[inspection]\nenabled = false\n", Path::new("c.toml")).unwrap();
        assert!(off.inspection_plan(Path::new("/data"), true).is_none());
    }

    #[test]
    fn the_lot_pattern_is_checked_and_becomes_the_lot_rule() {
        let config = Config::parse(
            "[inventory]\nlot_pattern = \"LOT-####@\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(config.lot_rule(), LotRule::Pattern("LOT-####@".to_owned()));
        assert_eq!(Config::default().lot_rule(), LotRule::YearMonth);
        let err = Config::parse("[inventory]\nlot_pattern = \"lot#\"\n", Path::new("c.toml"))
            .unwrap_err();
        assert_eq!(err.issues[0].key, "inventory.lot_pattern");
        assert_eq!(err.issues[0].line, Some(2));
        assert!(err.issues[0].reason.contains("cannot appear"), "{err}");
    }

    #[test]
    fn backup_keys_are_checked_and_give_the_retention() {
        let config = Config::parse(
            "[backup]\nkeep_daily = 3\nkeep_weekly = 0\nevery_hours = 0\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(
            config.backup.retention(),
            crate::backup::Retention {
                keep_daily: 3,
                keep_weekly: 0
            }
        );
        assert_eq!(config.backup.warn_after_hours, 48);
        let text = "[backup]\nevery_hours = 200\nkeep_daily = 0\nkeep_weekly = 1000\nwarn_after_hours = 0\n";
        let err = Config::parse(text, Path::new("c.toml")).unwrap_err();
        let keys: Vec<(&str, Option<usize>)> = err
            .issues
            .iter()
            .map(|issue| (issue.key.as_str(), issue.line))
            .collect();
        assert_eq!(
            keys,
            [
                ("backup.every_hours", Some(2)),
                ("backup.keep_daily", Some(3)),
                ("backup.keep_weekly", Some(4))
            ],
            "{err}"
        );
        let err = Config::parse(
            "[backup]\nevery_hours = 24\nwarn_after_hours = 12\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert_eq!(err.issues[0].key, "backup.warn_after_hours");
        assert_eq!(err.issues[0].line, Some(3));
        assert!(err.issues[0].reason.contains("every_hours"), "{err}");
    }

    #[test]
    fn the_disk_minimum_is_checked_and_given_in_bytes() {
        assert_eq!(Config::default().storage.min_free_mb, 2048);
        assert_eq!(
            Config::default().storage.min_free_bytes(),
            2048 * 1024 * 1024
        );
        let config = Config::parse("[storage]\nmin_free_mb = 0\n", Path::new("c.toml")).unwrap();
        assert_eq!(config.storage.min_free_bytes(), 0);
        let err = Config::parse(
            "[storage]\ndata_dir = \"\"\nmin_free_mb = 2000000\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert_eq!(err.issues[0].key, "storage.min_free_mb");
        assert_eq!(err.issues[0].line, Some(3));
        assert!(err.issues[0].reason.contains("1 TB"), "{err}");
        let err = Config::parse("[storage]\nmin_free_mb = -1\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(err.issues[0].key, "storage.min_free_mb");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_reported() {
        let err = Config::parse("[station]\nnmae = \"x\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(err.issues[0].line, Some(2));
        assert!(err.issues[0].reason.contains("nmae"), "{err}");
        let err =
            Config::parse("[security]\nlockout_secs = \"ten\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(err.issues[0].key, "security.lockout_secs");
        assert_eq!(err.issues[0].line, Some(2));
    }
}
