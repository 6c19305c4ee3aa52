//! The update workflow: roots, timestamp, snapshot, targets, then the target files, all verified in memory
//! and written to the cache only when every step checked out.

use std::path::{Path, PathBuf};

use super::cache::{self, MAX_METADATA};
use super::fetch::Fetcher;
use super::metadata::{Envelope, Root, Snapshot, Targets, Timestamp, check_file};
use super::{SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET, TufError};
use crate::trust::TrustedRoot;

/// Largest root metadata fetched (python-tuf's default).
const MAX_ROOT: u64 = 512_000;
/// Largest timestamp metadata fetched.
const MAX_TIMESTAMP: u64 = 16_384;
/// Largest snapshot metadata fetched when the timestamp lists no length.
const MAX_SNAPSHOT: u64 = 2_000_000;
/// Largest targets metadata fetched when the snapshot lists no length.
const MAX_TARGETS: u64 = 5_000_000;
/// Largest target file fetched, whatever length the targets metadata lists.
const MAX_TARGET_FILE: u64 = 32 * 1024 * 1024;
/// Most root versions walked in one update.
const MAX_ROOT_ROTATIONS: u64 = 256;

/// Where the update starts its chain of roots.
#[derive(Clone, Copy, Debug)]
pub enum Bootstrap<'a> {
    /// The cached `root.json` when it is a valid self-signed root, else this root metadata (the embedded one).
    CachedOr(&'a [u8]),
    /// This root metadata, whatever the cache holds (`hsign initialize --root`): trust on first use of a
    /// private repository, or a reset after a compromise.
    Explicit(&'a [u8]),
}

/// A target file the update checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetReport {
    /// The target name (`trusted_root.json`).
    pub name: String,
    /// Its length in bytes.
    pub length: u64,
    /// Its sha256, hex.
    pub sha256: String,
    /// False when the cached copy already matched the metadata and nothing was fetched.
    pub downloaded: bool,
}

/// What an update did.
#[derive(Clone, Debug)]
pub struct UpdateReport {
    /// The cache directory written.
    pub cache_dir: PathBuf,
    /// The mirror recorded in the cache.
    pub mirror: String,
    /// The version of the root the update started from.
    pub root_version_before: u64,
    /// The version of the root now trusted.
    pub root_version: u64,
    /// When that root expires.
    pub root_expires: String,
    /// The timestamp version.
    pub timestamp_version: u64,
    /// The snapshot version.
    pub snapshot_version: u64,
    /// The targets version.
    pub targets_version: u64,
    /// When the targets metadata expires.
    pub targets_expires: String,
    /// The target files, `trusted_root.json` first.
    pub targets: Vec<TargetReport>,
    /// The trusted root now cached.
    pub trusted_root: TrustedRoot,
}

