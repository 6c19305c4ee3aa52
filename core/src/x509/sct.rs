//! Embedded Signed Certificate Timestamps (RFC 6962 §3.3): reading the SCT list of a leaf certificate and
//! checking each SCT's signature over the reconstructed precertificate ([`verify_scts`]).
//!
//! The signed structure (RFC 6962 §3.2, `digitally-signed struct` for a `precert_entry`):
//! `version(1) | signature_type(1) = 0 | timestamp(8) | entry_type(2) = 1 | issuer_key_hash(32) |
//! tbs_certificate(3-byte length + DER) | extensions(2-byte length + bytes)`, where the TBS is the leaf's
//! TBSCertificate without the SCT list extension and `issuer_key_hash` is SHA-256 of the issuer's
//! SubjectPublicKeyInfo DER.

use hsign_keys::{HashAlgorithm, KeyKind};

use crate::trust::TrustedRoot;

use super::cert::Cert;
use super::{CertError, hex, oid, tlv};

/// Most SCTs read from one certificate.
const MAX_SCTS: usize = 64;

/// One SCT of the list, fields as received.
struct Sct<'a> {
    version: u8,
    log_id: &'a [u8],
    timestamp: u64,
    extensions: &'a [u8],
    hash_algorithm: u8,
    signature_algorithm: u8,
    signature: &'a [u8],
}

/// A bounds-checked reader over TLS-encoded bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], CertError> {
        let (head, rest) = self.0.split_at_checked(n).ok_or_else(|| {
            CertError::SctInvalid(format!("{what}: expected {n} bytes, only {} remain", self.0.len()))
        })?;
        self.0 = rest;
        Ok(head)
    }

    fn uint(&mut self, n: usize, what: &str) -> Result<u64, CertError> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A field with an `n`-byte length prefix.
    fn vector(&mut self, n: usize, what: &str) -> Result<&'a [u8], CertError> {
        let len = usize::try_from(self.uint(n, what)?).unwrap_or(usize::MAX);
        self.take(len, what)
    }
}

/// Reads a TLS `SignedCertificateTimestampList`.
fn parse_list(bytes: &[u8]) -> Result<Vec<Sct<'_>>, CertError> {
    let mut outer = Reader(bytes);
    let list = outer.vector(2, "SCT list")?;
    if !outer.0.is_empty() {
        return Err(CertError::SctInvalid(format!(
            "SCT list: {} bytes of trailing data",
            outer.0.len()
        )));
    }
    let mut list = Reader(list);
    let mut out = Vec::new();
    while !list.0.is_empty() {
        if out.len() == MAX_SCTS {
            return Err(CertError::SctInvalid(format!("more than {MAX_SCTS} SCTs in the list")));
        }
        let mut r = Reader(list.vector(2, "SCT")?);
        let sct = Sct {
            version: r.uint(1, "SCT version")? as u8,
            log_id: r.take(32, "SCT log id")?,
            timestamp: r.uint(8, "SCT timestamp")?,
            extensions: r.vector(2, "SCT extensions")?,
            hash_algorithm: r.uint(1, "SCT hash algorithm")? as u8,
            signature_algorithm: r.uint(1, "SCT signature algorithm")? as u8,
            signature: r.vector(2, "SCT signature")?,
        };
        if !r.0.is_empty() {
            return Err(CertError::SctInvalid(format!(
                "SCT: {} bytes of trailing data",
                r.0.len()
            )));
        }
        out.push(sct);
    }
    Ok(out)
}

