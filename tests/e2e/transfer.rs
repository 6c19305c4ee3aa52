//! `copy`, `save` and `load` against real registries (distribution 2.8, no referrers API): an index signed
//! recursively in both formats with attestations and an SBOM carried to another registry; merging with the
//! destination's own signatures; a layout round trip into a third registry verified offline against the test
//! Rekor log; a tampered layout refused; a destination tag conflict; skopeo reading hsign's layout.

use std::path::Path;

use serde_json::Value;

use hsign_e2e::image::{build_image, digest, get_manifest, http, push_image, push_index};
use hsign_e2e::registry::Registry;
use hsign_e2e::rekor::RekorLog;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";
const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// Key pairs `cosign` and `more` (password `pw`), a vulnerability predicate and a CycloneDX SBOM.
///
/// `verify` checks the legacy `.sig` layers only when no bundle verifies (as cosign), so tests sign each
/// format with its own key to show both arrived.
fn setup_with(more: &[&str]) -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    hsign(&["generate-key-pair"]).cwd(d).password("pw").run().ok();
    for prefix in more {
        hsign(&["generate-key-pair", "--output-key-prefix", prefix])
            .cwd(d)
            .password("pw")
            .run()
            .ok();
    }
    std::fs::write(d.join("vuln.json"), br#"{"scanner":{"uri":"pkg:hsign/test"}}"#).unwrap();
    std::fs::write(
        d.join("cdx.json"),
        br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#,
    )
    .unwrap();
    dir
}

fn setup() -> tempfile::TempDir {
    setup_with(&["other"])
}

/// `verify --key KEY --insecure-ignore-tlog -o json IMAGE`: the verified documents.
fn verified(d: &Path, key: &str, image: &str) -> Vec<Value> {
    let out = hsign(&["verify", "--key", key, H, "--insecure-ignore-tlog", "-o", "json", image])
        .cwd(d)
        .run();
    out.ok();
    out.json().as_array().cloned().unwrap_or_default()
}

/// True for a bundle's statement, false for a legacy simple-signing payload.
fn is_bundle(doc: &Value) -> bool {
    doc["predicateType"] == SIGN_PREDICATE
}

fn run(d: &Path, args: &[&str]) -> Output {
    hsign(args).cwd(d).password("pw").run()
}

fn attest(d: &Path, key: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "attest",
        "--tlog-upload=false",
        "--key",
        key,
        H,
        "--predicate",
        "vuln.json",
        "--type",
        "vuln",
    ];
    all.extend_from_slice(args);
    run(d, &all)
}

fn verify_att(d: &Path, image: &str) -> Output {
    run(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            H,
            "--insecure-ignore-tlog",
            "--type",
            "vuln",
            image,
        ],
    )
}

/// Whether `repo:reference` exists in `reg`.
fn exists(reg: &Registry, repo: &str, reference: &str) -> bool {
    let accept = hsign_e2e::image::MANIFEST_ACCEPT;
    let (status, _, _) = http(
        reg,
        "HEAD",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Accept", accept)],
        &[],
    );
    status == 200
}

fn json_of(reg: &Registry, repo: &str, reference: &str) -> Value {
    serde_json::from_slice(&get_manifest(reg, repo, reference).1).unwrap()
}

fn fallback(d: &str) -> String {
    d.replace(':', "-")
}

