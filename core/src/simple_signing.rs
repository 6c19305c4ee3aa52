//! cosign's simple-signing payload, the content of a legacy `.sig` layer:
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"reg/repo"},"image":{"docker-manifest-digest":"sha256:.."},
//!  "type":"cosign container image signature"},"optional":null}
//! ```
//! Written byte-for-byte as Go's `json.Marshal` writes it; verified over the stored bytes, never rebuilt.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::FormatError;
use crate::gojson;

/// The media type of a simple-signing layer.
pub const MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The only `critical.type` cosign accepts.
pub const TYPE: &str = "cosign container image signature";

const DOC: &str = "simple-signing payload";

/// A parsed payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    /// `critical.identity.docker-reference`.
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`.
    pub manifest_digest: String,
    /// `optional`: the signed annotations (`-a k=v`), possibly empty.
    pub optional: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct Raw {
    critical: Critical,
    #[serde(default)]
    optional: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference", default)]
    docker_reference: String,
}

#[derive(Deserialize)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// The payload cosign writes for `docker_reference` at `digest` with `annotations`.
pub fn build(docker_reference: &str, digest: &str, annotations: &BTreeMap<String, String>) -> Vec<u8> {
    let critical = gojson::object(&[
        (
            "identity",
            gojson::object(&[("docker-reference", gojson::string(docker_reference))]),
        ),
        (
            "image",
            gojson::object(&[("docker-manifest-digest", gojson::string(digest))]),
        ),
        ("type", gojson::string(TYPE)),
    ]);
    let optional = if annotations.is_empty() {
        "null".to_string()
    } else {
        gojson::string_map(annotations)
    };
    gojson::object(&[("critical", critical), ("optional", optional)]).into_bytes()
}

impl Payload {
    /// Parses a payload, requiring cosign's type string.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: Raw = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        if raw.critical.kind != TYPE {
            return Err(FormatError::new(
                DOC,
                "critical.type",
                format!("is '{}', expected '{TYPE}'", raw.critical.kind),
            ));
        }
        Ok(Self {
            docker_reference: raw.critical.identity.docker_reference,
            manifest_digest: raw.critical.image.docker_manifest_digest,
            optional: raw.optional.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_cosigns_bytes_and_parses_them_back() {
        let d = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";
        let p = build("192.168.64.2:5000/cosign-signed-single-sample", d, &BTreeMap::new());
        // The payload of containers/image's cosign fixture, base64-decoded.
        assert_eq!(
            String::from_utf8(p.clone()).unwrap(),
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"192.168.64.2:5000/cosign-signed-single-sample"}},"image":{{"docker-manifest-digest":"{d}"}},"type":"cosign container image signature"}},"optional":null}}"#
            )
        );
        let parsed = Payload::from_json(&p).unwrap();
        assert_eq!(parsed.manifest_digest, d);
        let with = build("r/x", d, &BTreeMap::from([("tag".to_string(), "latest".to_string())]));
        assert!(
            String::from_utf8(with)
                .unwrap()
                .ends_with(r#""optional":{"tag":"latest"}}"#)
        );
    }

    #[test]
    fn rejects_other_types() {
        let err = Payload::from_json(br#"{"critical":{"identity":{"docker-reference":""},"image":{"docker-manifest-digest":"x"},"type":"other"}}"#)
            .unwrap_err();
        assert_eq!(err.field, "critical.type");
    }
}
