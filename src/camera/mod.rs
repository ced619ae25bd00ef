//! Cameras: where frames come from. A `FrameSource` yields paced, timestamped RGBA frames; three
//! kinds exist — synthetic scenes of the station's jobs, replay of a folder of frames, and
//! V4L2/USB cameras (`webcam` feature). `LatestFrame` is the lock-free slot a capture thread
//! publishes into and the UI reads from, with the counters for produced, shown and dropped frames.
//!
//! This module spawns no threads: the runtime runs one capture loop per camera.

mod frame;
mod replay;
mod slot;
mod source;
mod spec;
mod synthetic;
#[cfg(feature = "webcam")]
mod v4l;

pub use frame::{Frame, FrameSize};
pub use slot::{CameraState, CounterSnapshot, LatestFrame};
pub use source::{CameraError, DeviceInfo, FrameSource, list_devices, open_source};
pub use spec::{DemoScene, SourceKind, SourceSpec, SpecError};
pub use synthetic::SyntheticScene;
