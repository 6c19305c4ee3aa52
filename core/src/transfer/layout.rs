//! The OCI image layout `save` writes and `load` reads: `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
//!
//! `index.json` lists the image and its attachments, each marked with cosign's `kind` annotation so that
//! `cosign load` finds the image and its `.sig`/`.att` manifests the way `cosign save` marks them:
//!
//! - the image: `kind: dev.cosignproject.cosign/image` (or `…/imageIndex`), and
//!   `org.opencontainers.image.ref.name: <tag>` so `skopeo copy oci:DIR:<tag>` finds it;
//! - legacy attachments: `kind: dev.cosignproject.cosign/sigs|atts|sboms`, their tag
//!   (`sha256-<hex>.sig`) as `ref.name`, and `dev.hsign.transfer/subject: <digest>` (the image's own come
//!   first, so cosign, which takes the first of each kind, picks them);
//! - referrers (their manifest has a `subject`): `kind: dev.hsign.transfer/referrer` and the subject.
//!
//! The children of an index are not listed: they are reached through the index, as in any layout. Reading
//! checks every file's size and digest before anything is pushed, and refuses what it does not understand.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::closure::{
    BlobRef, Closure, Gathered, Item, MAX_INDEX_DEPTH, MAX_MANIFESTS, Role, attachment_manifest, classify_with,
};
use super::push::{BlobSource, read_failure};
use super::{AttachmentKind, TransferError};
use crate::oci::client::{BlobHasher, MAX_MANIFEST_BYTES};
use crate::oci::manifest::{Descriptor, Index, OCI_INDEX, is_index};
use crate::oci::reference::is_digest;

/// The index annotation cosign marks each entry's role with.
pub const KIND_ANNOTATION: &str = "kind";
/// `kind` of a single-platform image.
pub const KIND_IMAGE: &str = "dev.cosignproject.cosign/image";
/// `kind` of an image index.
pub const KIND_IMAGE_INDEX: &str = "dev.cosignproject.cosign/imageIndex";
/// `kind` of a `.sig` manifest.
pub const KIND_SIGS: &str = "dev.cosignproject.cosign/sigs";
/// `kind` of an `.att` manifest.
pub const KIND_ATTS: &str = "dev.cosignproject.cosign/atts";
/// `kind` of an `.sbom` manifest.
pub const KIND_SBOMS: &str = "dev.cosignproject.cosign/sboms";
/// `kind` of an OCI 1.1 referrer (hsign's; cosign defines none).
pub const KIND_REFERRER: &str = "dev.hsign.transfer/referrer";
/// The digest an attachment entry is attached to.
pub const SUBJECT_ANNOTATION: &str = "dev.hsign.transfer/subject";
/// The OCI annotation naming an entry (its tag).
pub const REF_NAME_ANNOTATION: &str = "org.opencontainers.image.ref.name";
/// The `oci-layout` file's content.
pub const OCI_LAYOUT: &str = r#"{"imageLayoutVersion":"1.0.0"}"#;

/// Bytes read at a time when streaming a blob to or from disk.
const BUFFER_BYTES: usize = 1024 * 1024;

