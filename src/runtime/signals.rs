//! Termination signals: SIGTERM (a service manager stopping the kiosk) and SIGINT (Ctrl-C) become
//! an orderly close — the face closes its window, the runtime then commits, signs out, and joins
//! every thread — instead of killing the process mid-work.

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::{Runtime, RuntimeError, spawn};

impl Runtime {
    /// Calls `close` (on the "signals" thread) when SIGTERM or SIGINT arrives. Only the GUI
    /// installs this; the CLI and tests keep the default behaviour.
    pub fn close_on_termination(
        &mut self,
        close: impl Fn() + Send + 'static,
    ) -> Result<(), RuntimeError> {
        let mut signals =
            Signals::new([SIGTERM, SIGINT]).map_err(|source| RuntimeError::Spawn {
                name: "signals".to_owned(),
                source,
            })?;
        self.signals = Some(signals.handle());
        spawn(&mut self.threads, "signals".to_owned(), move || {
            // `forever` ends when the runtime closes the handle at shutdown.
            if let Some(signal) = signals.forever().next() {
                tracing::info!("signal {signal} received: closing the station");
                close();
            }
        })
    }
}
