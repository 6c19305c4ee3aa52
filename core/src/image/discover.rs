//! Finding what is attached to an image: bundle referrers (referrers API, else the fallback index) and legacy
//! `.sig`/`.att` layers. Layers are picked by their own media type; an index entry's `artifactType` and the
//! predicate-type annotation are never trusted.

use std::collections::BTreeMap;

use super::{BUNDLE_MEDIA_TYPE, MAX_SIGNATURES, attachment_tag, fallback_tag};
use crate::limits::MAX_DOCUMENT_BYTES;
use crate::oci::manifest::{Descriptor, Index, Manifest};
use crate::oci::{Client, ImageRef, RegistryError};

/// A bundle found as a referrer.
#[derive(Clone, Debug)]
pub struct BundleCandidate {
    /// The referrer manifest's digest.
    pub manifest_digest: String,
    /// The bundle layer's digest.
    pub layer_digest: String,
    /// The bundle bytes.
    pub bytes: Vec<u8>,
}

/// A layer found in a legacy attachment manifest.
#[derive(Clone, Debug)]
pub struct LegacyCandidate {
    /// The layer's media type.
    pub media_type: String,
    /// The layer's digest.
    pub layer_digest: String,
    /// The layer bytes (payload or envelope).
    pub bytes: Vec<u8>,
    /// The layer annotations.
    pub annotations: BTreeMap<String, String>,
}

/// What discovery found, and which entries it could not read.
#[derive(Clone, Debug, Default)]
pub struct Attachments {
    /// Bundles from referrers.
    pub bundles: Vec<BundleCandidate>,
    /// Every referrer descriptor listed (bundles and anything else).
    pub referrers: Vec<Descriptor>,
    /// Entries that were listed but could not be fetched (reported, never silently dropped).
    pub unreadable: Vec<String>,
}

/// Lists the referrers of `digest` in `repo`: the referrers API when the registry has one, else the fallback
/// tag. A failed or throttled listing is an error.
pub fn list_referrers(
    client: &Client,
    repo: &ImageRef,
    digest: &str,
) -> Result<(Vec<Descriptor>, String), RegistryError> {
    if let Some(index) = client.referrers(repo, digest)? {
        return Ok((index.manifests, "referrers API".into()));
    }
    let tag = fallback_tag(digest);
    let source = format!("fallback tag {tag}");
    match client.get_manifest(repo, &tag)? {
        None => Ok((Vec::new(), source)),
        Some(m) => {
            let index = Index::from_json(&m.bytes).map_err(|e| RegistryError::Malformed {
                registry: repo.registry.clone(),
                what: format!("referrers fallback index {tag}"),
                reason: e.to_string(),
            })?;
            Ok((index.manifests, source))
        }
    }
}

/// Finds the Sigstore bundles that refer to `digest`.
pub fn find_bundles(client: &Client, repo: &ImageRef, digest: &str) -> Result<Attachments, RegistryError> {
    let (referrers, _) = list_referrers(client, repo, digest)?;
    let mut out = Attachments::default();
    let mut budget = MAX_ATTACHED_BYTES;
    for desc in referrers.iter().take(MAX_SIGNATURES) {
        // Only manifests can hold bundle layers; skip nested indexes and other kinds.
        let manifest = match client.get_manifest(repo, &desc.digest) {
            Ok(Some(m)) => m,
            Ok(None) => {
                out.unreadable
                    .push(format!("referrer {} is listed but does not exist", desc.digest));
                continue;
            }
            Err(e) => {
                out.unreadable.push(format!("referrer {}: {e}", desc.digest));
                continue;
            }
        };
        let Ok(parsed) = Manifest::from_json(&manifest.bytes) else {
            out.unreadable
                .push(format!("referrer {} is not an image manifest", desc.digest));
            continue;
        };
        for layer in parsed.layers.iter().filter(|l| is_bundle_media_type(&l.media_type)) {
            if layer.size < 0 || layer.size as u64 > budget {
                out.unreadable.push(format!(
                    "bundle layer {} of referrer {} has {} bytes, over what is left of the {MAX_ATTACHED_BYTES} bytes read per image",
                    layer.digest, desc.digest, layer.size
                ));
                continue;
            }
            match client.get_blob(repo, &layer.digest, budget.min(MAX_DOCUMENT_BYTES)) {
                Ok(bytes) => {
                    budget = budget.saturating_sub(bytes.len() as u64);
                    out.bundles.push(BundleCandidate {
                        manifest_digest: desc.digest.clone(),
                        layer_digest: layer.digest.clone(),
                        bytes,
                    });
                }
                Err(e) => out.unreadable.push(format!(
                    "bundle layer {} of referrer {}: {e}",
                    layer.digest, desc.digest
                )),
            }
        }
    }
    out.referrers = referrers;
    Ok(out)
}

