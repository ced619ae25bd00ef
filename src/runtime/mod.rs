//! The runtime: the only place that spawns threads and creates channels. It opens the store,
//! starts the store-writer, store-reader, health and one capture thread per camera, and joins
//! them all when it is dropped. The GUI and the CLI drive the station through `Runtime::send`
//! and read what happened from `Runtime::events`.

mod capture;
mod command;
mod context;
mod event;
mod health;
mod reader;
mod session;
#[cfg(unix)]
mod signals;
mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::camera::{LatestFrame, SourceSpec};
use crate::store::{AuditSeal, StationSettings, Store, StoreError};

pub use command::Command;
pub use context::Waker;
pub use event::{Event, HealthReport, SignInEntry, SignOutReason};
pub use session::Session;
pub use writer::SessionPolicy;

use context::{StopSignal, WorkerContext};
use writer::WriteJob;

/// Commands waiting for the writer before `send` reports the station busy.
const WRITE_QUEUE: usize = 256;
const READ_QUEUE: usize = 64;
const EVENT_QUEUE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start thread {name}: {source}")]
    Spawn {
        name: String,
        source: std::io::Error,
    },
    #[error("camera {name:?} has a bad source {spec:?}: {reason}")]
    CameraSpec {
        name: String,
        spec: String,
        reason: String,
    },
    #[error("the station is busy ({0} commands waiting): try again in a moment")]
    Busy(usize),
    #[error("the station is shutting down")]
    Stopped,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    pub database: PathBuf,
    pub data_dir: PathBuf,
    /// Seed an empty database with the demo users and cameras.
    pub demo: bool,
    pub session: SessionPolicy,
    /// Cameras to run instead of the ones in the database (benchmarks, tests).
    pub cameras: Option<Vec<(String, SourceSpec)>>,
}

/// A camera as the faces see it: its name, spec and latest-frame slot.
#[derive(Clone)]
pub struct CameraHandle {
    pub name: String,
    pub spec: SourceSpec,
    pub slot: Arc<LatestFrame>,
}

/// Names of the threads that were joined, for the shutdown test and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    pub joined: Vec<String>,
    pub panicked: Vec<String>,
}

pub struct Runtime {
    writer: Option<Sender<WriteJob>>,
    reader: Option<Sender<Command>>,
    events: Receiver<Event>,
    cameras: Vec<CameraHandle>,
    session: Arc<Session>,
    waker: Waker,
    live_view: Arc<AtomicBool>,
    stop: Option<Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    settings: StationSettings,
    #[cfg(unix)]
    signals: Option<signal_hook::iterator::Handle>,
}

fn spawn(
    threads: &mut Vec<JoinHandle<()>>,
    name: String,
    body: impl FnOnce() + Send + 'static,
) -> Result<(), RuntimeError> {
    let handle = std::thread::Builder::new()
        .name(name.clone())
        .spawn(body)
        .map_err(|source| RuntimeError::Spawn { name, source })?;
    threads.push(handle);
    Ok(())
}

