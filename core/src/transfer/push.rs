//! Writing an image and its attachments into a destination repository. Blobs go first (skipped when the
//! destination has them, mounted when they are in another repository of the same registry, else streamed),
//! then manifests by digest (children before indexes), then attachments merged with what the destination
//! already holds, and the tag last, so a failure never leaves a tag pointing at an incomplete image.

use std::collections::HashSet;
use std::io::Read;

use super::TransferError;
use super::closure::{BlobRef, Closure, Item, Role};
use crate::image::SIGNATURE_ANNOTATION;
use crate::image::store::{StoreError, WritePolicy, add_to_fallback_index, legacy_manifest, update_tag};
use crate::oci::client::{FetchedManifest, Mount};
use crate::oci::manifest::{Descriptor, Manifest, OCI_MANIFEST, is_index};
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
    // A legacy attachment whose tag already holds another manifest at the destination is merged into it
    // with a config of its own: the source's config blob is not needed then (pushed later if the tag goes
    // away in between).
    let mut unneeded = HashSet::new();
    let mut needed = HashSet::new();
    for item in &closure.manifests {
        let Some(m) = parsed(item)? else { continue };
        let merged = match &item.role {
            Role::Legacy { .. } => client
                .head_manifest(&repo, &item.legacy_tag().unwrap_or_default())?
                .is_some_and(|existing| existing.digest != item.digest),
            _ => false,
        };
        if merged {
            unneeded.insert(m.config.digest.to_ascii_lowercase());
        } else {
            needed.insert(m.config.digest.to_ascii_lowercase());
        }
        needed.extend(m.layers.iter().map(|l| l.digest.to_ascii_lowercase()));
    }
    for blob in &closure.blobs {
        if unneeded.contains(&blob.digest) && !needed.contains(&blob.digest) {
            continue;
        }
        push_blob(client, source, &repo, blob, &mut report)?;
    }
    // Whether the destination has the referrers API: the answer holds for the whole registry, so it is
    // asked once.
    let mut referrers_api = None;
    for item in &closure.manifests {
        match &item.role {
            Role::Root | Role::Child => put_by_digest(client, &repo, item, &mut report)?,
            Role::Legacy { subject, kind } => push_legacy(
                client,
                source,
                closure,
                &repo,
                item,
                subject,
                kind.suffix(),
                opts,
                &mut report,
            )?,
            Role::Referrer { subject, .. } => {
                put_by_digest(client, &repo, item, &mut report)?;
                let api = match referrers_api {
                    Some(api) => api,
                    None => *referrers_api.insert(client.referrers(&repo, subject)?.is_some()),
                };
                if !api {
                    add_to_fallback_index(client, &repo, subject, referrer_entry(item), opts.policy)?;
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

/// The manifest of a non-index item.
fn parsed(item: &Item) -> Result<Option<Manifest>, TransferError> {
    if is_index(&item.media_type) {
        return Ok(None);
    }
    Manifest::from_json(&item.bytes)
        .map(Some)
        .map_err(|e| TransferError::Malformed {
            what: format!("manifest {}", item.digest),
            reason: e.to_string(),
        })
}

/// The entry of a referrer in a referrers (fallback) index: its descriptor, with the manifest's artifact
/// type and annotations, as the OCI distribution spec has the referrers API list them.
pub(crate) fn referrer_entry(item: &Item) -> Descriptor {
    let mut entry = item.descriptor();
    entry.artifact_type = item.artifact_type();
    if let Ok(m) = Manifest::from_json(&item.bytes) {
        entry.annotations = m.annotations;
    }
    entry
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
    let mut session = None;
    if let Some(from) = source.repository()
        && from.registry == repo.registry
        && from.repository != repo.repository
    {
        match client.mount_blob(repo, &blob.digest, &from.repository)? {
            Mount::Mounted => {
                report.blobs_mounted += 1;
                return Ok(());
            }
            // The upload session the declined mount opened is used, not abandoned.
            Mount::Declined(location) => session = location,
        }
    }
    let mut reader = Captured {
        inner: source.open(blob)?,
        error: None,
    };
    if let Err(e) = client.upload_blob(repo, &blob.digest, blob.size, &mut reader, session) {
        // A failure of the source (a layout file that changed, a source registry that sent other bytes) is
        // reported as such, not as a failure of the destination.
        return Err(match reader.error.take() {
            Some(source_error) => read_failure(blob, source_error),
            None => e.into(),
        });
    }
    report.blobs_uploaded += 1;
    report.bytes_uploaded += blob.size;
    Ok(())
}

/// A reader that keeps the first error of the reader it wraps, so the caller can report it whole.
struct Captured<'a> {
    inner: Box<dyn Read + 'a>,
    error: Option<std::io::Error>,
}

impl Read for Captured<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return e;
            }
            let copy = std::io::Error::new(e.kind(), e.to_string());
            self.error.get_or_insert(e);
            copy
        })
    }
}

