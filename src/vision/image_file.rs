//! Reading image files (the CLI, folder replay, stored inspections): decoded inside a panic
//! boundary (a decoder that panics on a malformed file fails that file, not the run), errors
//! naming the file.

use std::path::Path;

use anyhow::Context as _;
use image::{DynamicImage, GrayImage, RgbImage, RgbaImage};

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
            "{}: not a readable image (PNG, JPEG, BMP, WebP or GIF expected)",
            path.display()
        )
    })
}

/// The file as 8-bit grey; transparent pixels are laid over white (as on a page).
pub fn read_grey(path: &Path) -> anyhow::Result<GrayImage> {
    let image = read(path)?;
    if !image.color().has_alpha() {
        return Ok(image.to_luma8());
    }
    Ok(DynamicImage::ImageRgb8(over_white(&image)).to_luma8())
}

/// The file as 8-bit RGB; transparent pixels are laid over white (as on a page).
pub fn read_rgb(path: &Path) -> anyhow::Result<RgbImage> {
    Ok(rgb_over_white(&read(path)?))
}

/// 8-bit RGB with transparent pixels laid over white (as on a page).
pub(crate) fn rgb_over_white(image: &DynamicImage) -> RgbImage {
    if image.color().has_alpha() {
        over_white(image)
    } else {
        image.to_rgb8()
    }
}

fn over_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let alpha = u32::from(a);
        let blend = |c: u8| ((u32::from(c) * alpha + 255 * (255 - alpha)) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// The file as 8-bit RGBA.
pub fn read_rgba(path: &Path) -> anyhow::Result<RgbaImage> {
    Ok(read(path)?.to_rgba8())
}

/// File extensions read as images.
pub const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "bmp", "webp", "gif"];

/// Whether a path names an image file by its extension.
pub fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Image files in `dir` (PNG, JPEG, BMP, WebP, GIF by extension), sorted by name.
pub fn images_in(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the folder {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| is_image(path))
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
