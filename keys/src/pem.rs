//! PEM (RFC 7468) reading and writing, lenient where real key files are: CRLF line endings, any line width,
//! leading text before the block. Decoding finds the first block whose label matches.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use zeroize::Zeroizing;

use crate::KeyError;

/// One PEM block: its label (`PUBLIC KEY`) and the decoded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `-----BEGIN ` and `-----`.
    pub label: String,
    /// The base64-decoded contents (zeroized on drop: private keys pass through here).
    pub contents: Zeroizing<Vec<u8>>,
}

/// True when `data` looks like PEM text (it contains a BEGIN line).
pub fn looks_like_pem(data: &[u8]) -> bool {
    std::str::from_utf8(data).is_ok_and(|s| s.contains("-----BEGIN "))
}

/// Decodes every PEM block in `data`, in order.
pub fn decode_all(data: &[u8]) -> Result<Vec<PemBlock>, KeyError> {
    let text = std::str::from_utf8(data).map_err(|_| KeyError::Pem("not PEM text (not UTF-8)".into()))?;
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r').trim());
    while let Some(line) = lines.next() {
        let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|r| r.strip_suffix("-----")) else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut b64 = Zeroizing::new(String::new());
        let mut closed = false;
        for l in lines.by_ref() {
            if l == end {
                closed = true;
                break;
            }
            if l.contains(':') {
                // RFC 1421 headers (Proc-Type: ...) are not used by any format hsign reads.
                return Err(KeyError::Pem(format!(
                    "PEM block '{label}' has headers, which are not supported"
                )));
            }
            b64.push_str(l);
        }
        if !closed {
            return Err(KeyError::Pem(format!(
                "PEM block '{label}' has no END line (truncated?)"
            )));
        }
        let contents = STANDARD
            .decode(b64.as_bytes())
            .map(Zeroizing::new)
            .map_err(|e| KeyError::Pem(format!("PEM block '{label}' is not valid base64: {e}")))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            contents,
        });
    }
    Ok(blocks)
}

/// Decodes the first PEM block in `data`; an error if there is none.
pub fn decode_first(data: &[u8]) -> Result<PemBlock, KeyError> {
    decode_all(data)?
        .into_iter()
        .next()
        .ok_or_else(|| KeyError::Pem("no PEM block found (expected a line '-----BEGIN ...-----')".into()))
}

/// Encodes bytes as one PEM block with 64-column lines and LF line endings, as Go's `pem.Encode` does.
pub fn encode(label: &str, contents: &[u8]) -> String {
    let b64 = STANDARD.encode(contents);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_crlf() {
        let data: Vec<u8> = (0..=200u8).collect();
        let pem = encode("TEST DATA", &data);
        assert!(pem.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
        let crlf = pem.replace('\n', "\r\n");
        for text in [pem, crlf] {
            let b = decode_first(text.as_bytes()).unwrap();
            assert_eq!(b.label, "TEST DATA");
            assert_eq!(*b.contents, data);
        }
    }

    #[test]
    fn rejects_truncated_block() {
        let pem = encode("X", b"hello");
        let cut = &pem[..pem.len() - 12];
        assert!(
            decode_first(cut.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("no END line")
        );
    }

    #[test]
    fn rejects_text_without_block() {
        assert!(decode_first(b"hello").is_err());
        assert!(decode_first(&[0xff, 0xfe]).is_err());
    }
}
