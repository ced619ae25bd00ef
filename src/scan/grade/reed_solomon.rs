//! Reed–Solomon error correction over GF(256) as QR codes use it (field polynomial 0x11d,
//! generator roots α⁰…α^(n−1)): corrects one block and says how many codewords were wrong.
//! rqrr corrects blocks too but does not say how many errors it fixed; the grade's unused
//! error correction and modulation need that count, and the ideal symbol needs the corrected
//! codewords.
//!
//! Syndromes → Berlekamp–Massey (error locator) → Chien search (positions) → Forney (values).

/// GF(256) exponent and logarithm tables.
struct Field {
    exp: [u8; 512],
    log: [u8; 256],
}

impl Field {
    const fn new() -> Self {
        let mut exp = [0u8; 512];
        let mut log = [0u8; 256];
        let mut value: u16 = 1;
        let mut power = 0;
        while power < 255 {
            exp[power] = value as u8;
            log[value as usize] = power as u8;
            value <<= 1;
            if value & 0x100 != 0 {
                value ^= 0x11d;
            }
            power += 1;
        }
        while power < 512 {
            exp[power] = exp[power - 255];
            power += 1;
        }
        Self { exp, log }
    }

    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[usize::from(self.log[usize::from(a)]) + usize::from(self.log[usize::from(b)])]
        }
    }

    fn div(&self, a: u8, b: u8) -> u8 {
        debug_assert!(b != 0, "division by zero in GF(256)");
        if a == 0 {
            0
        } else {
            self.exp[usize::from(self.log[usize::from(a)]) + 255
                - usize::from(self.log[usize::from(b)])]
        }
    }

    /// α^power.
    fn alpha(&self, power: usize) -> u8 {
        self.exp[power % 255]
    }

    /// A polynomial (lowest coefficient first) at `x`.
    fn eval(&self, poly: &[u8], x: u8) -> u8 {
        poly.iter()
            .rev()
            .fold(0, |acc, &coefficient| self.mul(acc, x) ^ coefficient)
    }
}

static FIELD: Field = Field::new();

/// Why a block could not be corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uncorrectable;

/// Corrects `block` (data codewords then `ec_len` error-correction codewords, highest power
/// first as QR stores them) in place; returns how many codewords were wrong.
pub fn correct(block: &mut [u8], ec_len: usize) -> Result<usize, Uncorrectable> {
    let field = &FIELD;
    let n = block.len();
    if ec_len == 0 || ec_len >= n {
        return Err(Uncorrectable);
    }
    // Codeword i is the coefficient of x^(n−1−i).
    let syndromes: Vec<u8> = (0..ec_len)
        .map(|j| {
            let x = field.alpha(j);
            block.iter().fold(0, |acc, &c| field.mul(acc, x) ^ c)
        })
        .collect();
    if syndromes.iter().all(|&s| s == 0) {
        return Ok(0);
    }
    let locator = berlekamp_massey(&syndromes);
    let errors = locator.len() - 1;
    if errors == 0 || 2 * errors > ec_len {
        return Err(Uncorrectable);
    }
    // Chien search: position p (power of x) is wrong when Λ(α^−p) = 0.
    let positions: Vec<usize> = (0..n)
        .filter(|&p| field.eval(&locator, field.alpha(255 - p % 255)) == 0)
        .collect();
    if positions.len() != errors {
        return Err(Uncorrectable);
    }
    // Forney: Ω = S·Λ mod x^ec_len; e_p = X·Ω(X⁻¹) / Λ'(X⁻¹) with X = α^p (first root α⁰).
    let mut omega = vec![0u8; ec_len];
    for (i, &s) in syndromes.iter().enumerate() {
        for (j, &l) in locator.iter().enumerate() {
            if i + j < ec_len {
                omega[i + j] ^= field.mul(s, l);
            }
        }
    }
    // The formal derivative keeps the odd powers (characteristic 2).
    let derivative: Vec<u8> = locator
        .iter()
        .enumerate()
        .skip(1)
        .map(|(power, &c)| if power % 2 == 1 { c } else { 0 })
        .collect();
    for &p in &positions {
        let x = field.alpha(p);
        let x_inv = field.alpha(255 - p % 255);
        let denominator = field.eval(&derivative, x_inv);
        if denominator == 0 {
            return Err(Uncorrectable);
        }
        let value = field.mul(x, field.div(field.eval(&omega, x_inv), denominator));
        block[n - 1 - p] ^= value;
    }
    Ok(errors)
}

/// The error locator Λ (lowest coefficient first, Λ₀ = 1) of the syndromes.
fn berlekamp_massey(syndromes: &[u8]) -> Vec<u8> {
    let field = &FIELD;
    let mut locator = vec![1u8];
    let mut previous = vec![1u8];
    let mut length = 0usize;
    let mut shift = 1usize;
    let mut previous_discrepancy = 1u8;
    for n in 0..syndromes.len() {
        let discrepancy = (0..=length.min(locator.len() - 1))
            .fold(0, |acc, i| acc ^ field.mul(locator[i], syndromes[n - i]));
        if discrepancy == 0 {
            shift += 1;
            continue;
        }
        let scale = field.div(discrepancy, previous_discrepancy);
        let mut next = locator.clone();
        if next.len() < previous.len() + shift {
            next.resize(previous.len() + shift, 0);
        }
        for (i, &c) in previous.iter().enumerate() {
            next[i + shift] ^= field.mul(scale, c);
        }
        if 2 * length <= n {
            previous = locator;
            length = n + 1 - length;
            previous_discrepancy = discrepancy;
            shift = 1;
        } else {
            shift += 1;
        }
        locator = next;
    }
    locator.truncate(length + 1);
    locator
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn block(data: &[u8], ec_len: usize) -> Vec<u8> {
        let mut block = data.to_vec();
        block.extend(qrcode::ec::create_error_correction_code(data, ec_len));
        block
    }

    #[test]
    fn a_clean_block_has_no_errors() {
        let mut clean = block(b"PAD-V0100-L2025", 10);
        let copy = clean.clone();
        assert_eq!(correct(&mut clean, 10), Ok(0));
        assert_eq!(clean, copy);
    }

    #[test]
    fn errors_up_to_half_the_ec_codewords_are_corrected_and_counted() {
        let data: Vec<u8> = (0..44u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for ec_len in [7, 10, 18, 26, 30] {
            let good = block(&data, ec_len);
            for errors in 1..=ec_len / 2 {
                let mut damaged = good.clone();
                for k in 0..errors {
                    let at = k * 5 + 1; // distinct, inside every block tried
                    damaged[at] ^= 0x80 | (k as u8 + 1);
                }
                assert_eq!(
                    correct(&mut damaged, ec_len),
                    Ok(errors),
                    "ec {ec_len}, {errors} errors"
                );
                assert_eq!(damaged, good, "ec {ec_len}, {errors} errors");
            }
        }
    }

    #[test]
    fn too_many_errors_are_refused_not_miscorrected_into_silence() {
        let data: Vec<u8> = (0..16u8).collect();
        let good = block(&data, 10);
        let mut damaged = good.clone();
        for at in [0, 3, 5, 8, 11, 14, 20] {
            damaged[at] ^= 0xff;
        }
        let result = correct(&mut damaged, 10);
        // Seven errors in ten EC codewords: either refused or "corrected" to another codeword,
        // never back to the original.
        assert!(result.is_err() || damaged != good, "{result:?}");
    }
}
