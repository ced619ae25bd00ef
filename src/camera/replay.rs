//! Replay of a folder of frames (PNG, JPEG or BMP, in name order, looping) at a set rate: stills
//! from a line, or a video's frames extracted with `ffmpeg -i clip.mp4 frames/%06d.png`.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use image::{ColorType, DynamicImage, ImageDecoder, ImageReader, RgbaImage};

use super::frame::FrameNumbering;
use super::source::Pacer;
use super::{CameraError, Cancel, Frame, FramePool, FrameSize, FrameSource, PooledImage};

pub(super) struct FolderSource {
    folder: PathBuf,
    files: Vec<PathBuf>,
    next_index: usize,
    size: FrameSize,
    fps: f32,
    pacer: Pacer,
    numbering: FrameNumbering,
    pool: FramePool,
    /// Decoded pixels of RGB and grey files, before they are widened to RGBA (reused).
    scratch: Vec<u8>,
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            matches!(
                ext.to_ascii_lowercase().as_str(),
                "png" | "jpg" | "jpeg" | "bmp"
            )
        })
}

/// Runs third-party decoding code: an error or a panic inside it becomes a `Decode` error that
/// names the file, so one bad file cannot take the capture thread down.
fn guarded<T>(file: &Path, decode: impl FnOnce() -> Result<T, String>) -> Result<T, CameraError> {
    let error = |reason: String, panicked: bool| CameraError::Decode {
        file: file.to_owned(),
        reason,
        panicked,
    };
    match std::panic::catch_unwind(AssertUnwindSafe(decode)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(reason)) => Err(error(reason, false)),
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with no message".to_owned());
            Err(error(reason, true))
        }
    }
}

/// Decodes `path` into `out` (a pooled buffer of the stream's size). Files of the stream's size
/// in 8-bit RGBA, RGB or grey are decoded straight into it (no allocation of their own); others
/// are decoded, converted and scaled to the stream's size, as a camera's scaler would.
fn decode_into(path: &Path, out: &mut RgbaImage, scratch: &mut Vec<u8>) -> Result<(), String> {
    let decoder = ImageReader::open(path)
        .map_err(|err| err.to_string())?
        .with_guessed_format()
        .map_err(|err| err.to_string())?
        .into_decoder()
        .map_err(|err| err.to_string())?;
    let same_size = decoder.dimensions() == out.dimensions();
    let color = decoder.color_type();
    let byte_len = usize::try_from(decoder.total_bytes()).map_err(|err| err.to_string())?;
    match color {
        ColorType::Rgba8 if same_size => {
            return decoder.read_image(out).map_err(|err| err.to_string());
        }
        ColorType::Rgb8 | ColorType::L8 | ColorType::La8 if same_size => {
            scratch.resize(byte_len, 0);
            decoder.read_image(scratch).map_err(|err| err.to_string())?;
            widen_to_rgba(color, scratch, out);
            return Ok(());
        }
        _ => {}
    }
    let image = DynamicImage::from_decoder(decoder)
        .map_err(|err| err.to_string())?
        .into_rgba8();
    let image = if image.dimensions() == out.dimensions() {
        image
    } else {
        image::imageops::resize(
            &image,
            out.width(),
            out.height(),
            image::imageops::FilterType::Triangle,
        )
    };
    out.copy_from_slice(image.as_raw());
    Ok(())
}

fn widen_to_rgba(color: ColorType, from: &[u8], out: &mut [u8]) {
    let pixels = out.chunks_exact_mut(4);
    match color {
        ColorType::Rgb8 => {
            for (pixel, rgb) in pixels.zip(from.chunks_exact(3)) {
                pixel[..3].copy_from_slice(rgb);
                pixel[3] = 255;
            }
        }
        ColorType::La8 => {
            for (pixel, la) in pixels.zip(from.chunks_exact(2)) {
                pixel.copy_from_slice(&[la[0], la[0], la[0], la[1]]);
            }
        }
        _ => {
            for (pixel, &luma) in pixels.zip(from) {
                pixel.copy_from_slice(&[luma, luma, luma, 255]);
            }
        }
    }
}

impl FolderSource {
    pub fn open(folder: &Path, fps: f32, size: Option<FrameSize>) -> Result<Self, CameraError> {
        let replay_error = |reason: String| CameraError::Replay {
            path: folder.to_owned(),
            reason,
        };
        let entries = std::fs::read_dir(folder).map_err(|err| replay_error(err.to_string()))?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| is_image(path))
            .collect();
        files.sort();
        let first = files
            .first()
            .ok_or_else(|| replay_error("holds no .png, .jpg or .bmp frames".to_owned()))?;
        let first_size = match size {
            Some(size) => size,
            None => {
                let (width_px, height_px) = guarded(first, || {
                    image::image_dimensions(first).map_err(|err| err.to_string())
                })
                .map_err(|err| replay_error(err.to_string()))?;
                FrameSize::new(width_px, height_px)
            }
        };
        Ok(Self {
            folder: folder.to_owned(),
            files,
            next_index: 0,
            size: first_size,
            fps,
            pacer: Pacer::new(fps),
            numbering: FrameNumbering::default(),
            pool: FramePool::for_stream(first_size, fps),
            scratch: Vec::new(),
        })
    }

    fn load(&mut self, path: &Path) -> Result<PooledImage, CameraError> {
        let mut image = self.pool.take();
        let scratch = &mut self.scratch;
        guarded(path, || decode_into(path, &mut image, scratch))?;
        Ok(image)
    }
}

