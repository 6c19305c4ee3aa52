//! The one internal model every stored signature format is adapted into before verification.

use crate::ArtifactDigest;
use crate::bundle::{Bundle, KeyMaterial, SignatureContent, TlogEntry};
use crate::dsse::Envelope;
use crate::legacy_bundle::{LegacyBundle, LegacySigner, RekorBundle};
use hsign_keys::PublicKey;

/// What was signed.
#[derive(Clone, Debug)]
pub enum Content {
    /// A signature over an artifact, with the digest the signer claimed when the format records it.
    Message {
        /// The claimed digest, if recorded.
        digest: Option<ArtifactDigest>,
        /// The signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope; a bundle's has exactly one signature, a bare envelope may have several.
    Dsse(Envelope),
    /// A cosign simple-signing payload (legacy `.sig` layer) and the signature over its bytes.
    SimpleSigning {
        /// The payload bytes as stored.
        payload: Vec<u8>,
        /// The signature.
        signature: Vec<u8>,
    },
}

/// Who the stored material says signed.
#[derive(Clone, Debug)]
pub enum SignerMaterial {
    /// Nothing: a detached signature.
    None,
    /// A key hint (opaque, possibly empty).
    KeyHint(String),
    /// A public key carried with the signature (cosign legacy bundle `cert` holding a key).
    PublicKey(PublicKey),
    /// A certificate chain, leaf first.
    Certificates(Vec<Vec<u8>>),
}

/// Transparency-log evidence, in whichever form the format carries it.
#[derive(Clone, Debug)]
pub enum LogEvidence {
    /// A bundle's tlog entry.
    Entry(TlogEntry),
    /// A legacy Rekor bundle (SET only).
    RekorBundle(RekorBundle),
}

/// A signature in any supported format, ready for [`super::Verifier::verify`].
#[derive(Clone, Debug)]
pub struct SignedEntity {
    pub(crate) format: String,
    pub(crate) content: Content,
    pub(crate) signer: SignerMaterial,
    pub(crate) log_evidence: Vec<LogEvidence>,
    pub(crate) timestamps: Vec<Vec<u8>>,
}

impl SignedEntity {
    /// From a Sigstore bundle.
    pub fn from_bundle(bundle: Bundle) -> Self {
        let signer = match bundle.key_material {
            KeyMaterial::PublicKey { hint } => SignerMaterial::KeyHint(hint),
            KeyMaterial::CertificateChain(c) => SignerMaterial::Certificates(c),
            KeyMaterial::Certificate(c) => SignerMaterial::Certificates(vec![c]),
        };
        let content = match bundle.content {
            SignatureContent::Message(m) => Content::Message {
                digest: m.digest,
                signature: m.signature,
            },
            SignatureContent::Dsse(e) => Content::Dsse(e),
        };
        Self {
            format: bundle.version.media_type().to_string(),
            content,
            signer,
            log_evidence: bundle.tlog_entries.into_iter().map(LogEvidence::Entry).collect(),
            timestamps: bundle.rfc3161_timestamps,
        }
    }

    /// From cosign's legacy `--bundle` JSON.
    pub fn from_legacy_bundle(bundle: LegacyBundle) -> Self {
        let signer = match bundle.signer {
            None => SignerMaterial::None,
            Some(LegacySigner::PublicKey(k)) => SignerMaterial::PublicKey(k),
            Some(LegacySigner::Certificate(c)) => SignerMaterial::Certificates(vec![c]),
        };
        Self {
            format: "cosign bundle (legacy)".into(),
            content: Content::Message {
                digest: None,
                signature: bundle.signature,
            },
            signer,
            log_evidence: bundle.rekor_bundle.into_iter().map(LogEvidence::RekorBundle).collect(),
            timestamps: Vec::new(),
        }
    }

    /// From a detached signature (`--signature`, raw bytes already base64-decoded).
    pub fn from_detached_signature(signature: Vec<u8>) -> Self {
        Self {
            format: "detached signature".into(),
            content: Content::Message {
                digest: None,
                signature,
            },
            signer: SignerMaterial::None,
            log_evidence: Vec::new(),
            timestamps: Vec::new(),
        }
    }

    /// From a legacy `.sig` layer: the simple-signing payload, its signature, and the layer's Rekor bundle
    /// and certificate chain when it has them.
    pub fn from_simple_signing(
        payload: Vec<u8>,
        signature: Vec<u8>,
        rekor_bundle: Option<RekorBundle>,
        certificates: Vec<Vec<u8>>,
    ) -> Self {
        Self {
            format: "cosign simple signing (.sig)".into(),
            content: Content::SimpleSigning { payload, signature },
            signer: if certificates.is_empty() {
                SignerMaterial::None
            } else {
                SignerMaterial::Certificates(certificates)
            },
            log_evidence: rekor_bundle.into_iter().map(LogEvidence::RekorBundle).collect(),
            timestamps: Vec::new(),
        }
    }

    /// From a bare DSSE envelope (`attest-blob --output-signature`, a `.att` layer).
    pub fn from_envelope(envelope: Envelope) -> Self {
        Self {
            format: "DSSE envelope".into(),
            content: Content::Dsse(envelope),
            signer: SignerMaterial::None,
            log_evidence: Vec::new(),
            timestamps: Vec::new(),
        }
    }

    /// Adds a Rekor bundle (the `dev.sigstore.cosign/bundle` annotation of a `.att` layer) as log evidence.
    pub fn with_rekor_bundle(mut self, bundle: Option<RekorBundle>) -> Self {
        self.log_evidence.extend(bundle.map(LogEvidence::RekorBundle));
        self
    }

