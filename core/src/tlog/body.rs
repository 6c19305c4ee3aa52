//! Rekor entry bodies: reading the kinds cosign and the Sigstore clients log (hashedrekord 0.0.1 and 0.0.2,
//! dsse 0.0.1, intoto 0.0.1 and 0.0.2, rekord 0.0.1), and matching a body against the signature being
//! verified — the digest, the signature bytes and the key or certificate must all be the ones in the log.
//! Also the proposed entries hsign uploads.

use serde_json::{Value, json};

use crate::ArtifactDigest;
use crate::encoding::{b64, hex, to_b64};
use crate::error::FormatError;
use hsign_keys::{HashAlgorithm, PublicKey, pem};

const DOC: &str = "transparency log entry body";

/// Who the log recorded as the signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoggedVerifier {
    /// A public key (PKIX DER).
    PublicKey(Vec<u8>),
    /// A certificate (DER).
    Certificate(Vec<u8>),
}

/// One logged signature with its verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedSignature {
    /// The signature bytes; `None` for intoto 0.0.1, which records only the verifier.
    pub signature: Option<Vec<u8>>,
    /// The key or certificate.
    pub verifier: LoggedVerifier,
}

/// What an entry body records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryBody {
    /// A signature over a digest (hashedrekord 0.0.1 / 0.0.2, rekord 0.0.1).
    Digest {
        /// The signed digest.
        digest: ArtifactDigest,
        /// The signature and its verifier.
        signature: LoggedSignature,
    },
    /// A DSSE envelope (dsse 0.0.1, intoto 0.0.1 / 0.0.2): the payload hash and the signatures.
    Envelope {
        /// SHA-256 (or other) of the envelope payload.
        payload_hash: ArtifactDigest,
        /// The envelope's signatures.
        signatures: Vec<LoggedSignature>,
    },
}

/// A parsed body with its kind and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedBody {
    /// `hashedrekord`, `dsse`, `intoto`, `rekord`.
    pub kind: String,
    /// `0.0.1`, `0.0.2`.
    pub version: String,
    /// What it records.
    pub body: EntryBody,
}

fn err(field: &str, reason: impl Into<String>) -> FormatError {
    FormatError::new(DOC, field, reason)
}

fn str_at<'a>(v: &'a Value, path: &str) -> Result<&'a str, FormatError> {
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part).ok_or_else(|| err(path, "is missing"))?;
    }
    cur.as_str().ok_or_else(|| err(path, "is not a string"))
}

fn hex_digest(v: &Value, path: &str) -> Result<ArtifactDigest, FormatError> {
    let alg = str_at(v, &format!("{path}.algorithm"))?;
    let value = str_at(v, &format!("{path}.value"))?;
    let algorithm = HashAlgorithm::from_name(alg).ok_or_else(|| {
        err(
            &format!("{path}.algorithm"),
            format!("'{alg}' is not sha256, sha384 or sha512"),
        )
    })?;
    let bytes = crate::encoding::from_hex(value)
        .filter(|b| b.len() == algorithm.output_len())
        .ok_or_else(|| err(&format!("{path}.value"), format!("is not a {alg} digest in hex")))?;
    Ok(ArtifactDigest { algorithm, bytes })
}

/// Reads a verifier given as base64 of a PEM public key or PEM certificate.
fn pem_verifier(b64_pem: &str, field: &str) -> Result<LoggedVerifier, FormatError> {
    let bytes = b64(b64_pem).map_err(|e| err(field, e))?;
    pem_bytes_verifier(&bytes, field)
}

fn pem_bytes_verifier(bytes: &[u8], field: &str) -> Result<LoggedVerifier, FormatError> {
    let block = pem::decode_first(bytes).map_err(|e| err(field, e.to_string()))?;
    match block.label.as_str() {
        "CERTIFICATE" => Ok(LoggedVerifier::Certificate(block.contents.to_vec())),
        "PUBLIC KEY" => Ok(LoggedVerifier::PublicKey(block.contents.to_vec())),
        other => Err(err(
            field,
            format!("holds a '{other}' PEM block, expected a public key or certificate"),
        )),
    }
}

