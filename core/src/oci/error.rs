//! Registry failures, each naming the registry and, for HTTP answers, the status.

use thiserror::Error;

/// A registry operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry denied access (401 after authenticating, or 403).
    #[error("{registry}: access denied ({status}) for {what}{}", detail(.message))]
    Denied {
        /// Registry host.
        registry: String,
        /// HTTP status.
        status: u16,
        /// What was asked.
        what: String,
        /// The registry's error message, if any.
        message: String,
    },
    /// Content fetched does not have the digest it was asked for.
    #[error("{registry}: {what} has digest {actual}, expected {expected}: the registry returned other bytes")]
    DigestMismatch {
        /// Registry host.
        registry: String,
        /// What was fetched.
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The registry returned an unexpected status.
    #[error("{registry}: {method} {what} answered {status}{}", detail(.message))]
    Http {
        /// Registry host.
        registry: String,
        /// HTTP method.
        method: &'static str,
        /// What was asked.
        what: String,
        /// HTTP status.
        status: u16,
        /// The registry's error message, if any.
        message: String,
    },
    /// Something the registry returned is malformed.
    #[error("{registry}: {what}: {reason}")]
    Malformed {
        /// Registry host.
        registry: String,
        /// What was read.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// Plain HTTP was needed but not allowed.
    #[error("{registry}: {reason}")]
    Refused {
        /// Registry host.
        registry: String,
        /// Why.
        reason: String,
    },
    /// A blob or manifest is larger than accepted.
    #[error("{registry}: {what} is larger than the {limit} bytes accepted")]
    TooLarge {
        /// Registry host.
        registry: String,
        /// What was read.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The connection failed (after retries).
    #[error("{registry}: {what}: {reason}")]
    Transport {
        /// Registry host.
        registry: String,
        /// What was asked.
        what: String,
        /// The transport error.
        reason: String,
    },
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}
