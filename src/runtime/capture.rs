//! One capture loop per camera: opens the source, publishes every frame into the camera's
//! latest-frame slot, and when the source fails (a camera unplugged) reopens it with
//! exponential backoff until it comes back or the runtime stops. A source waiting for its next
//! frame is asked whether the runtime is stopping, so shutdown does not wait out a frame period;
//! a frame the source cannot deliver (a corrupt file) is counted and skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::context::{StopSignal, Waker};
use crate::camera::{
    CameraError, CameraState, Cancel, LatestFrame, SourceSpec, open_source, stall_budget,
};

const FIRST_RETRY: Duration = Duration::from_millis(500);
const LONGEST_RETRY: Duration = Duration::from_secs(10);

pub(super) struct CaptureLoop {
    pub spec: SourceSpec,
    pub slot: Arc<LatestFrame>,
    pub stop: StopSignal,
    pub waker: Waker,
    /// Set while the UI shows live views: only then does a new frame wake it.
    pub live_view: Arc<AtomicBool>,
}

impl CaptureLoop {
    pub fn run(self) {
        let mut retry = FIRST_RETRY;
        let is_stopped = || self.stop.is_stopped();
        let cancel = Cancel::new(&is_stopped);
        while !self.stop.is_stopped() {
            let error = match open_source(&self.spec) {
                Ok(mut source) => {
                    self.slot
                        .set_stall_budget(stall_budget(source.nominal_fps()));
                    self.slot.set_state(CameraState::Live);
                    tracing::info!(
                        "camera {} live: {} at {} fps",
                        self.slot.name(),
                        source.size(),
                        source.nominal_fps()
                    );
                    retry = FIRST_RETRY;
                    loop {
                        if self.stop.is_stopped() {
                            self.slot.set_state(CameraState::Stopped);
                            return;
                        }
                        match source.next_frame(cancel) {
                            Ok(frame) => {
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
            if self.stop.sleep(retry) {
                break;
            }
            retry = (retry * 2).min(LONGEST_RETRY);
        }
        self.slot.set_state(CameraState::Stopped);
    }
}
