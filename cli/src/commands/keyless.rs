//! Keyless signing: an ephemeral P-256 key, certified by Fulcio for the identity of an OIDC token (from
//! `--identity-token`, `SIGSTORE_ID_TOKEN`, or the GitHub Actions ambient token). The key lives only in memory.

use std::time::Duration;

use hsign_core::fulcio::{self, FulcioClient};
use hsign_core::keys::PrivateKey;

use crate::args::KeylessSignArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Printer;

/// How long one Fulcio or token request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A certificate chain, DER, leaf first.
pub type Chain = Vec<Vec<u8>>;

/// An ephemeral key and its Fulcio certificate chain (DER, leaf first).
pub struct Certified {
    /// The key that signs (never written anywhere).
    pub key: PrivateKey,
    /// The chain Fulcio returned.
    pub chain: Vec<Vec<u8>>,
}

/// Makes an ephemeral key and has Fulcio certify it for the token's identity.
pub fn certify(args: &KeylessSignArgs, out: Printer) -> Result<Certified, CliError> {
    let (token, source) = fulcio::identity_token(args.identity_token.as_deref(), TIMEOUT).map_err(|e| {
        CliError::new(
            Exit::Failure,
            format!("keyless signing needs an OIDC identity token: {e}"),
        )
        .hint("pass --key to sign with a key file, or --identity-token (or SIGSTORE_ID_TOKEN) for keyless signing")
    })?;
    let key = PrivateKey::generate_p256()
        .map_err(|e| CliError::new(Exit::Failure, format!("generating the ephemeral key: {e}")))?;
    let chain = FulcioClient::new(&args.fulcio_url, TIMEOUT)
        .signing_certificate(&token, &key)
        .map_err(|e| CliError::new(Exit::Failure, format!("Fulcio {}: {e}", args.fulcio_url)))?;
    if chain.is_empty() {
        return Err(CliError::new(Exit::Failure, "Fulcio returned no certificate"));
    }
    let who = hsign_core::x509::parse_leaf(&chain[0])
        .map(|l| l.sans.join(", "))
        .unwrap_or_default();
    out.info(&format!(
        "Certificate from {} for {who} (token: {source:?})",
        args.fulcio_url
    ));
    Ok(Certified { key, chain })
}

/// The signing key of a signing command: the `--key` file, or (without one) an ephemeral key certified by
/// Fulcio, returned with its certificate chain. Keyless signing needs the transparency log.
pub fn signing_key(
    key: Option<&std::path::Path>,
    keyless: &KeylessSignArgs,
    tlog: &crate::args::TlogUploadArgs,
    stdin_busy: bool,
    out: Printer,
) -> Result<(PrivateKey, Option<Chain>), CliError> {
    if let Some(path) = key {
        return Ok((super::load_private_key(path, stdin_busy)?, None));
    }
    if !tlog.tlog_upload {
        return Err(CliError::usage(
            "keyless signing needs the transparency log (its time proves the short-lived certificate was valid): drop --tlog-upload=false, or pass --key",
        ));
    }
    let c = certify(keyless, out)?;
    Ok((c.key, Some(c.chain)))
}

/// The signing services: the flags, with `--signing-config` filling in the Fulcio, Rekor and TSA URLs the user
/// left at their defaults (a TSA only when none was given).
pub fn services(
    tlog: &crate::args::TlogUploadArgs,
    keyless: &KeylessSignArgs,
) -> Result<(crate::args::TlogUploadArgs, KeylessSignArgs), CliError> {
    let (mut tlog, mut keyless) = (tlog.clone(), keyless.clone());
    let Some(path) = tlog.signing_config.clone() else {
        return Ok((tlog, keyless));
    };
    use hsign_core::trust::signing_config::SigningConfig;
    let data = crate::fsio::read_document(&path, "signing config")?;
    let config = SigningConfig::from_json(&data).map_err(|e| CliError::format(&path, &e))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    if tlog.rekor_url == hsign_core::tlog::client::PUBLIC_GOOD_URL
        && let Some(s) = SigningConfig::pick(&config.rekor, now, &[1])
    {
        tlog.rekor_url = s.url.clone();
    }
    if keyless.fulcio_url == hsign_core::fulcio::PUBLIC_GOOD_URL
        && let Some(s) = SigningConfig::pick(&config.ca, now, &[1])
    {
        keyless.fulcio_url = s.url.clone();
    }
    if tlog.timestamp_server_url.is_none()
        && let Some(s) = SigningConfig::pick(&config.tsa, now, &[1])
    {
        tlog.timestamp_server_url = Some(s.url.clone());
    }
    Ok((tlog, keyless))
}
