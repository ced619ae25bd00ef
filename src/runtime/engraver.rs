//! The engraver worker: the only thread that touches the laser's serial port. It connects (and
//! reconnects) to the GRBL controller, polls its status at 4 Hz when idle, runs the persistent
//! job queue one job at a time when an operator starts it, and carries out the operator's
//! machine actions (hold, resume, abort, jog, home, unlock, frame, overrides). What the panel
//! shows is published as a snapshot (`EngraverView`); what needs the operator's attention comes
//! as events.
//!
//! Safety: the laser is off unless a job or a framing pass runs. A lost port mid-job marks the
//! job interrupted at its last acknowledged line and stops the queue; nothing is resent until an
//! operator retries. Stopping the station aborts a running job keeping position (the job is
//! recorded as interrupted) and sends `M5 S0` before the port closes. The station never unlocks
//! an alarm on its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Sender, bounded};

use super::mark_verify::{MarkPlace, MarkVerifier};
use super::port::{Handle, Port};
use super::records::StoreHandle;
use super::worker::{WorkerCtx, WorkerExit};
use crate::domain::Uid;
use crate::domain::{Actor, JobStatus};
use crate::engrave::grbl::{
    Grbl, GrblError, RealTime, StreamControl, StreamProgress, alarm_recovery, alarm_words,
};
use crate::engrave::{JobHooks, JobPlan, LaserSettings, run_job};
use crate::store::{
    AuditEntry, BatchRequest, JobEnd, JobFilter, JobRecord, NewJob, StoreError, StoreReader,
    VerificationRecord,
};

/// How often the idle machine is asked for its status (GRBL: 5 Hz or less).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// How often a lost or absent controller is tried again.
const RECONNECT_EVERY: Duration = Duration::from_secs(3);
/// How often a running job's progress is written to the database.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// How long the worker waits for the store to commit a job's start or end.
const STORE_WAIT: Duration = Duration::from_secs(10);
/// How often the job list is read again when nothing here changed it.
const JOBS_REREAD: Duration = Duration::from_secs(5);
/// Jobs shown in the queue.
const QUEUE_ROWS: usize = 200;

/// Where the laser is.
#[derive(Debug, Clone)]
pub struct LaserLink {
    /// Device path (`/dev/ttyUSB0`, or the simulator's pseudo-terminal).
    pub path: String,
    pub baud: u32,
    /// The demo's simulated laser (said on screen).
    pub simulated: bool,
}

/// What an operator asks of the engraving bench.
#[derive(Debug, Clone)]
pub enum EngraverCommand {
    Connect,
    /// Connects to another port (an operator picking the laser's port and baud rate).
    ConnectTo {
        path: String,
        baud: u32,
    },
    Disconnect,
    /// Lists this machine's serial ports into the view.
    ListPorts,
    /// Allocates a batch of items and queues one job per item with these settings.
    QueueBatch {
        actor: Actor,
        request: BatchRequest,
        settings: LaserSettings,
    },
    /// Runs the queued jobs in order until the queue is empty or a job does not finish.
    StartQueue {
        actor: Actor,
    },
    /// Stops taking the next job (the one running finishes).
    StopQueue,
    Hold,
    Resume,
    /// Stops the running job keeping position (it is recorded as cancelled).
    Abort,
    /// Soft reset now (emergency): `ALARM:3` if moving, position lost.
    Reset,
    Override(RealTime),
    Jog {
        actor: Actor,
        dx_mm: f64,
        dy_mm: f64,
        feed_mm_per_min: f64,
    },
    Home {
        actor: Actor,
    },
    Unlock {
        actor: Actor,
    },
    /// Traces a job's bounding box at zero power.
    Frame {
        actor: Actor,
        job_id: i64,
    },
    Retry {
        actor: Actor,
        job_id: i64,
    },
    /// Resumes an interrupted job at `from_line` (1-based) of its program.
    ResumeJob {
        actor: Actor,
        job_id: i64,
        from_line: u32,
    },
    Cancel {
        actor: Actor,
        job_id: i64,
    },
}

/// What the operator should know about.
#[derive(Debug, Clone, PartialEq)]
pub enum EngraverEvent {
    Info(String),
    Refused(String),
    Failed(String),
}

/// An alarm in words with what the operator may do.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmView {
    pub code: Option<u8>,
    pub words: String,
    pub recovery: String,
}

/// The job on the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningJob {
    pub job_id: i64,
    pub payload: String,
    pub lines_acked: usize,
    pub lines_total: usize,
    pub elapsed_s: f64,
    pub remaining_s: f64,
    pub paused: bool,
}

