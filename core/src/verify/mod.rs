//! The one verification path: a [`SignedEntity`] (any stored format) is checked against a [`Policy`]
//! (the artifact, the key, what the log must show) by [`Verifier::verify`], which returns a
//! [`VerificationResult`] only it can build.
//!
//! Checks run in a fixed order: the signature over the stored bytes, then the artifact or statement claims,
//! then the transparency log. Any failure ends verification: it fails closed.

mod entity;
mod error;
pub mod identity;
mod keyless;
mod result;

pub use entity::{Content, LogEvidence, SignedEntity, SignerMaterial};
pub use error::VerifyError;
pub use identity::{CertificateIdentity, Matcher};
pub use keyless::CertificateSummary;
pub use result::{TlogOutcome, VerificationResult};

use std::collections::BTreeMap;

use crate::ArtifactDigest;
use crate::dsse::Envelope;
use crate::intoto::{self, Statement};
use crate::tlog::body::{ParsedBody, Signer as BodySigner};
use crate::tlog::{self, TlogError, VerifiedEntry};
use crate::trust::TrustedRoot;
use hsign_keys::{HashAlgorithm, KeyKind, PublicKey};

/// The artifact a signature must be for.
#[derive(Clone, Debug)]
pub enum Artifact {
    /// No artifact: only an envelope's own signature is checked.
    None,
    /// Digests of the artifact (one per algorithm the caller computed).
    Digests(Vec<ArtifactDigest>),
    /// The artifact itself, for signatures over the whole message (Ed25519).
    Bytes(Vec<u8>),
}

impl Artifact {
    /// The artifact's digest with `algorithm`, when the caller computed it or has the bytes.
    pub fn digest(&self, algorithm: HashAlgorithm) -> Option<ArtifactDigest> {
        match self {
            Self::None => None,
            Self::Digests(d) => d.iter().find(|d| d.algorithm == algorithm).cloned(),
            Self::Bytes(b) => Some(ArtifactDigest::of(algorithm, b)),
        }
    }

    fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

/// What the transparency log must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TlogPolicy {
    Require,
    SkipUnsafe,
}

/// The per-artifact verification policy: the artifact, the key, the log requirement and, for attestations,
/// the predicate type. Built with [`Policy::builder`].
#[derive(Clone, Debug)]
pub struct Policy {
    artifact: Artifact,
    signer: Expected,
    tlog: TlogPolicy,
    predicate_type: Option<String>,
    annotations: BTreeMap<String, String>,
    require_sct: bool,
}

/// Who must have signed.
#[derive(Clone, Debug)]
enum Expected {
    /// This key (any certificate the signature carries is ignored).
    Key(PublicKey),
    /// A Fulcio certificate for this identity.
    Identity(CertificateIdentity),
}

/// Builds a [`Policy`].
#[derive(Clone, Debug)]
pub struct PolicyBuilder(Policy);

impl Policy {
    /// A policy that requires a signature by `key`, an artifact check when an artifact is given, and a
    /// transparency-log entry.
    pub fn builder(key: PublicKey) -> PolicyBuilder {
        Self::build_for(Expected::Key(key))
    }

    /// A policy that requires a keyless signature: a certificate of the trusted root's CAs for `identity`.
    pub fn keyless(identity: CertificateIdentity) -> PolicyBuilder {
        Self::build_for(Expected::Identity(identity))
    }

    fn build_for(signer: Expected) -> PolicyBuilder {
        PolicyBuilder(Policy {
            artifact: Artifact::None,
            signer,
            tlog: TlogPolicy::Require,
            predicate_type: None,
            annotations: BTreeMap::new(),
            require_sct: true,
        })
    }
}

impl PolicyBuilder {
    /// The artifact the signature must be for.
    pub fn artifact(mut self, artifact: Artifact) -> Self {
        self.0.artifact = artifact;
        self
    }

    /// Do not require or check a transparency-log entry. Unsafe: a signature made with a leaked key at any
    /// time verifies.
    pub fn without_tlog_unsafe(mut self) -> Self {
        self.0.tlog = TlogPolicy::SkipUnsafe;
        self
    }

    /// Keyless: do not require an SCT in the certificate (cosign's `--insecure-ignore-sct`), for private CAs
    /// without a certificate transparency log. Unsafe for the public-good instance.
    pub fn without_sct_unsafe(mut self) -> Self {
        self.0.require_sct = false;
        self
    }

    /// Require an in-toto statement with this predicate type.
    pub fn predicate_type(mut self, predicate_type: impl Into<String>) -> Self {
        self.0.predicate_type = Some(predicate_type.into());
        self
    }

