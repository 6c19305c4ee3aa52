//! `attest`, `verify-attestation`, `attest-blob`, `attach sbom`: in-toto attestations of images and files.

use serde_json::{Value, json};

use hsign_core::attestation;
use hsign_core::image::sign::{self as image_sign, AttestFormat, SignRequest};
use hsign_core::image::store::WritePolicy;
use hsign_core::image::verify::{self as image_verify, ImagePolicy, ImageVerification};
use hsign_core::intoto;
use hsign_core::keys::HashAlgorithm;
use hsign_core::oci::client::ManifestInfo;
use hsign_core::verify::Artifact;

use super::artifact::Source;
use super::image::{client, conclude_batch, parse_image, run_concurrently, signature_repo};
use crate::args::{AttachSbomArgs, AttestArgs, AttestBlobArgs, VerifyAttestationArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;

fn predicate_type_arg(arg: &str) -> Result<String, CliError> {
    intoto::predicate_type_for(arg).map(str::to_string).ok_or_else(|| {
        CliError::usage(format!(
            "--type '{arg}' is not a known shortcut (custom, slsaprovenance, slsaprovenance02, slsaprovenance1, spdx, spdxjson, cyclonedx, link, vuln, openvex) nor a URI"
        ))
    })
}

/// Reads the predicate file and builds the predicate for `type_arg`.
fn load_predicate(path: &std::path::Path, type_arg: &str) -> Result<(String, Vec<u8>), CliError> {
    predicate_type_arg(type_arg)?;
    let data = fsio::read_document(path, "predicate file")?;
    attestation::predicate(type_arg, data, &image_sign::now_rfc3339()).map_err(|e| CliError::format(path, &e))
}

/// `attest`.
pub fn attest(args: &AttestArgs, out: Printer) -> Result<(), CliError> {
    let images = args
        .images
        .iter()
        .map(|s| parse_image(s))
        .collect::<Result<Vec<_>, _>>()?;
    let legacy = args.format.is_legacy();
    if args.replace && !legacy {
        return Err(CliError::usage(
            "--replace applies to the legacy .att format: add --legacy",
        ));
    }
    let (predicate_type, predicate) = load_predicate(&args.predicate, &args.predicate_type)?;
    let (tlog, keyless) = super::keyless::services(&args.tlog, &args.keyless)?;
    let (key, chain) = super::keyless::signing_key(args.key.as_deref(), &keyless, &tlog, false, out)?;
    let client = client(args.registry);
    let log = super::trust::uploader(&tlog);
    let timestamper = super::timestamp::client(&tlog)?;
    let format = if legacy {
        AttestFormat::Legacy { replace: args.replace }
    } else {
        AttestFormat::Bundle
    };
    let mut written = Vec::new();
    // The predicate is moved into the last statement, not copied: a large SBOM is held once.
    let mut predicate = Some(predicate);
    for (i, image) in images.iter().enumerate() {
        let subject = image_verify::resolve(&client, image).map_err(|e| CliError::image(&e))?;
        if image.digest.is_none() {
            out.info(&format!(
                "WARNING: {image} is a tag; attesting its current digest {}.",
                subject.digest
            ));
        }
        let target = image.with_digest(&subject.digest);
        let digest = hsign_core::ArtifactDigest::parse(&subject.digest)
            .ok_or_else(|| CliError::new(Exit::Failure, format!("{image}: unsupported digest {}", subject.digest)))?;
        let this = if i + 1 == images.len() {
            predicate.take()
        } else {
            predicate.clone()
        }
        .unwrap_or_default();
        let statement = attestation::statement(&image.name(), &digest, &predicate_type, &this);
        drop(this);
        let sig_repo = signature_repo(&target)?;
        let created = image_sign::now_rfc3339();
        let mut req = request(&target, &subject, &sig_repo, &created);
        req.log = log.as_ref();
        req.certificates = chain.as_deref();
        req.timestamper = timestamper.as_ref();
        let w = image_sign::attest_image(&client, &key, &req, &predicate_type, statement, format)
            .map_err(|e| super::image::sign_error(&target, &e))?;
        out.info(&format!(
            "Pushed attestation ({predicate_type}) for {target} to {}",
            w.location
        ));
        written.push(json!({"image": target.to_string(), "predicateType": predicate_type, "attestation": w.location}));
    }
    if out.json() {
        out.json_value(&Value::Array(written));
    }
    Ok(())
}

fn request<'a>(
    image: &'a hsign_core::oci::ImageRef,
    subject: &'a ManifestInfo,
    sig_repo: &'a hsign_core::oci::ImageRef,
    created: &'a str,
) -> SignRequest<'a> {
    static NO_ANNOTATIONS: std::sync::OnceLock<std::collections::BTreeMap<String, String>> = std::sync::OnceLock::new();
    SignRequest {
        image,
        subject,
        sig_repo,
        annotations: NO_ANNOTATIONS.get_or_init(Default::default),
        format: image_sign::Format::Bundle,
        created,
        policy: WritePolicy::default(),
        log: None,
        certificates: None,
        timestamper: None,
    }
}

