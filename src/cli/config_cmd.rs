//! `qcstation config`: check a config file (every problem, with key, line and reason) and
//! write a documented default one.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::config::{Config, DEFAULT_TOML};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file (default: the one the station would use). Exit 1 on problems.
    Check { file: Option<PathBuf> },
    /// Write the default config, with every key documented, to FILE (never overwrites).
    Init { file: Option<PathBuf> },
}

fn default_file(data_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    crate::paths::default_config_file(data_dir)
        .context("this platform has no config directory: name the file")
}

pub fn run(command: &ConfigCommand, data_dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    match command {
        ConfigCommand::Check { file } => {
            let file = match file {
                Some(file) => file.clone(),
                None => default_file(data_dir)?,
            };
            match Config::load(&file) {
                Ok(_) => {
                    println!("{}: ok", file.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    println!("{}: {} problem(s)", file.display(), err.issues.len());
                    for issue in &err.issues {
                        println!("  {issue}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        ConfigCommand::Init { file } => {
            let file = match file {
                Some(file) => file.clone(),
                None => default_file(data_dir)?,
            };
            if file.exists() {
                bail!("{} already exists: not overwriting it", file.display());
            }
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&file, DEFAULT_TOML)
                .with_context(|| format!("writing {}", file.display()))?;
            println!(
                "wrote {}: the station now runs in production mode with it",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
