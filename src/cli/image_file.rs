//! Reading image files for the CLI: decoded inside a panic boundary (a decoder that panics on a
//! malformed file fails that file, not the run), errors naming the file.

use std::path::Path;

use anyhow::Context as _;
use image::GrayImage;

/// The file as 8-bit grey.
pub fn read_grey(path: &Path) -> anyhow::Result<GrayImage> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let decoded = std::panic::catch_unwind(|| image::load_from_memory(&bytes)).map_err(|_| {
        anyhow::anyhow!(
            "{}: the image decoder crashed on this file (damaged or not an image)",
            path.display()
        )
    })?;
    let image = decoded.with_context(|| {
        format!(
            "{}: not a readable image (PNG, JPEG or BMP expected)",
            path.display()
        )
    })?;
    Ok(image.to_luma8())
}