/// The path of a blob in a layout.
pub fn blob_path(dir: &Path, digest: &str) -> PathBuf {
    let (alg, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    dir.join("blobs").join(alg).join(hex)
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn layout_err(path: &Path, reason: impl Into<String>) -> TransferError {
    TransferError::Layout {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// What `save` wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Blobs written.
    pub blobs: usize,
    /// Bytes of blobs written.
    pub bytes: u64,
    /// Manifests written.
    pub manifests: usize,
    /// Blobs and manifests an interrupted save had already written, checked and kept.
    pub reused: usize,
}

/// Writes `closure` (blobs from `source`) as an OCI image layout into `dir`.
///
/// `dir` must be missing, empty, or hold an interrupted save: an `oci-layout` file and `blobs/`, but no
/// `index.json`. Anything else (a layout, other files) is refused, so nothing that is not hsign's is ever
/// overwritten. Files an interrupted save left are kept only when their size and digest are right, and
/// rewritten otherwise. Every file goes through a new temporary file (created exclusively, never through a
/// planted link) renamed into place, and `blobs/` and `blobs/<algorithm>` must be real directories.
/// `index.json` is written last, so an interrupted save leaves no layout that `load` would accept.
pub fn write(dir: &Path, closure: &Closure, source: &dyn BlobSource) -> Result<WriteReport, TransferError> {
    prepare(dir)?;
    let oci_layout = dir.join("oci-layout");
    if !file_matches(&oci_layout, OCI_LAYOUT.as_bytes()) {
        write_atomically(&oci_layout, |file, tmp| {
            file.write_all(OCI_LAYOUT.as_bytes()).map_err(io_err(tmp))
        })?;
    }
    let mut report = WriteReport::default();
    let mut buf = vec![0u8; BUFFER_BYTES];
    for blob in &closure.blobs {
        let path = blob_path(dir, &blob.digest);
        ensure_blob_dir(dir, &blob.digest)?;
        if verify_file(&path, &blob.digest, blob.size).is_ok() {
            report.reused += 1;
            continue;
        }
        let mut reader = source.open(blob)?;
        write_atomically(&path, |file, tmp| {
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(read_failure(blob, e)),
                };
                file.write_all(&buf[..n]).map_err(io_err(tmp))?;
            }
        })?;
        report.blobs += 1;
        report.bytes += blob.size;
    }
    for item in &closure.manifests {
        let path = blob_path(dir, &item.digest);
        ensure_blob_dir(dir, &item.digest)?;
        if file_matches(&path, &item.bytes) {
            report.reused += 1;
            continue;
        }
        write_atomically(&path, |file, tmp| file.write_all(&item.bytes).map_err(io_err(tmp)))?;
        report.manifests += 1;
    }
    let index_path = dir.join("index.json");
    let index = index_json(closure);
    write_atomically(&index_path, |file, tmp| {
        file.write_all(index.as_bytes()).map_err(io_err(tmp))
    })?;
    Ok(report)
}

/// Creates `dir` when missing; refuses one that holds anything but an interrupted save.
fn prepare(dir: &Path) -> Result<(), TransferError> {
    let refuse = |reason: String| layout_err(dir, format!("{reason}; save into a new or empty directory"));
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(layout_err(dir, "is not a directory")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        Err(e) => return Err(io_err(dir)(e)),
    }
    let names = |d: &Path| -> Result<Vec<(String, std::fs::FileType)>, TransferError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(d).map_err(io_err(d))? {
            let entry = entry.map_err(io_err(d))?;
            let ft = entry.file_type().map_err(io_err(&entry.path()))?;
            out.push((entry.file_name().to_string_lossy().into_owned(), ft));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    };
    let entries = names(dir)?;
    if entries.iter().any(|(n, _)| n == "index.json") {
        return Err(refuse(
            "already holds an OCI image layout (index.json); an existing layout is never overwritten".into(),
        ));
    }
    for (name, ft) in &entries {
        match name.as_str() {
            "oci-layout" if ft.is_file() && file_matches(&dir.join(name), OCI_LAYOUT.as_bytes()) => {}
            "blobs" if ft.is_dir() => {
                for (alg, ft) in names(&dir.join("blobs"))? {
                    if !(ft.is_dir() && matches!(alg.as_str(), "sha256" | "sha512")) {
                        return Err(refuse(format!(
                            "is not empty and is not an interrupted save of hsign (blobs/{alg})"
                        )));
                    }
                }
            }
            other => {
                return Err(refuse(format!(
                    "is not empty and is not an interrupted save of hsign ({other})"
                )));
            }
        }
    }
    Ok(())
}

/// Creates `blobs/` and `blobs/<algorithm of digest>` as needed, refusing either when it is a symbolic
/// link or not a directory.
fn ensure_blob_dir(dir: &Path, digest: &str) -> Result<(), TransferError> {
    let blobs = dir.join("blobs");
    let alg = blob_path(dir, digest)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| blobs.clone());
    for d in [&blobs, &alg] {
        match std::fs::symlink_metadata(d) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(layout_err(
                    d,
                    "is a symbolic link or not a directory; hsign writes only into real directories",
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if !std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()) {
                        return Err(layout_err(d, "is a symbolic link or not a directory"));
                    }
                }
                Err(e) => return Err(io_err(d)(e)),
            },
            Err(e) => return Err(io_err(d)(e)),
        }
    }
    Ok(())
}

/// Whether `path` is a regular file holding exactly `bytes`.
fn file_matches(path: &Path, bytes: &[u8]) -> bool {
    read_small(path, bytes.len() as u64).is_ok_and(|b| b == bytes)
}

/// Writes a file through a new temporary sibling (created exclusively: a file or link already there is
/// never opened) renamed into place.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut File, &Path) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (tmp, mut file) = loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(
            ".{name}.{}-{}-{nanos}.partial",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_err(&tmp)(e)),
        }
    };
    let filled = fill(&mut file, &tmp).and_then(|()| file.sync_all().map_err(io_err(&tmp)));
    drop(file);
    if let Err(e) = filled {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // rename replaces a link at `path` itself, never what it points to.
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(path)(e)
    })
}

