//! Certificate path validation for Fulcio leaf certificates against the certificate authorities of a
//! trusted root ([`verify_chain`]), at the signing time rather than now.

use crate::limits;
use crate::trust::{CertificateAuthority, TrustedRoot};

use super::cert::Cert;
use super::{CertError, oid};

/// A chain that verified: which certificate authority of the trusted root it reached, and the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedChain {
    /// The index of the authority in [`TrustedRoot::certificate_authorities`].
    pub ca_index: usize,
    /// The path, DER: the leaf, the certificate that issued it, and so on up to the authority's root.
    pub path: Vec<Vec<u8>>,
}

impl VerifiedChain {
    /// The certificate that issued the leaf (the one whose key hash SCTs cover), DER.
    pub fn issuer(&self) -> Option<&[u8]> {
        self.path.get(1).map(Vec::as_slice)
    }
}

/// Verifies that `leaf` chains to a certificate authority of `trust` at time `at` (Unix seconds) and returns
/// the index of that authority. See [`verify_chain_path`] for the rules.
pub fn verify_chain(leaf: &[u8], chain: &[Vec<u8>], trust: &TrustedRoot, at: i64) -> Result<usize, CertError> {
    verify_chain_path(leaf, chain, trust, at).map(|v| v.ca_index)
}

