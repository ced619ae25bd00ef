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

use super::port::{Handle, Port};
use super::records::StoreHandle;
use super::worker::{WorkerCtx, WorkerExit};
use crate::domain::{Actor, JobStatus};
use crate::engrave::grbl::{
    Grbl, GrblError, RealTime, StreamControl, StreamEnd, StreamProgress, StreamReport,
    alarm_recovery, alarm_words,
};
use crate::engrave::modal::ModalState;
use crate::engrave::{JobPlan, LaserSettings, job_end};
use crate::store::{
    AuditEntry, BatchRequest, JobEnd, JobFilter, JobRecord, NewJob, StoreError, StoreReader,
};

/// How often the idle machine is asked for its status (GRBL: 5 Hz or less).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// How often a lost or absent controller is tried again.
const RECONNECT_EVERY: Duration = Duration::from_secs(3);
/// How often a running job's progress is written to the database.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);
/// How long the worker waits for the store to commit a job's start or end.
const STORE_WAIT: Duration = Duration::from_secs(10);
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
    pub jobs: Vec<JobRecord>,
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
}

/// What the stream's progress callback needs, apart from the controller it is streaming to.
struct JobContext<'a> {
    worker: &'a WorkerCtx,
    port: &'a Port<EngraverCommand, EngraverEvent>,
    controls: Sender<StreamControl>,
    stopping: bool,
    aborted_by_operator: bool,
    /// The operator asked the queue to stop after this job.
    stop_queue: bool,
    last_progress: Instant,
    lines_of_job: JobLines,
}

/// How a stream's line numbers map onto the job's: a resumed job starts at line index `start`
/// after `restore` lines that rebuild the modal state.
#[derive(Debug, Clone, Copy)]
struct JobLines {
    start: usize,
    restore: usize,
}

impl JobLines {
    /// The job's lines acknowledged after `streamed` of the stream's.
    fn acked(self, streamed: usize) -> usize {
        self.start + streamed.saturating_sub(self.restore)
    }

