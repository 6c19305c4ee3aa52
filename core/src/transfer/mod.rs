//! Moving an image with everything attached to it: `copy` (registry to registry), `save` (registry to an OCI
//! image layout on disk) and `load` (layout to registry), for air-gapped deployments.
//!
//! What belongs to an image ([`closure`]): its manifest, the children of an index, every blob, and for the
//! image and each child the legacy `.sig`/`.att`/`.sbom` attachments and the OCI 1.1 referrers (Sigstore
//! bundles). Manifests move byte for byte, so every digest stays the same and signatures keep verifying.
//! Blobs stream in bounded memory. At the destination ([`push`]) attachments are merged with what is already
//! there: existing legacy layers and referrers are never dropped. [`layout`] reads and writes the on-disk form.

pub mod closure;
pub mod layout;
pub mod push;

use std::path::PathBuf;

use crate::image::store::StoreError;
use crate::oci::RegistryError;

pub use closure::{Closure, Item, Role, collect};
pub use push::{PushOptions, PushReport, push};

/// A kind of attachment `copy`, `save` and `load` carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttachmentKind {
    /// Signatures: `.sig` layers, and signature bundles among the referrers.
    Signature,
    /// Attestations: `.att` layers, and attestation bundles among the referrers.
    Attestation,
    /// SBOMs: `.sbom` layers, and cosign's SBOM referrers.
    Sbom,
}

impl AttachmentKind {
    /// Every kind, in tag-suffix order.
    pub const ALL: [Self; 3] = [Self::Signature, Self::Attestation, Self::Sbom];

    /// The legacy tag suffix (`sig`, `att`, `sbom`).
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Signature => "sig",
            Self::Attestation => "att",
            Self::Sbom => "sbom",
        }
    }

    /// The kind of a legacy tag suffix.
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.suffix() == suffix)
    }
}

/// Which attachments to carry. Without a filter everything attached is carried, including referrers of
/// kinds hsign does not know (a notation signature, say); with one, only the kinds named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    kinds: Vec<AttachmentKind>,
}

impl Selection {
    /// Everything attached.
    pub fn all() -> Self {
        Self { kinds: Vec::new() }
    }

    /// Only `kinds` (everything when empty).
    pub fn only(kinds: &[AttachmentKind]) -> Self {
        let mut kinds = kinds.to_vec();
        kinds.sort();
        kinds.dedup();
        if kinds.len() == AttachmentKind::ALL.len() {
            kinds.clear();
        }
        Self { kinds }
    }

    /// True when no filter applies.
    pub fn is_all(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Whether an attachment of `kind` (`None`: a kind hsign does not know) is carried.
    pub fn includes(&self, kind: Option<AttachmentKind>) -> bool {
        match kind {
            _ if self.is_all() => true,
            Some(k) => self.kinds.contains(&k),
            None => false,
        }
    }
}

/// Moving an image failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// A file of the layout could not be written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A layout file is missing, does not match its digest or size, or holds something hsign does not
    /// understand.
    #[error("{}: {reason}", .path.display())]
    Layout {
        /// The file (or directory) at fault.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A manifest of the source could not be read.
    #[error("{what}: {reason}")]
    Malformed {
        /// The manifest.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// The source image does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Merging attachments at the destination failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The destination tag already names another image.
    #[error("tag '{tag}' of {repository} points to {existing}, not to {digest}")]
    TagConflict {
        /// `registry/repository` of the destination.
        repository: String,
        /// The tag.
        tag: String,
        /// The digest it points to now.
        existing: String,
        /// The digest being copied.
        digest: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_filters_known_kinds_and_carries_unknown_only_unfiltered() {
        let all = Selection::all();
        assert!(all.includes(None) && all.includes(Some(AttachmentKind::Sbom)));
        let sig = Selection::only(&[AttachmentKind::Signature]);
        assert!(sig.includes(Some(AttachmentKind::Signature)));
        assert!(!sig.includes(Some(AttachmentKind::Attestation)));
        assert!(!sig.includes(None));
        assert!(Selection::only(&AttachmentKind::ALL).is_all());
        assert_eq!(AttachmentKind::from_suffix("att"), Some(AttachmentKind::Attestation));
        assert_eq!(AttachmentKind::from_suffix("x"), None);
    }
}