impl FrameSource for FolderSource {
    fn size(&self) -> FrameSize {
        self.size
    }

    fn nominal_fps(&self) -> f32 {
        self.fps
    }

    /// A file that cannot be decoded still takes its frame period, then is reported as a
    /// `Decode` error; the next call goes on with the next file.
    fn next_frame(&mut self, cancel: Cancel<'_>) -> Result<Frame, CameraError> {
        if self.files.is_empty() {
            return Err(CameraError::Replay {
                path: self.folder.clone(),
                reason: "holds no frames".to_owned(),
            });
        }
        let path = self.files[self.next_index % self.files.len()].clone();
        self.next_index = (self.next_index + 1) % self.files.len();
        let image = self.load(&path);
        let captured_at = self.pacer.wait(cancel)?;
        Ok(self.numbering.next(captured_at, image?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_in_name_order_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        for (index, shade) in [(2, 200u8), (1, 100u8)] {
            let image = RgbaImage::from_pixel(8, 6, image::Rgba([shade, 0, 0, 255]));
            image
                .save(dir.path().join(format!("{index:03}.png")))
                .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not a frame").unwrap();
        let mut source = FolderSource::open(dir.path(), 200.0, None).unwrap();
        assert_eq!(source.size(), FrameSize::new(8, 6));
        let shades: Vec<u8> = (0..3)
            .map(|_| {
                source
                    .next_frame(Cancel::never())
                    .unwrap()
                    .image
                    .get_pixel(0, 0)[0]
            })
            .collect();
        assert_eq!(shades, vec![100, 200, 100]);
    }

    #[test]
    fn buffers_are_reused_and_other_formats_and_sizes_are_converted() {
        let dir = tempfile::tempdir().unwrap();
        RgbaImage::from_pixel(8, 6, image::Rgba([10, 20, 30, 255]))
            .save(dir.path().join("1.png"))
            .unwrap();
        image::RgbImage::from_pixel(8, 6, image::Rgb([40, 50, 60]))
            .save(dir.path().join("2.png"))
            .unwrap();
        image::GrayImage::from_pixel(16, 12, image::Luma([70]))
            .save(dir.path().join("3.png"))
            .unwrap();
        let mut source = FolderSource::open(dir.path(), 500.0, None).unwrap();
        let mut pixels = Vec::new();
        for _ in 0..6 {
            let frame = source.next_frame(Cancel::never()).unwrap();
            assert_eq!(frame.size(), FrameSize::new(8, 6));
            pixels.push(frame.image.get_pixel(3, 3).0);
        }
        assert_eq!(pixels[0], [10, 20, 30, 255]);
        assert_eq!(pixels[1], [40, 50, 60, 255]);
        assert_eq!(pixels[2], [70, 70, 70, 255]);
        assert_eq!(pixels[3..], pixels[..3], "loops");
        let stats = source.pool.stats();
        assert_eq!(
            stats.fresh, 1,
            "each frame was dropped before the next: {stats:?}"
        );
        assert_eq!(stats.reused, 5);
    }

    #[test]
    fn a_truncated_file_is_an_error_naming_it_and_replay_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        for (index, shade) in [(1, 100u8), (3, 150u8)] {
            RgbaImage::from_pixel(8, 6, image::Rgba([shade, 0, 0, 255]))
                .save(dir.path().join(format!("{index}.png")))
                .unwrap();
        }
        let whole = std::fs::read(dir.path().join("1.png")).unwrap();
        std::fs::write(dir.path().join("2.png"), &whole[..whole.len() / 2]).unwrap();
        let mut source = FolderSource::open(dir.path(), 500.0, None).unwrap();
        let mut next = || source.next_frame(Cancel::never());
        assert_eq!(next().unwrap().image.get_pixel(0, 0)[0], 100);
        let err = next().err().unwrap();
        assert!(err.is_frame_only(), "{err:?}");
        assert!(err.to_string().contains("2.png"), "{err}");
        assert_eq!(next().unwrap().image.get_pixel(0, 0)[0], 150, "moved on");
        assert_eq!(next().unwrap().image.get_pixel(0, 0)[0], 100, "and loops");
        assert!(next().is_err(), "the bad file is still bad next time round");
    }

    #[test]
    fn a_panicking_decoder_is_an_error_naming_the_file() {
        let file = Path::new("/frames/0007.png");
        let err =
            guarded::<()>(file, || panic!("index out of bounds in some decoder")).unwrap_err();
        match &err {
            CameraError::Decode {
                panicked: true,
                reason,
                ..
            } => {
                assert!(reason.contains("index out of bounds"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string()
                .contains("decoder panicked on /frames/0007.png"),
            "{err}"
        );
        assert!(err.is_frame_only());
        let formatted = format!("{}", 7);
        let err = guarded::<()>(file, move || panic!("{formatted} rows")).unwrap_err();
        assert!(err.to_string().contains("7 rows"), "{err}");
    }

    #[test]
    fn empty_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = FolderSource::open(dir.path(), 10.0, None).err().unwrap();
        assert!(err.to_string().contains("no .png"), "{err}");
    }
}