/// The bench as the panel shows it.
#[derive(Debug, Clone, Default)]
pub struct EngraverView {
    pub link: Option<LaserLink>,
    pub connected: bool,
    pub version: String,
    /// `Idle`, `Run`, `Hold:0`…
    pub state: Option<String>,
    pub position_mm: Option<[f64; 3]>,
    pub overrides_pct: Option<[u32; 3]>,
    pub alarm: Option<AlarmView>,
    /// `$n=value` from the controller.
    pub settings: Vec<(u32, String)>,
    /// The newest jobs (shared: the view is republished many times a second during a job).
    pub jobs: Arc<Vec<JobRecord>>,
    /// The newest mark verification of each of those jobs that has one, by job id.
    pub verifications: Arc<std::collections::HashMap<i64, VerificationRecord>>,
    /// Where mark images are saved (their paths are relative to it); none without a bench
    /// camera.
    pub images_dir: Option<std::path::PathBuf>,
    pub running: Option<RunningJob>,
    pub queue_running: bool,
    /// Why the controller is not connected, when it is not.
    pub link_error: Option<String>,
    /// Serial ports found by the last `ListPorts`.
    pub ports: Vec<String>,
}

/// The faces' side of the engraver: commands, events and the published view.
#[derive(Clone)]
pub struct EngraverHandle {
    pub(super) handle: Handle<EngraverCommand, EngraverEvent>,
    pub(super) view: Arc<ArcSwap<EngraverView>>,
}

impl EngraverHandle {
    pub fn send(&self, command: EngraverCommand) -> Result<(), super::RuntimeError> {
        self.handle.send(command)
    }

    pub fn events(&self) -> &crossbeam_channel::Receiver<EngraverEvent> {
        self.handle.events()
    }

    /// The bench now (cheap: a pointer swap by the worker).
    pub fn view(&self) -> Arc<EngraverView> {
        self.view.load_full()
    }
}

/// The worker's state between turns.
pub(super) struct Engraver {
    pub link: LaserLink,
    pub store: StoreHandle,
    pub reader: StoreReader,
    pub view: Arc<ArcSwap<EngraverView>>,
    pub grbl: Option<Grbl>,
    pub want_connected: bool,
    pub queue_actor: Option<Actor>,
    pub last_connect_try: Option<Instant>,
    pub last_poll: Instant,
    pub link_error: Option<String>,
    pub ports: Vec<String>,
    /// A resume asked for, run by the loop (which has the worker's context).
    pub pending_resume: Option<(Actor, JobRecord, u32)>,
    jobs: Arc<Vec<JobRecord>>,
    verifications: Arc<std::collections::HashMap<i64, VerificationRecord>>,
    jobs_read_at: Option<Instant>,
    /// Reads and grades each item's fresh mark (none: the bench has no camera, items stay
    /// `engraved` until scanned).
    pub verifier: Option<MarkVerifier>,
}

/// What a running job needs besides the controller: the worker (heartbeat, stop), its inbox
/// (the operator's hold, resume, abort), the store and the published view.
struct JobContext<'a> {
    worker: &'a WorkerCtx,
    port: &'a Port<EngraverCommand, EngraverEvent>,
    controls: Sender<StreamControl>,
    store: &'a StoreHandle,
    view: &'a ArcSwap<EngraverView>,
    /// The view as the job started; each publish changes only the running parts.
    base: Arc<EngraverView>,
    job: &'a JobRecord,
    plan: &'a JobPlan,
    stopping: bool,
    aborted_by_operator: bool,
    /// The operator asked the queue to stop after this job.
    stop_queue: bool,
    last_progress: Instant,
    last_view: Option<Instant>,
}

impl Engraver {
    pub fn new(link: LaserLink, store: StoreHandle, reader: StoreReader) -> Self {
        let view = EngraverView {
            link: Some(link.clone()),
            ..EngraverView::default()
        };
        Self {
            link,
            store,
            reader,
            view: Arc::new(ArcSwap::from_pointee(view)),
            grbl: None,
            want_connected: true,
            queue_actor: None,
            last_connect_try: None,
            last_poll: Instant::now(),
            link_error: None,
            ports: Vec::new(),
            pending_resume: None,
            jobs: Arc::default(),
            verifications: Arc::default(),
            jobs_read_at: None,
            verifier: None,
        }
    }