/// `verify-attestation`: verifies every image concurrently; prints each verified statement as one JSON line.
pub fn verify_attestation(args: &VerifyAttestationArgs, out: Printer) -> Result<(), CliError> {
    let images = args
        .images
        .iter()
        .map(|s| parse_image(s))
        .collect::<Result<Vec<_>, _>>()?;
    let predicate_type = args.predicate_type.as_deref().map(predicate_type_arg).transpose()?;
    let predicate_policy = match &args.policy {
        Some(path) => Some(super::predicate_policy::load(path)?),
        None => None,
    };
    let expected = super::trust::expected(args.key.as_deref(), &args.identity)?;
    let policy = ImagePolicy {
        skip_sct: !expected.requires_sct(),
        signer: expected.image_signer(),
        annotations: Default::default(),
        skip_tlog: args.trust.insecure_ignore_tlog,
        verifier: super::trust::verifier(&args.trust, out)?,
        log_lookup: super::trust::lookup(&args.trust),
    };
    let client = client(args.registry);
    let results = run_concurrently(&images, |image| {
        let subject = match &image.digest {
            Some(d) => ManifestInfo {
                digest: d.clone(),
                media_type: String::new(),
                size: 0,
            },
            None => image_verify::resolve(&client, image).map_err(|e| CliError::image(&e))?,
        };
        let sig_repo = signature_repo(image)?;
        image_verify::verify_image_attestations(&client, image, &subject, &sig_repo, &policy, predicate_type.as_deref())
            .map_err(|e| match e {
                image_verify::ImageError::NoSignatures { .. } => CliError::new(
                    Exit::NoSignature,
                    format!(
                        "no attestations{} found for {image}",
                        predicate_type
                            .as_deref()
                            .map(|t| format!(" of type {t}"))
                            .unwrap_or_default()
                    ),
                ),
                e => CliError::image(&e),
            })
    });
    let checked: Vec<_> = results
        .into_iter()
        .map(|r| {
            r.and_then(|v| match &predicate_policy {
                Some(p) => super::predicate_policy::check(p, &v, out).map(|()| v),
                None => Ok(v),
            })
        })
        .collect();
    conclude_batch(&images, checked, out, |v| report(v, out))
}

fn report(v: &ImageVerification, out: Printer) {
    for s in &v.verified {
        out.data(&s.result.document());
    }
    if !out.quiet && !out.json() {
        eprintln!("\nVerification for {}@{} --", v.image.name(), v.subject.digest);
        for s in &v.verified {
            let t = s.result.statement().map(|s| s.predicate_type.as_str()).unwrap_or("?");
            eprintln!("  verified: {t} ({})", s.source);
        }
        for (source, reason) in &v.rejected {
            eprintln!("  not verified: {source}: {reason}");
        }
    }
}

