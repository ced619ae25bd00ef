//! QR codes for items: a symbol per payload (error correction L/M/Q/H, 4-module quiet zone),
//! rendered as PNG or SVG at a module size, singly or on captioned sheets, and a batch exported
//! into a directory with its CSV manifest.
//!
//! This module only encodes and writes files. UIDs and the item lifecycle are plain rules in
//! `domain` (re-exported here), allocation is the store's, and the laser's G-code is
//! `engrave`'s. It spawns nothing and opens no database.

pub(crate) mod export;
mod render;
mod sheet;
mod symbol;

use std::path::PathBuf;

pub use crate::domain::EcLevel;
pub use crate::domain::{ItemStatus, LotKey, LotRule, Uid, UidError};
pub use export::{
    ExportOptions, ExportReport, ExportedCode, MANIFEST_FILE, MANIFEST_HEADER, export_codes,
    prepare_out_dir,
};
pub use render::{MODULE_PX_RANGE, check_module_px, svg_text, symbol_image, write_png, write_svg};
pub use sheet::{SHEET_COLUMNS, SHEET_ROWS, SheetEntry, png_sheet, svg_sheet};
pub use symbol::{QUIET_ZONE_MODULES, QrSymbol, ec_level_name, parse_ec_level};

/// What can go wrong making or writing codes.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("cannot make a QR code of {payload:?}: {reason}")]
    Encode { payload: String, reason: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the image {path}: {source}")]
    Image {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error("{0}")]
    Invalid(String),
}