#[test]
fn copy_carries_an_index_with_recursive_signatures_attestations_and_sbom_in_both_formats() {
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup_with(&["other", "third"]);
    let d = k.path();
    let (index, children) = push_index(&a, "demo/app", "v1", &["c-amd64", "c-arm64"]);
    let src = format!("{}/demo/app@{index}", a.host());
    sign_image(d, &["--recursive", &src]).ok();
    let legacy = [
        "sign",
        "--tlog-upload=false",
        "--key",
        "other.key",
        H,
        "--recursive",
        "--legacy",
    ];
    run(d, &[&legacy[..], &[&src]].concat()).ok();
    attest(d, "cosign.key", &[&src]).ok();
    attest(d, "cosign.key", &["--legacy", &src]).ok();
    run(
        d,
        &["attach", "sbom", H, "--sbom", "cdx.json", "--type", "cyclonedx", &src],
    )
    .ok();

    let out = run(
        d,
        &[
            "copy",
            H,
            "-o",
            "json",
            &format!("{}/demo/app:v1", a.host()),
            &format!("{}/mirror/app", b.host()),
        ],
    );
    out.ok();
    let report = out.json();
    assert_eq!(report["digest"], index.as_str(), "{report}");
    assert_eq!(report["tag"], "v1");
    // Index + 2 children signed in both formats (3 bundles, 3 .sig layers), 2 attestations, 1 SBOM.
    assert_eq!(report["attachments"]["signatures"], 6, "{report}");
    assert_eq!(report["attachments"]["attestations"], 2, "{report}");
    assert_eq!(report["attachments"]["sboms"], 1, "{report}");
    assert_eq!(report["fallbackEntries"], 4, "{report}");

    // Byte for byte: the tag resolves to the same digest, the children are there.
    let (_, raw) = get_manifest(&b, "mirror/app", "v1");
    assert_eq!(digest(&raw), index);
    for c in &children {
        assert!(exists(&b, "mirror/app", c));
    }
    // Referrers are discoverable at the destination through its fallback index.
    let fb = json_of(&b, "mirror/app", &fallback(&index));
    assert_eq!(fb["manifests"].as_array().unwrap().len(), 2, "{fb}");

    // Everything verifies at the destination, the children's recursive signatures too.
    let dst = format!("{}/mirror/app@{index}", b.host());
    let images = std::iter::once(dst.clone()).chain(children.iter().map(|c| format!("{}/mirror/app@{c}", b.host())));
    for image in images {
        let docs = verified(d, "cosign.pub", &image);
        assert!(docs.len() == 1 && is_bundle(&docs[0]), "bundle of {image}: {docs:?}");
        let docs = verified(d, "other.pub", &image);
        assert!(
            docs.len() == 1 && !is_bundle(&docs[0]),
            ".sig layer of {image}: {docs:?}"
        );
    }
    let out = verify_att(d, &dst);
    out.ok();
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    let sbom = run(d, &["download", "sbom", H, &dst]);
    sbom.ok();
    assert_eq!(sbom.stdout.as_bytes(), std::fs::read(d.join("cdx.json")).unwrap());
    // The wrong key still fails at the destination.
    hsign(&["verify", "--key", "third.pub", H, "--insecure-ignore-tlog", &dst])
        .cwd(d)
        .run()
        .expect_code(12);

    // --only sig: no attestation, no SBOM.
    let out = run(
        d,
        &[
            "copy",
            H,
            "--only",
            "sig",
            &src,
            &format!("{}/sigs-only/app:v1", b.host()),
        ],
    );
    out.ok();
    assert!(out.stdout.trim().ends_with(&index), "{}", out.stdout);
    let only = format!("{}/sigs-only/app@{index}", b.host());
    verify_image(d, &[&only]).ok();
    verify_att(d, &only).expect_code(10);
    assert!(!exists(&b, "sigs-only/app", &format!("{}.sbom", fallback(&index))));
    assert!(!exists(&b, "sigs-only/app", &format!("{}.att", fallback(&index))));
}

