//! The supervisor: starts workers on named threads, keeps their published status for health,
//! and stops them phase by phase, each phase time-boxed and logged. A worker that does not stop
//! within its phase's time box is named in the report and left behind, so one hung thread never
//! holds the station open.

use std::collections::HashMap;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::Sender;

use super::RuntimeError;
use super::context::{StopSignal, Waker};
use super::worker::{Phase, WorkerCell, WorkerCtx, WorkerExit, WorkerSpec, WorkerStatus};

/// Every worker's status cell, readable from any thread (health, the UI, the CLI).
#[derive(Default)]
pub struct WorkerBoard(ArcSwap<Vec<Arc<WorkerCell>>>);

impl WorkerBoard {
    fn add(&self, cell: Arc<WorkerCell>) {
        self.0.rcu(|cells| {
            let mut cells = (**cells).clone();
            cells.push(Arc::clone(&cell));
            cells
        });
    }

    pub fn statuses(&self) -> Vec<WorkerStatus> {
        self.0.load().iter().map(|cell| cell.status()).collect()
    }
}

/// What one shutdown phase did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseReport {
    pub phase: Phase,
    pub joined: Vec<String>,
    /// Workers still running when the phase's time box ran out (left behind).
    pub timed_out: Vec<String>,
    pub elapsed: Duration,
}

struct Running {
    cell: Arc<WorkerCell>,
    handle: JoinHandle<()>,
}

pub(super) struct Supervisor {
    board: Arc<WorkerBoard>,
    waker: Waker,
    /// Dropping a phase's sender stops that phase's workers.
    stops: HashMap<Phase, (Sender<()>, StopSignal)>,
    running: Vec<Running>,
}

impl Supervisor {
    pub fn new(waker: Waker) -> Self {
        let stops = Phase::ORDER
            .into_iter()
            .map(|phase| (phase, StopSignal::new()))
            .collect();
        Self {
            board: Arc::new(WorkerBoard::default()),
            waker,
            stops,
            running: Vec::new(),
        }
    }

    pub fn board(&self) -> Arc<WorkerBoard> {
        Arc::clone(&self.board)
    }

    /// The stop signal of `phase`, for loops that are not workers themselves.
    pub fn stop_signal(&self, phase: Phase) -> Option<StopSignal> {
        self.stops.get(&phase).map(|(_, signal)| signal.clone())
    }

    /// Starts a worker on its own named thread.
    pub fn start(
        &mut self,
        spec: WorkerSpec,
        body: impl FnMut(&WorkerCtx) -> WorkerExit + Send + 'static,
    ) -> Result<(), RuntimeError> {
        let stop = self.stop_signal(spec.phase).ok_or(RuntimeError::Stopped)?;
        let name = spec.name.clone();
        let cell = Arc::new(WorkerCell::new(spec));
        let thread_cell = Arc::clone(&cell);
        let waker = self.waker.clone();
        let handle = std::thread::Builder::new()
            .name(name.clone())
            .spawn(move || super::worker::run_supervised(thread_cell, stop, waker, body))
            .map_err(|source| RuntimeError::Spawn { name, source })?;
        self.board.add(Arc::clone(&cell));
        self.running.push(Running { cell, handle });
        Ok(())
    }

    /// Signals `phase`'s workers to stop and joins them, waiting at most `time_box`.
    pub fn stop_phase(&mut self, phase: Phase, time_box: Duration) -> PhaseReport {
        let started = Instant::now();
        if let Some((sender, _)) = self.stops.remove(&phase) {
            drop(sender);
        }
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.running)
            .into_iter()
            .partition(|running| running.cell.phase() == phase);
        self.running = others;
        let deadline = started + time_box;
        let mut report = PhaseReport {
            phase,
            joined: Vec::new(),
            timed_out: Vec::new(),
            elapsed: Duration::ZERO,
        };
        for running in mine {
            let name = running.cell.name().to_owned();
            while !running.handle.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            if running.handle.is_finished() {
                // The body runs inside `catch_unwind`, so the thread itself does not panic.
                if running.handle.join().is_err() {
                    tracing::error!("worker {name} ended by a panic outside its boundary");
                }
                report.joined.push(name);
            } else {
                tracing::error!(
                    "worker {name} did not stop within {} ms ({}): left behind",
                    time_box.as_millis(),
                    phase.label()
                );
                report.timed_out.push(name);
            }
        }
        report.elapsed = started.elapsed();
        tracing::info!(
            "shutdown: {} in {} ms (joined: {}{})",
            phase.label(),
            report.elapsed.as_millis(),
            report.joined.join(", "),
            if report.timed_out.is_empty() {
                String::new()
            } else {
                format!("; timed out: {}", report.timed_out.join(", "))
            }
        );
        report
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }
}
