//! X.509 certificates for keyless (Fulcio) verification: what a Fulcio leaf certificate says
//! ([`parse_leaf`]), whether it chains to a certificate authority of the trusted root at the signing time
//! ([`verify_chain`]), and whether the CT logs of the trusted root vouched for it ([`verify_scts`]).
//!
//! The rules follow sigstore-go (`pkg/verify/certificate.go`, `pkg/verify/sct.go`), which uses Go's
//! `x509.Verify` and certificate-transparency-go:
//!
//! - the path is built from the trusted root alone: the leaf, then the certificates of one certificate
//!   authority (its intermediates, then its root, the trust anchor). Intermediates carried by a bundle are
//!   not trusted for anything; one that is self-signed (a root) makes the chain refused, as the Sigstore
//!   conformance suite requires (`bundle-with-root-cert_fail`);
//! - every certificate on the path must be valid at the signing time (the "hybrid model" of the Sigstore
//!   client spec), and the authority's `validFor` must contain that time;
//! - SCTs from logs the trusted root does not list are skipped, as sigstore-go does; the threshold counts
//!   the SCTs that verify.
//!
//! Signatures are checked over the certificate bytes as received ([`tlv`]), never over a re-encoding.

mod cert;
mod chain;
mod sct;
mod tlv;

#[cfg(test)]
mod tests;

use der::{Decode as _, Encode as _};

pub use cert::{LeafInfo, parse_leaf};
pub use chain::{VerifiedChain, verify_chain, verify_chain_path};
pub use sct::verify_scts;

/// The DER SubjectPublicKeyInfo of a DER certificate, or `None` when it is not a certificate.
pub fn spki_der(cert_der: &[u8]) -> Option<Vec<u8>> {
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    cert.tbs_certificate().subject_public_key_info().to_der().ok()
}

/// Why a certificate, a certificate chain or an SCT was refused. Each variant names the check that failed
/// and, where it helps, the certificate (`leaf`, `certificate authority 0, certificate 1 (O=sigstore.dev,
/// CN=sigstore-intermediate)`) and the values compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// A certificate's signature does not verify with its issuer's key.
    #[error("the signature of {which} does not verify with its issuer's key: {reason}")]
    BadSignature {
        /// The certificate whose signature failed.
        which: String,
        /// What the key check said.
        reason: String,
    },
    /// A certificate is not DER of the structure expected, or a field holds a value of the wrong type.
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// A certificate that issues another one is not allowed to: not marked as a certificate authority, or
    /// without the keyCertSign key usage.
    #[error("{which} issues certificates but may not: {reason}")]
    NotCa {
        /// The certificate.
        which: String,
        /// What it lacks.
        reason: String,
    },
    /// The leaf certificate is not for code signing.
    #[error("the leaf certificate is not a code-signing certificate: {0}")]
    NotCodeSigning(String),
    /// A certificate is not valid at the time checked.
    #[error("{which} is not valid at {at} (Unix seconds): it is valid from {not_before} to {not_after}")]
    NotValidAt {
        /// The certificate.
        which: String,
        /// The time checked, Unix seconds.
        at: i64,
        /// Its notBefore, Unix seconds.
        not_before: i64,
        /// Its notAfter, Unix seconds.
        not_after: i64,
    },
    /// The leaf certificate carries no SCT list extension (1.3.6.1.4.1.11129.2.4.2).
    #[error("the leaf certificate has no embedded SCTs (expected extension 1.3.6.1.4.1.11129.2.4.2)")]
    NoSct,
    /// A certificate authority's path length constraint is exceeded.
    #[error("{which} allows at most {max} intermediate certificates below it, the path has {found}")]
    PathTooLong {
        /// The certificate authority.
        which: String,
        /// Its pathLenConstraint.
        max: u8,
        /// The intermediates below it on the path.
        found: usize,
    },
    /// The certificate chain of the bundle contains a self-signed (root) certificate.
    #[error(
        "the certificate chain contains a root (self-signed) certificate at position {index}; a bundle must not carry the root"
    )]
    RootInChain {
        /// Its position in the chain given (the leaf excluded).
        index: usize,
    },
    /// An SCT from a known CT log does not verify, or the SCT list is malformed.
    #[error("invalid SCT: {0}")]
    SctInvalid(String),
    /// Fewer SCTs verified than required.
    #[error("only {verified} SCTs verified, {required} required")]
    SctThresholdNotMet {
        /// The SCTs that verified.
        verified: usize,
        /// The threshold.
        required: usize,
    },
    /// A certificate has a critical extension hsign does not process (RFC 5280 §4.2 requires refusing it).
    #[error("{which} has a critical extension {oid} hsign does not process")]
    UnhandledCriticalExtension {
        /// The certificate.
        which: String,
        /// The extension's OID.
        oid: String,
    },
    /// An SCT names a CT log the trusted root does not list.
    #[error("SCT from unknown CT log {log_id} (expected the log id of a CT log of the trusted root)")]
    UnknownCtLog {
        /// The log id, lowercase hex.
        log_id: String,
    },
    /// No certificate authority of the trusted root that is valid at the time checked issued the leaf.
    #[error(
        "the leaf certificate was not issued by a certificate authority of the trusted root valid at {at}: {reason}"
    )]
    UnknownIssuer {
        /// The time checked, Unix seconds.
        at: i64,
        /// What was tried.
        reason: String,
    },
    /// A signature algorithm or key hsign does not verify with.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
}

/// OIDs this module reads.
pub(crate) mod oid {
    use der::asn1::ObjectIdentifier as Oid;
    /// The Fulcio extension arc: `1.3.6.1.4.1.57264.1.*`.
    pub const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1.";
    /// Fulcio's OIDC issuer, v1 (raw bytes).
    pub const FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
    /// Fulcio's OIDC issuer, v2 (DER UTF8String).
    pub const FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
    /// Fulcio's otherName SAN type (a UTF8String username, `foo!oidc.local`).
    pub const FULCIO_OTHERNAME: Oid = Oid::new_unwrap("1.3.6.1.4.1.57264.1.7");
    /// RFC 6962 embedded SCT list.
    pub const SCT_LIST: Oid = Oid::new_unwrap("1.3.6.1.4.1.11129.2.4.2");
    /// id-kp-codeSigning.
    pub const CODE_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.3");
    /// anyExtendedKeyUsage.
    pub const ANY_EKU: Oid = Oid::new_unwrap("2.5.29.37.0");
    /// keyUsage.
    pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    /// subjectAltName.
    pub const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    /// basicConstraints.
    pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
    /// extKeyUsage.
    pub const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
    /// ecdsa-with-SHA256.
    pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    /// ecdsa-with-SHA384.
    pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    /// ecdsa-with-SHA512.
    pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    /// sha256WithRSAEncryption.
    pub const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    /// sha384WithRSAEncryption.
    pub const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    /// sha512WithRSAEncryption.
    pub const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