#[test]
fn copy_keeps_the_signatures_already_at_the_destination() {
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup_with(&["other", "third", "fourth"]);
    let d = k.path();
    let digest_a = push_image(&a, "demo/app", "v1", "merge");
    let digest_b = push_image(&b, "demo/app", "v1", "merge");
    assert_eq!(digest_a, digest_b);
    let (src, dst) = (
        format!("{}/demo/app@{digest_a}", a.host()),
        format!("{}/demo/app@{digest_a}", b.host()),
    );
    // Source: bundle by `cosign`, .sig by `other`; destination: bundle by `third`, .sig by `fourth`.
    for (key, legacy, image) in [
        ("cosign.key", false, &src),
        ("other.key", true, &src),
        ("third.key", false, &dst),
        ("fourth.key", true, &dst),
    ] {
        let mut args = vec!["sign", "--tlog-upload=false", "--key", key, H];
        if legacy {
            args.push("--legacy");
        }
        args.push(image);
        run(d, &args).ok();
    }
    attest(d, "other.key", &["--legacy", &dst]).ok();
    attest(d, "cosign.key", &["--legacy", &src]).ok();

    let out = run(d, &["copy", H, "-o", "json", &src, &format!("{}/demo/app", b.host())]);
    out.ok();
    let merged = out.json()["mergedTags"].clone();
    assert_eq!(merged.as_array().unwrap().len(), 2, "{merged}");

    // Both keys verify at the destination, in both formats.
    let sig = json_of(&b, "demo/app", &format!("{}.sig", fallback(&digest_a)));
    assert_eq!(sig["layers"].as_array().unwrap().len(), 2, "{sig}");
    let att = json_of(&b, "demo/app", &format!("{}.att", fallback(&digest_a)));
    assert_eq!(att["layers"].as_array().unwrap().len(), 2, "{att}");
    let fb = json_of(&b, "demo/app", &fallback(&digest_a));
    assert_eq!(fb["manifests"].as_array().unwrap().len(), 2, "{fb}");
    for (key, bundle) in [
        ("cosign.pub", true),
        ("other.pub", false),
        ("third.pub", true),
        ("fourth.pub", false),
    ] {
        let docs = verified(d, key, &dst);
        assert!(docs.len() == 1 && is_bundle(&docs[0]) == bundle, "{key}: {docs:?}");
    }
    for key in ["other.pub", "cosign.pub"] {
        hsign(&[
            "verify-attestation",
            "--key",
            key,
            H,
            "--insecure-ignore-tlog",
            "--type",
            "vuln",
            &dst,
        ])
        .cwd(d)
        .run()
        .ok();
    }
    // Copying again changes nothing.
    let out = run(d, &["copy", H, "-o", "json", &src, &format!("{}/demo/app", b.host())]);
    out.ok();
    assert_eq!(out.json()["blobs"]["uploaded"], 0, "{}", out.stdout);
    let sig = json_of(&b, "demo/app", &format!("{}.sig", fallback(&digest_a)));
    assert_eq!(sig["layers"].as_array().unwrap().len(), 2, "{sig}");
}

