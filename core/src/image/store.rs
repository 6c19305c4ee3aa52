//! Writing signatures into a registry without losing anyone else's.
//!
//! The `.sig` tag and the referrers fallback index are read-modify-write documents, and distribution registries
//! offer no conditional writes. So every update re-reads after writing, waits a settle delay, and re-reads
//! again; if its entry has vanished (a concurrent writer overwrote it with a stale copy), it merges again and
//! retries. Entries already present are not written twice.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{BUNDLE_MEDIA_TYPE, SIGNATURE_ANNOTATION, attachment_tag, fallback_tag};
use crate::gojson;
use crate::oci::backoff::jittered;
use crate::oci::client::{Client, FetchedManifest, ManifestInfo};
use crate::oci::manifest::{
    self, Descriptor, EMPTY_JSON, Index, Manifest, OCI_CONFIG, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST,
};
use crate::oci::{ImageRef, RegistryError};

/// How hard a read-modify-write tries before giving up.
#[derive(Clone, Copy, Debug)]
pub struct WritePolicy {
    /// Attempts before reporting a conflict.
    pub max_attempts: u32,
    /// Time to wait after a successful write before confirming it is still there.
    pub settle: Duration,
}

impl Default for WritePolicy {
    fn default() -> Self {
        Self {
            max_attempts: 12,
            settle: Duration::from_millis(300),
        }
    }
}

/// A write failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The existing document under the tag could not be read.
    #[error("{what} under tag '{tag}' is not a valid manifest: {reason}")]
    Existing {
        /// What the tag holds.
        what: &'static str,
        /// The tag.
        tag: String,
        /// What is wrong.
        reason: String,
    },
    /// Concurrent writers kept overwriting the entry.
    #[error("tag '{tag}' kept changing under concurrent writers; gave up after {attempts} attempts")]
    Conflict {
        /// The tag.
        tag: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// Pushes a bundle as an OCI 1.1 referrer of `subject` into `repo` (cosign's `WriteReferrer`), then records it
/// in the fallback index when the registry has no referrers API. Returns the referrer manifest's digest.
pub fn write_bundle_referrer(
    client: &Client,
    repo: &ImageRef,
    subject: &ManifestInfo,
    bundle_json: &[u8],
    predicate_type: &str,
    created: &str,
    policy: WritePolicy,
) -> Result<String, StoreError> {
    let config_digest = client.put_blob(repo, EMPTY_JSON)?;
    let layer_digest = client.put_blob(repo, bundle_json)?;
    let mut config = Descriptor::of(OCI_EMPTY, EMPTY_JSON);
    config.digest = config_digest;
    config.artifact_type = Some(BUNDLE_MEDIA_TYPE.into());
    let mut layer = Descriptor::of(BUNDLE_MEDIA_TYPE, bundle_json);
    layer.digest = layer_digest;
    layer.annotations.insert(
        "org.opencontainers.image.title".into(),
        format!("{}.sigstore.json", fallback_tag(&layer.digest)),
    );
    let m = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: Some(BUNDLE_MEDIA_TYPE.into()),
        config,
        layers: vec![layer],
        subject: Some(Descriptor {
            media_type: subject.media_type.clone(),
            size: subject.size,
            digest: subject.digest.clone(),
            annotations: BTreeMap::new(),
            platform: None,
            artifact_type: None,
        }),
        annotations: BTreeMap::from([
            (super::CREATED_ANNOTATION.to_string(), created.to_string()),
            (super::CONTENT_ANNOTATION.to_string(), "dsse-envelope".to_string()),
            (super::PREDICATE_TYPE_ANNOTATION.to_string(), predicate_type.to_string()),
        ]),
    };
    let bytes = m.to_go_json().into_bytes();
    let digest = manifest::sha256_digest(&bytes);
    client.put_manifest(repo, &digest, OCI_MANIFEST, &bytes)?;
    if client.referrers(repo, &subject.digest)?.is_none() {
        let mut entry = Descriptor::of(OCI_MANIFEST, &bytes);
        entry.artifact_type = Some(BUNDLE_MEDIA_TYPE.into());
        add_to_fallback_index(client, repo, &subject.digest, entry, policy)?;
    }
    Ok(digest)
}

