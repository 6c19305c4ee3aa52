//! Why a verification failed. Each variant names what was expected and what was found.

use thiserror::Error;

use crate::error::FormatError;
use hsign_keys::KeyError;

/// A verification failure. The verifier fails closed: any of these means "not verified".
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A signed annotation required by the policy is missing or has another value.
    #[error("annotation '{key}' is {}, expected '{expected}'", .found.as_deref().map(|f| format!("'{f}'")).unwrap_or_else(|| "missing".into()))]
    AnnotationMismatch {
        /// The annotation key.
        key: String,
        /// The value required.
        expected: String,
        /// The value signed, if any.
        found: Option<String>,
    },
    /// The artifact's digest differs from the digest the signature claims.
    #[error("artifact digest mismatch: the signature is for {claimed}, the artifact is {actual}")]
    ArtifactDigestMismatch {
        /// The digest in the signed material.
        claimed: String,
        /// The digest of the artifact given.
        actual: String,
    },
    /// A message signature was given, but no artifact to check it against.
    #[error("no artifact given: a message signature can only be checked against the artifact or its digest")]
    ArtifactRequired,
    /// The artifact digest is of an algorithm the signature does not use.
    #[error("the artifact digest is {given}, but the signature covers a {needed} digest")]
    DigestAlgorithm {
        /// The algorithm needed.
        needed: &'static str,
        /// The algorithm of the digest given.
        given: &'static str,
    },
    /// The DSSE payload is not an in-toto statement where one was needed.
    #[error("DSSE payloadType is '{found}', expected 'application/vnd.in-toto+json'")]
    PayloadType {
        /// The payload type found.
        found: String,
    },
    /// The statement's predicate type is not the one required.
    #[error("predicate type is '{found}', expected '{expected}'")]
    PredicateTypeMismatch {
        /// The predicate type required.
        expected: String,
        /// The predicate type in the statement.
        found: String,
    },
    /// The signature does not verify with the key.
    #[error("signature verification failed: {0}")]
    Signature(#[source] KeyError),
    /// The signed payload could not be read.
    #[error("signed payload is malformed: {0}")]
    Payload(#[source] FormatError),
    /// The signed statement could not be read.
    #[error("signed statement is malformed: {0}")]
    Statement(#[source] FormatError),
    /// No subject of the statement has the artifact's digest.
    #[error("no subject of the statement has the artifact digest {digest}")]
    SubjectMismatch {
        /// The artifact digest.
        digest: String,
    },
    /// The transparency log is required, but the signature has no entry.
    #[error("no transparency log entry, and the policy requires one")]
    TlogMissing,
    /// A transparency-log entry failed a check (which one is in the error).
    #[error("transparency log: {0}")]
    Tlog(#[source] crate::tlog::TlogError),
    /// A keyless policy, but the signature carries no certificate.
    #[error(
        "no certificate: a keyless verification (--certificate-identity) needs a signature with a certificate; pass --key for a key-signed one"
    )]
    CertificateRequired,
    /// The certificate failed a check (chain, validity at the signing time, usage, SCT).
    #[error("certificate check failed: {0}")]
    Certificate(String),
    /// The certificate names another identity or issuer.
    #[error("identity check failed: {0}")]
    Identity(String),
    /// An RFC 3161 timestamp failed.
    #[error("timestamp check failed: {0}")]
    Timestamp(String),
    /// The signature's key material cannot be used with this policy.
    #[error("{0}")]
    Unsupported(String),
}
