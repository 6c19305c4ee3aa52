//! Verifying the signatures of an image: find every candidate in both formats, adapt each into the one
//! internal model, and run the one verifier over it with the image digest as the artifact.
//!
//! Bundle referrers are checked first (as cosign v3 does); the `.sig` tag is read when no bundle verified.
//! A candidate that fails is reported with its reason; the image passes when at least one verifies.

use std::collections::BTreeMap;

use super::discover::{self, Attachments};
use super::{BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, SIGNATURE_ANNOTATION};
use crate::bundle::Bundle;
use crate::encoding::b64;
use crate::intoto::COSIGN_SIGN_PREDICATE;
use crate::legacy_bundle::RekorBundle;
use crate::oci::client::ManifestInfo;
use crate::oci::{Client, ImageRef, RegistryError};
use crate::tlog::client::RekorClient;
use crate::verify::{Artifact, Policy, SignedEntity, VerificationResult, Verifier, VerifyError};
use crate::{ArtifactDigest, simple_signing};
use hsign_keys::{PublicKey, pem};

/// What every signature of an image must satisfy.
#[derive(Clone, Debug)]
pub struct ImagePolicy {
    /// Who must have signed: a key, or a keyless identity.
    pub signer: ImageSigner,
    /// Signed annotations that must be present (`-a k=v`).
    pub annotations: BTreeMap<String, String>,
    /// Skip the transparency log (unsafe).
    pub skip_tlog: bool,
    /// Keyless: do not require an SCT (unsafe; private CAs without a CT log).
    pub skip_sct: bool,
    /// The verifier (trusted material).
    pub verifier: Verifier,
    /// Where to look up legacy signatures that carry no log bundle (`None`: offline, they fail).
    pub log_lookup: Option<RekorClient>,
}

/// Who must have signed an image's signatures.
#[derive(Clone, Debug)]
pub enum ImageSigner {
    /// This key.
    Key(PublicKey),
    /// A Fulcio certificate for this identity.
    Identity(crate::verify::CertificateIdentity),
}

/// One verified signature of an image.
#[derive(Clone, Debug)]
pub struct VerifiedSignature {
    /// Where it was found (`referrer sha256:...` or `sha256-....sig layer sha256:...`).
    pub source: String,
    /// The verifier's result.
    pub result: VerificationResult,
}

/// The outcome for one image.
#[derive(Debug)]
pub struct ImageVerification {
    /// The image as asked.
    pub image: ImageRef,
    /// Its manifest.
    pub subject: ManifestInfo,
    /// Signatures that verified.
    pub verified: Vec<VerifiedSignature>,
    /// Candidates that did not verify, with the reason.
    pub rejected: Vec<(String, String)>,
}