#[test]
fn save_and_load_into_a_third_registry_verify_offline_against_the_log() {
    let (a, c) = (Registry::start(), Registry::start());
    let log = RekorLog::start();
    let k = setup();
    let d = k.path();
    log.write_public_key(d);
    let url = log.url();
    let image_digest = push_image(&a, "demo/app", "v1", "airgap");
    let src = format!("{}/demo/app:v1", a.host());
    let pinned = format!("{}/demo/app@{image_digest}", a.host());
    run(d, &["sign", "--key", "cosign.key", H, "--rekor-url", &url, &pinned]).ok();
    run(
        d,
        &[
            "sign",
            "--key",
            "other.key",
            H,
            "--rekor-url",
            &url,
            "--legacy",
            &pinned,
        ],
    )
    .ok();
    let attest_logged = [
        "attest",
        "--key",
        "cosign.key",
        H,
        "--rekor-url",
        &url,
        "--predicate",
        "vuln.json",
        "--type",
        "vuln",
    ];
    run(d, &[&attest_logged[..], &[&pinned]].concat()).ok();
    assert_eq!(log.tree_size(), 3);

    let layout = d.join("layout");
    let out = run(d, &["save", H, "--dir", s(&layout), "-o", "json", &src]);
    out.ok();
    let saved = out.json();
    assert_eq!(saved["digest"], image_digest.as_str());
    assert_eq!(saved["attachments"]["signatures"], 2, "{saved}");
    assert_eq!(saved["attachments"]["attestations"], 1, "{saved}");

    // A valid OCI layout, marked the way cosign marks its own.
    assert_eq!(read(&layout.join("oci-layout")), r#"{"imageLayoutVersion":"1.0.0"}"#);
    let index: Value = serde_json::from_str(&read(&layout.join("index.json"))).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries[0]["digest"], image_digest.as_str());
    assert_eq!(entries[0]["annotations"]["kind"], "dev.cosignproject.cosign/image");
    assert_eq!(entries[0]["annotations"]["org.opencontainers.image.ref.name"], "v1");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["annotations"]["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"dev.cosignproject.cosign/sigs"), "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| **k == "dev.hsign.transfer/referrer").count(),
        2,
        "{kinds:?}"
    );
    for e in entries {
        let blob = layout
            .join("blobs/sha256")
            .join(e["digest"].as_str().unwrap().trim_start_matches("sha256:"));
        assert_eq!(digest(&std::fs::read(&blob).unwrap()), e["digest"].as_str().unwrap());
    }
    let layer = build_image("airgap", "amd64").layer;
    assert_eq!(
        std::fs::read(
            layout
                .join("blobs/sha256")
                .join(digest(&layer).trim_start_matches("sha256:"))
        )
        .unwrap(),
        layer
    );

    // Load into a registry that never saw the image; verify there with no network but that registry.
    let out = run(d, &["load", H, "--dir", s(&layout), &format!("{}/air/app", c.host())]);
    out.ok();
    assert_eq!(out.stdout.trim(), format!("{}/air/app@{image_digest}", c.host()));
    let (_, raw) = get_manifest(&c, "air/app", "v1");
    assert_eq!(digest(&raw), image_digest);
    let dst = format!("{}/air/app@{image_digest}", c.host());
    for (key, bundle) in [("cosign.pub", true), ("other.pub", false)] {
        let out = hsign(&[
            "verify",
            "--key",
            key,
            H,
            "--offline",
            "--rekor-public-key",
            "rekor.pub",
            "-o",
            "json",
            &dst,
        ])
        .cwd(d)
        .run();
        out.ok();
        let docs = out.json();
        assert!(
            docs.as_array().unwrap().len() == 1 && is_bundle(&docs[0]) == bundle,
            "{key}: {docs}"
        );
    }
    hsign(&[
        "verify-attestation",
        "--key",
        "cosign.pub",
        H,
        "--offline",
        "--rekor-public-key",
        "rekor.pub",
        "--type",
        "vuln",
        &dst,
    ])
    .cwd(d)
    .run()
    .ok();
    // The log's key is what makes them verify: without it they do not.
    hsign(&["verify", "--key", "cosign.pub", H, "--offline", &dst])
        .cwd(d)
        .run()
        .expect_code(12);

    // Saving into the same directory again is refused (an existing layout is never overwritten).
    let out = run(d, &["save", H, "--dir", s(&layout), &src]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("already holds an OCI image layout"),
        "{}",
        out.stderr
    );
}

