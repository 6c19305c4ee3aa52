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

/// The client for `--timestamp-server-url`, or `None` when the flag is absent. Bundles carry the timestamp in
/// `timestampVerificationData`, legacy layers in cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation.
pub fn client(args: &TlogUploadArgs) -> Result<Option<TsaClient>, CliError> {
    Ok(args
        .timestamp_server_url
        .as_ref()
        .map(|url| TsaClient::new(url, timeout())))
}

/// The DER `TimeStampResp` over `signature` from `--timestamp-server-url`, or `None` when the flag is absent.
pub fn timestamp(args: &TlogUploadArgs, signature: &[u8], out: Printer) -> Result<Option<Vec<u8>>, CliError> {
    let Some(client) = client(args)? else {
        return Ok(None);
    };
    let response = client.timestamp(signature).map_err(|e| {
        CliError::new(Exit::Failure, format!("timestamping failed, nothing was written: {e}"))
            .hint("--timestamp-server-url chooses another timestamping authority; omit it to sign without a timestamp")
    })?;
    out.info(&format!("Timestamped by {}", client.url()));
    Ok(Some(response))
}
