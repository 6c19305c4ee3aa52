//! Backoff delays with jitter, shared by request retries and read-modify-write retries, so concurrent clients
//! do not retry in lock step.

use std::time::Duration;

/// `base` plus a jitter of up to `spread`, different between processes, threads and calls.
pub(crate) fn jittered(base: Duration, spread: Duration) -> Duration {
    use std::hash::{BuildHasher as _, Hasher as _};
    // RandomState is seeded per process and per call; good enough to spread retries (not for secrets).
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    let spread_ms = spread.as_millis() as u64;
    base + Duration::from_millis(h.finish() % (spread_ms + 1))
}

/// Exponential backoff: `first` doubled per attempt (attempt 1 waits `first`), capped at 64x, with 25% jitter.
pub(crate) fn exponential(first: Duration, attempt: u32) -> Duration {
    let base = first.saturating_mul(1 << attempt.saturating_sub(1).min(6));
    jittered(base, base / 4)
}
