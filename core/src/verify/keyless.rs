//! Keyless signatures: the signing key comes from a Fulcio certificate, so the certificate must chain to a
//! certificate authority of the trusted root at a time the log or a timestamp authority vouches for (never
//! "now"), carry a valid SCT from a trusted CT log, and name the expected identity and issuer.

use super::identity::CertificateIdentity;
use super::{TlogOutcome, VerifyError};
use crate::trust::TrustedRoot;
use crate::x509::{self, LeafInfo};

/// What was established about the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateSummary {
    /// The certificate's subject alternative names.
    pub sans: Vec<String>,
    /// The OIDC issuer.
    pub issuer: Option<String>,
    /// The times the chain was verified at (unix seconds) and where each came from.
    pub verified_times: Vec<(i64, &'static str)>,
}

/// Checks the certificate part of a keyless signature. The entity's signature bytes are what its timestamps
/// cover; `log` is what the log check established (its verified integrated times count as signing times).
pub(super) fn verify(
    leaf: &LeafInfo,
    chain: &[Vec<u8>],
    identity: &CertificateIdentity,
    trust: &TrustedRoot,
    entity: &super::SignedEntity,
    log: &TlogOutcome,
    require_sct: bool,
) -> Result<CertificateSummary, VerifyError> {
    let (signature, timestamps) = (entity.signature_bytes(), entity.timestamps());
    let cert_err = |e: x509::CertError| VerifyError::Certificate(e.to_string());
    // Signing times: integrated times the log signed (SET), and RFC 3161 timestamps over the signature.
    let mut times: Vec<(i64, &'static str)> = Vec::new();
    if let TlogOutcome::Verified(entries) = log {
        for e in entries {
            if let (Some(t), true) = (e.integrated_time, e.set_verified) {
                times.push((t, "transparency log integrated time"));
            }
        }
    }
    for (i, ts) in timestamps.iter().enumerate() {
        let verified = crate::timestamp::verify(ts, signature, trust)
            .map_err(|e| VerifyError::Timestamp(format!("timestamp {i}: {e}")))?;
        times.push((verified.time, "RFC 3161 timestamp"));
    }
    if times.is_empty() {
        return Err(VerifyError::Certificate(
            "no verified signing time (no log entry with a signed integrated time, no RFC 3161 timestamp): the certificate cannot be checked".into(),
        ));
    }
    // Certificates the bundle carries that the trusted root holds anyway are redundant (sigstore-js and -go
    // fixtures carry the whole chain); anything else stays, and a root among them is refused.
    let trusted = |c: &Vec<u8>| trust.certificate_authorities.iter().any(|a| a.cert_chain.contains(c));
    let chain: Vec<Vec<u8>> = chain.iter().filter(|c| !trusted(c)).cloned().collect();
    let mut path = None;
    for (t, source) in &times {
        let verified = x509::verify_chain_path(&leaf.der, &chain, trust, *t)
            .map_err(|e| VerifyError::Certificate(format!("at the {source} {}: {e}", crate::rfc3339::format(*t))))?;
        path.get_or_insert(verified);
    }
    // An SCT from a CT log of the trusted root is required (cosign's and sigstore-go's threshold of one),
    // also when the root lists no usable CT log; only an explicit policy skips it.
    if require_sct && let Some(path) = &path {
        let issuer = path
            .issuer()
            .ok_or_else(|| VerifyError::Certificate("no issuing certificate for the SCT check".into()))?;
        x509::verify_scts(&leaf.der, issuer, trust, 1).map_err(cert_err)?;
    }
    identity
        .check(&leaf.sans, leaf.issuer.as_deref(), &leaf.extensions)
        .map_err(VerifyError::Identity)?;
    Ok(CertificateSummary {
        sans: leaf.sans.clone(),
        issuer: leaf.issuer.clone(),
        verified_times: times,
    })
}
