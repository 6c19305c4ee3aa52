//! Checkpoints: the signed tree heads of a transparency log, in the C2SP signed-note format.
//!
//! ```text
//! rekor.sigstore.dev - 2605736670972794746      <- origin
//! 14461401                                      <- tree size
//! hiZ41EGZQqn3qWoXCV7NR4CET8Opt1BWZ56N5FsJuXQ=  <- root hash (base64)
//! Timestamp: 1682132568542746071                <- optional extension lines
//!
//! — rekor.sigstore.dev wNI9ajBFAiEA...          <- one or more signatures: name, base64(key hint[4] || sig)
//! ```
//! The signed text is everything before the blank line, including its final newline.

use crate::encoding::b64;

/// Why a checkpoint was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note is not a well-formed checkpoint.
    #[error("malformed checkpoint: {0}")]
    Malformed(String),
    /// No signature line carries the key hint of the trusted log key.
    #[error("no checkpoint signature is by the log's key (key hint {expected} not among {found})")]
    NoSignatureByLog {
        /// Hex of the key hint expected.
        expected: String,
        /// Hex of the key hints found.
        found: String,
    },
    /// A signature with the log's key hint does not verify.
    #[error("the checkpoint signature by '{name}' does not verify with the log's key")]
    BadSignature {
        /// The signer name on the line.
        name: String,
    },
}

/// One signature line of a signed note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The 4-byte key hint.
    pub key_hint: [u8; 4],
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// A parsed checkpoint with its signatures (not yet verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// The tree size.
    pub tree_size: u64,
    /// The root hash.
    pub root_hash: Vec<u8>,
    /// Extension lines (such as Rekor v1's `Timestamp: <ns>`).
    pub extensions: Vec<String>,
    /// The signed text: the note body up to and including its last newline before the blank line.
    pub signed_text: String,
    /// The signature lines.
    pub signatures: Vec<NoteSignature>,
}

/// Largest checkpoint accepted (a note with a few cosignatures is well under 2 KiB).
const MAX_NOTE: usize = 64 * 1024;

impl Checkpoint {
    /// Parses a signed note holding a checkpoint. Signature lines are read leniently (any run of spaces
    /// between the dash, the name and the signature), as logs have written them with double spaces.
    pub fn parse(note: &str) -> Result<Self, CheckpointError> {
        let bad = |m: &str| CheckpointError::Malformed(m.to_string());
        if note.len() > MAX_NOTE {
            return Err(bad("larger than 64 KiB"));
        }
        let split = note
            .find("\n\n")
            .ok_or_else(|| bad("no blank line between the checkpoint and its signatures"))?;
        let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
        let mut lines = text.lines();
        let origin = lines
            .next()
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size_line = lines.next().ok_or_else(|| bad("no tree size line"))?;
        if size_line.is_empty() || !size_line.bytes().all(|b| b.is_ascii_digit()) || size_line.len() > 20 {
            return Err(bad(&format!("tree size line '{size_line}' is not a decimal number")));
        }
        let tree_size: u64 = size_line.parse().map_err(|_| bad("tree size does not fit 64 bits"))?;
        let root_line = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root_hash = b64(root_line).map_err(|e| bad(&format!("root hash line: {e}")))?;
        if root_hash.len() != 32 {
            return Err(bad(&format!("root hash has {} bytes, expected 32", root_hash.len())));
        }
        let extensions: Vec<String> = lines.map(str::to_string).collect();
        if extensions.iter().any(|l| l.is_empty()) {
            return Err(bad("empty extension line"));
        }
        let mut signatures = Vec::new();
        for line in sigs.split_terminator('\n') {
            let rest = line
                .strip_prefix('\u{2014}')
                .ok_or_else(|| bad(&format!("signature line '{line}' does not start with an em dash")))?;
            let mut parts = rest.split_whitespace();
            let (Some(name), Some(sig), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(bad(&format!("signature line '{line}' is not '— <name> <signature>'")));
            };
            let raw = b64(sig).map_err(|e| bad(&format!("signature of '{name}': {e}")))?;
            if raw.len() < 5 {
                return Err(bad(&format!("signature of '{name}' is too short")));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hint: [raw[0], raw[1], raw[2], raw[3]],
                signature: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("no signature lines"));
        }
        Ok(Self {
            origin: origin.to_string(),
            tree_size,
            root_hash,
            extensions,
            signed_text: text.to_string(),
            signatures,
        })
    }