impl Runtime {
    /// Opens (and migrates) the database and starts every worker.
    pub fn start(options: RuntimeOptions) -> Result<Self, RuntimeError> {
        let seal = AuditSeal::in_data_dir(&options.data_dir, &options.database);
        let mut store = Store::open_sealed(&options.database, &seal)?;
        if options.demo && store.seed_demo(crate::auth::new_secret_hash)? {
            tracing::info!("created the demo database {}", options.database.display());
        }
        let settings = store.settings()?;
        let camera_plan = match options.cameras.clone() {
            Some(plan) => plan,
            None => store
                .cameras()?
                .into_iter()
                .filter(|camera| camera.enabled)
                .map(|camera| {
                    camera
                        .source_spec
                        .parse::<SourceSpec>()
                        .map(|spec| (camera.name.clone(), spec))
                        .map_err(|err| RuntimeError::CameraSpec {
                            name: camera.name,
                            spec: camera.source_spec,
                            reason: err.to_string(),
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let reader = store.reader()?;

        let (events_tx, events) = bounded(EVENT_QUEUE);
        let (write_tx, write_rx) = bounded(WRITE_QUEUE);
        let (read_tx, read_rx) = bounded(READ_QUEUE);
        let (stop_tx, stop) = StopSignal::new();
        let waker = Waker::default();
        let session = Arc::new(Session::new());
        let context = WorkerContext {
            events: events_tx,
            waker: waker.clone(),
            session: Arc::clone(&session),
            stop,
        };
        let live_view = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();

        let writer_context = context.clone();
        let policy = options.session;
        spawn(&mut threads, "store-writer".into(), move || {
            writer::run(store, write_rx, policy, writer_context);
        })?;
        let reader_context = context.clone();
        let writer_for_reader = write_tx.clone();
        spawn(&mut threads, "store-reader".into(), move || {
            reader::run(reader, read_rx, writer_for_reader, reader_context);
        })?;
        let health_context = context.clone();
        let (data_dir, database) = (options.data_dir.clone(), options.database.clone());
        spawn(&mut threads, "health".into(), move || {
            health::run(data_dir, database, health_context);
        })?;

        let mut cameras = Vec::new();
        for (index, (name, spec)) in camera_plan.into_iter().enumerate() {
            let slot = Arc::new(LatestFrame::new(name.clone()));
            let capture = capture::CaptureLoop {
                spec: spec.clone(),
                slot: Arc::clone(&slot),
                stop: context.stop.clone(),
                waker: waker.clone(),
                live_view: Arc::clone(&live_view),
            };
            spawn(&mut threads, format!("camera-{index}"), move || {
                capture.run()
            })?;
            cameras.push(CameraHandle { name, spec, slot });
        }

        let runtime = Self {
            writer: Some(write_tx),
            reader: Some(read_tx),
            events,
            cameras,
            session,
            waker,
            live_view,
            stop: Some(stop_tx),
            threads,
            settings,
            #[cfg(unix)]
            signals: None,
        };
        runtime.send(Command::ListSignIn)?;
        Ok(runtime)
    }

    /// Queues a command without waiting; `Busy` when its queue is full.
    pub fn send(&self, command: Command) -> Result<(), RuntimeError> {
        tracing::debug!("command {command:?}");
        let result = if command.is_query() {
            let reader = self.reader.as_ref().ok_or(RuntimeError::Stopped)?;
            reader.try_send(command).map_err(|err| match err {
                TrySendError::Full(_) => RuntimeError::Busy(reader.len()),
                TrySendError::Disconnected(_) => RuntimeError::Stopped,
            })
        } else {
            let writer = self.writer.as_ref().ok_or(RuntimeError::Stopped)?;
            writer
                .try_send(WriteJob::Command(command))
                .map_err(|err| match err {
                    TrySendError::Full(_) => RuntimeError::Busy(writer.len()),
                    TrySendError::Disconnected(_) => RuntimeError::Stopped,
                })
        };
        if let Err(err) = &result {
            tracing::warn!("command refused: {err:#}");
        }
        result
    }

    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Waits up to `timeout` for the next event (CLI and tests; the GUI uses `events()`).
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }

    pub fn cameras(&self) -> &[CameraHandle] {
        &self.cameras
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The settings as they were at start (changes arrive as `Event::Settings`).
    pub fn initial_settings(&self) -> &StationSettings {
        &self.settings
    }

    /// Records user input, which keeps the session from going idle.
    pub fn touch(&self) {
        self.session.touch();
    }

    /// Installs the UI's repaint request.
    pub fn set_waker(&self, wake: impl Fn() + Send + Sync + 'static) {
        self.waker.set(wake);
    }

    /// While true, every new camera frame wakes the UI.
    pub fn set_live_view(&self, live: bool) {
        self.live_view.store(live, Ordering::Relaxed);
    }

    /// Stops every worker (the writer finishes and commits what is queued first) and joins
    /// every thread.
    pub fn shutdown(mut self) -> ShutdownReport {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> ShutdownReport {
        // Closing the queues ends the store threads once they have drained them; closing the
        // stop channel ends the capture and health loops at their next frame or tick.
        self.writer = None;
        self.reader = None;
        self.stop = None;
        #[cfg(unix)]
        if let Some(signals) = self.signals.take() {
            signals.close();
        }
        let mut report = ShutdownReport::default();
        for handle in self.threads.drain(..) {
            let name = handle.thread().name().unwrap_or("unnamed").to_owned();
            match handle.join() {
                Ok(()) => report.joined.push(name),
                Err(_) => {
                    tracing::error!("thread {name} panicked");
                    report.panicked.push(name);
                }
            }
        }
        tracing::info!("runtime stopped: joined {}", report.joined.join(", "));
        report
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.stop_and_join();
        }
    }
}
