//! Reading image files (the CLI, folder replay, stored inspections): decoded inside a panic
//! boundary (a decoder that panics on a malformed file fails that file, not the run), errors
//! naming the file.

use std::path::Path;

use anyhow::Context as _;
use image::{DynamicImage, GrayImage, RgbaImage};

fn read(path: &Path) -> anyhow::Result<DynamicImage> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let decoded = std::panic::catch_unwind(|| image::load_from_memory(&bytes)).map_err(|_| {
        anyhow::anyhow!(
            "{}: the image decoder crashed on this file (damaged or not an image)",
            path.display()
        )
    })?;
    decoded.with_context(|| {
        format!(
            "{}: not a readable image (PNG, JPEG or BMP expected)",
            path.display()
        )
    })
}

/// The file as 8-bit grey.
pub fn read_grey(path: &Path) -> anyhow::Result<GrayImage> {
    Ok(read(path)?.to_luma8())
}

/// The file as 8-bit RGBA.
pub fn read_rgba(path: &Path) -> anyhow::Result<RgbaImage> {
    Ok(read(path)?.to_rgba8())
}

/// Image files in `dir` (PNG, JPEG, BMP by extension), sorted by name.
pub fn images_in(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the folder {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["png", "jpg", "jpeg", "bmp"].contains(&e.to_ascii_lowercase().as_str())
            })
        })
        .filter(|path| {
            // A generator's masks are not parts.
            !path
                .file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| s.ends_with("-mask"))
        })
        .collect();
    files.sort();
    Ok(files)
}
