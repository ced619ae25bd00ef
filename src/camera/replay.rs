//! Replay of a folder of frames (PNG, JPEG or BMP, in name order, looping) at a set rate: stills
//! from a line, or a video's frames extracted with `ffmpeg -i clip.mp4 frames/%06d.png`.

use std::path::{Path, PathBuf};

use image::RgbaImage;

use super::frame::FrameNumbering;
use super::source::Pacer;
use super::{CameraError, Frame, FrameSize, FrameSource};

pub(super) struct FolderSource {
    folder: PathBuf,
    files: Vec<PathBuf>,
    next_index: usize,
    size: FrameSize,
    fps: f32,
    pacer: Pacer,
    numbering: FrameNumbering,
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
                let (width_px, height_px) = image::image_dimensions(first)
                    .map_err(|err| replay_error(format!("{}: {err}", first.display())))?;
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
        })
    }

    fn load(&self, path: &Path) -> Result<RgbaImage, CameraError> {
        let image = image::open(path)
            .map_err(|err| CameraError::Replay {
                path: self.folder.clone(),
                reason: format!("{}: {err}", path.display()),
            })?
            .into_rgba8();
        if image.width() == self.size.width_px && image.height() == self.size.height_px {
            Ok(image)
        } else {
            // Frames of another size are scaled to the stream's size, as a camera's scaler would.
            Ok(image::imageops::resize(
                &image,
                self.size.width_px,
                self.size.height_px,
                image::imageops::FilterType::Triangle,
            ))
        }
    }
}

impl FrameSource for FolderSource {
    fn size(&self) -> FrameSize {
        self.size
    }

    fn nominal_fps(&self) -> f32 {
        self.fps
    }

    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let path = self.files[self.next_index % self.files.len()].clone();
        self.next_index = (self.next_index + 1) % self.files.len();
        let image = self.load(&path)?;
        Ok(self.numbering.next(self.pacer.wait(), image))
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
            .map(|_| source.next_frame().unwrap().image.get_pixel(0, 0)[0])
            .collect();
        assert_eq!(shades, vec![100, 200, 100]);
    }

    #[test]
    fn empty_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = FolderSource::open(dir.path(), 10.0, None).err().unwrap();
        assert!(err.to_string().contains("no .png"), "{err}");
    }
}
