//! What belongs to an image: its manifest, the children of an index (nested indexes too), every blob they
//! reference, and, for the image and each child, the legacy attachment manifests (`sha256-<hex>.sig`, `.att`,
//! `.sbom`) and the OCI 1.1 referrers (Sigstore bundles, found through the referrers API or the fallback tag).

use std::collections::{BTreeSet, HashSet};

use super::{AttachmentKind, Selection, TransferError};
use crate::image::attachment_tag;
use crate::image::discover::{is_bundle_media_type, list_referrers};
use crate::intoto::COSIGN_SIGN_PREDICATE;
use crate::oci::manifest::{Descriptor, Index, Manifest, is_index};
use crate::oci::reference::is_digest;
use crate::oci::{Client, ImageRef};

/// Most manifests (image, children, attachments) one image may bring along.
pub const MAX_MANIFESTS: usize = 4096;
/// Most bytes of manifests one image may bring along (they are held in memory until written).
pub const MAX_MANIFEST_TOTAL_BYTES: u64 = 256 * 1024 * 1024;
/// Most referrers examined for one manifest (including those `--only` leaves out and those that do not
/// exist).
pub const MAX_REFERRERS_PER_SUBJECT: usize = 256;
/// Most referrers examined for one image, its children included.
pub const MAX_REFERRERS: usize = 1024;
/// Deepest nesting of indexes followed.
pub const MAX_INDEX_DEPTH: usize = 4;
/// Largest bundle read to tell a signature from an attestation.
pub(crate) const MAX_CLASSIFY_BYTES: u64 = 16 * 1024 * 1024;

/// cosign's artifact type of legacy signatures pushed as OCI 1.1 referrers.
pub const COSIGN_SIG_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
/// cosign's artifact type of SBOMs pushed as OCI 1.1 referrers.
pub const COSIGN_SBOM_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sbom.v1+json";
/// The artifact type of in-toto attestations pushed as OCI 1.1 referrers.
pub const INTOTO_ARTIFACT: &str = "application/vnd.in-toto+json";

/// What a manifest is to the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The image (or index) itself.
    Root,
    /// A manifest listed by an index of the image.
    Child,
    /// A legacy attachment manifest, tagged `sha256-<hex>.<suffix>` next to its subject.
    Legacy {
        /// The digest of the manifest it is attached to.
        subject: String,
        /// Its kind (the tag suffix).
        kind: AttachmentKind,
    },
    /// An OCI 1.1 referrer (its manifest names `subject`).
    Referrer {
        /// The digest of the manifest it refers to.
        subject: String,
        /// Its kind, when hsign knows it.
        kind: Option<AttachmentKind>,
    },
}

/// One manifest to move, with its exact bytes.
#[derive(Clone, Debug)]
pub struct Item {
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// The bytes, as the registry served them.
    pub bytes: Vec<u8>,
    /// What it is to the image.
    pub role: Role,
}

impl Item {
    /// The tag a legacy attachment lives under.
    pub fn legacy_tag(&self) -> Option<String> {
        match &self.role {
            Role::Legacy { subject, kind } => Some(attachment_tag(subject, kind.suffix())),
            _ => None,
        }
    }

    /// The descriptor of this manifest in an index (media type, size, digest).
    pub fn descriptor(&self) -> Descriptor {
        let mut d = Descriptor::of(&self.media_type, &self.bytes);
        d.digest = self.digest.clone();
        d
    }

    /// The artifact type a referrers index lists for this manifest: its `artifactType`, else its config's
    /// media type (the OCI 1.1 rule).
    pub fn artifact_type(&self) -> Option<String> {
        let m = Manifest::from_json(&self.bytes).ok()?;
        m.artifact_type.or(Some(m.config.media_type)).filter(|t| !t.is_empty())
    }
}

/// A blob to move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobRef {
    /// Its digest.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// Everything that belongs to an image.
#[derive(Clone, Debug)]
pub struct Closure {
    /// The image's digest.
    pub digest: String,
    /// The image's media type (a manifest or an index).
    pub media_type: String,
    /// The tag it came from, if any.
    pub tag: Option<String>,
    /// Every manifest: children before the indexes that list them, the root, then the attachments.
    pub manifests: Vec<Item>,
    /// Every blob, once.
    pub blobs: Vec<BlobRef>,
    /// Things listed at the source that could not be carried (a referrer that does not exist).
    pub warnings: Vec<String>,
}

