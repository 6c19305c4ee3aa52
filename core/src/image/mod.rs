//! Signatures attached to images in a registry, in both of cosign's formats:
//!
//! - **Bundle referrers** (cosign v3's default): a Sigstore bundle v0.3 holding a DSSE-signed in-toto statement,
//!   as the one layer of an OCI 1.1 referrer manifest whose `subject` is the image. Registries without the
//!   referrers API (distribution 2.8) get the tag-schema fallback: an OCI index under the tag `sha256-<hex>`.
//! - **Legacy `.sig` tags**: one simple-signing layer per signature in the manifest tagged `sha256-<hex>.sig`,
//!   the signature in the layer annotation `dev.cosignproject.cosign/signature`.
//!
//! [`store`] writes them, [`discover`] finds them, [`verify`] runs the one verifier over every candidate.

pub mod discover;
pub mod sign;
pub mod store;
pub mod verify;

/// Media type of a Sigstore bundle v0.3 (layer media type and referrer artifact type).
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Layer annotation holding a legacy signature (base64).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Layer annotation holding a legacy signature's Rekor bundle.
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// Layer annotation holding a legacy signature's certificate (PEM).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// Layer annotation holding a legacy signature's certificate chain (PEM).
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// Legacy layer annotation: an RFC 3161 timestamp, `{"SignedRFC3161Timestamp":"<b64 DER response>"}`.
pub const TIMESTAMP_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// Referrer manifest annotation naming the bundle's content kind.
pub const CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
/// Referrer manifest annotation naming the predicate type (informative only: never trusted).
pub const PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
/// Referrer manifest annotation with the creation time.
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";
/// Layer media type of a legacy attestation (a DSSE envelope).
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Layer annotation naming a legacy attestation's predicate type (informative only: never trusted).
pub const PREDICATE_TYPE_LAYER_ANNOTATION: &str = "predicateType";
/// cosign's SBOM media types, by `attach sbom --type` and document format.
pub fn sbom_media_type(kind: &str, document: &[u8]) -> Option<&'static str> {
    let json = document.trim_ascii_start().starts_with(b"{");
    let xml = document.trim_ascii_start().starts_with(b"<");
    match (kind, json, xml) {
        ("spdx", true, _) => Some("text/spdx+json"),
        ("spdx", false, false) => Some("text/spdx"),
        ("cyclonedx", true, _) => Some("application/vnd.cyclonedx+json"),
        ("cyclonedx", _, true) => Some("application/vnd.cyclonedx+xml"),
        ("syft", true, _) => Some("application/vnd.syft+json"),
        _ => None,
    }
}
/// Most signatures read per image and format (cosign's limit).
pub const MAX_SIGNATURES: usize = 100;

/// The tag of a legacy attachment: `sha256-<hex>.<suffix>`.
pub fn attachment_tag(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", fallback_tag(digest))
}

/// The referrers tag-schema fallback tag: `sha256-<hex>`.
pub fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_follow_cosign() {
        let d = "sha256:3a715037401075f1ba4d5e7a3a578cd9faa2425b63b2cdd808f6215bb2843a1a";
        assert_eq!(
            super::attachment_tag(d, "sig"),
            "sha256-3a715037401075f1ba4d5e7a3a578cd9faa2425b63b2cdd808f6215bb2843a1a.sig"
        );
        assert_eq!(
            super::fallback_tag(d),
            "sha256-3a715037401075f1ba4d5e7a3a578cd9faa2425b63b2cdd808f6215bb2843a1a"
        );
    }
}
