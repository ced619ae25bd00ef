//! V4L2/USB cameras through nokhwa (`webcam` feature). Negotiates the format closest to the
//! requested size and rate and converts frames to RGBA. A read error is returned to the capture
//! loop, which drops this source and reopens it with backoff (unplug and re-plug). Frames are
//! written by the driver straight into pooled buffers.

use std::path::Path;
use std::time::Instant;

use nokhwa::Camera;
use nokhwa::pixel_format::RgbAFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};

use super::frame::FrameNumbering;
use super::{CameraError, Cancel, DeviceInfo, Frame, FramePool, FrameSize, FrameSource};

pub(super) struct V4lSource {
    device: String,
    camera: Camera,
    size: FrameSize,
    fps: f32,
    numbering: FrameNumbering,
    pool: FramePool,
}

fn index_of(path: &Path) -> Result<CameraIndex, CameraError> {
    let text = path.display().to_string();
    text.trim_start_matches("/dev/video")
        .parse::<u32>()
        .map(CameraIndex::Index)
        .map_err(|_| CameraError::Open {
            device: text.clone(),
            reason: "expected a device like /dev/video0".to_owned(),
        })
}

impl V4lSource {
    pub fn open(path: &Path, size: FrameSize, fps: f32) -> Result<Self, CameraError> {
        let device = path.display().to_string();
        let open_error = |err: nokhwa::NokhwaError| CameraError::Open {
            device: device.clone(),
            reason: err.to_string(),
        };
        let wanted = CameraFormat::new(
            Resolution::new(size.width_px, size.height_px),
            FrameFormat::MJPEG,
            fps.round().max(1.0) as u32,
        );
        let requested = RequestedFormat::new::<RgbAFormat>(RequestedFormatType::Closest(wanted));
        let mut camera = Camera::with_backend(index_of(path)?, requested, ApiBackend::Video4Linux)
            .map_err(open_error)?;
        camera.open_stream().map_err(open_error)?;
        let format = camera.camera_format();
        let size = FrameSize::new(format.resolution().width(), format.resolution().height());
        let fps = format.frame_rate() as f32;
        Ok(Self {
            device,
            camera,
            size,
            fps,
            numbering: FrameNumbering::default(),
            pool: FramePool::for_stream(size, fps),
        })
    }
}

impl FrameSource for V4lSource {
    fn size(&self) -> FrameSize {
        self.size
    }

    fn nominal_fps(&self) -> f32 {
        self.fps
    }

    /// The driver's read blocks until the camera delivers (one frame period); cancel is checked
    /// before it. A camera that stops delivering blocks here, and the slot reports it stalled.
    fn next_frame(&mut self, cancel: Cancel<'_>) -> Result<Frame, CameraError> {
        if cancel.is_cancelled() {
            return Err(CameraError::Cancelled);
        }
        let mut image = self.pool.take();
        self.camera
            .write_frame_to_buffer::<RgbAFormat>(&mut image)
            .map_err(|err| CameraError::Read {
                device: self.device.clone(),
                reason: err.to_string(),
            })?;
        let captured_at = Instant::now();
        Ok(self.numbering.next(captured_at, image))
    }
}

/// The V4L2 cameras present, with the formats each reports.
pub(super) fn list() -> Result<Vec<DeviceInfo>, CameraError> {
    let cameras = nokhwa::query(ApiBackend::Video4Linux).map_err(|err| CameraError::Open {
        device: "V4L2".to_owned(),
        reason: err.to_string(),
    })?;
    Ok(cameras
        .into_iter()
        .map(|info| {
            let spec = match info.index() {
                CameraIndex::Index(n) => format!("v4l:/dev/video{n}"),
                CameraIndex::String(path) => format!("v4l:{path}"),
            };
            let formats = nokhwa::Camera::with_backend(
                info.index().clone(),
                RequestedFormat::new::<RgbAFormat>(RequestedFormatType::None),
                ApiBackend::Video4Linux,
            )
            .and_then(|mut camera| camera.compatible_camera_formats())
            .map(|formats| {
                formats
                    .iter()
                    .map(|f| {
                        format!(
                            "{}x{}@{} {}",
                            f.resolution().width(),
                            f.resolution().height(),
                            f.frame_rate(),
                            f.format()
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
            DeviceInfo {
                spec,
                name: info.human_name(),
                formats,
            }
        })
        .collect())
}
