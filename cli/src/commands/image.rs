//! `sign`, `verify`, `tree`, `download signature` and `triangulate`: images in registries.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use hsign_core::image::store::WritePolicy;
use hsign_core::image::verify::{ImagePolicy, ImageVerification};
use hsign_core::image::{self, discover, sign as image_sign, verify as image_verify};
use hsign_core::oci::client::ManifestInfo;
use hsign_core::oci::manifest::is_index;
use hsign_core::oci::{Client, ClientOptions, ImageRef};

use crate::args::{AttachmentKind, DownloadCommand, ImageArgs, RegistryArgs, SignArgs, TriangulateArgs, VerifyArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Printer;

/// Images verified at once.
const WORKERS: usize = 8;

pub(crate) fn client(r: RegistryArgs) -> Client {
    Client::new(ClientOptions {
        allow_http: r.allow_http_registry,
        allow_insecure: r.allow_insecure_registry,
        ..Default::default()
    })
}

pub(crate) fn parse_image(s: &str) -> Result<ImageRef, CliError> {
    ImageRef::parse(s).map_err(CliError::usage)
}

pub(crate) fn parse_annotations(list: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    list.iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(CliError::usage(format!(
                "annotation '{a}' is not of the form key=value"
            ))),
        })
        .collect()
}

/// The repository signatures live in: `$HSIGN_REPOSITORY` or `$COSIGN_REPOSITORY`, else the image's own.
pub(crate) fn signature_repo(image: &ImageRef) -> Result<ImageRef, CliError> {
    for var in ["HSIGN_REPOSITORY", "COSIGN_REPOSITORY"] {
        if let Some(repo) = std::env::var(var).ok().filter(|v| !v.is_empty()) {
            return image
                .in_repository(&repo)
                .map_err(|e| CliError::usage(format!("{var}: {e}")));
        }
    }
    Ok(image.clone())
}

/// `sign`.
pub fn sign(args: &SignArgs, out: Printer) -> Result<(), CliError> {
    let images = args
        .images
        .iter()
        .map(|s| parse_image(s))
        .collect::<Result<Vec<_>, _>>()?;
    let annotations = parse_annotations(&args.annotations)?;
    let format = if args.format.is_legacy() {
        image_sign::Format::Legacy
    } else {
        image_sign::Format::Bundle
    };
    let (tlog, keyless) = super::keyless::services(&args.tlog, &args.keyless)?;
    let (key, chain) = super::keyless::signing_key(args.key.as_deref(), &keyless, &tlog, false, out)?;
    let client = client(args.registry);
    let log = super::trust::uploader(&tlog);
    let timestamper = super::timestamp::client(&tlog)?;
    let mut written = Vec::new();
    for image in &images {
        let subject = image_verify::resolve(&client, image).map_err(|e| CliError::image(&e))?;
        if image.digest.is_none() {
            out.info(&format!(
                "WARNING: {image} is a tag; signing its current digest {}. Tags can move: deploy by digest.",
                subject.digest
            ));
        }
        let mut targets = vec![(image.with_digest(&subject.digest), subject.clone())];
        if args.recursive && is_index(&subject.media_type) {
            targets
                .extend(discover::index_children(&client, image, &subject.digest).map_err(|e| CliError::registry(&e))?);
        }
        for (target, manifest) in targets {
            let sig_repo = signature_repo(&target)?;
            let request = image_sign::SignRequest {
                image: &target,
                subject: &manifest,
                sig_repo: &sig_repo,
                annotations: &annotations,
                format,
                created: &image_sign::now_rfc3339(),
                policy: WritePolicy::default(),
                log: log.as_ref(),
                certificates: chain.as_deref(),
                timestamper: timestamper.as_ref(),
            };
            let w = image_sign::sign_image(&client, &key, &request).map_err(|e| sign_error(&target, &e))?;
            out.info(&format!("Pushed signature for {} to {}", target, w.location));
            written.push(json!({"image": target.to_string(), "digest": w.digest, "signature": w.location}));
        }
    }
    if out.json() {
        out.json_value(&Value::Array(written));
    }
    Ok(())
}