    /// The worker's body: serve until stopped, then put the laser in its safe state.
    pub fn run(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<EngraverCommand, EngraverEvent>,
    ) -> WorkerExit {
        match self.reader_jobs_interrupted() {
            Ok(count) if count > 0 => port.emit(EngraverEvent::Info(format!(
                "{count} engraving job(s) left running when the station stopped are marked interrupted"
            ))),
            Ok(_) => {}
            Err(err) => port.emit(EngraverEvent::Failed(err)),
        }
        self.publish(true);
        while !worker.is_stopped() {
            worker.beat();
            self.keep_connected(port);
            self.poll_idle(port);
            match port.next_command(Duration::from_millis(50)) {
                Ok(Some(command)) => self.handle(command, port),
                Ok(None) => {}
                Err(_) => break,
            }
            if let Some((actor, job, from_line)) = self.pending_resume.take()
                && self.grbl.is_some()
            {
                self.run_job(worker, port, job, actor, Some(from_line));
            }
            if self.queue_actor.is_some() && self.grbl.is_some() && !worker.is_stopped() {
                self.run_next_job(worker, port);
            }
        }
        self.safe_state();
        WorkerExit::Finished
    }

    /// Jobs a stopped station left running come back interrupted (through the writer).
    fn reader_jobs_interrupted(&self) -> Result<usize, String> {
        self.store
            .call("recover engraving jobs", STORE_WAIT, |store| {
                store.interrupt_abandoned_jobs().map(|jobs| jobs.len())
            })
    }

    fn keep_connected(&mut self, port: &Port<EngraverCommand, EngraverEvent>) {
        if self.grbl.is_some() || !self.want_connected {
            return;
        }
        if self
            .last_connect_try
            .is_some_and(|at| at.elapsed() < RECONNECT_EVERY)
        {
            return;
        }
        self.last_connect_try = Some(Instant::now());
        match Grbl::connect(&self.link.path, self.link.baud) {
            Ok(grbl) => {
                tracing::info!(
                    "laser connected on {} (GRBL {})",
                    self.link.path,
                    grbl.version
                );
                if self.link_error.take().is_some() {
                    port.emit(EngraverEvent::Info(format!(
                        "Laser connected again on {}",
                        self.link.path
                    )));
                }
                self.grbl = Some(grbl);
            }
            Err(err) => {
                let text = err.to_string();
                if self.link_error.as_deref() != Some(text.as_str()) {
                    tracing::warn!("laser: {text}");
                }
                self.link_error = Some(text);
            }
        }
        self.publish(false);
    }

    fn poll_idle(&mut self, port: &Port<EngraverCommand, EngraverEvent>) {
        if self.last_poll.elapsed() < IDLE_POLL {
            return;
        }
        self.last_poll = Instant::now();
        if let Some(grbl) = &mut self.grbl
            && let Err(err) = grbl.poll_status()
        {
            let silent = matches!(err, GrblError::Silent { .. });
            self.lost(port, &err.to_string());
            if silent {
                // A controller that stops answering `?` may be homing or latched in a limit
                // alarm: reconnecting would soft-reset it. Only an operator reconnects.
                self.want_connected = false;
                self.link_error = Some(format!(
                    "{err}. It may be homing or in a limit alarm: check the machine, then \
                     press Connect (that resets the controller)"
                ));
            }
        }
        self.publish(false);
    }

    fn lost(&mut self, port: &Port<EngraverCommand, EngraverEvent>, reason: &str) {
        self.grbl = None;
        self.queue_actor = None;
        self.link_error = Some(reason.to_owned());
        self.last_connect_try = Some(Instant::now());
        port.emit(EngraverEvent::Failed(format!(
            "Laser connection lost: {reason}"
        )));
    }

