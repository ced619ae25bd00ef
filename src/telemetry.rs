//! Logging: `tracing` to stderr and to a daily-rotated file in the data directory.

use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the config's filter. A log
/// directory that cannot be created leaves stderr only, and says so there.
pub fn init(log_dir: &Path, filter: &str, keep_files: u32) {
    let filter = || {
        EnvFilter::try_from_default_env()
            .or_else(|_| EnvFilter::try_new(filter))
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    if let Err(err) = std::fs::create_dir_all(log_dir) {
        eprintln!(
            "cannot create the log directory {}: {err}",
            log_dir.display()
        );
    }
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter());
    let file = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("qcstation")
        .filename_suffix("log")
        .max_log_files(keep_files.max(1) as usize)
        .build(log_dir);
    let registry = tracing_subscriber::registry().with(stderr);
    let result = match file {
        Ok(appender) => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(appender)
                    .with_ansi(false)
                    .with_thread_names(true)
                    .with_filter(filter()),
            )
            .try_init(),
        Err(err) => {
            eprintln!(
                "cannot write logs to {}: {err}; logging to stderr only",
                log_dir.display()
            );
            registry.try_init()
        }
    };
    // A second init (tests, or the GUI started from the CLI) keeps the first subscriber.
    drop(result);
}

use tracing_subscriber::Layer as _;