/// `verify`: every image concurrently; the exit status is that of the first image (in argument order) that
/// failed.
pub fn verify(args: &VerifyArgs, out: Printer) -> Result<(), CliError> {
    if let Some(policy) = &args.policy {
        return super::gate::run(policy, args, out);
    }
    let images = args
        .images
        .iter()
        .map(|s| parse_image(s))
        .collect::<Result<Vec<_>, _>>()?;
    let annotations = parse_annotations(&args.annotations)?;
    let expected = super::trust::expected(args.key.as_deref(), &args.identity)?;
    let policy = ImagePolicy {
        skip_sct: !expected.requires_sct(),
        signer: expected.image_signer(),
        annotations,
        skip_tlog: args.trust.insecure_ignore_tlog,
        verifier: super::trust::verifier(&args.trust, out)?,
        log_lookup: super::trust::lookup(&args.trust),
    };
    let client = client(args.registry);
    let results: Vec<Result<ImageVerification, CliError>> =
        run_concurrently(&images, |image| verify_one(&client, image, &policy));
    if std::env::var_os("HSIGN_TRACE_REQUESTS").is_some() {
        eprintln!("hsign: {} registry requests", client.request_count());
    }
    conclude_batch(&images, results, out, |v| report_verified(v, out))
}

/// The error for a failed signing or attesting of `target`; a failed log upload gets its hint.
pub(crate) fn sign_error(target: &ImageRef, e: &image_sign::SignError) -> CliError {
    match e {
        image_sign::SignError::Log(u) => {
            let mut err = super::trust::upload_error(u);
            err.message = format!("{target}: {}", err.message);
            err
        }
        image_sign::SignError::Timestamp(t) => CliError::new(
            Exit::Failure,
            format!("{target}: timestamping failed, nothing was written: {t}"),
        )
        .hint("--timestamp-server-url chooses another timestamping authority; omit it to sign without a timestamp"),
        _ => CliError::new(Exit::Failure, format!("signing {target}: {e}")).caused_by(e),
    }
}

