//! The faces the generator draws with, all compiled in so a fresh machine needs nothing:
//! Hack and Ubuntu Light from `epaint_default_fonts`, and from `assets/fonts/` Liberation Sans
//! (Regular, Bold; Debian `fonts-liberation2` 2.1.5, SIL OFL 1.1, metric-compatible with
//! Helvetica, so it stands in for the PDF base-14 fonts on scanned pages) and DejaVu Sans
//! Condensed Bold (Debian `fonts-dejavu-core` 2.37, Bitstream Vera licence), a condensed face
//! like those of label printers. Loading only; drawing is `text`.

use ab_glyph::FontRef;
use serde::{Deserialize, Serialize};

use super::SynthError;

/// A bundled face.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Face {
    Hack,
    UbuntuLight,
    LiberationSans,
    LiberationSansBold,
    DejaVuSansCondensedBold,
}

impl Face {
    /// Faces a label printer might use.
    pub const LABEL: [Self; 5] = [
        Self::Hack,
        Self::UbuntuLight,
        Self::LiberationSans,
        Self::LiberationSansBold,
        Self::DejaVuSansCondensedBold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hack => "Hack",
            Self::UbuntuLight => "Ubuntu Light",
            Self::LiberationSans => "Liberation Sans",
            Self::LiberationSansBold => "Liberation Sans Bold",
            Self::DejaVuSansCondensedBold => "DejaVu Sans Condensed Bold",
        }
    }

    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Hack => epaint_default_fonts::HACK_REGULAR,
            Self::UbuntuLight => epaint_default_fonts::UBUNTU_LIGHT,
            Self::LiberationSans => {
                include_bytes!("../../../assets/fonts/LiberationSans-Regular.ttf")
            }
            Self::LiberationSansBold => {
                include_bytes!("../../../assets/fonts/LiberationSans-Bold.ttf")
            }
            Self::DejaVuSansCondensedBold => {
                include_bytes!("../../../assets/fonts/DejaVuSansCondensed-Bold.ttf")
            }
        }
    }

    pub fn load(self) -> Result<FontRef<'static>, SynthError> {
        FontRef::try_from_slice(self.bytes()).map_err(|err| SynthError::Font {
            name: self.as_str(),
            reason: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use ab_glyph::Font;

    use super::*;

    #[test]
    fn every_face_loads_and_has_the_label_characters() {
        for face in Face::LABEL {
            let font = face.load().unwrap();
            for c in "VGN-0123456789 INF/:#.PCADRWEUFLIHTOS".chars() {
                assert_ne!(font.glyph_id(c).0, 0, "{} lacks {c:?}", face.as_str());
            }
        }
    }
}
