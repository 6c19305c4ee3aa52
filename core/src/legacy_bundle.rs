//! cosign's legacy `--bundle` JSON (`LocalSignedPayload`) and its Rekor bundle:
//!
//! ```json
//! {"base64Signature":"<b64>","cert":"<b64 of a PEM certificate, a PEM public key, or a DER certificate>",
//!  "rekorBundle":{"SignedEntryTimestamp":"<b64>",
//!                 "Payload":{"body":"<b64>","integratedTime":1,"logIndex":1,"logID":"<hex>"}}}
//! ```
//! `cert` and `rekorBundle` are optional. Blob bundles base64 the PEM, image bundles the DER: both are read.

use serde::Deserialize;

use crate::encoding::{b64, from_hex};
use crate::error::FormatError;
use hsign_keys::{PublicKey, pem};

const DOC: &str = "cosign bundle";

/// What the legacy bundle's `cert` field holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LegacySigner {
    /// A certificate (DER).
    Certificate(Vec<u8>),
    /// A public key.
    PublicKey(PublicKey),
}

/// A Rekor bundle: the log's promise (SET) and the entry it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RekorBundle {
    /// The signed entry timestamp (ASN.1 signature by the log key).
    pub signed_entry_timestamp: Vec<u8>,
    /// The exact entry body bytes.
    pub body: Vec<u8>,
    /// When the log integrated the entry (Unix seconds).
    pub integrated_time: i64,
    /// The global log index.
    pub log_index: i64,
    /// The log id (SHA-256 of the log's public key).
    pub log_id: Vec<u8>,
}

/// A parsed legacy cosign bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyBundle {
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// Who signed, when the bundle says.
    pub signer: Option<LegacySigner>,
    /// The transparency-log promise, when present.
    pub rekor_bundle: Option<RekorBundle>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLegacy {
    base64_signature: String,
    #[serde(default)]
    cert: String,
    rekor_bundle: Option<RawRekorBundle>,
}

#[derive(Deserialize)]
pub(crate) struct RawRekorBundle {
    #[serde(rename = "SignedEntryTimestamp", default)]
    signed_entry_timestamp: String,
    #[serde(rename = "Payload")]
    payload: RawRekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRekorPayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

impl LegacyBundle {
    /// Parses the JSON. Errors name the field.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawLegacy = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        let signature = b64(&raw.base64_signature).map_err(|r| FormatError::new(DOC, "base64Signature", r))?;
        if signature.is_empty() {
            return Err(FormatError::new(DOC, "base64Signature", "is empty"));
        }
        let signer = if raw.cert.is_empty() {
            None
        } else {
            Some(parse_cert_field(&raw.cert)?)
        };
        let rekor_bundle = raw
            .rekor_bundle
            .map(|r| RekorBundle::from_raw(r, "rekorBundle."))
            .transpose()?;
        Ok(Self {
            signature,
            signer,
            rekor_bundle,
        })
    }
}

impl RekorBundle {
    /// Parses a Rekor bundle object (`{"SignedEntryTimestamp":..,"Payload":{..}}`), as stored in the
    /// `dev.sigstore.cosign/bundle` annotation.
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawRekorBundle = serde_json::from_slice(data).map_err(|e| FormatError::json("Rekor bundle", &e))?;
        Self::from_raw(raw, "")
    }

    /// The JSON cosign writes into the `dev.sigstore.cosign/bundle` annotation, in Go's field order:
    /// `{"SignedEntryTimestamp":..,"Payload":{"body":..,"integratedTime":..,"logIndex":..,"logID":..}}`.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"SignedEntryTimestamp":"{}","Payload":{{"body":"{}","integratedTime":{},"logIndex":{},"logID":"{}"}}}}"#,
            crate::encoding::to_b64(&self.signed_entry_timestamp),
            crate::encoding::to_b64(&self.body),
            self.integrated_time,
            self.log_index,
            crate::encoding::hex(&self.log_id)
        )
    }

    fn from_raw(r: RawRekorBundle, prefix: &str) -> Result<Self, FormatError> {
        let f = |n: &str| format!("{prefix}{n}");
        let p = r.payload;
        if p.log_index < 0 || p.integrated_time < 0 {
            return Err(FormatError::new(
                DOC,
                f("Payload"),
                "has a negative logIndex or integratedTime",
            ));
        }
        Ok(Self {
            signed_entry_timestamp: b64(&r.signed_entry_timestamp)
                .map_err(|e| FormatError::new(DOC, f("SignedEntryTimestamp"), e))?,
            body: b64(&p.body).map_err(|e| FormatError::new(DOC, f("Payload.body"), e))?,
            integrated_time: p.integrated_time,
            log_index: p.log_index,
            log_id: from_hex(&p.log_id).ok_or_else(|| FormatError::new(DOC, f("Payload.logID"), "is not hex"))?,
        })
    }
}

fn parse_cert_field(value: &str) -> Result<LegacySigner, FormatError> {
    let bytes = b64(value).map_err(|r| FormatError::new(DOC, "cert", r))?;
    if !pem::looks_like_pem(&bytes) {
        // Image bundles carry the DER certificate.
        return Ok(LegacySigner::Certificate(bytes));
    }
    let block = pem::decode_first(&bytes).map_err(|e| FormatError::new(DOC, "cert", e.to_string()))?;
    match block.label.as_str() {
        "CERTIFICATE" => Ok(LegacySigner::Certificate(block.contents.to_vec())),
        "PUBLIC KEY" => PublicKey::from_spki_der(&block.contents)
            .map(LegacySigner::PublicKey)
            .map_err(|e| FormatError::new(DOC, "cert", e.to_string())),
        other => Err(FormatError::new(
            DOC,
            "cert",
            format!("holds a '{other}' PEM block, expected a certificate or public key"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sigstore_rs_legacy_bundle() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/data/vectors/blob/sigstore-rs/legacy-bundle/artifact.bundle");
        let b = LegacyBundle::from_json(&std::fs::read(path).unwrap()).unwrap();
        assert!(matches!(b.signer, Some(LegacySigner::Certificate(_))));
        let rb = b.rekor_bundle.unwrap();
        assert_eq!(rb.log_index, 7810348);
        assert_eq!(rb.integrated_time, 1669361833);
        assert_eq!(rb.log_id.len(), 32);
    }

    #[test]
    fn names_bad_fields() {
        let err = LegacyBundle::from_json(br#"{"base64Signature":"!!"}"#).unwrap_err();
        assert_eq!(err.field, "base64Signature");
        let err = LegacyBundle::from_json(br#"{"base64Signature":"AA==","cert":"aGVsbG8="}"#);
        // "hello" is not PEM, so it is taken as a DER certificate; verification will reject it later.
        assert!(err.is_ok());
        let err = LegacyBundle::from_json(br#"{"base64Signature":"AA==","rekorBundle":{"Payload":{"body":"","integratedTime":1,"logIndex":1,"logID":"zz"}}}"#).unwrap_err();
        assert_eq!(err.field, "rekorBundle.Payload.logID");
    }
}
