//! Exporting a batch of UIDs as files in one directory: a PNG and/or SVG per code, optionally
//! sheets of up to `SHEET_COLUMNS × SHEET_ROWS` captioned codes, and `manifest.csv` listing
//! every code with its files, error-correction level, size in modules and payload.
//!
//! The manifest is appended to when the directory already has one with the same columns, so a
//! folder that collects several batches keeps one index of everything in it; a manifest with
//! other columns is refused before anything is written. UIDs never repeat, so neither do the
//! file names (`{uid}.png`, `sheet-{first uid}-{last seq}.png`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::domain::EcLevel;
use crate::domain::Uid;

use super::render::{check_module_px, write_png, write_svg};
use super::sheet::{SHEET_COLUMNS, SHEET_ROWS, SheetEntry, png_sheet, svg_sheet};
use super::symbol::ec_level_name;
use super::{QrError, QrSymbol};

/// The manifest's file name in the output directory.
pub const MANIFEST_FILE: &str = "manifest.csv";

/// The manifest's header line.
pub const MANIFEST_HEADER: &str =
    "uid,component,vendor,lot,seq,png,svg,sheet,ec_level,modules,payload";

/// What to write for each code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    pub ec: EcLevel,
    /// Pixels per module in PNGs (and user units per module in SVGs).
    pub module_px: u32,
    pub png: bool,
    pub svg: bool,
    /// Also sheets of captioned codes, in each chosen format.
    pub sheet: bool,
    /// The payload around the UID, `{uid}` standing for it (e.g. a URL); `None`: the UID alone.
    pub payload_template: Option<String>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            ec: EcLevel::M,
            module_px: 10,
            png: true,
            svg: false,
            sheet: false,
            payload_template: None,
        }
    }
}

impl ExportOptions {
    /// Checks the options before any UID is allocated or file written.
    pub fn check(&self) -> Result<(), QrError> {
        check_module_px(self.module_px)?;
        if !self.png && !self.svg {
            return Err(QrError::Invalid(
                "choose at least one format: png, svg or both".to_owned(),
            ));
        }
        if let Some(template) = &self.payload_template
            && !template.contains("{uid}")
        {
            return Err(QrError::Invalid(format!(
                "the payload template {template:?} has no {{uid}}: every code would hold the same text"
            )));
        }
        Ok(())
    }

    /// What the code of `uid` holds.
    pub fn payload(&self, uid: &Uid) -> String {
        match &self.payload_template {
            Some(template) => template.replace("{uid}", &uid.to_string()),
            None => uid.to_string(),
        }
    }
}

/// The files made for one code (names relative to the output directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedCode {
    pub uid: Uid,
    pub payload: String,
    pub modules: usize,
    pub png: Option<String>,
    pub svg: Option<String>,
    pub sheet: Option<String>,
}

/// Everything an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub out_dir: PathBuf,
    pub codes: Vec<ExportedCode>,
    /// Sheet files (names relative to the output directory), in order.
    pub sheets: Vec<String>,
    pub manifest: PathBuf,
}