    /// Publishes the bench's state for the panel.
    /// Publishes the bench's state for the panel. The job list is read again when `jobs_changed`
    /// (this worker changed it) or every few seconds (a CLI on the same database may have).
    fn publish(&mut self, jobs_changed: bool) {
        if jobs_changed
            || self
                .jobs_read_at
                .is_none_or(|at| at.elapsed() >= JOBS_REREAD)
        {
            self.jobs_read_at = Some(Instant::now());
            match self.reader.engrave_jobs(&JobFilter {
                limit: QUEUE_ROWS,
                ..JobFilter::default()
            }) {
                Ok(jobs) => self.jobs = Arc::new(jobs),
                Err(err) => tracing::warn!("reading the job queue: {err}"),
            }
            match self.reader.job_verifications(QUEUE_ROWS) {
                Ok(found) => {
                    self.verifications = Arc::new(
                        found
                            .into_iter()
                            .filter_map(|record| record.job_id.map(|id| (id, record)))
                            .collect(),
                    );
                }
                Err(err) => tracing::warn!("reading the mark verifications: {err}"),
            }
        }
        let jobs = Arc::clone(&self.jobs);
        let mut view = EngraverView {
            link: Some(self.link.clone()),
            connected: self.grbl.is_some(),
            jobs,
            verifications: Arc::clone(&self.verifications),
            images_dir: self
                .verifier
                .as_ref()
                .map(|verifier| verifier.images_dir().to_path_buf()),
            queue_running: self.queue_actor.is_some(),
            link_error: self.link_error.clone(),
            ports: self.ports.clone(),
            ..EngraverView::default()
        };
        if let Some(grbl) = &self.grbl {
            view.version = grbl.version.clone();
            view.state = grbl.status.as_ref().map(|s| s.state.to_string());
            view.position_mm = grbl.position_mm();
            view.overrides_pct = grbl.status.as_ref().and_then(|s| s.overrides_pct);
            view.alarm = grbl.alarm.map(|code| AlarmView {
                code,
                words: code.map_or_else(
                    || "the controller is locked in alarm".to_owned(),
                    |c| alarm_words(c).to_owned(),
                ),
                recovery: code
                    .map_or("Unlock ($X) or home ($H) when it is safe.", alarm_recovery)
                    .to_owned(),
            });
            view.settings = grbl.settings.iter().map(|(n, v)| (*n, v.clone())).collect();
        }
        self.view.store(Arc::new(view));
    }

    fn handle(&mut self, command: EngraverCommand, port: &Port<EngraverCommand, EngraverEvent>) {
        let result = match command {
            EngraverCommand::Connect => {
                self.want_connected = true;
                self.last_connect_try = None;
                Ok(None)
            }
            EngraverCommand::ConnectTo { path, baud } => {
                if let Some(mut grbl) = self.grbl.take() {
                    let _ = grbl.laser_off();
                }
                let simulated = self.link.simulated && path == self.link.path;
                self.link = LaserLink {
                    path,
                    baud,
                    simulated,
                };
                self.want_connected = true;
                self.last_connect_try = None;
                self.link_error = None;
                Ok(Some(format!(
                    "Connecting to {} at {} baud",
                    self.link.path, self.link.baud
                )))
            }
            EngraverCommand::ListPorts => match serialport::available_ports() {
                Ok(ports) => {
                    self.ports = ports.into_iter().map(|port| port.port_name).collect();
                    if self.link.simulated && !self.ports.contains(&self.link.path) {
                        self.ports.push(self.link.path.clone());
                    }
                    Ok(None)
                }
                Err(err) => Err(format!("listing the serial ports: {err}")),
            },
            EngraverCommand::Disconnect => {
                self.want_connected = false;
                self.queue_actor = None;
                if let Some(mut grbl) = self.grbl.take() {
                    let _ = grbl.laser_off();
                }
                Ok(Some("Laser disconnected".to_owned()))
            }
            EngraverCommand::QueueBatch {
                actor,
                request,
                settings,
            } => self.queue_batch(actor, request, settings),
            EngraverCommand::StartQueue { actor } => {
                if self.grbl.is_none() {
                    Err("the laser is not connected".to_owned())
                } else {
                    self.queue_actor = Some(actor);
                    Ok(Some("Queue started".to_owned()))
                }
            }
            EngraverCommand::StopQueue => {
                self.queue_actor = None;
                Ok(Some("The queue stops after the running job".to_owned()))
            }
            EngraverCommand::Retry { actor, job_id } => self
                .store
                .call("retry a job", STORE_WAIT, move |store| {
                    store.retry_engrave_job(&actor, job_id)
                })
                .map(|job| Some(format!("Job {} ({}) queued again", job.id, job.payload))),
            EngraverCommand::ResumeJob {
                actor,
                job_id,
                from_line,
            } => match (&self.grbl, self.reader.engrave_job(job_id)) {
                (None, _) => Err("the laser is not connected".to_owned()),
                (_, Err(err)) => Err(err.to_string()),
                (_, Ok(None)) => Err(format!("no job {job_id}")),
                (Some(_), Ok(Some(job))) => {
                    let text = format!(
                        "Resuming job {job_id} ({}) at line {from_line}",
                        job.payload
                    );
                    self.pending_resume = Some((actor, job, from_line));
                    Ok(Some(text))
                }
            },
            EngraverCommand::Cancel { actor, job_id } => self
                .store
                .call("cancel a job", STORE_WAIT, move |store| {
                    store.finish_engrave_job(
                        &actor,
                        job_id,
                        &JobEnd {
                            status: JobStatus::Cancelled,
                            lines_acked: 0,
                            elapsed_s: 0.0,
                            outcome: Some(format!("cancelled by {}", actor.name)),
                        },
                    )
                })
                .map(|job| Some(format!("Job {} ({}) cancelled", job.id, job.payload))),
            EngraverCommand::Unlock { actor } => {
                self.machine_action("unlock", Some(actor), |grbl| {
                    grbl.unlock()
                        .map(|()| "Unlocked: check the machine before moving it".to_owned())
                })
            }
            EngraverCommand::Home { actor } => self.machine_action("home", Some(actor), |grbl| {
                grbl.home().map(|()| "Homed".to_owned())
            }),
            EngraverCommand::Jog {
                actor,
                dx_mm,
                dy_mm,
                feed_mm_per_min,
            } => may_move(&actor, "jog").and_then(|()| {
                self.machine_action("jog", None, |grbl| {
                    grbl.jog(dx_mm, dy_mm, feed_mm_per_min)
                        .map(|()| String::new())
                })
            }),
            EngraverCommand::Frame { actor, job_id } => {
                may_move(&actor, "frame").and_then(|()| self.frame(job_id))
            }
            EngraverCommand::Override(byte) => self.machine_action("override", None, |grbl| {
                grbl.send_realtime(byte).map(|()| String::new())
            }),
            EngraverCommand::Reset => self.machine_action("reset", None, |grbl| {
                grbl.emergency_reset()
                    .map(|()| "Controller reset".to_owned())
            }),
            EngraverCommand::Hold | EngraverCommand::Resume | EngraverCommand::Abort => {
                Err("no job is running".to_owned())
            }
        };
        match result {
            Ok(Some(text)) if !text.is_empty() => port.emit(EngraverEvent::Info(text)),
            Ok(_) => {}
            Err(text) => port.emit(EngraverEvent::Refused(text)),
        }
        self.publish(true);
    }

