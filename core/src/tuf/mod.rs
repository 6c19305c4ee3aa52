//! A minimal TUF 1.0 client for Sigstore's TUF repositories, which publish the current `trusted_root.json`
//! (and `signing_config.v0.2.json`) as targets, and a cache that concurrent processes share safely.
//!
//! [`update`] follows the client workflow of the TUF specification (§5), for the four top-level roles only
//! (Sigstore's targets need no delegations):
//!
//! 1. starting from a trusted `root.json` (given, cached, or the embedded [`PRODUCTION_ROOT_JSON`]), fetch
//!    `N+1.root.json` until the repository has none; each must be signed by a threshold of the previous
//!    root's root keys and of its own, and have version N+1; the final root must not have expired;
//! 2. `timestamp.json`, signed by the timestamp role, not expired, its version and its snapshot version not
//!    lower than the cached ones (no rollback);
//! 3. the snapshot it names (`N.snapshot.json` with consistent snapshots), with the length, hashes and
//!    version the timestamp lists, signed, not expired, its targets version not lower than the cached one;
//! 4. the targets metadata the snapshot names, with the version (and length and hashes, when listed) it
//!    lists, signed, not expired;
//! 5. the targets `trusted_root.json` (required) and `signing_config.v0.2.json` (when listed), fetched as
//!    `targets/<sha256>.<name>` with consistent snapshots, checked against the listed length and sha256 /
//!    sha512, and `trusted_root.json` parsed with [`TrustedRoot::from_json`].
//!
//! Signatures cover the OLPC canonical JSON of the `signed` object; keys are ECDSA P-256 and Ed25519.
//!
//! # The cache
//!
//! [`default_cache_dir`]: `$HSIGN_TUF_ROOT`, else `$TUF_ROOT`, else `~/.sigstore/hsign/tuf`. It holds
//! `root.json` (the latest trusted root), `timestamp.json`, `snapshot.json`, `targets.json`,
//! `targets/trusted_root.json`, `targets/signing_config.v0.2.json`, `mirror` (the URL last updated from) and
//! `lock`. An update holds an exclusive lock on `lock` (`File::lock`, an `flock`) for its whole run, so two
//! updates never interleave; it verifies everything in memory first and writes only when all of it checked
//! out, so a refused update leaves the cache as it was. Every file is written to a temporary file in the
//! same directory and renamed into place, so a reader never sees a half-written file. Readers
//! ([`cached_trusted_root`]) take no lock: they check the cached `trusted_root.json` against the cached
//! targets metadata (and that against the cached root), and retry briefly if an update is between renames.
//!
//! Nothing here is called by verification except [`cached_trusted_root`], which never touches the network.

mod cache;
mod canonical;
mod client;
mod fetch;
pub mod metadata;

#[cfg(test)]
mod tests;

pub use cache::{HSIGN_TUF_ROOT_ENV, TUF_ROOT_ENV, cached_mirror, cached_trusted_root, default_cache_dir};
pub use canonical::encode as canonical_json;
pub use client::{Bootstrap, TargetReport, UpdateReport, update};
pub use fetch::{DirFetcher, Fetcher, HttpFetcher};

use crate::FormatError;

/// The public-good production TUF mirror.
pub const PRODUCTION_MIRROR: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The public-good staging TUF mirror.
pub const STAGING_MIRROR: &str = "https://tuf-repo-cdn.sigstage.dev";

/// The embedded root metadata of the production repository (sigstore/root-signing), the starting point when
/// the cache has none.
pub const PRODUCTION_ROOT_JSON: &[u8] = include_bytes!("../../data/tuf-root.production.json");

/// The embedded root metadata of the staging repository (sigstore/root-signing-staging).
pub const STAGING_ROOT_JSON: &[u8] = include_bytes!("../../data/tuf-root.staging.json");

/// The target holding the trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";

/// The target holding the signing configuration, fetched when listed.
pub const SIGNING_CONFIG_TARGET: &str = "signing_config.v0.2.json";

/// A TUF update was refused, or the cache could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// The cache directory could not be created, locked, read or written.
    #[error("TUF cache '{path}': {reason}")]
    Cache {
        /// The file or directory.
        path: String,
        /// What failed.
        reason: String,
    },
    /// Metadata that has expired (a stale mirror, or a replay of old metadata).
    #[error("TUF {file} expired at {expires}: the repository or the mirror serves stale metadata")]
    Expired {
        /// The file.
        file: String,
        /// Its `expires`.
        expires: String,
    },
    /// A file could not be fetched.
    #[error("fetching {location}: {reason}")]
    Fetch {
        /// Where from.
        location: String,
        /// What failed.
        reason: String,
    },
    /// A metadata file is not the JSON its role requires.
    #[error("TUF {file} is malformed: {reason}")]
    Malformed {
        /// The file.
        file: String,
        /// Which field, and what was expected.
        reason: String,
    },
    /// A file does not match the length or hashes its parent metadata lists.
    #[error("TUF {file} does not match its metadata: {reason}")]
    Mismatch {
        /// The file.
        file: String,
        /// Which check failed.
        reason: String,
    },
    /// The repository lacks a file the client needs.
    #[error("TUF {file} is missing: {reason}")]
    Missing {
        /// The file or target.
        file: String,
        /// Where it was expected.
        reason: String,
    },
    /// A version lower than the one cached: a rollback attack, or a mirror behind the one used before.
    #[error("TUF {file} has version {found}, lower than the cached version {cached}: refusing a rollback")]
    Rollback {
        /// The file.
        file: String,
        /// The cached version.
        cached: u64,
        /// The version offered.
        found: u64,
    },
    /// Not enough distinct keys of the role signed the file.
    #[error("TUF {file}: {valid} valid signature(s) by distinct {role} keys of {signed_by}, {threshold} required")]
    Threshold {
        /// The file.
        file: String,
        /// The role whose keys count.
        role: String,
        /// Which root defines the role (`version 3 of root.json`).
        signed_by: String,
        /// Valid signatures by distinct keys of the role.
        valid: u64,
        /// The role's threshold.
        threshold: u64,
    },
    /// The `trusted_root.json` target does not parse as a trusted root.
    #[error("TUF target {file}: {source}")]
    TrustedRoot {
        /// The target.
        file: String,
        /// The parse error.
        source: FormatError,
    },
    /// A version other than the one the parent metadata lists (or, for a root, than the previous plus one).
    #[error("TUF {file} has version {found}, expected {expected}")]
    Version {
        /// The file.
        file: String,
        /// The version required.
        expected: u64,
        /// The version found.
        found: u64,
    },
}
