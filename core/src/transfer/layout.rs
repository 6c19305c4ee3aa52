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

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::closure::{BlobRef, Closure, Item, MAX_CLASSIFY_BYTES, MAX_INDEX_DEPTH, MAX_MANIFESTS, Role, classify_with};
use super::push::{BlobSource, read_failure};
use super::{AttachmentKind, TransferError};
use crate::oci::client::{BlobHasher, MAX_MANIFEST_BYTES};
use crate::oci::manifest::{Descriptor, Index, Manifest, OCI_INDEX, is_index};
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
}

/// Writes `closure` (blobs from `source`) as an OCI image layout into `dir`, which must not hold one yet.
/// `index.json` is written last, so an interrupted save leaves no layout that `load` would accept.
pub fn write(dir: &Path, closure: &Closure, source: &dyn BlobSource) -> Result<WriteReport, TransferError> {
    let index_path = dir.join("index.json");
    if index_path.exists() {
        return Err(layout_err(
            dir,
            "already holds an OCI image layout (index.json); save into a new or empty directory",
        ));
    }
    std::fs::create_dir_all(dir.join("blobs/sha256")).map_err(io_err(dir))?;
    let oci_layout = dir.join("oci-layout");
    std::fs::write(&oci_layout, OCI_LAYOUT).map_err(io_err(&oci_layout))?;
    let mut report = WriteReport::default();
    let mut buf = vec![0u8; BUFFER_BYTES];
    for blob in &closure.blobs {
        let path = blob_path(dir, &blob.digest);
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == blob.size) {
            continue;
        }
        let mut reader = source.open(blob)?;
        write_atomically(&path, |file| {
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(read_failure(blob, e)),
                };
                file.write_all(&buf[..n]).map_err(io_err(&path))?;
            }
        })?;
        report.blobs += 1;
        report.bytes += blob.size;
    }
    for item in &closure.manifests {
        let path = blob_path(dir, &item.digest);
        write_atomically(&path, |file| file.write_all(&item.bytes).map_err(io_err(&path)))?;
        report.manifests += 1;
    }
    let index = index_json(closure);
    write_atomically(&index_path, |file| {
        file.write_all(index.as_bytes()).map_err(io_err(&index_path))
    })?;
    Ok(report)
}

/// Writes a file through a temporary sibling renamed into place.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), TransferError>,
) -> Result<(), TransferError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    let mut file = File::create(&tmp).map_err(io_err(&tmp))?;
    let filled = fill(&mut file).and_then(|()| file.sync_all().map_err(io_err(&tmp)));
    if let Err(e) = filled {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))
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