/// Verifies that `leaf` chains to a certificate authority of `trust` at time `at` (Unix seconds), and returns
/// the authority and the path.
///
/// - `chain` is what the bundle carries after the leaf. It is not used to build the path (trust comes from the
///   trusted root alone, as in sigstore-go); a self-signed certificate in it is refused
///   ([`CertError::RootInChain`]), and each certificate must decode.
/// - The leaf must be valid at `at`, have extendedKeyUsage codeSigning and keyUsage digitalSignature, and no
///   critical extension other than those.
/// - The candidate authorities are those whose `valid_for` contains `at`, in order. The path goes from the
///   leaf through the authority's certificates, matched by name and signature, to its last certificate (the
///   root). Each certificate on it must be valid at `at`, be a CA (basicConstraints CA=true, keyCertSign when
///   keyUsage is present), respect its pathLenConstraint, and allow code signing when it restricts the
///   extended key usage. Signatures are ECDSA (P-256, P-384, P-521) or RSA with SHA-256/384/512.
pub fn verify_chain_path(
    leaf: &[u8],
    chain: &[Vec<u8>],
    trust: &TrustedRoot,
    at: i64,
) -> Result<VerifiedChain, CertError> {
    if chain.len() > limits::MAX_CHAIN_LEN {
        return Err(CertError::Malformed(format!(
            "the certificate chain has {} certificates, more than the {} hsign accepts",
            chain.len(),
            limits::MAX_CHAIN_LEN
        )));
    }
    for (index, der) in chain.iter().enumerate() {
        if Cert::parse(der)?.is_self_issued() {
            return Err(CertError::RootInChain { index });
        }
    }
    let leaf_cert = Cert::parse(leaf)?;
    check_leaf(&leaf_cert, at)?;
    let mut candidates = 0;
    let mut failure = None;
    for (index, ca) in trust.certificate_authorities.iter().enumerate() {
        if !ca.valid_for.contains(at) {
            continue;
        }
        candidates += 1;
        match path_through(&leaf_cert, ca, index, at) {
            Ok(used) => {
                let mut path = vec![leaf.to_vec()];
                path.extend(used.into_iter().filter_map(|j| ca.cert_chain.get(j).cloned()));
                return Ok(VerifiedChain { ca_index: index, path });
            }
            Err(CertError::UnknownIssuer { .. }) => {}
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    Err(failure.unwrap_or_else(|| CertError::UnknownIssuer {
        at,
        reason: format!(
            "{candidates} of the {} certificate authorities are valid then, and none has a certificate named {}",
            trust.certificate_authorities.len(),
            leaf_cert.parsed.tbs_certificate().issuer()
        ),
    }))
}

/// The checks on the leaf alone.
fn check_leaf(leaf: &Cert<'_>, at: i64) -> Result<(), CertError> {
    const WHICH: &str = "the leaf certificate";
    leaf.check_valid_at(at, WHICH)?;
    let eku = leaf
        .ext_key_usage()?
        .ok_or_else(|| CertError::NotCodeSigning("it has no extendedKeyUsage extension".into()))?;
    if !eku.0.contains(&oid::CODE_SIGNING) {
        return Err(CertError::NotCodeSigning(
            "its extendedKeyUsage lacks codeSigning (1.3.6.1.5.5.7.3.3)".into(),
        ));
    }
    let key_usage = leaf
        .key_usage()?
        .ok_or_else(|| CertError::NotCodeSigning("it has no keyUsage extension".into()))?;
    if !key_usage.digital_signature() {
        return Err(CertError::NotCodeSigning("its keyUsage lacks digitalSignature".into()));
    }
    leaf.check_critical(
        &[
            oid::KEY_USAGE,
            oid::EXT_KEY_USAGE,
            oid::SUBJECT_ALT_NAME,
            oid::BASIC_CONSTRAINTS,
        ],
        WHICH,
    )
}

/// The indexes of `ca`'s certificates on the path from `leaf` to the authority's root, issuer of the leaf
/// first; an error says which check failed.
fn path_through(leaf: &Cert<'_>, ca: &CertificateAuthority, index: usize, at: i64) -> Result<Vec<usize>, CertError> {
    let certs = ca
        .cert_chain
        .iter()
        .map(|der| Cert::parse(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CertError::Malformed(format!("certificate authority {index} of the trusted root: {e}")))?;
    let anchor = certs.len().checked_sub(1).ok_or_else(|| CertError::UnknownIssuer {
        at,
        reason: format!("certificate authority {index} has no certificates"),
    })?;
    let mut used: Vec<usize> = Vec::new();
    let mut current = leaf;
    let mut current_name = "the leaf certificate".to_owned();
    // Each step adds an unused certificate, so the loop ends after at most `certs.len()` steps.
    loop {
        let mut bad_signature = None;
        let mut found = None;
        for (j, candidate) in certs.iter().enumerate() {
            if used.contains(&j) || !current.named_issuer_is(candidate) {
                continue;
            }
            match current.verify_issued_by(candidate, &current_name) {
                Ok(()) => {
                    found = Some(j);
                    break;
                }
                Err(e) => {
                    bad_signature.get_or_insert(e);
                }
            }
        }
        let Some((j, issuer)) = found.and_then(|j| certs.get(j).map(|c| (j, c))) else {
            return Err(bad_signature.unwrap_or_else(|| CertError::UnknownIssuer {
                at,
                reason: format!(
                    "certificate authority {index} has no certificate named {}",
                    current.parsed.tbs_certificate().issuer()
                ),
            }));
        };
        let which = format!("certificate authority {index}, certificate {j} ({})", issuer.subject());
        check_ca(issuer, used.len(), at, &which)?;
        used.push(j);
        if j == anchor {
            return Ok(used);
        }
        current = issuer;
        current_name = which;
    }
}

/// The checks on a certificate that issues another on the path; `below` intermediates lie between it and
/// the leaf.
fn check_ca(cert: &Cert<'_>, below: usize, at: i64, which: &str) -> Result<(), CertError> {
    cert.check_valid_at(at, which)?;
    let not_ca = |reason: &str| CertError::NotCa {
        which: which.to_owned(),
        reason: reason.to_owned(),
    };
    let constraints = cert
        .basic_constraints()?
        .ok_or_else(|| not_ca("it has no basicConstraints extension (expected CA=true)"))?;
    if !constraints.ca {
        return Err(not_ca("its basicConstraints say CA=false (expected CA=true)"));
    }
    if let Some(max) = constraints.path_len_constraint
        && below > usize::from(max)
    {
        return Err(CertError::PathTooLong {
            which: which.to_owned(),
            max,
            found: below,
        });
    }
    if let Some(key_usage) = cert.key_usage()?
        && !key_usage.key_cert_sign()
    {
        return Err(not_ca("its keyUsage lacks keyCertSign"));
    }
    if let Some(eku) = cert.ext_key_usage()?
        && !eku.0.iter().any(|o| *o == oid::CODE_SIGNING || *o == oid::ANY_EKU)
    {
        return Err(CertError::NotCodeSigning(format!(
            "{which} restricts extended key usage to purposes without codeSigning"
        )));
    }
    cert.check_critical(&[oid::KEY_USAGE, oid::EXT_KEY_USAGE, oid::BASIC_CONSTRAINTS], which)
}
