//! Repaint requests from workers, paced to the display: a camera frame, an event or a health
//! change asks for a repaint, but the UI never draws more often than the display shows frames.
//! Four cameras at 30 fps ask 120 times a second; the UI draws at most 60 times, each drawing
//! picks up every frame that arrived since the last.
//!
//! Owns only the time of the last request; it does not decide what is drawn.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The display's frame period (60 Hz panels on the kiosks this targets).
pub const DISPLAY_PERIOD: Duration = Duration::from_micros(16_667);

/// Turns "something changed" into at most one repaint per period: the display's, or longer
/// when nothing the workers report changes faster (cameras at 30 fps need 30 draws a second,
/// not 60).
#[derive(Clone)]
pub struct RepaintPacer {
    epoch: Instant,
    period: Duration,
    /// Microseconds since `epoch` at which the next repaint is already scheduled.
    scheduled_micros: Arc<AtomicU64>,
}

impl Default for RepaintPacer {
    fn default() -> Self {
        Self::new(DISPLAY_PERIOD)
    }
}

/// What a request leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repaint {
    /// Draw as soon as possible.
    Now,
    /// Draw after this delay (the display is not ready for another frame yet).
    After(Duration),
    /// A repaint is already scheduled that will show this change too.
    AlreadyScheduled,
}

impl RepaintPacer {
    /// At most one repaint per `period`, never shorter than the display's.
    pub fn new(period: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            period: period.max(DISPLAY_PERIOD),
            scheduled_micros: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Paced to the fastest of `fps` (the visible cameras' rates), within the display's.
    pub fn for_rates(fps: impl IntoIterator<Item = f32>) -> Self {
        let fastest = fps.into_iter().fold(0.0_f32, f32::max);
        if fastest <= 0.0 {
            return Self::default();
        }
        Self::new(Duration::from_secs_f32(1.0 / fastest))
    }

    /// Decides a request made `now`.
    pub fn request(&self, now: Instant) -> Repaint {
        let now_micros = micros(now.duration_since(self.epoch));
        let period = micros(self.period);
        let mut scheduled = self.scheduled_micros.load(Ordering::Acquire);
        loop {
            if scheduled > now_micros {
                return Repaint::AlreadyScheduled;
            }
            // The next repaint may happen one period after the last scheduled one.
            let next = (scheduled + period).max(now_micros);
            match self.scheduled_micros.compare_exchange_weak(
                scheduled,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) if next == now_micros => return Repaint::Now,
                Ok(_) => return Repaint::After(Duration::from_micros(next - now_micros)),
                Err(actual) => scheduled = actual,
            }
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_faster_than_the_display_are_folded_into_one_repaint_per_period() {
        let pacer = RepaintPacer::default();
        let start = pacer.epoch + Duration::from_secs(1);
        assert_eq!(pacer.request(start), Repaint::Now);
        // 4 cameras × 30 fps: a request every ~8 ms.
        let mut repaints = 1;
        for step in 1..120 {
            let at = start + Duration::from_micros(8_333 * step);
            match pacer.request(at) {
                Repaint::Now | Repaint::After(_) => repaints += 1,
                Repaint::AlreadyScheduled => {}
            }
        }
        // One second of requests: at most one repaint per display period (60), at least 50.
        assert!((50..=61).contains(&repaints), "{repaints} repaints");
    }

    #[test]
    fn thirty_fps_cameras_are_drawn_thirty_times_a_second() {
        let pacer = RepaintPacer::for_rates([30.0, 30.0, 25.0]);
        let start = pacer.epoch + Duration::from_secs(1);
        let mut repaints = 0;
        for step in 0..120 {
            let at = start + Duration::from_micros(8_333 * step);
            if pacer.request(at) != Repaint::AlreadyScheduled {
                repaints += 1;
            }
        }
        assert!((28..=31).contains(&repaints), "{repaints} repaints");
        // Faster sources are still held to the display.
        assert_eq!(RepaintPacer::for_rates([240.0]).period, DISPLAY_PERIOD);
    }

    #[test]
    fn a_request_after_a_quiet_spell_draws_at_once() {
        let pacer = RepaintPacer::default();
        let start = pacer.epoch + Duration::from_secs(1);
        assert_eq!(pacer.request(start), Repaint::Now);
        assert!(matches!(
            pacer.request(start + Duration::from_millis(5)),
            Repaint::After(delay) if delay <= DISPLAY_PERIOD
        ));
        assert_eq!(
            pacer.request(start + Duration::from_millis(10)),
            Repaint::AlreadyScheduled
        );
        assert_eq!(
            pacer.request(start + Duration::from_millis(500)),
            Repaint::Now
        );
    }
}
