//! Writing an image and its attachments into a destination repository. Blobs go first (skipped when the
//! destination has them, mounted when they are in another repository of the same registry, else streamed),
//! then manifests by digest (children before indexes), then attachments merged with what the destination
//! already holds, and the tag last, so a failure never leaves a tag pointing at an incomplete image.

use std::io::Read;

use super::TransferError;
use super::closure::{BlobRef, Closure, Item, Role};
use crate::image::store::{Keep, LegacyLayer, WritePolicy, add_to_fallback_index, append_legacy_layer};
use crate::limits::MAX_DOCUMENT_BYTES;
use crate::oci::manifest::Manifest;
use crate::oci::{Client, ImageRef};

/// Where the content being pushed comes from: a registry or a layout on disk.
pub trait BlobSource {
    /// Opens a blob. The reader must fail (with an `InvalidData` error) when the content does not match
    /// the blob's digest or size.
    fn open(&self, blob: &BlobRef) -> Result<Box<dyn Read + '_>, TransferError>;

    /// The repository the blobs are in, when it is a registry (for cross-repository mounts).
    fn repository(&self) -> Option<&ImageRef> {
        None
    }
}

/// The blobs of a repository in a registry.
pub struct RegistrySource<'a> {
    /// The client for the source registry.
    pub client: &'a Client,
    /// The source repository.
    pub repository: &'a ImageRef,
}

impl BlobSource for RegistrySource<'_> {
    fn open(&self, blob: &BlobRef) -> Result<Box<dyn Read + '_>, TransferError> {
        Ok(Box::new(self.client.open_blob(
            self.repository,
            &blob.digest,
            Some(blob.size),
        )?))
    }

    fn repository(&self) -> Option<&ImageRef> {
        Some(self.repository)
    }
}

/// How to push.
#[derive(Clone, Copy, Debug, Default)]
pub struct PushOptions {
    /// Move a destination tag that points to another digest.
    pub force: bool,
    /// How read-modify-writes of attachment tags retry.
    pub policy: WritePolicy,
}

/// What a push did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushReport {
    /// `registry/repository[:tag]@digest` of the image at the destination.
    pub reference: String,
    /// The tag written, if any.
    pub tag: Option<String>,
    /// Blobs uploaded.
    pub blobs_uploaded: usize,
    /// Bytes uploaded.
    pub bytes_uploaded: u64,
    /// Blobs mounted from another repository of the same registry.
    pub blobs_mounted: usize,
    /// Blobs the destination already had.
    pub blobs_present: usize,
    /// Manifests written (image, children, attachments).
    pub manifests: usize,
    /// Legacy attachment tags merged with layers the destination already had.
    pub merged_tags: Vec<String>,
    /// Referrers added to the destination's fallback index (none when it has the referrers API).
    pub fallback_entries: usize,
}

/// Checks that `tag` at `dst` is free or already names `digest` (or `force` is set).
pub fn check_tag(client: &Client, dst: &ImageRef, tag: &str, digest: &str, force: bool) -> Result<(), TransferError> {
    if force {
        return Ok(());
    }
    match client.head_manifest(dst, tag)? {
        Some(existing) if existing.digest != digest => Err(TransferError::TagConflict {
            repository: dst.name(),
            tag: tag.to_string(),
            existing: existing.digest,
            digest: digest.to_string(),
        }),
        _ => Ok(()),
    }
}

/// Pushes `closure` (content from `source`) into `dst`'s repository, tagging the image with `dst`'s tag, else
/// the closure's own tag.
pub fn push(
    client: &Client,
    source: &dyn BlobSource,
    closure: &Closure,
    dst: &ImageRef,
    opts: PushOptions,
) -> Result<PushReport, TransferError> {
    let root = closure
        .root()
        .ok_or_else(|| TransferError::NotFound(format!("the image {} in what was read", closure.digest)))?;
    let tag = dst.tag.clone().or_else(|| closure.tag.clone());
    if let Some(tag) = &tag {
        check_tag(client, dst, tag, &root.digest, opts.force)?;
    }
    let repo = ImageRef {
        tag: None,
        digest: None,
        ..dst.clone()
    };
    let mut report = PushReport {
        reference: format!("{}@{}", dst.name(), root.digest),
        tag: tag.clone(),
        ..PushReport::default()
    };
    for blob in &closure.blobs {
        push_blob(client, source, &repo, blob, &mut report)?;
    }
    for item in &closure.manifests {
        match &item.role {
            Role::Root | Role::Child => put_by_digest(client, &repo, item, &mut report)?,
            Role::Legacy { subject, kind } => {
                push_legacy(client, source, &repo, item, subject, kind.suffix(), opts, &mut report)?
            }
            Role::Referrer { subject, .. } => {
                put_by_digest(client, &repo, item, &mut report)?;
                if client.referrers(&repo, subject)?.is_none() {
                    let mut entry = item.descriptor();
                    entry.artifact_type = item.artifact_type();
                    add_to_fallback_index(client, &repo, subject, entry, opts.policy)?;
                    report.fallback_entries += 1;
                }
            }
        }
    }
    if let Some(tag) = &tag {
        client.put_manifest(&repo, tag, &root.media_type, &root.bytes)?;
    }
    Ok(report)
}

