//! One camera's recent frames (about a second of them), so that a trigger stamped at time t
//! takes the frame captured nearest t rather than whatever arrived last.
//!
//! Owns the ring only: its lock is held for a push or a scan of a few dozen pointers, never while
//! a frame is dropped or cloned. The UI never reads it (it reads the latest-frame slot).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::Frame;

/// How far back a ring reaches by default.
pub const RING_SPAN: Duration = Duration::from_secs(1);

/// Frames needed to cover `span` at `fps`: rounded up, at least 2.
pub fn ring_capacity(fps: f32, span: Duration) -> usize {
    let frames = (f64::from(fps.max(0.0)) * span.as_secs_f64()).ceil();
    // A float-to-int `as` saturates; no real camera reaches the cap.
    (frames as usize).clamp(2, 1024)
}

/// Why no frame was taken for a trigger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameMiss {
    #[error("no frame captured yet")]
    Empty,
    /// The nearest frame is further from the trigger than the tolerance.
    #[error(
        "nearest frame {seq} was captured {off_by_ms} ms {} the trigger (tolerance {tolerance_ms} ms)",
        if *.trigger_after_newest { "before" } else { "away from" }
    )]
    TooFar {
        seq: u64,
        off_by_ms: u64,
        tolerance_ms: u64,
        /// The trigger is later than every frame in the ring: the frame it wants may still come.
        trigger_after_newest: bool,
    },
}

fn distance(a: Instant, b: Instant) -> Duration {
    a.saturating_duration_since(b)
        .max(b.saturating_duration_since(a))
}

/// The last `capacity` frames of one camera, oldest first.
#[derive(Debug)]
pub struct FrameRing {
    frames: Mutex<VecDeque<Arc<Frame>>>,
    /// Set again when the source (re)opens at its own rate (`reset_for_fps`).
    capacity: AtomicUsize,
}

