//! An RFC 3161 timestamp client: it asks a timestamping authority (TSA) to timestamp a signature, as cosign
//! and sigstore-go do with `https://timestamp.sigstore.dev/api/v1/timestamp`.
//!
//! The request is a DER `TimeStampReq` (version 1, a SHA-256 message imprint of the signature bytes, a random
//! 8-byte nonce, certReq TRUE) posted as `application/timestamp-query`; the answer is a DER `TimeStampResp`
//! (`application/timestamp-reply`). The answer is decoded with [`super::parse`] and must be granted, carry
//! the imprint asked for and echo the nonce. Its signature and trust are NOT checked here: that is
//! [`super::verify`]'s job, against a trusted root, at verification time. Transient failures (transport
//! errors, 408, 429, 5xx) are retried a bounded number of times with backoff; the answer is size-limited.

use std::time::Duration;

use hsign_keys::HashAlgorithm;

use super::TimestampError;

/// Public-good Sigstore TSA.
pub const PUBLIC_GOOD_URL: &str = "https://timestamp.sigstore.dev/api/v1/timestamp";

/// Attempts per request (one try and up to three retries).
const ATTEMPTS: u32 = 4;
/// Largest answer read.
const MAX_ANSWER: u64 = 1024 * 1024;
/// DER of the SHA-256 OID content (2.16.840.1.101.3.4.2.1).
const SHA256_OID: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];

/// A timestamp request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsaError {
    /// The TSA's answer does not match the request: another imprint, or another (or no) nonce.
    #[error("timestamp authority {url} answered a timestamp for another request: {reason}")]
    Mismatch {
        /// The URL.
        url: String,
        /// What differs.
        reason: String,
    },
    /// The answer is not a granted, well-formed `TimeStampResp`.
    #[error("timestamp authority {url} sent an unusable answer: {error}")]
    Response {
        /// The URL.
        url: String,
        /// Why it was refused.
        error: TimestampError,
    },
    /// The system's random number generator failed (the nonce).
    #[error("could not draw a random nonce for the timestamp request")]
    Random,
    /// The TSA answered with an error status.
    #[error("timestamp authority {url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer body.
        message: String,
    },
    /// The TSA could not be reached, or the connection failed or timed out, or it kept failing (5xx).
    #[error("timestamp authority {url}: {reason} (after {attempts} attempts)")]
    Transport {
        /// The URL.
        url: String,
        /// What failed last.
        reason: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// A client for one RFC 3161 timestamping authority.
#[derive(Clone, Debug)]
pub struct TsaClient {
    url: String,
    agent: ureq::Agent,
    retry_delay: Duration,
}

impl TsaClient {
    /// A client for the TSA endpoint `url` (the full URL requests are posted to, e.g. [`PUBLIC_GOOD_URL`]),
    /// with a per-request `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Self {
        Self {
            url: url.to_string(),
            agent: crate::http::agent(timeout),
            retry_delay: Duration::from_millis(250),
        }
    }

    /// The TSA's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Timestamps `signature`: returns the DER `TimeStampResp` the TSA answered, after checking that it is
    /// granted, well-formed, and carries the SHA-256 imprint of `signature` and the request's nonce.
    pub fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|_| TsaError::Random)?;
        let imprint = HashAlgorithm::Sha256.digest(signature);
        let request = encode_request(&imprint, &nonce);
        let answer = self.post(&request)?;
        self.check(&answer, &imprint, &nonce)?;
        Ok(answer)
    }

    fn check(&self, answer: &[u8], imprint: &[u8], nonce: &[u8]) -> Result<(), TsaError> {
        let info = super::parse(answer).map_err(|error| TsaError::Response {
            url: self.url.clone(),
            error,
        })?;
        let mismatch = |reason: String| TsaError::Mismatch {
            url: self.url.clone(),
            reason,
        };
        if info.imprint_algorithm != HashAlgorithm::Sha256 || info.imprint != imprint {
            return Err(mismatch(format!(
                "the message imprint is not the SHA-256 digest of the signature (got a {} imprint)",
                info.imprint_algorithm.name()
            )));
        }
        match &info.nonce {
            Some(n) if integer_value(n) == integer_value(nonce) => Ok(()),
            Some(_) => Err(mismatch("the nonce differs from the request's".into())),
            None => Err(mismatch("the timestamp carries no nonce".into())),
        }
    }

    fn post(&self, body: &[u8]) -> Result<Vec<u8>, TsaError> {
        let exchange = crate::http::Exchange {
            url: &self.url,
            headers: &[
                ("Content-Type", "application/timestamp-query"),
                ("Accept", "application/timestamp-reply"),
            ],
            body: Some(body),
            limit: MAX_ANSWER,
        };
        let answer = crate::http::send(&self.agent, &exchange, ATTEMPTS, self.retry_delay).map_err(|reason| {
            TsaError::Transport {
                url: self.url.clone(),
                reason,
                attempts: ATTEMPTS,
            }
        })?;
        if answer.status != 200 {
            return Err(TsaError::Status {
                url: self.url.clone(),
                status: answer.status,
                message: crate::http::message(&answer.body),
            });
        }
        Ok(answer.body)
    }
}

