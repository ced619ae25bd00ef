//! One capture loop per camera: opens the source, publishes every frame into the camera's
//! latest-frame slot, and when the source fails (a camera unplugged) reopens it with
//! exponential backoff until it comes back or the runtime stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::context::Waker;
use super::worker::{WorkerCtx, WorkerExit};
use crate::camera::{CameraState, LatestFrame, SourceSpec, open_source};

const FIRST_RETRY: Duration = Duration::from_millis(500);
const LONGEST_RETRY: Duration = Duration::from_secs(10);

pub(super) struct CaptureLoop {
    pub spec: SourceSpec,
    pub slot: Arc<LatestFrame>,
    pub waker: Waker,
    /// Set while the UI shows live views: only then does a new frame wake it.
    pub live_view: Arc<AtomicBool>,
}

impl CaptureLoop {
    /// The camera worker's body: capture until its phase stops it.
    pub fn run(&self, worker: &WorkerCtx) -> WorkerExit {
        let mut retry = FIRST_RETRY;
        while !worker.is_stopped() {
            let error = match open_source(&self.spec) {
                Ok(mut source) => {
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
                        match source.next_frame() {
                            Ok(frame) => {
                                worker.beat();
                                self.slot.publish(frame);
                                if self.live_view.load(Ordering::Relaxed) {
                                    self.waker.wake();
                                }
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
