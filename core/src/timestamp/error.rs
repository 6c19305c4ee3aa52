//! The errors of RFC 3161 timestamp verification: each names the check that failed.

use thiserror::Error;

use crate::rfc3339;

/// Why a timestamp was not accepted.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampError {
    /// The timestamp's time lies outside the `validFor` period the trusted root gives its authority.
    #[error(
        "the timestamp time {} is outside the validity period of timestamp authority {authority} of the \
         trusted root ({} to {})",
        rfc3339::format(*time),
        bound(*start),
        bound(*end)
    )]
    AuthorityNotValidAt {
        /// Index of the authority in `TrustedRoot::timestamp_authorities`.
        authority: usize,
        /// The timestamp's time, Unix seconds.
        time: i64,
        /// Start of the authority's validity, if bounded.
        start: Option<i64>,
        /// End of the authority's validity, if bounded.
        end: Option<i64>,
    },
    /// A signature does not verify: the token's (over its signed attributes), a signed attribute that binds
    /// the content or the signing certificate, or a certificate's in the TSA chain.
    #[error("timestamp signature check failed: {0}")]
    BadSignature(String),
    /// A certificate of the TSA chain is not valid at the timestamp's time.
    #[error(
        "the TSA certificate '{subject}' is not valid at the timestamp time {} (valid from {} to {})",
        rfc3339::format(*time),
        rfc3339::format(*not_before),
        rfc3339::format(*not_after)
    )]
    CertificateNotValidAt {
        /// The certificate's subject.
        subject: String,
        /// The timestamp's time, Unix seconds.
        time: i64,
        /// The certificate's notBefore, Unix seconds.
        not_before: i64,
        /// The certificate's notAfter, Unix seconds.
        not_after: i64,
    },
    /// The message imprint of the timestamp is not the digest of the signed data: the timestamp was issued
    /// for another signature.
    #[error("the timestamp's message imprint does not match the digest of the signature it should timestamp")]
    ImprintMismatch,
    /// The TSA chain is not a valid certification path (names, CA constraints, key usages).
    #[error("invalid TSA certificate chain: {0}")]
    InvalidChain(String),
    /// The timestamp is not a well-formed DER TimeStampResp or TimeStampToken.
    #[error("malformed RFC 3161 timestamp: {0}")]
    Malformed(String),
    /// The TimeStampResp's status is neither granted nor grantedWithMods.
    #[error("the timestamp response was not granted: {0}")]
    NotGranted(String),
    /// The TSA signing certificate does not allow timestamping (extended key usage id-kp-timeStamping).
    #[error("the TSA signing certificate does not have the extended key usage timeStamping (1.3.6.1.5.5.7.3.8)")]
    NotTimestampingCert,
    /// No timestamp authority of the trusted root issued the token's signing certificate.
    #[error("the timestamp was not signed by a timestamp authority of the trusted root")]
    UnknownAuthority,
    /// A digest, signature or key algorithm hsign does not accept (SHA-1, for example).
    #[error("unsupported algorithm in the timestamp: {0}")]
    UnsupportedAlgorithm(String),
}

fn bound(t: Option<i64>) -> String {
    t.map_or_else(|| "unbounded".to_owned(), rfc3339::format)
}
