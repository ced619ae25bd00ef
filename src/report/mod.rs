//! Reports as PDF documents (pdf-writer, base-14 fonts): a small flowing page layout
//! (`layout`) and one module per report. Reports are built from domain values and file
//! summaries; this module reads no database and runs nothing.

mod crosscheck;
mod layout;

pub use crosscheck::{ReportFile, crosscheck_pdf, source_words};
pub use layout::win_ansi;
