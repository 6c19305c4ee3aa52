//! Signing an image: a DSSE-signed in-toto statement in a bundle referrer (the default, as cosign v3), or a
//! simple-signing layer in the `.sig` tag (`--legacy`).

use std::collections::BTreeMap;

use super::store::{self, LegacyLayer, StoreError, WritePolicy};
use super::{SIGNATURE_ANNOTATION, attachment_tag};
use crate::encoding::to_b64;
use crate::intoto::{COSIGN_SIGN_PREDICATE, PAYLOAD_TYPE, STATEMENT_V1};
use crate::oci::client::ManifestInfo;
use crate::oci::{Client, ImageRef};
use crate::tlog::upload::{UploadError, Uploader};
use crate::{sign, simple_signing};
use hsign_keys::{KeyError, Signer};

/// Which format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Sigstore bundle v0.3 as an OCI 1.1 referrer (with the tag-schema fallback).
    Bundle,
    /// Simple signing in the `sha256-<hex>.sig` tag.
    Legacy,
}

/// Signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key could not sign.
    #[error("signing failed: {0}")]
    Key(#[from] KeyError),
    /// The signature could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signature could not be recorded in the transparency log (nothing was stored).
    #[error("transparency log upload failed: {0}")]
    Log(#[from] UploadError),
    /// The signature could not be timestamped (nothing was stored).
    #[error("timestamping failed: {0}")]
    Timestamp(#[from] crate::timestamp::client::TsaError),
}

/// Where a signature was written.
#[derive(Clone, Debug)]
pub struct Written {
    /// The image digest signed.
    pub digest: String,
    /// `repo@digest` of the referrer manifest, or `repo:tag` of the `.sig` manifest.
    pub location: String,
}

/// What to sign and where to store it.
pub struct SignRequest<'a> {
    /// The image (its repository names the signature's `docker-reference`).
    pub image: &'a ImageRef,
    /// Its resolved manifest.
    pub subject: &'a ManifestInfo,
    /// Where the signature goes (the image's repository, or `COSIGN_REPOSITORY`).
    pub sig_repo: &'a ImageRef,
    /// Signed annotations (`-a k=v`).
    pub annotations: &'a BTreeMap<String, String>,
    /// The format.
    pub format: Format,
    /// RFC 3339 creation time for the referrer manifest.
    pub created: &'a str,
    /// Read-modify-write behaviour.
    pub policy: WritePolicy,
    /// The transparency log to record the signature in (`None`: not recorded).
    pub log: Option<&'a Uploader>,
    /// Keyless: the signer's Fulcio certificate chain (DER, leaf first); `None` for a key.
    pub certificates: Option<&'a [Vec<u8>]>,
    /// The RFC 3161 timestamping authority that timestamps the signature (bundle format only; `None`: no
    /// timestamp).
    pub timestamper: Option<&'a crate::timestamp::client::TsaClient>,
}

/// cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation for a legacy layer.
fn timestamp_annotation(response_der: &[u8]) -> (String, String) {
    (
        super::TIMESTAMP_ANNOTATION.to_string(),
        serde_json::json!({ "SignedRFC3161Timestamp": to_b64(response_der) }).to_string(),
    )
}

/// The RFC 3161 timestamp of the envelope's signature from `timestamper`, if any.
fn timestamp_envelope(
    timestamper: Option<&crate::timestamp::client::TsaClient>,
    envelope: &crate::dsse::Envelope,
) -> Result<Option<Vec<u8>>, SignError> {
    let Some(tsa) = timestamper else {
        return Ok(None);
    };
    let signature = envelope
        .signatures
        .first()
        .map(|s| s.sig.as_slice())
        .unwrap_or_default();
    Ok(Some(tsa.timestamp(signature)?))
}

/// Signs `req.image` and stores the signature in `req.sig_repo`.
pub fn sign_image(client: &Client, signer: &dyn Signer, req: &SignRequest<'_>) -> Result<Written, SignError> {
    let SignRequest {
        image,
        subject,
        sig_repo,
        annotations,
        format,
        created,
        policy,
        log,
        certificates,
        timestamper,
    } = *req;
    let leaf = certificates.and_then(|c| c.first()).map(Vec::as_slice);
    match format {
        Format::Legacy => {
            let payload = simple_signing::build(&image.name(), &subject.digest, annotations);
            let signature = signer.sign_message(&payload)?;
            let mut annotations = BTreeMap::from([(SIGNATURE_ANNOTATION.to_string(), to_b64(&signature))]);
            if let Some(tsa) = timestamper {
                annotations.extend([timestamp_annotation(&tsa.timestamp(&signature)?)]);
            }
            if let Some(log) = log {
                let digest = crate::ArtifactDigest::of(hsign_keys::HashAlgorithm::Sha256, &payload);
                let entry = log.digest_signature_as(&digest, &signature, &signer.public_key(), leaf)?;
                annotations.extend(rekor_annotation(&entry));
            }
            annotations.extend(certificate_annotations(certificates));
            let layer = LegacyLayer {
                media_type: simple_signing::MEDIA_TYPE,
                bytes: &payload,
                annotations,
                keep: store::Keep::All,
            };
            store::append_legacy_layer(client, sig_repo, &subject.digest, "sig", layer, policy)?;
            Ok(Written {
                digest: subject.digest.clone(),
                location: format!("{}:{}", sig_repo.name(), attachment_tag(&subject.digest, "sig")),
            })
        }
        Format::Bundle => {
            let statement = statement(&subject.digest, annotations);
            let envelope = sign::sign_envelope(signer, PAYLOAD_TYPE, statement)?;
            let timestamp = timestamp_envelope(timestamper, &envelope)?;
            let entry = log
                .map(|l| l.envelope_as(&envelope, &signer.public_key(), leaf))
                .transpose()?;
            let mut bundle = sign::envelope_bundle(signer, envelope);
            if let Some(leaf) = leaf {
                bundle.key_material = crate::bundle::KeyMaterial::Certificate(leaf.to_vec());
            }
            bundle.tlog_entries.extend(entry);
            bundle.rfc3161_timestamps.extend(timestamp);
            let digest = store::write_bundle_referrer(
                client,
                sig_repo,
                subject,
                bundle.to_json().as_bytes(),
                COSIGN_SIGN_PREDICATE,
                created,
                policy,
            )?;
            Ok(Written {
                digest: subject.digest.clone(),
                location: format!("{}@{digest}", sig_repo.name()),
            })
        }
    }
}

/// cosign's `dev.sigstore.cosign/certificate` (leaf PEM) and `dev.sigstore.cosign/chain` (the rest, PEM)
/// annotations for a keyless legacy layer.
fn certificate_annotations(certificates: Option<&[Vec<u8>]>) -> Vec<(String, String)> {
    let Some((leaf, rest)) = certificates.and_then(|c| c.split_first()) else {
        return Vec::new();
    };
    let mut out = vec![(
        super::CERTIFICATE_ANNOTATION.to_string(),
        hsign_keys::pem::encode("CERTIFICATE", leaf),
    )];
    if !rest.is_empty() {
        let chain: String = rest.iter().map(|c| hsign_keys::pem::encode("CERTIFICATE", c)).collect();
        out.push((super::CHAIN_ANNOTATION.to_string(), chain));
    }
    out
}

/// The `dev.sigstore.cosign/bundle` annotation for a logged entry, as cosign writes it.
fn rekor_annotation(entry: &crate::bundle::TlogEntry) -> Option<(String, String)> {
    crate::tlog::entry::rekor_bundle(entry).map(|b| (super::BUNDLE_ANNOTATION.to_string(), b.to_json()))
}

/// The in-toto statement cosign v3 signs for an image: subject = the image digest (with the `-a`
/// annotations), predicate type `https://sigstore.dev/cosign/sign/v1`, empty predicate.
pub fn statement(digest: &str, annotations: &BTreeMap<String, String>) -> Vec<u8> {
    let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    let mut subject = serde_json::json!({ "digest": { alg: hex } });
    if !annotations.is_empty() {
        subject["annotations"] = serde_json::json!(annotations);
    }
    serde_json::json!({
        "_type": STATEMENT_V1,
        "subject": [subject],
        "predicateType": COSIGN_SIGN_PREDICATE,
        "predicate": {},
    })
    .to_string()
    .into_bytes()
}

/// The current time as RFC 3339 UTC (`2026-11-23T12:00:00Z`), for the referrer's creation annotation.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Unix seconds as RFC 3339 UTC (`2022-11-25T07:37:13Z`); see [`crate::rfc3339::format`].
pub fn rfc3339(secs: u64) -> String {
    crate::rfc3339::format_u64(secs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_669_361_833), "2022-11-25T07:37:13Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}

/// Where an attestation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestFormat {
    /// A bundle referrer (the default).
    Bundle,
    /// A DSSE layer in the `sha256-<hex>.att` tag; `replace` drops earlier attestations of the same type.
    Legacy {
        /// Replace earlier attestations of the same predicate type.
        replace: bool,
    },
}

/// Signs `statement` (already built for `req.subject`) as DSSE and stores it as an attestation of
/// `req.image`. `req.format` is ignored; `format` decides.
pub fn attest_image(
    client: &Client,
    signer: &dyn Signer,
    req: &SignRequest<'_>,
    predicate_type: &str,
    statement: Vec<u8>,
    format: AttestFormat,
) -> Result<Written, SignError> {
    let leaf = req.certificates.and_then(|c| c.first()).map(Vec::as_slice);
    let envelope = sign::sign_envelope(signer, PAYLOAD_TYPE, statement)?;
    let timestamp = timestamp_envelope(req.timestamper, &envelope)?;
    let entry = req
        .log
        .map(|l| l.envelope_as(&envelope, &signer.public_key(), leaf))
        .transpose()?;
    match format {
        AttestFormat::Bundle => {
            let mut bundle = sign::envelope_bundle(signer, envelope);
            if let Some(leaf) = leaf {
                bundle.key_material = crate::bundle::KeyMaterial::Certificate(leaf.to_vec());
            }
            bundle.tlog_entries.extend(entry);
            bundle.rfc3161_timestamps.extend(timestamp);
            let digest = store::write_bundle_referrer(
                client,
                req.sig_repo,
                req.subject,
                bundle.to_json().as_bytes(),
                predicate_type,
                req.created,
                req.policy,
            )?;
            Ok(Written {
                digest: req.subject.digest.clone(),
                location: format!("{}@{digest}", req.sig_repo.name()),
            })
        }
        AttestFormat::Legacy { replace } => {
            let json = envelope.to_json();
            let mut annotations = BTreeMap::from([
                (SIGNATURE_ANNOTATION.to_string(), String::new()),
                (
                    super::PREDICATE_TYPE_LAYER_ANNOTATION.to_string(),
                    predicate_type.to_string(),
                ),
            ]);
            if let Some(entry) = &entry {
                annotations.extend(rekor_annotation(entry));
            }
            annotations.extend(timestamp.as_deref().map(timestamp_annotation));
            annotations.extend(certificate_annotations(req.certificates));
            let layer = LegacyLayer {
                media_type: super::DSSE_MEDIA_TYPE,
                bytes: json.as_bytes(),
                annotations,
                keep: if replace {
                    store::Keep::AllExcept {
                        key: super::PREDICATE_TYPE_LAYER_ANNOTATION.into(),
                        value: predicate_type.into(),
                    }
                } else {
                    store::Keep::All
                },
            };
            store::append_legacy_layer(client, req.sig_repo, &req.subject.digest, "att", layer, req.policy)?;
            Ok(Written {
                digest: req.subject.digest.clone(),
                location: format!("{}:{}", req.sig_repo.name(), attachment_tag(&req.subject.digest, "att")),
            })
        }
    }
}

/// Attaches an SBOM document as the one layer of the `sha256-<hex>.sbom` tag (replacing what was there, as
/// `cosign attach sbom` does). `media_type` is one of cosign's SBOM media types.
pub fn attach_sbom(
    client: &Client,
    req: &SignRequest<'_>,
    media_type: &str,
    document: &[u8],
) -> Result<Written, SignError> {
    let layer = LegacyLayer {
        media_type,
        bytes: document,
        annotations: BTreeMap::new(),
        keep: store::Keep::Nothing,
    };
    store::append_legacy_layer(client, req.sig_repo, &req.subject.digest, "sbom", layer, req.policy)?;
    Ok(Written {
        digest: req.subject.digest.clone(),
        location: format!(
            "{}:{}",
            req.sig_repo.name(),
            attachment_tag(&req.subject.digest, "sbom")
        ),
    })
}