/// Most bytes of attachments read for one image and format, so a hostile registry cannot make hsign hold
/// 100 signatures of 128 MiB each.
pub const MAX_ATTACHED_BYTES: u64 = 256 * 1024 * 1024;

/// The platform manifests an image index lists, with their digests checked.
pub fn index_children(
    client: &Client,
    image: &ImageRef,
    index_digest: &str,
) -> Result<Vec<(ImageRef, crate::oci::client::ManifestInfo)>, RegistryError> {
    let malformed = |reason: String| RegistryError::Malformed {
        registry: image.registry.clone(),
        what: format!("image index {}@{index_digest}", image.name()),
        reason,
    };
    let fetched = client
        .get_manifest(image, index_digest)?
        .ok_or_else(|| malformed("vanished".into()))?;
    let index = Index::from_json(&fetched.bytes).map_err(|e| malformed(e.to_string()))?;
    index
        .manifests
        .into_iter()
        .map(|d| {
            if !crate::oci::reference::is_digest(&d.digest) {
                return Err(malformed(format!("entry digest '{}' is not a digest", d.digest)));
            }
            let info = crate::oci::client::ManifestInfo {
                digest: d.digest.clone(),
                media_type: d.media_type,
                size: d.size,
            };
            Ok((image.with_digest(&d.digest), info))
        })
        .collect()
}

/// True for the media types of Sigstore bundles (`application/vnd.dev.sigstore.bundle.v0.3+json` and its
/// older `+json;version=` spellings).
pub fn is_bundle_media_type(media_type: &str) -> bool {
    media_type == BUNDLE_MEDIA_TYPE || media_type.starts_with("application/vnd.dev.sigstore.bundle")
}

/// Reads the legacy attachment of `digest` with `suffix` (`sig`, `att`, `sbom`): its layers of `media_type`
/// (all layers when `None`), at most [`MAX_SIGNATURES`].
pub fn find_legacy(
    client: &Client,
    repo: &ImageRef,
    digest: &str,
    suffix: &str,
    media_type: Option<&str>,
) -> Result<Vec<LegacyCandidate>, RegistryError> {
    let tag = attachment_tag(digest, suffix);
    let Some(m) = client.get_manifest(repo, &tag)? else {
        return Ok(Vec::new());
    };
    let manifest = Manifest::from_json(&m.bytes).map_err(|e| RegistryError::Malformed {
        registry: repo.registry.clone(),
        what: format!("manifest {tag}"),
        reason: e.to_string(),
    })?;
    let mut out = Vec::new();
    let mut budget = MAX_ATTACHED_BYTES;
    for layer in manifest
        .layers
        .iter()
        .filter(|l| media_type.is_none_or(|t| l.media_type == t))
        .take(MAX_SIGNATURES)
    {
        if layer.size < 0 || layer.size as u64 > budget {
            return Err(RegistryError::TooLarge {
                registry: repo.registry.clone(),
                what: format!("the layers of {tag}"),
                limit: MAX_ATTACHED_BYTES,
            });
        }
        let bytes = client.get_blob(repo, &layer.digest, budget.min(MAX_DOCUMENT_BYTES))?;
        budget = budget.saturating_sub(bytes.len() as u64);
        out.push(LegacyCandidate {
            media_type: layer.media_type.clone(),
            layer_digest: layer.digest.clone(),
            bytes,
            annotations: layer.annotations.clone(),
        });
    }
    Ok(out)
}

impl LegacyCandidate {
    /// The layer as `cosign download signature` prints it: `Base64Signature`, `Payload` (base64), `Cert`,
    /// `Chain` and `Bundle` (the Rekor bundle object, or null).
    pub fn download_document(&self) -> serde_json::Value {
        let get = |k: &str| {
            self.annotations
                .get(k)
                .filter(|v| !v.is_empty())
                .map(|v| serde_json::Value::String(v.clone()))
                .unwrap_or_default()
        };
        let bundle = self
            .annotations
            .get(super::BUNDLE_ANNOTATION)
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .unwrap_or_default();
        serde_json::json!({
            "Base64Signature": self.annotations.get(super::SIGNATURE_ANNOTATION).cloned().unwrap_or_default(),
            "Payload": crate::encoding::to_b64(&self.bytes),
            "Cert": get(super::CERTIFICATE_ANNOTATION),
            "Chain": get(super::CHAIN_ANNOTATION),
            "Bundle": bundle,
            "RFC3161Timestamp": self
                .annotations
                .get(super::TIMESTAMP_ANNOTATION)
                .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
                .unwrap_or_default(),
        })
    }
}
