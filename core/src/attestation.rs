//! Building in-toto attestations as cosign's `attest` and `attest-blob` do: the predicate file becomes the
//! statement's predicate (with cosign's special cases for `custom` and `spdx`), the subject is the image or
//! file digest, and the statement (v1) is signed as DSSE.

use serde_json::{Value, json};

use crate::ArtifactDigest;
use crate::error::FormatError;
use crate::intoto::{self, STATEMENT_V1};

const DOC: &str = "predicate";

/// The predicate type and predicate JSON for a predicate file given with `--type type_arg`.
///
/// - `custom` (and its URI) wraps the raw file: `{"Data": "<file as text>", "Timestamp": "<RFC 3339>"}`;
/// - `spdx` (tag-value SPDX) keeps the raw text as a JSON string;
/// - every other type requires a JSON object (a 50 MiB SBOM is parsed once, never re-read).
pub fn predicate(type_arg: &str, file: &[u8], now_rfc3339: &str) -> Result<(String, Value), FormatError> {
    let predicate_type = intoto::predicate_type_for(type_arg)
        .ok_or_else(|| {
            FormatError::new(
                DOC,
                "type",
                format!("'{type_arg}' is not a known predicate type nor a URI"),
            )
        })?
        .to_string();
    let text = || {
        std::str::from_utf8(file)
            .map(str::to_string)
            .map_err(|_| FormatError::new(DOC, "", "is not UTF-8 text"))
    };
    let value = match type_arg {
        "custom" => json!({ "Data": text()?, "Timestamp": now_rfc3339 }),
        "spdx" if !file.trim_ascii_start().starts_with(b"{") => Value::String(text()?),
        _ => {
            let v: Value = serde_json::from_slice(file).map_err(|e| FormatError::json(DOC, &e))?;
            if !v.is_object() {
                return Err(FormatError::new(DOC, "", "is JSON but not an object"));
            }
            v
        }
    };
    Ok((predicate_type, value))
}

/// An in-toto Statement v1 about one subject.
pub fn statement(subject_name: &str, digest: &ArtifactDigest, predicate_type: &str, predicate: Value) -> Vec<u8> {
    json!({
        "_type": STATEMENT_V1,
        "subject": [{ "name": subject_name, "digest": { digest.algorithm.name(): digest.hex() } }],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hsign_keys::HashAlgorithm;

    #[test]
    fn custom_wraps_the_raw_file_and_others_need_json_objects() {
        let (t, p) = predicate("custom", b"{\"foo\": \"bar\"}\n", "2025-02-28T19:18:11Z").unwrap();
        assert_eq!(t, "https://cosign.sigstore.dev/attestation/v1");
        assert_eq!(
            p,
            json!({"Data": "{\"foo\": \"bar\"}\n", "Timestamp": "2025-02-28T19:18:11Z"})
        );
        let (t, p) = predicate("spdx", b"SPDXVersion: SPDX-2.3\n", "").unwrap();
        assert_eq!(
            (t.as_str(), p),
            (
                "https://spdx.dev/Document",
                Value::String("SPDXVersion: SPDX-2.3\n".into())
            )
        );
        assert_eq!(
            predicate("cyclonedx", b"[1]", "").unwrap_err().reason,
            "is JSON but not an object"
        );
        assert!(
            predicate("cyclonedx", b"not json", "")
                .unwrap_err()
                .reason
                .contains("not valid JSON")
        );
        assert!(predicate("nonsense", b"{}", "").is_err());
    }

    #[test]
    fn statement_parses_back_with_the_subject() {
        let d = ArtifactDigest::of(HashAlgorithm::Sha256, b"x");
        let st = intoto::Statement::from_json(&statement("x", &d, "https://slsa.dev/provenance/v1", json!({"a": 1})))
            .unwrap();
        assert!(st.subject_matching(&d).is_some());
        assert_eq!(st.predicate_type, "https://slsa.dev/provenance/v1");
    }
}