/// The `index.json` of a closure: the image first, then the attachments (the image's own before its
/// children's).
fn index_json(closure: &Closure) -> String {
    let mut entries = Vec::new();
    let mut attachments = Vec::new();
    for item in &closure.manifests {
        let mut d = item.descriptor();
        match &item.role {
            Role::Root => {
                let kind = if is_index(&item.media_type) {
                    KIND_IMAGE_INDEX
                } else {
                    KIND_IMAGE
                };
                d.annotations.insert(KIND_ANNOTATION.into(), kind.into());
                if let Some(tag) = &closure.tag {
                    d.annotations.insert(REF_NAME_ANNOTATION.into(), tag.clone());
                }
                entries.push(d);
            }
            Role::Child => {}
            Role::Legacy { subject, kind } => {
                let k = match kind {
                    AttachmentKind::Signature => KIND_SIGS,
                    AttachmentKind::Attestation => KIND_ATTS,
                    AttachmentKind::Sbom => KIND_SBOMS,
                };
                d.annotations.insert(KIND_ANNOTATION.into(), k.into());
                d.annotations
                    .insert(REF_NAME_ANNOTATION.into(), item.legacy_tag().unwrap_or_default());
                d.annotations.insert(SUBJECT_ANNOTATION.into(), subject.clone());
                attachments.push((subject != &closure.digest, d));
            }
            Role::Referrer { subject, .. } => {
                d.annotations.insert(KIND_ANNOTATION.into(), KIND_REFERRER.into());
                d.annotations.insert(SUBJECT_ANNOTATION.into(), subject.clone());
                d.artifact_type = item.artifact_type();
                attachments.push((subject != &closure.digest, d));
            }
        }
    }
    // Stable: the image's own attachments first, in collection order.
    attachments.sort_by_key(|(of_child, _)| *of_child);
    entries.extend(attachments.into_iter().map(|(_, d)| d));
    let index = Index {
        schema_version: 2,
        media_type: Some(OCI_INDEX.into()),
        manifests: entries,
        annotations: Default::default(),
    };
    // go-containerregistry's field order, as cosign writes it.
    let mut json = index.to_go_json();
    json.push('\n');
    json
}

/// Reads a layout, checking the size and digest of every manifest and blob it needs before anything is
/// pushed. Every file must be a regular file (no symbolic link, FIFO or device), and `blobs/` and
/// `blobs/<algorithm>` real directories. Refuses an `oci-layout` version or an entry it does not
/// understand, attachments that are indexes, and more manifests than [`MAX_MANIFESTS`] or
/// [`MAX_MANIFEST_TOTAL_BYTES`](super::closure::MAX_MANIFEST_TOTAL_BYTES). Referrers are sorted into signatures and attestations only after every
/// blob was checked, reading at most the bundle's declared size.
pub fn read(dir: &Path) -> Result<Closure, TransferError> {
    if !dir.is_dir() {
        return Err(layout_err(dir, "is not a directory"));
    }
    let blobs = dir.join("blobs");
    for d in std::iter::once(blobs.clone()).chain(["sha256", "sha512"].map(|a| blobs.join(a))) {
        if let Ok(m) = std::fs::symlink_metadata(&d)
            && !m.is_dir()
        {
            return Err(layout_err(
                &d,
                "is a symbolic link or not a directory; a layout's blobs must be in real directories",
            ));
        }
    }
    let oci_layout = dir.join("oci-layout");
    let version = read_small(&oci_layout, 64 * 1024)?;
    #[derive(serde::Deserialize)]
    struct LayoutFile {
        #[serde(rename = "imageLayoutVersion")]
        version: String,
    }
    let v: LayoutFile = serde_json::from_slice(&version)
        .map_err(|e| layout_err(&oci_layout, format!("not an oci-layout file: {e}")))?;
    if v.version != "1.0.0" {
        return Err(layout_err(
            &oci_layout,
            format!("imageLayoutVersion '{}' is not supported (1.0.0 is)", v.version),
        ));
    }
    let index_path = dir.join("index.json");
    let raw = read_small(&index_path, MAX_MANIFEST_BYTES)?;
    let index = Index::from_json(&raw).map_err(|e| layout_err(&index_path, e.to_string()))?;
    if index.manifests.is_empty() {
        return Err(layout_err(&index_path, "lists no manifests"));
    }
    if index.manifests.len() > MAX_MANIFESTS {
        return Err(layout_err(
            &index_path,
            format!("lists more than {MAX_MANIFESTS} manifests"),
        ));
    }
    let entry_err = |i: usize, reason: String| layout_err(&index_path, format!("manifests[{i}]: {reason}"));

    // The image: the entry cosign marks as such, else the one entry of a plain layout.
    let roots: Vec<usize> = index
        .manifests
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            matches!(
                d.annotations.get(KIND_ANNOTATION).map(String::as_str),
                Some(KIND_IMAGE | KIND_IMAGE_INDEX)
            )
        })
        .map(|(i, _)| i)
        .collect();
    let root_at = match (roots.as_slice(), index.manifests.len()) {
        ([i], _) => *i,
        ([], 1) if !index.manifests[0].annotations.contains_key(KIND_ANNOTATION) => 0,
        ([], _) => {
            return Err(layout_err(
                &index_path,
                format!(
                    "no entry has the annotation {KIND_ANNOTATION}: {KIND_IMAGE} or {KIND_IMAGE_INDEX}, so the image is unknown"
                ),
            ));
        }
        (many, _) => {
            return Err(layout_err(
                &index_path,
                format!(
                    "{} entries claim to be the image; hsign loads one image per layout",
                    many.len()
                ),
            ));
        }
    };
    let root_desc = &index.manifests[root_at];
    let tag = root_desc
        .annotations
        .get(REF_NAME_ANNOTATION)
        .filter(|t| is_plain_tag(t))
        .cloned();
    let root = read_manifest(dir, root_desc, Role::Root).map_err(|e| reframe(e, &index_path, root_at))?;
    let mut closure = Closure {
        digest: root.digest.clone(),
        media_type: root.media_type.clone(),
        tag,
        manifests: Vec::new(),
        blobs: Vec::new(),
        warnings: Vec::new(),
    };
    let mut gathered = Gathered::default();
    let mut subjects = HashSet::new();
    read_tree(dir, root, 0, &mut gathered, &mut subjects)?;
    let mut referrers = HashSet::new();
    for (i, d) in index.manifests.iter().enumerate() {
        if i == root_at {
            continue;
        }
        let kind = d.annotations.get(KIND_ANNOTATION).map(String::as_str);
        let legacy = match kind {
            Some(KIND_SIGS) => Some(AttachmentKind::Signature),
            Some(KIND_ATTS) => Some(AttachmentKind::Attestation),
            Some(KIND_SBOMS) => Some(AttachmentKind::Sbom),
            _ => None,
        };
        let item = read_manifest(dir, d, Role::Child).map_err(|e| reframe(e, &index_path, i))?;
        let manifest = attachment_manifest(&item.media_type, &item.bytes).map_err(|reason| entry_err(i, reason))?;
        let role = if let Some(kind) = legacy {
            // cosign's own layouts hold only the image's attachments, without a subject annotation.
            let subject = d
                .annotations
                .get(SUBJECT_ANNOTATION)
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_else(|| closure.digest.clone());
            if !subjects.contains(&subject) {
                return Err(entry_err(
                    i,
                    format!("is attached to {subject}, which is not in this image"),
                ));
            }
            Role::Legacy { subject, kind }
        } else {
            let manifest_subject = manifest.subject.map(|s| s.digest.to_ascii_lowercase());
            match (kind, manifest_subject) {
                (Some(KIND_REFERRER) | None, Some(subject)) => {
                    if !subjects.contains(&subject) {
                        return Err(entry_err(i, format!("refers to {subject}, which is not in this image")));
                    }
                    if !referrers.insert(item.digest.clone()) {
                        // Listed twice: carried once.
                        continue;
                    }
                    // Sorted once every blob is checked, below.
                    Role::Referrer { subject, kind: None }
                }
                (Some(KIND_REFERRER), None) => {
                    return Err(entry_err(
                        i,
                        "is marked as a referrer but its manifest has no subject".into(),
                    ));
                }
                (Some(other), _) => {
                    return Err(entry_err(i, format!("unknown {KIND_ANNOTATION} '{other}'")));
                }
                (None, None) => {
                    return Err(entry_err(
                        i,
                        "is neither the image nor an attachment (no kind annotation, no subject); hsign loads one image per layout".into(),
                    ));
                }
            }
        };
        gathered
            .add(Item { role, ..item })
            .map_err(|reason| layout_err(&index_path, reason))?;
    }
    closure.manifests = gathered.items;
    closure
        .gather_blobs()
        .map_err(|e| layout_err(&index_path, e.to_string()))?;
    for blob in &closure.blobs {
        verify_file(&blob_path(dir, &blob.digest), &blob.digest, blob.size)?;
    }
    for item in &mut closure.manifests {
        if let Role::Referrer { kind, .. } = &mut item.role {
            *kind = classify_with(&item.bytes, &|layer: &Descriptor| {
                read_blob(&blob_path(dir, &layer.digest), &layer.digest, layer.size as u64)
            })?;
        }
    }
    Ok(closure)
}

