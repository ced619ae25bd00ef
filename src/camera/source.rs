//! The frame source trait, the errors sources report, pacing to a frame rate, and opening a
//! source from its spec. Pacing waits in short slices and gives up when the caller cancels.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::{Cancel, Frame, FrameSize, SourceKind, SourceSpec};

#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("cannot open camera {device}: {reason}")]
    Open { device: String, reason: String },
    #[error("camera {device} stopped delivering frames: {reason}")]
    Read { device: String, reason: String },
    #[error("replay folder {path}: {reason}")]
    Replay { path: PathBuf, reason: String },
    #[error(
        "V4L2 cameras need the `webcam` feature: rebuild with `cargo build --release --features webcam`"
    )]
    WebcamFeatureMissing,
    #[error("cannot render the {scene} scene: {reason}")]
    Synthetic { scene: &'static str, reason: String },
    /// One frame could not be decoded (a corrupt or truncated file, or a decoder that panicked
    /// on it). The source has moved past it: the next call reads the next frame.
    #[error(
        "{} {}: {reason}",
        if *.panicked { "the image decoder panicked on" } else { "cannot decode frame" },
        .file.display()
    )]
    Decode {
        file: PathBuf,
        reason: String,
        panicked: bool,
    },
    /// The caller cancelled while the source was waiting.
    #[error("cancelled while waiting for a frame")]
    Cancelled,
}

impl CameraError {
    /// True for a failure of one frame after which the same source carries on (no reopen).
    pub fn is_frame_only(&self) -> bool {
        matches!(self, Self::Decode { .. })
    }
}

/// Something that delivers frames at its own pace.
///
/// Not `Send`: some drivers (V4L2 through nokhwa) tie a device to the thread that opened it, so a
/// source is opened on the thread that reads it — the runtime's capture thread does exactly that.
pub trait FrameSource {
    /// Frame size and nominal rate, as negotiated.
    fn size(&self) -> FrameSize;
    fn nominal_fps(&self) -> f32;
    /// Blocks until the next frame is captured (about one frame period) and returns it, or
    /// returns `CameraError::Cancelled` within about `CANCEL_POLL` of `cancel` saying so while
    /// the source paces itself. A driver's own blocking read is checked before and after, not
    /// during (a hung driver shows as a stalled camera).
    fn next_frame(&mut self, cancel: Cancel<'_>) -> Result<Frame, CameraError>;
}

/// A camera found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub spec: String,
    pub name: String,
    /// Supported formats as `WIDTHxHEIGHT@FPS`, when the driver reports them.
    pub formats: Vec<String>,
}

/// Opens the source a spec names.
pub fn open_source(spec: &SourceSpec) -> Result<Box<dyn FrameSource>, CameraError> {
    match &spec.kind {
        SourceKind::Demo(scene) => Ok(Box::new(super::synthetic::SyntheticSource::new(
            *scene,
            spec.size.unwrap_or(FrameSize::new(1280, 720)),
            spec.fps.unwrap_or(30.0),
            spec.seed.unwrap_or(1),
        )?)),
        SourceKind::Folder(path) => Ok(Box::new(super::replay::FolderSource::open(
            path,
            spec.fps.unwrap_or(10.0),
            spec.size,
        )?)),
        #[cfg(feature = "webcam")]
        SourceKind::V4l(path) => Ok(Box::new(super::v4l::V4lSource::open(
            path,
            spec.size.unwrap_or(FrameSize::new(1280, 720)),
            spec.fps.unwrap_or(30.0),
        )?)),
        #[cfg(not(feature = "webcam"))]
        SourceKind::V4l(_) => Err(CameraError::WebcamFeatureMissing),
    }
}

/// The cameras this machine has (V4L2 devices with the `webcam` feature), plus the demo scenes.
pub fn list_devices() -> Result<Vec<DeviceInfo>, CameraError> {
    #[cfg_attr(not(feature = "webcam"), allow(unused_mut))]
    let mut devices: Vec<DeviceInfo> = super::DemoScene::ALL
        .into_iter()
        .map(|scene| DeviceInfo {
            spec: format!("demo:{}", scene.as_str()),
            name: format!("synthetic {} scene", scene.as_str()),
            formats: vec!["any size@any fps (default 1280x720@30)".to_owned()],
        })
        .collect();
    #[cfg(feature = "webcam")]
    devices.extend(super::v4l::list()?);
    Ok(devices)
}

/// Keeps a source to its frame rate the way a free-running camera does: frames fall on a fixed
/// schedule, and a frame that cannot be produced in time is skipped, not delivered late in a burst.
#[derive(Debug)]
pub(super) struct Pacer {
    period: Duration,
    next_due: Option<Instant>,
}

impl Pacer {
    pub fn new(fps: f32) -> Self {
        Self {
            period: Duration::from_secs_f32(1.0 / fps.max(0.1)),
            next_due: None,
        }
    }

    /// Sleeps until the next frame is due and returns the capture instant; `Cancelled` (and no
    /// frame slot used up) if `cancel` says so first.
    pub fn wait(&mut self, cancel: Cancel<'_>) -> Result<Instant, CameraError> {
        let now = Instant::now();
        let due = *self.next_due.get_or_insert(now);
        cancel.sleep_until(due)?;
        let captured_at = Instant::now();
        let mut next = due + self.period;
        while next <= captured_at {
            next += self.period;
        }
        self.next_due = Some(next);
        Ok(captured_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacer_keeps_the_rate() {
        let mut pacer = Pacer::new(100.0);
        let start = Instant::now();
        for _ in 0..11 {
            pacer.wait(Cancel::never()).unwrap();
        }
        let elapsed = start.elapsed();
        // Ten periods of 10 ms, with room for a loaded machine.
        assert!(elapsed >= Duration::from_millis(95), "{elapsed:?}");
    }

    #[test]
    fn a_slow_source_returns_promptly_when_cancelled() {
        // A 0.2 fps source: its second frame is due 5 s after the first.
        let spec: SourceSpec = "demo:qr".parse().unwrap();
        let mut source =
            open_source(&spec.with_size(FrameSize::new(64, 48)).with_fps(0.2)).unwrap();
        source.next_frame(Cancel::never()).unwrap();
        let asked = Instant::now();
        let cancel_after_50_ms = || asked.elapsed() >= Duration::from_millis(50);
        let result = source.next_frame(Cancel::new(&cancel_after_50_ms));
        let waited = asked.elapsed();
        assert!(matches!(result, Err(CameraError::Cancelled)), "{result:?}");
        assert!(waited < Duration::from_millis(200), "took {waited:?}");
        // A cancel already given returns before any sleep.
        let mut pacer = Pacer::new(1.0);
        pacer.wait(Cancel::never()).unwrap();
        let already = || true;
        assert!(pacer.wait(Cancel::new(&already)).is_err());
    }

    #[test]
    fn v4l_without_feature_says_how_to_get_it() {
        let spec: SourceSpec = "v4l:/dev/video0".parse().unwrap();
        if cfg!(not(feature = "webcam")) {
            let err = open_source(&spec).err().unwrap();
            assert!(err.to_string().contains("--features webcam"), "{err}");
        }
    }
}