/// Verifies the SCTs embedded in `leaf` (DER) against the CT logs of `trust`, and returns how many verified.
///
/// `issuer` is the DER of the certificate that issued the leaf ([`super::VerifiedChain::issuer`]). SCTs from
/// logs the trusted root does not list are skipped (as sigstore-go does); an SCT from a listed log must have
/// a timestamp inside the log's `valid_for` and a signature that verifies. Non-empty SCT extensions are
/// accepted and covered by the signature. Fewer than `threshold` verified SCTs is an error: the reason of
/// the first SCT that failed when none verified, [`CertError::SctThresholdNotMet`] otherwise. A leaf
/// without an SCT list is [`CertError::NoSct`] unless `threshold` is 0.
pub fn verify_scts(leaf: &[u8], issuer: &[u8], trust: &TrustedRoot, threshold: usize) -> Result<usize, CertError> {
    let cert = Cert::parse(leaf)?;
    let issuer_cert = Cert::parse(issuer)?;
    let extensions = cert
        .parsed
        .tbs_certificate()
        .extensions()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut found = extensions.iter().filter(|e| e.extn_id == oid::SCT_LIST);
    let (Some(ext), None) = (found.next(), found.next()) else {
        return match extensions.iter().filter(|e| e.extn_id == oid::SCT_LIST).count() {
            0 if threshold == 0 => Ok(0),
            0 => Err(CertError::NoSct),
            _ => Err(CertError::Malformed("the SCT list extension appears twice".into())),
        };
    };
    if !cert.named_issuer_is(&issuer_cert) {
        return Err(CertError::SctInvalid(format!(
            "the issuer certificate given ({}) is not the one the leaf names",
            issuer_cert.subject()
        )));
    }
    let list = tlv::read_exact(ext.extn_value.as_bytes(), tlv::OCTET_STRING, "SCT list extension")
        .map_err(CertError::SctInvalid)?;
    let scts = parse_list(list.value)?;
    let tbs = tlv::tbs_without_extension(cert.parts.tbs, oid::SCT_LIST.as_bytes()).map_err(CertError::Malformed)?;
    let issuer_key_hash = HashAlgorithm::Sha256.digest(&issuer_cert.spki_der()?);
    let mut verified = 0;
    let mut first_failure = None;
    for sct in &scts {
        match verify_one(sct, &tbs, &issuer_key_hash, trust) {
            Ok(true) => verified += 1,
            Ok(false) => {
                first_failure.get_or_insert(CertError::UnknownCtLog {
                    log_id: hex(sct.log_id),
                });
            }
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    if verified >= threshold {
        return Ok(verified);
    }
    match first_failure {
        Some(e) if verified == 0 => Err(e),
        _ => Err(CertError::SctThresholdNotMet {
            verified,
            required: threshold,
        }),
    }
}

/// Verifies one SCT: `Ok(false)` when its log is not in the trusted root.
fn verify_one(sct: &Sct<'_>, tbs: &[u8], issuer_key_hash: &[u8], trust: &TrustedRoot) -> Result<bool, CertError> {
    let id = hex(sct.log_id);
    let Some(log) = trust.ctlog_by_id(sct.log_id) else {
        return Ok(false);
    };
    if sct.version != 0 {
        return Err(CertError::SctInvalid(format!(
            "SCT from CT log {id} has version {}, expected 0 (v1)",
            sct.version
        )));
    }
    let seconds = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
    if !log.valid_for.contains(seconds) {
        return Err(CertError::SctInvalid(format!(
            "SCT from CT log {id} is timestamped {seconds} (Unix seconds), outside the period the trusted root trusts the log"
        )));
    }
    let hash = match sct.hash_algorithm {
        4 => HashAlgorithm::Sha256,
        5 => HashAlgorithm::Sha384,
        6 => HashAlgorithm::Sha512,
        other => {
            return Err(CertError::SctInvalid(format!(
                "SCT from CT log {id} uses hash algorithm {other} (expected 4, 5 or 6: SHA-256, SHA-384, SHA-512)"
            )));
        }
    };
    let key_matches = match sct.signature_algorithm {
        1 => matches!(log.key.kind(), KeyKind::Rsa(_)),
        3 => matches!(
            log.key.kind(),
            KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::EcdsaP521
        ),
        _ => false,
    };
    if !key_matches {
        return Err(CertError::SctInvalid(format!(
            "SCT from CT log {id} uses signature algorithm {} but the log's key is {}",
            sct.signature_algorithm,
            log.key.kind().describe()
        )));
    }
    let tbs_len = u32::try_from(tbs.len())
        .ok()
        .filter(|&n| n < 1 << 24)
        .ok_or_else(|| CertError::SctInvalid("the precertificate TBS is longer than 2^24 bytes".into()))?;
    let ext_len = u16::try_from(sct.extensions.len())
        .map_err(|_| CertError::SctInvalid("SCT extensions longer than 2^16 bytes".into()))?;
    let mut signed = Vec::with_capacity(tbs.len() + sct.extensions.len() + 50);
    signed.extend_from_slice(&[sct.version, 0]);
    signed.extend_from_slice(&sct.timestamp.to_be_bytes());
    signed.extend_from_slice(&1u16.to_be_bytes());
    signed.extend_from_slice(issuer_key_hash);
    signed.extend_from_slice(tbs_len.to_be_bytes().get(1..).unwrap_or_default());
    signed.extend_from_slice(tbs);
    signed.extend_from_slice(&ext_len.to_be_bytes());
    signed.extend_from_slice(sct.extensions);
    log.key
        .verify_message_hashed(hash, &signed, sct.signature)
        .map_err(|e| {
            CertError::SctInvalid(format!(
                "the signature of the SCT from CT log {id} does not verify: {e}"
            ))
        })?;
    Ok(true)
}
