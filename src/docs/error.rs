//! Why a document could not be read, one variant per reason the operator can act on, each
//! message naming the file; and the panic boundary that turns a parser crash into
//! `DocError::Corrupt` for that file. Owns no parsing: callers hand it their parser call.

use std::panic::{AssertUnwindSafe, catch_unwind};

use thiserror::Error;

use super::kind::ACCEPTED_EXTENSIONS;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DocError {
    /// The file could not be opened or read at all (missing, no permission, I/O error).
    #[error(
        "{file}: cannot be read ({reason}); check that the file still exists and drop it again"
    )]
    Unreadable { file: String, reason: String },
    /// The file is damaged or is not what its name or first bytes say; `what` says which part
    /// failed.
    #[error("{file}: damaged or not a valid document: {what}")]
    Corrupt { file: String, what: String },
    #[error(
        "{file}: is password-protected ({detail}); remove the password (open it and save an \
         unprotected copy) and drop it again"
    )]
    Encrypted { file: String, detail: String },
    /// Nothing to read: no bytes, no pages, no rows.
    #[error("{file}: is empty: {what}")]
    Empty { file: String, what: String },
    /// Over one of the configured `Limits`; `what` says which and by how much.
    #[error("{file}: is too large to read: {what}")]
    TooLarge { file: String, what: String },
    /// Not a kind of file this station reads; `found` says what it looked like.
    #[error(
        "{file}: {found} is not a document this station reads; accepted: {}",
        accepted_list()
    )]
    Unsupported { file: String, found: String },
    /// A spreadsheet or CSV whose sheets hold cells but no recognisable BOM header row.
    #[error(
        "{file}: no BOM header row found in the first {searched_rows} rows of {scope}: a header \
         needs at least two of Job, Part Number (P/N), Rev, Qty, Ref Des, Serial (S/N), Unit S/N, \
         Description"
    )]
    NoHeader {
        file: String,
        scope: String,
        searched_rows: u32,
    },
}

impl DocError {
    /// The file the error is about (its original name).
    pub fn file(&self) -> &str {
        match self {
            Self::Unreadable { file, .. }
            | Self::Corrupt { file, .. }
            | Self::Encrypted { file, .. }
            | Self::Empty { file, .. }
            | Self::TooLarge { file, .. }
            | Self::Unsupported { file, .. }
            | Self::NoHeader { file, .. } => file,
        }
    }
}

fn accepted_list() -> String {
    ACCEPTED_EXTENSIONS
        .iter()
        .map(|ext| format!(".{ext}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one third-party parser call (`stage` names it: "PDF reader", "spreadsheet reader", …)
/// inside a panic boundary: a decoder that panics on a malformed file fails that file, never
/// the session or the program.
pub(super) fn guarded<T>(
    file: &str,
    stage: &str,
    parse: impl FnOnce() -> Result<T, DocError>,
) -> Result<T, DocError> {
    match catch_unwind(AssertUnwindSafe(parse)) {
        Ok(result) => result,
        Err(payload) => {
            let detail = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            Err(DocError::Corrupt {
                file: file.to_owned(),
                what: format!("the {stage} crashed on this file ({detail})"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_names_the_file() {
        let file = "traveler 12345.pdf".to_owned();
        let errors = [
            DocError::Unreadable {
                file: file.clone(),
                reason: "not found".into(),
            },
            DocError::Corrupt {
                file: file.clone(),
                what: "x".into(),
            },
            DocError::Encrypted {
                file: file.clone(),
                detail: "a user password is set".into(),
            },
            DocError::Empty {
                file: file.clone(),
                what: "no pages".into(),
            },
            DocError::TooLarge {
                file: file.clone(),
                what: "x".into(),
            },
            DocError::Unsupported {
                file: file.clone(),
                found: "a ZIP archive".into(),
            },
            DocError::NoHeader {
                file: file.clone(),
                scope: "sheet Sheet1".into(),
                searched_rows: 20,
            },
        ];
        for error in errors {
            assert!(
                error.to_string().starts_with("traveler 12345.pdf: "),
                "{error}"
            );
            assert_eq!(error.file(), "traveler 12345.pdf");
        }
    }

    #[test]
    fn encrypted_says_what_to_do_and_unsupported_lists_the_extensions() {
        let encrypted = DocError::Encrypted {
            file: "a.pdf".into(),
            detail: "a user password is set".into(),
        };
        assert!(encrypted.to_string().contains("remove the password"));
        let unsupported = DocError::Unsupported {
            file: "a.docx".into(),
            found: "a ZIP archive".into(),
        };
        let text = unsupported.to_string();
        for ext in [
            ".pdf", ".xlsx", ".xls", ".xlsm", ".ods", ".csv", ".jpg", ".png",
        ] {
            assert!(text.contains(ext), "{text} lacks {ext}");
        }
    }

    #[test]
    fn a_panicking_parser_becomes_corrupt_naming_the_file() {
        let result: Result<(), DocError> = guarded("bom.xlsx", "spreadsheet reader", || {
            panic!("index out of bounds")
        });
        let error = result.unwrap_err();
        assert_eq!(
            error,
            DocError::Corrupt {
                file: "bom.xlsx".into(),
                what: "the spreadsheet reader crashed on this file (index out of bounds)".into()
            }
        );
        let ok = guarded("bom.xlsx", "spreadsheet reader", || Ok(7));
        assert_eq!(ok, Ok(7));
    }
}
