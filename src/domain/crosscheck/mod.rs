//! The QC cross-check as plain rules: what evidence a build has (text lines and BOM rows with
//! their provenance), the fields and their patterns (station configuration, not code), how raw
//! text is normalised and OCR text is fielded, the nine checks of the spec and the verdict.
//!
//! One stage per file: `evidence` (the shared input types), `fields` (field kinds and their
//! configured patterns), `normalise` (one raw value to its canonical form), `fielding` (values
//! found in OCR candidates, text lines and BOM rows), `checks` (the nine checks) and `verdict`.
//!
//! Nothing here reads files, runs models or touches the store: `docs` and `ocr` produce the
//! evidence, the runtime runs the checks, the store keeps the result.

mod checks;
mod evidence;
mod fielding;
mod fields;
mod normalise;
#[cfg(test)]
mod test_support;
mod verdict;

pub use checks::{
    CHECKS, CheckResult, CheckSpec, CheckStatus, Priority, check_spec, compare_revisions,
    run_checks,
};
pub use evidence::{
    BomRow, ColumnRole, EvidenceKind, Location, Provenance, TextLine, column_letters,
};
pub use fielding::{CORRECTION_FACTOR, FieldValue, field_ocr, fields_in_bom, fields_in_lines};
pub(crate) use fields::default_toml;
pub use fields::{
    CompiledPatterns, DEFAULT_TOML, FieldKind, FieldKindParseError, FieldPattern, FieldPatterns,
    MarkingLabels, PatternIssue, PatternsError,
};
pub use normalise::{Correction, Normalised, normalise};
pub use verdict::{Verdict, VerdictParseError};
