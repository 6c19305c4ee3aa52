//! `initialize`: refresh the trusted root through TUF into the local cache (`hsign_core::tuf`), which the
//! verifying commands then read without touching the network.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use hsign_core::tuf::{self, Bootstrap, DirFetcher, Fetcher, HttpFetcher, TufError, UpdateReport};

use crate::args::InitializeArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;

/// How long one TUF request may take: `HSIGN_TUF_TIMEOUT` seconds, 30 by default.
fn timeout() -> Duration {
    let secs = std::env::var("HSIGN_TUF_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// `initialize`.
pub fn run(args: &InitializeArgs, out: Printer) -> Result<(), CliError> {
    let base = tuf::default_cache_dir()
        .ok_or_else(|| CliError::usage("no TUF cache directory: set HSIGN_TUF_ROOT (or TUF_ROOT, or HOME)"))?;
    let cache_dir = if args.staging { base.join("staging") } else { base };
    let mirror = match &args.mirror {
        Some(m) if m.trim().is_empty() => return Err(CliError::usage("--mirror: expected a URL or a directory")),
        Some(m) => m.trim().trim_end_matches('/').to_string(),
        None if args.staging => tuf::STAGING_MIRROR.to_string(),
        None => tuf::cached_mirror(&cache_dir).unwrap_or_else(|| tuf::PRODUCTION_MIRROR.to_string()),
    };
    let given_root = match &args.root {
        Some(path) => Some(fsio::read_document(path, "TUF root")?),
        None => None,
    };
    let bootstrap = match &given_root {
        Some(data) => Bootstrap::Explicit(data),
        None if args.staging => Bootstrap::CachedOr(tuf::STAGING_ROOT_JSON),
        None => Bootstrap::CachedOr(tuf::PRODUCTION_ROOT_JSON),
    };
    let fetcher = fetcher(&mirror)?;
    out.info(&format!("Updating the TUF cache {} from {mirror}", cache_dir.display()));
    let report = tuf::update(fetcher.as_ref(), &cache_dir, &mirror, bootstrap, now())
        .map_err(|e| tuf_error(&e, args.root.as_deref()))?;
    print(&report, out);
    Ok(())
}

/// A directory (`file://DIR` or a path to an existing directory) is read in place, for air-gapped mirrors;
/// anything else must be an http(s) URL.
fn fetcher(mirror: &str) -> Result<Box<dyn Fetcher>, CliError> {
    if let Some(dir) = mirror.strip_prefix("file://") {
        return Ok(Box::new(DirFetcher::new(PathBuf::from(dir))));
    }
    if mirror.starts_with("http://") || mirror.starts_with("https://") {
        return Ok(Box::new(HttpFetcher::new(mirror, timeout())));
    }
    if Path::new(mirror).is_dir() {
        return Ok(Box::new(DirFetcher::new(PathBuf::from(mirror))));
    }
    Err(CliError::usage(format!(
        "--mirror '{mirror}': expected an http(s) URL, file://DIR, or an existing directory"
    )))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn tuf_error(e: &TufError, root: Option<&Path>) -> CliError {
    let err = match e {
        TufError::Cache { .. } => CliError::new(Exit::Failure, format!("TUF update failed: {e}")),
        _ => CliError::new(
            Exit::Failure,
            format!("TUF update refused, the cache is unchanged: {e}"),
        ),
    };
    match e {
        TufError::Fetch { .. } => err.hint("check the network, or pass --mirror for another mirror"),
        TufError::Threshold { file, .. } if file.contains("(given)") => err.hint(format!(
            "'{}' is not a root signed by its own root keys",
            root.map(|p| p.display().to_string()).unwrap_or_default()
        )),
        TufError::Threshold { .. } | TufError::Version { .. } if root.is_none() => {
            err.hint("if this mirror serves a private repository, pass its root with --root")
        }
        _ => err,
    }
}

fn print(r: &UpdateReport, out: Printer) {
    if out.json() {
        let files: Vec<_> = r
            .targets
            .iter()
            .map(|t| json!({"name": t.name, "length": t.length, "sha256": t.sha256, "downloaded": t.downloaded}))
            .collect();
        out.json_value(&json!({
            "cache": r.cache_dir.display().to_string(),
            "mirror": r.mirror,
            "root": {"version": r.root_version, "previousVersion": r.root_version_before, "expires": r.root_expires},
            "timestamp": {"version": r.timestamp_version},
            "snapshot": {"version": r.snapshot_version},
            "targets": {"version": r.targets_version, "expires": r.targets_expires, "files": files},
            "trustedRoot": {
                "tlogs": r.trusted_root.tlogs.len(),
                "ctlogs": r.trusted_root.ctlogs.len(),
                "certificateAuthorities": r.trusted_root.certificate_authorities.len(),
                "timestampAuthorities": r.trusted_root.timestamp_authorities.len(),
            },
        }));
        return;
    }
    let root = if r.root_version == r.root_version_before {
        format!(
            "root.json: version {} (unchanged), expires {}",
            r.root_version, r.root_expires
        )
    } else {
        format!(
            "root.json: version {} (updated from {}), expires {}",
            r.root_version, r.root_version_before, r.root_expires
        )
    };
    let mut text = format!(
        "{root}\ntimestamp.json: version {}, snapshot.json: version {}, targets.json: version {} (expires {})\n",
        r.timestamp_version, r.snapshot_version, r.targets_version, r.targets_expires
    );
    for t in &r.targets {
        text.push_str(&format!(
            "{}: sha256:{} ({} bytes, {})\n",
            t.name,
            t.sha256,
            t.length,
            if t.downloaded { "updated" } else { "unchanged" }
        ));
    }
    text.push_str(&format!(
        "trusted root: {} transparency log(s), {} CT log(s), {} certificate authority(ies), {} timestamp \
         authority(ies)\ncache: {}",
        r.trusted_root.tlogs.len(),
        r.trusted_root.ctlogs.len(),
        r.trusted_root.certificate_authorities.len(),
        r.trusted_root.timestamp_authorities.len(),
        r.cache_dir.display()
    ));
    out.data(&text);
}
