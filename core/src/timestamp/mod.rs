//! RFC 3161 timestamps as Sigstore bundles carry them (`timestampVerificationData.rfc3161Timestamps`): a
//! trusted time for a signature, issued by a timestamping authority (TSA) of the trusted root.
//!
//! In Sigstore the timestamped data is the artifact signature itself (`messageSignature.signature`, or the
//! DSSE envelope's signature): the TSTInfo's `messageImprint` must be its digest. [`verify`] checks, in order:
//!
//! 1. the DER structure (a granted `TimeStampResp`, or a bare `TimeStampToken`), one SignerInfo, content
//!    type id-ct-TSTInfo;
//! 2. the `contentType` and `messageDigest` signed attributes against the TSTInfo as received;
//! 3. which authority of the trusted root signed: the signing certificate embedded in the token (matched by
//!    the SignerInfo's issuer and serial number or subject key identifier) must be the first certificate of
//!    an authority's chain, or be issued by it when the chain holds no leaf (a token that embeds certificates
//!    but not the signer's is refused); without embedded certificates, the first certificate of a chain must
//!    be the one the SignerInfo names;
//! 4. the SignerInfo's signature over the DER signed attributes, with that certificate's key;
//! 5. the `signingCertificateV2` attribute (RFC 5035), when present, names that certificate;
//! 6. the certificate allows timestamping (extended key usage id-kp-timeStamping);
//! 7. every link of the chain up to the authority's root (signature, names, CA constraints);
//! 8. every certificate of the chain is valid at the timestamp's `genTime`, so a timestamp from a chain that
//!    has since expired still verifies;
//! 9. the authority's `validFor` contains `genTime`;
//! 10. the message imprint is the digest of the signed data.
//!
//! The first authority for which every check passes is returned; when an authority is identified but a later
//! check fails, that failure is reported; when none is identified, [`TimestampError::UnknownAuthority`].

mod algorithm;
mod cert;
pub mod client;
mod error;
mod signer;
mod time;
mod tlv;
mod token;

pub use error::TimestampError;
use hsign_keys::HashAlgorithm;

use self::cert::Cert;
use self::signer::SignerId;
use self::token::Token;
use crate::trust::{CertificateAuthority, TrustedRoot};

/// A verified timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedTimestamp {
    /// The TSTInfo's `genTime` in Unix seconds (fraction truncated).
    pub time: i64,
    /// The fraction of a second of `genTime`, in nanoseconds (digits past the ninth truncated).
    pub nanos: u32,
    /// Index of the authority that issued it in `TrustedRoot::timestamp_authorities`.
    pub authority: usize,
}

/// The content of a timestamp, decoded but NOT verified: for inspection and diagnostics only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimestampInfo {
    /// `genTime` in Unix seconds (fraction truncated).
    pub time: i64,
    /// The fraction of a second of `genTime`, in nanoseconds.
    pub nanos: u32,
    /// The algorithm of the message imprint.
    pub imprint_algorithm: HashAlgorithm,
    /// The message imprint: the digest of the timestamped data.
    pub imprint: Vec<u8>,
    /// The TSTInfo serial number (big-endian two's complement, as encoded).
    pub serial_number: Vec<u8>,
    /// The TSA policy, dotted.
    pub policy: String,
    /// The DER certificates the token embeds (`SignedData.certificates`), in token order.
    pub certificates: Vec<Vec<u8>>,
    /// The TSTInfo nonce (big-endian two's complement, as encoded), when the TSA echoed one.
    pub nonce: Option<Vec<u8>>,
}

/// Decodes a DER RFC 3161 timestamp (a granted `TimeStampResp` or a bare `TimeStampToken`) without verifying
/// any signature or trust: the result says what the timestamp claims, not that it is true.
pub fn parse(timestamp_der: &[u8]) -> Result<TimestampInfo, TimestampError> {
    let token = token::parse(timestamp_der)?;
    let tst = &token.tst_info;
    Ok(TimestampInfo {
        time: tst.gen_time.0,
        nanos: tst.gen_time.1,
        imprint_algorithm: tst.imprint_algorithm,
        imprint: tst.imprint.to_vec(),
        serial_number: tst.serial.to_vec(),
        policy: algorithm::display(tst.policy),
        certificates: token.certificates.iter().map(|c| c.to_vec()).collect(),
        nonce: tst.nonce.map(<[u8]>::to_vec),
    })
}