#[test]
fn load_refuses_a_tampered_layout_and_tags_nothing() {
    let (a, c) = (Registry::start(), Registry::start());
    let k = setup();
    let d = k.path();
    let image_digest = push_image(&a, "demo/app", "v1", "tamper");
    sign_image(d, &[&format!("{}/demo/app@{image_digest}", a.host())]).ok();
    let layout = d.join("layout");
    run(
        d,
        &["save", H, "--dir", s(&layout), &format!("{}/demo/app:v1", a.host())],
    )
    .ok();

    // One flipped byte in the layer.
    let layer = build_image("tamper", "amd64").layer;
    let path = layout
        .join("blobs/sha256")
        .join(digest(&layer).trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(d, &["load", H, "--dir", s(&layout), &format!("{}/air/app", c.host())]);
    out.expect_code(3);
    assert!(out.stderr.contains(s(&path)), "{}", out.stderr);
    assert!(out.stderr.contains("was changed"), "{}", out.stderr);
    assert!(!exists(&c, "air/app", "v1"));
    assert!(!exists(&c, "air/app", &image_digest));

    // A layout hsign does not understand: refused with the file named.
    std::fs::write(&path, &layer).unwrap();
    std::fs::write(layout.join("index.json"), br#"{"schemaVersion":2,"manifests":"nope"}"#).unwrap();
    let out = run(d, &["load", H, "--dir", s(&layout), &format!("{}/air/app", c.host())]);
    out.expect_code(3);
    assert!(out.stderr.contains("index.json"), "{}", out.stderr);
    let out = run(
        d,
        &[
            "load",
            H,
            "--dir",
            s(&d.join("nowhere")),
            &format!("{}/air/app", c.host()),
        ],
    );
    out.expect_code(3);
    assert!(!exists(&c, "air/app", "v1"));
}

#[test]
fn copy_refuses_to_move_a_destination_tag_without_force() {
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup();
    let d = k.path();
    let new = push_image(&a, "demo/app", "v1", "new");
    let old = push_image(&b, "demo/app", "v1", "old");
    let src = format!("{}/demo/app:v1", a.host());
    let dst = format!("{}/demo/app", b.host());
    let out = run(d, &["copy", H, &src, &dst]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(&old) && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    assert_eq!(digest(&get_manifest(&b, "demo/app", "v1").1), old);
    // Nothing was written: the refusal comes before any push.
    assert!(!exists(&b, "demo/app", &new));
    // Another tag is fine; --force moves it.
    run(d, &["copy", H, &src, &format!("{dst}:v2")]).ok();
    assert_eq!(digest(&get_manifest(&b, "demo/app", "v2").1), new);
    run(d, &["copy", H, "--force", &src, &dst]).ok();
    assert_eq!(digest(&get_manifest(&b, "demo/app", "v1").1), new);
    // A destination with a digest is a usage error.
    run(d, &["copy", H, &src, &format!("{dst}@{new}")]).expect_code(2);
}

#[test]
fn skopeo_copies_from_an_hsign_layout_and_the_signature_verifies() {
    assert!(
        Cmd::new("skopeo", &["--version"]).run().code == 0,
        "skopeo is not installed: run scripts/test.sh"
    );
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup();
    let d = k.path();
    let image_digest = push_image(&a, "demo/app", "v1", "skopeo-layout");
    sign_image(d, &["--legacy", &format!("{}/demo/app@{image_digest}", a.host())]).ok();
    let layout = d.join("layout");
    run(
        d,
        &["save", H, "--dir", s(&layout), &format!("{}/demo/app:v1", a.host())],
    )
    .ok();

    let policy = d.join("policy.json");
    std::fs::write(&policy, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).unwrap();
    // The image by its tag, and the .sig manifest by its own (cosign's) tag: both are named in index.json.
    let sig_tag = format!("{}.sig", fallback(&image_digest));
    for tag in ["v1", sig_tag.as_str()] {
        let out = Cmd::new(
            "skopeo",
            &[
                "--policy",
                s(&policy),
                "copy",
                "--preserve-digests",
                "--dest-tls-verify=false",
                &format!("oci:{}:{tag}", s(&layout)),
                &format!("docker://{}/sk/app:{tag}", b.host()),
            ],
        )
        .run();
        out.ok();
    }
    assert_eq!(digest(&get_manifest(&b, "sk/app", "v1").1), image_digest);
    verify_image(d, &[&format!("{}/sk/app@{image_digest}", b.host())]).ok();
}

#[test]
fn a_layer_larger_than_one_upload_chunk_streams_through_copy_save_and_load() {
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup();
    let d = k.path();
    // 20 MiB of incompressible-looking bytes: more than the 16 MiB a transfer holds at once, so the upload
    // goes in chunks.
    let layer = hsign_e2e::image::noise(20 << 20);
    let image_digest = hsign_e2e::image::push_layer_image(&a, "demo/big", "v1", &layer);
    sign_image(d, &[&format!("{}/demo/big@{image_digest}", a.host())]).ok();

    let out = run(
        d,
        &[
            "copy",
            H,
            "-o",
            "json",
            &format!("{}/demo/big:v1", a.host()),
            &format!("{}/copy/big", b.host()),
        ],
    );
    out.ok();
    assert!(out.json()["blobs"]["bytesUploaded"].as_u64().unwrap() > 20 << 20);
    let (status, _, body) = http(&b, "GET", &format!("/v2/copy/big/blobs/{}", digest(&layer)), &[], &[]);
    assert_eq!(status, 200);
    assert!(body == layer, "the copied layer differs");
    verify_image(d, &[&format!("{}/copy/big@{image_digest}", b.host())]).ok();

    // Same registry, another repository: the blobs are mounted, not uploaded.
    let out = run(
        d,
        &[
            "copy",
            H,
            "-o",
            "json",
            &format!("{}/copy/big:v1", b.host()),
            &format!("{}/mounted/big", b.host()),
        ],
    );
    out.ok();
    let report = out.json();
    assert_eq!(report["blobs"]["uploaded"], 0, "{report}");
    assert!(report["blobs"]["mounted"].as_u64().unwrap() >= 2, "{report}");
    verify_image(d, &[&format!("{}/mounted/big@{image_digest}", b.host())]).ok();

    // Through a layout and back.
    let layout = d.join("layout");
    run(
        d,
        &["save", H, "--dir", s(&layout), &format!("{}/demo/big:v1", a.host())],
    )
    .ok();
    run(
        d,
        &["load", H, "--dir", s(&layout), &format!("{}/loaded/big", b.host())],
    )
    .ok();
    let (status, _, body) = http(&b, "GET", &format!("/v2/loaded/big/blobs/{}", digest(&layer)), &[], &[]);
    assert_eq!(status, 200);
    assert!(body == layer, "the loaded layer differs");
    verify_image(d, &[&format!("{}/loaded/big@{image_digest}", b.host())]).ok();
}

#[test]
fn an_upload_location_elsewhere_gets_no_credentials_and_a_relative_one_resolves() {
    use hsign_core::oci::client::ClientOptions;
    use hsign_core::oci::{Client, ImageRef};
    use hsign_e2e::http_fixture::{HttpFixture, Reply};
    use std::sync::{Arc, OnceLock};

    let elsewhere = HttpFixture::start("elsewhere", |_| Reply::status(201, ""));
    let other = elsewhere.url();
    let me: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let base = Arc::clone(&me);
    let registry = HttpFixture::start("registry", move |a| {
        let base = base.get().cloned().unwrap_or_default();
        if a.path() == "/token" {
            return Reply::json(&serde_json::json!({"token": "s3cret"}));
        }
        if a.header("authorization") != Some("Bearer s3cret") {
            return Reply {
                headers: vec![(
                    "WWW-Authenticate".into(),
                    format!(r#"Bearer realm="{base}/token",service="test""#),
                )],
                ..Reply::status(401, "login")
            };
        }
        let located = |l: String| Reply {
            headers: vec![("Location".into(), l)],
            ..Reply::status(202, "")
        };
        match (a.method.as_str(), a.path()) {
            ("POST", "/v2/demo/app/blobs/uploads/") => located(format!("{other}/upload/1")),
            ("POST", "/v2/demo/rel/blobs/uploads/") => located("u1".into()),
            ("PUT", "/v2/demo/rel/blobs/uploads/u1") => Reply::status(201, ""),
            _ => Reply::status(404, "not here"),
        }
    });
    me.set(registry.url()).unwrap();
    let host = registry.url().trim_start_matches("http://").to_string();
    let client = Client::new(ClientOptions {
        allow_http: true,
        max_attempts: 1,
        ..ClientOptions::default()
    });

    // Absolute Location on another port: the upload goes there, without the registry's token.
    let app = ImageRef::parse(&format!("{host}/demo/app")).unwrap();
    let data = b"blob bytes";
    client
        .upload_blob(&app, &digest(data), data.len() as u64, &mut &data[..], None)
        .unwrap();
    client.put_blob(&app, b"more bytes").unwrap();
    let there = elsewhere.asked();
    assert_eq!(there.len(), 2, "{there:?}");
    for a in &there {
        assert_eq!(a.method, "PUT");
        assert!(a.path() == "/upload/1", "{a:?}");
        assert_eq!(a.header("authorization"), None, "credentials went elsewhere: {a:?}");
    }
    // The registry itself did get them.
    assert!(
        registry
            .asked()
            .iter()
            .any(|a| a.method == "POST" && a.header("authorization") == Some("Bearer s3cret"))
    );

    // A relative Location without a leading '/' resolves against the POST's URL (RFC 3986), not the root.
    let rel = ImageRef::parse(&format!("{host}/demo/rel")).unwrap();
    client
        .upload_blob(&rel, &digest(data), data.len() as u64, &mut &data[..], None)
        .unwrap();
    let put = registry
        .asked()
        .into_iter()
        .find(|a| a.method == "PUT")
        .expect("a PUT to the registry");
    assert_eq!(put.path(), "/v2/demo/rel/blobs/uploads/u1");
    assert_eq!(put.header("authorization"), Some("Bearer s3cret"));
}

#[test]
fn a_source_registry_serving_other_blob_bytes_fails_the_copy_and_the_save() {
    use hsign_e2e::proxy::{Proxy, Rule};
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup_with(&[]);
    let d = k.path();
    let image_digest = push_image(&a, "demo/app", "v1", "substituted");
    let proxy = Proxy::start(&a);
    let layer = build_image("substituted", "amd64").layer;
    let mut other = layer.clone();
    other[20] ^= 0xff;
    let rule = proxy.add(Rule::new("GET", &format!("/blobs/{}", digest(&layer))).replace_body(other));
    let src = format!("{}/demo/app:v1", proxy.host());

    let out = run(d, &["copy", H, &src, &format!("{}/mirror/app", b.host())]);
    out.expect_code(1);
    assert!(proxy.hits(rule) >= 1, "{}", proxy.log_text());
    assert!(
        out.stderr.contains("other bytes") && out.stderr.contains(&digest(&layer)),
        "{}",
        out.stderr
    );
    assert!(!exists(&b, "mirror/app", "v1"));
    assert!(!exists(&b, "mirror/app", &image_digest));

    let layout = d.join("layout");
    let out = run(d, &["save", H, "--dir", s(&layout), &src]);
    out.expect_code(1);
    assert!(out.stderr.contains("other bytes"), "{}", out.stderr);
    assert!(!layout.join("index.json").exists());
    assert!(
        !layout
            .join("blobs/sha256")
            .join(digest(&layer).trim_start_matches("sha256:"))
            .exists()
    );
}

#[test]
fn duplicate_and_misattached_referrers_at_the_source_are_carried_once_or_left_out() {
    let (a, b) = (Registry::start(), Registry::start());
    let k = setup_with(&[]);
    let d = k.path();
    let image_digest = push_image(&a, "demo/app", "v1", "referrers");
    let x = push_image(&a, "demo/app", "x", "another");
    sign_image(d, &[&format!("{}/demo/app@{image_digest}", a.host())]).ok();
    sign_image(d, &[&format!("{}/demo/app@{x}", a.host())]).ok();
    let own = json_of(&a, "demo/app", &fallback(&image_digest))["manifests"][0].clone();
    let of_x = json_of(&a, "demo/app", &fallback(&x))["manifests"][0].clone();

    // A referrer manifest with no subject at all.
    let bundle = br#"{"messageSignature":{}}"#;
    let bundle_type = "application/vnd.dev.sigstore.bundle.v0.3+json";
    hsign_e2e::image::push_blob(&a, "demo/app", b"{}");
    hsign_e2e::image::push_blob(&a, "demo/app", bundle);
    let stray = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": hsign_e2e::image::OCI_MANIFEST,
        "artifactType": bundle_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": digest(b"{}"), "size": 2},
        "layers": [{"mediaType": bundle_type, "digest": digest(bundle), "size": bundle.len()}],
    }))
    .unwrap();
    let stray_digest = digest(&stray);
    hsign_e2e::image::put_manifest(&a, "demo/app", &stray_digest, hsign_e2e::image::OCI_MANIFEST, &stray);
    let stray_entry = serde_json::json!({
        "mediaType": hsign_e2e::image::OCI_MANIFEST, "digest": stray_digest, "size": stray.len(), "artifactType": bundle_type,
    });
    // The image's fallback index lists its own referrer twice, the stray one, and x's.
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": hsign_e2e::image::OCI_INDEX,
        "manifests": [own, own, stray_entry, of_x],
    }))
    .unwrap();
    hsign_e2e::image::put_manifest(
        &a,
        "demo/app",
        &fallback(&image_digest),
        hsign_e2e::image::OCI_INDEX,
        &index,
    );

    let out = run(
        d,
        &[
            "copy",
            H,
            "-o",
            "json",
            &format!("{}/demo/app@{image_digest}", a.host()),
            &format!("{}/mirror/app:v1", b.host()),
        ],
    );
    out.ok();
    let report = out.json();
    assert_eq!(report["attachments"]["signatures"], 1, "{report}");
    assert_eq!(report["fallbackEntries"], 1, "{report}");
    let warnings: Vec<String> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&stray_digest) && w.contains("no subject")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(of_x["digest"].as_str().unwrap()) && w.contains(&x)),
        "{warnings:?}"
    );
    let fb = json_of(&b, "mirror/app", &fallback(&image_digest));
    let entries = fb["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{fb}");
    assert_eq!(entries[0]["digest"], own["digest"]);
    // The fallback entry carries the referrer manifest's annotations (as the referrers API lists them).
    let referrer = json_of(&b, "mirror/app", own["digest"].as_str().unwrap());
    assert_eq!(entries[0]["annotations"], referrer["annotations"], "{fb}");
    assert!(!exists(&b, "mirror/app", &stray_digest));
    verify_image(d, &[&format!("{}/mirror/app@{image_digest}", b.host())]).ok();
}

