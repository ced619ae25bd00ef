//! `qcstation engrave UID... --port PATH --settings FILE`: engraves inventory items on a GRBL
//! laser, one job each, recorded in the station database like the bench does: the jobs are
//! queued, each runs through `engrave::run_job` (check mode first, as on the bench) and ends in
//! the same transaction as its item's move (`engraved` or `engrave_failed`). Stops at the first
//! job that does not finish; the rest stay queued.
//! Exit 0 when every job is done, 1 when one failed (a refused line or an alarm), 2 when the
//! port was lost or could not be used.

use super::laser_settings::laser_settings;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;

use super::{console_actor, open_store};
use crate::domain::JobStatus;
use crate::engrave::grbl::{DEFAULT_BAUD, Grbl, MachineState, StreamProgress};
use crate::engrave::{JobHooks, JobPlan, run_job};
use crate::paths::StationPaths;
use crate::store::{JobEnd, JobRecord, NewJob, Store};

#[derive(Debug, Args)]
pub struct EngraveArgs {
    /// The items' UIDs (allocated with `qr generate`).
    #[arg(required = true)]
    pub uids: Vec<String>,
    #[arg(long, value_name = "PATH")]
    pub port: String,
    #[arg(long, default_value_t = DEFAULT_BAUD)]
    pub baud: u32,
    /// Laser settings (TOML); without it the defaults apply.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,
    /// A material preset's power, speed, passes and line interval over the settings.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// One JSON object per job instead of text.
    #[arg(long)]
    pub json: bool,
}

/// How often progress is written to the database while a job runs.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// Progress of a job run from the command line: written to the database every two seconds,
/// and printed unless the output is JSON.
struct Progress<'a> {
    store: &'a mut Store,
    job: &'a JobRecord,
    plan: &'a JobPlan,
    print: bool,
    last_write: Instant,
}

impl JobHooks for Progress<'_> {
    fn keep_going(&mut self) -> bool {
        true
    }

    fn progress(&mut self, lines_acked: usize, progress: &StreamProgress) {
        if self.last_write.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last_write = Instant::now();
        let paused = progress
            .status
            .as_ref()
            .is_some_and(|s| matches!(s.state, MachineState::Hold { .. }));
        if let Err(err) = self.store.record_engrave_progress(
            self.job.id,
            u32::try_from(lines_acked).unwrap_or(u32::MAX),
            progress.elapsed.as_secs_f64(),
            paused,
        ) {
            tracing::warn!("job {}: progress not recorded: {err}", self.job.id);
        }
        if self.print {
            eprintln!(
                "job {} {}: {}/{} lines, {:.0} s left",
                self.job.id,
                self.job.payload,
                lines_acked,
                self.plan.program.lines.len(),
                self.plan.remaining_s(lines_acked)
            );
        }
    }
}

pub fn run(args: &EngraveArgs, paths: &StationPaths) -> anyhow::Result<ExitCode> {
    let mut settings = laser_settings(args.settings.as_deref(), args.preset.as_deref(), None)?;
    let mut store = open_store(paths)?;
    let actor = console_actor();
    for job in store.interrupt_abandoned_jobs()? {
        eprintln!(
            "job {} ({}) was left running: marked interrupted",
            job.id, job.payload
        );
    }
    let mut grbl = match Grbl::connect(&args.port, args.baud) {
        Ok(grbl) => grbl,
        Err(err) => {
            eprintln!("error: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    // Power scales to the machine's own $30, and the estimate uses its rates.
    settings.machine = grbl.machine()?;
    settings.check(&format!("the settings with {}'s $$", args.port))?;
    let plans = args
        .uids
        .iter()
        .map(|uid| JobPlan::new(uid, &settings))
        .collect::<Result<Vec<_>, _>>()?;
    let toml = settings.to_toml();
    let new_jobs: Vec<NewJob> = plans
        .iter()
        .map(|plan| NewJob {
            payload: plan.payload.clone(),
            is_item: true,
            settings_toml: toml.clone(),
            lines_total: plan.lines_total(),
            estimate_s: plan.estimate.seconds,
        })
        .collect();
    let jobs = store
        .queue_engrave_jobs(&actor, &new_jobs)
        .context("queueing the jobs")?;
    let (_controls, inbox) = crossbeam_channel::bounded(1);
    for (index, (job, plan)) in jobs.iter().zip(&plans).enumerate() {
        store.start_engrave_job(&actor, job.id)?;
        let mut hooks = Progress {
            store: &mut store,
            job,
            plan,
            print: !args.json,
            last_write: Instant::now(),
        };
        let run = run_job(&mut grbl, plan, job.lines_total, 0, &inbox, &mut hooks);
        let (status, outcome, wall_s) = (run.status, run.outcome.clone(), run.wall_s);
        let ended = store.finish_engrave_job(
            &actor,
            job.id,
            &JobEnd {
                status,
                lines_acked: u32::try_from(run.lines_acked).unwrap_or(u32::MAX),
                elapsed_s: wall_s,
                outcome: outcome.clone(),
            },
        )?;
        if args.json {
            let body = serde_json::json!({
                "job": ended.id,
                "uid": ended.payload,
                "status": ended.status.as_str(),
                "lines_total": ended.lines_total,
                "lines_acked": ended.lines_acked,
                "estimate_s": ended.estimate_s,
                "wall_s": wall_s,
                "peak_in_flight_bytes": run.peak_in_flight_bytes,
                "outcome": outcome,
                "piece": index + 1,
                "pieces": jobs.len(),
            });
            println!("{body}");
        } else {
            println!(
                "piece {}/{}: job {} {} {} ({}/{} lines, {:.1} s, estimated {:.1} s){}",
                index + 1,
                jobs.len(),
                ended.id,
                ended.payload,
                ended.status,
                ended.lines_acked,
                ended.lines_total,
                wall_s,
                ended.estimate_s,
                outcome.map(|o| format!(": {o}")).unwrap_or_default()
            );
        }
        match status {
            JobStatus::Done => {}
            JobStatus::Interrupted => return Ok(ExitCode::from(2)),
            _ => return Ok(ExitCode::from(1)),
        }
    }
    Ok(ExitCode::SUCCESS)
}