/// Adds `entry` to the referrers fallback index of `subject` (tag `sha256-<hex>`), keeping every other entry.
pub fn add_to_fallback_index(
    client: &Client,
    repo: &ImageRef,
    subject: &str,
    entry: Descriptor,
    policy: WritePolicy,
) -> Result<(), StoreError> {
    let tag = fallback_tag(subject);
    let present = |m: &FetchedManifest| {
        Index::from_json(&m.bytes).is_ok_and(|i| i.manifests.iter().any(|d| d.digest == entry.digest))
    };
    update_tag(client, repo, &tag, policy, &present, |current| {
        let mut index = match current {
            None => Index {
                schema_version: 2,
                media_type: Some(OCI_INDEX.into()),
                ..Index::default()
            },
            Some(m) => Index::from_json(&m.bytes).map_err(|e| StoreError::Existing {
                what: "the referrers fallback index",
                tag: tag.clone(),
                reason: e.to_string(),
            })?,
        };
        if index.manifests.iter().any(|d| d.digest == entry.digest) {
            return Ok(None);
        }
        index.manifests.push(entry.clone());
        // go-containerregistry keeps the list sorted by digest.
        index.manifests.sort_by(|a, b| a.digest.cmp(&b.digest));
        index.media_type.get_or_insert_with(|| OCI_INDEX.into());
        Ok(Some((OCI_INDEX.to_string(), index.to_go_json().into_bytes())))
    })
}

/// One legacy signature layer to append to a `.sig`/`.att` manifest.
pub struct LegacyLayer<'a> {
    /// The layer media type (simple signing, or DSSE for attestations).
    pub media_type: &'a str,
    /// The layer bytes (payload or envelope).
    pub bytes: &'a [u8],
    /// The layer annotations (the signature, and optional certificate, chain, bundle, predicate type).
    pub annotations: BTreeMap<String, String>,
    /// Which existing layers to keep.
    pub keep: Keep,
}

/// Which existing layers of an attachment manifest survive an append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every layer (signatures, and attestations without `--replace`).
    All,
    /// Every layer except those whose annotation `key` equals `value` (`attest --replace` drops earlier
    /// attestations of the same predicate type).
    AllExcept {
        /// The annotation key.
        key: String,
        /// The value of layers to drop.
        value: String,
    },
    /// None: the new layer replaces the whole attachment (`attach sbom`, as cosign).
    Nothing,
}

/// Appends a layer to the legacy attachment manifest of `subject` (`sha256-<hex>.<suffix>`), keeping the
/// existing layers and skipping a layer identical to one already there (cosign's dupe detector).
pub fn append_legacy_layer(
    client: &Client,
    repo: &ImageRef,
    subject: &str,
    suffix: &str,
    layer: LegacyLayer<'_>,
    policy: WritePolicy,
) -> Result<(), StoreError> {
    let tag = attachment_tag(subject, suffix);
    let layer_digest = client.put_blob(repo, layer.bytes)?;
    let mut desc = Descriptor::of(layer.media_type, layer.bytes);
    desc.digest = layer_digest;
    desc.annotations = layer.annotations.clone();
    let same = |d: &Descriptor| {
        d.digest == desc.digest && d.annotations.get(SIGNATURE_ANNOTATION) == desc.annotations.get(SIGNATURE_ANNOTATION)
    };
    let present = |m: &FetchedManifest| Manifest::from_json(&m.bytes).is_ok_and(|x| x.layers.iter().any(same));
    update_tag(client, repo, &tag, policy, &present, |current| {
        let mut layers = match current {
            None => Vec::new(),
            Some(m) => {
                Manifest::from_json(&m.bytes)
                    .map_err(|e| StoreError::Existing {
                        what: "the signature manifest",
                        tag: tag.clone(),
                        reason: e.to_string(),
                    })?
                    .layers
            }
        };
        let before = layers.len();
        match &layer.keep {
            Keep::All => {}
            Keep::AllExcept { key, value } => {
                layers.retain(|l| same(l) || l.annotations.get(key) != Some(value));
            }
            Keep::Nothing => layers.retain(same),
        }
        if layers.iter().any(same) && layers.len() == before {
            return Ok(None);
        }
        if !layers.iter().any(same) {
            layers.push(desc.clone());
        }
        let bytes = legacy_manifest(client, repo, layers, BTreeMap::new())?;
        Ok(Some((OCI_MANIFEST.to_string(), bytes)))
    })
}

