//! A QR symbol for one payload: the module matrix the `qrcode` crate makes at a chosen error
//! correction level, and the quiet zone every export puts around it. Exports draw from this one
//! matrix, so the PNG, the SVG and the sheet of an item all carry the same code.

use crate::domain::EcLevel;

use super::QrError;

/// Light modules around the symbol on every side (the QR standard's minimum).
pub const QUIET_ZONE_MODULES: usize = 4;

/// The error-correction level's letter, as written in manifests and on the command line.
pub fn ec_level_name(ec: EcLevel) -> &'static str {
    match ec {
        EcLevel::L => "L",
        EcLevel::M => "M",
        EcLevel::Q => "Q",
        EcLevel::H => "H",
    }
}

/// Parses `L`, `M`, `Q` or `H` (any case).
pub fn parse_ec_level(text: &str) -> Result<EcLevel, String> {
    match text.trim().to_ascii_uppercase().as_str() {
        "L" => Ok(EcLevel::L),
        "M" => Ok(EcLevel::M),
        "Q" => Ok(EcLevel::Q),
        "H" => Ok(EcLevel::H),
        _ => Err(format!(
            "error correction {text:?} is not one of L, M, Q, H (M is the default; H suits metal)"
        )),
    }
}

/// One encoded payload. Row 0 is the top; the quiet zone is not part of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    payload: String,
    ec: EcLevel,
    modules: usize,
    dark: Vec<bool>,
}

impl QrSymbol {
    /// Encodes `payload` at level `ec`, in the smallest version that holds it.
    pub fn encode(payload: &str, ec: EcLevel) -> Result<Self, QrError> {
        let level = match ec {
            EcLevel::L => qrcode::EcLevel::L,
            EcLevel::M => qrcode::EcLevel::M,
            EcLevel::Q => qrcode::EcLevel::Q,
            EcLevel::H => qrcode::EcLevel::H,
        };
        let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), level).map_err(
            |err| QrError::Encode {
                payload: payload.to_owned(),
                reason: err.to_string(),
            },
        )?;
        Ok(Self {
            payload: payload.to_owned(),
            ec,
            modules: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|colour| colour == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// A symbol from its rows of modules (dark = true), row 0 at the top: for tests and
    /// hand-made marks.
    pub fn from_rows(payload: &str, ec: EcLevel, rows: &[Vec<bool>]) -> Self {
        Self {
            payload: payload.to_owned(),
            ec,
            modules: rows.len(),
            dark: rows.iter().flatten().copied().collect(),
        }
    }

    pub fn payload(&self) -> &str {
        &self.payload
    }

    pub fn ec(&self) -> EcLevel {
        self.ec
    }

    /// Modules per side, without the quiet zone (21 for version 1).
    pub fn modules(&self) -> usize {
        self.modules
    }

    /// Modules per side with the quiet zone on both sides.
    pub fn side_modules(&self) -> usize {
        self.modules + 2 * QUIET_ZONE_MODULES
    }

    /// Whether module (`col`, `row`) of the symbol is dark; outside it (the quiet zone) is light.
    pub fn is_dark(&self, col: usize, row: usize) -> bool {
        col < self.modules
            && row < self.modules
            && self
                .dark
                .get(row * self.modules + col)
                .copied()
                .unwrap_or(false)
    }

    /// Horizontal runs of dark modules per row: (row, first column, length).
    pub fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for row in 0..self.modules {
            let mut col = 0;
            while col < self.modules {
                if self.is_dark(col, row) {
                    let start = col;
                    while col < self.modules && self.is_dark(col, row) {
                        col += 1;
                    }
                    runs.push((row, start, col - start));
                } else {
                    col += 1;
                }
            }
        }
        runs
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_symbol_is_the_qrcode_crates_matrix() {
        let symbol = QrSymbol::encode("PAD-V0100-L2025-09-00001", EcLevel::M).unwrap();
        let code = qrcode::QrCode::with_error_correction_level(
            b"PAD-V0100-L2025-09-00001",
            qrcode::EcLevel::M,
        )
        .unwrap();
        assert_eq!(symbol.modules(), code.width());
        assert_eq!(symbol.side_modules(), code.width() + 8);
        for row in 0..code.width() {
            for col in 0..code.width() {
                assert_eq!(
                    symbol.is_dark(col, row),
                    code[(col, row)] == qrcode::Color::Dark
                );
            }
        }
        assert!(!symbol.is_dark(symbol.modules(), 0), "outside is light");
        let dark_in_runs: usize = symbol.dark_runs().iter().map(|run| run.2).sum();
        let dark = (0..symbol.modules())
            .flat_map(|row| (0..symbol.modules()).map(move |col| (col, row)))
            .filter(|&(col, row)| symbol.is_dark(col, row))
            .count();
        assert_eq!(dark_in_runs, dark);
    }

    #[test]
    fn higher_correction_needs_more_modules_and_levels_parse() {
        let m = QrSymbol::encode("PAD-V0100-L2025-09-00001", EcLevel::M).unwrap();
        let h = QrSymbol::encode("PAD-V0100-L2025-09-00001", EcLevel::H).unwrap();
        assert!(h.modules() > m.modules());
        for ec in [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H] {
            assert_eq!(parse_ec_level(ec_level_name(ec)), Ok(ec));
        }
        assert_eq!(parse_ec_level("h"), Ok(EcLevel::H));
        assert!(parse_ec_level("X").unwrap_err().contains("L, M, Q, H"));
        let err = QrSymbol::encode(&"9".repeat(8000), EcLevel::H).unwrap_err();
        assert!(err.to_string().contains("cannot make a QR code"), "{err}");
    }
}