fn push_blob(
    client: &Client,
    source: &dyn BlobSource,
    repo: &ImageRef,
    blob: &BlobRef,
    report: &mut PushReport,
) -> Result<(), TransferError> {
    if client.blob_exists(repo, &blob.digest)? {
        report.blobs_present += 1;
        return Ok(());
    }
    if let Some(from) = source.repository()
        && from.registry == repo.registry
        && from.repository != repo.repository
        && client.mount_blob(repo, &blob.digest, &from.repository)?
    {
        report.blobs_mounted += 1;
        return Ok(());
    }
    let mut reader = source.open(blob)?;
    client.upload_blob(repo, &blob.digest, blob.size, &mut reader)?;
    report.blobs_uploaded += 1;
    report.bytes_uploaded += blob.size;
    Ok(())
}

fn put_by_digest(client: &Client, repo: &ImageRef, item: &Item, report: &mut PushReport) -> Result<(), TransferError> {
    if client.head_manifest(repo, &item.digest)?.is_some() {
        return Ok(());
    }
    client.put_manifest(repo, &item.digest, &item.media_type, &item.bytes)?;
    report.manifests += 1;
    Ok(())
}

/// A legacy attachment: written as is where the destination has none; otherwise each of its layers is
/// appended to the destination's manifest, which keeps every layer already there.
#[allow(clippy::too_many_arguments)]
fn push_legacy(
    client: &Client,
    source: &dyn BlobSource,
    repo: &ImageRef,
    item: &Item,
    subject: &str,
    suffix: &str,
    opts: PushOptions,
    report: &mut PushReport,
) -> Result<(), TransferError> {
    let tag = crate::image::attachment_tag(subject, suffix);
    match client.get_manifest(repo, &tag)? {
        None => {
            client.put_manifest(repo, &tag, &item.media_type, &item.bytes)?;
            report.manifests += 1;
            Ok(())
        }
        Some(existing) if existing.digest == item.digest => Ok(()),
        Some(_) => {
            let m = Manifest::from_json(&item.bytes).map_err(|e| TransferError::Malformed {
                what: format!("manifest {tag} ({})", item.digest),
                reason: e.to_string(),
            })?;
            for layer in &m.layers {
                let blob = super::closure::blob_ref(layer, &item.digest)?;
                if blob.size > MAX_DOCUMENT_BYTES {
                    return Err(TransferError::Malformed {
                        what: format!("manifest {tag} ({})", item.digest),
                        reason: format!(
                            "layer {} has {} bytes, more than the {MAX_DOCUMENT_BYTES} an attachment may have",
                            blob.digest, blob.size
                        ),
                    });
                }
                let mut bytes = Vec::with_capacity(blob.size as usize);
                let mut reader = source.open(&blob)?;
                reader.read_to_end(&mut bytes).map_err(|e| read_failure(&blob, e))?;
                append_legacy_layer(
                    client,
                    repo,
                    subject,
                    suffix,
                    LegacyLayer {
                        media_type: &layer.media_type,
                        bytes: &bytes,
                        annotations: layer.annotations.clone(),
                        keep: Keep::All,
                    },
                    opts.policy,
                )?;
            }
            report.merged_tags.push(tag);
            Ok(())
        }
    }
}

/// The error of a failed read of a source blob: the registry or layout error it wraps, else a description.
pub(crate) fn read_failure(blob: &BlobRef, e: std::io::Error) -> TransferError {
    let text = e.to_string();
    match e
        .into_inner()
        .map(|inner| inner.downcast::<crate::oci::RegistryError>())
    {
        Some(Ok(r)) => TransferError::Registry(*r),
        Some(Err(inner)) => match inner.downcast::<TransferError>() {
            Ok(t) => *t,
            Err(other) => TransferError::Malformed {
                what: format!("blob {}", blob.digest),
                reason: other.to_string(),
            },
        },
        None => TransferError::Malformed {
            what: format!("blob {}", blob.digest),
            reason: text,
        },
    }
}