/// A tag as an OCI reference accepts it.
fn is_plain_tag(tag: &str) -> bool {
    crate::oci::ImageRef::parse(&format!("example.invalid/r:{tag}")).is_ok_and(|r| r.tag.as_deref() == Some(tag))
}

/// A manifest error, placed under the index entry that led to it.
fn reframe(e: TransferError, index_path: &Path, i: usize) -> TransferError {
    match e {
        TransferError::Malformed { what, reason } => {
            layout_err(index_path, format!("manifests[{i}]: {what}: {reason}"))
        }
        other => other,
    }
}

/// Reads a manifest named by `d` from the layout, checking its size and digest.
fn read_manifest(dir: &Path, d: &Descriptor, role: Role) -> Result<Item, TransferError> {
    if !is_digest(&d.digest) {
        return Err(TransferError::Malformed {
            what: "descriptor".into(),
            reason: format!("digest '{}' is not a digest", d.digest),
        });
    }
    let path = blob_path(dir, &d.digest);
    if d.size < 0 || d.size as u64 > MAX_MANIFEST_BYTES {
        return Err(layout_err(
            &path,
            format!(
                "declared size {} is not that of a manifest (at most {MAX_MANIFEST_BYTES} bytes)",
                d.size
            ),
        ));
    }
    let bytes = read_blob(&path, &d.digest, d.size as u64)?;
    #[derive(serde::Deserialize)]
    struct MediaTypeOnly {
        #[serde(default, rename = "mediaType")]
        media_type: Option<String>,
    }
    let declared = serde_json::from_slice::<MediaTypeOnly>(&bytes)
        .map_err(|e| layout_err(&path, format!("not a JSON manifest: {e}")))?
        .media_type;
    let media_type = declared.unwrap_or_else(|| d.media_type.clone());
    if media_type.is_empty() {
        return Err(layout_err(
            &path,
            "the manifest states no media type, and neither does its descriptor",
        ));
    }
    Ok(Item {
        digest: d.digest.to_ascii_lowercase(),
        media_type,
        bytes,
        role,
    })
}

