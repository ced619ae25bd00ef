//! The layout of a QR symbol as the grade needs it: which modules are function patterns, the
//! order data modules carry codeword bits, the masks, how codewords interleave into blocks, and
//! the ideal symbol rebuilt from corrected codewords. Function patterns, block sizes and the
//! rebuilt symbol come from the `qrcode` crate (the encoder the station marks with); the reading
//! order and the masks are written here from the standard and checked against it in the tests.

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::{EcLevel, Version};

/// One symbol's layout.
#[derive(Debug, Clone)]
pub struct Layout {
    pub version: u8,
    pub ec: EcLevel,
    pub mask: u8,
    /// Modules per side.
    pub side: usize,
    /// Function modules (finders, separators, timing, alignment, format and version info).
    pub functional: Vec<bool>,
    /// Each codeword's eight modules `(x, y)`, most significant bit first, in reading order.
    pub codewords: Vec<[(usize, usize); 8]>,
    /// Blocks: for each, the interleaved positions of its data codewords, then of its
    /// error-correction codewords.
    pub blocks: Vec<Block>,
}

/// One Reed–Solomon block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Interleaved codeword positions of the block's data then error-correction codewords.
    pub positions: Vec<usize>,
    pub ec_len: usize,
}

impl Block {
    /// Codewords that protect against misdecoding rather than correct (ISO/IEC 18004, for the
    /// smallest symbols): they do not count towards the correction capacity.
    pub fn misdecode_protection(version: u8, ec: EcLevel) -> usize {
        match (version, ec) {
            (1, EcLevel::L) => 3,
            (1, EcLevel::M) | (2, EcLevel::L) => 2,
            (1, EcLevel::Q | EcLevel::H) | (3, EcLevel::L) => 1,
            _ => 0,
        }
    }
}

/// The error-correction level of the format information's two bits as rqrr reports them.
pub fn ec_from_format_bits(bits: u16) -> EcLevel {
    match bits & 3 {
        0 => EcLevel::M,
        1 => EcLevel::L,
        2 => EcLevel::H,
        _ => EcLevel::Q,
    }
}

/// Whether mask `mask` inverts the data module at column `x`, row `y`.
pub fn mask_bit(mask: u8, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (y / 2 + x / 3).is_multiple_of(2),
        5 => ((x * y) % 2 + (x * y) % 3) == 0,
        6 => ((x * y) % 2 + (x * y) % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + (x * y) % 3).is_multiple_of(2),
    }
}

fn mask_pattern(mask: u8) -> MaskPattern {
    match mask {
        0 => MaskPattern::Checkerboard,
        1 => MaskPattern::HorizontalLines,
        2 => MaskPattern::VerticalLines,
        3 => MaskPattern::DiagonalLines,
        4 => MaskPattern::LargeCheckerboard,
        5 => MaskPattern::Fields,
        6 => MaskPattern::Diamonds,
        _ => MaskPattern::Meadow,
    }
}

impl Layout {
    /// The layout of a version 1–40 symbol at level `ec` with mask 0–7.
    pub fn new(version: u8, ec: EcLevel, mask: u8) -> Option<Self> {
        if !(1..=40).contains(&version) || mask > 7 {
            return None;
        }
        let qr_version = Version::Normal(i16::from(version));
        let side = usize::from(version) * 4 + 17;
        let mut canvas = Canvas::new(qr_version, ec);
        canvas.draw_all_functional_patterns();
        let functional: Vec<bool> = (0..side * side)
            .map(|i| canvas.get((i % side) as i16, (i / side) as i16) != Module::Empty)
            .collect();
        let modules = reading_order(side, &functional);
        let codewords: Vec<[(usize, usize); 8]> = modules
            .chunks_exact(8)
            .map(|chunk| std::array::from_fn(|bit| chunk[bit]))
            .collect();
        let blocks = block_layout(qr_version, ec, codewords.len())?;
        Some(Self {
            version,
            ec,
            mask,
            side,
            functional,
            codewords,
            blocks,
        })
    }

    /// The codewords a sampled symbol carries (`dark[y * side + x]`), unmasked, interleaved.
    pub fn read(&self, dark: &[bool]) -> Vec<u8> {
        self.codewords
            .iter()
            .map(|modules| {
                modules.iter().fold(0u8, |byte, &(x, y)| {
                    (byte << 1) | u8::from(dark[y * self.side + x] ^ mask_bit(self.mask, x, y))
                })
            })
            .collect()
    }

    /// The ideal symbol (dark = true) carrying `codewords` (interleaved, corrected).
    pub fn ideal(&self, codewords: &[u8]) -> Vec<bool> {
        let data_len = self
            .blocks
            .iter()
            .map(|b| b.positions.len() - b.ec_len)
            .sum();
        let mut canvas = Canvas::new(Version::Normal(i16::from(self.version)), self.ec);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&codewords[..data_len], &codewords[data_len..]);
        canvas.apply_mask(mask_pattern(self.mask));
        canvas
            .into_colors()
            .into_iter()
            .map(|colour| colour == qrcode::Color::Dark)
            .collect()
    }
}

/// Data modules in the order they carry bits: column pairs from the right, up then down,
/// skipping the vertical timing column and every function module.
fn reading_order(side: usize, functional: &[bool]) -> Vec<(usize, usize)> {
    let mut order = Vec::with_capacity(side * side);
    let mut right = side as isize - 1;
    let mut upward = true;
    while right >= 1 {
        if right == 6 {
            right -= 1;
        }
        for step in 0..side {
            let y = if upward { side - 1 - step } else { step };
            for x in [right as usize, right as usize - 1] {
                if !functional[y * side + x] {
                    order.push((x, y));
                }
            }
        }
        upward = !upward;
        right -= 2;
    }
    order
}

