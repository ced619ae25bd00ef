//! Termination signals: SIGTERM (a service manager stopping the kiosk) and SIGINT (Ctrl-C) become
//! an orderly close — the face closes its window, the runtime then stops its workers in phases —
//! instead of killing the process mid-work. A second signal, or one that arrives while shutdown
//! is already under way, exits at once: every acknowledged record is already committed, and an
//! operator pressing Ctrl-C twice means it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::{Runtime, RuntimeError};

/// Exit status of an immediate exit on a repeated signal (128 + SIGINT, as shells report it).
pub const EXIT_ON_SECOND_SIGNAL: i32 = 130;

/// What to do with a termination signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalAction {
    /// Ask the face to close; the runtime then shuts down in order.
    CloseInOrder,
    /// Leave now.
    ExitNow,
}

/// The first signal closes in order; a later one, or any during shutdown, exits.
pub fn action_for(signals_seen: u32, shutting_down: bool) -> SignalAction {
    if signals_seen > 1 || shutting_down {
        SignalAction::ExitNow
    } else {
        SignalAction::CloseInOrder
    }
}

/// The signals thread and what it needs to know.
pub(super) struct SignalWatch {
    handle: signal_hook::iterator::Handle,
    thread: JoinHandle<()>,
    shutting_down: Arc<AtomicBool>,
}

impl SignalWatch {
    /// From now on a signal exits at once.
    pub fn shutdown_started(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Ends the thread and joins it; returns its name for the shutdown report.
    pub fn close(self) -> String {
        self.handle.close();
        let name = self.thread.thread().name().unwrap_or("signals").to_owned();
        if self.thread.join().is_err() {
            tracing::error!("the signals thread panicked");
        }
        name
    }
}

impl Runtime {
    /// Calls `close` (on the "signals" thread) when SIGTERM or SIGINT arrives. Only the GUI
    /// installs this; the CLI and tests keep the default behaviour.
    pub fn close_on_termination(
        &mut self,
        close: impl Fn() + Send + 'static,
    ) -> Result<(), RuntimeError> {
        let spawn_error = |source| RuntimeError::Spawn {
            name: "signals".to_owned(),
            source,
        };
        let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(spawn_error)?;
        let handle = signals.handle();
        let shutting_down = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&shutting_down);
        let thread = std::thread::Builder::new()
            .name("signals".to_owned())
            .spawn(move || {
                let mut seen = 0;
                // `forever` ends when shutdown closes the handle.
                for signal in signals.forever() {
                    seen += 1;
                    match action_for(seen, flag.load(Ordering::SeqCst)) {
                        SignalAction::CloseInOrder => {
                            tracing::info!("signal {signal} received: closing the station");
                            close();
                        }
                        SignalAction::ExitNow => {
                            tracing::warn!(
                                "signal {signal} received again during shutdown: exiting now"
                            );
                            std::process::exit(EXIT_ON_SECOND_SIGNAL);
                        }
                    }
                }
            })
            .map_err(spawn_error)?;
        self.signals = Some(SignalWatch {
            handle,
            thread,
            shutting_down,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_signal_closes_in_order_and_a_repeat_exits() {
        assert_eq!(action_for(1, false), SignalAction::CloseInOrder);
        assert_eq!(action_for(2, false), SignalAction::ExitNow);
        assert_eq!(action_for(1, true), SignalAction::ExitNow);
    }
}