/// Adds `item` and, for an index, its children (read from the layout) first.
fn read_tree(
    dir: &Path,
    item: Item,
    depth: usize,
    out: &mut Gathered,
    subjects: &mut HashSet<String>,
) -> Result<(), TransferError> {
    if is_index(&item.media_type) {
        let path = blob_path(dir, &item.digest);
        if depth >= MAX_INDEX_DEPTH {
            return Err(layout_err(
                &path,
                format!("indexes nest deeper than {MAX_INDEX_DEPTH} levels"),
            ));
        }
        let index = Index::from_json(&item.bytes).map_err(|e| layout_err(&path, e.to_string()))?;
        for (i, d) in index.manifests.iter().enumerate() {
            if out.contains(&d.digest) {
                continue;
            }
            let child = read_manifest(dir, d, Role::Child).map_err(|e| match e {
                TransferError::Malformed { reason, .. } => layout_err(&path, format!("manifests[{i}]: {reason}")),
                other => other,
            })?;
            read_tree(dir, child, depth + 1, out, subjects)?;
        }
    }
    subjects.insert(item.digest.clone());
    let digest = item.digest.clone();
    out.add(item)
        .map_err(|reason| layout_err(&blob_path(dir, &digest), reason))
}

/// Opens a file of the layout for reading, refusing anything but a regular file (a symbolic link, a
/// FIFO, a device, a directory), so that nothing outside the layout is read or hashed. Returns the file and
/// its length.
fn open_regular(path: &Path, missing: &str) -> Result<(File, u64), TransferError> {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => layout_err(path, missing.to_string()),
        _ => TransferError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    };
    let before = std::fs::symlink_metadata(path).map_err(io)?;
    let ft = before.file_type();
    if !ft.is_file() {
        let what = if ft.is_symlink() {
            "a symbolic link"
        } else if ft.is_dir() {
            "a directory"
        } else {
            "a special file (FIFO, socket or device)"
        };
        return Err(layout_err(
            path,
            format!("is {what}, not a regular file; a layout holds regular files only"),
        ));
    }
    let file = File::open(path).map_err(io)?;
    let after = file.metadata().map_err(io)?;
    #[cfg(unix)]
    let same = {
        use std::os::unix::fs::MetadataExt as _;
        after.dev() == before.dev() && after.ino() == before.ino()
    };
    #[cfg(not(unix))]
    let same = true;
    if !same || !after.is_file() {
        return Err(layout_err(path, "was replaced while being opened"));
    }
    Ok((file, after.len()))
}

/// Reads a small file whole, refusing one larger than `limit` (or not a regular file).
fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, TransferError> {
    let (file, len) = open_regular(path, "missing")?;
    if len > limit {
        return Err(layout_err(path, format!("larger than the {limit} bytes accepted")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io_err(path))?;
    if bytes.len() as u64 > limit {
        return Err(layout_err(path, format!("larger than the {limit} bytes accepted")));
    }
    Ok(bytes)
}

/// Reads a blob of `size` bytes whole (callers bound `size`), checking its size before reading and its
/// digest after.
fn read_blob(path: &Path, digest: &str, size: u64) -> Result<Vec<u8>, TransferError> {
    let mut reader = VerifyingFile::open(path, digest, size)?;
    let mut bytes = Vec::with_capacity(size as usize);
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| read_failure(&blob_ref(digest, size), e))?;
    Ok(bytes)
}

fn blob_ref(digest: &str, size: u64) -> BlobRef {
    BlobRef {
        digest: digest.into(),
        size,
    }
}

/// Hashes a blob file in one streaming pass and checks its size and digest.
fn verify_file(path: &Path, digest: &str, size: u64) -> Result<(), TransferError> {
    let mut reader = VerifyingFile::open(path, digest, size)?;
    let mut buf = vec![0u8; BUFFER_BYTES.min(size as usize + 1)];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_failure(&blob_ref(digest, size), e)),
        }
    }
}

/// A blob file read with its size and digest checked as it goes. Every error, an I/O error, wraps a
/// [`TransferError`] naming the file ([`read_failure`] unwraps it).
struct VerifyingFile {
    file: File,
    path: PathBuf,
    hasher: Option<BlobHasher>,
    digest: String,
    size: u64,
    read: u64,
}

