//! OCI and Docker manifests, indexes and descriptors: lenient reading of what registries return, and writing
//! in go-containerregistry's field order (so hsign's manifests have the bytes cosign's have).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::FormatError;
use crate::gojson;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker schema 2 manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// The OCI 1.1 empty descriptor's media type.
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The two bytes of the empty config blob.
pub const EMPTY_JSON: &[u8] = b"{}";
/// Every manifest media type hsign asks registries for.
pub const ACCEPT_ALL: &str = "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json";

const DOC: &str = "manifest";

/// A content descriptor.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the content.
    #[serde(default)]
    pub media_type: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: i64,
    /// Digest (`sha256:<hex>`).
    #[serde(default)]
    pub digest: String,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Platform (in indexes).
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Artifact type (OCI 1.1).
    #[serde(default)]
    pub artifact_type: Option<String>,
}

/// A platform of an index entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Platform {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: String,
    /// Operating system.
    #[serde(default)]
    pub os: String,
    /// Variant (`v8`).
    #[serde(default)]
    pub variant: Option<String>,
}

/// An image manifest (OCI or Docker schema 2).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    #[serde(default)]
    pub schema_version: i64,
    /// The manifest's media type, when it states it.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Artifact type (OCI 1.1).
    #[serde(default)]
    pub artifact_type: Option<String>,
    /// The config descriptor.
    pub config: Descriptor,
    /// The layers.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The subject (OCI 1.1 referrers).
    #[serde(default)]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (OCI) or manifest list (Docker).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    #[serde(default)]
    pub schema_version: i64,
    /// The media type, when stated.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The entries.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    /// A descriptor of `bytes` with `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.to_string(),
            size: bytes.len() as i64,
            digest: sha256_digest(bytes),
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
        }
    }

    /// The descriptor as go-containerregistry writes it: mediaType, size, digest, annotations, platform,
    /// artifactType.
    pub fn to_go_json(&self) -> String {
        let mut f: Vec<(&str, String)> = vec![
            ("mediaType", gojson::string(&self.media_type)),
            ("size", self.size.to_string()),
            ("digest", gojson::string(&self.digest)),
        ];
        if !self.annotations.is_empty() {
            f.push(("annotations", gojson::string_map(&self.annotations)));
        }
        if let Some(p) = &self.platform {
            let mut pf = vec![
                ("architecture", gojson::string(&p.architecture)),
                ("os", gojson::string(&p.os)),
            ];
            if let Some(v) = &p.variant {
                pf.push(("variant", gojson::string(v)));
            }
            f.push(("platform", gojson::object(&pf)));
        }
        if let Some(a) = &self.artifact_type {
            f.push(("artifactType", gojson::string(a)));
        }
        gojson::object(&f)
    }
}

impl Manifest {
    /// Parses a manifest.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))
    }

    /// Writes the manifest as cosign does (go-containerregistry's `v1.Manifest`, with OCI 1.1's
    /// `artifactType` last, as cosign's referrer manifest adds it).
    pub fn to_go_json(&self) -> String {
        let mut f: Vec<(&str, String)> = vec![("schemaVersion", self.schema_version.to_string())];
        if let Some(m) = &self.media_type {
            f.push(("mediaType", gojson::string(m)));
        }
        f.push(("config", self.config.to_go_json()));
        f.push((
            "layers",
            gojson::array(&self.layers.iter().map(Descriptor::to_go_json).collect::<Vec<_>>()),
        ));
        if !self.annotations.is_empty() {
            f.push(("annotations", gojson::string_map(&self.annotations)));
        }
        if let Some(s) = &self.subject {
            f.push(("subject", s.to_go_json()));
        }
        if let Some(a) = &self.artifact_type {
            f.push(("artifactType", gojson::string(a)));
        }
        gojson::object(&f)
    }
}

impl Index {
    /// Parses an index.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        serde_json::from_slice(data).map_err(|e| FormatError::json("index", &e))
    }

    /// Writes the index as go-containerregistry does.
    pub fn to_go_json(&self) -> String {
        let mut f: Vec<(&str, String)> = vec![("schemaVersion", self.schema_version.to_string())];
        if let Some(m) = &self.media_type {
            f.push(("mediaType", gojson::string(m)));
        }
        f.push((
            "manifests",
            gojson::array(&self.manifests.iter().map(Descriptor::to_go_json).collect::<Vec<_>>()),
        ));
        if !self.annotations.is_empty() {
            f.push(("annotations", gojson::string_map(&self.annotations)));
        }
        gojson::object(&f)
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        crate::encoding::hex(&hsign_keys::HashAlgorithm::Sha256.digest(bytes))
    )
}

/// True for index media types.
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_descriptors_in_ggcr_order_and_round_trips() {
        let mut d = Descriptor::of("application/x", b"{}");
        d.annotations.insert("b".into(), "2".into());
        d.annotations.insert("a".into(), "<1>".into());
        d.artifact_type = Some("t".into());
        assert_eq!(
            d.to_go_json(),
            r#"{"mediaType":"application/x","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","annotations":{"a":"\u003c1\u003e","b":"2"},"artifactType":"t"}"#
        );
        let m = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: Some("at".into()),
            config: Descriptor::of(OCI_EMPTY, EMPTY_JSON),
            layers: vec![d.clone()],
            subject: Some(Descriptor::of(OCI_MANIFEST, b"x")),
            annotations: BTreeMap::from([("k".to_string(), "v".to_string())]),
        };
        let json = m.to_go_json();
        assert!(
            json.starts_with(
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#
            )
        );
        assert!(json.ends_with(r#","artifactType":"at"}"#));
        assert_eq!(Manifest::from_json(json.as_bytes()).unwrap(), m);
    }
}