/// Verifies a DER RFC 3161 timestamp (a `TimeStampResponse` with status granted, or a bare `TimeStampToken`
/// ContentInfo) over `signed_data` against the timestamp authorities of `trust`. In Sigstore `signed_data`
/// is the artifact signature (`messageSignature.signature`, or the DSSE envelope's signature). The checks
/// are listed in the [module documentation](self).
pub fn verify(
    timestamp_der: &[u8],
    signed_data: &[u8],
    trust: &TrustedRoot,
) -> Result<VerifiedTimestamp, TimestampError> {
    let token = token::parse(timestamp_der)?;
    signer::check_content_attributes(&token)?;
    let embedded = token
        .certificates
        .iter()
        .map(|der| Cert::parse(der))
        .collect::<Result<Vec<_>, _>>()?;
    let embedded_signer = embedded.iter().find(|c| token.signer.sid.matches(c));
    // Certificates that are embedded must include the signer's (as for any CMS verifier): a token is not
    // re-interpreted against the trusted root when its own certificates say otherwise.
    if embedded_signer.is_none() && !embedded.is_empty() {
        return Err(TimestampError::Malformed(format!(
            "none of the {} certificates embedded in the token is the one its SignerInfo names",
            embedded.len()
        )));
    }
    let mut first_error = None;
    for (index, authority) in trust.timestamp_authorities.iter().enumerate() {
        let Some(chain) = authority_chain(authority) else {
            continue;
        };
        let Some(path) = certification_path(embedded_signer, &token.signer.sid, &chain) else {
            continue;
        };
        match check_with_authority(&token, &path, authority, index, signed_data) {
            Ok(verified) => return Ok(verified),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(TimestampError::UnknownAuthority))
}

/// The parsed chain of an authority, or `None` when one of its certificates does not parse (such an
/// authority cannot have issued anything).
fn authority_chain(authority: &CertificateAuthority) -> Option<Vec<Cert<'_>>> {
    authority.cert_chain.iter().map(|der| Cert::parse(der).ok()).collect()
}

/// The path from the signing certificate to the authority's root, if this authority issued the token.
fn certification_path<'c>(
    embedded_signer: Option<&'c Cert<'c>>,
    sid: &SignerId<'_>,
    chain: &'c [Cert<'c>],
) -> Option<Vec<&'c Cert<'c>>> {
    let first = chain.first()?;
    // A chain that starts with a non-CA certificate names the TSA's signing certificate itself.
    let pinned_leaf = !first.is_ca();
    match embedded_signer {
        Some(signer) if pinned_leaf => (signer.der == first.der).then(|| chain.iter().collect()),
        Some(signer) => (signer.issuer == first.subject).then(|| std::iter::once(signer).chain(chain).collect()),
        None => (pinned_leaf && sid.matches(first)).then(|| chain.iter().collect()),
    }
}

/// Checks 4 to 10 of the module documentation for one candidate authority.
fn check_with_authority(
    token: &Token<'_>,
    path: &[&Cert<'_>],
    authority: &CertificateAuthority,
    index: usize,
    signed_data: &[u8],
) -> Result<VerifiedTimestamp, TimestampError> {
    let (signer, issuers) = path
        .split_first()
        .ok_or_else(|| TimestampError::InvalidChain("empty certification path".into()))?;
    let info = &token.signer;
    let hash = algorithm::signature_hash(&info.signature_algorithm, Some(info.digest_algorithm), "SignerInfo")?;
    signer
        .public_key()?
        .verify_message_hashed(hash, &info.signed_attrs_der, info.signature)
        .map_err(|e| {
            TimestampError::BadSignature(format!(
                "the SignerInfo signature over the signed attributes does not verify with the key of '{}': {e}",
                signer.describe()
            ))
        })?;
    signer::check_signing_certificate_v2(&token.signer, signer)?;
    signer.check_timestamping()?;
    let mut child = *signer;
    for (below, issuer) in issuers.iter().enumerate() {
        issuer.check_issued(child, below)?;
        child = issuer;
    }
    let gen_time = token.tst_info.gen_time;
    if let Some(cert) = path.iter().find(|c| !c.valid_at(gen_time)) {
        return Err(TimestampError::CertificateNotValidAt {
            subject: cert.describe(),
            time: gen_time.0,
            not_before: cert.not_before,
            not_after: cert.not_after,
        });
    }
    let valid_for = authority.valid_for;
    // A fraction past the last whole second of the period is after its end, as sigstore-go compares.
    let past_end = valid_for.end == Some(gen_time.0) && gen_time.1 > 0;
    if !valid_for.contains(gen_time.0) || past_end {
        return Err(TimestampError::AuthorityNotValidAt {
            authority: index,
            time: gen_time.0,
            start: valid_for.start,
            end: valid_for.end,
        });
    }
    let tst = &token.tst_info;
    if tst.imprint_algorithm.digest(signed_data) != tst.imprint {
        return Err(TimestampError::ImprintMismatch);
    }
    Ok(VerifiedTimestamp {
        time: gen_time.0,
        nanos: gen_time.1,
        authority: index,
    })
}

#[cfg(test)]
mod tests;
