//! A Fulcio v2 client: `POST /api/v2/signingCert` with an OIDC identity token, the public key (PEM) and a
//! proof of possession (the key's signature over the token's subject), answered with the certificate chain,
//! leaf first. Transport errors, 408, 429 and 5xx are retried a bounded number of times with backoff.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::{HashAlgorithm, KeyKind, PrivateKey};
use serde::Deserialize;
use serde_json::json;

use super::{FulcioError, unverified_claims};
use crate::http;

/// Public-good Fulcio.
pub const PUBLIC_GOOD_URL: &str = "https://fulcio.sigstore.dev";

/// Attempts per request (one try and up to three retries).
const ATTEMPTS: u32 = 4;
/// Largest Fulcio answer read.
const MAX_ANSWER: u64 = 4 * 1024 * 1024;
/// Most certificates accepted in a chain.
const MAX_CHAIN: usize = 10;

/// What Fulcio issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SigningCertificate {
    /// The chain, DER: the leaf, then the intermediates, then the root.
    pub chain: Vec<Vec<u8>>,
    /// The detached SCT (`signedCertificateDetachedSct`), when Fulcio did not embed it in the leaf.
    pub detached_sct: Option<Vec<u8>>,
}

/// A Fulcio v2 client for one instance.
#[derive(Clone, Debug)]
pub struct FulcioClient {
    base: String,
    agent: ureq::Agent,
    retry_delay: Duration,
}

impl FulcioClient {
    /// A client for the Fulcio at `base_url` (`https://fulcio.sigstore.dev`), with a per-request `timeout`.
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            agent: http::agent(timeout),
            retry_delay: Duration::from_millis(250),
        }
    }

    /// The instance's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// A certificate for `key` bound to the identity of `token`: the chain, DER, leaf first. See
    /// [`FulcioClient::request_certificate`].
    pub fn signing_certificate(&self, token: &str, key: &PrivateKey) -> Result<Vec<Vec<u8>>, FulcioError> {
        self.request_certificate(token, key).map(|c| c.chain)
    }

    /// Asks for a certificate for `key` bound to the identity of `token`. The token's claims are read (not
    /// verified) first: an expired token is refused here, and the proof of possession is the key's signature
    /// (SHA-256 for ECDSA and RSA) over the `email` claim, or `sub` when there is none.
    pub fn request_certificate(&self, token: &str, key: &PrivateKey) -> Result<SigningCertificate, FulcioError> {
        let token = token.trim();
        let claims = unverified_claims(token)?;
        claims.ensure_unexpired(super::now())?;
        let subject = claims.subject().as_bytes();
        let public = key.public_key();
        let (algorithm, proof) = match public.kind() {
            KeyKind::Ed25519 => ("ED25519", key.sign_message(subject)?),
            KeyKind::Rsa(_) => (
                "RSA_PSS",
                key.sign_digest(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(subject))?,
            ),
            _ => (
                "ECDSA",
                key.sign_digest(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(subject))?,
            ),
        };
        let request = json!({
            "credentials": {"oidcIdentityToken": token},
            "publicKeyRequest": {
                "publicKey": {"algorithm": algorithm, "content": public.to_pem()},
                "proofOfPossession": STANDARD.encode(proof),
            },
        })
        .to_string();
        let url = format!("{}/api/v2/signingCert", self.base);
        let answer = http::send(
            &self.agent,
            &http::Exchange {
                url: &url,
                headers: &http::JSON,
                body: Some(request.as_bytes()),
                limit: MAX_ANSWER,
            },
            ATTEMPTS,
            self.retry_delay,
        )
        .map_err(|reason| FulcioError::Transport {
            url: self.base.clone(),
            reason,
            attempts: ATTEMPTS,
        })?;
        if !matches!(answer.status, 200 | 201) {
            return Err(FulcioError::Refused {
                url: self.base.clone(),
                status: answer.status,
                message: http::message(&answer.body),
            });
        }
        parse_answer(&answer.body).map_err(|reason| FulcioError::Malformed {
            url: self.base.clone(),
            reason,
        })
    }
}

/// Reads a v2 `SigningCertificate` answer.
fn parse_answer(body: &[u8]) -> Result<SigningCertificate, String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        signed_certificate_embedded_sct: Option<Issued>,
        signed_certificate_detached_sct: Option<Issued>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Issued {
        chain: Option<Chain>,
        signed_certificate_timestamp: Option<String>,
    }
    #[derive(Deserialize)]
    struct Chain {
        certificates: Option<Vec<String>>,
    }
    let raw: Raw =
        serde_json::from_slice(body).map_err(|e| format!("expected a SigningCertificate JSON object: {e}"))?;
    let (issued, field, detached) = match (raw.signed_certificate_embedded_sct, raw.signed_certificate_detached_sct) {
        (Some(i), None) => (i, "signedCertificateEmbeddedSct", false),
        (None, Some(i)) => (i, "signedCertificateDetachedSct", true),
        (Some(_), Some(_)) => {
            return Err("has both signedCertificateEmbeddedSct and signedCertificateDetachedSct, expected one".into());
        }
        (None, None) => {
            return Err("has neither signedCertificateEmbeddedSct nor signedCertificateDetachedSct".into());
        }
    };
    let pems = issued
        .chain
        .and_then(|c| c.certificates)
        .ok_or_else(|| format!("{field}.chain.certificates is missing"))?;
    let mut chain = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        let blocks = hsign_keys::pem::decode_all(pem.as_bytes())
            .map_err(|e| format!("{field}.chain.certificates[{i}] is not PEM: {e}"))?;
        let mut found = false;
        for block in blocks.into_iter().filter(|b| b.label == "CERTIFICATE") {
            chain.push(block.contents.to_vec());
            found = true;
        }
        if !found {
            return Err(format!(
                "{field}.chain.certificates[{i}] holds no CERTIFICATE PEM block"
            ));
        }
    }
    if chain.is_empty() {
        return Err(format!("{field}.chain.certificates is empty, expected the leaf first"));
    }
    if chain.len() > MAX_CHAIN {
        return Err(format!(
            "{field}.chain.certificates has {} certificates, more than the {MAX_CHAIN} accepted",
            chain.len()
        ));
    }
    let detached_sct = match issued.signed_certificate_timestamp {
        Some(sct) if detached => Some(
            STANDARD
                .decode(sct.trim())
                .map_err(|e| format!("{field}.signedCertificateTimestamp is not base64: {e}"))?,
        ),
        _ => None,
    };
    Ok(SigningCertificate { chain, detached_sct })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";

    #[test]
    fn reads_embedded_and_detached_answers() {
        let embedded = json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [PEM, PEM]}}});
        let got = parse_answer(embedded.to_string().as_bytes()).unwrap();
        assert_eq!(got.chain, vec![vec![1, 2, 3], vec![1, 2, 3]]);
        assert_eq!(got.detached_sct, None);
        let detached = json!({"signedCertificateDetachedSct": {
            "chain": {"certificates": [PEM]}, "signedCertificateTimestamp": "BAU="}});
        let got = parse_answer(detached.to_string().as_bytes()).unwrap();
        assert_eq!(got.detached_sct, Some(vec![4, 5]));
    }

    #[test]
    fn refuses_answers_without_a_chain() {
        for body in [
            json!({}),
            json!({"signedCertificateEmbeddedSct": {}}),
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": []}}}),
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": ["nope"]}}}),
        ] {
            assert!(parse_answer(body.to_string().as_bytes()).is_err(), "{body}");
        }
        assert!(parse_answer(b"not json").is_err());
    }
}