/// Reports each image's outcome in argument order; with several images each failure is printed and the
/// status is that of the first one that failed.
pub(crate) fn conclude_batch<T>(
    images: &[ImageRef],
    results: Vec<Result<T, CliError>>,
    out: Printer,
    mut report: impl FnMut(&T),
) -> Result<(), CliError> {
    let total = images.len();
    let mut failed = 0;
    let mut first_error: Option<CliError> = None;
    for (image, result) in images.iter().zip(results) {
        match result {
            Ok(v) => report(&v),
            Err(e) => {
                failed += 1;
                if total > 1 {
                    let mut each = CliError::new(e.exit, format!("{image}: {}", e.message));
                    each.causes = e.causes.clone();
                    out.error(&each);
                }
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => Ok(()),
        Some(e) if total == 1 => Err(e),
        Some(e) => Err(CliError::new(
            e.exit,
            format!("{failed} of {total} images did not verify"),
        )),
    }
}

fn verify_one(client: &Client, image: &ImageRef, policy: &ImagePolicy) -> Result<ImageVerification, CliError> {
    // A digest reference needs no request to resolve; existence is checked only if nothing is found.
    let subject = match &image.digest {
        Some(d) => ManifestInfo {
            digest: d.clone(),
            media_type: String::new(),
            size: 0,
        },
        None => image_verify::resolve(client, image).map_err(|e| CliError::image(&e))?,
    };
    let sig_repo = signature_repo(image)?;
    match image_verify::verify_image(client, image, &subject, &sig_repo, policy) {
        Ok(v) => Ok(v),
        Err(e @ image_verify::ImageError::NoSignatures { .. }) if image.digest.is_some() => {
            // Unsigned, or not there at all? cosign says "not found" (11) for a missing image.
            match client.head_manifest(image, image.reference()) {
                Ok(None) => Err(CliError::image(&image_verify::ImageError::NotFound(image.to_string()))),
                Ok(Some(_)) => Err(CliError::image(&e)),
                Err(r) => Err(CliError::registry(&r)),
            }
        }
        Err(e) => Err(CliError::image(&e)),
    }
}

pub(crate) fn run_concurrently<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let results = std::sync::Mutex::new(&mut slots);
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    slots.into_iter().flatten().collect()
}

fn report_verified(v: &ImageVerification, out: Printer) {
    if out.json() {
        // cosign's shape: an array of the verified payloads (simple-signing documents or statements).
        let docs: Vec<Value> = v
            .verified
            .iter()
            .map(|s| serde_json::from_str(&s.result.document()).unwrap_or(Value::Null))
            .collect();
        out.data(&Value::Array(docs).to_string());
        return;
    }
    if out.quiet {
        return;
    }
    eprintln!("\nVerification for {}@{} --", v.image.name(), v.subject.digest);
    eprintln!("The following checks were performed on each of these signatures:");
    eprintln!("  - The signature was verified against the specified public key");
    eprintln!("  - The signed digest matches the image digest, and any required annotations match");
    for s in &v.verified {
        eprintln!(
            "  verified: {} ({}, key {})",
            s.source,
            s.result.format(),
            s.result.key_fingerprint()
        );
    }
    for (source, reason) in &v.rejected {
        eprintln!("  not verified: {source}: {reason}");
    }
}

/// Parses `image`, connects to its registry, resolves its digest, and names where its attachments live.
fn open_image(image: &str, registry: RegistryArgs) -> Result<(Client, ImageRef, ManifestInfo, ImageRef), CliError> {
    let image = parse_image(image)?;
    let client = client(registry);
    let subject = image_verify::resolve(&client, &image).map_err(|e| CliError::image(&e))?;
    let repo = signature_repo(&image)?;
    Ok((client, image, subject, repo))
}

/// `tree`.
pub fn tree(args: &ImageArgs, out: Printer) -> Result<(), CliError> {
    let (client, image, subject, repo) = open_image(&args.image, args.registry)?;
    let (referrers, source) =
        discover::list_referrers(&client, &repo, &subject.digest).map_err(|e| CliError::registry(&e))?;
    let mut legacy = Vec::new();
    for (suffix, what) in [("sig", "signatures"), ("att", "attestations"), ("sbom", "SBOMs")] {
        let layers =
            discover::find_legacy(&client, &repo, &subject.digest, suffix, None).map_err(|e| CliError::registry(&e))?;
        if !layers.is_empty() {
            legacy.push((what, image::attachment_tag(&subject.digest, suffix), layers));
        }
    }
    if out.json() {
        out.json_value(&json!({
            "image": format!("{}@{}", image.name(), subject.digest),
            "referrers": {"source": source, "manifests": referrers.iter().map(|d| json!({
                "digest": d.digest, "mediaType": d.media_type, "artifactType": d.artifact_type, "size": d.size,
            })).collect::<Vec<_>>()},
            "legacy": legacy.iter().map(|(what, tag, layers)| json!({
                "kind": what, "tag": format!("{}:{tag}", repo.name()),
                "layers": layers.iter().map(|l| json!({"digest": l.layer_digest, "mediaType": l.media_type})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }));
        return Ok(());
    }
    let mut text = format!("Supply chain artifacts for {}@{}\n", image.name(), subject.digest);
    if referrers.is_empty() && legacy.is_empty() {
        text.push_str("  (nothing attached)\n");
    }
    if !referrers.is_empty() {
        text.push_str(&format!("├── OCI referrers ({source}):\n"));
        for d in &referrers {
            let kind = d.artifact_type.as_deref().unwrap_or(&d.media_type);
            text.push_str(&format!("│   └── {} {}\n", kind, d.digest));
        }
    }
    for (what, tag, layers) in &legacy {
        text.push_str(&format!("└── {what} in {}:{tag}\n", repo.name()));
        for l in layers {
            text.push_str(&format!("    └── {} {}\n", l.media_type, l.layer_digest));
        }
    }
    out.data(&text);
    Ok(())
}

/// `download signature`.
pub fn download(cmd: &DownloadCommand, out: Printer) -> Result<(), CliError> {
    let args = match cmd {
        DownloadCommand::Signature(args) => args,
        DownloadCommand::Sbom(args) => return download_sbom(args, out),
        DownloadCommand::Attestation(args) => return download_attestations(args, out),
    };
    let (client, image, subject, repo) = open_image(&args.image, args.registry)?;
    let bundles = discover::find_bundles(&client, &repo, &subject.digest).map_err(|e| CliError::registry(&e))?;
    let legacy = discover::find_legacy(
        &client,
        &repo,
        &subject.digest,
        "sig",
        Some(hsign_core::simple_signing::MEDIA_TYPE),
    )
    .map_err(|e| CliError::registry(&e))?;
    if bundles.bundles.is_empty() && legacy.is_empty() {
        if !bundles.unreadable.is_empty() {
            // A failing registry must not look like an unsigned image.
            let mut e = CliError::new(Exit::Failure, format!("signatures of {image} could not be read"));
            e.causes = bundles.unreadable;
            return Err(e);
        }
        return Err(CliError::new(
            Exit::NoSignature,
            format!("no signatures found for {image}"),
        ));
    }
    for note in &bundles.unreadable {
        out.info(&format!("WARNING: {note}"));
    }
    let mut lines = Vec::new();
    for b in &bundles.bundles {
        lines.push(String::from_utf8_lossy(&b.bytes).trim().to_string());
    }
    for l in &legacy {
        lines.push(l.download_document().to_string());
    }
    out.data(&lines.join("\n"));
    Ok(())
}

/// `download sbom`: the document as attached.
fn download_sbom(args: &ImageArgs, out: Printer) -> Result<(), CliError> {
    let (client, image, subject, repo) = open_image(&args.image, args.registry)?;
    let layers =
        discover::find_legacy(&client, &repo, &subject.digest, "sbom", None).map_err(|e| CliError::registry(&e))?;
    if layers.is_empty() {
        return Err(CliError::new(Exit::NoSignature, format!("no SBOM attached to {image}")));
    }
    for l in &layers {
        use std::io::Write as _;
        let _ = std::io::stdout().write_all(&l.bytes);
    }
    if !out.quiet {
        eprintln!(
            "Found {} SBOM layer(s) ({})",
            layers.len(),
            layers
                .iter()
                .map(|l| l.media_type.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// `download attestation`: every DSSE envelope attached (bundle referrers and `.att` layers), one per line.
fn download_attestations(args: &ImageArgs, out: Printer) -> Result<(), CliError> {
    let (client, image, subject, repo) = open_image(&args.image, args.registry)?;
    let bundles = discover::find_bundles(&client, &repo, &subject.digest).map_err(|e| CliError::registry(&e))?;
    let mut lines: Vec<String> = bundles
        .bundles
        .iter()
        .filter_map(|b| hsign_core::bundle::Bundle::from_json(&b.bytes).ok())
        .filter_map(|b| match b.content {
            hsign_core::bundle::SignatureContent::Dsse(e) => Some(e),
            _ => None,
        })
        .filter(|e| {
            hsign_core::intoto::Statement::from_json(&e.payload)
                .is_ok_and(|s| s.predicate_type != hsign_core::intoto::COSIGN_SIGN_PREDICATE)
        })
        .map(|e| e.to_json())
        .collect();
    let att = discover::find_legacy(&client, &repo, &subject.digest, "att", Some(image::DSSE_MEDIA_TYPE))
        .map_err(|e| CliError::registry(&e))?;
    lines.extend(att.iter().map(|l| String::from_utf8_lossy(&l.bytes).trim().to_string()));
    if lines.is_empty() {
        return Err(CliError::new(
            Exit::NoSignature,
            format!("no attestations found for {image}"),
        ));
    }
    out.data(&lines.join("\n"));
    Ok(())
}

/// `triangulate`.
pub fn triangulate(args: &TriangulateArgs, out: Printer) -> Result<(), CliError> {
    let (_, image, subject, repo) = open_image(&args.image, args.registry)?;
    let location = match args.kind {
        AttachmentKind::Signature => format!("{}:{}", repo.name(), image::attachment_tag(&subject.digest, "sig")),
        AttachmentKind::Attestation => format!("{}:{}", repo.name(), image::attachment_tag(&subject.digest, "att")),
        AttachmentKind::Sbom => format!("{}:{}", repo.name(), image::attachment_tag(&subject.digest, "sbom")),
        AttachmentKind::Referrers => format!("{}:{}", repo.name(), image::fallback_tag(&subject.digest)),
        AttachmentKind::Digest => format!("{}@{}", image.name(), subject.digest),
    };
    if out.json() {
        out.json_value(&json!({"image": image.to_string(), "location": location}));
    } else {
        out.data(&location);
    }
    Ok(())
}