/// Brings the cache at `cache_dir` up to date from the repository `fetcher` reads (`mirror` is recorded for
/// the next update), at `now` (Unix seconds). Holds the cache's update lock throughout; writes nothing
/// unless every step verifies.
pub fn update(
    fetcher: &dyn Fetcher,
    cache_dir: &Path,
    mirror: &str,
    bootstrap: Bootstrap<'_>,
    now: i64,
) -> Result<UpdateReport, TufError> {
    let _lock = cache::lock(cache_dir)?;
    let fetch = |path: &str, max: u64| -> Result<Option<Vec<u8>>, TufError> {
        fetcher.fetch(path, max).map_err(|reason| TufError::Fetch {
            location: fetcher.location(path),
            reason,
        })
    };
    let require = |path: &str, max: u64| -> Result<Vec<u8>, TufError> {
        fetch(path, max)?.ok_or_else(|| TufError::Missing {
            file: path.to_string(),
            reason: format!("{} does not exist", fetcher.location(path)),
        })
    };

    // 1. The root chain.
    let (mut root_bytes, mut root) = starting_root(cache_dir, bootstrap)?;
    let root_version_before = root.common.version;
    for _ in 0..MAX_ROOT_ROTATIONS {
        let next = root.common.version + 1;
        let file = format!("{next}.root.json");
        let Some(data) = fetch(&file, MAX_ROOT)? else { break };
        let new = Root::parse(&file, &data)?;
        root.verify_role("root", &new.envelope)?;
        new.verify_role("root", &new.envelope)?;
        if new.common.version != next {
            return Err(TufError::Version {
                file,
                expected: next,
                found: new.common.version,
            });
        }
        root = new;
        root_bytes = data;
    }
    root.common
        .check_expiry(&format!("{}.root.json", root.common.version), now)?;

    // 2. The timestamp.
    let ts_data = require("timestamp.json", MAX_TIMESTAMP)?;
    let ts_env = Envelope::parse("timestamp.json", &ts_data, "timestamp")?;
    root.verify_role("timestamp", &ts_env)?;
    let timestamp = Timestamp::read(&ts_env)?;
    if let Some(cached) = cached_role(cache_dir, "timestamp.json", "timestamp", &root)
        && let Ok(cached) = Timestamp::read(&cached)
    {
        no_rollback("timestamp.json", cached.common.version, timestamp.common.version)?;
        no_rollback("snapshot.json", cached.snapshot.version, timestamp.snapshot.version)?;
    }
    timestamp.common.check_expiry("timestamp.json", now)?;

    // 3. The snapshot.
    let snap_file = versioned(root.consistent_snapshot, timestamp.snapshot.version, "snapshot.json");
    let snap_data = require(&snap_file, timestamp.snapshot.length.unwrap_or(MAX_SNAPSHOT))?;
    check_file(
        &snap_file,
        &snap_data,
        timestamp.snapshot.length,
        &timestamp.snapshot.hashes,
        false,
    )?;
    let snap_env = Envelope::parse(&snap_file, &snap_data, "snapshot")?;
    root.verify_role("snapshot", &snap_env)?;
    let snapshot = Snapshot::read(&snap_env)?;
    expect_version(&snap_file, timestamp.snapshot.version, snapshot.common.version)?;
    if let Some(cached) = cached_role(cache_dir, "snapshot.json", "snapshot", &root)
        && let Ok(cached) = Snapshot::read(&cached)
    {
        no_rollback("targets.json", cached.targets.version, snapshot.targets.version)?;
    }
    snapshot.common.check_expiry(&snap_file, now)?;

    // 4. The targets metadata.
    let targets_file = versioned(root.consistent_snapshot, snapshot.targets.version, "targets.json");
    let targets_data = require(&targets_file, snapshot.targets.length.unwrap_or(MAX_TARGETS))?;
    check_file(
        &targets_file,
        &targets_data,
        snapshot.targets.length,
        &snapshot.targets.hashes,
        false,
    )?;
    let targets_env = Envelope::parse(&targets_file, &targets_data, "targets")?;
    root.verify_role("targets", &targets_env)?;
    let targets = Targets::read(&targets_env)?;
    expect_version(&targets_file, snapshot.targets.version, targets.common.version)?;
    targets.common.check_expiry(&targets_file, now)?;

    // 5. The target files.
    let mut reports = Vec::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut trusted_root = None;
    for (name, required) in [(TRUSTED_ROOT_TARGET, true), (SIGNING_CONFIG_TARGET, false)] {
        let Some(entry) = targets.targets.get(name) else {
            if required {
                return Err(TufError::Missing {
                    file: name.to_string(),
                    reason: format!("{targets_file} does not list it"),
                });
            }
            continue;
        };
        if entry.length > MAX_TARGET_FILE {
            return Err(TufError::Mismatch {
                file: name.to_string(),
                reason: format!(
                    "{targets_file} lists {} bytes, more than the {MAX_TARGET_FILE} accepted",
                    entry.length
                ),
            });
        }
        let rel = format!("targets/{name}");
        let cached = cache::read(cache_dir, &rel, entry.length)
            .filter(|d| check_file(name, d, Some(entry.length), &entry.hashes, true).is_ok());
        let downloaded = cached.is_none();
        let data = match cached {
            Some(d) => d,
            None => {
                let remote = target_path(root.consistent_snapshot, name, &entry.hashes);
                let d = require(&remote, entry.length)?;
                check_file(&remote, &d, Some(entry.length), &entry.hashes, true)?;
                d
            }
        };
        if name == TRUSTED_ROOT_TARGET {
            trusted_root = Some(TrustedRoot::from_json(&data).map_err(|source| TufError::TrustedRoot {
                file: name.to_string(),
                source,
            })?);
        }
        reports.push(TargetReport {
            name: name.to_string(),
            length: entry.length,
            sha256: crate::encoding::hex(&hsign_keys::HashAlgorithm::Sha256.digest(&data)),
            downloaded,
        });
        files.push((rel, data));
    }
    let Some(trusted_root) = trusted_root else {
        return Err(TufError::Missing {
            file: TRUSTED_ROOT_TARGET.to_string(),
            reason: format!("{targets_file} does not list it"),
        });
    };

    // Everything verified: write. Targets first, then the metadata that vouches for them, so a reader
    // checking a target against targets.json sees a mismatch (and retries) rather than a wrong pairing.
    for (rel, data) in &files {
        cache::write_atomic(cache_dir, rel, data)?;
    }
    cache::write_atomic(cache_dir, "snapshot.json", &snap_data)?;
    cache::write_atomic(cache_dir, "targets.json", &targets_data)?;
    cache::write_atomic(cache_dir, "timestamp.json", &ts_data)?;
    cache::write_atomic(cache_dir, "root.json", &root_bytes)?;
    cache::write_atomic(cache_dir, "mirror", format!("{mirror}\n").as_bytes())?;

    Ok(UpdateReport {
        cache_dir: cache_dir.to_path_buf(),
        mirror: mirror.to_string(),
        root_version_before,
        root_version: root.common.version,
        root_expires: root.common.expires.clone(),
        timestamp_version: timestamp.common.version,
        snapshot_version: snapshot.common.version,
        targets_version: targets.common.version,
        targets_expires: targets.common.expires.clone(),
        targets: reports,
        trusted_root,
    })
}

