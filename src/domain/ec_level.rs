//! A QR code's error-correction level: how much of the symbol may be damaged and still read
//! (L 7 %, M 15 %, Q 25 %, H 30 %; H suits metal, where marks wear).

/// QR error correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum EcLevel {
    L,
    M,
    Q,
    H,
}