impl VerifyingFile {
    /// Opens a blob file: a regular file of exactly `size` bytes (checked before anything is hashed).
    fn open(path: &Path, digest: &str, size: u64) -> Result<Self, TransferError> {
        let hasher = BlobHasher::new(digest)
            .ok_or_else(|| layout_err(path, format!("'{digest}' uses an unsupported digest algorithm")))?;
        let (file, len) = open_regular(path, &format!("missing (blob {digest})"))?;
        if len != size {
            return Err(layout_err(
                path,
                format!("has {len} bytes, its descriptor says {size} (blob {digest})"),
            ));
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
            hasher: Some(hasher),
            digest: digest.to_string(),
            size,
            read: 0,
        })
    }

    fn fail(&self, reason: String) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, layout_err(&self.path, reason))
    }
}

impl Read for VerifyingFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = match self.file.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let kind = e.kind();
                return Err(std::io::Error::new(
                    kind,
                    TransferError::Io {
                        path: self.path.clone(),
                        source: e,
                    },
                ));
            }
        };
        self.read += n as u64;
        if self.read > self.size {
            return Err(self.fail(format!(
                "has more than the {} bytes its descriptor says: the file was changed",
                self.size
            )));
        }
        if n > 0 {
            if let Some(h) = self.hasher.as_mut() {
                h.update(&buf[..n]);
            }
            return Ok(n);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(h) = self.hasher.take() {
            if self.read != self.size {
                return Err(self.fail(format!(
                    "has {} bytes, its descriptor says {}: the file was changed",
                    self.read, self.size
                )));
            }
            let actual = h.finish();
            if !actual.eq_ignore_ascii_case(&self.digest) {
                return Err(self.fail(format!(
                    "has digest {actual}, expected {}: the file was changed",
                    self.digest
                )));
            }
        }
        Ok(0)
    }
}

/// The blobs of a layout on disk, each checked again as it is read.
pub struct LayoutSource<'a> {
    /// The layout directory.
    pub dir: &'a Path,
}

