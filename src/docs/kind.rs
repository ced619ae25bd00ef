//! What kind of document a file is: by its first bytes first (a mislabelled file is read as
//! what it is), by its extension second (CSV has no magic bytes). Reads nothing but the bytes
//! it is given and decides nothing about their contents beyond the container.

use serde::{Deserialize, Serialize};

use crate::domain::crosscheck::EvidenceKind;

/// The container a document comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Pdf,
    /// Excel (.xlsx, .xlsm, .xls, .xlsb) or OpenDocument (.ods).
    Spreadsheet,
    Csv,
    /// A photo: PNG, JPEG, BMP, WebP or GIF.
    Image,
}

impl DocKind {
    /// The evidence a file of this kind carries: a PDF is a traveler, a table is a BOM, an
    /// image is a photo of the product.
    pub fn evidence(self) -> EvidenceKind {
        match self {
            Self::Pdf => EvidenceKind::Traveler,
            Self::Spreadsheet | Self::Csv => EvidenceKind::Bom,
            Self::Image => EvidenceKind::Photo,
        }
    }
}

/// Extensions the station accepts, in the order the error message lists them.
pub const ACCEPTED_EXTENSIONS: [&str; 14] = [
    "pdf", "xlsx", "xlsm", "xls", "xlsb", "ods", "csv", "tsv", "jpg", "jpeg", "png", "bmp", "webp",
    "gif",
];

const SPREADSHEET_EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xls", "xlsb", "ods"];
const IMAGE_EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "bmp", "webp", "gif"];

/// A PDF header may follow some junk; readers look this far for it.
const PDF_HEADER_SEARCH_BYTES: usize = 1024;

/// What the first bytes say the file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Magic {
    Pdf,
    Zip,
    /// OLE2 compound file: legacy .xls, or a password-protected .xlsx.
    Ole2,
    Image,
    /// An HEIC/HEIF photo (what phones save by default).
    Heif,
    Tiff,
    Unknown,
}

pub(super) fn magic(bytes: &[u8]) -> Magic {
    let head = &bytes[..bytes.len().min(PDF_HEADER_SEARCH_BYTES)];
    if bytes.starts_with(b"PK\x03\x04") {
        Magic::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Magic::Ole2
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"GIF87a")
        || bytes.starts_with(b"GIF89a")
        || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
        || bytes.starts_with(b"BM")
    {
        Magic::Image
    } else if bytes.get(4..8) == Some(b"ftyp")
        && matches!(
            bytes.get(8..12),
            Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc")
        )
    {
        Magic::Heif
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Magic::Tiff
    } else if head.windows(5).any(|w| w == b"%PDF-") {
        Magic::Pdf
    } else {
        Magic::Unknown
    }
}

/// The lower-case extension of a file name, if it has one.
pub(super) fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty() && !ext.contains(['/', '\\']))
        .then(|| ext.to_ascii_lowercase())
}

/// The kind of a file from its bytes and its (lower-case) extension, or a description of what
/// it looked like when the station does not read it.
pub(super) fn detect(bytes: &[u8], ext: Option<&str>) -> Result<DocKind, String> {
    let ext_is = |set: &[&str]| ext.is_some_and(|e| set.contains(&e));
    match magic(bytes) {
        Magic::Pdf => Ok(DocKind::Pdf),
        Magic::Image => Ok(DocKind::Image),
        // Every modern workbook is a zip; so are .docx, .zip and many others.
        Magic::Zip if ext_is(&SPREADSHEET_EXTENSIONS) => Ok(DocKind::Spreadsheet),
        Magic::Zip => Err(format!("a ZIP archive{}", ext_note(ext))),
        Magic::Ole2 if ext_is(&SPREADSHEET_EXTENSIONS) => Ok(DocKind::Spreadsheet),
        Magic::Ole2 => Err(format!(
            "an Office compound file (.doc, .msg or similar){}",
            ext_note(ext)
        )),
        Magic::Heif => Err("an HEIC/HEIF photo (save or export it as JPEG)".to_owned()),
        Magic::Tiff => Err("a TIFF image (save or export it as PNG or JPEG)".to_owned()),
        Magic::Unknown => match ext {
            Some("csv" | "tsv") => Ok(DocKind::Csv),
            // The extension promises a format whose magic bytes are missing: let its parser say
            // what is wrong (a truncated or damaged file) rather than calling it unsupported.
            Some("pdf") => Ok(DocKind::Pdf),
            Some(e) if SPREADSHEET_EXTENSIONS.contains(&e) => Ok(DocKind::Spreadsheet),
            Some(e) if IMAGE_EXTENSIONS.contains(&e) => Ok(DocKind::Image),
            Some(e) => Err(format!("a .{e} file")),
            None => Err("a file with no extension and no recognisable content".to_owned()),
        },
    }
}

