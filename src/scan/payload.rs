//! A decoded code's bytes as text. QR byte mode carries no character set unless an ECI says so,
//! and the decoder core (rqrr) passes byte and kanji segments through as raw bytes: UTF-8 when
//! the bytes are valid UTF-8 (what the station's own marks and most modern codes use), else
//! Shift_JIS when they decode as such without error (kanji mode, older Japanese codes), else
//! ISO-8859-1, the standard's default. An empty payload is no payload: a grid of texture that
//! happens to pass the error correction decodes to nothing, and no mark carries nothing.

/// The text of a payload; `None` when it is empty.
pub fn text(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_owned());
    }
    let (decoded, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if !had_errors {
        return Some(decoded.into_owned());
    }
    Some(bytes.iter().map(|&byte| char::from(byte)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_shift_jis_and_latin1() {
        assert_eq!(text("QC-2026-0001 Ø".as_bytes()).unwrap(), "QC-2026-0001 Ø");
        // "日本" in Shift_JIS.
        assert_eq!(text(&[0x93, 0xfa, 0x96, 0x7b]).unwrap(), "日本");
        // 0xE9 alone is neither UTF-8 nor Shift_JIS: ISO-8859-1 "é".
        assert_eq!(text(&[b'c', b'a', b'f', 0xe9]).unwrap(), "café");
        assert_eq!(text(&[]), None);
    }
}