impl ParsedBody {
    /// Parses the exact body bytes a log stored.
    pub fn parse(body: &[u8]) -> Result<Self, FormatError> {
        let v: Value = serde_json::from_slice(body).map_err(|e| FormatError::json(DOC, &e))?;
        let kind = str_at(&v, "kind")?.to_string();
        let version = str_at(&v, "apiVersion")?.to_string();
        let spec = v.get("spec").ok_or_else(|| err("spec", "is missing"))?;
        let body = match (kind.as_str(), version.as_str()) {
            ("hashedrekord", "0.0.1") => EntryBody::Digest {
                digest: hex_digest(spec, "data.hash")?,
                signature: LoggedSignature {
                    signature: Some(
                        b64(str_at(spec, "signature.content")?).map_err(|e| err("spec.signature.content", e))?,
                    ),
                    verifier: pem_verifier(str_at(spec, "signature.publicKey.content")?, "spec.signature.publicKey")?,
                },
            },
            ("hashedrekord", "0.0.2") => {
                let s = spec
                    .get("hashedRekordV002")
                    .ok_or_else(|| err("spec.hashedRekordV002", "is missing"))?;
                let alg = str_at(s, "data.algorithm")?;
                let algorithm = HashAlgorithm::from_bundle_name(alg)
                    .ok_or_else(|| err("spec.hashedRekordV002.data.algorithm", format!("'{alg}' is unknown")))?;
                let bytes = b64(str_at(s, "data.digest")?).map_err(|e| err("spec.hashedRekordV002.data.digest", e))?;
                if bytes.len() != algorithm.output_len() {
                    return Err(err("spec.hashedRekordV002.data.digest", "has the wrong length"));
                }
                let verifier = s
                    .pointer("/signature/verifier")
                    .ok_or_else(|| err("spec.hashedRekordV002.signature.verifier", "is missing"))?;
                let verifier = if let Some(raw) = verifier.pointer("/publicKey/rawBytes").and_then(Value::as_str) {
                    LoggedVerifier::PublicKey(b64(raw).map_err(|e| err("verifier.publicKey.rawBytes", e))?)
                } else if let Some(raw) = verifier.pointer("/x509Certificate/rawBytes").and_then(Value::as_str) {
                    LoggedVerifier::Certificate(b64(raw).map_err(|e| err("verifier.x509Certificate.rawBytes", e))?)
                } else {
                    return Err(err(
                        "spec.hashedRekordV002.signature.verifier",
                        "has no publicKey or x509Certificate",
                    ));
                };
                EntryBody::Digest {
                    digest: ArtifactDigest { algorithm, bytes },
                    signature: LoggedSignature {
                        signature: Some(
                            b64(str_at(s, "signature.content")?)
                                .map_err(|e| err("spec.hashedRekordV002.signature.content", e))?,
                        ),
                        verifier,
                    },
                }
            }
            ("rekord", "0.0.1") => {
                let format = str_at(spec, "signature.format")?;
                if format != "x509" {
                    return Err(err(
                        "spec.signature.format",
                        format!("'{format}' is not supported (only x509)"),
                    ));
                }
                EntryBody::Digest {
                    digest: hex_digest(spec, "data.hash")?,
                    signature: LoggedSignature {
                        signature: Some(
                            b64(str_at(spec, "signature.content")?).map_err(|e| err("spec.signature.content", e))?,
                        ),
                        verifier: pem_verifier(
                            str_at(spec, "signature.publicKey.content")?,
                            "spec.signature.publicKey",
                        )?,
                    },
                }
            }
            ("dsse", "0.0.1") => {
                let sigs = spec
                    .get("signatures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err("spec.signatures", "is missing"))?;
                let signatures = sigs
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let f = format!("spec.signatures[{i}]");
                        Ok(LoggedSignature {
                            signature: Some(b64(str_at(s, "signature")?).map_err(|e| err(&f, e))?),
                            verifier: pem_verifier(str_at(s, "verifier")?, &f)?,
                        })
                    })
                    .collect::<Result<Vec<_>, FormatError>>()?;
                EntryBody::Envelope {
                    payload_hash: hex_digest(spec, "payloadHash")?,
                    signatures,
                }
            }
            ("intoto", "0.0.1") => {
                let content = spec.get("content").ok_or_else(|| err("spec.content", "is missing"))?;
                // 0.0.1 records one verifier for the envelope, not the signatures themselves.
                let verifier = pem_verifier(str_at(spec, "publicKey")?, "spec.publicKey")?;
                EntryBody::Envelope {
                    payload_hash: hex_digest(content, "payloadHash")?,
                    signatures: vec![LoggedSignature {
                        signature: None,
                        verifier,
                    }],
                }
            }
            ("intoto", "0.0.2") => {
                let content = spec.get("content").ok_or_else(|| err("spec.content", "is missing"))?;
                let sigs = content
                    .pointer("/envelope/signatures")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err("spec.content.envelope.signatures", "is missing"))?;
                let signatures = sigs
                    .iter()
                    .enumerate()
                    .map(|(i, s)| {
                        let f = format!("spec.content.envelope.signatures[{i}]");
                        // The envelope's fields are bytes in this type: base64 of the base64 signature.
                        let once = b64(str_at(s, "sig")?).map_err(|e| err(&f, e))?;
                        let sig = std::str::from_utf8(&once)
                            .ok()
                            .and_then(|t| b64(t).ok())
                            .ok_or_else(|| err(&f, "sig is not base64 of a base64 signature"))?;
                        Ok(LoggedSignature {
                            signature: Some(sig),
                            verifier: pem_verifier(str_at(s, "publicKey")?, &f)?,
                        })
                    })
                    .collect::<Result<Vec<_>, FormatError>>()?;
                EntryBody::Envelope {
                    payload_hash: hex_digest(content, "payloadHash")?,
                    signatures,
                }
            }
            (k, ver) => {
                return Err(err(
                    "kind",
                    format!("entries of kind '{k}' version '{ver}' are not supported"),
                ));
            }
        };
        Ok(Self { kind, version, body })
    }
}

