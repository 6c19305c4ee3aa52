//! `--timestamp-server-url` of the signing commands: an RFC 3161 timestamp of the signature, fetched before
//! anything is written, so that a failing timestamping authority leaves no output.

use std::time::Duration;

use hsign_core::timestamp::client::TsaClient;

use crate::args::TlogUploadArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Printer;

/// Per-request timeout: `HSIGN_TSA_TIMEOUT` seconds, else 30.
fn timeout() -> Duration {
    let secs = std::env::var("HSIGN_TSA_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(30);
    Duration::from_secs(secs)
}

/// The client for `--timestamp-server-url`, or `None` when the flag is absent. The legacy image formats have
/// no place for a timestamp: with `legacy` the flag is a usage error.
pub fn client(args: &TlogUploadArgs, legacy: bool) -> Result<Option<TsaClient>, CliError> {
    match &args.timestamp_server_url {
        Some(_) if legacy => Err(CliError::usage(
            "--timestamp-server-url applies to the bundle format: the legacy format (--legacy) stores no timestamp",
        )),
        Some(url) => Ok(Some(TsaClient::new(url, timeout()))),
        None => Ok(None),
    }
}

/// The DER `TimeStampResp` over `signature` from `--timestamp-server-url`, or `None` when the flag is absent.
pub fn timestamp(args: &TlogUploadArgs, signature: &[u8], out: Printer) -> Result<Option<Vec<u8>>, CliError> {
    let Some(client) = client(args, false)? else {
        return Ok(None);
    };
    let response = client.timestamp(signature).map_err(|e| {
        CliError::new(Exit::Failure, format!("timestamping failed, nothing was written: {e}"))
            .hint("--timestamp-server-url chooses another timestamping authority; omit it to sign without a timestamp")
    })?;
    out.info(&format!("Timestamped by {}", client.url()));
    Ok(Some(response))
}