impl Closure {
    /// The root item.
    pub fn root(&self) -> Option<&Item> {
        self.manifests.iter().find(|i| i.role == Role::Root)
    }

    /// How many attachments of each kind (signatures, attestations, SBOMs, others) it carries, counting a
    /// legacy manifest's layers.
    pub fn counts(&self) -> [usize; 4] {
        let mut c = [0; 4];
        for item in &self.manifests {
            let (kind, n) = match &item.role {
                Role::Legacy { kind, .. } => (
                    Some(*kind),
                    Manifest::from_json(&item.bytes).map(|m| m.layers.len()).unwrap_or(0),
                ),
                Role::Referrer { kind, .. } => (*kind, 1),
                _ => continue,
            };
            let i = match kind {
                Some(AttachmentKind::Signature) => 0,
                Some(AttachmentKind::Attestation) => 1,
                Some(AttachmentKind::Sbom) => 2,
                None => 3,
            };
            c[i] += n;
        }
        c
    }

    /// Adds the blobs of every manifest item (config and layers; indexes have none), once each.
    pub(crate) fn gather_blobs(&mut self) -> Result<(), TransferError> {
        let mut seen = BTreeSet::new();
        let mut blobs = Vec::new();
        for item in &self.manifests {
            if is_index(&item.media_type) {
                continue;
            }
            let m = Manifest::from_json(&item.bytes).map_err(|e| TransferError::Malformed {
                what: format!("manifest {}", item.digest),
                reason: e.to_string(),
            })?;
            for d in std::iter::once(&m.config).chain(&m.layers) {
                let blob = blob_ref(d, &item.digest)?;
                if seen.insert(blob.digest.clone()) {
                    blobs.push(blob);
                }
            }
        }
        self.blobs = blobs;
        Ok(())
    }
}

/// The manifests gathered so far, within [`MAX_MANIFESTS`] and [`MAX_MANIFEST_TOTAL_BYTES`].
#[derive(Default)]
pub(crate) struct Gathered {
    pub(crate) items: Vec<Item>,
    digests: HashSet<String>,
    bytes: u64,
}

impl Gathered {
    /// Whether a manifest of this digest was gathered (in any role).
    pub(crate) fn contains(&self, digest: &str) -> bool {
        self.digests.contains(&digest.to_ascii_lowercase())
    }

    /// Adds `item`; the error says which limit it would pass.
    pub(crate) fn add(&mut self, item: Item) -> Result<(), String> {
        if self.items.len() >= MAX_MANIFESTS {
            return Err(format!("the image brings more than {MAX_MANIFESTS} manifests along"));
        }
        let bytes = self.bytes + item.bytes.len() as u64;
        if bytes > MAX_MANIFEST_TOTAL_BYTES {
            return Err(format!(
                "the image brings more than {} MiB of manifests along (at manifest {})",
                MAX_MANIFEST_TOTAL_BYTES >> 20,
                item.digest
            ));
        }
        self.bytes = bytes;
        self.digests.insert(item.digest.to_ascii_lowercase());
        self.items.push(item);
        Ok(())
    }
}

/// A manifest that must be an image manifest (a legacy attachment): parsed, or the reason it is not one.
pub(crate) fn attachment_manifest(media_type: &str, bytes: &[u8]) -> Result<Manifest, String> {
    if is_index(media_type) {
        return Err(format!(
            "is an index ({media_type}); attachments are image manifests, hsign does not carry index attachments"
        ));
    }
    Manifest::from_json(bytes).map_err(|e| format!("is not an image manifest: {e}"))
}

/// A descriptor of a blob, checked: a real digest and a size that is not negative.
pub(crate) fn blob_ref(d: &Descriptor, owner: &str) -> Result<BlobRef, TransferError> {
    if !is_digest(&d.digest) || d.size < 0 {
        return Err(TransferError::Malformed {
            what: format!("manifest {owner}"),
            reason: format!(
                "descriptor '{}' (size {}) is not a valid blob reference",
                d.digest, d.size
            ),
        });
    }
    Ok(BlobRef {
        digest: d.digest.to_ascii_lowercase(),
        size: d.size as u64,
    })
}

