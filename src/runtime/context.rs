//! What the store workers share: the event sender, the UI's repaint waker and the session; and
//! the stop signal every worker's phase closes. Sending an event wakes the UI so it drains
//! promptly.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use super::Event;
use super::session::Session;

type WakeFn = dyn Fn() + Send + Sync;

/// Asks the UI to repaint; set once the UI exists, a no-op before.
#[derive(Clone, Default)]
pub struct Waker(Arc<ArcSwapOption<Box<WakeFn>>>);

impl Waker {
    pub fn set(&self, wake: impl Fn() + Send + Sync + 'static) {
        self.0.store(Some(Arc::new(Box::new(wake))));
    }

    pub fn wake(&self) {
        if let Some(wake) = self.0.load_full() {
            wake();
        }
    }
}

/// Closed (by dropping its sender) when the runtime shuts down.
#[derive(Clone)]
pub struct StopSignal(Receiver<()>);

impl StopSignal {
    pub fn new() -> (Sender<()>, Self) {
        let (sender, receiver) = crossbeam_channel::bounded(1);
        (sender, Self(receiver))
    }

    pub fn is_stopped(&self) -> bool {
        matches!(self.0.try_recv(), Err(TryRecvError::Disconnected))
    }

    /// Sleeps up to `duration`; true if the runtime is stopping.
    pub fn sleep(&self, duration: Duration) -> bool {
        matches!(
            self.0.recv_timeout(duration),
            Err(RecvTimeoutError::Disconnected)
        )
    }
}

#[derive(Clone)]
pub struct Shared {
    pub events: Sender<Event>,
    pub waker: Waker,
    pub session: Arc<Session>,
    /// Events dropped because the queue was full (the UI was not draining it).
    pub dropped: Arc<AtomicU64>,
}

impl Shared {
    /// Publishes an event without waiting: a worker is never held up by a slow UI. A full queue
    /// drops the event and counts it; the UI re-reads its state when it sees the count move.
    pub fn emit(&self, event: Event) {
        if let Err(err) = self.events.try_send(event) {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    "event queue full (is the UI draining it?): dropped {:?}; {dropped} dropped so far",
                    err.into_inner()
                );
            }
        }
        self.waker.wake();
    }
}