    /// The report in the job's numbering (lines acknowledged, the refused line).
    fn report(self, mut report: StreamReport) -> StreamReport {
        report.lines_acked = self.acked(report.lines_acked);
        report.lines_sent = self.acked(report.lines_sent);
        report.lines_total = self.acked(report.lines_total);
        if let StreamEnd::Failed { line_no, .. } = &mut report.end {
            *line_no = self.acked(*line_no).max(1);
        }
        report
    }
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
        self.publish(None);
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
        self.publish(None);
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
        self.publish(None);
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
    fn publish(&self, running: Option<RunningJob>) {
        let jobs = self
            .reader
            .engrave_jobs(&JobFilter {
                limit: QUEUE_ROWS,
                ..JobFilter::default()
            })
            .unwrap_or_else(|err| {
                tracing::warn!("reading the job queue: {err}");
                self.view.load().jobs.clone()
            });
        let mut view = EngraverView {
            link: Some(self.link.clone()),
            connected: self.grbl.is_some(),
            jobs,
            running,
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
        self.publish(None);
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
            self.publish(None);
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
        self.publish(None);
        let (end, lines_acked, elapsed_s) =
            match JobPlan::from_stored(&job.payload, &job.settings_toml) {
                Ok(plan) => {
                    let start = from_line.map_or(0, |line| line as usize - 1);
                    self.stream_job(worker, port, &job, &plan, start)
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
        if let Err(err) = recorded {
            port.emit(EngraverEvent::Failed(format!(
                "job {} ended {status} but was not recorded: {err}",
                job.id
            )));
        }
        match status {
            JobStatus::Done => {}
            _ => {
                self.queue_actor = None;
                let words = outcome.unwrap_or_default();
                port.emit(EngraverEvent::Failed(format!(
                    "Job {} ({}) {status}: {words}. The queue is stopped.",
                    job.id, job.payload
                )));
            }
        }
        self.publish(None);
    }

    /// Streams one job from line index `start` (0: the whole job); returns its end, the job's
    /// lines acknowledged (counted in the job's own numbering) and the seconds it ran.
    fn stream_job(
        &mut self,
        worker: &WorkerCtx,
        port: &Port<EngraverCommand, EngraverEvent>,
        job: &JobRecord,
        plan: &JobPlan,
        start: usize,
    ) -> ((JobStatus, Option<String>), usize, f64) {
        let Some(mut grbl) = self.grbl.take() else {
            return (
                (
                    JobStatus::Interrupted,
                    Some("the laser is not connected".into()),
                ),
                0,
                0.0,
            );
        };
        if start > 0 && plan.lines_total() != job.lines_total {
            self.grbl = Some(grbl);
            return (
                (
                    JobStatus::Failed,
                    Some(format!(
                        "cannot resume: the job's program now has {} lines, it had {} when it \
                         was queued (the station was updated?); retry it from the start",
                        plan.lines_total(),
                        job.lines_total
                    )),
                ),
                start,
                0.0,
            );
        }
        // Resuming: the modal state the skipped lines left comes first, laser off on the way.
        let lines: std::borrow::Cow<'_, [String]> = if start == 0 {
            std::borrow::Cow::Borrowed(&plan.program.lines)
        } else {
            match ModalState::after(&plan.program.lines, start) {
                Ok(state) => {
                    let mut lines = state.restore_lines();
                    lines.extend_from_slice(&plan.program.lines[start..]);
                    std::borrow::Cow::Owned(lines)
                }
                Err(err) => {
                    self.grbl = Some(grbl);
                    return ((JobStatus::Failed, Some(err.to_string())), start, 0.0);
                }
            }
        };
        let lines_of_job = JobLines {
            start,
            restore: lines.len() - (plan.program.lines.len() - start),
        };
        // Through check mode first: a line GRBL would refuse fails the job before the laser
        // fires (GRBL parses every line, moves nothing, then resets keeping position).
        let (_no_controls, idle) = bounded(1);
        match grbl.check_program(&lines, &idle, &mut |_| worker.beat()) {
            Ok(_) if worker.is_stopped() => {
                self.grbl = Some(grbl);
                return (
                    (
                        JobStatus::Interrupted,
                        Some("the station was stopped before the job started".into()),
                    ),
                    start,
                    0.0,
                );
            }
            Ok(report) if report.end == StreamEnd::Done => {}
            Ok(report) => {
                let lost = matches!(report.end, StreamEnd::Lost { .. } | StreamEnd::Reset);
                let (status, words) = job_end(&lines_of_job.report(report));
                let words = format!(
                    "check mode, before the laser fired: {}",
                    words.unwrap_or_default()
                );
                if lost {
                    self.lost(port, &words);
                } else {
                    self.grbl = Some(grbl);
                }
                return ((status, Some(words)), start, 0.0);
            }
            Err(err @ (GrblError::Link(_) | GrblError::Silent { .. })) => {
                let words = format!("check mode: {err}");
                self.lost(port, &words);
                return ((JobStatus::Interrupted, Some(words)), start, 0.0);
            }
            Err(err) => {
                // Refused before anything ran (alarm lock, machine not idle): nothing burned.
                self.grbl = Some(grbl);
                return (
                    (JobStatus::Cancelled, Some(format!("not started: {err}"))),
                    start,
                    0.0,
                );
            }
        }
        let (controls, inbox) = bounded(8);
        let mut context = JobContext {
            worker,
            port,
            controls,
            stopping: false,
            aborted_by_operator: false,
            stop_queue: false,
            last_progress: Instant::now(),
            lines_of_job,
        };
        let store = self.store.clone();
        let view = Arc::clone(&self.view);
        let base = self.view.load_full();
        let result = grbl.stream(&lines, &inbox, &mut |progress| {
            on_progress(&mut context, &store, &view, &base, job, plan, progress);
        });
        let stopping = context.stopping;
        let by_operator = context.aborted_by_operator;
        if context.stop_queue {
            self.queue_actor = None;
        }
        match result {
            Ok(report) => {
                let report = lines_of_job.report(report);
                let lines = report.lines_acked;
                let wall_s = report.wall.as_secs_f64();
                let lost = matches!(report.end, StreamEnd::Lost { .. });
                let mut end = job_end(&report);
                if stopping {
                    end = (
                        JobStatus::Interrupted,
                        Some(format!(
                            "the station was stopped: aborted after line {lines}, position kept"
                        )),
                    );
                } else if by_operator {
                    end.1 = end.1.map(|words| format!("{words} (abort)"));
                }
                if lost {
                    let reason = end.1.clone().unwrap_or_default();
                    self.lost(port, &reason);
                } else {
                    self.grbl = Some(grbl);
                }
                (end, lines, wall_s)
            }
            Err(err) => {
                // Refused before the first line was sent: nothing burned.
                self.grbl = Some(grbl);
                (
                    (JobStatus::Cancelled, Some(format!("not started: {err}"))),
                    start,
                    0.0,
                )
            }
        }
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

/// The stream's progress callback: heartbeat, operator commands, stop, view and progress.
fn on_progress(
    context: &mut JobContext<'_>,
    store: &StoreHandle,
    view: &Arc<ArcSwap<EngraverView>>,
    base: &EngraverView,
    job: &JobRecord,
    plan: &JobPlan,
    progress: &StreamProgress,
) {
    context.worker.beat();
    if context.worker.is_stopped() && !context.stopping {
        context.stopping = true;
        let _ = context.controls.try_send(StreamControl::Abort);
    }
    while let Ok(Some(command)) = context.port.next_command(Duration::ZERO) {
        let control = match command {
            EngraverCommand::Hold => Some(StreamControl::Hold),
            EngraverCommand::Resume => Some(StreamControl::Resume),
            EngraverCommand::Abort => {
                context.aborted_by_operator = true;
                Some(StreamControl::Abort)
            }
            EngraverCommand::Reset => Some(StreamControl::Reset),
            EngraverCommand::Override(byte) => Some(StreamControl::Override(byte)),
            EngraverCommand::StopQueue => {
                context.stop_queue = true;
                context.port.emit(EngraverEvent::Info(
                    "The queue stops after this job".to_owned(),
                ));
                None
            }
            other => {
                context.port.emit(EngraverEvent::Refused(format!(
                    "a job is running: {} must wait until it ends",
                    command_name(&other)
                )));
                None
            }
        };
        if let Some(control) = control {
            let _ = context.controls.try_send(control);
        }
    }
    let paused = progress
        .status
        .as_ref()
        .is_some_and(|s| matches!(s.state, crate::engrave::grbl::MachineState::Hold { .. }));
    let acked = context.lines_of_job.acked(progress.lines_acked);
    let running = RunningJob {
        job_id: job.id,
        payload: job.payload.clone(),
        lines_acked: acked,
        lines_total: plan.program.lines.len(),
        elapsed_s: progress.elapsed.as_secs_f64(),
        remaining_s: plan.remaining_s(acked),
        paused,
    };
    let mut next = base.clone();
    next.running = Some(running);
    next.queue_running = base.queue_running;
    if let Some(status) = &progress.status {
        next.state = Some(status.state.to_string());
        next.position_mm = status.machine_pos_mm.or(next.position_mm);
        next.overrides_pct = status.overrides_pct.or(next.overrides_pct);
    }
    view.store(Arc::new(next));
    if context.last_progress.elapsed() >= PROGRESS_EVERY {
        context.last_progress = Instant::now();
        let (id, acked, elapsed) = (
            job.id,
            u32::try_from(acked).unwrap_or(u32::MAX),
            progress.elapsed.as_secs_f64(),
        );
        // Not waited for: the planner must not starve while the store commits.
        store.call_later("record job progress", move |store| {
            store.record_engrave_progress(id, acked, elapsed, paused)
        });
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
