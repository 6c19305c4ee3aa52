//! Recording signatures in a Rekor log: hashedrekord 0.0.1 for signatures over a digest, dsse 0.0.1 for
//! DSSE envelopes. The log's answer is checked before it is stored anywhere: the UUID is the body's leaf
//! hash, the body records exactly what was uploaded, the inclusion proof leads to its root, and — when the
//! log is in the trusted material — the SET and the checkpoint verify with its key.

use super::body::{ParsedBody, Signer};
use super::client::{ClientError, RekorClient};
use super::{TlogError, merkle, verify_entry};
use crate::ArtifactDigest;
use crate::bundle::TlogEntry;
use crate::dsse::Envelope;
use crate::trust::TrustedRoot;
use hsign_keys::PublicKey;

/// An upload failed, or the log's answer did not check out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The request failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The log answered with an entry that does not hold.
    #[error("the transparency log's answer does not check out: {0}")]
    Answer(String),
    /// The log is trusted, and its promises about the entry do not verify.
    #[error("the transparency log's answer does not verify: {0}")]
    Verify(#[from] TlogError),
}

/// A log to record signatures in, and the trusted material its answers are checked with.
#[derive(Clone, Debug)]
pub struct Uploader {
    /// The log.
    pub client: RekorClient,
    /// Trusted material: when it holds the log, the log's answers must verify with its key.
    pub trust: TrustedRoot,
}

impl Uploader {
    /// Records a signature over `digest` by `key`.
    pub fn digest_signature(
        &self,
        digest: &ArtifactDigest,
        signature: &[u8],
        key: &PublicKey,
    ) -> Result<TlogEntry, UploadError> {
        upload_digest_signature(&self.client, Some(&self.trust), digest, signature, key)
    }

    /// Records a signature over `digest` made with the key of the certificate `cert_der` (keyless): the log
    /// records the certificate.
    pub fn digest_signature_by_certificate(
        &self,
        digest: &ArtifactDigest,
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<TlogEntry, UploadError> {
        let pem = hsign_keys::pem::encode("CERTIFICATE", cert_der);
        let proposed = super::body::proposed_hashedrekord(digest, signature, &pem);
        let entry = self.client.create_entry(&proposed)?;
        check(entry, Some(&self.trust), |body| {
            body.check_digest_signature(
                |alg| (alg == digest.algorithm).then(|| digest.clone()),
                signature,
                Signer::Certificate(cert_der),
            )
        })
    }

    /// Records a DSSE envelope signed with the key of the certificate `cert_der` (keyless).
    pub fn envelope_by_certificate(&self, envelope: &Envelope, cert_der: &[u8]) -> Result<TlogEntry, UploadError> {
        let pem = hsign_keys::pem::encode("CERTIFICATE", cert_der);
        let proposed = super::body::proposed_dsse(&envelope.to_json(), &[pem]);
        let entry = self.client.create_entry(&proposed)?;
        let sig = envelope.signatures.first().map(|s| s.sig.clone()).unwrap_or_default();
        check(entry, Some(&self.trust), |body| {
            body.check_envelope(envelope, &sig, Signer::Certificate(cert_der))
        })
    }

    /// Records a signature over `digest`, by the certificate when there is one, else by `key`.
    pub fn digest_signature_as(
        &self,
        digest: &ArtifactDigest,
        signature: &[u8],
        key: &PublicKey,
        certificate: Option<&[u8]>,
    ) -> Result<TlogEntry, UploadError> {
        match certificate {
            Some(cert) => self.digest_signature_by_certificate(digest, signature, cert),
            None => self.digest_signature(digest, signature, key),
        }
    }

    /// Records a DSSE envelope, by the certificate when there is one, else by `key`.
    pub fn envelope_as(
        &self,
        envelope: &Envelope,
        key: &PublicKey,
        certificate: Option<&[u8]>,
    ) -> Result<TlogEntry, UploadError> {
        match certificate {
            Some(cert) => self.envelope_by_certificate(envelope, cert),
            None => self.envelope(envelope, key),
        }
    }

    /// Records a DSSE envelope signed by `key`.
    pub fn envelope(&self, envelope: &Envelope, key: &PublicKey) -> Result<TlogEntry, UploadError> {
        upload_envelope(&self.client, Some(&self.trust), envelope, key)
    }
}

/// Records a signature over `digest` by `key` and returns the entry for the bundle.
pub fn upload_digest_signature(
    client: &RekorClient,
    trust: Option<&TrustedRoot>,
    digest: &ArtifactDigest,
    signature: &[u8],
    key: &PublicKey,
) -> Result<TlogEntry, UploadError> {
    let proposed = super::body::proposed_hashedrekord(digest, signature, &key.to_pem());
    let entry = client.create_entry(&proposed)?;
    check(entry, trust, |body| {
        body.check_digest_signature(
            |alg| (alg == digest.algorithm).then(|| digest.clone()),
            signature,
            Signer::Key(key),
        )
    })
}

/// Records a DSSE envelope signed by `key` and returns the entry for the bundle.
pub fn upload_envelope(
    client: &RekorClient,
    trust: Option<&TrustedRoot>,
    envelope: &Envelope,
    key: &PublicKey,
) -> Result<TlogEntry, UploadError> {
    let proposed = super::body::proposed_dsse(&envelope.to_json(), &[key.to_pem()]);
    let entry = client.create_entry(&proposed)?;
    let sig = envelope.signatures.first().map(|s| s.sig.clone()).unwrap_or_default();
    check(entry, trust, |body| {
        body.check_envelope(envelope, &sig, Signer::Key(key))
    })
}

fn check(
    api: super::entry::ApiEntry,
    trust: Option<&TrustedRoot>,
    matches: impl Fn(&ParsedBody) -> Result<(), super::body::BodyMismatch>,
) -> Result<TlogEntry, UploadError> {
    api.check_uuid().map_err(UploadError::Answer)?;
    let entry = api.entry;
    let body = ParsedBody::parse(&entry.canonicalized_body).map_err(|e| UploadError::Answer(e.to_string()))?;
    matches(&body).map_err(|e| UploadError::Answer(e.to_string()))?;
    let Some(proof) = &entry.inclusion_proof else {
        return Err(UploadError::Answer("the log returned no inclusion proof".into()));
    };
    merkle::verify_inclusion(
        proof.log_index as u64,
        proof.tree_size as u64,
        &merkle::leaf_hash(&entry.canonicalized_body),
        &proof.hashes,
        &proof.root_hash,
    )
    .map_err(|e| UploadError::Answer(format!("inclusion proof: {e}")))?;
    if entry.inclusion_promise.is_none() {
        return Err(UploadError::Answer("the log returned no signed entry timestamp".into()));
    }
    if let Some(trust) = trust
        && trust.tlog_by_id(&entry.log_id).is_some()
    {
        verify_entry(&entry, trust)?;
    }
    Ok(entry)
}