    /// Require these signed annotations (cosign's `-a key=value`): in a simple-signing payload's `optional`,
    /// or in the matching in-toto subject's `annotations`.
    pub fn annotations(mut self, annotations: BTreeMap<String, String>) -> Self {
        self.0.annotations = annotations;
        self
    }

    /// The finished policy.
    pub fn build(self) -> Policy {
        self.0
    }
}

/// Verifies signed entities. Holds what holds for a whole deployment: the trusted material (the
/// transparency logs whose entries count).
#[derive(Clone, Debug)]
pub struct Verifier {
    trust: std::sync::Arc<TrustedRoot>,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// A verifier trusting the public-good Sigstore instance (the trusted root embedded in hsign).
    pub fn new() -> Self {
        Self::with_trusted_root(TrustedRoot::production())
    }

    /// A verifier trusting exactly `trust`.
    pub fn with_trusted_root(trust: TrustedRoot) -> Self {
        Self {
            trust: std::sync::Arc::new(trust),
        }
    }

    /// The trusted material.
    pub fn trusted_root(&self) -> &TrustedRoot {
        &self.trust
    }

    /// Verifies `entity` against `policy`.
    pub fn verify(&self, entity: &SignedEntity, policy: &Policy) -> Result<VerificationResult, VerifyError> {
        // The key: the one given, or the leaf certificate's for a keyless policy.
        let leaf = match (&policy.signer, &entity.signer) {
            (Expected::Key(_), _) => None,
            (Expected::Identity(_), SignerMaterial::Certificates(chain)) if !chain.is_empty() => {
                Some(crate::x509::parse_leaf(&chain[0]).map_err(|e| VerifyError::Certificate(e.to_string()))?)
            }
            (Expected::Identity(_), _) => return Err(VerifyError::CertificateRequired),
        };
        let leaf_key;
        let key = match (&policy.signer, &leaf) {
            (Expected::Key(k), _) => k,
            (_, Some(l)) => {
                leaf_key = PublicKey::from_spki_der(&l.spki_der)
                    .map_err(|e| VerifyError::Certificate(format!("the certificate's public key: {e}")))?;
                &leaf_key
            }
            (_, None) => return Err(VerifyError::CertificateRequired),
        };
        let not_attestation = || {
            VerifyError::Unsupported(
                "an attestation was required, but this is a plain signature, not a DSSE envelope".into(),
            )
        };
        let (artifact_digest, statement, payload) = match &entity.content {
            Content::Message { digest, signature } => {
                if policy.predicate_type.is_some() {
                    return Err(not_attestation());
                }
                if !policy.annotations.is_empty() {
                    return Err(VerifyError::Unsupported(
                        "a blob signature carries no annotations to check".into(),
                    ));
                }
                (
                    Some(verify_message(key, digest.as_ref(), signature, &policy.artifact)?),
                    None,
                    Vec::new(),
                )
            }
            Content::Dsse(envelope) => {
                let (d, s) = verify_envelope(key, envelope, policy)?;
                // The statement holds what matters; the payload is not copied (it can be a 50 MiB SBOM).
                (d, s, Vec::new())
            }
            Content::SimpleSigning { payload, signature } => {
                if policy.predicate_type.is_some() {
                    return Err(not_attestation());
                }
                (
                    Some(verify_simple_signing(key, payload, signature, policy)?),
                    None,
                    payload.clone(),
                )
            }
        };
        let tlog = match policy.tlog {
            TlogPolicy::SkipUnsafe => TlogOutcome::Skipped,
            TlogPolicy::Require if entity.log_evidence.is_empty() => return Err(VerifyError::TlogMissing),
            TlogPolicy::Require => {
                // Keyless: the log must record this very certificate, not just its key.
                let signer = match &leaf {
                    Some(l) => BodySigner::Certificate(&l.der),
                    None => BodySigner::Key(key),
                };
                TlogOutcome::Verified(self.verify_log_entries(entity, signer, &policy.artifact)?)
            }
        };
        // Key-signed: timestamps the signature carries must verify too (fail closed), as sigstore-go does.
        if leaf.is_none() {
            for (i, ts) in entity.timestamps.iter().enumerate() {
                crate::timestamp::verify(ts, entity.signature_bytes(), &self.trust)
                    .map_err(|e| VerifyError::Timestamp(format!("timestamp {i}: {e}")))?;
            }
        }
        let certificate = match (&policy.signer, &leaf, &entity.signer) {
            (Expected::Identity(identity), Some(leaf), SignerMaterial::Certificates(chain)) => Some(keyless::verify(
                leaf,
                &chain[1..],
                identity,
                &self.trust,
                entity,
                &tlog,
                policy.require_sct,
            )?),
            _ => None,
        };
        Ok(VerificationResult::new(
            entity.format.clone(),
            key,
            artifact_digest,
            statement,
            payload,
            tlog,
            certificate,
        ))
    }
}

