//! The latest-frame slot between one capture loop and its viewers: publishing never waits,
//! reading never waits (an atomic pointer swap), and an unread frame that is replaced counts as
//! dropped. The slot also carries the camera's state and last error for the health display, and
//! tells a live camera from a stalled one (a hung capture thread leaves a frozen frame behind:
//! the newest frame's age says so).
//!
//! Owns no thread and no lock: the capture loop writes, any thread reads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;

use super::{Frame, FrameSize};

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
    /// Source failures (open, read, or one undecodable frame) since start.
    errors: AtomicU64,
    /// Frames whose pixel buffer was allocated for them rather than reused from the pool.
    fresh_buffers: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    pub produced: u64,
    pub shown: u64,
    pub dropped: u64,
    pub last_latency_micros: u64,
    pub errors: u64,
    /// Of `produced`, frames whose buffer was a fresh allocation (the rest were reused).
    pub fresh_buffers: u64,
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

/// The shortest stall budget: a camera is not called stalled over one late frame.
pub const MIN_STALL_BUDGET: Duration = Duration::from_millis(500);

/// How old a live camera's newest frame may be before it counts as stalled: three frame
/// periods, and never less than `MIN_STALL_BUDGET`.
pub fn stall_budget(nominal_fps: f32) -> Duration {
    let periods = Duration::from_secs_f32(3.0 / nominal_fps.max(0.01));
    periods.max(MIN_STALL_BUDGET)
}

#[derive(Debug)]
struct StateEntry {
    state: CameraState,
    since: Instant,
}

/// One camera's shared slot. Cheap to clone through an `Arc`.
pub struct LatestFrame {
    name: String,
    frame: ArcSwapOption<Frame>,
    counters: FrameCounters,
    state: ArcSwapOption<StateEntry>,
    stall_budget_micros: AtomicU64,
    /// The open source's rate in thousandths of a frame per second (0: not open yet).
    nominal_millifps: AtomicU64,
    /// Width << 32 | height of the largest size the screen shows this camera at (0: unknown).
    display_px: AtomicU64,
}