#[test]
fn save_refuses_a_directory_with_other_files_and_resumes_an_interrupted_save() {
    let (a, c) = (Registry::start(), Registry::start());
    let k = setup_with(&[]);
    let d = k.path();
    let image_digest = push_image(&a, "demo/app", "v1", "resume");
    sign_image(d, &[&format!("{}/demo/app@{image_digest}", a.host())]).ok();
    let src = format!("{}/demo/app:v1", a.host());

    let busy = d.join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), b"mine").unwrap();
    let out = run(d, &["save", H, "--dir", s(&busy), &src]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("is not empty") && out.stderr.contains("notes.txt"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("nothing was pushed"), "{}", out.stderr);
    assert_eq!(std::fs::read_dir(&busy).unwrap().count(), 1);

    // An interrupted save (no index.json yet) with a damaged layer of the right size: resumed, repaired.
    let layout = d.join("layout");
    run(d, &["save", H, "--dir", s(&layout), &src]).ok();
    std::fs::remove_file(layout.join("index.json")).unwrap();
    let layer = build_image("resume", "amd64").layer;
    let path = layout
        .join("blobs/sha256")
        .join(digest(&layer).trim_start_matches("sha256:"));
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = run(d, &["save", H, "-o", "json", "--dir", s(&layout), &src]);
    out.ok();
    let saved = out.json();
    assert_eq!(saved["blobs"], 1, "{saved}");
    assert!(saved["reused"].as_u64().unwrap() >= 3, "{saved}");
    assert_eq!(std::fs::read(&path).unwrap(), layer);

    let out = run(d, &["load", H, "--dir", s(&layout), &format!("{}/air/app", c.host())]);
    out.ok();
    assert!(out.stderr.contains("Loaded "), "{}", out.stderr);
    verify_image(d, &[&format!("{}/air/app@{image_digest}", c.host())]).ok();
}
