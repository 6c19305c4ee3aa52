//! `verify-blob` and `verify-blob-attestation`: read the stored signature into the one internal model, hash
//! the artifact with exactly the algorithms needed (one pass), and verify once.

use std::path::Path;

use hsign_core::keys::HashAlgorithm;
use hsign_core::verify::{Artifact, Policy, SignedEntity, Verifier};
use hsign_core::{ArtifactDigest, intoto};

use super::artifact::Source;
use crate::args::{VerifyBlobArgs, VerifyBlobAttestationArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;

/// `verify-blob`.
pub fn run(args: &VerifyBlobArgs, out: Printer) -> Result<(), CliError> {
    let expected = super::trust::expected(args.key.as_deref(), &args.identity)?;
    let mut entity = match (&args.bundle, &args.signature) {
        (Some(path), _) => load_entity(path)?,
        (None, Some(path)) => SignedEntity::from_detached_signature(read_signature(path)?),
        (None, None) => return Err(CliError::usage("pass --bundle or --signature")),
    };
    let source = Source::resolve(&args.file)?;
    let (algorithms, whole) = entity.artifact_needs(&expected.signing_key(&entity)?);
    let artifact = source.load(&algorithms, whole, out.quiet)?;
    // A detached signature carries no log entry: look it up, as cosign does (not with --offline).
    if let (super::trust::Expected::Key(key), Some(client), Some(digest)) = (
        &expected,
        super::trust::lookup(&args.trust).filter(|_| !entity.has_log_evidence()),
        artifact.digest(HashAlgorithm::Sha256),
    ) && args.signature.is_some()
    {
        let proposed = hsign_core::tlog::body::proposed_hashedrekord(&digest, entity.signature_bytes(), &key.to_pem());
        hsign_core::tlog::lookup::attach_found_entries(&client, &mut entity, proposed)
            .map_err(|e| CliError::new(Exit::Failure, e))?;
    }
    let mut policy = expected.policy().artifact(artifact);
    if args.trust.insecure_ignore_tlog {
        policy = policy.without_tlog_unsafe();
    }
    let verifier = super::trust::verifier(&args.trust, out)?;
    finish(&verifier, &entity, policy.build(), &source.name(), out)
}

/// `verify-blob-attestation`.
pub fn run_attestation(args: &VerifyBlobAttestationArgs, out: Printer) -> Result<(), CliError> {
    let path = args
        .bundle
        .as_ref()
        .or(args.signature.as_ref())
        .ok_or_else(|| CliError::usage("pass --signature or --bundle"))?;
    let predicate_type = intoto::predicate_type_for(&args.predicate_type).ok_or_else(|| {
        CliError::usage(format!(
            "--type '{}' is not a known shortcut (custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex) nor a URI",
            args.predicate_type
        ))
    })?;
    let expected = super::trust::expected(args.key.as_deref(), &args.identity)?;
    let entity = load_entity(path)?;
    if entity.is_message_signature() {
        return Err(CliError::format(
            path,
            &hsign_core::FormatError::new("attestation", "", "holds a plain signature, not a DSSE envelope"),
        ));
    }

    let (source, artifact) = match (&args.digest, &args.file) {
        (Some(hex), _) => {
            let text = format!("{}:{}", args.digest_alg, hex);
            let digest = ArtifactDigest::parse(&text).ok_or_else(|| {
                CliError::usage(format!(
                    "--digest/--digestAlg '{text}' is not a valid digest (sha256, sha384 or sha512 in hex)"
                ))
            })?;
            (text, Artifact::Digests(vec![digest]))
        }
        (None, Some(file)) => {
            let source = Source::resolve(file)?;
            let artifact = source.load(&[HashAlgorithm::Sha256], false, out.quiet)?;
            (source.name(), artifact)
        }
        (None, None) => return Err(CliError::usage("pass the file, or --digest")),
    };
    let mut policy = expected.policy().artifact(artifact).predicate_type(predicate_type);
    if args.trust.insecure_ignore_tlog {
        policy = policy.without_tlog_unsafe();
    }
    let verifier = super::trust::verifier(&args.trust, out)?;
    finish(&verifier, &entity, policy.build(), &source, out)
}

fn finish(
    verifier: &Verifier,
    entity: &SignedEntity,
    policy: Policy,
    artifact: &str,
    out: Printer,
) -> Result<(), CliError> {
    let result = verifier.verify(entity, &policy).map_err(|e| CliError::verify(&e))?;
    if out.json() {
        let mut v = result.to_json();
        v["artifact"] = serde_json::json!(artifact);
        out.json_value(&v);
    } else if !out.quiet {
        eprintln!("Verified OK");
    }
    Ok(())
}

fn load_entity(path: &Path) -> Result<SignedEntity, CliError> {
    let data = fsio::read_document(path, "bundle")?;
    SignedEntity::from_json(&data).map_err(|e| CliError::format(path, &e))
}

/// A detached signature file: base64 (as cosign writes it), or raw bytes when it is not base64.
fn read_signature(path: &Path) -> Result<Vec<u8>, CliError> {
    use base64::Engine as _;
    let data = fsio::read_document(path, "signature file")?;
    let text = String::from_utf8_lossy(&data);
    let trimmed: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(trimmed.as_bytes())
        .unwrap_or(data);
    if sig.is_empty() {
        return Err(CliError::format(
            path,
            &hsign_core::FormatError::new("signature file", "", "is empty"),
        ));
    }
    Ok(sig)
}
