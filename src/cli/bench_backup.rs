//! `qcstation bench backup --size-mb N`: what a backup costs a station that keeps working. A
//! scratch station (under --data-dir, else the system's temp folder; removed afterwards) is
//! filled with N MB — nine tenths images (1 MiB files of noise: camera images do not compress),
//! one tenth audit rows of 1 KB — and synced. Then a writer thread does what an inspecting
//! station does, every `--write-every-ms`: saves an image (not synced, like the vision workers)
//! and commits a record through the sealed store (`synchronous=FULL`), timing each commit. After
//! a baseline the backup runs into the station's `backups/`; the figures are its time and rate,
//! and the commits' waits before and during it: the longest, p99 and p50.
//!
//! The images were just written, so the backup reads most of them from the page cache: a
//! station whose images are days old reads them from disk, which takes longer but adds reads,
//! not writes, to what the commits compete with.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use rand::{RngCore as _, SeedableRng as _};
use serde_json::json;

use super::round;
use crate::backup::{self, BackupRequest, FilePacing, Pacing, Step};
use crate::store::{AuditEntry, AuditSeal, CopyPacing, Store};

/// A default pacing's pause in whole ms, so the bench's defaults are the backup's own.
fn millis(pause: Duration) -> u64 {
    u64::try_from(pause.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Debug, Args)]
