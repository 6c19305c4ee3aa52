//! The certificate step of keyless signing: where the OIDC identity token comes from ([`identity_token`]),
//! what it claims ([`unverified_claims`]), and the Fulcio v2 client that trades it, with a proof of
//! possession of the signing key, for a short-lived code-signing certificate ([`FulcioClient`]).
//!
//! Nothing here verifies the token's signature: Fulcio does. The claims are read only to build the proof of
//! possession (the `email` claim, else `sub`) and to refuse an expired token before calling Fulcio.

mod client;
mod token;

#[cfg(test)]
mod tests;

pub use client::{FulcioClient, PUBLIC_GOOD_URL, SigningCertificate};
pub use token::{
    Claims, GITHUB_REQUEST_TOKEN_ENV, GITHUB_REQUEST_URL_ENV, SIGSTORE_ID_TOKEN_ENV, TokenSource, github_actions_token,
    identity_token, identity_token_with, unverified_claims,
};

/// Getting an identity token or a signing certificate failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FulcioError {
    /// The identity token expired before Fulcio was asked.
    #[error(
        "the OIDC identity token expired at {exp} (Unix seconds), {} seconds ago: get a fresh token",
        .now.saturating_sub(*.exp)
    )]
    ExpiredToken {
        /// The token's `exp` claim, Unix seconds.
        exp: i64,
        /// The time checked, Unix seconds.
        now: i64,
    },
    /// Fulcio's answer is not the `SigningCertificate` message the v2 API specifies.
    #[error("Fulcio {url} sent a malformed answer: {reason}")]
    Malformed {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The identity token is not a JWT with the claims expected.
    #[error("the OIDC identity token is malformed: {0}")]
    MalformedToken(String),
    /// No identity token was given and none is available from the environment.
    #[error(
        "no OIDC identity token: none was given, SIGSTORE_ID_TOKEN is unset, and no GitHub Actions token is \
         available (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN unset)"
    )]
    NoToken,
    /// Fulcio refused the request (a 4xx answer, or an unexpected status).
    #[error("Fulcio {url} refused the certificate request ({status}): {message}")]
    Refused {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Fulcio's `message`, or an excerpt of the body.
        message: String,
    },
    /// The proof of possession could not be signed with the key.
    #[error("signing the proof of possession: {0}")]
    Signing(#[from] hsign_keys::KeyError),
    /// The token file named by `--identity-token` could not be read.
    #[error("reading the identity token file {path}: {reason}")]
    TokenFile {
        /// The path.
        path: String,
        /// What failed.
        reason: String,
    },
    /// The ambient token provider (GitHub Actions) failed or answered something other than `{"value": "<jwt>"}`.
    #[error("getting the GitHub Actions identity token from {url}: {reason}")]
    TokenProvider {
        /// The request URL, without its query.
        url: String,
        /// What failed.
        reason: String,
    },
    /// Fulcio could not be reached, or kept failing (transport errors, 429, 5xx).
    #[error("Fulcio {url}: {reason} (after {attempts} attempts)")]
    Transport {
        /// The URL.
        url: String,
        /// What failed last.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// The current time, Unix seconds (0 if the clock is before 1970).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