/// `attest-blob`.
pub fn attest_blob(args: &AttestBlobArgs, out: Printer) -> Result<(), CliError> {
    let source = Source::resolve_input(&args.file)?;
    let (predicate_type, predicate) = load_predicate(&args.predicate, &args.predicate_type)?;
    let (tlog, keyless) = super::keyless::services(&args.tlog, &args.keyless)?;
    let (key, chain) = super::keyless::signing_key(
        args.key.as_deref(),
        &keyless,
        &tlog,
        matches!(source, Source::Stdin),
        out,
    )?;
    let leaf = chain.as_ref().and_then(|c| c.first()).cloned();
    let digests = match source.load(&[HashAlgorithm::Sha256], false, out.quiet)? {
        Artifact::Digests(d) => d,
        // A small file is read whole.
        Artifact::Bytes(b) => vec![hsign_core::ArtifactDigest::of(HashAlgorithm::Sha256, &b)],
        Artifact::None => return Err(CliError::new(Exit::Failure, "internal: no digest computed")),
    };
    let name = match &source {
        Source::File(p) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        _ => "-".to_string(),
    };
    let statement = attestation::statement(&name, &digests[0], &predicate_type, &predicate);
    drop(predicate);
    let envelope = hsign_core::sign::sign_envelope(&key, intoto::PAYLOAD_TYPE, statement)
        .map_err(|e| CliError::new(Exit::Failure, format!("signing failed: {e}")))?;
    // Timestamp and record the envelope before writing anything: a failure leaves no half-made output.
    let signature = envelope
        .signatures
        .first()
        .map(|s| s.sig.as_slice())
        .unwrap_or_default();
    let timestamp = super::timestamp::timestamp(&tlog, signature, out)?;
    let entry = match super::trust::uploader(&tlog) {
        Some(log) => {
            let entry = log
                .envelope_as(&envelope, &key.public_key(), leaf.as_deref())
                .map_err(|e| super::trust::upload_error(&e))?;
            out.info(&format!(
                "Recorded in {} at log index {}",
                log.client.url(),
                entry.log_index
            ));
            Some(entry)
        }
        None => None,
    };
    // One serialized form alive at a time: a 50 MiB predicate stays within a small multiple of its size.
    let mut staged = Vec::new();
    let mut printed = None;
    if let Some(path) = &args.output_signature {
        staged.push(fsio::stage(path, envelope.to_json().as_bytes(), 0o644, true)?);
    }
    if let Some(path) = &args.bundle {
        let mut bundle = hsign_core::sign::envelope_bundle(&key, envelope);
        if let Some(leaf) = &leaf {
            bundle.key_material = hsign_core::bundle::KeyMaterial::Certificate(leaf.clone());
        }
        bundle.tlog_entries.extend(entry);
        bundle.rfc3161_timestamps.extend(timestamp);
        staged.push(fsio::stage(path, bundle.to_json().as_bytes(), 0o644, true)?);
    } else if args.output_signature.is_none() {
        printed = Some(envelope.to_json());
    }
    for s in staged {
        s.commit()?;
    }
    if let Some(envelope_json) = printed {
        out.data(&envelope_json);
    } else if out.json() {
        out.json_value(&json!({
            "artifact": source.name(), "artifactDigest": digests[0].to_string(), "predicateType": predicate_type,
            "outputSignature": args.output_signature, "bundle": args.bundle,
        }));
    } else {
        out.info(&format!("Wrote attestation ({predicate_type}) for {}", source.name()));
    }
    Ok(())
}

/// `attach sbom`.
pub fn attach_sbom(args: &AttachSbomArgs, out: Printer) -> Result<(), CliError> {
    let image = parse_image(&args.image)?;
    let document = fsio::read_document(&args.sbom, "SBOM file")?;
    let media_type = hsign_core::image::sbom_media_type(&args.kind, &document).ok_or_else(|| {
        CliError::new(
            Exit::Input,
            format!(
                "SBOM file '{}' is not a {} document (JSON, or XML for CycloneDX, or tag-value for SPDX)",
                args.sbom.display(),
                args.kind
            ),
        )
    })?;
    let client = client(args.registry);
    let subject = image_verify::resolve(&client, &image).map_err(|e| CliError::image(&e))?;
    let target = image.with_digest(&subject.digest);
    let sig_repo = signature_repo(&target)?;
    let created = image_sign::now_rfc3339();
    let w = image_sign::attach_sbom(
        &client,
        &request(&target, &subject, &sig_repo, &created),
        media_type,
        &document,
    )
    .map_err(|e| CliError::new(Exit::Failure, format!("attaching to {target}: {e}")).caused_by(&e))?;
    out.info(&format!("Attached {media_type} SBOM to {target} at {}", w.location));
    if out.json() {
        out.json_value(&json!({"image": target.to_string(), "mediaType": media_type, "location": w.location}));
    }
    Ok(())
}