/// The root the chain starts from, checked to be signed by a threshold of its own root keys (expiry is
/// checked only at the end of the chain).
fn starting_root(cache_dir: &Path, bootstrap: Bootstrap<'_>) -> Result<(Vec<u8>, Root), TufError> {
    let parse = |file: &str, data: &[u8]| -> Result<Root, TufError> {
        let root = Root::parse(file, data)?;
        root.verify_role("root", &root.envelope)?;
        Ok(root)
    };
    match bootstrap {
        Bootstrap::Explicit(data) => Ok((data.to_vec(), parse("root.json (given)", data)?)),
        Bootstrap::CachedOr(embedded) => {
            if let Some(data) = cache::read(cache_dir, "root.json", MAX_ROOT)
                && let Ok(root) = parse("root.json (cached)", &data)
            {
                return Ok((data, root));
            }
            Ok((embedded.to_vec(), parse("root.json (embedded)", embedded)?))
        }
    }
}

/// The cached metadata `file`, when it is still signed by `role` of the trusted `root` (so rotated keys
/// discard it, as TUF §5.3.11 asks); its expiry does not matter here.
fn cached_role(cache_dir: &Path, file: &str, role: &str, root: &Root) -> Option<Envelope> {
    let data = cache::read(cache_dir, file, MAX_METADATA)?;
    let env = Envelope::parse(file, &data, role).ok()?;
    root.verify_role(role, &env).ok()?;
    Some(env)
}

fn no_rollback(file: &str, cached: u64, found: u64) -> Result<(), TufError> {
    if found < cached {
        return Err(TufError::Rollback {
            file: file.to_string(),
            cached,
            found,
        });
    }
    Ok(())
}

fn expect_version(file: &str, expected: u64, found: u64) -> Result<(), TufError> {
    if expected != found {
        return Err(TufError::Version {
            file: file.to_string(),
            expected,
            found,
        });
    }
    Ok(())
}

fn versioned(consistent: bool, version: u64, name: &str) -> String {
    if consistent {
        format!("{version}.{name}")
    } else {
        name.to_string()
    }
}

/// `targets/<hash>.<name>` with consistent snapshots (the sha256 when listed, else the sha512), else
/// `targets/<name>`.
fn target_path(consistent: bool, name: &str, hashes: &std::collections::BTreeMap<String, String>) -> String {
    match hashes.get("sha256").or_else(|| hashes.get("sha512")) {
        Some(h) if consistent => format!("targets/{h}.{name}"),
        _ => format!("targets/{name}"),
    }
}