    /// Runs `action` on the connected controller; an operator's alarm actions are audited.
    fn machine_action(
        &mut self,
        what: &str,
        audited_by: Option<Actor>,
        action: impl FnOnce(&mut Grbl) -> Result<String, crate::engrave::grbl::GrblError>,
    ) -> Result<Option<String>, String> {
        if let Some(actor) = &audited_by
            && !actor.may(crate::domain::Permission::Operate)
        {
            return Err(format!(
                "{} ({}) may not {what} the laser",
                actor.name, actor.role
            ));
        }
        let Some(grbl) = &mut self.grbl else {
            return Err(format!("cannot {what}: the laser is not connected"));
        };
        let before = grbl.alarm;
        let done = action(grbl).map_err(|err| format!("{what}: {err}"))?;
        if let Some(actor) = audited_by {
            let path = self.link.path.clone();
            let action_name = format!("laser.{what}");
            let old = before.map(|code| match code {
                Some(code) => format!("ALARM:{code}"),
                None => "alarm".to_owned(),
            });
            if let Err(err) = self
                .store
                .call("audit a laser action", STORE_WAIT, move |store| {
                    store.append_audit(
                        &AuditEntry::new(&actor.name, &action_name, "laser", &path)
                            .change(old, Some(what_done(&action_name))),
                    )
                })
            {
                tracing::error!("{what} was done but not audited: {err}");
            }
        }
        Ok(Some(done))
    }

    fn queue_batch(
        &mut self,
        actor: Actor,
        request: BatchRequest,
        mut settings: LaserSettings,
    ) -> Result<Option<String>, String> {
        // Power scales to the connected machine's $30 and the estimate uses its rates.
        if let Some(machine) = self.grbl.as_ref().and_then(|grbl| grbl.machine().ok()) {
            settings.machine = machine;
        }
        settings
            .check("the job's settings")
            .map_err(|err| err.to_string())?;
        let toml = settings.to_toml();
        let queued = self.store.call("queue a batch", STORE_WAIT, move |store| {
            let batch = store.allocate_batch(&actor, &request)?;
            let mut jobs = Vec::with_capacity(batch.count as usize);
            for seq in batch.first_seq..=batch.last_seq() {
                let payload = batch.uid_text(seq);
                let plan = JobPlan::new(&payload, &settings)
                    .map_err(|err| StoreError::Invalid(format!("{payload}: {err}")))?;
                jobs.push(NewJob {
                    payload,
                    is_item: true,
                    settings_toml: toml.clone(),
                    lines_total: plan.lines_total(),
                    estimate_s: plan.estimate.seconds,
                });
            }
            store
                .queue_engrave_jobs(&actor, &jobs)
                .map(|jobs| (batch, jobs))
        })?;
        let (batch, jobs) = queued;
        Ok(Some(format!(
            "Batch {}: {} .. {} allocated, {} job(s) queued",
            batch.id,
            batch.uid_text(batch.first_seq),
            batch.uid_text(batch.last_seq()),
            jobs.len()
        )))
    }

