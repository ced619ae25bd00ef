//! `qcstation bench store`: how fast the station commits records, and proof that "acknowledged"
//! means "on disk". It streams the cheapest real change (a station rename: one settings row and
//! one audit row) either through the runtime's store-writer, which batches whatever is queued
//! into one transaction, or straight through the store, one transaction per record. With
//! `--print-acks` every record is printed the moment its commit is acknowledged, so a test can
//! kill the process at any point and check that nothing acknowledged is missing.
//!
//! It works on its own database file (`bench-store.sqlite` in the data directory, demo users),
//! never on the station's records.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::ValueEnum;

use crate::runtime::{Command, Event, Runtime, RuntimeError, RuntimeOptions};
use crate::runtime::{StationCommand, StationEvent, UsersCommand, UsersEvent};
use crate::store::{DEMO_USERS, Store};

/// Which write path to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WritePath {
    /// Commands through the runtime's store-writer (batched transactions).
    Runtime,
    /// The store called directly, one transaction per record (what the CLI does).
    Store,
}

/// The database the benchmark writes: never the station's own.
pub const BENCH_DATABASE: &str = "bench-store.sqlite";

/// The name record `n` gives the station; the ack names the record by it.
fn record_name(n: u64) -> String {
    format!("bench record {n}")
}

fn record_number(name: &str) -> Option<u64> {
    name.strip_prefix("bench record ")?.parse().ok()
}

struct Acks {
    print: bool,
    latencies: Vec<Duration>,
}

impl Acks {
    fn ack(&mut self, n: u64, sent_at: Instant) -> anyhow::Result<()> {
        self.latencies.push(sent_at.elapsed());
        if self.print {
            let mut out = std::io::stdout().lock();
            writeln!(out, "ack {n}").context("writing an ack to stdout")?;
            out.flush().context("flushing stdout")?;
        }
        Ok(())
    }
}

pub fn run(
    data_dir: Option<&Path>,
    records: u64,
    path: WritePath,
    print_acks: bool,
) -> anyhow::Result<ExitCode> {
    let (dir, scratch) = match data_dir {
        Some(dir) => (dir.to_owned(), false),
        None => (scratch_dir()?, true),
    };
    let database = dir.join(BENCH_DATABASE);
    let mut acks = Acks {
        print: print_acks,
        latencies: Vec::new(),
    };
    // Each path times only its stream of records, not opening, seeding and signing in.
    let elapsed = match path {
        WritePath::Runtime => through_runtime(&dir, &database, records, &mut acks)?,
        WritePath::Store => through_store(&database, records, &mut acks)?,
    };
    acks.latencies.sort();
    let percentile = |p: f64| {
        let index = ((acks.latencies.len() as f64 - 1.0) * p).round() as usize;
        acks.latencies
            .get(index)
            .map_or(0.0, |latency| latency.as_secs_f64() * 1e3)
    };
    eprintln!(
        "{records} records through the {} path in {:.2} s: {:.0} records/s; ack latency p50 {:.1} ms, p99 {:.1} ms ({})",
        match path {
            WritePath::Runtime => "runtime (batched)",
            WritePath::Store => "store (one transaction each)",
        },
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64().max(1e-9),
        percentile(0.5),
        percentile(0.99),
        database.display()
    );
    if scratch {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// A fresh directory under the system's temp dir, removed when the benchmark ends.
fn scratch_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("qcstation-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let stale = dir.join(BENCH_DATABASE);
    if stale.exists() {
        std::fs::remove_file(&stale).with_context(|| format!("removing {}", stale.display()))?;
    }
    Ok(dir)
}

fn admin() -> anyhow::Result<&'static crate::store::DemoUser> {
    DEMO_USERS
        .iter()
        .find(|user| user.role == crate::domain::Role::Admin)
        .context("the demo users have no admin (a bug)")
}

fn through_runtime(
    dir: &Path,
    database: &Path,
    records: u64,
    acks: &mut Acks,
) -> anyhow::Result<Duration> {
    let runtime = Runtime::start(RuntimeOptions {
        data_dir: dir.to_owned(),
        ..RuntimeOptions::scratch(database.to_owned())
    })
    .with_context(|| format!("starting the runtime on {}", database.display()))?;
    let admin = admin()?;
    runtime.send(Command::Users(UsersCommand::SignIn {
        name: admin.name.to_owned(),
        secret: admin.secret.to_owned(),
    }))?;
    wait(&runtime, |event| match event {
        Event::Users(UsersEvent::SignedIn(_)) => Ok(true),
        Event::Users(UsersEvent::SignInRefused(reason)) => {
            bail!("the bench admin was refused: {reason}")
        }
        _ => Ok(false),
    })?;
    let started = Instant::now();
    let mut sent_at = std::collections::HashMap::new();
    let mut next = 1;
    let mut acked = 0;
    while acked < records {
        // Keep the writer's queue full so it batches; a busy queue is retried after events.
        while next <= records {
            match runtime.send(Command::Station(StationCommand::Rename {
                name: record_name(next),
            })) {
                Ok(()) => {
                    sent_at.insert(next, Instant::now());
                    next += 1;
                }
                Err(RuntimeError::Busy(_)) => break,
                Err(err) => return Err(err.into()),
            }
        }
        let Some(event) = runtime.next_event(Duration::from_secs(10)) else {
            bail!("no acknowledgement for 10 s after record {acked}: the writer is stuck");
        };
        match event {
            Event::Station(StationEvent::Settings(settings)) => {
                if let Some(n) = record_number(&settings.station_name) {
                    let at = sent_at.remove(&n).unwrap_or_else(Instant::now);
                    acks.ack(n, at)?;
                    acked += 1;
                }
            }
            Event::Failed { what, error } => bail!("{what} failed: {error}"),
            Event::Refused(reason) => bail!("refused: {reason}"),
            _ => {}
        }
    }
    let elapsed = started.elapsed();
    runtime.shutdown();
    Ok(elapsed)
}

fn through_store(database: &Path, records: u64, acks: &mut Acks) -> anyhow::Result<Duration> {
    let mut store =
        Store::open(database).with_context(|| format!("opening {}", database.display()))?;
    store.seed_demo(crate::auth::new_secret_hash)?;
    let actor = super::console_actor();
    let started = Instant::now();
    for n in 1..=records {
        let sent_at = Instant::now();
        store
            .set_station_name(&actor, &record_name(n))
            .with_context(|| format!("record {n}"))?;
        acks.ack(n, sent_at)?;
    }
    Ok(started.elapsed())
}

fn wait(
    runtime: &Runtime,
    mut done: impl FnMut(Event) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(event) = runtime.next_event(Duration::from_millis(200))
            && done(event)?
        {
            return Ok(());
        }
    }
    bail!("the runtime did not answer within 30 s")
}