impl FrameRing {
    /// A ring that keeps the newest `capacity` frames (at least 2).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(2);
        Self {
            frames: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity: AtomicUsize::new(capacity),
        }
    }

    /// A ring covering `RING_SPAN` of a stream at `fps`.
    pub fn for_fps(fps: f32) -> Self {
        Self::new(ring_capacity(fps, RING_SPAN))
    }

    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// Forgets every frame and sizes the ring for a source at `fps` (a source (re)opened: its
    /// old frames belong to another stream, and its rate may differ from the spec's).
    pub fn reset_for_fps(&self, fps: f32) {
        self.capacity
            .store(ring_capacity(fps, RING_SPAN), Ordering::Relaxed);
        self.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Arc<Frame>>> {
        self.frames.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds the newest frame; the oldest leaves once the ring is full.
    pub fn push(&self, frame: Arc<Frame>) {
        let evicted = {
            let mut frames = self.lock();
            let evicted = if frames.len() >= self.capacity() {
                frames.pop_front()
            } else {
                None
            };
            frames.push_back(frame);
            evicted
        };
        // Dropped outside the lock: the last reference returns its buffer to the pool.
        drop(evicted);
    }

    /// Forgets every frame (a source reopened: its old frames belong to another stream).
    pub fn clear(&self) {
        let frames = std::mem::take(&mut *self.lock());
        drop(frames);
    }

    pub fn newest(&self) -> Option<Arc<Frame>> {
        self.lock().back().cloned()
    }

    /// The frame whose capture instant is nearest `t` (the earlier one on a tie).
    pub fn nearest(&self, t: Instant) -> Option<Arc<Frame>> {
        let frames = self.lock();
        frames
            .iter()
            .min_by_key(|frame| distance(frame.captured_at, t))
            .cloned()
    }

    /// The frame nearest `t` if it was captured within `tolerance` of it.
    pub fn nearest_within(&self, t: Instant, tolerance: Duration) -> Result<Arc<Frame>, FrameMiss> {
        let (frame, newest_at) = {
            let frames = self.lock();
            let frame = frames
                .iter()
                .min_by_key(|frame| distance(frame.captured_at, t))
                .cloned()
                .ok_or(FrameMiss::Empty)?;
            let newest_at = frames.back().map_or(frame.captured_at, |f| f.captured_at);
            (frame, newest_at)
        };
        let off_by = distance(frame.captured_at, t);
        if off_by <= tolerance {
            Ok(frame)
        } else {
            let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            Err(FrameMiss::TooFar {
                seq: frame.seq,
                off_by_ms: millis(off_by),
                tolerance_ms: millis(tolerance),
                trigger_after_newest: t > newest_at,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::PooledImage;

    /// Frames 1..=n captured 100 ms apart from `start`.
    fn ring_of(n: u64, capacity: usize, start: Instant) -> FrameRing {
        let ring = FrameRing::new(capacity);
        for seq in 1..=n {
            ring.push(Arc::new(Frame {
                seq,
                captured_at: start + Duration::from_millis(100 * seq),
                captured_utc: chrono::Utc::now(),
                image: PooledImage::from(image::RgbaImage::new(1, 1)),
                display: None,
            }));
        }
        ring
    }

    #[test]
    fn capacity_covers_a_second_and_is_at_least_two() {
        assert_eq!(ring_capacity(30.0, RING_SPAN), 30);
        assert_eq!(ring_capacity(29.97, RING_SPAN), 30);
        assert_eq!(ring_capacity(1.0, RING_SPAN), 2);
        assert_eq!(ring_capacity(0.0, RING_SPAN), 2);
        assert_eq!(FrameRing::for_fps(12.5).capacity(), 13);
    }

    #[test]
    fn a_trigger_takes_the_frame_nearest_its_time() {
        let start = Instant::now();
        let ring = ring_of(5, 10, start); // frames at 100..=500 ms
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(ring.nearest(at(0)).unwrap().seq, 1, "before the oldest");
        assert_eq!(ring.nearest(at(900)).unwrap().seq, 5, "after the newest");
        assert_eq!(ring.nearest(at(320)).unwrap().seq, 3, "between, nearer 300");
        assert_eq!(ring.nearest(at(380)).unwrap().seq, 4, "between, nearer 400");
        assert_eq!(ring.nearest(at(200)).unwrap().seq, 2, "exactly on a frame");
        assert_eq!(ring.newest().unwrap().seq, 5);
    }

    #[test]
    fn a_trigger_far_from_every_frame_is_a_miss_that_says_which_side() {
        let start = Instant::now();
        let ring = ring_of(3, 10, start); // frames at 100, 200, 300 ms
        let tolerance = Duration::from_millis(40);
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(ring.nearest_within(at(230), tolerance).unwrap().seq, 2);
        match ring.nearest_within(at(400), tolerance) {
            Err(FrameMiss::TooFar {
                seq: 3,
                off_by_ms: 100,
                trigger_after_newest: true,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        match ring.nearest_within(at(20), tolerance) {
            Err(FrameMiss::TooFar {
                seq: 1,
                trigger_after_newest: false,
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_overflowing_ring_keeps_the_newest() {
        let start = Instant::now();
        let ring = ring_of(7, 3, start);
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.nearest(start).unwrap().seq, 5, "1..=4 left the ring");
        assert_eq!(ring.newest().unwrap().seq, 7);
    }

    #[test]
    fn an_empty_ring_has_no_frame() {
        let ring = FrameRing::new(0);
        assert_eq!(ring.capacity(), 2);
        assert!(ring.is_empty());
        assert!(ring.nearest(Instant::now()).is_none());
        assert_eq!(
            ring.nearest_within(Instant::now(), Duration::from_secs(1))
                .err(),
            Some(FrameMiss::Empty)
        );
        let ring = ring_of(2, 4, Instant::now());
        ring.clear();
        assert!(ring.newest().is_none());
    }
}