impl Verifier {
    /// Every log entry must be from a trusted log, carry valid promises (SET, inclusion proof under a signed
    /// checkpoint) and record exactly this signature: digest, signature bytes and key.
    fn verify_log_entries(
        &self,
        entity: &SignedEntity,
        signer: BodySigner<'_>,
        artifact: &Artifact,
    ) -> Result<Vec<VerifiedEntry>, VerifyError> {
        let mut verified = Vec::with_capacity(entity.log_evidence.len());
        for evidence in &entity.log_evidence {
            let owned;
            let entry = match evidence {
                LogEvidence::Entry(e) => e,
                LogEvidence::RekorBundle(b) => {
                    owned = crate::bundle::TlogEntry::from(b.clone());
                    &owned
                }
            };
            let body = ParsedBody::parse(&entry.canonicalized_body)
                .map_err(|e| VerifyError::Tlog(TlogError::Body(e.to_string())))?;
            if !entry.kind.is_empty() && (entry.kind != body.kind || entry.version != body.version) {
                return Err(VerifyError::Tlog(TlogError::Body(format!(
                    "the entry is labelled {} {}, but its body is {} {}",
                    entry.kind, entry.version, body.kind, body.version
                ))));
            }
            let matched = match &entity.content {
                Content::Message { signature, .. } => {
                    body.check_digest_signature(|alg| artifact.digest(alg), signature, signer)
                }
                Content::SimpleSigning { payload, signature } => {
                    body.check_digest_signature(|alg| Some(ArtifactDigest::of(alg, payload)), signature, signer)
                }
                Content::Dsse(envelope) => {
                    let mut result = Err(crate::tlog::body::BodyMismatch("the envelope has no signature".into()));
                    for sig in &envelope.signatures {
                        result = body.check_envelope(envelope, &sig.sig, signer);
                        if result.is_ok() {
                            break;
                        }
                    }
                    result
                }
            };
            matched.map_err(|e| VerifyError::Tlog(TlogError::Body(e.0)))?;
            verified.push(tlog::verify_entry(entry, &self.trust).map_err(VerifyError::Tlog)?);
        }
        Ok(verified)
    }
}

fn verify_message(
    key: &PublicKey,
    claimed: Option<&ArtifactDigest>,
    signature: &[u8],
    artifact: &Artifact,
) -> Result<ArtifactDigest, VerifyError> {
    if artifact.is_none() {
        return Err(VerifyError::ArtifactRequired);
    }
    let check_claim = |actual: &ArtifactDigest| match claimed {
        Some(c) if c != actual => Err(VerifyError::ArtifactDigestMismatch {
            claimed: c.to_string(),
            actual: actual.to_string(),
        }),
        _ => Ok(()),
    };
    if key.kind() == KeyKind::Ed25519 {
        let Artifact::Bytes(bytes) = artifact else {
            return Err(VerifyError::Signature(hsign_keys::KeyError::UnsupportedOperation(
                "an Ed25519 signature covers the whole artifact; a digest alone cannot verify it".into(),
            )));
        };
        let alg = claimed.map(|c| c.algorithm).unwrap_or(HashAlgorithm::Sha256);
        let actual = ArtifactDigest::of(alg, bytes);
        check_claim(&actual)?;
        key.verify_message(bytes, signature).map_err(VerifyError::Signature)?;
        return Ok(actual);
    }
    let candidates: Vec<HashAlgorithm> = match claimed {
        Some(c) => vec![c.algorithm],
        None => key.kind().candidate_hashes().to_vec(),
    };
    let mut last_err = None;
    for alg in &candidates {
        let Some(actual) = artifact.digest(*alg) else { continue };
        check_claim(&actual)?;
        let checked = match artifact {
            // The artifact at hand: verify over the message (the fast path for ECDSA).
            Artifact::Bytes(bytes) => key.verify_message_hashed(*alg, bytes, signature),
            _ => key.verify_digest(*alg, &actual.bytes, signature),
        };
        match checked {
            Ok(()) => return Ok(actual),
            Err(e) => last_err = Some(e),
        }
    }
    match last_err {
        Some(e) => Err(VerifyError::Signature(e)),
        None => Err(VerifyError::DigestAlgorithm {
            needed: candidates.first().map(|a| a.name()).unwrap_or("sha256"),
            given: match artifact {
                Artifact::Digests(d) => d.first().map(|d| d.algorithm.name()).unwrap_or("none"),
                _ => "none",
            },
        }),
    }
}

/// Verifies a signature over the envelope's PAE, hashing it in one streaming pass for digest-signing keys.
/// Payloads up to this size are verified through a copy of the PAE.
const SMALL_PAYLOAD: usize = 1 << 20;