fn ext_note(ext: Option<&str>) -> String {
    ext.map(|e| format!(" named .{e}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];

    #[test]
    fn magic_bytes_win_over_the_extension() {
        assert_eq!(detect(b"%PDF-1.7\n...", Some("xlsx")), Ok(DocKind::Pdf));
        assert_eq!(detect(PNG, Some("pdf")), Ok(DocKind::Image));
        assert_eq!(detect(&[0xFF, 0xD8, 0xFF, 0xE0], None), Ok(DocKind::Image));
        assert_eq!(
            detect(b"RIFF\0\0\0\0WEBPVP8 ", Some("jpg")),
            Ok(DocKind::Image)
        );
        // A legacy workbook saved with a modern name is still a workbook.
        assert_eq!(detect(OLE2, Some("xlsx")), Ok(DocKind::Spreadsheet));
        assert_eq!(
            detect(b"PK\x03\x04rest", Some("xlsm")),
            Ok(DocKind::Spreadsheet)
        );
        assert_eq!(
            detect(b"PK\x03\x04rest", Some("ods")),
            Ok(DocKind::Spreadsheet)
        );
    }

    #[test]
    fn a_pdf_header_after_junk_is_found() {
        let mut bytes = vec![b' '; 100];
        bytes.extend_from_slice(b"%PDF-1.4\n");
        assert_eq!(detect(&bytes, None), Ok(DocKind::Pdf));
    }

    #[test]
    fn extension_decides_when_there_is_no_magic() {
        assert_eq!(detect(b"Job;Part\n1;2\n", Some("csv")), Ok(DocKind::Csv));
        assert_eq!(detect(b"a\tb\n", Some("tsv")), Ok(DocKind::Csv));
        // Truncated files keep the kind their name promises, so the parser can say what broke.
        assert_eq!(detect(b"garbage", Some("pdf")), Ok(DocKind::Pdf));
        assert_eq!(detect(b"garbage", Some("xlsx")), Ok(DocKind::Spreadsheet));
        assert_eq!(detect(b"garbage", Some("png")), Ok(DocKind::Image));
    }

    #[test]
    fn unsupported_files_say_what_they_looked_like() {
        assert_eq!(
            detect(b"PK\x03\x04rest", Some("docx")),
            Err("a ZIP archive named .docx".to_owned())
        );
        assert!(
            detect(OLE2, Some("doc"))
                .unwrap_err()
                .contains("compound file")
        );
        assert!(detect(b"hello", Some("txt")).unwrap_err().contains(".txt"));
        assert!(detect(b"hello", None).unwrap_err().contains("no extension"));
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0";
        assert!(detect(heic, Some("jpg")).unwrap_err().contains("JPEG"));
        assert!(
            detect(b"II*\0\x08\0\0\0", Some("tif"))
                .unwrap_err()
                .contains("TIFF")
        );
    }

    #[test]
    fn extensions_are_lower_cased_and_need_a_stem() {
        assert_eq!(extension("BOM Rev F.XLSX").as_deref(), Some("xlsx"));
        assert_eq!(extension("photo.jpeg").as_deref(), Some("jpeg"));
        assert_eq!(extension(".hidden"), None);
        assert_eq!(extension("noext"), None);
        assert_eq!(extension("dir.v2/file"), None);
    }

    #[test]
    fn evidence_follows_the_kind() {
        assert_eq!(DocKind::Pdf.evidence(), EvidenceKind::Traveler);
        assert_eq!(DocKind::Spreadsheet.evidence(), EvidenceKind::Bom);
        assert_eq!(DocKind::Csv.evidence(), EvidenceKind::Bom);
        assert_eq!(DocKind::Image.evidence(), EvidenceKind::Photo);
    }
}