pub struct BackupBench {
    /// Size of the scratch station (images and database), MB.
    #[arg(long, default_value_t = 1024)]
    pub size_mb: u64,
    /// The writer's period: one image and one record each time.
    #[arg(long, default_value_t = 50)]
    pub write_every_ms: u64,
    /// Size of the image saved with each record, KB (0: records only).
    #[arg(long, default_value_t = 500)]
    pub image_kb: u64,
    /// Seconds of writing before the backup starts (the baseline).
    #[arg(long, default_value_t = 3.0)]
    pub baseline_secs: f64,
    /// Database pages per backup step.
    #[arg(long, default_value_t = CopyPacing::default().pages_per_step)]
    pub pages_per_step: u32,
    /// Pause after each database step, ms.
    #[arg(long, default_value_t = millis(CopyPacing::default().pause_between_steps))]
    pub step_pause_ms: u64,
    /// Sync the database copy and file copies every this many MiB.
    #[arg(long, default_value_t = CopyPacing::default().sync_every_bytes >> 20)]
    pub sync_every_mb: u64,
    /// Pause after each sync of a file copy, ms.
    #[arg(long, default_value_t = millis(FilePacing::default().pause_after_sync))]
    pub sync_pause_ms: u64,
    /// One JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

const IMAGE_BYTES: usize = 1 << 20;
const ROW_BYTES: usize = 1000;

/// One commit of the writer: when it started (from the bench's start) and how long it took.
#[derive(Debug, Clone, Copy)]
struct Commit {
    started: Duration,
    waited: Duration,
}

pub fn run(bench: &BackupBench, data_dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let parent = data_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let dir = parent.join(format!("qcstation-bench-backup-{}", std::process::id()));
    if dir.exists() {
        bail!("{} exists already: remove it first", dir.display());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = measure(bench, &dir);
    std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    result
}

fn open_station(dir: &Path) -> anyhow::Result<Store> {
    let database = dir.join(crate::paths::PRODUCTION_DATABASE);
    Store::open_sealed(&database, &AuditSeal::in_data_dir(dir, &database))
        .with_context(|| format!("opening {}", database.display()))
}

fn measure(bench: &BackupBench, dir: &Path) -> anyhow::Result<ExitCode> {
    let fill_started = Instant::now();
    fill(dir, bench.size_mb)?;
    eprintln!(
        "filled {} with {} MB in {:.1} s",
        dir.display(),
        bench.size_mb,
        fill_started.elapsed().as_secs_f64()
    );

    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (dir, stop) = (dir.to_owned(), Arc::clone(&stop));
        let period = Duration::from_millis(bench.write_every_ms);
        let image_bytes = usize::try_from(bench.image_kb).unwrap_or(0) * 1000;
        std::thread::Builder::new()
            .name("bench-writer".into())
            .spawn(move || write_loop(&dir, &stop, t0, period, image_bytes))
            .context("starting the writer thread")?
    };
    std::thread::sleep(Duration::from_secs_f64(bench.baseline_secs.max(0.0)));
    let request = BackupRequest {
        data_dir: dir.to_owned(),
        database: dir.join(crate::paths::PRODUCTION_DATABASE),
        config_file: None,
        destination: backup::default_destination(dir, crate::store::now_utc()),
        pacing: Pacing {
            database: CopyPacing {
                pages_per_step: bench.pages_per_step,
                pause_between_steps: Duration::from_millis(bench.step_pause_ms),
                sync_every_bytes: bench.sync_every_mb.max(1) << 20,
            },
            files: FilePacing {
                sync_every_bytes: bench.sync_every_mb.max(1) << 20,
                pause_after_sync: Duration::from_millis(bench.sync_pause_ms),
                ..FilePacing::default()
            },
        },
    };
    let backup_started = t0.elapsed();
    // When each step began, to tell which one the longest wait fell in.
    let mut steps: Vec<(Duration, Step)> = Vec::new();
    let report = backup::create(&request, &mut |progress| {
        if steps.last().is_none_or(|(_, step)| *step != progress.step) {
            steps.push((t0.elapsed(), progress.step));
        }
    });
    let backup_ended = t0.elapsed();
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let commits = match writer.join() {
        Ok(commits) => commits?,
        Err(_) => bail!("the writer thread panicked"),
    };
    let report = report.context("the backup failed")?;

    let during: Vec<Duration> = commits
        .iter()
        .filter(|c| c.started + c.waited >= backup_started && c.started <= backup_ended)
        .map(|c| c.waited)
        .collect();
    let before: Vec<Duration> = commits
        .iter()
        .filter(|c| c.started + c.waited < backup_started)
        .map(|c| c.waited)
        .collect();
    let (before, during) = (Waits::of(before), Waits::of(during));
    let longest_in = commits
        .iter()
        .filter(|c| c.started + c.waited >= backup_started && c.started <= backup_ended)
        .max_by_key(|c| c.waited)
        .map_or("none", |longest| {
            steps
                .iter()
                .rev()
                .find(|(at, _)| *at <= longest.started + longest.waited)
                .map_or("the start", |(_, step)| step.as_str())
        });
    let seconds = report.elapsed.as_secs_f64();
    let mb = report.manifest.total_bytes() as f64 / 1e6;
    if bench.json {
        println!(
            "{}",
            json!({
                "size_mb": round(mb, 1),
                "files": report.manifest.files.len(),
                "backup_s": round(seconds, 2),
                "database_s": round(report.database_elapsed.as_secs_f64(), 2),
                "mb_per_s": round(mb / seconds.max(1e-9), 1),
                "commits_before": before.json(),
                "commits_during": during.json(),
                "longest_during_step": longest_in,
            })
        );
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "backup of {mb:.0} MB ({} files) in {seconds:.2} s = {:.0} MB/s (database {:.2} s)",
            report.manifest.files.len(),
            mb / seconds.max(1e-9),
            report.database_elapsed.as_secs_f64()
        )?;
        writeln!(out, "commits before the backup: {}", before.text())?;
        writeln!(out, "commits during the backup: {}", during.text())?;
        writeln!(
            out,
            "longest commit wait during the backup: {:.1} ms, ending while {longest_in} (target: under 100 ms)",
            during.max_ms
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Images of noise and audit rows, `size_mb` in all, synced so the backup starts on a quiet
/// disk.
fn fill(dir: &Path, size_mb: u64) -> anyhow::Result<()> {
    let total = size_mb.saturating_mul(1_000_000);
    let image_count = total * 9 / 10 / IMAGE_BYTES as u64;
    let row_count = total / 10 / ROW_BYTES as u64;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let mut bytes = vec![0_u8; IMAGE_BYTES];
    for index in 0..image_count {
        let path: PathBuf = dir
            .join("images")
            .join(format!("2026-03-{:02}", 1 + index % 28))
            .join(format!("cam{}", index % 4))
            .join(format!("part-{index:07}-raw.png"));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        rng.fill_bytes(&mut bytes);
        let mut file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut store = open_station(dir)?;
    let reason = "r".repeat(ROW_BYTES);
    let mut written = 0;
    while written < row_count {
        store.begin_batch()?;
        for _ in 0..1000.min(row_count - written) {
            store.append_audit(
                &AuditEntry::new("bench", "bench.fill", "part", &written.to_string())
                    .reason(reason.clone()),
            )?;
            written += 1;
        }
        store.commit_batch()?;
    }
    Ok(())
}

/// What an inspecting station writes: an image, then its record, every `period`.
fn write_loop(
    dir: &Path,
    stop: &AtomicBool,
    t0: Instant,
    period: Duration,
    image_bytes: usize,
) -> anyhow::Result<Vec<Commit>> {
    let mut store = open_station(dir)?;
    let live = dir.join("images").join("live");
    std::fs::create_dir_all(&live).with_context(|| format!("creating {}", live.display()))?;
    let mut rng = rand::rngs::SmallRng::seed_from_u64(11);
    let mut image = vec![0_u8; image_bytes];
    let mut commits = Vec::new();
    let mut n = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        let next = Instant::now() + period;
        if image_bytes > 0 {
            rng.fill_bytes(&mut image);
            let path = live.join(format!("part-{n:07}-raw.png"));
            std::fs::write(&path, &image).with_context(|| format!("writing {}", path.display()))?;
        }
        let started = t0.elapsed();
        store.append_audit(&AuditEntry::new(
            "bench",
            "bench.inspection",
            "part",
            &n.to_string(),
        ))?;
        commits.push(Commit {
            started,
            waited: t0.elapsed().saturating_sub(started),
        });
        n += 1;
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(commits)
}

/// Commit waits summarised.
struct Waits {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Waits {
    fn of(mut waits: Vec<Duration>) -> Self {
        waits.sort();
        let at = |p: f64| {
            let index = ((waits.len() as f64 - 1.0) * p).round() as usize;
            waits.get(index).map_or(0.0, |w| w.as_secs_f64() * 1e3)
        };
        Self {
            count: waits.len(),
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            max_ms: at(1.0),
        }
    }

    fn text(&self) -> String {
        format!(
            "{} commits, p50 {:.1} ms, p99 {:.1} ms, longest {:.1} ms",
            self.count, self.p50_ms, self.p99_ms, self.max_ms
        )
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "count": self.count,
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
        })
    }
}
