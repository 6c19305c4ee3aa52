//! Small encoding helpers: strict base64 (standard, and URL-safe where DSSE allows it) and lower-case hex.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

/// Line breaks removed, as Go's base64 decoder ignores `\r` and `\n` (wrapped signatures exist in the wild).
fn unwrapped(s: &str) -> std::borrow::Cow<'_, str> {
    let s = s.trim();
    if s.contains(['\r', '\n']) {
        s.replace(['\r', '\n'], "").into()
    } else {
        s.into()
    }
}

/// Decodes standard padded base64; the error names nothing, callers add the field.
pub(crate) fn b64(s: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(unwrapped(s).as_bytes())
        .map_err(|e| format!("not valid base64: {e}"))
}

/// Decodes standard or URL-safe base64, as DSSE readers must.
pub(crate) fn b64_any(s: &str) -> Result<Vec<u8>, String> {
    let s = unwrapped(s);
    STANDARD
        .decode(s.as_bytes())
        .or_else(|_| URL_SAFE.decode(s.as_bytes()))
        .map_err(|e| format!("not valid base64: {e}"))
}

/// Serializes `value` into a buffer sized up front for `hint` bytes of output, so a large document is not
/// reallocated (a doubling buffer can hold twice the document at its peak).
pub(crate) fn to_json_sized<T: serde::Serialize>(value: &T, hint: usize) -> String {
    let mut out = Vec::with_capacity(hint);
    // Serializing plain strings, numbers and raw JSON into memory cannot fail.
    if serde_json::to_writer(&mut out, value).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Encodes standard padded base64.
pub(crate) fn to_b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Lower-case hex.
pub(crate) fn hex(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Decodes hex (either case); `None` on any bad digit or odd length.
pub(crate) fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let val = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let data = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&data), "0001abff");
        assert_eq!(from_hex("0001ABff").unwrap(), data);
        assert!(from_hex("abc").is_none());
        assert!(from_hex("zz").is_none());
    }

    #[test]
    fn base64_variants() {
        assert_eq!(b64("aGk=").unwrap(), b"hi");
        assert_eq!(b64_any("-_8=").unwrap(), vec![0xfb, 0xff]);
        assert!(b64("-_8=").is_err());
        assert_eq!(b64("aG\r\nk=\n").unwrap(), b"hi");
    }
}
