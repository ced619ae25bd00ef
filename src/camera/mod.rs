//! Cameras: where frames come from. A `FrameSource` yields paced, timestamped RGBA frames; three
//! kinds exist — synthetic scenes of the station's jobs, replay of a folder of frames, and
//! V4L2/USB cameras (`webcam` feature). Frames' pixels come from a per-source `FramePool` and
//! are shared as `Arc<Frame>`. `LatestFrame` is the lock-free slot a capture thread publishes
//! into and the UI reads from, with the counters for produced, shown and dropped frames and the
//! camera's health (stalled when its newest frame is too old); `FrameRing` keeps about a second
//! of frames so a trigger takes the frame captured nearest its time.
//!
//! This module spawns no threads and creates no channels: the runtime runs one capture loop per
//! camera and lends each read a `Cancel` so a waiting source returns when the runtime stops.

mod cancel;
mod display;
mod frame;
mod pool;
mod replay;
mod ring;
mod slot;
mod source;
mod spec;
pub(crate) mod synthetic;
#[cfg(feature = "webcam")]
mod v4l;

pub use cancel::{CANCEL_POLL, Cancel};
pub use display::{DisplayScaler, display_factor};
pub use frame::{Frame, FrameSize};
pub use pool::{FramePool, POOL_SPARE_BUFFERS, PoolStats, PooledImage};
pub use ring::{FrameMiss, FrameRing, RING_SPAN, ring_capacity};
pub use slot::{CameraState, CounterSnapshot, LatestFrame, stall_budget};
pub use source::{CameraError, DeviceInfo, FrameSource, list_devices, open_source};
pub use spec::{DemoScene, SourceKind, SourceSpec, SpecError};
pub use synthetic::SyntheticScene;