impl BlobSource for LayoutSource<'_> {
    fn open(&self, blob: &BlobRef) -> Result<Box<dyn Read + '_>, TransferError> {
        Ok(Box::new(VerifyingFile::open(
            &blob_path(self.dir, &blob.digest),
            &blob.digest,
            blob.size,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::manifest::{OCI_CONFIG, OCI_MANIFEST, sha256_digest};

    /// A layout with one image (config + layer), written by hand.
    fn layout() -> (tempfile::TempDir, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let config = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
        let layer = b"layer bytes".to_vec();
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{OCI_CONFIG}","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
            sha256_digest(&config),
            config.len(),
            sha256_digest(&layer),
            layer.len()
        );
        for b in [&config, &layer, &manifest.as_bytes().to_vec()] {
            let p = blob_path(d, &sha256_digest(b));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b).unwrap();
        }
        std::fs::write(d.join("oci-layout"), OCI_LAYOUT).unwrap();
        let md = sha256_digest(manifest.as_bytes());
        std::fs::write(
            d.join("index.json"),
            format!(
                r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{md}","size":{},"annotations":{{"kind":"{KIND_IMAGE}","org.opencontainers.image.ref.name":"v1"}}}}]}}"#,
                manifest.len()
            ),
        )
        .unwrap();
        (dir, md, sha256_digest(&layer))
    }

    #[test]
    fn reads_a_layout_with_its_tag_and_blobs() {
        let (dir, md, _) = layout();
        let c = read(dir.path()).unwrap();
        assert_eq!(c.digest, md);
        assert_eq!(c.tag.as_deref(), Some("v1"));
        assert_eq!(c.blobs.len(), 2);
        assert_eq!(c.root().unwrap().role, Role::Root);
    }

    #[test]
    fn refuses_a_tampered_or_missing_blob_naming_the_file() {
        let (dir, _, layer) = layout();
        let path = blob_path(dir.path(), &layer);
        std::fs::write(&path, b"layer bytez").unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&path.display().to_string()) && e.contains("was changed"),
            "{e}"
        );
        std::fs::remove_file(&path).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()) && e.contains("missing"), "{e}");
    }

    #[test]
    fn refuses_bad_index_json_and_unknown_entries() {
        let (dir, md, _) = layout();
        let index = dir.path().join("index.json");
        std::fs::write(&index, b"{not json").unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.starts_with(&index.display().to_string()), "{e}");
        std::fs::write(&index, br#"{"schemaVersion":2,"manifests":[]}"#).unwrap();
        assert!(read(dir.path()).unwrap_err().to_string().contains("lists no manifests"));
        let entry = |kind: &str| {
            format!(r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{md}","size":1,"annotations":{{"kind":"{kind}"}}}}"#)
        };
        std::fs::write(
            &index,
            format!(
                r#"{{"schemaVersion":2,"manifests":[{},{}]}}"#,
                entry(KIND_IMAGE),
                entry(KIND_IMAGE)
            ),
        )
        .unwrap();
        assert!(
            read(dir.path())
                .unwrap_err()
                .to_string()
                .contains("claim to be the image")
        );
        std::fs::write(
            &index,
            format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, entry(KIND_IMAGE)),
        )
        .unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("its descriptor says 1"), "{e}");
        std::fs::write(dir.path().join("oci-layout"), br#"{"imageLayoutVersion":"2.0.0"}"#).unwrap();
        assert!(
            read(dir.path())
                .unwrap_err()
                .to_string()
                .contains("'2.0.0' is not supported")
        );
        std::fs::remove_file(dir.path().join("oci-layout")).unwrap();
        assert!(
            read(dir.path())
                .unwrap_err()
                .to_string()
                .contains("oci-layout: missing")
        );
    }

    fn put(d: &Path, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let p = blob_path(d, &digest);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
        digest
    }

    /// Adds a bundle referrer of the image (bundle `bundle`, declared as `declared` bytes) to the layout.
    fn add_referrer(d: &Path, image: &str, bundle: &[u8], declared: usize) -> (String, String) {
        use crate::image::BUNDLE_MEDIA_TYPE;
        let image_bytes = std::fs::read(blob_path(d, image)).unwrap();
        let empty = put(d, b"{}");
        let bundle_digest = put(d, bundle);
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","artifactType":"{BUNDLE_MEDIA_TYPE}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{empty}","size":2}},"layers":[{{"mediaType":"{BUNDLE_MEDIA_TYPE}","digest":"{bundle_digest}","size":{declared}}}],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{image}","size":{}}}}}"#,
            image_bytes.len()
        );
        let md = put(d, m.as_bytes());
        let index_path = d.join("index.json");
        let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
        index["manifests"].as_array_mut().unwrap().push(serde_json::json!({
            "mediaType": OCI_MANIFEST, "digest": md, "size": m.len(),
            "annotations": {KIND_ANNOTATION: KIND_REFERRER, SUBJECT_ANNOTATION: image},
        }));
        std::fs::write(&index_path, index.to_string()).unwrap();
        (md, bundle_digest)
    }

    #[test]
    fn sorts_a_layout_referrer_after_checking_its_bundle() {
        let (dir, md, _) = layout();
        let bundle = br#"{"messageSignature":{}}"#;
        let (_, bundle_digest) = add_referrer(dir.path(), &md, bundle, bundle.len());
        let c = read(dir.path()).unwrap();
        assert_eq!(c.counts(), [1, 0, 0, 0]);
        // Listed twice: carried once.
        let index_path = dir.path().join("index.json");
        let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
        let again = index["manifests"][1].clone();
        index["manifests"].as_array_mut().unwrap().push(again);
        std::fs::write(&index_path, index.to_string()).unwrap();
        assert_eq!(read(dir.path()).unwrap().counts(), [1, 0, 0, 0]);
        // A bundle file that differs is an error naming it, not an "unknown" referrer.
        let path = blob_path(dir.path(), &bundle_digest);
        std::fs::write(&path, br#"{"messageSignaturX":{}}"#).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&path.display().to_string()) && e.contains("was changed"),
            "{e}"
        );
    }

    #[test]
    fn refuses_an_oversized_referrer_bundle_without_reading_it() {
        let (dir, md, _) = layout();
        let (_, bundle_digest) = add_referrer(dir.path(), &md, b"0123456789", 10);
        // 600 MiB (sparse) where the manifest says 10 bytes.
        let path = blob_path(dir.path(), &bundle_digest);
        File::create(&path).unwrap().set_len(600 << 20).unwrap();
        let started = std::time::Instant::now();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&path.display().to_string()) && e.contains(&format!("has {} bytes", 600u64 << 20)),
            "{e}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the file was read"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_and_special_files_without_hashing_their_targets() {
        let (dir, md, layer) = layout();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("secret");
        std::fs::write(&secret, b"layer bytes").unwrap();
        // A symlinked blob with the right content still is refused, and its target's hash is not told.
        let path = blob_path(dir.path(), &layer);
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&secret, &path).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("symbolic link") && e.contains(&path.display().to_string()),
            "{e}"
        );
        assert!(!e.contains("digest sha256"), "{e}");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        assert!(read(dir.path()).unwrap_err().to_string().contains("symbolic link"));
        // A bundle that is a link to /dev/zero.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"layer bytes").unwrap();
        let (_, bundle_digest) = add_referrer(dir.path(), &md, b"0123456789", 10);
        let bundle = blob_path(dir.path(), &bundle_digest);
        std::fs::remove_file(&bundle).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &bundle).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("symbolic link") && e.contains(&bundle.display().to_string()),
            "{e}"
        );
        // A directory of blobs that is a link.
        std::fs::remove_file(&bundle).unwrap();
        let blobs = dir.path().join("blobs/sha256");
        let moved = outside.path().join("sha256");
        std::fs::rename(&blobs, &moved).unwrap();
        std::os::unix::fs::symlink(&moved, &blobs).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a directory") && e.contains("blobs/sha256"), "{e}");
        // index.json as a link.
        std::fs::remove_file(&blobs).unwrap();
        std::fs::rename(&moved, &blobs).unwrap();
        let index = dir.path().join("index.json");
        std::fs::rename(&index, outside.path().join("index.json")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("index.json"), &index).unwrap();
        assert!(read(dir.path()).unwrap_err().to_string().contains("symbolic link"));
    }

    #[test]
    fn refuses_an_entry_digest_that_is_not_a_digest() {
        let (dir, md, _) = layout();
        let index_path = dir.path().join("index.json");
        for bad in ["sha256:../../../../etc/passwd", "../oci-layout", "sha256:ABC", ""] {
            let raw = std::fs::read_to_string(&index_path).unwrap().replace(&md, bad);
            let tmp = dir.path().join("index.tmp");
            std::fs::write(&tmp, &raw).unwrap();
            let original = std::fs::read(&index_path).unwrap();
            std::fs::write(&index_path, &raw).unwrap();
            let e = read(dir.path()).unwrap_err().to_string();
            assert!(e.contains("is not a digest") && e.contains("index.json"), "{bad}: {e}");
            std::fs::write(&index_path, original).unwrap();
            std::fs::remove_file(tmp).unwrap();
        }
        assert!(read(dir.path()).is_ok());
    }

    #[test]
    fn refuses_attachments_that_are_indexes() {
        let (dir, md, _) = layout();
        let idx = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[],"subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{md}","size":1}}}}"#
        );
        let id = put(dir.path(), idx.as_bytes());
        let index_path = dir.path().join("index.json");
        let mut index: serde_json::Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
        index["manifests"].as_array_mut().unwrap().push(serde_json::json!({
            "mediaType": OCI_INDEX, "digest": id, "size": idx.len(),
            "annotations": {KIND_ANNOTATION: KIND_SIGS, SUBJECT_ANNOTATION: md},
        }));
        std::fs::write(&index_path, index.to_string()).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("manifests[1]") && e.contains("is an index"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn save_never_writes_through_planted_links_and_resumes_only_its_own_layout() {
        let (src, _, layer) = layout();
        let closure = read(src.path()).unwrap();
        let source = LayoutSource { dir: src.path() };
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();

        // An interrupted save with a planted .partial link (the old fixed name) and the blob itself a link.
        let dst = tempfile::tempdir().unwrap();
        let d = dst.path().join("layout");
        std::fs::create_dir_all(d.join("blobs/sha256")).unwrap();
        std::fs::write(d.join("oci-layout"), OCI_LAYOUT).unwrap();
        let hex = layer.trim_start_matches("sha256:");
        std::os::unix::fs::symlink(&victim, d.join(format!("blobs/sha256/.{hex}.partial"))).unwrap();
        std::os::unix::fs::symlink(&victim, blob_path(&d, &layer)).unwrap();
        let report = write(&d, &closure, &source).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(std::fs::symlink_metadata(blob_path(&d, &layer)).unwrap().is_file());
        assert_eq!(report.blobs, 2, "{report:?}");
        assert!(read(&d).is_ok());
        // A layout is never written over.
        let e = write(&d, &closure, &source).unwrap_err().to_string();
        assert!(e.contains("already holds an OCI image layout"), "{e}");

        // Resumed: a blob of the right size but other bytes is rewritten, a good one kept.
        std::fs::remove_file(d.join("index.json")).unwrap();
        std::fs::write(blob_path(&d, &layer), b"layer bytez").unwrap();
        let report = write(&d, &closure, &source).unwrap();
        assert_eq!((report.blobs, report.reused), (1, 2), "{report:?}");
        assert_eq!(std::fs::read(blob_path(&d, &layer)).unwrap(), b"layer bytes");

        // blobs/sha256 as a link: refused, nothing written through it.
        let d2 = dst.path().join("linked");
        std::fs::create_dir_all(d2.join("blobs")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d2.join("blobs/sha256")).unwrap();
        let e = write(&d2, &closure, &source).unwrap_err().to_string();
        assert!(
            e.contains("symbolic link") || e.contains("not an interrupted save"),
            "{e}"
        );
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);

        // A directory with someone else's files: refused, untouched.
        let d3 = dst.path().join("other");
        std::fs::create_dir_all(&d3).unwrap();
        std::fs::write(d3.join("notes.txt"), b"mine").unwrap();
        let e = write(&d3, &closure, &source).unwrap_err().to_string();
        assert!(e.contains("is not empty") && e.contains("notes.txt"), "{e}");
        assert_eq!(std::fs::read_dir(&d3).unwrap().count(), 1);
        // blobs/ without oci-layout but with a foreign entry.
        let d4 = dst.path().join("foreign");
        std::fs::create_dir_all(d4.join("blobs/md5")).unwrap();
        assert!(write(&d4, &closure, &source).is_err());
    }

    #[test]
    fn keeps_sha512_manifests_under_their_own_algorithm() {
        assert!(blob_path(Path::new("/l"), "sha512:ab").ends_with("blobs/sha512/ab"));
        assert!(blob_path(Path::new("/l"), "sha256:ab").ends_with("blobs/sha256/ab"));
    }
}
