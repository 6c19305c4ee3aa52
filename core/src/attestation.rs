//! Building in-toto attestations as cosign's `attest` and `attest-blob` do: the predicate file becomes the
//! statement's predicate (with cosign's special cases for `custom` and `spdx`), the subject is the image or
//! file digest, and the statement (v1) is signed as DSSE.

use serde_json::{Value, json};

use crate::ArtifactDigest;
use crate::error::FormatError;
use crate::intoto::{self, STATEMENT_V1};

const DOC: &str = "predicate";

/// The predicate type and the predicate's JSON text for a predicate file given with `--type type_arg`.
///
/// - `custom` (and its URI) wraps the raw file: `{"Data": "<file as text>", "Timestamp": "<RFC 3339>"}`;
/// - `spdx` (tag-value SPDX) keeps the raw text as a JSON string;
/// - every other type requires a JSON object, which is validated and kept as written (the file's bytes are
///   reused: a 50 MiB SBOM is neither copied nor turned into a tree).
pub fn predicate(type_arg: &str, file: Vec<u8>, now_rfc3339: &str) -> Result<(String, Vec<u8>), FormatError> {
    let predicate_type = intoto::predicate_type_for(type_arg)
        .ok_or_else(|| {
            FormatError::new(
                DOC,
                "type",
                format!("'{type_arg}' is not a known predicate type nor a URI"),
            )
        })?
        .to_string();
    let text = |file: Vec<u8>| String::from_utf8(file).map_err(|_| FormatError::new(DOC, "", "is not UTF-8 text"));
    let json = match type_arg {
        "custom" => json!({ "Data": text(file)?, "Timestamp": now_rfc3339 })
            .to_string()
            .into_bytes(),
        "spdx" if !file.trim_ascii_start().starts_with(b"{") => Value::String(text(file)?).to_string().into_bytes(),
        _ => {
            serde_json::from_slice::<serde::de::IgnoredAny>(&file).map_err(|e| FormatError::json(DOC, &e))?;
            if !file.trim_ascii_start().starts_with(b"{") {
                return Err(FormatError::new(DOC, "", "is JSON but not an object"));
            }
            file
        }
    };
    Ok((predicate_type, json))
}

/// An in-toto Statement v1 about one subject, with `predicate` (valid JSON text) embedded as written.
pub fn statement(subject_name: &str, digest: &ArtifactDigest, predicate_type: &str, predicate: &[u8]) -> Vec<u8> {
    let head = json!({
        "_type": STATEMENT_V1,
        "subject": [{ "name": subject_name, "digest": { digest.algorithm.name(): digest.hex() } }],
        "predicateType": predicate_type,
    })
    .to_string();
    // `head` is an object: drop its closing brace and append the predicate as the last field.
    let mut out = Vec::with_capacity(head.len() + predicate.len() + 16);
    out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    out.extend_from_slice(b",\"predicate\":");
    out.extend_from_slice(predicate);
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hsign_keys::HashAlgorithm;

    fn v(b: &[u8]) -> Value {
        serde_json::from_slice(b).unwrap()
    }

    #[test]
    fn custom_wraps_the_raw_file_and_others_need_json_objects() {
        let (t, p) = predicate("custom", b"{\"foo\": \"bar\"}\n".to_vec(), "2025-02-28T19:18:11Z").unwrap();
        assert_eq!(t, "https://cosign.sigstore.dev/attestation/v1");
        assert_eq!(
            v(&p),
            json!({"Data": "{\"foo\": \"bar\"}\n", "Timestamp": "2025-02-28T19:18:11Z"})
        );
        let (t, p) = predicate("spdx", b"SPDXVersion: SPDX-2.3\n".to_vec(), "").unwrap();
        assert_eq!(t, "https://spdx.dev/Document");
        assert_eq!(v(&p), Value::String("SPDXVersion: SPDX-2.3\n".into()));
        let (_, p) = predicate("cyclonedx", b" {\"a\": [1, 2]}".to_vec(), "").unwrap();
        assert_eq!(p, b" {\"a\": [1, 2]}", "kept as written");
        assert_eq!(
            predicate("cyclonedx", b"[1]".to_vec(), "").unwrap_err().reason,
            "is JSON but not an object"
        );
        assert!(
            predicate("cyclonedx", b"not json".to_vec(), "")
                .unwrap_err()
                .reason
                .contains("not valid JSON")
        );
        assert!(predicate("nonsense", b"{}".to_vec(), "").is_err());
    }

    #[test]
    fn statement_parses_back_with_the_subject_and_the_predicate_as_written() {
        let d = ArtifactDigest::of(HashAlgorithm::Sha256, b"x");
        let st = intoto::Statement::from_json(&statement("x", &d, "https://slsa.dev/provenance/v1", br#"{"a": 1}"#))
            .unwrap();
        assert!(st.subject_matching(&d).is_some());
        assert_eq!(st.predicate_type, "https://slsa.dev/provenance/v1");
        assert_eq!(st.predicate.get(), r#"{"a": 1}"#);
    }
}
