//! Helpers shared by the tests that run the built `qcstation` binary without a data directory.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::process::{Command, Output};

/// Runs the built binary with `args` (warnings only in its log).
pub fn qcstation(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qcstation"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Standard output as one JSON value per line.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}