/// Which interleaved positions belong to which block, found by interleaving tagged data
/// through the `qrcode` crate's own `construct_codewords` (its block table is private).
fn block_layout(version: Version, ec: EcLevel, total: usize) -> Option<Vec<Block>> {
    let data_len = qrcode::bits::Bits::new(version).max_len(ec).ok()? / 8;
    if data_len == 0 || data_len >= total {
        return None;
    }
    // Tag each data codeword with its index, low byte then high byte.
    let tags = |shift: u32| -> Option<Vec<u8>> {
        let raw: Vec<u8> = (0..data_len).map(|i| (i >> shift) as u8).collect();
        Some(qrcode::ec::construct_codewords(&raw, version, ec).ok()?.0)
    };
    let (low, high) = (tags(0)?, tags(8)?);
    let source: Vec<usize> = low
        .iter()
        .zip(&high)
        .map(|(&l, &h)| usize::from(l) | usize::from(h) << 8)
        .collect();
    // The first interleaved column holds each block's first codeword, in rising order.
    let count = source
        .windows(2)
        .position(|pair| pair[1] < pair[0])
        .map_or(1, |at| at + 1);
    let mut starts: Vec<usize> = source[..count].to_vec();
    starts.push(data_len);
    let ec_total = total - data_len;
    if !ec_total.is_multiple_of(count) {
        return None;
    }
    let ec_len = ec_total / count;
    let mut blocks: Vec<Block> = (0..count)
        .map(|_| Block {
            positions: Vec::new(),
            ec_len,
        })
        .collect();
    for index in 0..data_len {
        let position = source.iter().position(|&s| s == index)?;
        let block = starts
            .windows(2)
            .position(|w| (w[0]..w[1]).contains(&index))?;
        blocks[block].positions.push(position);
    }
    for k in 0..ec_total {
        blocks[k % count].positions.push(data_len + k);
    }
    Some(blocks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A symbol the `qrcode` crate encodes, with its mask read from the format information.
    fn encoded(payload: &str, ec: EcLevel) -> (qrcode::QrCode, Layout) {
        let code = qrcode::QrCode::with_error_correction_level(payload, ec).unwrap();
        let side = code.width();
        let colours = code.to_colors();
        let grid =
            rqrr::SimpleGrid::from_func(side, |x, y| colours[y * side + x] == qrcode::Color::Dark);
        let (meta, _) = rqrr::Grid::new(grid).get_raw_data().unwrap();
        assert_eq!(ec_from_format_bits(meta.ecc_level), ec);
        let version = match code.version() {
            Version::Normal(v) => v as u8,
            Version::Micro(_) => unreachable!(),
        };
        (code, Layout::new(version, ec, meta.mask as u8).unwrap())
    }

    #[test]
    fn reading_a_clean_symbol_and_rebuilding_it_gives_the_same_modules() {
        for (payload, ec) in [
            ("PAD-V0100-L2025-09-00001", EcLevel::M),
            ("BRK-V0007-L2026-01-00042", EcLevel::H),
            (
                "https://example.com/a/rather/longer/payload/that/needs/version/seven/or/more/x",
                EcLevel::Q,
            ),
            (&"0123456789".repeat(40), EcLevel::L),
        ] {
            let (code, layout) = encoded(payload, ec);
            let dark: Vec<bool> = code
                .to_colors()
                .iter()
                .map(|&c| c == qrcode::Color::Dark)
                .collect();
            let mut codewords = layout.read(&dark);
            // Every block reads clean.
            for block in &layout.blocks {
                let mut values: Vec<u8> = block.positions.iter().map(|&p| codewords[p]).collect();
                assert_eq!(
                    super::super::reed_solomon::correct(&mut values, block.ec_len),
                    Ok(0),
                    "{payload}"
                );
            }
            assert_eq!(layout.ideal(&codewords), dark, "{payload}");
            // Damage one codeword: its block finds exactly one error.
            codewords[0] ^= 0xff;
            let block = layout
                .blocks
                .iter()
                .find(|b| b.positions.contains(&0))
                .unwrap();
            let mut values: Vec<u8> = block.positions.iter().map(|&p| codewords[p]).collect();
            assert_eq!(
                super::super::reed_solomon::correct(&mut values, block.ec_len),
                Ok(1)
            );
        }
    }

    #[test]
    fn block_layouts_match_the_standard_on_known_versions() {
        // (version, level) → (blocks, EC codewords per block), ISO/IEC 18004 table 9.
        for (version, ec, blocks, ec_len) in [
            (1, EcLevel::M, 1, 10),
            (2, EcLevel::H, 1, 28),
            (3, EcLevel::Q, 2, 18),
            (5, EcLevel::Q, 4, 18),
            (7, EcLevel::M, 4, 18),
            (10, EcLevel::H, 8, 28),
        ] {
            let layout = Layout::new(version, ec, 0).unwrap();
            assert_eq!(layout.blocks.len(), blocks, "v{version} {ec:?}");
            assert!(
                layout.blocks.iter().all(|b| b.ec_len == ec_len),
                "v{version} {ec:?}"
            );
        }
    }

    #[test]
    fn masks_agree_with_the_encoder() {
        for mask in 0..8u8 {
            // All-zero codewords: after masking, a data module is dark exactly where the mask
            // inverts it.
            let layout = Layout::new(2, EcLevel::M, mask).unwrap();
            let clean = layout.ideal(&vec![0u8; layout.codewords.len()]);
            for (x, y) in layout.codewords.iter().flatten().copied() {
                assert_eq!(
                    clean[y * layout.side + x],
                    mask_bit(mask, x, y),
                    "mask {mask} at {x},{y}"
                );
            }
        }
    }
}
