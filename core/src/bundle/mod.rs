//! Sigstore bundles, media types v0.1, v0.2 and v0.3: strict parsing into [`Bundle`], and writing.
//!
//! Parsing applies the rules of each version (v0.1 tlog entries carry an inclusion promise, v0.2 and later an
//! inclusion proof, v0.3 keyless bundles carry a single `certificate`), requires exactly one key material and
//! exactly one content, and names the offending field in every error.

mod raw;

use crate::dsse::Envelope;
use crate::encoding::{b64, to_b64};
use crate::error::FormatError;
use crate::{ArtifactDigest, limits};
use hsign_keys::HashAlgorithm;
use raw::*;

const DOC: &str = "Sigstore bundle";

/// The bundle media type version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`
    V0_1,
    /// `application/vnd.dev.sigstore.bundle+json;version=0.2`
    V0_2,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json` (or `...bundle+json;version=0.3`)
    V0_3,
}

impl BundleVersion {
    /// Recognizes every spelling of a supported media type, including patch versions (`v0.3.1`).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let version = media_type
            .strip_prefix("application/vnd.dev.sigstore.bundle+json;version=")
            .or_else(|| {
                media_type
                    .strip_prefix("application/vnd.dev.sigstore.bundle.v")
                    .and_then(|r| r.strip_suffix("+json"))
            })?;
        let mut parts = version.split('.');
        let (major, minor) = (parts.next()?, parts.next()?);
        if parts.next().is_some_and(|patch| patch.parse::<u32>().is_err()) || parts.next().is_some() {
            return None;
        }
        match (major, minor) {
            ("0", "1") => Some(Self::V0_1),
            ("0", "2") => Some(Self::V0_2),
            ("0", "3") => Some(Self::V0_3),
            _ => None,
        }
    }

    /// The canonical media type of this version.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::V0_1 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
            Self::V0_2 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
            Self::V0_3 => "application/vnd.dev.sigstore.bundle.v0.3+json",
        }
    }
}

/// The key material of a bundle: what identifies the signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// A public key known to the verifier, identified by an opaque hint (possibly empty).
    PublicKey {
        /// The hint; hsign writes base64(SHA-256(PKIX DER)).
        hint: String,
    },
    /// A certificate chain, leaf first (v0.1 and v0.2).
    CertificateChain(Vec<Vec<u8>>),
    /// A single leaf certificate (v0.3).
    Certificate(Vec<u8>),
}

/// One transparency-log entry as a bundle carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlogEntry {
    /// The log's global index of the entry.
    pub log_index: i64,
    /// The log id (SHA-256 of the log's public key, or a C2SP key id for Rekor v2).
    pub log_id: Vec<u8>,
    /// The entry kind (`hashedrekord`, `dsse`, `intoto`).
    pub kind: String,
    /// The entry version (`0.0.1`).
    pub version: String,
    /// When the log integrated the entry (Unix seconds; 0 for Rekor v2).
    pub integrated_time: i64,
    /// The signed entry timestamp, if the log gave one.
    pub inclusion_promise: Option<Vec<u8>>,
    /// The inclusion proof, if any.
    pub inclusion_proof: Option<InclusionProof>,
    /// The exact bytes of the entry body as the log stored them.
    pub canonicalized_body: Vec<u8>,
}

/// An RFC 6962 inclusion proof with its checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// The tree-local index of the leaf.
    pub log_index: i64,
    /// The root hash the proof leads to.
    pub root_hash: Vec<u8>,
    /// The size of the tree.
    pub tree_size: i64,
    /// The proof hashes, leaf to root.
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint (note text), possibly empty.
    pub checkpoint: String,
}

/// A signature over a message digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSignature {
    /// The digest of the artifact the signer claims; optional in the format.
    pub digest: Option<ArtifactDigest>,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

/// What a bundle signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureContent {
    /// A signature over an artifact (`messageSignature`).
    Message(MessageSignature),
    /// A DSSE envelope (`dsseEnvelope`), always with exactly one signature.
    Dsse(Envelope),
}

/// A parsed and structurally valid Sigstore bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The media type version.
    pub version: BundleVersion,
    /// Who signed.
    pub key_material: KeyMaterial,
    /// Transparency-log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// DER RFC 3161 timestamp responses.
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    /// What was signed.
    pub content: SignatureContent,
}

fn field_b64(field: impl Into<String>, value: &str) -> Result<Vec<u8>, FormatError> {
    let field = field.into();
    if value.is_empty() {
        return Err(FormatError::new(DOC, field, "is missing or empty"));
    }
    b64(value).map_err(|r| FormatError::new(DOC, field, r))
}

impl Bundle {
    /// Parses a bundle from JSON and checks the rules of its version.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawBundle = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: RawBundle) -> Result<Self, FormatError> {
        let version = BundleVersion::from_media_type(&raw.media_type).ok_or_else(|| {
            FormatError::new(
                DOC,
                "mediaType",
                format!(
                    "'{}' is not a supported bundle media type (v0.1, v0.2 or v0.3 expected)",
                    raw.media_type
                ),
            )
        })?;
        let material = raw
            .verification_material
            .ok_or_else(|| FormatError::new(DOC, "verificationMaterial", "is missing"))?;
        let key_material = Self::key_material(version, &material)?;
        if material.tlog_entries.len() > limits::MAX_TLOG_ENTRIES {
            return Err(FormatError::new(
                DOC,
                "verificationMaterial.tlogEntries",
                format!(
                    "has {} entries, at most {} are accepted",
                    material.tlog_entries.len(),
                    limits::MAX_TLOG_ENTRIES
                ),
            ));
        }
        let tlog_entries = material
            .tlog_entries
            .into_iter()
            .enumerate()
            .map(|(i, e)| tlog_entry(version, i, e))
            .collect::<Result<Vec<_>, _>>()?;
        let stamps = material
            .timestamp_verification_data
            .map(|t| t.rfc3161_timestamps)
            .unwrap_or_default();
        if stamps.len() > limits::MAX_TIMESTAMPS {
            return Err(FormatError::new(
                DOC,
                "verificationMaterial.timestampVerificationData",
                "has too many timestamps",
            ));
        }
        let rfc3161_timestamps = stamps
            .iter()
            .enumerate()
            .map(|(i, t)| {
                field_b64(
                    format!("verificationMaterial.timestampVerificationData.rfc3161Timestamps[{i}].signedTimestamp"),
                    &t.signed_timestamp,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(m), None) => SignatureContent::Message(message_signature(m)?),
            (None, Some(e)) => {
                let env = Envelope::from_raw(e, "dsseEnvelope.").map_err(|e| FormatError { document: DOC, ..e })?;
                env.single_signature()
                    .map_err(|e| FormatError::new(DOC, "dsseEnvelope.signatures", e.reason))?;
                SignatureContent::Dsse(env)
            }
            (Some(_), Some(_)) => {
                return Err(FormatError::new(
                    DOC,
                    "",
                    "has both messageSignature and dsseEnvelope, expected one",
                ));
            }
            (None, None) => {
                return Err(FormatError::new(
                    DOC,
                    "",
                    "has neither messageSignature nor dsseEnvelope",
                ));
            }
        };
        Ok(Self {
            version,
            key_material,
            tlog_entries,
            rfc3161_timestamps,
            content,
        })
    }

    fn key_material(version: BundleVersion, m: &RawMaterial) -> Result<KeyMaterial, FormatError> {
        const F: &str = "verificationMaterial";
        let count = [
            m.public_key.is_some(),
            m.x509_certificate_chain.is_some(),
            m.certificate.is_some(),
        ]
        .iter()
        .filter(|&&b| b)
        .count();
        if count > 1 {
            return Err(FormatError::new(
                DOC,
                F,
                "has more than one of publicKey, x509CertificateChain, certificate",
            ));
        }
        if let Some(pk) = &m.public_key {
            return Ok(KeyMaterial::PublicKey { hint: pk.hint.clone() });
        }
        if let Some(chain) = &m.x509_certificate_chain {
            if version >= BundleVersion::V0_3 {
                return Err(FormatError::new(
                    DOC,
                    "verificationMaterial.x509CertificateChain",
                    "is not allowed in a v0.3 bundle (a single 'certificate' is expected)",
                ));
            }
            if chain.certificates.is_empty() {
                return Err(FormatError::new(
                    DOC,
                    "verificationMaterial.x509CertificateChain.certificates",
                    "is empty",
                ));
            }
            if chain.certificates.len() > limits::MAX_CHAIN_LEN {
                return Err(FormatError::new(
                    DOC,
                    "verificationMaterial.x509CertificateChain.certificates",
                    "is too long",
                ));
            }
            let certs = chain
                .certificates
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    field_b64(
                        format!("{F}.x509CertificateChain.certificates[{i}].rawBytes"),
                        &c.raw_bytes,
                    )
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(KeyMaterial::CertificateChain(certs));
        }
        if let Some(cert) = &m.certificate {
            return Ok(KeyMaterial::Certificate(field_b64(
                format!("{F}.certificate.rawBytes"),
                &cert.raw_bytes,
            )?));
        }
        Err(FormatError::new(
            DOC,
            F,
            "has no key material (publicKey, x509CertificateChain or certificate)",
        ))
    }

    /// The bundle as compact JSON, in protobuf field order. Writing and parsing round-trip.
    pub fn to_json(&self) -> String {
        let content = match &self.content {
            SignatureContent::Dsse(e) => e.payload.len() / 3 * 4,
            SignatureContent::Message(_) => 0,
        };
        let material: usize = self
            .tlog_entries
            .iter()
            .map(|e| e.canonicalized_body.len() * 2 + 4096)
            .sum();
        crate::encoding::to_json_sized(&self.to_raw(), content + material + 8192)
    }

    fn to_raw(&self) -> RawBundle<crate::dsse::RawEnvelopeOut<'_>> {
        let mut material = RawMaterial::default();
        match &self.key_material {
            KeyMaterial::PublicKey { hint } => {
                material.public_key = Some(RawPublicKeyIdentifier { hint: hint.clone() })
            }
            KeyMaterial::CertificateChain(certs) => {
                material.x509_certificate_chain = Some(RawChain {
                    certificates: certs.iter().map(|c| RawCertificate { raw_bytes: to_b64(c) }).collect(),
                })
            }
            KeyMaterial::Certificate(c) => material.certificate = Some(RawCertificate { raw_bytes: to_b64(c) }),
        }
        material.tlog_entries = self.tlog_entries.iter().map(raw_tlog_entry).collect();
        if !self.rfc3161_timestamps.is_empty() {
            material.timestamp_verification_data = Some(RawTimestampData {
                rfc3161_timestamps: self
                    .rfc3161_timestamps
                    .iter()
                    .map(|t| RawTimestamp {
                        signed_timestamp: to_b64(t),
                    })
                    .collect(),
            });
        }
        let (message_signature, dsse_envelope) = match &self.content {
            SignatureContent::Message(m) => (
                Some(RawMessageSignature {
                    message_digest: m.digest.as_ref().map(|d| RawHashOutput {
                        algorithm: d.algorithm.bundle_name().into(),
                        digest: to_b64(&d.bytes),
                    }),
                    signature: to_b64(&m.signature),
                }),
                None,
            ),
            SignatureContent::Dsse(e) => (None, Some(e.to_raw())),
        };
        RawBundle {
            media_type: self.version.media_type().into(),
            verification_material: Some(material),
            message_signature,
            dsse_envelope,
        }
    }
}

fn message_signature(m: RawMessageSignature) -> Result<MessageSignature, FormatError> {
    let signature = field_b64("messageSignature.signature", &m.signature)?;
    let digest = match m.message_digest {
        None => None,
        Some(d) => {
            let algorithm = HashAlgorithm::from_bundle_name(&d.algorithm).ok_or_else(|| {
                FormatError::new(
                    DOC,
                    "messageSignature.messageDigest.algorithm",
                    format!("'{}' is not SHA2_256, SHA2_384 or SHA2_512", d.algorithm),
                )
            })?;
            let bytes = field_b64("messageSignature.messageDigest.digest", &d.digest)?;
            if bytes.len() != algorithm.output_len() {
                return Err(FormatError::new(
                    DOC,
                    "messageSignature.messageDigest.digest",
                    format!(
                        "has {} bytes, a {} digest has {}",
                        bytes.len(),
                        d.algorithm,
                        algorithm.output_len()
                    ),
                ));
            }
            Some(ArtifactDigest { algorithm, bytes })
        }
    };
    Ok(MessageSignature { digest, signature })
}

fn tlog_entry(version: BundleVersion, i: usize, e: RawTlogEntry) -> Result<TlogEntry, FormatError> {
    let f = |name: &str| format!("verificationMaterial.tlogEntries[{i}].{name}");
    if e.log_index < 0 {
        return Err(FormatError::new(
            DOC,
            f("logIndex"),
            format!("is negative ({})", e.log_index),
        ));
    }
    if e.integrated_time < 0 {
        return Err(FormatError::new(DOC, f("integratedTime"), "is negative"));
    }
    let log_id = field_b64(
        f("logId.keyId"),
        e.log_id.as_ref().map(|l| l.key_id.as_str()).unwrap_or(""),
    )?;
    let kv = e
        .kind_version
        .ok_or_else(|| FormatError::new(DOC, f("kindVersion"), "is missing"))?;
    let canonicalized_body = field_b64(f("canonicalizedBody"), &e.canonicalized_body)?;
    let inclusion_promise = match e.inclusion_promise {
        Some(p) => Some(field_b64(
            f("inclusionPromise.signedEntryTimestamp"),
            &p.signed_entry_timestamp,
        )?),
        None => None,
    };
    if version == BundleVersion::V0_1 && inclusion_promise.is_none() {
        return Err(FormatError::new(
            DOC,
            f("inclusionPromise"),
            "is required in a v0.1 bundle",
        ));
    }
    let inclusion_proof = match e.inclusion_proof {
        Some(p) => {
            if p.log_index < 0 || p.tree_size < 0 {
                return Err(FormatError::new(
                    DOC,
                    f("inclusionProof"),
                    "has a negative index or tree size",
                ));
            }
            let hashes = p
                .hashes
                .iter()
                .enumerate()
                .map(|(j, h)| field_b64(f(&format!("inclusionProof.hashes[{j}]")), h))
                .collect::<Result<Vec<_>, _>>()?;
            Some(InclusionProof {
                log_index: p.log_index,
                root_hash: field_b64(f("inclusionProof.rootHash"), &p.root_hash)?,
                tree_size: p.tree_size,
                hashes,
                checkpoint: p.checkpoint.map(|c| c.envelope).unwrap_or_default(),
            })
        }
        None => None,
    };
    if version >= BundleVersion::V0_2 && inclusion_proof.is_none() {
        return Err(FormatError::new(
            DOC,
            f("inclusionProof"),
            "is required in bundles v0.2 and later",
        ));
    }
    Ok(TlogEntry {
        log_index: e.log_index,
        log_id,
        kind: kv.kind,
        version: kv.version,
        integrated_time: e.integrated_time,
        inclusion_promise,
        inclusion_proof,
        canonicalized_body,
    })
}

fn raw_tlog_entry(e: &TlogEntry) -> RawTlogEntry {
    RawTlogEntry {
        log_index: e.log_index,
        log_id: Some(RawLogId {
            key_id: to_b64(&e.log_id),
        }),
        kind_version: Some(RawKindVersion {
            kind: e.kind.clone(),
            version: e.version.clone(),
        }),
        integrated_time: e.integrated_time,
        inclusion_promise: e.inclusion_promise.as_ref().map(|p| RawInclusionPromise {
            signed_entry_timestamp: to_b64(p),
        }),
        inclusion_proof: e.inclusion_proof.as_ref().map(|p| RawInclusionProof {
            log_index: p.log_index,
            root_hash: to_b64(&p.root_hash),
            tree_size: p.tree_size,
            hashes: p.hashes.iter().map(|h| to_b64(h)).collect(),
            checkpoint: Some(RawCheckpoint {
                envelope: p.checkpoint.clone(),
            }),
        }),
        canonicalized_body: to_b64(&e.canonicalized_body),
    }
}

#[cfg(test)]
mod tests;
