//! Product photos decoded for the OCR: PNG, JPEG, BMP, WebP or GIF (first frame), turned
//! upright by the camera's EXIF orientation (phones store photos sideways and say so),
//! transparent pixels laid over white, 8-bit RGB. A photo over the pixel limit fails with
//! `TooLarge` before it is decoded.
//!
//! Reads no text: the OCR stage does. Callers run it inside the panic boundary.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

use super::Limits;
use super::error::DocError;

/// The photo, upright, as RGB.
pub(super) fn read(bytes: &[u8], file: &str, limits: &Limits) -> Result<RgbImage, DocError> {
    let not_an_image = |e: &dyn std::fmt::Display| DocError::Corrupt {
        file: file.to_owned(),
        what: format!("not a readable image ({e}); PNG, JPEG, BMP, WebP or GIF expected"),
    };
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| not_an_image(&e))?;
    let mut decoder = reader.into_decoder().map_err(|e| not_an_image(&e))?;
    let (width_px, height_px) = decoder.dimensions();
    let pixels = u64::from(width_px) * u64::from(height_px);
    if pixels > limits.max_image_pixels {
        return Err(DocError::TooLarge {
            file: file.to_owned(),
            what: format!(
                "the photo is {width_px}×{height_px} px ({:.1} megapixels), over the {:.1} \
                 megapixel limit",
                pixels as f64 / 1e6,
                limits.max_image_pixels as f64 / 1e6
            ),
        });
    }
    if pixels == 0 {
        return Err(DocError::Empty {
            file: file.to_owned(),
            what: "the image has no pixels".to_owned(),
        });
    }
    // A missing or unreadable orientation tag means the pixels are already upright.
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| not_an_image(&e))?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    // Transparency flattened onto white, as the label would look on paper.
    Ok(crate::vision::image_file::rgb_over_white(&image))
}

#[cfg(test)]
mod tests {
    use image::{ImageFormat, Rgba, RgbaImage};

    use super::*;

    fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn a_png_decodes_with_transparency_over_white() {
        let mut rgba = RgbaImage::from_pixel(40, 20, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(3, 4, Rgba([10, 20, 30, 255]));
        let bytes = encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
        let image = read(&bytes, "label.png", &Limits::default()).unwrap();
        assert_eq!(image.dimensions(), (40, 20));
        assert_eq!(image.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(image.get_pixel(3, 4).0, [10, 20, 30]);
    }

    #[test]
    fn a_photo_over_the_pixel_limit_fails_before_decoding() {
        let bytes = encode(
            &DynamicImage::ImageRgb8(RgbImage::new(100, 100)),
            ImageFormat::Png,
        );
        let limits = Limits {
            max_image_pixels: 5_000,
            ..Limits::default()
        };
        let error = read(&bytes, "huge.png", &limits).unwrap_err();
        assert!(
            matches!(error, DocError::TooLarge { ref file, ref what } if file == "huge.png" && what.contains("100×100")),
            "{error}"
        );
    }

    #[test]
    fn a_truncated_jpeg_is_corrupt() {
        let bytes = encode(
            &DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 64, image::Rgb([200, 10, 10]))),
            ImageFormat::Jpeg,
        );
        let error = read(&bytes[..bytes.len() / 3], "cut.jpg", &Limits::default()).unwrap_err();
        assert!(
            matches!(error, DocError::Corrupt { ref file, .. } if file == "cut.jpg"),
            "{error}"
        );
        let error = read(b"not an image", "x.png", &Limits::default()).unwrap_err();
        assert!(matches!(error, DocError::Corrupt { .. }), "{error}");
    }
}
