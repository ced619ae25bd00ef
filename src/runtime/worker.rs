//! One way to run a worker: a named thread whose body runs inside `catch_unwind`, beats a
//! heartbeat that health reads, and is restarted with backoff after a panic (or stays down, per
//! its policy). A worker belongs to a shutdown phase and stops when that phase's signal fires.
//!
//! This module owns the worker's thread loop and its published status; it does not decide the
//! shutdown order (see `supervisor.rs`) and knows nothing of what a worker does.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use super::context::{StopSignal, Waker};

/// What happens after a worker's body panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// The worker stays down; health shows it as down with the panic's message.
    Never,
    /// Run the body again after `first`, doubling up to `longest` while it keeps panicking.
    Backoff { first: Duration, longest: Duration },
}

impl Restart {
    /// The default for workers that own no hardware: restart soon, back off to 30 s.
    pub const STANDARD: Self = Self::Backoff {
        first: Duration::from_millis(200),
        longest: Duration::from_secs(30),
    };
}

/// Shutdown phases, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Sources of new work: cameras, triggers.
    Producers,
    /// Workers that turn frames and files into results (vision, OCR, scanning).
    Processing,
    /// Workers that own hardware and put it in its safe state (laser off, outputs low).
    Hardware,
    /// Queries and health.
    Services,
    /// The store-writer: drains its queue and commits last.
    Store,
}

impl Phase {
    pub const ORDER: [Self; 5] = [
        Self::Producers,
        Self::Processing,
        Self::Hardware,
        Self::Services,
        Self::Store,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Producers => "stop producers",
            Self::Processing => "stop processing",
            Self::Hardware => "hardware to safe state",
            Self::Services => "stop services",
            Self::Store => "drain and flush the store",
        }
    }
}

/// How a worker is run.
#[derive(Debug, Clone)]
pub struct WorkerSpec {
    pub name: String,
    pub phase: Phase,
    pub restart: Restart,
    /// A worker whose last heartbeat is older than this is shown as stalled.
    pub heartbeat_budget: Duration,
}

impl WorkerSpec {
    pub fn new(name: impl Into<String>, phase: Phase) -> Self {
        Self {
            name: name.into(),
            phase,
            restart: Restart::STANDARD,
            heartbeat_budget: Duration::from_secs(10),
        }
    }

    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    pub fn heartbeat_budget(mut self, budget: Duration) -> Self {
        self.heartbeat_budget = budget;
        self
    }
}

/// What a worker's body reports when it returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerExit {
    /// Its work is over (stop signal, or its inbox closed): the thread ends.
    Finished,
}

/// A worker's lifecycle, as health shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    Running,
    /// Panicked; runs again after `retry_in`.
    Restarting {
        panic: String,
        retry_in: Duration,
    },
    /// Panicked and its policy keeps it down.
    Down {
        panic: String,
    },
    Stopped,
}

/// The last panic a worker had, for alarms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanicRecord {
    pub message: String,
    pub at: Instant,
}

/// A worker's shared status: written by its thread, read by health and the UI without locks.
pub struct WorkerCell {
    spec: WorkerSpec,
    epoch: Instant,
    last_beat_ms: AtomicU64,
    restarts: AtomicU32,
    state: ArcSwap<WorkerState>,
    last_panic: arc_swap::ArcSwapOption<PanicRecord>,
}

/// A copy of one worker's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStatus {
    pub name: String,
    pub phase: Phase,
    pub state: WorkerState,
    pub restarts: u32,
    pub since_heartbeat: Duration,
    /// Running but silent for longer than its heartbeat budget.
    pub stalled: bool,
    pub last_panic: Option<PanicRecord>,
}

