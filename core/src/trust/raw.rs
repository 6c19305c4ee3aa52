//! The trusted root as its protobuf JSON mapping spells it (`sigstore_trustroot.proto`): lowerCamelCase keys
//! (the proto field names are accepted too, as protojson accepts them), base64 bytes, RFC 3339 timestamps,
//! enum values by name. Every field is optional here, so that the conversion in the parent module can say
//! which one is missing; `null` reads as absent, as in protojson. Unknown fields are ignored, so that a root
//! from a newer schema (new fields, new media type minor versions) still reads.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawTrustedRoot {
    #[serde(alias = "media_type")]
    pub(super) media_type: Option<String>,
    pub(super) tlogs: Option<Vec<RawLog>>,
    #[serde(alias = "certificate_authorities")]
    pub(super) certificate_authorities: Option<Vec<RawAuthority>>,
    pub(super) ctlogs: Option<Vec<RawLog>>,
    #[serde(alias = "timestamp_authorities")]
    pub(super) timestamp_authorities: Option<Vec<RawAuthority>>,
}

/// `TransparencyLogInstance`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawLog {
    #[serde(alias = "base_url")]
    pub(super) base_url: Option<String>,
    #[serde(alias = "hash_algorithm")]
    pub(super) hash_algorithm: Option<String>,
    #[serde(alias = "public_key")]
    pub(super) public_key: Option<RawPublicKey>,
    #[serde(alias = "log_id")]
    pub(super) log_id: Option<RawLogId>,
    #[serde(alias = "checkpoint_key_id")]
    pub(super) checkpoint_key_id: Option<RawLogId>,
    pub(super) operator: Option<String>,
}

/// `dev.sigstore.common.v1.PublicKey`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawPublicKey {
    #[serde(alias = "raw_bytes")]
    pub(super) raw_bytes: Option<String>,
    #[serde(alias = "key_details")]
    pub(super) key_details: Option<String>,
    #[serde(alias = "valid_for")]
    pub(super) valid_for: Option<RawTimeRange>,
}

/// `dev.sigstore.common.v1.LogId`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawLogId {
    #[serde(alias = "key_id")]
    pub(super) key_id: Option<String>,
}

/// `dev.sigstore.common.v1.TimeRange`.
#[derive(Deserialize)]
pub(super) struct RawTimeRange {
    pub(super) start: Option<String>,
    pub(super) end: Option<String>,
}

/// `CertificateAuthority` (Fulcio or a timestamping authority).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawAuthority {
    pub(super) subject: Option<RawDistinguishedName>,
    pub(super) uri: Option<String>,
    #[serde(alias = "cert_chain")]
    pub(super) cert_chain: Option<RawChain>,
    #[serde(alias = "valid_for")]
    pub(super) valid_for: Option<RawTimeRange>,
    pub(super) operator: Option<String>,
}

/// `dev.sigstore.common.v1.DistinguishedName`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawDistinguishedName {
    pub(super) organization: Option<String>,
    #[serde(alias = "common_name")]
    pub(super) common_name: Option<String>,
}

/// `dev.sigstore.common.v1.X509CertificateChain`.
#[derive(Deserialize)]
pub(super) struct RawChain {
    pub(super) certificates: Option<Vec<RawCertificate>>,
}

/// `dev.sigstore.common.v1.X509Certificate`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawCertificate {
    #[serde(alias = "raw_bytes")]
    pub(super) raw_bytes: Option<String>,
}
