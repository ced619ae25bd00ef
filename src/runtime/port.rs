//! A capability's two queues, typed: commands in (bounded, the face never waits) and events out
//! (bounded, the worker never waits on a slow UI). A capability defines its own command and
//! event types, gets a `Handle` for the faces and a `Port` for its worker from
//! `Runtime::start_capability`, and so adds a folder, a worker and a panel without editing any
//! shared enum.
//!
//! Events that do not fit are dropped and counted rather than blocking the worker; a face that
//! sees the count move re-reads the state it shows (a dropped event is a stale screen, never a
//! stuck station).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use super::RuntimeError;
use super::context::{Outbox, Waker};

/// The faces' side of a capability: send commands, drain events.
pub struct Handle<C, E> {
    name: &'static str,
    commands: Sender<C>,
    events: Receiver<E>,
    dropped: Arc<AtomicU64>,
}

impl<C, E> Clone for Handle<C, E> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            commands: self.commands.clone(),
            events: self.events.clone(),
            dropped: Arc::clone(&self.dropped),
        }
    }
}

impl<C, E> Handle<C, E> {
    /// Queues a command without waiting; `Busy` when the capability's inbox is full.
    pub fn send(&self, command: C) -> Result<(), RuntimeError> {
        self.commands.try_send(command).map_err(|err| match err {
            TrySendError::Full(_) => {
                tracing::warn!("{} is busy: command refused", self.name);
                RuntimeError::Busy(self.commands.len())
            }
            TrySendError::Disconnected(_) => RuntimeError::Stopped,
        })
    }

    /// The capability's events; the UI drains them within its frame budget.
    pub fn events(&self) -> &Receiver<E> {
        &self.events
    }

    /// Events dropped because nobody drained them in time. When it moves, re-read state.
    pub fn events_dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The worker's side of a capability.
pub struct Port<C, E> {
    commands: Receiver<C>,
    events: Outbox<E>,
}

impl<C, E> Port<C, E> {
    /// The next command, or `None` after `timeout` (beat your heartbeat and check for stop).
    /// `Err` once every handle is gone.
    pub fn next_command(&self, timeout: Duration) -> Result<Option<C>, RuntimeError> {
        match self.commands.recv_timeout(timeout) {
            Ok(command) => Ok(Some(command)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(RuntimeError::Stopped),
        }
    }

    /// Publishes an event without waiting and wakes the UI; a full queue drops it and counts.
    pub fn emit(&self, event: E) {
        self.events.emit(event);
    }
}

/// A handle and a port joined by bounded queues of the given lengths.
pub(super) fn pair<C, E>(
    name: &'static str,
    inbox: usize,
    outbox: usize,
    waker: Waker,
) -> (Handle<C, E>, Port<C, E>) {
    let (commands_tx, commands_rx) = crossbeam_channel::bounded(inbox.max(1));
    let (events, events_rx, dropped) = Outbox::bounded(name, outbox, waker);
    (
        Handle {
            name,
            commands: commands_tx,
            events: events_rx,
            dropped,
        },
        Port {
            commands: commands_rx,
            events,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_event_queue_drops_and_counts_instead_of_blocking() {
        let (handle, port) = pair::<u8, u32>("test", 2, 2, Waker::default());
        for event in 0..5 {
            port.emit(event);
        }
        assert_eq!(handle.events_dropped(), 3);
        let kept: Vec<u32> = handle.events().try_iter().collect();
        assert_eq!(kept, vec![0, 1]);
    }

    #[test]
    fn a_full_inbox_is_busy_and_a_closed_one_stopped() {
        let (handle, port) = pair::<u8, u32>("test", 1, 1, Waker::default());
        handle.send(1).unwrap();
        assert!(matches!(handle.send(2), Err(RuntimeError::Busy(1))));
        assert_eq!(port.next_command(Duration::ZERO).unwrap(), Some(1));
        assert_eq!(port.next_command(Duration::ZERO).unwrap(), None);
        drop(handle);
        assert!(matches!(
            port.next_command(Duration::ZERO),
            Err(RuntimeError::Stopped)
        ));
    }
}
