//! Frames for vision: the queues between capture and a pool of vision workers, and the pool.
//!
//! Two lanes. Continuous frames go through a lossy, bounded, drop-oldest queue: when the pool
//! falls behind, the oldest waiting frame is dropped (and counted), so workers always see recent
//! frames and capture never waits. Triggered inspections (a part arrived at time t) go through a
//! lossless lane that workers always serve first: a trigger is never dropped, only delayed, and
//! a full lane is an error the caller sees. Frames are `Arc`s shared with the display: queuing
//! one copies no pixels.
//!
//! What a worker does with a job is the capability's `VisionHandler`; this module only moves
//! jobs and counts them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError, bounded, select};

use super::worker::{Phase, WorkerCtx, WorkerExit, WorkerSpec};
use crate::camera::Frame;

/// Why a job was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// A frame of the continuous feed; may be dropped when the pool is behind.
    Continuous,
    /// The frame nearest a trigger's time; never dropped.
    Trigger {
        /// The trigger's own number, counted per station from 1.
        trigger_seq: u64,
        /// The part it looks at: every camera triggered for one part shares it.
        part_seq: u64,
        /// When the trigger fired.
        fired_at: Instant,
    },
}

/// One frame for a vision worker.
#[derive(Debug, Clone)]
pub struct FrameJob {
    pub camera_index: usize,
    pub frame: Arc<Frame>,
    pub kind: JobKind,
}

/// What a vision worker runs on each job. Called on the worker's thread, inside its panic
/// boundary: a panic restarts that worker, the job is lost and counted as failed.
pub trait VisionHandler: Send + Sync {
    /// Called once on each worker's thread before its first job (and again after a restart):
    /// load per-worker resources here, so the first trigger does not pay for them.
    fn prepare(&self) {}

    fn handle(&self, job: &FrameJob);
}

/// Counts of the vision queues, for health and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisionCounts {
    pub frames_queued: u64,
    /// Continuous frames dropped (oldest first) because the pool was behind.
    pub frames_dropped: u64,
    pub triggers_queued: u64,
    /// Triggers refused because their lane stayed full (should stay 0).
    pub triggers_refused: u64,
    pub jobs_done: u64,
}

#[derive(Default)]
struct Counters {
    frames_queued: AtomicU64,
    frames_dropped: AtomicU64,
    triggers_queued: AtomicU64,
    triggers_refused: AtomicU64,
    jobs_done: AtomicU64,
}

/// The queue side of the vision pool: cheap to clone into every capture worker.
#[derive(Clone)]
pub struct VisionQueue {
    frames: Sender<FrameJob>,
    /// Held to drop the oldest frame when the lane is full.
    frames_oldest: Receiver<FrameJob>,
    triggers: Sender<FrameJob>,
    counters: Arc<Counters>,
}

/// How long `push_trigger` waits for room before reporting the lane full.
const TRIGGER_WAIT: Duration = Duration::from_millis(500);

impl VisionQueue {
    /// Queues a continuous frame without waiting; when the lane is full the oldest waiting
    /// frame makes room. Returns how many frames were dropped for it (0 or 1, rarely more when
    /// several cameras race for the last slot).
    pub fn push_frame(&self, mut job: FrameJob) -> u64 {
        let mut dropped = 0;
        self.counters.frames_queued.fetch_add(1, Ordering::Relaxed);
        loop {
            match self.frames.try_send(job) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    job = back;
                    if self.frames_oldest.try_recv().is_ok() {
                        dropped += 1;
                    }
                }
                Err(TrySendError::Disconnected(_)) => {
                    // The pool has stopped (shutdown): the frame is simply not inspected.
                    dropped += 1;
                    break;
                }
            }
        }
        self.counters
            .frames_dropped
            .fetch_add(dropped, Ordering::Relaxed);
        dropped
    }

    /// Queues a triggered inspection; it waits briefly for room and is never dropped once
    /// queued. `Err` hands the job back when the lane stayed full or the pool is gone.
    pub fn push_trigger(&self, job: FrameJob) -> Result<(), FrameJob> {
        match self.triggers.send_timeout(job, TRIGGER_WAIT) {
            Ok(()) => {
                self.counters
                    .triggers_queued
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(err) => {
                self.counters
                    .triggers_refused
                    .fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    "a trigger could not be queued for inspection: the vision pool is stuck or stopped"
                );
                Err(err.into_inner())
            }
        }
    }

    pub fn counts(&self) -> VisionCounts {
        let c = &self.counters;
        VisionCounts {
            frames_queued: c.frames_queued.load(Ordering::Relaxed),
            frames_dropped: c.frames_dropped.load(Ordering::Relaxed),
            triggers_queued: c.triggers_queued.load(Ordering::Relaxed),
            triggers_refused: c.triggers_refused.load(Ordering::Relaxed),
            jobs_done: c.jobs_done.load(Ordering::Relaxed),
        }
    }
}

/// The receiving side, one clone per worker.
#[derive(Clone)]
pub(super) struct VisionInbox {
    frames: Receiver<FrameJob>,
    triggers: Receiver<FrameJob>,
    counters: Arc<Counters>,
}