/// Collects what belongs to `image` in its registry: the image, its children, and the attachments `only`
/// selects. Legacy attachments must be image manifests (else nothing is pushed). A referrer listed twice is
/// carried once; one whose manifest names another subject (or none), is an index, or does not exist is left
/// out with a warning.
pub fn collect(client: &Client, image: &ImageRef, only: &Selection) -> Result<Closure, TransferError> {
    let root = client
        .get_manifest(image, image.reference())?
        .ok_or_else(|| TransferError::NotFound(image.to_string()))?;
    let root_digest = match &image.digest {
        Some(d) => d.to_ascii_lowercase(),
        None => root.digest.clone(),
    };
    let mut closure = Closure {
        digest: root_digest.clone(),
        media_type: root.media_type.clone(),
        tag: image.digest.is_none().then(|| image.reference().to_string()),
        manifests: Vec::new(),
        blobs: Vec::new(),
        warnings: Vec::new(),
    };
    let too_many = |reason: String| TransferError::Malformed {
        what: image.to_string(),
        reason,
    };
    let mut gathered = Gathered::default();
    let mut subjects = Vec::new();
    walk(
        client,
        image,
        root,
        root_digest,
        Role::Root,
        0,
        &mut gathered,
        &mut subjects,
    )?;
    let mut examined = 0usize;
    for subject in &subjects {
        for kind in AttachmentKind::ALL {
            if !only.includes(Some(kind)) {
                continue;
            }
            let tag = attachment_tag(subject, kind.suffix());
            if let Some(m) = client.get_manifest(image, &tag)? {
                attachment_manifest(&m.media_type, &m.bytes).map_err(|reason| TransferError::Malformed {
                    what: format!("{}:{tag} ({})", image.name(), m.digest),
                    reason,
                })?;
                gathered
                    .add(Item {
                        digest: m.digest,
                        media_type: m.media_type,
                        bytes: m.bytes,
                        role: Role::Legacy {
                            subject: subject.clone(),
                            kind,
                        },
                    })
                    .map_err(too_many)?;
            }
        }
        let (referrers, source) = list_referrers(client, image, subject)?;
        let mut listed = HashSet::new();
        let mut per_subject = 0usize;
        for desc in referrers {
            let digest = desc.digest.to_ascii_lowercase();
            if !listed.insert(digest.clone()) {
                // Listed twice (a fallback index written by two tools, say): carried once.
                continue;
            }
            per_subject += 1;
            examined += 1;
            if per_subject > MAX_REFERRERS_PER_SUBJECT {
                return Err(too_many(format!(
                    "{subject} has more than {MAX_REFERRERS_PER_SUBJECT} referrers ({source}); hsign examines at most {MAX_REFERRERS_PER_SUBJECT} per manifest"
                )));
            }
            if examined > MAX_REFERRERS {
                return Err(too_many(format!(
                    "the image and its children have more than {MAX_REFERRERS} referrers; hsign examines at most {MAX_REFERRERS}"
                )));
            }
            if !is_digest(&digest) {
                closure.warnings.push(format!(
                    "referrer '{}' of {subject} ({source}) is not a digest",
                    desc.digest
                ));
                continue;
            }
            if gathered.contains(&digest) {
                continue;
            }
            let Some(m) = client.get_manifest(image, &digest)? else {
                closure.warnings.push(format!(
                    "referrer {digest} of {subject} is listed ({source}) but does not exist"
                ));
                continue;
            };
            let manifest = match attachment_manifest(&m.media_type, &m.bytes) {
                Ok(manifest) => manifest,
                Err(reason) => {
                    closure
                        .warnings
                        .push(format!("referrer {digest} of {subject} ({source}) {reason}"));
                    continue;
                }
            };
            match manifest.subject.as_ref().map(|s| s.digest.to_ascii_lowercase()) {
                Some(s) if s == *subject => {}
                Some(other) => {
                    closure.warnings.push(format!(
                        "referrer {digest} is listed for {subject} ({source}) but its manifest refers to {other}"
                    ));
                    continue;
                }
                None => {
                    closure.warnings.push(format!(
                        "referrer {digest} is listed for {subject} ({source}) but its manifest has no subject"
                    ));
                    continue;
                }
            }
            let kind = classify(client, image, &m.bytes)?;
            if !only.includes(kind) {
                continue;
            }
            gathered
                .add(Item {
                    digest,
                    media_type: m.media_type,
                    bytes: m.bytes,
                    role: Role::Referrer {
                        subject: subject.clone(),
                        kind,
                    },
                })
                .map_err(too_many)?;
        }
    }
    closure.manifests = gathered.items;
    closure.gather_blobs()?;
    Ok(closure)
}