impl LatestFrame {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            frame: ArcSwapOption::empty(),
            counters: FrameCounters::default(),
            state: ArcSwapOption::from_pointee(StateEntry {
                state: CameraState::Starting,
                since: Instant::now(),
            }),
            stall_budget_micros: AtomicU64::new(micros(MIN_STALL_BUDGET)),
            nominal_millifps: AtomicU64::new(0),
            display_px: AtomicU64::new(0),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Called by the capture loop for every new frame (a `Frame`, or an `Arc<Frame>` it also
    /// hands to the ring and the workers).
    pub fn publish(&self, frame: impl Into<Arc<Frame>>) {
        let frame = frame.into();
        let seq = frame.seq;
        self.counters.produced.fetch_add(1, Ordering::Relaxed);
        if frame.image.was_fresh() {
            self.counters.fresh_buffers.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(previous) = self.frame.swap(Some(frame)) {
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
            fresh_buffers: c.fresh_buffers.load(Ordering::Relaxed),
        }
    }

    pub fn state(&self) -> CameraState {
        self.state
            .load()
            .as_ref()
            .map_or(CameraState::Stopped, |entry| entry.state.clone())
    }

    pub fn set_state(&self, state: CameraState) {
        if matches!(state, CameraState::Reconnecting { .. }) {
            self.counters.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.state.store(Some(Arc::new(StateEntry {
            state,
            since: Instant::now(),
        })));
    }

    /// Counts a frame the source could not deliver while it kept running (a corrupt file).
    pub fn count_frame_error(&self) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// The UI says how many pixels it shows this camera's whole frame at, so the capture loop
    /// can shrink frames for the screen.
    pub fn set_display_size(&self, shown: FrameSize) {
        let packed = (u64::from(shown.width_px) << 32) | u64::from(shown.height_px);
        self.display_px.store(packed, Ordering::Relaxed);
    }

    /// The size last set by `set_display_size`, if any.
    pub fn display_size(&self) -> Option<FrameSize> {
        let packed = self.display_px.load(Ordering::Relaxed);
        (packed != 0).then(|| FrameSize::new((packed >> 32) as u32, packed as u32))
    }

    /// The capture loop tells the slot the rate of the source it opened; the stall budget
    /// follows from it (`stall_budget(fps)`), and triggers use it for their tolerance.
    pub fn set_nominal_fps(&self, fps: f32) {
        let millifps = (f64::from(fps.max(0.0)) * 1000.0).round() as u64;
        self.nominal_millifps.store(millifps, Ordering::Relaxed);
        self.set_stall_budget(stall_budget(fps));
    }

    /// The open source's rate, once one has opened.
    pub fn nominal_fps(&self) -> Option<f32> {
        let millifps = self.nominal_millifps.load(Ordering::Relaxed);
        (millifps != 0).then(|| millifps as f32 / 1000.0)
    }

    /// The budget `stalled` uses (set with the rate by `set_nominal_fps`; tests may set their
    /// own).
    pub fn set_stall_budget(&self, budget: Duration) {
        self.stall_budget_micros
            .store(micros(budget), Ordering::Relaxed);
    }

    pub fn stall_budget(&self) -> Duration {
        Duration::from_micros(self.stall_budget_micros.load(Ordering::Relaxed))
    }

    /// When the newest frame was captured.
    pub fn newest_captured_at(&self) -> Option<Instant> {
        self.frame.load().as_ref().map(|frame| frame.captured_at)
    }

    /// How old the newest frame is at `now`.
    pub fn frame_age(&self, now: Instant) -> Option<Duration> {
        self.newest_captured_at()
            .map(|captured_at| now.saturating_duration_since(captured_at))
    }

    /// True if the camera is meant to be live but nothing has arrived for longer than `budget`:
    /// neither a frame captured within it nor, since the source (re)opened, any frame at all.
    /// A camera that is starting, reconnecting or stopped says so itself and is not stalled.
    pub fn is_stalled(&self, now: Instant, budget: Duration) -> bool {
        let guard = self.state.load();
        let Some(entry) = guard.as_ref() else {
            return false;
        };
        if entry.state != CameraState::Live {
            return false;
        }
        let heard_at = self
            .newest_captured_at()
            .map_or(entry.since, |captured_at| captured_at.max(entry.since));
        now.saturating_duration_since(heard_at) > budget
    }

    /// `is_stalled` with the budget the capture loop set.
    pub fn stalled(&self, now: Instant) -> bool {
        self.is_stalled(now, self.stall_budget())
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn frame(seq: u64) -> Frame {
        frame_at(seq, Instant::now())
    }

    fn frame_at(seq: u64, captured_at: Instant) -> Frame {
        Frame {
            seq,
            captured_at,
            captured_utc: chrono::Utc::now(),
            image: image::RgbaImage::new(2, 2).into(),
            display: None,
        }
    }

    #[test]
    fn a_live_camera_whose_newest_frame_is_too_old_is_stalled() {
        let slot = LatestFrame::new("test");
        let budget = Duration::from_millis(500);
        let t0 = Instant::now();
        slot.set_state(CameraState::Live);
        let t0 = t0.max(slot.state.load().as_ref().unwrap().since);
        assert!(!slot.is_stalled(t0, budget), "just opened");
        assert!(
            slot.is_stalled(t0 + Duration::from_secs(1), budget),
            "opened a second ago and no frame ever came"
        );
        slot.publish(frame_at(1, t0 + Duration::from_millis(900)));
        assert!(!slot.is_stalled(t0 + Duration::from_millis(1300), budget));
        assert!(slot.is_stalled(t0 + Duration::from_millis(1500), budget));
        assert_eq!(
            slot.frame_age(t0 + Duration::from_millis(1500)),
            Some(Duration::from_millis(600))
        );
        slot.publish(frame_at(2, t0 + Duration::from_millis(1450)));
        assert!(
            !slot.is_stalled(t0 + Duration::from_millis(1500), budget),
            "live again"
        );
        slot.set_state(CameraState::Reconnecting {
            error: "unplugged".into(),
            retry_in: Duration::from_secs(1),
        });
        assert!(
            !slot.is_stalled(t0 + Duration::from_secs(60), budget),
            "reconnecting says so itself"
        );
    }

    #[test]
    fn the_stall_budget_follows_the_frame_rate() {
        assert_eq!(stall_budget(30.0), MIN_STALL_BUDGET);
        assert_eq!(stall_budget(2.0), Duration::from_millis(1500));
        let slot = LatestFrame::new("test");
        assert_eq!(slot.stall_budget(), MIN_STALL_BUDGET);
        slot.set_nominal_fps(1.0);
        assert_eq!(slot.stall_budget(), Duration::from_secs(3));
        assert_eq!(slot.nominal_fps(), Some(1.0));
        slot.set_state(CameraState::Live);
        assert!(!slot.stalled(Instant::now() + Duration::from_secs(2)));
        assert!(slot.stalled(Instant::now() + Duration::from_secs(4)));
    }

    #[test]
    fn fresh_buffers_are_counted_per_frame() {
        let pool = crate::camera::FramePool::new(crate::camera::FrameSize::new(2, 2), 4);
        let slot = LatestFrame::new("test");
        for seq in 1..=3 {
            slot.publish(Frame {
                image: pool.take(),
                display: None,
                ..frame(seq)
            });
        }
        // Frame 1's buffer came back when frame 2 replaced it; frame 3 reused it.
        assert_eq!(slot.counters().fresh_buffers, 2);
        assert_eq!(slot.counters().produced, 3);
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