    fn frame(&mut self, job_id: i64) -> Result<Option<String>, String> {
        let job = self
            .reader
            .engrave_job(job_id)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| format!("no job {job_id}"))?;
        let plan = JobPlan::from_stored(&job.payload, &job.settings_toml)
            .map_err(|err| format!("job {job_id}: {err}"))?;
        let feed = plan.settings.speed_mm_per_min;
        self.machine_action("frame", None, move |grbl| {
            grbl.frame(plan.program.bbox_mm, feed, 0.0)
                .map(|()| format!("Framed job {job_id} at zero power"))
        })
    }

    /// Takes the oldest queued job and runs it to its end.
    fn run_next_job(&mut self, worker: &WorkerCtx, port: &Port<EngraverCommand, EngraverEvent>) {
        let next = match self.reader.next_queued_job() {
            Ok(next) => next,
            Err(err) => {
                self.queue_actor = None;
                port.emit(EngraverEvent::Failed(format!(
                    "reading the job queue: {err}"
                )));
                return;
            }
        };
        let Some(job) = next else {
            self.queue_actor = None;
            port.emit(EngraverEvent::Info("The queue is done".to_owned()));
            self.publish(true);
            return;
        };
        let Some(actor) = self.queue_actor.clone() else {
            return;
        };
        self.run_job(worker, port, job, actor, None);
    }

    /// Runs `job` to its end: from its first line, or resumed at `from_line` (1-based) after
    /// the lines that rebuild the modal state the earlier lines left.
    fn run_job(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<EngraverCommand, EngraverEvent>,
        job: JobRecord,
        actor: Actor,
        from_line: Option<u32>,
    ) {
        let started = {
            let actor = actor.clone();
            self.store
                .call("start a job", STORE_WAIT, move |store| match from_line {
                    None => store.start_engrave_job(&actor, job.id),
                    Some(line) => store.resume_engrave_job(&actor, job.id, line),
                })
        };
        if let Err(err) = started {
            self.queue_actor = None;
            port.emit(EngraverEvent::Failed(format!("job {}: {err}", job.id)));
            return;
        }
        // The queue on screen shows the job running from here on.
        self.publish(true);
        let plan = JobPlan::from_stored(&job.payload, &job.settings_toml);
        if from_line.is_none()
            && job.item_id.is_some()
            && let Some(verifier) = &self.verifier
        {
            verifier.new_part();
        }
        let (end, lines_acked, elapsed_s) = match &plan {
            Ok(plan) => {
                let start = from_line.map_or(0, |line| line as usize - 1);
                self.stream_job(worker, port, &job, plan, start)
            }
            Err(err) => (
                (
                    JobStatus::Failed,
                    Some(format!("the job cannot be planned: {err}")),
                ),
                0,
                0.0,
            ),
        };
        let (status, outcome) = end;
        let recorded = self.store.call("end a job", STORE_WAIT, {
            let outcome = outcome.clone();
            let actor = actor.clone();
            move |store| {
                store.finish_engrave_job(
                    &actor,
                    job.id,
                    &JobEnd {
                        status,
                        lines_acked: u32::try_from(lines_acked).unwrap_or(u32::MAX),
                        elapsed_s,
                        outcome,
                    },
                )
            }
        });
        let recorded = match recorded {
            Ok(_) => true,
            Err(err) => {
                port.emit(EngraverEvent::Failed(format!(
                    "job {} ended {status} but was not recorded: {err}",
                    job.id
                )));
                false
            }
        };
        match status {
            JobStatus::Done => {
                if recorded
                    && job.item_id.is_some()
                    && let Ok(plan) = &plan
                {
                    self.verify_mark(worker, port, &job, plan, &actor);
                }
            }
            _ => {
                self.queue_actor = None;
                let words = outcome.unwrap_or_default();
                port.emit(EngraverEvent::Failed(format!(
                    "Job {} ({}) {status}: {words}. The queue is stopped.",
                    job.id, job.payload
                )));
            }
        }
        self.publish(true);
    }

    /// The bench camera reads and grades the fresh mark of an item's job; the store moves the
    /// item to `verified` or `engrave_failed`. Without a camera the item stays `engraved`.
    fn verify_mark(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<EngraverCommand, EngraverEvent>,
        job: &JobRecord,
        plan: &JobPlan,
        actor: &Actor,
    ) {
        let uid = match job.payload.parse::<Uid>() {
            Ok(uid) => uid,
            Err(err) => {
                port.emit(EngraverEvent::Failed(format!(
                    "job {}: {:?} is not a UID, its mark is not verified: {err}",
                    job.id, job.payload
                )));
                return;
            }
        };
        if self.verifier.is_none() {
            port.emit(EngraverEvent::Info(format!(
                "{uid} engraved; no bench camera: verify it with `qcstation items verify` and a \
                 photo of the mark"
            )));
            return;
        }
        worker.beat();
        // The queue on screen shows the job done while its mark is read.
        self.publish(true);
        let Some(verifier) = &mut self.verifier else {
            return;
        };
        let keep_going = || {
            worker.beat();
            !worker.is_stopped()
        };
        let checked = verifier.check(
            &uid,
            job.id,
            MarkPlace {
                bbox_mm: plan.program.bbox_mm,
                spot_mm: plan.settings.line_interval_mm,
            },
            &keep_going,
        );
        let found = match checked {
            Ok(found) => found,
            Err(why) => {
                // Nothing was looked at: the mark may be fine, so the item stays engraved.
                port.emit(EngraverEvent::Failed(format!(
                    "{uid}: the bench camera could not look at the mark ({why}); it stays \
                     engraved: check the camera, then verify it with `qcstation items verify`"
                )));
                return;
            }
        };
        worker.beat();
        let recorded = self.store.call("record a mark verification", STORE_WAIT, {
            let actor = actor.clone();
            move |store| store.record_verification(&actor, &found)
        });
        match recorded {
            Ok(record) if record.matched => port.emit(EngraverEvent::Info(format!(
                "{uid} verified: {}",
                record_summary(&record)
            ))),
            Ok(record) => {
                // The queue goes on: the next part is a fresh one. The failed item waits on the
                // queue for "Engrave again" (a fresh part) or scrapping.
                port.emit(EngraverEvent::Failed(format!(
                    "{uid} failed verification: {}",
                    record
                        .reason
                        .as_deref()
                        .unwrap_or("the mark does not read as its UID")
                )));
            }
            Err(err) => port.emit(EngraverEvent::Failed(format!(
                "{uid}: the verification was not recorded: {err}"
            ))),
        }
    }

    /// Runs one job from line index `start` (0: the whole job) through `engrave::run_job`;
    /// returns its end, the job's lines acknowledged and the seconds it ran.
    fn stream_job(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<EngraverCommand, EngraverEvent>,
        job: &JobRecord,
        plan: &JobPlan,
        start: usize,
    ) -> ((JobStatus, Option<String>), usize, f64) {
        let Some(mut grbl) = self.grbl.take() else {
            let words = "the laser is not connected".to_owned();
            return ((JobStatus::Interrupted, Some(words)), start, 0.0);
        };
        let (controls, inbox) = bounded(8);
        let mut context = JobContext {
            worker,
            port,
            controls,
            store: &self.store,
            view: &self.view,
            base: self.view.load_full(),
            job,
            plan,
            stopping: false,
            aborted_by_operator: false,
            stop_queue: false,
            last_progress: Instant::now(),
            last_view: None,
        };
        let run = run_job(
            &mut grbl,
            plan,
            job.lines_total,
            start,
            &inbox,
            &mut context,
        );
        let (stopping, by_operator) = (context.stopping, context.aborted_by_operator);
        if context.stop_queue {
            self.queue_actor = None;
        }
        let mut end = (run.status, run.outcome);
        if stopping {
            end = (
                JobStatus::Interrupted,
                Some(format!(
                    "the station was stopped: aborted after line {}, position kept",
                    run.lines_acked
                )),
            );
        } else if by_operator {
            end.1 = end.1.map(|words| format!("{words} (abort)"));
        }
        if run.link_lost {
            let reason = end.1.clone().unwrap_or_default();
            self.lost(port, &reason);
        } else {
            self.grbl = Some(grbl);
        }
        (end, run.lines_acked, run.wall_s)
    }

    /// The laser off and the port closed, as the station stops.
    fn safe_state(&mut self) {
        if let Some(mut grbl) = self.grbl.take() {
            match grbl.laser_off() {
                Ok(()) => tracing::info!("laser off (M5 S0) on {}", self.link.path),
                Err(err) => tracing::error!("laser-off on stop failed: {err}"),
            }
        }
    }
}