/// A legacy attachment manifest (`.sig`/`.att`) holding `layers`, with the config blob go-containerregistry
/// writes for it, which is uploaded here; returns the manifest bytes.
pub(crate) fn legacy_manifest(
    client: &Client,
    repo: &ImageRef,
    layers: Vec<Descriptor>,
    annotations: BTreeMap<String, String>,
) -> Result<Vec<u8>, RegistryError> {
    let config_bytes = legacy_config(&layers);
    let config_digest = client.put_blob(repo, &config_bytes)?;
    let mut config = Descriptor::of(OCI_CONFIG, &config_bytes);
    config.digest = config_digest;
    let m = Manifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.into()),
        artifact_type: None,
        config,
        layers,
        subject: None,
        annotations,
    };
    Ok(m.to_go_json().into_bytes())
}

/// The config blob go-containerregistry writes for cosign's signature image: an empty image config with one
/// history entry and one diff id per layer.
fn legacy_config(layers: &[Descriptor]) -> Vec<u8> {
    const ZERO: &str = "0001-01-01T00:00:00Z";
    let history: Vec<String> = layers
        .iter()
        .map(|_| gojson::object(&[("created", gojson::string(ZERO))]))
        .collect();
    let diff_ids: Vec<String> = layers.iter().map(|l| gojson::string(&l.digest)).collect();
    gojson::object(&[
        ("architecture", gojson::string("")),
        ("created", gojson::string(ZERO)),
        ("history", gojson::array(&history)),
        ("os", gojson::string("")),
        (
            "rootfs",
            gojson::object(&[
                ("type", gojson::string("layers")),
                ("diff_ids", gojson::array(&diff_ids)),
            ]),
        ),
        ("config", "{}".to_string()),
    ])
    .into_bytes()
}

/// Read-modify-write of one tag with verification after the write. `modify` returns the new document, or
/// `None` when the entry is already there; `present` tells whether the entry is in a document. The tag is
/// read again after the write and after a settle delay, and modified again when a concurrent writer dropped
/// the entry.
pub(crate) fn update_tag<E: From<StoreError> + From<RegistryError>>(
    client: &Client,
    repo: &ImageRef,
    tag: &str,
    policy: WritePolicy,
    present: &dyn Fn(&FetchedManifest) -> bool,
    mut modify: impl FnMut(Option<&FetchedManifest>) -> Result<Option<(String, Vec<u8>)>, E>,
) -> Result<(), E> {
    for attempt in 1..=policy.max_attempts {
        let current = client.get_manifest(repo, tag)?;
        if let Some((media_type, bytes)) = modify(current.as_ref())? {
            client.put_manifest(repo, tag, &media_type, &bytes)?;
        }
        if client.get_manifest(repo, tag)?.is_some_and(|m| present(&m)) {
            // A writer that read before our write may still overwrite it: confirm after a settle delay.
            std::thread::sleep(jittered(policy.settle, policy.settle));
            if client.get_manifest(repo, tag)?.is_some_and(|m| present(&m)) {
                return Ok(());
            }
        }
        std::thread::sleep(jittered(Duration::from_millis(20), Duration::from_millis(20) * attempt));
    }
    Err(StoreError::Conflict {
        tag: tag.to_string(),
        attempts: policy.max_attempts,
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_config_matches_ggcr_shape() {
        let l = Descriptor::of("x", b"payload");
        let c = String::from_utf8(legacy_config(std::slice::from_ref(&l))).unwrap();
        assert_eq!(
            c,
            format!(
                r#"{{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{{"created":"0001-01-01T00:00:00Z"}}],"os":"","rootfs":{{"type":"layers","diff_ids":["{}"]}},"config":{{}}}}"#,
                l.digest
            )
        );
    }
}