/// The magnitude of a non-negative INTEGER's content: leading zero octets removed.
fn integer_value(content: &[u8]) -> &[u8] {
    let start = content.iter().position(|b| *b != 0).unwrap_or(content.len());
    &content[start..]
}

/// One DER element with a definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A non-negative INTEGER from big-endian bytes, in its minimal encoding.
fn unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let magnitude = integer_value(bytes);
    let mut content = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(magnitude);
    tlv(0x02, &content)
}

/// `TimeStampReq ::= SEQUENCE { version INTEGER (1), messageImprint MessageImprint, reqPolicy OPTIONAL,
/// nonce INTEGER OPTIONAL, certReq BOOLEAN DEFAULT FALSE, extensions [0] OPTIONAL }` with a SHA-256
/// imprint, the nonce, and certReq TRUE.
pub(crate) fn encode_request(sha256_imprint: &[u8], nonce: &[u8]) -> Vec<u8> {
    let algorithm = tlv(0x30, &[tlv(0x06, &SHA256_OID), tlv(0x05, &[])].concat());
    let message_imprint = tlv(0x30, &[algorithm, tlv(0x04, sha256_imprint)].concat());
    let body = [
        tlv(0x02, &[1]),
        message_imprint,
        unsigned_integer(nonce),
        tlv(0x01, &[0xff]),
    ]
    .concat();
    tlv(0x30, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn encodes_a_timestamp_request_as_der() {
        let imprint = [0xabu8; 32];
        let der = encode_request(&imprint, &hex("0102030405060708"));
        let expected = [
            "3043",                   // TimeStampReq
            "020101",                 // version 1
            "3031",                   // messageImprint
            "300d",                   // AlgorithmIdentifier
            "0609608648016503040201", // sha256
            "0500",                   // NULL parameters
            "0420",
            &"ab".repeat(32),
            "02080102030405060708", // nonce
            "0101ff",               // certReq TRUE
        ]
        .concat();
        assert_eq!(der, hex(&expected));
    }

    #[test]
    fn encodes_a_high_bit_nonce_as_a_positive_integer() {
        let der = encode_request(&[0u8; 32], &hex("ff00000000000001"));
        assert!(
            der.windows(11).any(|w| w == hex("020900ff00000000000001").as_slice()),
            "{der:02x?}"
        );
        // Leading zero octets are not encoded: the INTEGER is minimal.
        let der = encode_request(&[0u8; 32], &hex("0000000000000102"));
        assert!(der.windows(4).any(|w| w == hex("02020102").as_slice()), "{der:02x?}");
    }

    #[test]
    fn compares_nonces_by_value() {
        assert_eq!(integer_value(&hex("00ff01")), integer_value(&hex("ff01")));
        assert_eq!(integer_value(&hex("0000")), &[] as &[u8]);
    }

    #[test]
    fn a_closed_port_is_a_transport_error_after_the_retries() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mut client = TsaClient::new(&format!("http://127.0.0.1:{port}/tsa"), Duration::from_secs(2));
        client.retry_delay = Duration::from_millis(1);
        let err = client.timestamp(b"sig").unwrap_err();
        assert!(matches!(err, TsaError::Transport { attempts: ATTEMPTS, .. }), "{err}");
    }
}
