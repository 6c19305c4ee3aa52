//! The TUF cache directory: where it is, its exclusive update lock, atomic writes, and the lock-free read of
//! the cached trusted root that verification uses.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::metadata::{Envelope, Root, Targets, check_file};
use super::{TRUSTED_ROOT_TARGET, TufError};
use crate::trust::TrustedRoot;

/// The variable naming hsign's TUF cache directory; it takes precedence over [`TUF_ROOT_ENV`].
pub const HSIGN_TUF_ROOT_ENV: &str = "HSIGN_TUF_ROOT";

/// The variable cosign and sigstore-go read for their TUF cache; when [`HSIGN_TUF_ROOT_ENV`] is unset, hsign
/// keeps its cache in an `hsign` directory inside it, apart from their files.
pub const TUF_ROOT_ENV: &str = "TUF_ROOT";

/// How long an update waits for another process's update to finish.
const LOCK_WAIT: Duration = Duration::from_secs(600);

/// Largest cached metadata file read.
pub(crate) const MAX_METADATA: u64 = 8 * 1024 * 1024;

/// The cache directory: `$HSIGN_TUF_ROOT`, else `$TUF_ROOT/hsign`, else `$HOME/.sigstore/hsign/tuf`; `None`
/// when none of the three is set (or set but empty).
pub fn default_cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var(HSIGN_TUF_ROOT_ENV)
        .or_else(|| var(TUF_ROOT_ENV).map(|d| d.join("hsign")))
        .or_else(|| var("HOME").map(|h| h.join(".sigstore").join("hsign").join("tuf")))
}

fn cache_error(path: &Path, reason: impl std::fmt::Display) -> TufError {
    TufError::Cache {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// The exclusive update lock of a cache directory, released when dropped (or when the process exits).
pub(crate) struct UpdateLock {
    _file: File,
}

/// Creates `dir` if needed and takes its exclusive update lock, waiting for another update to finish.
pub(crate) fn lock(dir: &Path) -> Result<UpdateLock, TufError> {
    fs::create_dir_all(dir.join("targets")).map_err(|e| cache_error(dir, format!("cannot create it: {e}")))?;
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| cache_error(&path, format!("cannot open the lock file: {e}")))?;
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(UpdateLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(cache_error(
                    &path,
                    format!(
                        "another update has held the lock for more than {} seconds",
                        LOCK_WAIT.as_secs()
                    ),
                ));
            }
            Err(fs::TryLockError::Error(e)) => return Err(cache_error(&path, format!("cannot lock: {e}"))),
        }
    }
}

/// Reads `dir/rel`, at most `max` bytes; `None` when missing, unreadable or larger.
pub(crate) fn read(dir: &Path, rel: &str, max: u64) -> Option<Vec<u8>> {
    let file = File::open(dir.join(rel)).ok()?;
    let mut data = Vec::new();
    file.take(max + 1).read_to_end(&mut data).ok()?;
    (data.len() as u64 <= max).then_some(data)
}

/// Writes `data` to `dir/rel` through a temporary file in the same directory, synced and renamed into
/// place, so readers see the old file or the new one, never part of one.
pub(crate) fn write_atomic(dir: &Path, rel: &str, data: &[u8]) -> Result<(), TufError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let path = dir.join(rel);
    let parent = path.parent().unwrap_or(dir);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = parent.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&temp, &path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&temp);
        return Err(cache_error(&path, format!("cannot write: {e}")));
    }
    Ok(())
}

/// The mirror URL the cache was last updated from, if recorded.
pub fn cached_mirror(dir: &Path) -> Option<String> {
    let data = read(dir, "mirror", 4096)?;
    let url = String::from_utf8(data).ok()?.trim().to_string();
    (!url.is_empty()).then_some(url)
}

/// The trusted root of the cache, when it holds one that checks out: `targets/trusted_root.json` has the
/// length and hashes the cached `targets.json` lists, `targets.json` is signed by the targets role of the
/// cached `root.json`, and the trusted root parses. `None` otherwise (no cache, an incomplete one, or one
/// tampered with), so the caller falls back to the embedded root. Expiry is not checked: `hsign initialize`
/// keeps the cache current, and the trusted root states each key's own validity period. Never touches the
/// network and takes no lock; while an update is between renames, it retries briefly.
pub fn cached_trusted_root(dir: &Path) -> Option<TrustedRoot> {
    for attempt in 0..5 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(root) = read_cached_trusted_root(dir) {
            return Some(root);
        }
        if read(dir, TARGETS_PATH, 1).is_none() && !dir.join(TARGETS_PATH).exists() {
            // Nothing cached: no point in waiting.
            return None;
        }
    }
    None
}

const TARGETS_PATH: &str = "targets.json";

fn read_cached_trusted_root(dir: &Path) -> Option<TrustedRoot> {
    let root = Root::parse("root.json", &read(dir, "root.json", MAX_METADATA)?).ok()?;
    let env = Envelope::parse(TARGETS_PATH, &read(dir, TARGETS_PATH, MAX_METADATA)?, "targets").ok()?;
    root.verify_role("targets", &env).ok()?;
    let targets = Targets::read(&env).ok()?;
    let entry = targets.targets.get(TRUSTED_ROOT_TARGET)?;
    let rel = format!("targets/{TRUSTED_ROOT_TARGET}");
    let data = read(dir, &rel, entry.length)?;
    check_file(&rel, &data, Some(entry.length), &entry.hashes, true).ok()?;
    TrustedRoot::from_json(&data).ok()
}
