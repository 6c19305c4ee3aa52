//! `sign-blob`: stream the file through SHA-256, sign the digest, write a Sigstore bundle v0.3 and/or the
//! base64 signature. Ed25519 keys sign the whole message, so for them the file is read into memory.

use base64::Engine as _;
use serde_json::json;

use hsign_core::bundle::SignatureContent;
use hsign_core::keys::{HashAlgorithm, Signer as _};
use hsign_core::sign;
use hsign_core::verify::Artifact;

use super::artifact::Source;
use crate::args::SignBlobArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;

/// `sign-blob`.
pub fn run(args: &SignBlobArgs, out: Printer) -> Result<(), CliError> {
    let source = Source::resolve_input(&args.file)?;
    let (tlog, keyless) = super::keyless::services(&args.tlog, &args.keyless)?;
    let (key, chain) = super::keyless::signing_key(
        args.key.as_deref(),
        &keyless,
        &tlog,
        matches!(source, Source::Stdin),
        out,
    )?;
    let certificate = chain.and_then(|c| c.into_iter().next());
    let hash = key.signing_hash();
    let artifact = source.load(&[hash.unwrap_or(HashAlgorithm::Sha256)], hash.is_none(), out.quiet)?;
    let signing_error = |e: hsign_core::keys::KeyError| CliError::new(Exit::Failure, format!("signing failed: {e}"));
    let mut bundle = match &artifact {
        Artifact::Digests(d) => sign::sign_digest(&key, &d[0]).map_err(signing_error)?,
        Artifact::Bytes(b) => sign::sign_message(&key, b).map_err(signing_error)?,
        Artifact::None => unreachable!("a file or standard input always yields an artifact"),
    };
    if let Some(leaf) = &certificate {
        bundle.key_material = hsign_core::bundle::KeyMaterial::Certificate(leaf.clone());
    }
    let SignatureContent::Message(message) = &bundle.content else {
        unreachable!("sign_digest and sign_message build message signatures");
    };
    let signature_b64 = base64::engine::general_purpose::STANDARD.encode(&message.signature);
    let digest = message.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
    // Timestamp and record the signature before writing anything: a failure leaves no half-made output.
    bundle
        .rfc3161_timestamps
        .extend(super::timestamp::timestamp(&tlog, &message.signature, out)?);
    let mut logged = None;
    if let Some(log) = super::trust::uploader(&tlog) {
        let recorded = message
            .digest
            .as_ref()
            .ok_or_else(|| CliError::new(Exit::Failure, "the signature records no digest to log"))?;
        let entry = match &certificate {
            Some(leaf) => log.digest_signature_by_certificate(recorded, &message.signature, leaf),
            None => log.digest_signature(recorded, &message.signature, &key.public_key()),
        }
        .map_err(|e| super::trust::upload_error(&e))?;
        logged = Some(json!({"logUrl": log.client.url(), "logIndex": entry.log_index}));
        out.info(&format!(
            "Recorded in {} at log index {}",
            log.client.url(),
            entry.log_index
        ));
        bundle.tlog_entries.push(entry);
    }

    // Stage every output before renaming any into place.
    let mut staged = Vec::new();
    if let Some(path) = &args.bundle {
        staged.push(fsio::stage(path, bundle.to_json().as_bytes(), 0o644, true)?);
    }
    if let Some(path) = &args.output_signature {
        staged.push(fsio::stage(path, signature_b64.as_bytes(), 0o644, true)?);
    }
    for s in staged {
        s.commit()?;
    }
    if out.json() {
        out.json_value(&json!({
            "artifact": source.name(),
            "artifactDigest": digest,
            "signature": signature_b64,
            "bundle": args.bundle,
            "outputSignature": args.output_signature,
            "transparencyLog": logged.unwrap_or(json!("not uploaded")),
        }));
        return Ok(());
    }
    if let Some(p) = &args.bundle {
        out.info(&format!("Wrote bundle to {}", p.display()));
    }
    if let Some(p) = &args.output_signature {
        out.info(&format!("Wrote signature to {}", p.display()));
    }
    if args.bundle.is_none() && args.output_signature.is_none() {
        out.data(&signature_b64);
    }
    Ok(())
}
