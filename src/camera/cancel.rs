//! How a blocked source learns that its reader wants it to stop: a question (`is it time to
//! give up?`) asked between short sleeps, so shutdown never waits out a long frame period.
//!
//! Owns no flag and no channel: the runtime decides what "stop" means (its stop signal, a
//! worker's shutdown phase) and lends the question for the length of one call.

use std::time::{Duration, Instant};

use super::CameraError;

/// The longest a source sleeps before it asks again.
pub const CANCEL_POLL: Duration = Duration::from_millis(20);

/// Lent to `FrameSource::next_frame`: true once the caller wants the call to return.
#[derive(Clone, Copy)]
pub struct Cancel<'a> {
    is_cancelled: &'a dyn Fn() -> bool,
}

fn never_cancelled() -> bool {
    false
}

impl<'a> Cancel<'a> {
    /// Asks `is_cancelled` (cheap: it is called every few milliseconds while a source waits).
    pub fn new(is_cancelled: &'a dyn Fn() -> bool) -> Self {
        Self { is_cancelled }
    }

    /// For one-shot callers (the CLI's grab) that wait for the frame whatever happens.
    pub fn never() -> Cancel<'static> {
        Cancel {
            is_cancelled: &never_cancelled,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        (self.is_cancelled)()
    }

    /// Sleeps until `deadline` in slices of at most `CANCEL_POLL`; `CameraError::Cancelled` as
    /// soon as a check says so.
    pub fn sleep_until(&self, deadline: Instant) -> Result<(), CameraError> {
        loop {
            if self.is_cancelled() {
                return Err(CameraError::Cancelled);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            std::thread::sleep((deadline - now).min(CANCEL_POLL));
        }
    }
}

impl std::fmt::Debug for Cancel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn a_sleep_ends_soon_after_cancel() {
        let stop = AtomicBool::new(false);
        let check = || stop.load(Ordering::Relaxed);
        let cancel = Cancel::new(&check);
        let started = Instant::now();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                stop.store(true, Ordering::Relaxed);
            });
            let result = cancel.sleep_until(started + Duration::from_secs(10));
            assert!(matches!(result, Err(CameraError::Cancelled)), "{result:?}");
        });
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_uncancelled_sleep_lasts_until_the_deadline() {
        let started = Instant::now();
        Cancel::never()
            .sleep_until(started + Duration::from_millis(60))
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(60));
    }
}