/// Creates the output directory if needed and checks that its manifest, if any, can be
/// appended to. Run it before allocating, so a bad directory costs no UIDs.
pub fn prepare_out_dir(out_dir: &Path) -> Result<(), QrError> {
    std::fs::create_dir_all(out_dir).map_err(|source| QrError::Io {
        path: out_dir.to_owned(),
        source,
    })?;
    let manifest = out_dir.join(MANIFEST_FILE);
    match std::fs::read_to_string(&manifest) {
        Ok(text) => {
            let header = text.lines().next().unwrap_or_default();
            if header != MANIFEST_HEADER {
                return Err(QrError::Invalid(format!(
                    "{} exists with other columns ({header:?}): choose another output directory",
                    manifest.display()
                )));
            }
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(QrError::Io {
            path: manifest,
            source,
        }),
    }
}

/// One CSV field, quoted when it must be.
pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn manifest_line(code: &ExportedCode, ec: EcLevel) -> String {
    let fields = [
        code.uid.to_string(),
        code.uid.component().to_owned(),
        code.uid.vendor().to_owned(),
        code.uid.lot().to_owned(),
        format!("{:05}", code.uid.seq()),
        code.png.clone().unwrap_or_default(),
        code.svg.clone().unwrap_or_default(),
        code.sheet.clone().unwrap_or_default(),
        ec_level_name(ec).to_owned(),
        code.modules.to_string(),
        code.payload.clone(),
    ];
    let mut line = fields
        .iter()
        .map(|field| csv_field(field))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// Writes the codes of `uids` into `out_dir` as `options` says, and their manifest rows.
pub fn export_codes(
    uids: &[Uid],
    options: &ExportOptions,
    out_dir: &Path,
) -> Result<ExportReport, QrError> {
    options.check()?;
    prepare_out_dir(out_dir)?;
    let mut symbols = Vec::with_capacity(uids.len());
    let mut codes = Vec::with_capacity(uids.len());
    for uid in uids {
        let payload = options.payload(uid);
        let symbol = QrSymbol::encode(&payload, options.ec)?;
        let name = uid.to_string();
        let png = options.png.then(|| format!("{name}.png"));
        let svg = options.svg.then(|| format!("{name}.svg"));
        if let Some(file) = &png {
            write_png(&symbol, options.module_px, &out_dir.join(file))?;
        }
        if let Some(file) = &svg {
            write_svg(&symbol, options.module_px, &out_dir.join(file))?;
        }
        codes.push(ExportedCode {
            uid: uid.clone(),
            payload,
            modules: symbol.modules(),
            png,
            svg,
            sheet: None,
        });
        symbols.push(symbol);
    }
    let mut sheets = Vec::new();
    if options.sheet {
        let per_sheet = SHEET_COLUMNS * SHEET_ROWS;
        for (page, start) in (0..uids.len()).step_by(per_sheet).enumerate() {
            let end = (start + per_sheet).min(uids.len());
            let captions: Vec<String> = uids[start..end].iter().map(Uid::to_string).collect();
            let entries: Vec<SheetEntry<'_>> = symbols[start..end]
                .iter()
                .zip(&captions)
                .map(|(symbol, caption)| SheetEntry { symbol, caption })
                .collect();
            let stem = format!("sheet-{}-{:05}", captions[0], uids[end - 1].seq());
            let mut names = Vec::new();
            if options.png {
                let name = format!("{stem}.png");
                let path = out_dir.join(&name);
                png_sheet(&entries, options.module_px)?
                    .save(&path)
                    .map_err(|source| QrError::Image { path, source })?;
                names.push(name);
            }
            if options.svg {
                let name = format!("{stem}.svg");
                let path = out_dir.join(&name);
                std::fs::write(&path, svg_sheet(&entries, options.module_px)?)
                    .map_err(|source| QrError::Io { path, source })?;
                names.push(name);
            }
            tracing::debug!("sheet {} of the export: {}", page + 1, names.join(", "));
            for code in &mut codes[start..end] {
                code.sheet = Some(names.join(" "));
            }
            sheets.extend(names);
        }
    }
    let manifest = out_dir.join(MANIFEST_FILE);
    let is_new = !manifest.exists();
    let mut text = String::new();
    if is_new {
        text.push_str(MANIFEST_HEADER);
        text.push('\n');
    }
    for code in &codes {
        text.push_str(&manifest_line(code, options.ec));
    }
    let write = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
        });
    write.map_err(|source| QrError::Io {
        path: manifest.clone(),
        source,
    })?;
    Ok(ExportReport {
        out_dir: out_dir.to_owned(),
        codes,
        sheets,
        manifest,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn uids(first: u32, count: u32) -> Vec<Uid> {
        (first..first + count)
            .map(|seq| format!("PAD-V0100-L2025-09-{seq:05}").parse().unwrap())
            .collect()
    }

    #[test]
    fn a_batch_exports_files_sheets_and_a_manifest_that_grows() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("codes");
        let options = ExportOptions {
            ec: EcLevel::H,
            module_px: 2,
            png: true,
            svg: true,
            sheet: true,
            payload_template: None,
        };
        let report = export_codes(&uids(1, 50), &options, &out).unwrap();
        assert_eq!(report.codes.len(), 50);
        assert_eq!(
            report.sheets,
            [
                "sheet-PAD-V0100-L2025-09-00001-00048.png",
                "sheet-PAD-V0100-L2025-09-00001-00048.svg",
                "sheet-PAD-V0100-L2025-09-00049-00050.png",
                "sheet-PAD-V0100-L2025-09-00049-00050.svg"
            ]
        );
        for name in report.sheets.iter().chain(
            report
                .codes
                .iter()
                .flat_map(|code| code.png.iter().chain(code.svg.iter())),
        ) {
            assert!(out.join(name).is_file(), "{name}");
        }
        let manifest = std::fs::read_to_string(&report.manifest).unwrap();
        let lines: Vec<_> = manifest.lines().collect();
        assert_eq!(lines.len(), 51);
        assert_eq!(lines[0], MANIFEST_HEADER);
        let modules = report.codes[0].modules;
        assert_eq!(
            lines[49],
            format!(
                "PAD-V0100-L2025-09-00049,PAD,V0100,L2025-09,00049,PAD-V0100-L2025-09-00049.png,PAD-V0100-L2025-09-00049.svg,sheet-PAD-V0100-L2025-09-00049-00050.png sheet-PAD-V0100-L2025-09-00049-00050.svg,H,{modules},PAD-V0100-L2025-09-00049"
            )
        );
        // A second batch into the same folder appends to its manifest.
        let second = ExportOptions {
            payload_template: Some("https://parts.example/item?id={uid}&v=1".to_owned()),
            svg: false,
            sheet: false,
            ..options
        };
        export_codes(&uids(51, 2), &second, &out).unwrap();
        let manifest = std::fs::read_to_string(&report.manifest).unwrap();
        assert_eq!(manifest.lines().count(), 53);
        assert!(
            manifest
                .lines()
                .last()
                .unwrap()
                .ends_with(",https://parts.example/item?id=PAD-V0100-L2025-09-00052&v=1"),
            "{manifest}"
        );
    }

    #[test]
    fn bad_options_and_foreign_manifests_are_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let none = ExportOptions {
            png: false,
            svg: false,
            ..ExportOptions::default()
        };
        assert!(
            none.check()
                .unwrap_err()
                .to_string()
                .contains("at least one format")
        );
        let constant = ExportOptions {
            payload_template: Some("https://example".into()),
            ..ExportOptions::default()
        };
        assert!(constant.check().unwrap_err().to_string().contains("{uid}"));
        std::fs::write(dir.path().join(MANIFEST_FILE), "name,qty\n").unwrap();
        let err = export_codes(&uids(1, 1), &ExportOptions::default(), dir.path()).unwrap_err();
        assert!(err.to_string().contains("other columns"), "{err}");
        assert!(!dir.path().join("PAD-V0100-L2025-09-00001.png").exists());
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }
}