fn put_by_digest(client: &Client, repo: &ImageRef, item: &Item, report: &mut PushReport) -> Result<(), TransferError> {
    if client.head_manifest(repo, &item.digest)?.is_some() {
        return Ok(());
    }
    client.put_manifest(repo, &item.digest, &item.media_type, &item.bytes)?;
    report.manifests += 1;
    Ok(())
}

/// A legacy attachment: written as is where the destination has none; otherwise its layers are added to
/// the destination's manifest, which keeps every layer already there. The merge works on descriptors only:
/// the layers' blobs were pushed with the others, so no layer is held in memory or read twice. The tag is
/// read again after writing and after a settle delay, and merged again when a concurrent writer dropped
/// the layers (as for signing).
#[allow(clippy::too_many_arguments)]
fn push_legacy(
    client: &Client,
    source: &dyn BlobSource,
    closure: &Closure,
    repo: &ImageRef,
    item: &Item,
    subject: &str,
    suffix: &str,
    opts: PushOptions,
    report: &mut PushReport,
) -> Result<(), TransferError> {
    let tag = crate::image::attachment_tag(subject, suffix);
    let malformed = |reason: String| TransferError::Malformed {
        what: format!("manifest {tag} ({})", item.digest),
        reason,
    };
    let m = Manifest::from_json(&item.bytes).map_err(|e| malformed(e.to_string()))?;
    let same = |a: &Descriptor, b: &Descriptor| {
        a.digest.eq_ignore_ascii_case(&b.digest)
            && a.annotations.get(SIGNATURE_ANNOTATION) == b.annotations.get(SIGNATURE_ANNOTATION)
    };
    let present = |bytes: &[u8]| {
        Manifest::from_json(bytes).is_ok_and(|x| m.layers.iter().all(|l| x.layers.iter().any(|y| same(l, y))))
    };
    if client
        .get_manifest(repo, &tag)?
        .is_some_and(|existing| existing.digest == item.digest)
    {
        return Ok(());
    }
    let present = |x: &FetchedManifest| present(&x.bytes);
    let (mut merged, mut written) = (false, false);
    update_tag(
        client,
        repo,
        &tag,
        opts.policy,
        &present,
        |current| -> Result<_, TransferError> {
            match current {
                Some(existing) if existing.digest == item.digest => Ok(None),
                None => {
                    // Its config may have been left out as unneeded: make sure it is there.
                    if let Some(config) = closure
                        .blobs
                        .iter()
                        .find(|b| b.digest.eq_ignore_ascii_case(&m.config.digest))
                    {
                        push_blob(client, source, repo, config, report)?;
                    }
                    written = true;
                    Ok(Some((item.media_type.clone(), item.bytes.clone())))
                }
                Some(existing) => {
                    let current = Manifest::from_json(&existing.bytes).map_err(|e| StoreError::Existing {
                        what: "the signature manifest",
                        tag: tag.clone(),
                        reason: e.to_string(),
                    })?;
                    let mut layers = current.layers.clone();
                    for l in &m.layers {
                        if !layers.iter().any(|x| same(l, x)) {
                            layers.push(l.clone());
                        }
                    }
                    if layers.len() == current.layers.len() {
                        return Ok(None);
                    }
                    merged = true;
                    let bytes = legacy_manifest(client, repo, layers, current.annotations.clone())?;
                    Ok(Some((OCI_MANIFEST.to_string(), bytes)))
                }
            }
        },
    )?;
    if written {
        report.manifests += 1;
    }
    if merged && !report.merged_tags.contains(&tag) {
        report.merged_tags.push(tag);
    }
    Ok(())
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
