//! in-toto Statements (v0.1 and v1) and cosign's predicate type shortcuts.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::ArtifactDigest;
use crate::error::FormatError;

const DOC: &str = "in-toto statement";

/// The DSSE payload type of in-toto statements.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// `_type` of an in-toto Statement v0.1 (cosign `attest` still writes it).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The predicate type cosign v3 uses for image signatures made as statements.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// A parsed in-toto statement.
#[derive(Clone, Debug)]
pub struct Statement {
    /// `_type`: one of [`STATEMENT_V01`] or [`STATEMENT_V1`].
    pub statement_type: String,
    /// The subjects.
    pub subjects: Vec<Subject>,
    /// `predicateType`.
    pub predicate_type: String,
    /// `predicate`, as the exact JSON text of the payload: validated, but not turned into a tree until
    /// [`Statement::predicate_value`] is asked for (a 50 MiB SBOM stays 50 MiB).
    pub predicate: Box<serde_json::value::RawValue>,
}

/// One subject of a statement.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Subject {
    /// The optional name.
    #[serde(default)]
    pub name: Option<String>,
    /// Digests by algorithm name (`sha256` -> hex).
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
    /// Optional annotations (cosign v3 puts `-a` annotations here).
    #[serde(default)]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatement {
    #[serde(rename = "_type")]
    statement_type: String,
    #[serde(default)]
    subject: Vec<Subject>,
    predicate_type: String,
    #[serde(default = "null_raw")]
    predicate: Box<serde_json::value::RawValue>,
}

fn null_raw() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("null".into()).unwrap_or_else(|_| unreachable!("null is valid JSON"))
}

impl Statement {
    /// Parses a statement from the exact payload bytes of its envelope.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawStatement = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        if raw.statement_type != STATEMENT_V01 && raw.statement_type != STATEMENT_V1 {
            return Err(FormatError::new(
                DOC,
                "_type",
                format!(
                    "is '{}', expected '{STATEMENT_V1}' or '{STATEMENT_V01}'",
                    raw.statement_type
                ),
            ));
        }
        if raw.predicate_type.is_empty() {
            return Err(FormatError::new(DOC, "predicateType", "is empty"));
        }
        Ok(Self {
            statement_type: raw.statement_type,
            subjects: raw.subject,
            predicate_type: raw.predicate_type,
            predicate: raw.predicate,
        })
    }

    /// The predicate as a JSON tree, parsed on demand.
    pub fn predicate_value(&self) -> Result<serde_json::Value, FormatError> {
        serde_json::from_str(self.predicate.get()).map_err(|e| FormatError::json(DOC, &e))
    }

    /// The statement as compact JSON, with the predicate's text as received.
    pub fn to_json(&self) -> String {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            #[serde(rename = "_type")]
            statement_type: &'a str,
            subject: Vec<serde_json::Value>,
            #[serde(rename = "predicateType")]
            predicate_type: &'a str,
            predicate: &'a serde_json::value::RawValue,
        }
        let subject = self
            .subjects
            .iter()
            .map(|s| {
                let mut v = serde_json::json!({ "digest": s.digest });
                if let Some(n) = &s.name {
                    v["name"] = serde_json::json!(n);
                }
                if let Some(a) = &s.annotations {
                    v["annotations"] = serde_json::Value::Object(a.clone());
                }
                v
            })
            .collect();
        let out = Out {
            statement_type: &self.statement_type,
            subject,
            predicate_type: &self.predicate_type,
            predicate: &self.predicate,
        };
        // Serializing strings, maps and already-valid raw JSON cannot fail.
        serde_json::to_string(&out).unwrap_or_default()
    }

    /// The subject whose digest for `digest.algorithm` equals `digest`, if any (hex compared case-insensitively).
    pub fn subject_matching(&self, digest: &ArtifactDigest) -> Option<&Subject> {
        let want = digest.hex();
        self.subjects.iter().find(|s| {
            s.digest
                .get(digest.algorithm.name())
                .is_some_and(|h| h.eq_ignore_ascii_case(&want))
        })
    }
}

/// The `predicateType` of a statement, read without building anything else of it; only for choosing what to
/// verify (the verifier parses and checks the statement itself).
pub fn peek_predicate_type(payload: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Peek {
        #[serde(rename = "predicateType")]
        predicate_type: String,
    }
    serde_json::from_slice::<Peek>(payload).ok().map(|p| p.predicate_type)
}

/// Resolves cosign's `--type` value: a shortcut (`slsaprovenance`, `cyclonedx`, ...) becomes its predicate
/// URI; anything containing `://` is taken as a URI verbatim. `None` for an unknown shortcut.
pub fn predicate_type_for(type_arg: &str) -> Option<&str> {
    Some(match type_arg {
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => "https://slsa.dev/provenance/v1",
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "link" => "https://in-toto.io/Link/v1",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        uri if uri.contains("://") => uri,
        _ => return None,
    })
}

impl PartialEq for Statement {
    fn eq(&self, other: &Self) -> bool {
        self.statement_type == other.statement_type
            && self.subjects == other.subjects
            && self.predicate_type == other.predicate_type
            && self.predicate.get() == other.predicate.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hsign_keys::HashAlgorithm;

    #[test]
    fn finds_the_matching_subject() {
        let json = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"}}],"predicateType":"x","predicate":{}}"#;
        let st = Statement::from_json(json).unwrap();
        assert!(
            st.subject_matching(&ArtifactDigest::of(HashAlgorithm::Sha256, b"abc"))
                .is_some()
        );
        assert!(
            st.subject_matching(&ArtifactDigest::of(HashAlgorithm::Sha256, b"abd"))
                .is_none()
        );
    }

    #[test]
    fn rejects_unknown_statement_type() {
        let err = Statement::from_json(br#"{"_type":"x","predicateType":"p"}"#).unwrap_err();
        assert_eq!(err.field, "_type");
    }

    #[test]
    fn shortcuts_resolve() {
        assert_eq!(
            predicate_type_for("slsaprovenance"),
            Some("https://slsa.dev/provenance/v0.2")
        );
        assert_eq!(
            predicate_type_for("https://example.com/p"),
            Some("https://example.com/p")
        );
        assert_eq!(predicate_type_for("nonsense"), None);
    }
}