impl WorkerCell {
    pub(super) fn new(spec: WorkerSpec) -> Self {
        Self {
            spec,
            epoch: Instant::now(),
            last_beat_ms: AtomicU64::new(0),
            restarts: AtomicU32::new(0),
            state: ArcSwap::from_pointee(WorkerState::Running),
            last_panic: arc_swap::ArcSwapOption::empty(),
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn phase(&self) -> Phase {
        self.spec.phase
    }

    fn beat(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_beat_ms.store(ms, Ordering::Relaxed);
    }

    fn set_state(&self, state: WorkerState) {
        self.state.store(Arc::new(state));
    }

    pub fn status(&self) -> WorkerStatus {
        let state = (**self.state.load()).clone();
        let last = Duration::from_millis(self.last_beat_ms.load(Ordering::Relaxed));
        let since_heartbeat = self.epoch.elapsed().saturating_sub(last);
        WorkerStatus {
            name: self.spec.name.clone(),
            phase: self.spec.phase,
            stalled: state == WorkerState::Running && since_heartbeat > self.spec.heartbeat_budget,
            state,
            restarts: self.restarts.load(Ordering::Relaxed),
            since_heartbeat,
            last_panic: self.last_panic.load_full().map(|record| (*record).clone()),
        }
    }
}

/// What a worker's body is given: its stop signal and its heartbeat.
#[derive(Clone)]
pub struct WorkerCtx {
    cell: Arc<WorkerCell>,
    stop: StopSignal,
}

impl WorkerCtx {
    /// Tells health the worker is alive. Call it at least once per heartbeat budget (block on
    /// inboxes with a timeout shorter than the budget).
    pub fn beat(&self) {
        self.cell.beat();
    }

    pub fn name(&self) -> &str {
        self.cell.name()
    }

    /// True once the worker's shutdown phase has begun.
    pub fn is_stopped(&self) -> bool {
        self.stop.is_stopped()
    }

    /// Sleeps up to `duration`; true if the worker must stop. Beats first.
    pub fn sleep(&self, duration: Duration) -> bool {
        self.beat();
        self.stop.sleep(duration)
    }

    pub fn stop_signal(&self) -> &StopSignal {
        &self.stop
    }
}

/// Text of a panic payload (`panic!("...")` gives `&str` or `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Runs `body` under the worker's policy until it finishes, the phase stops it, or a panic
/// with `Restart::Never` keeps it down. This is the whole life of the worker's thread.
pub(super) fn run_supervised(
    cell: Arc<WorkerCell>,
    stop: StopSignal,
    waker: Waker,
    mut body: impl FnMut(&WorkerCtx) -> WorkerExit,
) {
    let ctx = WorkerCtx {
        cell: Arc::clone(&cell),
        stop,
    };
    let mut backoff = match cell.spec.restart {
        Restart::Backoff { first, .. } => first,
        Restart::Never => Duration::ZERO,
    };
    loop {
        cell.beat();
        cell.set_state(WorkerState::Running);
        // The body owns its resources across restarts; a panic may leave them mid-update, which
        // each body handles on entry (the writer rolls back an open transaction, for example).
        let outcome = catch_unwind(AssertUnwindSafe(|| body(&ctx)));
        let payload = match outcome {
            Ok(WorkerExit::Finished) => break,
            Err(payload) => payload,
        };
        let message = panic_message(payload.as_ref());
        cell.last_panic.store(Some(Arc::new(PanicRecord {
            message: message.clone(),
            at: Instant::now(),
        })));
        let restarts = cell.restarts.fetch_add(1, Ordering::Relaxed) + 1;
        match cell.spec.restart {
            Restart::Never => {
                tracing::error!(
                    "worker {} panicked: {message}; it stays down (its policy)",
                    cell.name()
                );
                cell.set_state(WorkerState::Down { panic: message });
                waker.wake();
                return;
            }
            Restart::Backoff { longest, .. } => {
                tracing::error!(
                    "worker {} panicked: {message}; restart {restarts} in {:.1} s",
                    cell.name(),
                    backoff.as_secs_f32()
                );
                cell.set_state(WorkerState::Restarting {
                    panic: message,
                    retry_in: backoff,
                });
                waker.wake();
                if ctx.stop.sleep(backoff) {
                    break;
                }
                backoff = (backoff * 2).min(longest);
            }
        }
    }
    cell.set_state(WorkerState::Stopped);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(restart: Restart) -> Arc<WorkerCell> {
        Arc::new(WorkerCell::new(
            WorkerSpec::new("test", Phase::Services).restart(restart),
        ))
    }

    #[test]
    fn a_panicking_body_is_restarted_and_recorded() {
        let cell = cell(Restart::Backoff {
            first: Duration::from_millis(1),
            longest: Duration::from_millis(4),
        });
        let (_keep, stop) = StopSignal::new();
        let mut calls = 0;
        run_supervised(Arc::clone(&cell), stop, Waker::default(), |_| {
            calls += 1;
            assert!(calls > 2, "boom {calls}");
            WorkerExit::Finished
        });
        let status = cell.status();
        assert_eq!(calls, 3);
        assert_eq!(status.restarts, 2);
        assert_eq!(status.state, WorkerState::Stopped);
        let panic = status.last_panic.expect("recorded");
        assert!(panic.message.contains("boom 2"), "{}", panic.message);
    }

    #[test]
    fn a_never_restarted_worker_stays_down() {
        let cell = cell(Restart::Never);
        let (_keep, stop) = StopSignal::new();
        run_supervised(Arc::clone(&cell), stop, Waker::default(), |_| {
            panic!("bad input")
        });
        assert_eq!(
            cell.status().state,
            WorkerState::Down {
                panic: "bad input".to_owned()
            }
        );
    }

    #[test]
    fn stopping_during_backoff_ends_the_worker() {
        let cell = cell(Restart::Backoff {
            first: Duration::from_secs(60),
            longest: Duration::from_secs(60),
        });
        let (stop_tx, stop) = StopSignal::new();
        drop(stop_tx);
        let started = Instant::now();
        run_supervised(Arc::clone(&cell), stop, Waker::default(), |_| panic!("x"));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(cell.status().state, WorkerState::Stopped);
    }

    #[test]
    fn silence_beyond_the_budget_is_stalled() {
        let cell = Arc::new(WorkerCell::new(
            WorkerSpec::new("slow", Phase::Services).heartbeat_budget(Duration::from_millis(20)),
        ));
        cell.beat();
        assert!(!cell.status().stalled);
        std::thread::sleep(Duration::from_millis(40));
        assert!(cell.status().stalled);
        cell.beat();
        assert!(!cell.status().stalled);
    }
}
