//! DSSE envelopes (Dead Simple Signing Envelope) and their pre-authentication encoding (PAE).
//!
//! `PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths as ASCII decimal. Signatures cover
//! the PAE of the payload bytes as decoded from the envelope, never a re-serialization of them.

use serde::{Deserialize, Serialize};

use crate::encoding::b64_any;
use crate::error::FormatError;

const DOC: &str = "DSSE envelope";

/// A DSSE envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The payload type, e.g. `application/vnd.in-toto+json`.
    pub payload_type: String,
    /// The payload bytes, decoded from base64 exactly as stored.
    pub payload: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// The optional key id (often empty).
    pub keyid: String,
    /// The raw signature bytes.
    pub sig: Vec<u8>,
}

/// The envelope as read from JSON (also inside Sigstore bundles and `.att` layers). Base64 fields are decoded
/// while reading, from the borrowed input, so a large payload is held once (decoded), not three times.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawEnvelope {
    pub(crate) payload: Decoded,
    pub(crate) payload_type: String,
    #[serde(default)]
    pub(crate) signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
pub(crate) struct RawSignature {
    pub(crate) sig: Decoded,
    #[serde(default)]
    pub(crate) keyid: String,
}

/// A base64 JSON string decoded as it is read; the error is kept so the caller can name the field.
pub(crate) struct Decoded(pub(crate) Result<Vec<u8>, String>);

impl<'de> Deserialize<'de> for Decoded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decoded;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a base64 string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decoded, E> {
                Ok(Decoded(b64_any(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The envelope as written: base64 is encoded straight into the output, with cosign's field order
/// (`payload`, `payloadType`, `signatures`) and no empty `keyid`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawEnvelopeOut<'a> {
    payload: B64<'a>,
    payload_type: &'a str,
    signatures: Vec<RawSignatureOut<'a>>,
}

#[derive(Serialize)]
struct RawSignatureOut<'a> {
    sig: B64<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    keyid: &'a str,
}

/// Bytes that serialize as a standard base64 string, without an intermediate copy.
struct B64<'a>(&'a [u8]);

impl Serialize for B64<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&base64::display::Base64Display::new(
            self.0,
            &base64::engine::general_purpose::STANDARD,
        ))
    }
}

/// The PAE header (everything before the payload).
fn pae_header(payload_type: &str, payload_len: usize) -> String {
    format!("DSSEv1 {} {payload_type} {payload_len} ", payload_type.len())
}

/// The digest of the PAE of `payload`, computed without building the PAE (no copy of a large payload).
pub fn pae_digest(algorithm: hsign_keys::HashAlgorithm, payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut h = hsign_keys::Hasher::new(algorithm);
    h.update(pae_header(payload_type, payload.len()).as_bytes());
    h.update(payload);
    h.finalize()
}

/// The pre-authentication encoding of `payload` with `payload_type`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(pae_header(payload_type, payload.len()).as_bytes());
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Parses an envelope from JSON. Payload and signatures may be standard or URL-safe base64.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawEnvelope = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        Self::from_raw(raw, "")
    }

    pub(crate) fn from_raw(raw: RawEnvelope, prefix: &str) -> Result<Self, FormatError> {
        let payload = raw
            .payload
            .0
            .map_err(|r| FormatError::new(DOC, format!("{prefix}payload"), r))?;
        if raw.payload_type.is_empty() {
            return Err(FormatError::new(DOC, format!("{prefix}payloadType"), "is empty"));
        }
        let signatures = raw
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let sig = s
                    .sig
                    .0
                    .map_err(|r| FormatError::new(DOC, format!("{prefix}signatures[{i}].sig"), r))?;
                if sig.is_empty() {
                    return Err(FormatError::new(
                        DOC,
                        format!("{prefix}signatures[{i}].sig"),
                        "is empty",
                    ));
                }
                Ok(EnvelopeSignature { keyid: s.keyid, sig })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            payload_type: raw.payload_type,
            payload,
            signatures,
        })
    }

    pub(crate) fn to_raw(&self) -> RawEnvelopeOut<'_> {
        RawEnvelopeOut {
            payload: B64(&self.payload),
            payload_type: &self.payload_type,
            signatures: self
                .signatures
                .iter()
                .map(|s| RawSignatureOut {
                    sig: B64(&s.sig),
                    keyid: &s.keyid,
                })
                .collect(),
        }
    }

    /// The envelope as compact JSON with cosign's field order (`payload`, `payloadType`, `signatures`);
    /// an empty `keyid` is omitted, as cosign omits it.
    pub fn to_json(&self) -> String {
        let hint = self.payload.len() / 3 * 4 + self.signatures.len() * 200 + 256;
        crate::encoding::to_json_sized(&self.to_raw(), hint)
    }

    /// The PAE bytes the signatures cover.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// The one signature of an envelope that must carry exactly one (as Sigstore bundles require).
    pub fn single_signature(&self) -> Result<&EnvelopeSignature, FormatError> {
        match self.signatures.as_slice() {
            [one] => Ok(one),
            [] => Err(FormatError::new(
                DOC,
                "signatures",
                "has no signature, expected exactly one",
            )),
            many => Err(FormatError::new(
                DOC,
                "signatures",
                format!("has {} signatures, expected exactly one", many.len()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        let body = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
        assert_eq!(
            pae("application/vnd.in-toto+json", body),
            [b"DSSEv1 28 application/vnd.in-toto+json 43 ".as_slice(), body].concat()
        );
    }

    #[test]
    fn round_trips_and_omits_empty_keyid() {
        let json = r#"{"payload":"aGk=","payloadType":"t","signatures":[{"sig":"AAEC"}]}"#;
        let env = Envelope::from_json(json.as_bytes()).unwrap();
        assert_eq!(env.payload, b"hi");
        assert_eq!(env.to_json(), json);
        let with_keyid = r#"{"payloadType":"t","payload":"aGk=","signatures":[{"keyid":"","sig":"AAEC"}]}"#;
        assert_eq!(Envelope::from_json(with_keyid.as_bytes()).unwrap(), env);
    }

    #[test]
    fn rejects_bad_base64_and_counts_signatures() {
        let err = Envelope::from_json(br#"{"payload":"***","payloadType":"t","signatures":[]}"#).unwrap_err();
        assert_eq!(err.field, "payload");
        let env = Envelope::from_json(br#"{"payload":"","payloadType":"t","signatures":[]}"#).unwrap();
        assert!(env.single_signature().is_err());
    }
}
