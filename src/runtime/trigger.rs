//! Triggers: a part arrived at time t (a GPIO edge, a PLC message, the operator's button), and
//! the vision pool must inspect the frame each camera captured nearest t — not whatever frame
//! arrived last. The frame comes from the camera's ring; the job goes down the lossless lane.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::vision::{FrameJob, JobKind, VisionQueue};
use super::{CameraHandle, Runtime};
use crate::camera::FrameMiss;

/// Why a trigger was not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    #[error("there is no camera {0}")]
    NoCamera(usize),
    #[error("camera {camera}: {miss}")]
    NoFrame { camera: String, miss: FrameMiss },
    #[error("the vision pool did not take the trigger in time (stuck or stopped)")]
    PoolFull,
}

/// How far from t a frame may be: half a frame period is exact; a period and a half covers a
/// frame whose capture straddles t.
fn tolerance(nominal_fps: f32) -> Duration {
    Duration::from_secs_f32(1.5 / nominal_fps.max(0.1))
}

/// What a capability worker needs to take triggers itself: the cameras' rings and the
/// station's trigger counter. Cheap to clone.
#[derive(Clone)]
pub struct TriggerSource {
    cameras: Vec<CameraHandle>,
    counter: Arc<AtomicU64>,
}

impl TriggerSource {
    pub fn cameras(&self) -> &[CameraHandle] {
        &self.cameras
    }

    /// Queues for inspection the frame `camera_index` captured nearest `fired_at`, as part
    /// `part_seq` (the cameras of one part share it). When t is newer than every frame the
    /// camera has delivered, waits (at most two frame periods) for the frame that covers it.
    /// Returns the trigger's number.
    pub fn trigger(
        &self,
        camera_index: usize,
        fired_at: Instant,
        part_seq: Option<u64>,
        queue: &VisionQueue,
    ) -> Result<u64, TriggerError> {
        let camera = self
            .cameras
            .get(camera_index)
            .ok_or(TriggerError::NoCamera(camera_index))?;
        // The open source's own rate; before it opens, what the spec asks for.
        let fps = camera
            .slot
            .nominal_fps()
            .or(camera.spec.fps)
            .unwrap_or(30.0);
        let tolerance = tolerance(fps);
        let wait_until = Instant::now() + tolerance * 2;
        let half_period = Duration::from_secs_f32(0.5 / fps.max(0.1));
        let frame = loop {
            match camera.ring.nearest_within(fired_at, tolerance) {
                // The newest frame is more than half a period before t: the next one, still
                // being captured, will be nearer. Wait for it (bounded).
                Ok(frame)
                    if fired_at.saturating_duration_since(frame.captured_at) > half_period
                        && camera
                            .ring
                            .newest()
                            .is_some_and(|newest| newest.captured_at <= frame.captured_at)
                        && Instant::now() < wait_until =>
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(frame) => break frame,
                Err(FrameMiss::TooFar {
                    trigger_after_newest: true,
                    ..
                })
                | Err(FrameMiss::Empty)
                    if Instant::now() < wait_until =>
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(miss) => {
                    return Err(TriggerError::NoFrame {
                        camera: camera.name.clone(),
                        miss,
                    });
                }
            }
        };
        let trigger_seq = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        queue
            .push_trigger(FrameJob {
                camera_index,
                frame,
                kind: JobKind::Trigger {
                    trigger_seq,
                    part_seq: part_seq.unwrap_or(trigger_seq),
                    fired_at,
                },
            })
            .map_err(|_| TriggerError::PoolFull)?;
        Ok(trigger_seq)
    }
}

impl Runtime {
    /// Queues for inspection the frame `camera_index` captured nearest `fired_at` (one camera,
    /// one part). Returns the trigger's number.
    pub fn trigger(
        &self,
        camera_index: usize,
        fired_at: Instant,
        queue: &VisionQueue,
    ) -> Result<u64, TriggerError> {
        self.trigger_source()
            .trigger(camera_index, fired_at, None, queue)
    }

    /// The cameras and the trigger counter, for a capability that takes its own triggers.
    pub fn trigger_source(&self) -> TriggerSource {
        TriggerSource {
            cameras: self.cameras.clone(),
            counter: Arc::clone(&self.triggers),
        }
    }

    /// From now on every camera's continuous frames also go to `queue` (lossy lane).
    pub fn feed_vision(&self, queue: VisionQueue) {
        self.vision_feed.store(Some(std::sync::Arc::new(queue)));
    }
}
