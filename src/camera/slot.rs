//! The latest-frame slot between one capture loop and its viewers: publishing never waits,
//! reading never waits (an atomic pointer swap), and an unread frame that is replaced counts as
//! dropped. The slot also carries the camera's state and last error for the health display.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use super::Frame;

/// Counts kept by the slot. `produced = shown + dropped + (0 or 1 waiting in the slot)`.
#[derive(Debug, Default)]
pub struct FrameCounters {
    produced: AtomicU64,
    shown: AtomicU64,
    dropped: AtomicU64,
    /// Highest sequence number a viewer has taken.
    shown_seq: AtomicU64,
    /// Capture-to-display latency of the last shown frame.
    last_latency_micros: AtomicU64,
    /// Source failures (open or read) since start.
    errors: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    pub produced: u64,
    pub shown: u64,
    pub dropped: u64,
    pub last_latency_micros: u64,
    pub errors: u64,
}

/// What the capture loop is doing, for the health display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraState {
    Starting,
    Live,
    /// The source failed; the loop is waiting before it tries to open it again.
    Reconnecting {
        error: String,
        retry_in: Duration,
    },
    Stopped,
}

/// One camera's shared slot. Cheap to clone through an `Arc`.
pub struct LatestFrame {
    name: String,
    frame: ArcSwapOption<Frame>,
    counters: FrameCounters,
    state: ArcSwapOption<CameraState>,
}

impl LatestFrame {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            frame: ArcSwapOption::empty(),
            counters: FrameCounters::default(),
            state: ArcSwapOption::from_pointee(CameraState::Starting),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Called by the capture loop for every new frame.
    pub fn publish(&self, frame: Frame) {
        let seq = frame.seq;
        self.counters.produced.fetch_add(1, Ordering::Relaxed);
        if let Some(previous) = self.frame.swap(Some(Arc::new(frame))) {
            let shown_seq = self.counters.shown_seq.load(Ordering::Acquire);
            if previous.seq > shown_seq && previous.seq < seq {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The newest frame if it is newer than `seen_seq`, and counts it as shown. A viewer keeps
    /// the returned `Arc` for as long as it draws that frame.
    pub fn take_newer(&self, seen_seq: u64) -> Option<Arc<Frame>> {
        let frame = self.frame.load_full()?;
        if frame.seq <= seen_seq {
            return None;
        }
        let previous = self
            .counters
            .shown_seq
            .fetch_max(frame.seq, Ordering::AcqRel);
        if previous < frame.seq {
            self.counters.shown.fetch_add(1, Ordering::Relaxed);
            let latency = frame.captured_at.elapsed().as_micros();
            self.counters.last_latency_micros.store(
                u64::try_from(latency).unwrap_or(u64::MAX),
                Ordering::Relaxed,
            );
        }
        Some(frame)
    }

    pub fn counters(&self) -> CounterSnapshot {
        let c = &self.counters;
        CounterSnapshot {
            produced: c.produced.load(Ordering::Relaxed),
            shown: c.shown.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            last_latency_micros: c.last_latency_micros.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
        }
    }

    pub fn state(&self) -> CameraState {
        self.state
            .load_full()
            .map_or(CameraState::Stopped, |state| (*state).clone())
    }

    pub fn set_state(&self, state: CameraState) {
        if matches!(state, CameraState::Reconnecting { .. }) {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.state.store(Some(Arc::new(state)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn frame(seq: u64) -> Frame {
        Frame {
            seq,
            captured_at: Instant::now(),
            captured_utc: chrono::Utc::now(),
            image: image::RgbaImage::new(2, 2),
        }
    }

    #[test]
    fn unread_frames_count_as_dropped() {
        let slot = LatestFrame::new("test");
        slot.publish(frame(1));
        slot.publish(frame(2)); // frame 1 never shown
        assert_eq!(slot.take_newer(0).unwrap().seq, 2);
        assert!(slot.take_newer(2).is_none(), "nothing newer");
        slot.publish(frame(3));
        slot.publish(frame(4)); // frame 3 dropped
        slot.publish(frame(5)); // frame 4 dropped
        assert_eq!(slot.take_newer(2).unwrap().seq, 5);
        let counters = slot.counters();
        assert_eq!(counters.produced, 5);
        assert_eq!(counters.shown, 2);
        assert_eq!(counters.dropped, 3);
    }

    #[test]
    fn a_frame_taken_twice_is_shown_once() {
        let slot = LatestFrame::new("test");
        slot.publish(frame(1));
        assert!(slot.take_newer(0).is_some());
        assert!(
            slot.take_newer(0).is_some(),
            "a second viewer still gets it"
        );
        assert_eq!(slot.counters().shown, 1);
    }
}