/// Moving the machine needs `Operate`, checked here and not only on the panel.
fn may_move(actor: &Actor, what: &str) -> Result<(), String> {
    if actor.may(crate::domain::Permission::Operate) {
        Ok(())
    } else {
        Err(format!(
            "{} ({}) may not {what} the laser",
            actor.name, actor.role
        ))
    }
}

fn what_done(action: &str) -> String {
    match action {
        "laser.unlock" => "unlocked ($X)".to_owned(),
        "laser.home" => "homed ($H)".to_owned(),
        other => other.to_owned(),
    }
}

/// How often a running job's view is republished (the panel looks 4 times a second).
const VIEW_EVERY: Duration = Duration::from_millis(50);

impl JobHooks for JobContext<'_> {
    fn keep_going(&mut self) -> bool {
        self.worker.beat();
        !self.worker.is_stopped()
    }

    /// Heartbeat, operator commands, stop, view and progress.
    fn progress(&mut self, acked: usize, progress: &StreamProgress) {
        self.worker.beat();
        if self.worker.is_stopped() && !self.stopping {
            self.stopping = true;
            let _ = self.controls.try_send(StreamControl::Abort);
        }
        while let Ok(Some(command)) = self.port.next_command(Duration::ZERO) {
            let control = match command {
                EngraverCommand::Hold => Some(StreamControl::Hold),
                EngraverCommand::Resume => Some(StreamControl::Resume),
                EngraverCommand::Abort => {
                    self.aborted_by_operator = true;
                    Some(StreamControl::Abort)
                }
                EngraverCommand::Reset => Some(StreamControl::Reset),
                EngraverCommand::Override(byte) => Some(StreamControl::Override(byte)),
                EngraverCommand::StopQueue => {
                    self.stop_queue = true;
                    self.port.emit(EngraverEvent::Info(
                        "The queue stops after this job".to_owned(),
                    ));
                    None
                }
                other => {
                    self.port.emit(EngraverEvent::Refused(format!(
                        "a job is running: {} must wait until it ends",
                        command_name(&other)
                    )));
                    None
                }
            };
            if let Some(control) = control {
                let _ = self.controls.try_send(control);
            }
        }
        let paused = progress
            .status
            .as_ref()
            .is_some_and(|s| matches!(s.state, crate::engrave::grbl::MachineState::Hold { .. }));
        if self.last_view.is_none_or(|at| at.elapsed() >= VIEW_EVERY) {
            self.last_view = Some(Instant::now());
            let mut next = (*self.base).clone();
            next.running = Some(RunningJob {
                job_id: self.job.id,
                payload: self.job.payload.clone(),
                lines_acked: acked,
                lines_total: self.plan.program.lines.len(),
                elapsed_s: progress.elapsed.as_secs_f64(),
                remaining_s: self.plan.remaining_s(acked),
                paused,
            });
            if let Some(status) = &progress.status {
                next.state = Some(status.state.to_string());
                next.position_mm = status.machine_pos_mm.or(next.position_mm);
                next.overrides_pct = status.overrides_pct.or(next.overrides_pct);
            }
            self.view.store(Arc::new(next));
        }
        if self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.last_progress = Instant::now();
            let (id, acked, elapsed) = (
                self.job.id,
                u32::try_from(acked).unwrap_or(u32::MAX),
                progress.elapsed.as_secs_f64(),
            );
            // Not waited for: the planner must not starve while the store commits.
            self.store.call_later("record job progress", move |store| {
                store.record_engrave_progress(id, acked, elapsed, paused)
            });
        }
    }
}