/// A hashedrekord 0.0.1 proposed entry: a signature over `digest` by `verifier_pem` (a PEM public key or
/// certificate).
pub fn proposed_hashedrekord(digest: &ArtifactDigest, signature: &[u8], verifier_pem: &str) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": digest.algorithm.name(), "value": hex(&digest.bytes)}},
            "signature": {"content": to_b64(signature), "publicKey": {"content": to_b64(verifier_pem.as_bytes())}},
        },
    })
}

/// A dsse 0.0.1 proposed entry: the envelope JSON (as it will be stored) and the PEM verifiers.
pub fn proposed_dsse(envelope_json: &str, verifiers_pem: &[String]) -> Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope_json,
            "verifiers": verifiers_pem.iter().map(|p| to_b64(p.as_bytes())).collect::<Vec<_>>(),
        }},
    })
}

/// The signer being verified, to compare with what the log recorded.
#[derive(Clone, Copy, Debug)]
pub enum Signer<'a> {
    /// A public key.
    Key(&'a PublicKey),
    /// A leaf certificate (DER).
    Certificate(&'a [u8]),
}

impl LoggedVerifier {
    fn matches(&self, signer: Signer<'_>) -> bool {
        match (self, signer) {
            (Self::PublicKey(der), Signer::Key(k)) => *der == k.to_spki_der(),
            (Self::Certificate(der), Signer::Certificate(c)) => der.as_slice() == c,
            // A certificate recorded, a key given: the key must be the certificate's.
            (Self::Certificate(der), Signer::Key(k)) => {
                crate::x509::spki_der(der).is_some_and(|spki| spki == k.to_spki_der())
            }
            (Self::PublicKey(_), Signer::Certificate(_)) => false,
        }
    }
}

/// Why a body does not match the signature being verified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the log entry does not match the signature: {0}")]
pub struct BodyMismatch(pub String);

impl ParsedBody {
    /// Checks a signature over a digest: the body must record this digest (of the same algorithm), these
    /// signature bytes and this signer.
    pub fn check_digest_signature(
        &self,
        digest_of: impl Fn(HashAlgorithm) -> Option<ArtifactDigest>,
        signature: &[u8],
        signer: Signer<'_>,
    ) -> Result<(), BodyMismatch> {
        let EntryBody::Digest {
            digest,
            signature: logged,
        } = &self.body
        else {
            return Err(BodyMismatch(format!(
                "the entry is a {} entry, which records an envelope, not a signature over a digest",
                self.kind
            )));
        };
        let ours = digest_of(digest.algorithm).ok_or_else(|| {
            BodyMismatch(format!(
                "the entry records a {} digest, which was not computed",
                digest.algorithm.name()
            ))
        })?;
        if ours != *digest {
            return Err(BodyMismatch(format!(
                "the entry is for digest {digest}, the artifact is {ours}"
            )));
        }
        if logged.signature.as_deref() != Some(signature) {
            return Err(BodyMismatch("the entry records another signature".into()));
        }
        if !logged.verifier.matches(signer) {
            return Err(BodyMismatch("the entry records another key or certificate".into()));
        }
        Ok(())
    }

    /// Checks a DSSE envelope: for dsse/intoto bodies, the payload hash and one of the envelope's
    /// signatures with this signer; for hashedrekord 0.0.2 (Rekor v2 logs DSSE as a signature over the
    /// PAE digest), the PAE digest, the signature and the signer.
    pub fn check_envelope(
        &self,
        envelope: &crate::dsse::Envelope,
        signature: &[u8],
        signer: Signer<'_>,
    ) -> Result<(), BodyMismatch> {
        match &self.body {
            EntryBody::Digest { .. } if self.version == "0.0.2" => self.check_digest_signature(
                |alg| {
                    Some(ArtifactDigest {
                        algorithm: alg,
                        bytes: crate::dsse::pae_digest(alg, &envelope.payload_type, &envelope.payload),
                    })
                },
                signature,
                signer,
            ),
            EntryBody::Digest { .. } => Err(BodyMismatch(format!(
                "a DSSE envelope cannot be logged as {} {}",
                self.kind, self.version
            ))),
            EntryBody::Envelope {
                payload_hash,
                signatures,
            } => {
                let ours = ArtifactDigest::of(payload_hash.algorithm, &envelope.payload);
                if ours != *payload_hash {
                    return Err(BodyMismatch(format!(
                        "the entry is for payload {payload_hash}, the envelope's payload is {ours}"
                    )));
                }
                let found = signatures.iter().any(|s| {
                    // intoto 0.0.1 records no signature bytes, only the verifier; an empty recorded signature
                    // matches nothing.
                    s.signature.as_deref().is_none_or(|logged| logged == signature) && s.verifier.matches(signer)
                });
                if !found {
                    return Err(BodyMismatch(
                        "no signature in the entry is the envelope's signature with this key or certificate".into(),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// Reads a verifier from PEM bytes (a public key or a certificate).
pub fn verifier_from_pem(bytes: &[u8]) -> Result<LoggedVerifier, FormatError> {
    pem_bytes_verifier(bytes, "verifier")
}
