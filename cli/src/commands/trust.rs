//! Trusted material and the transparency log for the commands: which logs count when verifying
//! (`--rekor-public-key`, `--trusted-root`, or the embedded public-good root), where to look entries up, and
//! where signing commands record signatures.

use std::time::Duration;

use hsign_core::tlog::client::RekorClient;
use hsign_core::tlog::upload::Uploader;
use hsign_core::trust::TrustedRoot;
use hsign_core::verify::Verifier;

use std::path::Path;

use hsign_core::keys::PublicKey;
use hsign_core::verify::{CertificateIdentity, Matcher};

use crate::args::{IdentityArgs, TlogUploadArgs, TrustArgs};
use crate::error::CliError;
use crate::fsio;
use crate::output::Printer;

/// How long one log request may take: `HSIGN_REKOR_TIMEOUT` seconds, 30 by default.
fn log_timeout() -> Duration {
    let secs = std::env::var("HSIGN_REKOR_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// The trusted root the flags name: a Rekor public key, a trusted_root.json, or the embedded public-good
/// root. Reading a file never touches the network.
pub fn trusted_root(args: &TrustArgs) -> Result<TrustedRoot, CliError> {
    load_root(
        args.rekor_public_key.as_deref(),
        args.trusted_root.as_deref(),
        args.staging,
        &rekor_url(&args.rekor_url, args.staging),
    )
}

/// Public-good production and staging Rekor.
const PRODUCTION_REKOR: &str = "https://rekor.sigstore.dev";
const STAGING_REKOR: &str = "https://rekor.sigstage.dev";

/// The log URL: with `--staging` and the default URL, staging's log.
pub fn rekor_url(given: &str, staging: bool) -> String {
    if staging && given.trim_end_matches('/') == PRODUCTION_REKOR {
        STAGING_REKOR.to_string()
    } else {
        given.to_string()
    }
}

/// The trusted root from a Rekor public key file (for the log at `rekor_url`), a trusted_root.json, or the
/// embedded staging root, in that order of precedence; by default, the production root cached by
/// `hsign initialize` (`hsign_core::tuf::cached_trusted_root`), else the embedded one.
pub fn load_root(
    rekor_public_key: Option<&Path>,
    trusted_root: Option<&Path>,
    staging: bool,
    rekor_url: &str,
) -> Result<TrustedRoot, CliError> {
    if let Some(path) = rekor_public_key {
        let data = fsio::read_document(path, "Rekor public key")?;
        return TrustedRoot::from_rekor_public_key(&data, rekor_url).map_err(|e| CliError::format(path, &e));
    }
    if let Some(path) = trusted_root {
        let data = fsio::read_document(path, "trusted root")?;
        return TrustedRoot::from_json(&data).map_err(|e| CliError::format(path, &e));
    }
    if staging {
        return Ok(TrustedRoot::staging());
    }
    // The trusted root `hsign initialize` cached through TUF, when the cache holds a verified one; the
    // embedded root otherwise. Reading the cache never touches the network.
    Ok(hsign_core::tuf::default_cache_dir()
        .and_then(|dir| hsign_core::tuf::cached_trusted_root(&dir))
        .unwrap_or_else(TrustedRoot::production))
}

/// A client for the log at `url`, with the per-request timeout of `HSIGN_REKOR_TIMEOUT`.
pub fn log_client(url: &str) -> RekorClient {
    RekorClient::new(url, log_timeout())
}

/// Who must have signed, from `--key` or the keyless identity flags.
pub enum Expected {
    /// A key.
    Key(PublicKey),
    /// A keyless identity, and whether an SCT is required.
    Identity(CertificateIdentity, bool),
}

/// Reads `--key`, or builds the keyless identity from `--certificate-identity(-regexp)` and
/// `--certificate-oidc-issuer(-regexp)` (both required, as cosign requires) and the GitHub claims.
pub fn expected(key: Option<&Path>, id: &IdentityArgs) -> Result<Expected, CliError> {
    if let Some(path) = key {
        return Ok(Expected::Key(super::load_public_key(path)?));
    }
    let matcher = |exact: &Option<String>, regex: &Option<String>, what: &str| -> Result<Matcher, CliError> {
        match (exact, regex) {
            (Some(e), _) => Ok(Matcher::Exact(e.clone())),
            (None, Some(r)) => Matcher::regex(r).map_err(|e| CliError::usage(format!("--{what}-regexp: {e}"))),
            (None, None) => Err(CliError::usage(format!(
                "keyless verification needs --{what} or --{what}-regexp (or pass --key)"
            ))),
        }
    };
    let subject = matcher(
        &id.certificate_identity,
        &id.certificate_identity_regexp,
        "certificate-identity",
    )?;
    let issuer = matcher(
        &id.certificate_oidc_issuer,
        &id.certificate_oidc_issuer_regexp,
        "certificate-oidc-issuer",
    )?;
    let mut github = std::collections::BTreeMap::new();
    for (claim, value) in [
        ("trigger", &id.certificate_github_workflow_trigger),
        ("sha", &id.certificate_github_workflow_sha),
        ("name", &id.certificate_github_workflow_name),
        ("repository", &id.certificate_github_workflow_repository),
        ("ref", &id.certificate_github_workflow_ref),
    ] {
        if let Some(v) = value {
            github.insert(claim.to_string(), v.clone());
        }
    }
    Ok(Expected::Identity(
        CertificateIdentity {
            subject,
            issuer,
            github,
        },
        !id.insecure_ignore_sct,
    ))
}

/// The verifier for the flags; warns when the log is skipped.
pub fn verifier(args: &TrustArgs, out: Printer) -> Result<Verifier, CliError> {
    if args.insecure_ignore_tlog {
        out.info("WARNING: skipping transparency log verification (--insecure-ignore-tlog)");
    }
    Ok(Verifier::with_trusted_root(trusted_root(args)?))
}

/// Where legacy signatures without an embedded entry are looked up; `None` when offline or not needed.
pub fn lookup(args: &TrustArgs) -> Option<RekorClient> {
    (!args.offline && !args.insecure_ignore_tlog).then(|| log_client(&rekor_url(&args.rekor_url, args.staging)))
}

/// The log signatures are recorded in, or `None` with `--tlog-upload=false`. The log's answers are checked
/// with the embedded public-good root (which knows the public instance's key).
pub fn uploader(args: &TlogUploadArgs) -> Option<Uploader> {
    args.tlog_upload.then(|| Uploader {
        client: log_client(&args.rekor_url),
        trust: TrustedRoot::production(),
    })
}

/// The error for a failed upload: nothing was written.
pub fn upload_error(e: &hsign_core::tlog::upload::UploadError) -> CliError {
    CliError::new(
        crate::exit::Exit::Failure,
        format!("transparency log upload failed, nothing was written: {e}"),
    )
    .hint("--tlog-upload=false signs without the log (verifiers then need --insecure-ignore-tlog); --rekor-url chooses another log")
}

impl Expected {
    /// The policy builder for this signer.
    pub fn policy(self) -> hsign_core::verify::PolicyBuilder {
        match self {
            Self::Key(k) => hsign_core::verify::Policy::builder(k),
            Self::Identity(id, true) => hsign_core::verify::Policy::keyless(id),
            Self::Identity(id, false) => hsign_core::verify::Policy::keyless(id).without_sct_unsafe(),
        }
    }

    /// The key that will check the signature: the given one, or the certificate's the entity carries.
    pub fn signing_key(&self, entity: &hsign_core::verify::SignedEntity) -> Result<PublicKey, CliError> {
        match self {
            Self::Key(k) => Ok(k.clone()),
            Self::Identity(..) => entity
                .certificate_key()
                .ok_or_else(|| CliError::verify(&hsign_core::verify::VerifyError::CertificateRequired)),
        }
    }

    /// Whether the certificate must carry an SCT (keyless without `--insecure-ignore-sct`).
    pub fn requires_sct(&self) -> bool {
        !matches!(self, Self::Identity(_, false))
    }

    /// The image verification signer.
    pub fn image_signer(self) -> hsign_core::image::verify::ImageSigner {
        match self {
            Self::Key(k) => hsign_core::image::verify::ImageSigner::Key(k),
            Self::Identity(id, _) => hsign_core::image::verify::ImageSigner::Identity(id),
        }
    }
}