/// Sizes of the two lanes.
#[derive(Debug, Clone, Copy)]
pub struct VisionLanes {
    /// Continuous frames waiting; small, so what workers see is recent.
    pub frames: usize,
    pub triggers: usize,
}

impl Default for VisionLanes {
    fn default() -> Self {
        Self {
            frames: 8,
            triggers: 64,
        }
    }
}

pub(super) fn lanes(sizes: VisionLanes) -> (VisionQueue, VisionInbox) {
    let (frames_tx, frames_rx) = bounded(sizes.frames.max(1));
    let (triggers_tx, triggers_rx) = bounded(sizes.triggers.max(1));
    let counters = Arc::new(Counters::default());
    (
        VisionQueue {
            frames: frames_tx,
            frames_oldest: frames_rx.clone(),
            triggers: triggers_tx,
            counters: Arc::clone(&counters),
        },
        VisionInbox {
            frames: frames_rx,
            triggers: triggers_rx,
            counters,
        },
    )
}

/// How long a vision worker waits for a job before it beats its heartbeat again.
const POLL: Duration = Duration::from_millis(250);

impl VisionInbox {
    /// The next job, triggers first; `None` after `POLL` with nothing to do.
    fn next(&self) -> Result<Option<FrameJob>, RecvTimeoutError> {
        if let Ok(job) = self.triggers.try_recv() {
            return Ok(Some(job));
        }
        select! {
            recv(self.triggers) -> job => job.map(Some).map_err(|_| RecvTimeoutError::Disconnected),
            recv(self.frames) -> job => match job {
                Ok(job) => Ok(Some(job)),
                // The frame lane's sender lives in the queue; triggers may still come.
                Err(_) => Ok(None),
            },
            default(POLL) => Ok(None),
        }
    }

    /// A vision worker's body: serve jobs until the phase stops it or the lanes close.
    pub fn serve(&self, handler: &dyn VisionHandler, worker: &WorkerCtx) -> WorkerExit {
        handler.prepare();
        loop {
            worker.beat();
            if worker.is_stopped() {
                return WorkerExit::Finished;
            }
            match self.next() {
                Ok(Some(job)) => {
                    handler.handle(&job);
                    self.counters.jobs_done.fetch_add(1, Ordering::Relaxed);
                }
                Ok(None) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return WorkerExit::Finished,
            }
        }
    }
}

/// The spec of vision worker `index`.
pub(super) fn worker_spec(index: usize) -> WorkerSpec {
    WorkerSpec::new(format!("vision-{index}"), Phase::Processing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(seq: u64, kind: JobKind) -> FrameJob {
        FrameJob {
            camera_index: 0,
            frame: Arc::new(Frame {
                seq,
                captured_at: Instant::now(),
                captured_utc: chrono::Utc::now(),
                image: image::RgbaImage::new(1, 1).into(),
                display: None,
            }),
            kind,
        }
    }

    #[test]
    fn a_full_frame_lane_drops_the_oldest_and_counts_it() {
        let (queue, inbox) = lanes(VisionLanes {
            frames: 3,
            triggers: 4,
        });
        for seq in 1..=5 {
            queue.push_frame(job(seq, JobKind::Continuous));
        }
        let waiting: Vec<u64> = inbox.frames.try_iter().map(|job| job.frame.seq).collect();
        assert_eq!(waiting, vec![3, 4, 5], "the newest three remain, in order");
        let counts = queue.counts();
        assert_eq!(counts.frames_queued, 5);
        assert_eq!(counts.frames_dropped, 2);
    }

    #[test]
    fn triggers_are_served_before_frames_and_never_dropped() {
        let (queue, inbox) = lanes(VisionLanes {
            frames: 2,
            triggers: 4,
        });
        queue.push_frame(job(1, JobKind::Continuous));
        let fired_at = Instant::now();
        for trigger_seq in 1..=4 {
            queue
                .push_trigger(job(
                    10 + trigger_seq,
                    JobKind::Trigger {
                        trigger_seq,
                        part_seq: trigger_seq,
                        fired_at,
                    },
                ))
                .unwrap();
        }
        // Frames keep arriving while triggers wait: they drop each other, never a trigger.
        for seq in 2..=20 {
            queue.push_frame(job(seq, JobKind::Continuous));
        }
        let mut order = Vec::new();
        while let Ok(Some(job)) = inbox.next() {
            order.push(job.frame.seq);
        }
        assert_eq!(&order[..4], &[11, 12, 13, 14], "triggers first, in order");
        assert_eq!(&order[4..], &[19, 20], "then the newest frames");
        let counts = queue.counts();
        assert_eq!(counts.triggers_queued, 4);
        assert_eq!(counts.triggers_refused, 0);
        assert_eq!(counts.frames_dropped, 18);
    }

    #[test]
    fn a_full_trigger_lane_hands_the_trigger_back() {
        let (queue, _inbox) = lanes(VisionLanes {
            frames: 1,
            triggers: 1,
        });
        let kind = JobKind::Trigger {
            trigger_seq: 1,
            part_seq: 1,
            fired_at: Instant::now(),
        };
        queue.push_trigger(job(1, kind)).unwrap();
        let back = queue.push_trigger(job(2, kind)).unwrap_err();
        assert_eq!(back.frame.seq, 2);
        assert_eq!(queue.counts().triggers_refused, 1);
    }
}