/// Adds `manifest` (named `digest`, the digest it was asked for) and, for an index, its children first.
/// Records image manifests as subjects.
#[allow(clippy::too_many_arguments)]
fn walk(
    client: &Client,
    image: &ImageRef,
    manifest: crate::oci::client::FetchedManifest,
    digest: String,
    role: Role,
    depth: usize,
    out: &mut Gathered,
    subjects: &mut Vec<String>,
) -> Result<(), TransferError> {
    if is_index(&manifest.media_type) {
        if depth >= MAX_INDEX_DEPTH {
            return Err(TransferError::Malformed {
                what: format!("index {digest}"),
                reason: format!("indexes nest deeper than {MAX_INDEX_DEPTH} levels"),
            });
        }
        let index = Index::from_json(&manifest.bytes).map_err(|e| TransferError::Malformed {
            what: format!("index {digest}"),
            reason: e.to_string(),
        })?;
        for d in &index.manifests {
            if !is_digest(&d.digest) {
                return Err(TransferError::Malformed {
                    what: format!("index {digest}"),
                    reason: format!("entry digest '{}' is not a digest", d.digest),
                });
            }
            let child_digest = d.digest.to_ascii_lowercase();
            if out.contains(&child_digest) {
                continue;
            }
            // Fetched by digest, so the client checked the bytes against it (whatever its algorithm).
            let child = client.get_manifest(image, &child_digest)?.ok_or_else(|| {
                TransferError::NotFound(format!("{}@{} (listed by {digest})", image.name(), d.digest))
            })?;
            walk(
                client,
                image,
                child,
                child_digest,
                Role::Child,
                depth + 1,
                out,
                subjects,
            )?;
        }
    }
    subjects.push(digest.clone());
    out.add(Item {
        digest,
        media_type: manifest.media_type,
        bytes: manifest.bytes,
        role,
    })
    .map_err(|reason| TransferError::Malformed {
        what: image.to_string(),
        reason,
    })
}

/// The kind of a referrer manifest: cosign's artifact types, else, for a Sigstore bundle, the predicate type
/// of its DSSE statement (a message signature is a signature), read through `fetch`. This only picks what to
/// carry; nothing here is trusted for verification.
/// A bundle that cannot be read is an error (the copy would fail on that blob anyway), never "unknown".
pub(crate) fn classify_with(
    bytes: &[u8],
    fetch: &dyn Fn(&Descriptor) -> Result<Vec<u8>, TransferError>,
) -> Result<Option<AttachmentKind>, TransferError> {
    let Ok(m) = Manifest::from_json(bytes) else {
        return Ok(None);
    };
    let artifact = m.artifact_type.clone().unwrap_or_else(|| m.config.media_type.clone());
    match artifact.as_str() {
        COSIGN_SIG_ARTIFACT => return Ok(Some(AttachmentKind::Signature)),
        COSIGN_SBOM_ARTIFACT => return Ok(Some(AttachmentKind::Sbom)),
        INTOTO_ARTIFACT => return Ok(Some(AttachmentKind::Attestation)),
        _ => {}
    }
    let Some(layer) = m.layers.iter().find(|l| is_bundle_media_type(&l.media_type)) else {
        return Ok(None);
    };
    if !is_digest(&layer.digest) || layer.size < 0 || layer.size as u64 > MAX_CLASSIFY_BYTES {
        return Ok(None);
    }
    Ok(Some(bundle_kind(&fetch(layer)?)))
}

fn classify(client: &Client, image: &ImageRef, bytes: &[u8]) -> Result<Option<AttachmentKind>, TransferError> {
    classify_with(bytes, &|layer: &Descriptor| {
        Ok(client.get_blob(image, &layer.digest, MAX_CLASSIFY_BYTES)?)
    })
}