fn verify_pae(key: &PublicKey, envelope: &Envelope, signature: &[u8]) -> Result<(), hsign_keys::KeyError> {
    if key.kind() == KeyKind::Ed25519 {
        return key.verify_message(&envelope.pae(), signature);
    }
    // Small payloads: the PAE is built and verified as a message (the fast path); large ones are hashed
    // in one streaming pass without a copy.
    let pae = (envelope.payload.len() <= SMALL_PAYLOAD).then(|| envelope.pae());
    let mut last = hsign_keys::KeyError::SignatureMismatch;
    for &alg in key.kind().candidate_hashes() {
        let checked = match &pae {
            Some(pae) => key.verify_message_hashed(alg, pae, signature),
            None => {
                let digest = crate::dsse::pae_digest(alg, &envelope.payload_type, &envelope.payload);
                key.verify_digest(alg, &digest, signature)
            }
        };
        match checked {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn verify_simple_signing(
    key: &PublicKey,
    payload: &[u8],
    signature: &[u8],
    policy: &Policy,
) -> Result<ArtifactDigest, VerifyError> {
    let image = policy
        .artifact
        .digest(HashAlgorithm::Sha256)
        .ok_or(VerifyError::ArtifactRequired)?;
    key.verify_message(payload, signature).map_err(VerifyError::Signature)?;
    let parsed = crate::simple_signing::Payload::from_json(payload).map_err(VerifyError::Payload)?;
    if parsed.manifest_digest != image.to_string() {
        return Err(VerifyError::ArtifactDigestMismatch {
            claimed: parsed.manifest_digest,
            actual: image.to_string(),
        });
    }
    check_annotations(&policy.annotations, Some(&parsed.optional))?;
    Ok(image)
}

fn check_annotations(
    required: &BTreeMap<String, String>,
    signed: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<(), VerifyError> {
    for (key, expected) in required {
        let found = signed.and_then(|m| m.get(key)).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if found.as_deref() != Some(expected.as_str()) {
            return Err(VerifyError::AnnotationMismatch {
                key: key.clone(),
                expected: expected.clone(),
                found,
            });
        }
    }
    Ok(())
}

fn verify_envelope(
    key: &PublicKey,
    envelope: &Envelope,
    policy: &Policy,
) -> Result<(Option<ArtifactDigest>, Option<Statement>), VerifyError> {
    if envelope.signatures.is_empty() {
        return Err(VerifyError::Unsupported("the DSSE envelope has no signature".into()));
    }
    let mut last_err = hsign_keys::KeyError::SignatureMismatch;
    let verified = envelope
        .signatures
        .iter()
        .any(|sig| match verify_pae(key, envelope, &sig.sig) {
            Ok(()) => true,
            Err(e) => {
                last_err = e;
                false
            }
        });
    if !verified {
        return Err(VerifyError::Signature(last_err));
    }
    if policy.artifact.is_none() && !policy.annotations.is_empty() {
        // Annotations live on the subject that matches the artifact: without an artifact there is none.
        return Err(VerifyError::ArtifactRequired);
    }
    let wants_statement = !policy.artifact.is_none() || policy.predicate_type.is_some();
    if envelope.payload_type != intoto::PAYLOAD_TYPE {
        if wants_statement {
            return Err(VerifyError::PayloadType {
                found: envelope.payload_type.clone(),
            });
        }
        return Ok((None, None));
    }
    let statement = Statement::from_json(&envelope.payload).map_err(VerifyError::Statement)?;
    if let Some(expected) = &policy.predicate_type
        && &statement.predicate_type != expected
    {
        return Err(VerifyError::PredicateTypeMismatch {
            expected: expected.clone(),
            found: statement.predicate_type.clone(),
        });
    }
    let artifact_digest = match &policy.artifact {
        Artifact::None => None,
        artifact => {
            // Prefer SHA-256, the digest every producer records; fall back to what the caller computed.
            let digests: Vec<ArtifactDigest> = [HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512]
                .into_iter()
                .filter_map(|a| artifact.digest(a))
                .collect();
            let found = digests
                .iter()
                .find_map(|d| statement.subject_matching(d).map(|s| (d, s)));
            match found {
                Some((d, subject)) => {
                    check_annotations(&policy.annotations, subject.annotations.as_ref())?;
                    Some(d.clone())
                }
                None => {
                    return Err(VerifyError::SubjectMismatch {
                        digest: digests.first().map(|d| d.to_string()).unwrap_or_default(),
                    });
                }
            }
        }
    };
    Ok((artifact_digest, Some(statement)))
}

#[cfg(test)]
mod tests;
