//! The result of a successful verification. Only the verifier builds one; presentation reads it.

use serde_json::{Value, json};

use crate::ArtifactDigest;
use crate::intoto::Statement;
use crate::tlog::VerifiedEntry;
use hsign_keys::PublicKey;

/// What the transparency-log check did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlogOutcome {
    /// Skipped on request (unsafe).
    Skipped,
    /// Every entry verified.
    Verified(Vec<VerifiedEntry>),
}

impl TlogOutcome {
    /// The outcome as JSON: `"skipped"`, or the verified entries.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Skipped => json!("skipped"),
            Self::Verified(entries) => json!({
                "verified": true,
                "entries": entries.iter().map(|e| {
                    let mut v = json!({
                        "logUrl": e.log_url,
                        "logIndex": e.log_index,
                        "signedEntryTimestamp": e.set_verified,
                        "inclusionProof": e.proof_verified,
                    });
                    if let Some(t) = e.integrated_time {
                        v["integratedTime"] = json!(t);
                        v["integratedTimeRfc3339"] = json!(crate::rfc3339::format(t));
                    }
                    v
                }).collect::<Vec<_>>(),
            }),
        }
    }
}

/// A verified signature: what was verified, and how.
#[derive(Clone, Debug)]
pub struct VerificationResult {
    format: String,
    key_fingerprint: String,
    key_kind: String,
    artifact_digest: Option<ArtifactDigest>,
    statement: Option<Statement>,
    payload: Vec<u8>,
    tlog: TlogOutcome,
    certificate: Option<super::CertificateSummary>,
}

impl VerificationResult {
    pub(super) fn new(
        format: String,
        key: &PublicKey,
        artifact_digest: Option<ArtifactDigest>,
        statement: Option<Statement>,
        payload: Vec<u8>,
        tlog: TlogOutcome,
        certificate: Option<super::CertificateSummary>,
    ) -> Self {
        Self {
            format,
            key_fingerprint: key.fingerprint_string(),
            key_kind: key.kind().describe(),
            artifact_digest,
            statement,
            payload,
            tlog,
            certificate,
        }
    }

    /// For a keyless signature: what the certificate established.
    pub fn certificate(&self) -> Option<&super::CertificateSummary> {
        self.certificate.as_ref()
    }

    /// The signed document as JSON text: the verified in-toto statement (its predicate as received), or the
    /// simple-signing payload as stored; empty for blob signatures.
    pub fn document(&self) -> String {
        match &self.statement {
            Some(s) => s.to_json(),
            None => String::from_utf8_lossy(&self.payload).into_owned(),
        }
    }

    /// The format the signature was stored in (a bundle media type, or a description).
    pub fn format(&self) -> &str {
        &self.format
    }

    /// `sha256:<hex>` of the verifying key's PKIX DER.
    pub fn key_fingerprint(&self) -> &str {
        &self.key_fingerprint
    }

    /// The verified artifact digest, when an artifact was checked.
    pub fn artifact_digest(&self) -> Option<&ArtifactDigest> {
        self.artifact_digest.as_ref()
    }

    /// The verified in-toto statement, for DSSE content.
    pub fn statement(&self) -> Option<&Statement> {
        self.statement.as_ref()
    }

    /// What the transparency-log check did.
    pub fn tlog(&self) -> &TlogOutcome {
        &self.tlog
    }

    /// The result as JSON with lowerCamelCase keys.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "verified": true,
            "format": self.format,
            "signer": {"kind": "publicKey", "keyType": self.key_kind, "keyFingerprint": self.key_fingerprint},
            "transparencyLog": self.tlog.to_json(),
        });
        if let Some(c) = &self.certificate {
            v["signer"] = json!({
                "kind": "certificate",
                "identities": c.sans,
                "issuer": c.issuer,
                "keyType": self.key_kind,
                "verifiedAt": c.verified_times.iter().map(|(t, source)| json!({"time": crate::rfc3339::format(*t), "source": source})).collect::<Vec<_>>(),
            });
        }
        if let Some(d) = &self.artifact_digest {
            v["artifactDigest"] = json!(d.to_string());
        }
        if let Some(s) = &self.statement {
            v["predicateType"] = json!(s.predicate_type);
        }
        v
    }
}
