//! One capture loop per camera: opens the source, publishes every frame into the camera's
//! latest-frame slot, and when the source fails (a camera unplugged) reopens it with
//! exponential backoff until it comes back or the runtime stops. A source waiting for its next
//! frame is asked whether the runtime is stopping, so shutdown does not wait out a frame period;
//! a frame the source cannot deliver (a corrupt file) is counted and skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;

use super::context::Waker;
use super::vision::{FrameJob, JobKind, VisionQueue};
use super::worker::{WorkerCtx, WorkerExit};
use crate::camera::{
    CameraError, CameraState, Cancel, DisplayScaler, FrameRing, LatestFrame, SourceSpec,
    open_source,
};

const FIRST_RETRY: Duration = Duration::from_millis(500);
const LONGEST_RETRY: Duration = Duration::from_secs(10);

pub(super) struct CaptureLoop {
    pub spec: SourceSpec,
    pub slot: Arc<LatestFrame>,
    pub waker: Waker,
    /// Set while the UI shows live views: only then does a new frame wake it.
    pub live_view: Arc<AtomicBool>,
    /// About the last second of frames, for triggers stamped in the past.
    pub ring: Arc<FrameRing>,
    /// Where continuous frames go for inspection, once a vision pool is fed by this camera.
    pub vision: Arc<ArcSwapOption<VisionQueue>>,
    pub index: usize,
}

impl CaptureLoop {
    /// The camera worker's body: capture until its phase stops it.
    pub fn run(&self, worker: &WorkerCtx) -> WorkerExit {
        let mut retry = FIRST_RETRY;
        let is_stopped = || worker.is_stopped();
        let cancel = Cancel::new(&is_stopped);
        let mut scaler = DisplayScaler::default();
        while !worker.is_stopped() {
            let error = match open_source(&self.spec) {
                Ok(mut source) => {
                    self.slot.set_nominal_fps(source.nominal_fps());
                    self.ring.reset_for_fps(source.nominal_fps());
                    self.slot.set_state(CameraState::Live);
                    tracing::info!(
                        "camera {} live: {} at {} fps",
                        self.slot.name(),
                        source.size(),
                        source.nominal_fps()
                    );
                    retry = FIRST_RETRY;
                    loop {
                        if worker.is_stopped() {
                            self.slot.set_state(CameraState::Stopped);
                            return WorkerExit::Finished;
                        }
                        match source.next_frame(cancel) {
                            Ok(mut frame) => {
                                worker.beat();
                                if self.live_view.load(Ordering::Relaxed)
                                    && let Some(shown) = self.slot.display_size()
                                {
                                    frame.display = scaler.shrink(&frame.image, shown);
                                }
                                // One buffer, three readers: display, trigger ring, vision.
                                let frame = Arc::new(frame);
                                self.ring.push(Arc::clone(&frame));
                                if let Some(vision) = self.vision.load().as_ref() {
                                    vision.push_frame(FrameJob {
                                        camera_index: self.index,
                                        frame: Arc::clone(&frame),
                                        kind: JobKind::Continuous,
                                    });
                                }
                                self.slot.publish(frame);
                                if self.live_view.load(Ordering::Relaxed) {
                                    self.waker.wake();
                                }
                            }
                            Err(CameraError::Cancelled) => continue,
                            Err(err) if err.is_frame_only() => {
                                tracing::warn!("camera {}: {err:#}", self.slot.name());
                                self.slot.count_frame_error();
                            }
                            Err(err) => break err,
                        }
                    }
                }
                Err(err) => err,
            };
            tracing::warn!(
                "camera {}: {error:#}; retrying in {:.1} s",
                self.slot.name(),
                retry.as_secs_f32()
            );
            self.slot.set_state(CameraState::Reconnecting {
                error: error.to_string(),
                retry_in: retry,
            });
            self.waker.wake();
            if worker.sleep(retry) {
                break;
            }
            retry = (retry * 2).min(LONGEST_RETRY);
        }
        self.slot.set_state(CameraState::Stopped);
        WorkerExit::Finished
    }
}
