//! Sigstore trusted material: the trusted root (`trusted_root.json`, protobuf `TrustedRoot` of
//! `sigstore_trustroot.proto`) with its transparency logs, CT logs, certificate authorities and timestamping
//! authorities, each with the period it may be trusted.
//!
//! Reading follows sigstore-go (`pkg/root/trusted_root.go`), which cosign uses, with one deliberate
//! difference: a log whose key type or Merkle hash hsign cannot verify with (`PKIX_ED25519_PH`, ML-DSA, a
//! `keyDetails` name from a newer schema) is left out instead of failing the whole root, so that a new kind
//! of log added to the public-good root does not break hsign. A malformed entry still fails, naming its
//! field:
//!
//! - a log key needs a `validFor` with a `start` (sigstore-go: "tlog missing public key validity period",
//!   "... start time"; the conformance case `trust-root-tlog-missing-validity-start_fail`); an authority's
//!   `validFor` is optional, as in sigstore-go;
//! - a log needs its `logId.keyId`, `publicKey.rawBytes`, `publicKey.keyDetails` and `hashAlgorithm`, and a
//!   key of a supported type must parse as the type `keyDetails` names;
//! - an authority needs a non-empty certificate chain.
//!
//! Unknown JSON fields are ignored. The media type must be one of [`MEDIA_TYPES`].
//!
//! The public-good production and staging roots are embedded ([`TrustedRoot::production`],
//! [`TrustedRoot::staging`]); `core/data/README.md` says where the copies come from.

mod authority;
mod log;
mod raw;
pub mod signing_config;
mod validity;

#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use hsign_keys::PublicKey;

pub use authority::CertificateAuthority;
pub use log::LogInstance;
pub use validity::Validity;

use crate::FormatError;
use raw::RawTrustedRoot;

const DOC: &str = "trusted root";

/// The trusted root media types hsign reads: v0.1 in its old and new spellings, and v0.2 (which adds
/// `checkpointKeyId` and `operator`).
pub const MEDIA_TYPES: [&str; 3] = [
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.1+json",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/// The embedded public-good production trusted root, byte for byte as sigstore/root-signing publishes it.
pub const PRODUCTION_JSON: &[u8] = include_bytes!("../../data/trusted_root.production.json");

/// The embedded public-good staging trusted root, byte for byte as sigstore/root-signing-staging publishes it.
pub const STAGING_JSON: &[u8] = include_bytes!("../../data/trusted_root.staging.json");

/// The trusted material of one Sigstore deployment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedRoot {
    /// The transparency logs (Rekor v1 and v2), in document order, without the ones hsign cannot use.
    pub tlogs: Vec<LogInstance>,
    /// The certificate transparency logs, in document order, without the ones hsign cannot use.
    pub ctlogs: Vec<LogInstance>,
    /// The certificate authorities that issue signing certificates (Fulcio).
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// The RFC 3161 timestamping authorities.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

impl TrustedRoot {
    /// Reads a trusted root from its protobuf JSON. Errors name the document `trusted root` and the field
    /// (`tlogs[0].publicKey.validFor.start`).
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawTrustedRoot = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        match raw.media_type.as_deref() {
            None | Some("") => return Err(FormatError::new(DOC, "mediaType", "is missing")),
            Some(m) if MEDIA_TYPES.contains(&m) => {}
            Some(m) => {
                return Err(FormatError::new(
                    DOC,
                    "mediaType",
                    format!(
                        "{m:?} is not a trusted root media type hsign reads ({})",
                        MEDIA_TYPES.join(", ")
                    ),
                ));
            }
        }
        let logs = |list: Option<Vec<raw::RawLog>>, name: &str| -> Result<Vec<LogInstance>, FormatError> {
            let mut out = Vec::new();
            for (i, entry) in list.unwrap_or_default().into_iter().enumerate() {
                out.extend(log::parse(entry, &format!("{name}[{i}]"))?);
            }
            Ok(out)
        };
        let authorities = |list: Option<Vec<raw::RawAuthority>>, name: &str| {
            list.unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, entry)| authority::parse(entry, &format!("{name}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            tlogs: logs(raw.tlogs, "tlogs")?,
            certificate_authorities: authorities(raw.certificate_authorities, "certificateAuthorities")?,
            ctlogs: logs(raw.ctlogs, "ctlogs")?,
            timestamp_authorities: authorities(raw.timestamp_authorities, "timestampAuthorities")?,
        })
    }

    /// The public-good production root embedded in hsign ([`PRODUCTION_JSON`]), read once per process.
    pub fn production() -> Self {
        static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
        ROOT.get_or_init(|| embedded(PRODUCTION_JSON)).clone()
    }

    /// The public-good staging root embedded in hsign ([`STAGING_JSON`]), read once per process.
    pub fn staging() -> Self {
        static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
        ROOT.get_or_init(|| embedded(STAGING_JSON)).clone()
    }

    /// A root that holds one transparency log and nothing else: the Rekor key given as PEM or DER (cosign's
    /// `--rekor-key`), with the log id SHA-256 of its PKIX DER and no validity limit (see
    /// [`LogInstance::from_public_key`]). The error names the document `Rekor public key`.
    pub fn from_rekor_public_key(pem_or_der: &[u8], base_url: &str) -> Result<Self, FormatError> {
        let key = PublicKey::from_pem_or_der(pem_or_der)
            .map_err(|e| FormatError::new("Rekor public key", "", e.to_string()))?;
        Ok(Self {
            tlogs: vec![LogInstance::from_public_key(key, base_url)],
            ..Self::default()
        })
    }

    /// The first transparency log whose [`LogInstance::log_id`] is exactly `log_id`.
    pub fn tlog_by_id(&self, log_id: &[u8]) -> Option<&LogInstance> {
        self.tlogs.iter().find(|log| log.log_id == log_id)
    }

    /// The first certificate transparency log whose [`LogInstance::log_id`] is exactly `log_id`.
    pub fn ctlog_by_id(&self, log_id: &[u8]) -> Option<&LogInstance> {
        self.ctlogs.iter().find(|log| log.log_id == log_id)
    }
}

/// An embedded root. The copies are tested to parse (`trust::tests`); should one ever not, the result is an
/// empty root, which trusts nothing, rather than a panic.
fn embedded(json: &[u8]) -> TrustedRoot {
    TrustedRoot::from_json(json).unwrap_or_default()
}
