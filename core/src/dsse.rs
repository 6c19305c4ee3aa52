//! DSSE envelopes (Dead Simple Signing Envelope) and their pre-authentication encoding (PAE).
//!
//! `PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body`, lengths as ASCII decimal. Signatures cover
//! the PAE of the payload bytes as decoded from the envelope, never a re-serialization of them.

use serde::{Deserialize, Serialize};

use crate::encoding::{b64_any, to_b64};
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

/// The envelope as it appears in JSON (also inside Sigstore bundles and `.att` layers).
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawEnvelope {
    pub(crate) payload: String,
    pub(crate) payload_type: String,
    #[serde(default)]
    pub(crate) signatures: Vec<RawSignature>,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct RawSignature {
    pub(crate) sig: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) keyid: String,
}

/// The pre-authentication encoding of `payload` with `payload_type`.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).as_bytes());
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
        let payload = b64_any(&raw.payload).map_err(|r| FormatError::new(DOC, format!("{prefix}payload"), r))?;
        if raw.payload_type.is_empty() {
            return Err(FormatError::new(DOC, format!("{prefix}payloadType"), "is empty"));
        }
        let signatures = raw
            .signatures
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let sig =
                    b64_any(&s.sig).map_err(|r| FormatError::new(DOC, format!("{prefix}signatures[{i}].sig"), r))?;
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

    pub(crate) fn to_raw(&self) -> RawEnvelope {
        RawEnvelope {
            payload: to_b64(&self.payload),
            payload_type: self.payload_type.clone(),
            signatures: self
                .signatures
                .iter()
                .map(|s| RawSignature {
                    sig: to_b64(&s.sig),
                    keyid: s.keyid.clone(),
                })
                .collect(),
        }
    }

    /// The envelope as compact JSON with cosign's field order (`payload`, `payloadType`, `signatures`);
    /// an empty `keyid` is omitted, as cosign omits it.
    pub fn to_json(&self) -> String {
        // Serializing plain strings cannot fail.
        serde_json::to_string(&self.to_raw()).unwrap_or_default()
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
