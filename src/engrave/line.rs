//! How GRBL reads a line: spaces and comments (`(...)`, `;...`) dropped, letters upper-cased,
//! at most 79 significant characters, then words of a letter and a number. Only what a laser
//! sender uses is understood; anything else is the error GRBL would give.

/// GRBL's error codes the simulator produces.
pub mod error {
    /// A word without its letter, or a `%` line.
    pub const EXPECTED_COMMAND_LETTER: u8 = 1;
    pub const BAD_NUMBER_FORMAT: u8 = 2;
    pub const INVALID_STATEMENT: u8 = 3;
    pub const NEGATIVE_VALUE: u8 = 4;
    pub const SETTING_DISABLED: u8 = 5;
    pub const IDLE_ERROR: u8 = 8;
    pub const SYSTEM_GC_LOCK: u8 = 9;
    pub const OVERFLOW: u8 = 11;
    pub const INVALID_JOG_COMMAND: u8 = 16;
    pub const UNSUPPORTED_COMMAND: u8 = 20;
    pub const UNDEFINED_FEED_RATE: u8 = 22;
    pub const UNUSED_WORDS: u8 = 36;
}

/// The characters GRBL keeps of a raw line: no spaces, no comments, upper case.
pub fn significant(raw: &[u8]) -> String {
    let mut out = String::new();
    let mut in_paren = false;
    for &byte in raw {
        match byte {
            b'(' => in_paren = true,
            b')' => in_paren = false,
            b';' if !in_paren => break,
            _ if in_paren => {}
            b' ' | b'\t' => {}
            byte if byte.is_ascii_graphic() => out.push(byte.to_ascii_uppercase() as char),
            _ => {}
        }
    }
    out
}

/// The significant characters of a raw line, or the error GRBL gives for it.
pub fn clean(raw: &[u8]) -> Result<String, u8> {
    let out = significant(raw);
    if out.len() > 79 {
        return Err(error::OVERFLOW);
    }
    if out.starts_with('%') {
        return Err(error::EXPECTED_COMMAND_LETTER);
    }
    Ok(out)
}

/// The words of a G-code line (letter, value).
pub fn words(line: &str) -> Result<Vec<(char, f64)>, u8> {
    let bytes = line.as_bytes();
    let mut words = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let letter = bytes[index] as char;
        if !letter.is_ascii_uppercase() {
            return Err(error::EXPECTED_COMMAND_LETTER);
        }
        let start = index + 1;
        let mut end = start;
        while end < bytes.len() && matches!(bytes[end], b'0'..=b'9' | b'.' | b'-' | b'+') {
            end += 1;
        }
        let value: f64 = line[start..end]
            .parse()
            .map_err(|_| error::BAD_NUMBER_FORMAT)?;
        words.push((letter, value));
        index = end;
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_spaces_and_case_go_before_the_length_check() {
        assert_eq!(clean(b"g1 x10 (burn ? here) y2 ; tail").unwrap(), "G1X10Y2");
        let long = format!("G1X1 ({}) Y2", "c".repeat(200));
        assert_eq!(clean(long.as_bytes()).unwrap(), "G1X1Y2");
        let too_long = format!("G1X{}", "1".repeat(77));
        assert_eq!(clean(too_long.as_bytes()), Err(error::OVERFLOW));
        assert_eq!(clean(b"%"), Err(error::EXPECTED_COMMAND_LETTER));
    }

    #[test]
    fn words_need_a_letter_and_a_number() {
        assert_eq!(
            words("G1X10.5S-0").unwrap(),
            vec![('G', 1.0), ('X', 10.5), ('S', -0.0)]
        );
        assert_eq!(words("X"), Err(error::BAD_NUMBER_FORMAT));
        assert_eq!(words("1X2"), Err(error::EXPECTED_COMMAND_LETTER));
    }
}