impl ImageVerification {
    fn new(image: &ImageRef, subject: &ManifestInfo) -> Self {
        Self {
            image: image.clone(),
            subject: subject.clone(),
            verified: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// Why an image did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The image (or tag) does not exist.
    #[error("image {0} not found")]
    NotFound(String),
    /// No signature is attached.
    #[error("no signatures found for {image}")]
    NoSignatures {
        /// The image.
        image: String,
    },
    /// Signatures are attached, but none verified.
    #[error("no matching signatures for {image}: {}", .rejected.iter().map(|(s, r)| format!("{s}: {r}")).collect::<Vec<_>>().join("; "))]
    NoneVerified {
        /// The image.
        image: String,
        /// Each candidate and why it failed.
        rejected: Vec<(String, String)>,
    },
    /// Attached entries could not be read, and nothing else verified: the registry is failing, which must not
    /// look like an unsigned image.
    #[error("signatures of {image} could not be read: {}", .notes.join("; "))]
    Unreadable {
        /// The image.
        image: String,
        /// What could not be read, and why.
        notes: Vec<String>,
    },
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// Resolves `image` to its manifest (a tag becomes a digest).
pub fn resolve(client: &Client, image: &ImageRef) -> Result<ManifestInfo, ImageError> {
    client
        .head_manifest(image, image.reference())?
        .ok_or_else(|| ImageError::NotFound(image.to_string()))
}

/// Verifies the signatures of `image` whose manifest is `subject`, reading them from `sig_repo`.
pub fn verify_image(
    client: &Client,
    image: &ImageRef,
    subject: &ManifestInfo,
    sig_repo: &ImageRef,
    policy: &ImagePolicy,
) -> Result<ImageVerification, ImageError> {
    let digest = image_digest(image, subject)?;
    let verifier = &policy.verifier;
    let mut out = ImageVerification::new(image, subject);
    let Attachments {
        bundles, unreadable, ..
    } = discover::find_bundles(client, sig_repo, &subject.digest)?;
    let mut seen = !bundles.is_empty();
    for c in bundles {
        let source = format!("bundle in referrer {}", c.manifest_digest);
        let checked = Bundle::from_json(&c.bytes).map_err(|e| e.to_string()).and_then(|b| {
            let p = base_policy(policy, &digest)
                .predicate_type(COSIGN_SIGN_PREDICATE)
                .build();
            verifier
                .verify(&SignedEntity::from_bundle(b), &p)
                .map_err(|e| describe(&e))
        });
        record(&mut out, source, checked);
    }
    if out.verified.is_empty() {
        let layers = discover::find_legacy(
            client,
            sig_repo,
            &subject.digest,
            "sig",
            Some(simple_signing::MEDIA_TYPE),
        )?;
        seen |= !layers.is_empty();
        for l in layers {
            let source = format!(
                "{} layer {}",
                super::attachment_tag(&subject.digest, "sig"),
                l.layer_digest
            );
            let checked = legacy_entity(&l.bytes, &l.annotations).and_then(|mut entity| {
                look_up_log(policy, &mut entity)?;
                let p = base_policy(policy, &digest).build();
                verifier.verify(&entity, &p).map_err(|e| describe(&e))
            });
            record(&mut out, source, checked);
        }
    }
    conclude(out, unreadable, seen)
}

/// Verifies the attestations of `image`: DSSE bundles among its referrers and DSSE layers of its `.att` tag,
/// keeping those whose statement has `predicate_type` (every attestation type when `None`; cosign's signing
/// statements are signatures, not attestations, and are left out). A candidate of another type is skipped, not
/// rejected: its unverified type is read only to choose what to verify, and the verifier checks it again.
pub fn verify_image_attestations(
    client: &Client,
    image: &ImageRef,
    subject: &ManifestInfo,
    sig_repo: &ImageRef,
    policy: &ImagePolicy,
    predicate_type: Option<&str>,
) -> Result<ImageVerification, ImageError> {
    let digest = image_digest(image, subject)?;
    let verifier = &policy.verifier;
    let mut out = ImageVerification::new(image, subject);
    let wanted = |envelope: &crate::dsse::Envelope| {
        let t = crate::intoto::peek_predicate_type(&envelope.payload).unwrap_or_default();
        match predicate_type {
            Some(p) => t == p,
            None => t != COSIGN_SIGN_PREDICATE,
        }
    };
    let mut candidates: Vec<(String, SignedEntity)> = Vec::new();
    let Attachments {
        bundles, unreadable, ..
    } = discover::find_bundles(client, sig_repo, &subject.digest)?;
    for c in bundles {
        let source = format!("bundle in referrer {}", c.manifest_digest);
        match Bundle::from_json(&c.bytes) {
            Ok(b) => {
                if let crate::bundle::SignatureContent::Dsse(env) = &b.content
                    && wanted(env)
                {
                    candidates.push((source, SignedEntity::from_bundle(b)));
                }
            }
            Err(e) => out.rejected.push((source, e.to_string())),
        }
    }
    let layers = discover::find_legacy(client, sig_repo, &subject.digest, "att", Some(super::DSSE_MEDIA_TYPE))?;
    for l in layers {
        let source = format!(
            "{} layer {}",
            super::attachment_tag(&subject.digest, "att"),
            l.layer_digest
        );
        match crate::dsse::Envelope::from_json(&l.bytes) {
            Ok(env) if wanted(&env) => match legacy_attestation(env, &l.annotations) {
                Ok(mut entity) => match look_up_log(policy, &mut entity) {
                    Ok(()) => candidates.push((source, entity)),
                    Err(e) => out.rejected.push((source, e)),
                },
                Err(e) => out.rejected.push((source, e)),
            },
            Ok(_) => {}
            Err(e) => out.rejected.push((source, e.to_string())),
        }
    }
    let seen = !candidates.is_empty() || !out.rejected.is_empty();
    for (source, entity) in candidates {
        let mut p = base_policy(policy, &digest);
        if let Some(t) = predicate_type {
            p = p.predicate_type(t);
        }
        let checked = verifier.verify(&entity, &p.build()).map_err(|e| describe(&e));
        record(&mut out, source, checked);
    }
    conclude(out, unreadable, seen)
}

/// Adapts a legacy `.att` layer (a DSSE envelope plus cosign's annotations) into the internal model.
fn legacy_attestation(
    envelope: crate::dsse::Envelope,
    annotations: &BTreeMap<String, String>,
) -> Result<SignedEntity, String> {
    let rekor = match annotations.get(BUNDLE_ANNOTATION).filter(|b| !b.is_empty()) {
        Some(b) => Some(RekorBundle::from_json(b.as_bytes()).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(SignedEntity::from_envelope(envelope)
        .with_rekor_bundle(rekor)
        .with_certificates(annotation_certificates(annotations)?)
        .with_timestamps(annotation_timestamps(annotations)?))
}

/// A signature or attestation read from the registry and adapted into the internal model, not yet verified.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Where it was found.
    pub source: String,
    /// The adapted entity, or why it could not be read.
    pub entity: Result<SignedEntity, String>,
    /// The predicate type its statement must have (cosign's signing predicate for signature bundles).
    pub required_predicate: Option<&'static str>,
    /// Look it up in the log when it carries no log evidence (legacy layers only, as [`verify_image`] does;
    /// a bundle without entries fails).
    pub look_up: bool,
}

/// Everything attached to one image that can be verified, read once so that several signers can be checked
/// against it without asking the registry again.
#[derive(Clone, Debug, Default)]
pub struct Attached {
    /// Signatures: bundles of cosign's signing statement among the referrers, and `.sig` layers.
    pub signatures: Vec<Candidate>,
    /// Attestations: other DSSE bundles among the referrers, and `.att` layers.
    pub attestations: Vec<Candidate>,
    /// Entries that were listed but could not be read.
    pub unreadable: Vec<String>,
}

/// Reads every signature (and with `attestations`, every attestation) attached to `digest` in `sig_repo`, in
/// both formats. Bundles are sorted into signatures and attestations by their statement's (unverified)
/// predicate type; the verifier checks the type again. A failed referrers listing is an error; a legacy tag
/// that cannot be read is noted in [`Attached::unreadable`], which fails the image only when nothing else
/// verifies (as [`verify_image`], which reads `.sig` only when no bundle verified).
pub fn collect_attached(
    client: &Client,
    sig_repo: &ImageRef,
    digest: &str,
    attestations: bool,
) -> Result<Attached, ImageError> {
    let mut out = Attached::default();
    let found = discover::find_bundles(client, sig_repo, digest)?;
    out.unreadable = found.unreadable;
    for c in found.bundles {
        let source = format!("bundle in referrer {}", c.manifest_digest);
        let bundle = Bundle::from_json(&c.bytes).map_err(|e| e.to_string());
        let is_attestation = match &bundle {
            Ok(b) => match &b.content {
                crate::bundle::SignatureContent::Dsse(env) => {
                    crate::intoto::peek_predicate_type(&env.payload).unwrap_or_default() != COSIGN_SIGN_PREDICATE
                }
                _ => false,
            },
            Err(_) => false,
        };
        let entity = bundle.map(SignedEntity::from_bundle);
        if is_attestation {
            if attestations {
                out.attestations.push(Candidate {
                    source,
                    entity,
                    required_predicate: None,
                    look_up: false,
                });
            }
        } else {
            out.signatures.push(Candidate {
                source,
                entity,
                required_predicate: Some(COSIGN_SIGN_PREDICATE),
                look_up: false,
            });
        }
    }
    let sig_tag = super::attachment_tag(digest, "sig");
    match discover::find_legacy(client, sig_repo, digest, "sig", Some(simple_signing::MEDIA_TYPE)) {
        Ok(layers) => out.signatures.extend(layers.into_iter().map(|l| Candidate {
            source: format!("{sig_tag} layer {}", l.layer_digest),
            entity: legacy_entity(&l.bytes, &l.annotations),
            required_predicate: None,
            look_up: true,
        })),
        Err(e) => out.unreadable.push(format!("{sig_tag}: {e}")),
    }
    if !attestations {
        return Ok(out);
    }
    let att_tag = super::attachment_tag(digest, "att");
    match discover::find_legacy(client, sig_repo, digest, "att", Some(super::DSSE_MEDIA_TYPE)) {
        Ok(layers) => out.attestations.extend(layers.into_iter().map(|l| {
            Candidate {
                source: format!("{att_tag} layer {}", l.layer_digest),
                entity: crate::dsse::Envelope::from_json(&l.bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|env| legacy_attestation(env, &l.annotations)),
                required_predicate: None,
                look_up: true,
            }
        })),
        Err(e) => out.unreadable.push(format!("{att_tag}: {e}")),
    }
    Ok(out)
}

/// Verifies already-read candidates of `image` against `policy`; the verdict is that of [`verify_image`]
/// (at least one must verify; unreadable entries of `attached` make an unverified image a registry failure).
pub fn verify_candidates(
    image: &ImageRef,
    subject: &ManifestInfo,
    candidates: &[Candidate],
    unreadable: &[String],
    policy: &ImagePolicy,
) -> Result<ImageVerification, ImageError> {
    let digest = image_digest(image, subject)?;
    let mut out = ImageVerification::new(image, subject);
    for c in candidates {
        let checked = c.entity.clone().and_then(|mut entity| {
            if c.look_up {
                look_up_log(policy, &mut entity)?;
            }
            let mut p = base_policy(policy, &digest);
            if let Some(t) = c.required_predicate {
                p = p.predicate_type(t);
            }
            policy.verifier.verify(&entity, &p.build()).map_err(|e| describe(&e))
        });
        record(&mut out, c.source.clone(), checked);
    }
    conclude(out, unreadable.to_vec(), !candidates.is_empty())
}

/// The verdict once every candidate was tried: verified if any verified (unreadable entries still reported);
/// else unreadable entries make it a registry failure (never "unsigned"); else "none found" or "none matched".
fn conclude(mut out: ImageVerification, unreadable: Vec<String>, seen: bool) -> Result<ImageVerification, ImageError> {
    let image = out.image.to_string();
    if !out.verified.is_empty() {
        out.rejected
            .extend(unreadable.into_iter().map(|u| ("referrer".to_string(), u)));
        return Ok(out);
    }
    if !unreadable.is_empty() {
        return Err(ImageError::Unreadable {
            image,
            notes: unreadable,
        });
    }
    if !seen {
        return Err(ImageError::NoSignatures { image });
    }
    Err(ImageError::NoneVerified {
        image,
        rejected: out.rejected,
    })
}

fn image_digest(image: &ImageRef, subject: &ManifestInfo) -> Result<ArtifactDigest, ImageError> {
    ArtifactDigest::parse(&subject.digest).ok_or_else(|| {
        ImageError::Registry(RegistryError::Malformed {
            registry: image.registry.clone(),
            what: image.to_string(),
            reason: format!("manifest digest '{}' is not sha256/sha384/sha512", subject.digest),
        })
    })
}

fn base_policy(policy: &ImagePolicy, digest: &ArtifactDigest) -> crate::verify::PolicyBuilder {
    let p = match &policy.signer {
        ImageSigner::Key(k) => Policy::builder(k.clone()),
        ImageSigner::Identity(id) => Policy::keyless(id.clone()),
    };
    let mut p = p
        .artifact(Artifact::Digests(vec![digest.clone()]))
        .annotations(policy.annotations.clone());
    if policy.skip_tlog {
        p = p.without_tlog_unsafe();
    }
    if policy.skip_sct {
        p = p.without_sct_unsafe();
    }
    p
}

/// For a legacy signature without a log bundle, when the log is required: look it up in the log (as cosign
/// does with `POST /api/v1/log/entries/retrieve`) and attach what is found; the verifier then checks it like
/// any embedded entry. Without a lookup log (offline) nothing is attached and verification fails closed.
fn look_up_log(policy: &ImagePolicy, entity: &mut SignedEntity) -> Result<(), String> {
    if policy.skip_tlog || entity.has_log_evidence() {
        return Ok(());
    }
    let Some(client) = &policy.log_lookup else {
        return Ok(());
    };
    // The log records the key, or for keyless signatures the certificate.
    let verifier_pem = match (&policy.signer, entity.signer()) {
        (ImageSigner::Key(k), _) => k.to_pem(),
        (ImageSigner::Identity(_), crate::verify::SignerMaterial::Certificates(c)) if !c.is_empty() => {
            hsign_keys::pem::encode("CERTIFICATE", &c[0])
        }
        (ImageSigner::Identity(_), _) => return Ok(()),
    };
    let Some(proposed) = entity.proposed_log_entry(&verifier_pem) else {
        return Ok(());
    };
    crate::tlog::lookup::attach_found_entries(client, entity, proposed)
}

fn describe(e: &VerifyError) -> String {
    e.to_string()
}

fn record(out: &mut ImageVerification, source: String, checked: Result<VerificationResult, String>) {
    match checked {
        Ok(result) => out.verified.push(VerifiedSignature { source, result }),
        Err(reason) => out.rejected.push((source, reason)),
    }
}

/// The certificate (leaf first) and chain a legacy layer's cosign annotations carry, DER.
fn annotation_certificates(annotations: &BTreeMap<String, String>) -> Result<Vec<Vec<u8>>, String> {
    let mut certificates = Vec::new();
    for key in [CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION] {
        if let Some(text) = annotations.get(key).filter(|t| !t.is_empty()) {
            let blocks = pem::decode_all(text.as_bytes()).map_err(|e| format!("'{key}' annotation: {e}"))?;
            certificates.extend(
                blocks
                    .into_iter()
                    .filter(|b| b.label == "CERTIFICATE")
                    .map(|b| b.contents.to_vec()),
            );
        }
    }
    Ok(certificates)
}

/// The RFC 3161 timestamp a legacy layer's `dev.sigstore.cosign/rfc3161timestamp` annotation carries.
fn annotation_timestamps(annotations: &BTreeMap<String, String>) -> Result<Vec<Vec<u8>>, String> {
    let Some(text) = annotations.get(super::TIMESTAMP_ANNOTATION).filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(rename = "SignedRFC3161Timestamp")]
        signed: String,
    }
    let what = || format!("'{}' annotation", super::TIMESTAMP_ANNOTATION);
    let raw: Raw = serde_json::from_str(text).map_err(|e| format!("{}: {e}", what()))?;
    Ok(vec![b64(&raw.signed).map_err(|e| format!("{}: {e}", what()))?])
}

/// Adapts a legacy `.sig` layer (payload + annotations) into the internal model.
pub fn legacy_entity(payload: &[u8], annotations: &BTreeMap<String, String>) -> Result<SignedEntity, String> {
    let sig_b64 = annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or_else(|| format!("layer has no '{SIGNATURE_ANNOTATION}' annotation"))?;
    let signature = b64(sig_b64).map_err(|e| format!("'{SIGNATURE_ANNOTATION}' annotation is {e}"))?;
    if signature.is_empty() {
        return Err(format!("'{SIGNATURE_ANNOTATION}' annotation is empty"));
    }
    let rekor = match annotations.get(BUNDLE_ANNOTATION).filter(|b| !b.is_empty()) {
        Some(b) => Some(RekorBundle::from_json(b.as_bytes()).map_err(|e| e.to_string())?),
        None => None,
    };
    let certificates = annotation_certificates(annotations)?;
    let timestamps = annotation_timestamps(annotations)?;
    Ok(SignedEntity::from_simple_signing(payload.to_vec(), signature, rekor, certificates).with_timestamps(timestamps))
}