/// Reads a layout, checking the size and digest of every manifest and blob it needs. Refuses an
/// `oci-layout` version or an entry it does not understand.
pub fn read(dir: &Path) -> Result<Closure, TransferError> {
    if !dir.is_dir() {
        return Err(layout_err(dir, "is not a directory"));
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
    let mut subjects = Vec::new();
    read_tree(dir, root, 0, &mut closure.manifests, &mut subjects)?;
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
        let role = if let Some(kind) = legacy {
            // cosign's own layouts hold only the image's attachments, without a subject annotation.
            let subject = d
                .annotations
                .get(SUBJECT_ANNOTATION)
                .cloned()
                .unwrap_or_else(|| closure.digest.clone());
            if !subjects.contains(&subject) {
                return Err(entry_err(
                    i,
                    format!("is attached to {subject}, which is not in this image"),
                ));
            }
            Role::Legacy { subject, kind }
        } else {
            let manifest_subject = Manifest::from_json(&item.bytes)
                .ok()
                .and_then(|m| m.subject)
                .map(|s| s.digest);
            match (kind, manifest_subject) {
                (Some(KIND_REFERRER) | None, Some(subject)) => {
                    if !subjects.contains(&subject) {
                        return Err(entry_err(i, format!("refers to {subject}, which is not in this image")));
                    }
                    let kind = classify_with(&item.bytes, &|layer: &Descriptor| {
                        let path = blob_path(dir, &layer.digest);
                        (is_digest(&layer.digest) && layer.size >= 0 && layer.size as u64 <= MAX_CLASSIFY_BYTES)
                            .then(|| std::fs::read(path).ok())
                            .flatten()
                    });
                    Role::Referrer { subject, kind }
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
        if closure.manifests.len() >= MAX_MANIFESTS {
            return Err(layout_err(
                &index_path,
                format!("brings more than {MAX_MANIFESTS} manifests"),
            ));
        }
        closure.manifests.push(Item { role, ..item });
    }
    closure
        .gather_blobs()
        .map_err(|e| layout_err(&index_path, e.to_string()))?;
    for blob in &closure.blobs {
        verify_file(&blob_path(dir, &blob.digest), &blob.digest, blob.size)?;
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
    let bytes = read_small(&path, MAX_MANIFEST_BYTES)?;
    check_bytes(&path, &bytes, &d.digest, d.size as u64)?;
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
    out: &mut Vec<Item>,
    subjects: &mut Vec<String>,
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
            if out.iter().any(|x| x.digest == d.digest) {
                continue;
            }
            let child = read_manifest(dir, d, Role::Child).map_err(|e| match e {
                TransferError::Malformed { reason, .. } => layout_err(&path, format!("manifests[{i}]: {reason}")),
                other => other,
            })?;
            read_tree(dir, child, depth + 1, out, subjects)?;
        }
    }
    subjects.push(item.digest.clone());
    if out.len() >= MAX_MANIFESTS {
        return Err(layout_err(dir, format!("brings more than {MAX_MANIFESTS} manifests")));
    }
    out.push(item);
    Ok(())
}

/// Reads a small file whole, refusing one larger than `limit`.
fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, TransferError> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => layout_err(path, "missing"),
        _ => TransferError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io_err(path))?;
    if bytes.len() as u64 > limit {
        return Err(layout_err(path, format!("larger than the {limit} bytes accepted")));
    }
    Ok(bytes)
}

fn check_bytes(path: &Path, bytes: &[u8], digest: &str, size: u64) -> Result<(), TransferError> {
    if bytes.len() as u64 != size {
        return Err(layout_err(
            path,
            format!("has {} bytes, the index says {size}", bytes.len()),
        ));
    }
    let mut h = BlobHasher::new(digest)
        .ok_or_else(|| layout_err(path, format!("'{digest}' uses an unsupported digest algorithm")))?;
    h.update(bytes);
    let actual = h.finish();
    if !actual.eq_ignore_ascii_case(digest) {
        return Err(layout_err(
            path,
            format!("has digest {actual}, expected {digest}: the file was changed"),
        ));
    }
    Ok(())
}

/// Hashes a blob file in one streaming pass and checks its size and digest.
fn verify_file(path: &Path, digest: &str, size: u64) -> Result<(), TransferError> {
    let mut reader = VerifyingFile::open(path, digest, size)?;
    let mut buf = vec![0u8; BUFFER_BYTES];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) => {
                return Err(read_failure(
                    &BlobRef {
                        digest: digest.into(),
                        size,
                    },
                    e,
                ));
            }
        }
    }
}

/// A blob file read with its size and digest checked as it goes (the error, an `InvalidData` I/O error,
/// wraps a [`TransferError::Layout`] naming the file).
struct VerifyingFile {
    file: File,
    path: PathBuf,
    hasher: Option<BlobHasher>,
    digest: String,
    size: u64,
    read: u64,
}

impl VerifyingFile {
    fn open(path: &Path, digest: &str, size: u64) -> Result<Self, TransferError> {
        let hasher = BlobHasher::new(digest)
            .ok_or_else(|| layout_err(path, format!("'{digest}' uses an unsupported digest algorithm")))?;
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => layout_err(path, format!("missing (blob {digest})")),
            _ => TransferError::Io {
                path: path.to_path_buf(),
                source: e,
            },
        })?;
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
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if self.read > self.size {
            return Err(self.fail(format!("has more than the {} bytes the manifest says", self.size)));
        }
        if n > 0 {
            if let Some(h) = self.hasher.as_mut() {
                h.update(&buf[..n]);
            }
            return Ok(n);
        }
        if let Some(h) = self.hasher.take() {
            if self.read != self.size {
                return Err(self.fail(format!("has {} bytes, the manifest says {}", self.read, self.size)));
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
        assert!(e.contains("the index says 1"), "{e}");
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
}