/// Signature or attestation, from a bundle's bytes.
pub(crate) fn bundle_kind(bundle: &[u8]) -> AttachmentKind {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bundle) else {
        return AttachmentKind::Attestation;
    };
    let Some(payload) = v["dsseEnvelope"]["payload"].as_str() else {
        return AttachmentKind::Signature;
    };
    let predicate = crate::encoding::b64(payload)
        .ok()
        .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
        .and_then(|s| s["predicateType"].as_str().map(str::to_string));
    match predicate.as_deref() {
        Some(COSIGN_SIGN_PREDICATE) => AttachmentKind::Signature,
        _ => AttachmentKind::Attestation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_signature_bundles_from_attestation_bundles() {
        let statement = |p: &str| {
            let s = format!(r#"{{"_type":"https://in-toto.io/Statement/v1","predicateType":"{p}"}}"#);
            format!(
                r#"{{"dsseEnvelope":{{"payload":"{}","payloadType":"application/vnd.in-toto+json"}}}}"#,
                crate::encoding::to_b64(s.as_bytes())
            )
        };
        assert_eq!(
            bundle_kind(statement(COSIGN_SIGN_PREDICATE).as_bytes()),
            AttachmentKind::Signature
        );
        assert_eq!(
            bundle_kind(statement("https://slsa.dev/provenance/v1").as_bytes()),
            AttachmentKind::Attestation
        );
        assert_eq!(bundle_kind(br#"{"messageSignature":{}}"#), AttachmentKind::Signature);
    }

    #[test]
    fn rejects_blob_references_that_are_not_digests() {
        let mut d = Descriptor::of("x", b"abc");
        assert!(blob_ref(&d, "m").is_ok());
        d.digest = "sha256:../../etc/passwd".into();
        assert!(matches!(blob_ref(&d, "m"), Err(TransferError::Malformed { .. })));
        let mut d = Descriptor::of("x", b"abc");
        d.size = -1;
        assert!(blob_ref(&d, "m").is_err());
    }

    fn item(digest: &str, bytes: usize) -> Item {
        Item {
            digest: digest.into(),
            media_type: "m".into(),
            bytes: vec![b' '; bytes],
            role: Role::Child,
        }
    }

    #[test]
    fn holds_manifests_within_a_count_and_a_byte_budget() {
        let mut g = Gathered::default();
        g.add(item("sha256:A", 10)).unwrap();
        assert!(g.contains("sha256:a"));
        g.bytes = MAX_MANIFEST_TOTAL_BYTES - 10;
        assert!(g.add(item("sha256:b", 10)).is_ok());
        let e = g.add(item("sha256:c", 1)).unwrap_err();
        assert!(e.contains("256 MiB of manifests") && e.contains("sha256:c"), "{e}");
        let mut g = Gathered::default();
        for i in 0..MAX_MANIFESTS {
            g.add(item(&format!("sha256:{i}"), 0)).unwrap();
        }
        assert!(g.add(item("sha256:x", 0)).unwrap_err().contains("4096 manifests"));
    }

    #[test]
    fn a_referrer_bundle_that_cannot_be_read_is_an_error_not_unknown() {
        let m = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{}","size":2}},"layers":[{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"{}","size":5}}]}}"#,
            crate::oci::manifest::sha256_digest(b"{}"),
            crate::oci::manifest::sha256_digest(b"hello")
        );
        let failing =
            |_: &Descriptor| -> Result<Vec<u8>, TransferError> { Err(TransferError::NotFound("blob".into())) };
        assert!(matches!(
            classify_with(m.as_bytes(), &failing),
            Err(TransferError::NotFound(_))
        ));
        let sig = |_: &Descriptor| -> Result<Vec<u8>, TransferError> { Ok(br#"{"messageSignature":{}}"#.to_vec()) };
        assert_eq!(
            classify_with(m.as_bytes(), &sig).unwrap(),
            Some(AttachmentKind::Signature)
        );
        assert!(
            attachment_manifest(crate::oci::manifest::OCI_INDEX, b"{}")
                .unwrap_err()
                .contains("is an index")
        );
    }
}