    /// Adds the certificate chain (leaf first) a `.att` layer's annotations carry; none leaves it as it was.
    pub fn with_certificates(mut self, certificates: Vec<Vec<u8>>) -> Self {
        if !certificates.is_empty() {
            self.signer = SignerMaterial::Certificates(certificates);
        }
        self
    }

    /// Adds RFC 3161 timestamps (DER responses) carried beside the signature.
    pub fn with_timestamps(mut self, timestamps: Vec<Vec<u8>>) -> Self {
        self.timestamps.extend(timestamps);
        self
    }

    /// True when the signature carries log entries of its own.
    pub fn has_log_evidence(&self) -> bool {
        !self.log_evidence.is_empty()
    }

    /// Adds log entries found by looking the signature up in the log.
    pub fn add_log_entries(&mut self, entries: Vec<TlogEntry>) {
        self.log_evidence.extend(entries.into_iter().map(LogEvidence::Entry));
    }

    /// The proposed log entry a log holds for this signature by `verifier_pem` (a PEM public key or
    /// certificate), to look it up: hashedrekord over the simple-signing payload's SHA-256, or dsse for an
    /// envelope. `None` for message signatures (their digest is the artifact's, which the entity does not hold).
    pub fn proposed_log_entry(&self, verifier_pem: &str) -> Option<serde_json::Value> {
        match &self.content {
            Content::SimpleSigning { payload, signature } => Some(crate::tlog::body::proposed_hashedrekord(
                &ArtifactDigest::of(hsign_keys::HashAlgorithm::Sha256, payload),
                signature,
                verifier_pem,
            )),
            Content::Dsse(envelope) => Some(crate::tlog::body::proposed_dsse(
                &envelope.to_json(),
                &[verifier_pem.to_string()],
            )),
            Content::Message { .. } => None,
        }
    }

    /// The public key of the leaf certificate the signature carries, if it carries a readable one.
    pub fn certificate_key(&self) -> Option<PublicKey> {
        match &self.signer {
            SignerMaterial::Certificates(chain) => {
                PublicKey::from_spki_der(&crate::x509::spki_der(chain.first()?)?).ok()
            }
            _ => None,
        }
    }

    /// The signature bytes (what RFC 3161 timestamps cover): the message or simple-signing signature, or the
    /// envelope's first signature.
    pub fn signature_bytes(&self) -> &[u8] {
        match &self.content {
            Content::Message { signature, .. } | Content::SimpleSigning { signature, .. } => signature,
            Content::Dsse(e) => e.signatures.first().map(|s| s.sig.as_slice()).unwrap_or(&[]),
        }
    }

    /// A short name of the format this came from (a bundle media type, or a description).
    pub fn format(&self) -> &str {
        &self.format
    }

    /// What was signed.
    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Who the material says signed.
    pub fn signer(&self) -> &SignerMaterial {
        &self.signer
    }

    /// DER RFC 3161 timestamp responses carried with the signature.
    pub fn timestamps(&self) -> &[Vec<u8>] {
        &self.timestamps
    }

    /// True when the signature covers an artifact (rather than an envelope payload).
    pub fn is_message_signature(&self) -> bool {
        matches!(self.content, Content::Message { .. })
    }

    /// What verifying this signature with `key` needs of the artifact: the hash algorithms to compute (in one
    /// pass), and whether the whole artifact is needed instead (pure Ed25519 over a message).
    pub fn artifact_needs(&self, key: &PublicKey) -> (Vec<hsign_keys::HashAlgorithm>, bool) {
        let whole = key.kind() == hsign_keys::KeyKind::Ed25519 && self.is_message_signature();
        let algorithms = match &self.content {
            Content::Message { digest: Some(d), .. } => vec![d.algorithm],
            Content::Message { digest: None, .. } => key.kind().candidate_hashes().to_vec(),
            Content::Dsse(_) | Content::SimpleSigning { .. } => vec![hsign_keys::HashAlgorithm::Sha256],
        };
        (algorithms, whole)
    }

    /// The digest the signature claims for the artifact, if the format records one.
    pub fn claimed_digest(&self) -> Option<&ArtifactDigest> {
        match &self.content {
            Content::Message { digest, .. } => digest.as_ref(),
            Content::Dsse(_) | Content::SimpleSigning { .. } => None,
        }
    }
}

/// The stored formats [`SignedEntity::from_json`] recognizes.
const DOC: &str = "signature file";

impl SignedEntity {
    /// Reads any JSON signature format hsign knows, telling them apart by their top-level keys: a Sigstore
    /// bundle (`mediaType`), cosign's legacy bundle (`base64Signature`), or a DSSE envelope (`payloadType`).
    pub fn from_json(data: &[u8]) -> Result<Self, crate::FormatError> {
        // Only the top-level keys are looked at; nothing is built from the (possibly large) values.
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Probe {
            media_type: Option<serde::de::IgnoredAny>,
            base64_signature: Option<serde::de::IgnoredAny>,
            payload_type: Option<serde::de::IgnoredAny>,
        }
        let probe: Probe = match serde_json::from_slice(data) {
            Ok(p) => p,
            Err(e) if e.is_data() => return Err(crate::FormatError::new(DOC, "", "is JSON but not an object")),
            Err(e) => return Err(crate::FormatError::json(DOC, &e)),
        };
        if probe.media_type.is_some() {
            Bundle::from_json(data).map(Self::from_bundle)
        } else if probe.base64_signature.is_some() {
            LegacyBundle::from_json(data).map(Self::from_legacy_bundle)
        } else if probe.payload_type.is_some() {
            Envelope::from_json(data).map(Self::from_envelope)
        } else {
            Err(crate::FormatError::new(
                DOC,
                "",
                "is not a Sigstore bundle (no 'mediaType'), a cosign bundle (no 'base64Signature') or a DSSE envelope (no 'payloadType')",
            ))
        }
    }
}