fn command_name(command: &EngraverCommand) -> &'static str {
    match command {
        EngraverCommand::Connect | EngraverCommand::ConnectTo { .. } => "connecting",
        EngraverCommand::ListPorts => "listing ports",
        EngraverCommand::Disconnect => "disconnecting",
        EngraverCommand::QueueBatch { .. } => "queueing a batch",
        EngraverCommand::StartQueue { .. } => "starting the queue",
        EngraverCommand::Jog { .. } => "jogging",
        EngraverCommand::Home { .. } => "homing",
        EngraverCommand::Unlock { .. } => "unlocking",
        EngraverCommand::Frame { .. } => "framing",
        EngraverCommand::Retry { .. } => "a retry",
        EngraverCommand::ResumeJob { .. } => "resuming a job",
        EngraverCommand::Cancel { .. } => "cancelling",
        _ => "this",
    }
}

/// `decoded, 1 attempt, process grade B` as recorded, for an event line.
fn record_summary(record: &crate::store::VerificationRecord) -> String {
    let grade = record.overall_grade.map_or_else(
        || "not graded".to_owned(),
        |g| format!("process grade {}", crate::scan::grade::letter(g)),
    );
    format!(
        "{} attempt{}, {grade}",
        record.attempts,
        if record.attempts == 1 { "" } else { "s" }
    )
}
