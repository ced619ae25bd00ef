//! Where the station keeps its files: the data directory (database, images, logs) and the
//! config file, chosen per platform and overridable by `--data-dir`, `--config` and the config
//! file's `storage.data_dir`. No config file means demo mode, on its own demo database.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use crate::config::{Config, ConfigError};

/// Demo (no config file: demo users, synthetic cameras) or a configured production station.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Production,
}

#[derive(Debug, Clone)]
pub struct StationPaths {
    pub mode: Mode,
    pub data_dir: PathBuf,
    /// The config file in use, when there is one.
    pub config_file: Option<PathBuf>,
    pub database: PathBuf,
    pub log_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error(
        "this platform has no home directory to put the station's data in: pass --data-dir DIR"
    )]
    NoHome,
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "{database} is a production database, but its config file {expected} is missing: \
         restore that file (or pass --config FILE). The station does not fall back to demo mode \
         on a production data directory."
    )]
    ProductionWithoutConfig { database: String, expected: String },
}

/// The database of a configured station, in its data directory.
pub const PRODUCTION_DATABASE: &str = "station.sqlite";
/// The demo's database, beside it: the two never share a file.
pub const DEMO_DATABASE: &str = "demo.sqlite";

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "qcstation")
}

/// The config file looked for when `--config` is not given: `qcstation.toml` in the data
/// directory named by `--data-dir`, else in the platform's config directory.
pub fn default_config_file(data_dir_arg: Option<&Path>) -> Option<PathBuf> {
    match data_dir_arg {
        Some(dir) => Some(dir.join("qcstation.toml")),
        None => project_dirs().map(|dirs| dirs.config_dir().join("qcstation.toml")),
    }
}

/// Resolves paths and loads the config. An explicit `--config` that does not exist is an
/// error; a missing default config means demo mode.
pub fn resolve(
    data_dir_arg: Option<&Path>,
    config_arg: Option<&Path>,
) -> Result<(StationPaths, Config), PathsError> {
    let (config_file, config) = match config_arg {
        Some(path) => (Some(path.to_owned()), Config::load(path)?),
        None => match default_config_file(data_dir_arg).filter(|path| path.exists()) {
            Some(path) => {
                let config = Config::load(&path)?;
                (Some(path), config)
            }
            None => (None, Config::default()),
        },
    };
    let data_dir = match (data_dir_arg, config.storage.data_dir.trim()) {
        (Some(dir), _) => dir.to_owned(),
        (None, dir) if !dir.is_empty() => PathBuf::from(dir),
        (None, _) => project_dirs()
            .map(|dirs| dirs.data_dir().to_owned())
            .ok_or(PathsError::NoHome)?,
    };
    let mode = if config_file.is_some() {
        Mode::Production
    } else {
        Mode::Demo
    };
    let database = data_dir.join(match mode {
        Mode::Demo => DEMO_DATABASE,
        Mode::Production => PRODUCTION_DATABASE,
    });
    let production = data_dir.join(PRODUCTION_DATABASE);
    if mode == Mode::Demo && production.exists() {
        let expected = default_config_file(data_dir_arg).map_or_else(
            || "qcstation.toml".to_owned(),
            |path| path.display().to_string(),
        );
        return Err(PathsError::ProductionWithoutConfig {
            database: production.display().to_string(),
            expected,
        });
    }
    Ok((
        StationPaths {
            mode,
            log_dir: data_dir.join("logs"),
            data_dir,
            config_file,
            database,
        },
        config,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_config_is_demo_and_a_config_is_production() {
        let dir = tempfile::tempdir().unwrap();
        let (paths, _) = resolve(Some(dir.path()), None).unwrap();
        assert_eq!(paths.mode, Mode::Demo);
        assert_eq!(paths.database, dir.path().join("demo.sqlite"));
        std::fs::write(
            dir.path().join("qcstation.toml"),
            "[station]\nfullscreen = true\n",
        )
        .unwrap();
        let (paths, config) = resolve(Some(dir.path()), None).unwrap();
        assert_eq!(paths.mode, Mode::Production);
        assert_eq!(paths.database, dir.path().join("station.sqlite"));
        assert!(config.station.fullscreen);
    }

    #[test]
    fn a_production_data_dir_without_its_config_is_an_error_not_a_demo() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("qcstation.toml"), "").unwrap();
        let (paths, _) = resolve(Some(dir.path()), None).unwrap();
        crate::store::Store::open(&paths.database).unwrap();
        std::fs::remove_file(dir.path().join("qcstation.toml")).unwrap();
        let err = resolve(Some(dir.path()), None).unwrap_err().to_string();
        assert!(err.contains("station.sqlite"), "{err}");
        assert!(err.contains("qcstation.toml is missing"), "{err}");
    }

    #[test]
    fn missing_explicit_config_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        assert!(resolve(Some(dir.path()), Some(&missing)).is_err());
    }
}
