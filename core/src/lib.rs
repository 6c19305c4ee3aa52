//! hsign-core: the formats and the verification logic of hsign.
//!
//! Every stored signature format (Sigstore bundle v0.1-v0.3, cosign's legacy `--bundle` JSON, a detached
//! signature, a DSSE envelope) is adapted into one internal model, [`verify::SignedEntity`], and verified
//! once by [`verify::Verifier`] against a [`verify::Policy`]. Parsing keeps the bytes as received: signatures
//! are checked over those bytes, never over a re-serialization.
//!
//! This crate does no presentation and reads no flags; the `hsign` binary does both.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attestation;
pub mod bundle;
pub mod digest;
mod document;
pub mod dsse;
mod encoding;
mod error;
pub mod fulcio;
pub mod gate;
pub mod gojson;
mod http;
pub mod image;
pub mod intoto;
pub mod legacy_bundle;
pub mod limits;
pub mod oci;
pub mod predicate_policy;
pub mod rfc3339;
pub mod sign;
pub mod simple_signing;
pub mod timestamp;
pub mod tlog;
pub mod transfer;
pub mod trust;
pub mod tuf;
pub mod verify;
pub mod x509;

pub use digest::ArtifactDigest;
pub use error::FormatError;
pub use hsign_keys as keys;