    /// Verifies that a signature on this checkpoint is by `key`: the first line whose key hint is one of
    /// `hints(name)` must verify. `hints` gives the key hints for a signer name (name-independent for ECDSA
    /// keys, name-bound for Ed25519 keys in C2SP notes).
    pub fn verify_signed_by(
        &self,
        key: &hsign_keys::PublicKey,
        hints: impl Fn(&str) -> Vec<[u8; 4]>,
    ) -> Result<(), CheckpointError> {
        let mut expected = None;
        for sig in &self.signatures {
            let want = hints(&sig.name);
            expected.get_or_insert(want.first().copied().unwrap_or_default());
            if !want.contains(&sig.key_hint) {
                continue;
            }
            return super::verify_log_signature(key, self.signed_text.as_bytes(), &sig.signature).map_err(|_| {
                CheckpointError::BadSignature {
                    name: format!("{} (key hint {})", sig.name, crate::encoding::hex(&sig.key_hint)),
                }
            });
        }
        Err(CheckpointError::NoSignatureByLog {
            expected: expected.map(|h| crate::encoding::hex(&h)).unwrap_or_default(),
            found: self
                .signatures
                .iter()
                .map(|s| crate::encoding::hex(&s.key_hint))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAGING: &str = "rekor.sigstage.dev - 8202293616175992157\n1352760\n4iKqU9tJiTM0+1qHjq0b+Ln488Asz8CuaH8oJWvXSQc=\n\n\u{2014} rekor.sigstage.dev 0y8wozBFAiEAnIjdHAH9uhqBrRNBA4bMaKR30H6qdzW4TAsdB0/KP0ICIDjK9VeE+9dWXSAm/B0aPkhO7pJMLmKPjo9btFD9ZvEs\n";

    #[test]
    fn parses_a_rekor_checkpoint() {
        let c = Checkpoint::parse(STAGING).unwrap();
        assert_eq!(c.origin, "rekor.sigstage.dev - 8202293616175992157");
        assert_eq!(c.tree_size, 1352760);
        assert_eq!(c.signatures.len(), 1);
        assert_eq!(c.signatures[0].name, "rekor.sigstage.dev");
        assert!(c.signed_text.ends_with("=\n"));
    }

    #[test]
    fn refuses_malformed_notes_by_reason() {
        for (note, why) in [
            ("", "blank line"),
            ("origin\n12\nAAAA\n\n\u{2014} n AAAAAAAA\n", "32"),
            (
                "\n12\n4iKqU9tJiTM0+1qHjq0b+Ln488Asz8CuaH8oJWvXSQc=\n\n\u{2014} n AAAAAAAA\n",
                "origin",
            ),
            (
                "o\nx\n4iKqU9tJiTM0+1qHjq0b+Ln488Asz8CuaH8oJWvXSQc=\n\n\u{2014} n AAAAAAAA\n",
                "decimal",
            ),
            ("o\n1\n4iKqU9tJiTM0+1qHjq0b+Ln488Asz8CuaH8oJWvXSQc=\n\n", "no signature"),
            (
                "o\n1\n4iKqU9tJiTM0+1qHjq0b+Ln488Asz8CuaH8oJWvXSQc=\n\n- n AAAAAAAA\n",
                "em dash",
            ),
            (
                "o\n1\n4iKqU9tJiTM0+1qHjq0b+Ln488Asz8CuaH8oJWvXSQc=\n\n\u{2014} n AAA=\n",
                "short",
            ),
        ] {
            let err = Checkpoint::parse(note).unwrap_err().to_string();
            assert!(err.contains(why), "{note:?}: {err}");
        }
    }
}
