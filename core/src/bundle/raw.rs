//! The Sigstore bundle as its protobuf JSON mapping spells it: lowerCamelCase keys, base64 bytes, and int64
//! values as strings (numbers are accepted too). Field order is protobuf field order, which is also the order
//! hsign writes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::dsse::RawEnvelope;

/// Reading uses [`RawEnvelope`] (decoding base64 as it reads); writing uses `dsse::RawEnvelopeOut`.

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawBundle<E = RawEnvelope> {
    #[serde(default)]
    pub(crate) media_type: String,
    pub(crate) verification_material: Option<RawMaterial>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_signature: Option<RawMessageSignature>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) dsse_envelope: Option<E>,
}

#[derive(Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawMaterial {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) public_key: Option<RawPublicKeyIdentifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) x509_certificate_chain: Option<RawChain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificate: Option<RawCertificate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) tlog_entries: Vec<RawTlogEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp_verification_data: Option<RawTimestampData>,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct RawPublicKeyIdentifier {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) hint: String,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct RawChain {
    #[serde(default)]
    pub(crate) certificates: Vec<RawCertificate>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawCertificate {
    #[serde(default)]
    pub(crate) raw_bytes: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTlogEntry {
    #[serde(default, with = "int64")]
    pub(crate) log_index: i64,
    pub(crate) log_id: Option<RawLogId>,
    pub(crate) kind_version: Option<RawKindVersion>,
    #[serde(default, with = "int64")]
    pub(crate) integrated_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inclusion_promise: Option<RawInclusionPromise>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) inclusion_proof: Option<RawInclusionProof>,
    #[serde(default)]
    pub(crate) canonicalized_body: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawLogId {
    #[serde(default)]
    pub(crate) key_id: String,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct RawKindVersion {
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) version: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawInclusionPromise {
    #[serde(default)]
    pub(crate) signed_entry_timestamp: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawInclusionProof {
    #[serde(default, with = "int64")]
    pub(crate) log_index: i64,
    #[serde(default)]
    pub(crate) root_hash: String,
    #[serde(default, with = "int64")]
    pub(crate) tree_size: i64,
    #[serde(default)]
    pub(crate) hashes: Vec<String>,
    pub(crate) checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct RawCheckpoint {
    #[serde(default)]
    pub(crate) envelope: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTimestampData {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) rfc3161_timestamps: Vec<RawTimestamp>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTimestamp {
    #[serde(default)]
    pub(crate) signed_timestamp: String,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawMessageSignature {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message_digest: Option<RawHashOutput>,
    #[serde(default)]
    pub(crate) signature: String,
}

#[derive(Deserialize, Serialize)]
pub(crate) struct RawHashOutput {
    #[serde(default)]
    pub(crate) algorithm: String,
    #[serde(default)]
    pub(crate) digest: String,
}

/// int64 in protobuf JSON: written as a string, read from a string or a number.
pub(crate) mod int64 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(i64),
        }
        match Either::deserialize(d)? {
            Either::N(n) => Ok(n),
            Either::S(s) => s
                .parse()
                .map_err(|_| serde::de::Error::custom(format!("'{s}' is not an int64"))),
        }
    }
}
