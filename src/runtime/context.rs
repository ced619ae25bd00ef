//! What workers share with the faces: the UI's repaint waker, the stop signal every worker's
//! phase closes, and `Outbox`, the one way a worker publishes events (never waiting, counting
//! what a full queue drops, waking the UI).

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

/// The sending side of an event queue to the faces: it never waits (a worker is never held up
/// by a slow UI), drops and counts what a full queue cannot take, and wakes the UI. The faces
/// re-read the state they show when they see the count move.
pub struct Outbox<E> {
    name: &'static str,
    events: Sender<E>,
    dropped: Arc<AtomicU64>,
    waker: Waker,
}

impl<E> Clone for Outbox<E> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            events: self.events.clone(),
            dropped: Arc::clone(&self.dropped),
            waker: self.waker.clone(),
        }
    }
}

impl<E> Outbox<E> {
    /// A bounded queue of `length` events named `name` (for the log); returns the outbox, the
    /// receiving end and the shared drop count.
    pub fn bounded(
        name: &'static str,
        length: usize,
        waker: Waker,
    ) -> (Self, Receiver<E>, Arc<AtomicU64>) {
        let (events, receiver) = crossbeam_channel::bounded(length.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let outbox = Self {
            name,
            events,
            dropped: Arc::clone(&dropped),
            waker,
        };
        (outbox, receiver, dropped)
    }

    /// Publishes `event` without waiting and wakes the UI.
    pub fn emit(&self, event: E) {
        if self.events.try_send(event).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    "{}: {dropped} event(s) dropped so far (the UI is not draining them)",
                    self.name
                );
            }
        }
        self.waker.wake();
    }
}

/// What the record workers share: where their events go, and the session.
#[derive(Clone)]
pub struct Shared {
    pub outbox: Outbox<Event>,
    pub session: Arc<Session>,
}

impl Shared {
    pub fn emit(&self, event: Event) {
        self.outbox.emit(event);
    }
}
