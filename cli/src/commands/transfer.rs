//! `copy`, `save` and `load`: moving an image with its signatures, attestations and SBOMs between
//! registries, or through an OCI image layout on disk for air-gapped sites. Presentation only: the work is
//! in `hsign_core::transfer`.

use serde_json::{Value, json};

use hsign_core::oci::{Client, ImageRef};
use hsign_core::transfer::layout::{self, LayoutSource, WriteReport};
use hsign_core::transfer::push::RegistrySource;
use hsign_core::transfer::{self, AttachmentKind, Closure, PushOptions, PushReport, Selection, TransferError};

use super::image::{client, parse_image};
use crate::args::{Attachment, CopyArgs, LoadArgs, SaveArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::output::Printer;

/// `copy`.
pub fn copy(args: &CopyArgs, out: Printer) -> Result<(), CliError> {
    let source = parse_image(&args.source)?;
    let destination = destination(&args.destination)?;
    let client = client(args.registry);
    let closure = collect(&client, &source, &args.only, out)?;
    let from = RegistrySource {
        client: &client,
        repository: &source,
    };
    let report =
        transfer::push(&client, &from, &closure, &destination, options(args.force)).map_err(|e| transfer_error(&e))?;
    report_push("Copied", &source.to_string(), &closure, &report, out);
    Ok(())
}

/// `save`.
pub fn save(args: &SaveArgs, out: Printer) -> Result<(), CliError> {
    let image = parse_image(&args.image)?;
    let client = client(args.registry);
    let closure = collect(&client, &image, &args.only, out)?;
    let from = RegistrySource {
        client: &client,
        repository: &image,
    };
    let written = layout::write(&args.dir, &closure, &from).map_err(|e| save_error(&e))?;
    report_save(&image, &args.dir, &closure, &written, out);
    Ok(())
}

/// `load`.
pub fn load(args: &LoadArgs, out: Printer) -> Result<(), CliError> {
    let destination = destination(&args.destination)?;
    let closure = layout::read(&args.dir).map_err(|e| match e {
        TransferError::Layout { .. } => CliError::new(Exit::Input, format!("the layout cannot be loaded: {e}"))
            .hint("nothing was pushed; save the image again or copy an intact layout"),
        _ => transfer_error(&e),
    })?;
    let client = client(args.registry);
    let from = LayoutSource { dir: &args.dir };
    let report = transfer::push(&client, &from, &closure, &destination, options(args.force)).map_err(|e| match e {
        // Checked before pushing, yet a file differs now: it changed while being loaded.
        TransferError::Layout { .. } => {
            CliError::new(Exit::Input, format!("the layout changed while it was loaded: {e}"))
                .hint("no tag was moved; load again from an intact copy of the layout")
        }
        _ => transfer_error(&e),
    })?;
    report_push("Loaded", &args.dir.display().to_string(), &closure, &report, out);
    Ok(())
}

fn options(force: bool) -> PushOptions {
    PushOptions {
        force,
        ..PushOptions::default()
    }
}

/// A destination: a repository, optionally with a tag.
fn destination(s: &str) -> Result<ImageRef, CliError> {
    let d = parse_image(s)?;
    if d.digest.is_some() {
        return Err(CliError::usage(format!(
            "destination '{s}' has a digest: give a repository, optionally with a tag (the digest stays the source's)"
        )));
    }
    Ok(d)
}

fn collect(client: &Client, image: &ImageRef, only: &[Attachment], out: Printer) -> Result<Closure, CliError> {
    let kinds: Vec<AttachmentKind> = only
        .iter()
        .map(|a| match a {
            Attachment::Sig => AttachmentKind::Signature,
            Attachment::Att => AttachmentKind::Attestation,
            Attachment::Sbom => AttachmentKind::Sbom,
        })
        .collect();
    let closure = transfer::collect(client, image, &Selection::only(&kinds)).map_err(|e| transfer_error(&e))?;
    for w in &closure.warnings {
        out.info(&format!("WARNING: {w}; not carried"));
    }
    Ok(closure)
}

/// An error of `save`: a layout error is about the directory written into.
fn save_error(e: &TransferError) -> CliError {
    match e {
        TransferError::Layout { .. } => CliError::new(Exit::Failure, format!("cannot save into the directory: {e}"))
            .hint(
                "save into a new or empty directory (an interrupted save of hsign, with no index.json yet, is resumed)",
            ),
        _ => transfer_error(e),
    }
}

fn transfer_error(e: &TransferError) -> CliError {
    match e {
        TransferError::Registry(r) => CliError::registry(r),
        TransferError::NotFound(_) => CliError::new(Exit::NotFound, e.to_string()),
        TransferError::TagConflict { .. } => CliError::new(Exit::Failure, format!("refusing to move a tag: {e}"))
            .hint("pass --force to point the tag at the copied image, or give the destination another tag"),
        TransferError::Layout { .. } => CliError::new(Exit::Input, format!("the layout cannot be loaded: {e}"))
            .hint("nothing was pushed; save the image again or copy an intact layout"),
        _ => CliError::new(Exit::Failure, e.to_string()).caused_by(e),
    }
}

fn attachments_json(closure: &Closure) -> Value {
    let [signatures, attestations, sboms, other] = closure.counts();
    json!({"signatures": signatures, "attestations": attestations, "sboms": sboms, "other": other})
}

fn attachments_text(closure: &Closure) -> String {
    let [signatures, attestations, sboms, other] = closure.counts();
    let mut s = format!("{signatures} signature(s), {attestations} attestation(s), {sboms} SBOM(s)");
    if other > 0 {
        s.push_str(&format!(", {other} other referrer(s)"));
    }
    s
}

fn report_push(verb: &str, source: &str, closure: &Closure, r: &PushReport, out: Printer) {
    if out.json() {
        out.json_value(&json!({
            "source": source,
            "destination": r.reference,
            "digest": closure.digest,
            "tag": r.tag,
            "manifests": r.manifests,
            "blobs": {
                "uploaded": r.blobs_uploaded,
                "mounted": r.blobs_mounted,
                "present": r.blobs_present,
                "bytesUploaded": r.bytes_uploaded,
            },
            "attachments": attachments_json(closure),
            "mergedTags": r.merged_tags,
            "fallbackEntries": r.fallback_entries,
            "warnings": closure.warnings,
        }));
        return;
    }
    out.info(&format!(
        "{verb} {source} with {}: {} manifest(s) written; blobs: {} uploaded ({} bytes), {} mounted, {} already there",
        attachments_text(closure),
        r.manifests,
        r.blobs_uploaded,
        r.bytes_uploaded,
        r.blobs_mounted,
        r.blobs_present
    ));
    for tag in &r.merged_tags {
        out.info(&format!("Merged with the destination's existing {tag}"));
    }
    if let Some(tag) = &r.tag {
        out.info(&format!("Tagged {tag}"));
    }
    out.data(&r.reference);
}

fn report_save(image: &ImageRef, dir: &std::path::Path, closure: &Closure, w: &WriteReport, out: Printer) {
    if out.json() {
        out.json_value(&json!({
            "image": image.to_string(),
            "digest": closure.digest,
            "tag": closure.tag,
            "directory": dir.display().to_string(),
            "manifests": w.manifests,
            "blobs": w.blobs,
            "bytes": w.bytes,
            "reused": w.reused,
            "attachments": attachments_json(closure),
            "warnings": closure.warnings,
        }));
        return;
    }
    out.info(&format!(
        "Saved {image} ({}) with {} to {}: {} manifest(s), {} blob(s), {} bytes",
        closure.digest,
        attachments_text(closure),
        dir.display(),
        w.manifests,
        w.blobs,
        w.bytes
    ));
    if w.reused > 0 {
        out.info(&format!(
            "Kept {} file(s) an interrupted save had written (checked)",
            w.reused
        ));
    }
    out.data(&closure.digest);
}
