//! Image signatures exchanged with independent implementations, each against its own registry
//! (distribution 2.8 on a free loopback port): the `sigstore` crate (tests/peers/sigstore-rs-peer) in the
//! legacy `.sig` format both ways, skopeo copying a signed image with its sigstore attachment to another
//! repository, and `@sigstore/cli` (sigstore-js) attaching a DSSE bundle through the referrers tag schema.

use std::path::{Path, PathBuf};

use hsign_e2e::image::{get_manifest, push_image};
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

/// A cosign key pair made by `hsign generate-key-pair` (password `pw`) in a temp dir.
fn keys() -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    dir
}

fn sign(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["sign", "--tlog-upload=false", "--key", "cosign.key", H];
    all.extend_from_slice(args);
    hsign(&all).cwd(dir).password("pw").run()
}

fn verify(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["verify", "--key", "cosign.pub", H, "--insecure-ignore-tlog"];
    all.extend_from_slice(args);
    hsign(&all).cwd(dir).run()
}

/// The `.sig` tag of a digest.
fn sig_tag(digest: &str) -> String {
    format!("{}.sig", digest.replace(':', "-"))
}

#[test]
fn sigstore_rs_legacy_signature_verifies_with_hsign() {
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/rs", "v1", "rs-signed");
    let image = reg.image_ref("demo/rs", "v1");
    sigstore_rs_peer(&["sign", "cosign.key", &image, "env=test"])
        .cwd(k.path())
        .password("pw")
        .run()
        .ok();
    // What the crate pushed: the legacy simple-signing layer under the `.sig` tag.
    let (_, raw) = get_manifest(&reg, "demo/rs", &sig_tag(&digest));
    let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        m["layers"][0]["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json",
        "{m}"
    );

    let out = verify(k.path(), &["-o", "json", "-a", "env=test", &image]);
    out.ok();
    let doc = &out.json()[0];
    assert_eq!(doc["critical"]["image"]["docker-manifest-digest"], digest.as_str());
    assert_eq!(doc["optional"]["env"], "test");
    verify(
        k.path(),
        &["-a", "env=test", &format!("{}/demo/rs@{digest}", reg.host())],
    )
    .ok();
    let out = verify(k.path(), &["-a", "env=prod", &image]);
    out.expect_code(12);
    assert!(out.stderr.contains("annotation 'env'"), "{}", out.stderr);
}

#[test]
fn hsign_legacy_signature_verifies_with_sigstore_rs() {
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/h", "v1", "hsign-signed");
    let by_digest = format!("{}/demo/h@{digest}", reg.host());
    sign(k.path(), &["--legacy", "-a", "env=prod", &by_digest]).ok();

    let image = reg.image_ref("demo/h", "v1");
    let out = sigstore_rs_peer(&["verify", "cosign.pub", &image, "env=prod"])
        .cwd(k.path())
        .run();
    out.ok();
    assert!(out.stdout.contains(&digest), "{}", out.stdout);
    sigstore_rs_peer(&["verify", "cosign.pub", &image, "env=dev"])
        .cwd(k.path())
        .run()
        .expect_code(1);
}

/// `skopeo` config for one registry: a `registries.d` directory with `use-sigstore-attachments: true` for
/// the registry host, and a policy that accepts anything. Returns (dir, registries.d, policy.json).
fn skopeo_config(reg: &Registry) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempdir();
    let regd = dir.path().join("registries.d");
    std::fs::create_dir(&regd).unwrap();
    std::fs::write(
        regd.join("hsign-test.yaml"),
        format!("docker:\n  {}:\n    use-sigstore-attachments: true\n", reg.host()),
    )
    .unwrap();
    let policy = dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"default":[{"type":"insecureAcceptAnything"}]}"#).unwrap();
    (dir, regd, policy)
}

#[test]
fn skopeo_copy_carries_an_hsign_legacy_signature_to_another_repository() {
    assert!(
        Cmd::new("skopeo", &["--version"]).run().code == 0,
        "skopeo is not installed: run scripts/test.sh"
    );
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/src", "v1", "skopeo");
    let host = reg.host();
    sign(
        k.path(),
        &["--legacy", "-a", "via=skopeo", &format!("{host}/demo/src@{digest}")],
    )
    .ok();

    let (_cfg, regd, policy) = skopeo_config(&reg);
    let out = Cmd::new(
        "skopeo",
        &[
            "--registries.d",
            s(&regd),
            "--policy",
            s(&policy),
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--preserve-digests",
            &format!("docker://{host}/demo/src:v1"),
            &format!("docker://{host}/demo/copy:v1"),
        ],
    )
    .run();
    out.ok();

    // The copy has the same digest and a `.sig` manifest of its own, written by skopeo.
    let (_, copied) = get_manifest(&reg, "demo/copy", "v1");
    assert_eq!(hsign_e2e::image::digest(&copied), digest);
    let (_, raw) = get_manifest(&reg, "demo/copy", &sig_tag(&digest));
    let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(
        m["layers"][0]["mediaType"], "application/vnd.dev.cosign.simplesigning.v1+json",
        "{m}"
    );

    // The signed docker-reference names demo/src; cosign (and hsign) do not check it against the copy.
    let copy = format!("{host}/demo/copy@{digest}");
    verify(k.path(), &["-a", "via=skopeo", &copy]).ok();
    verify(k.path(), &["-a", "via=other", &copy]).expect_code(12);
}

/// The `@sigstore/cli` 0.8.1 executable in the node peer.
fn sigstore_js_cli() -> PathBuf {
    let bin = node_peer("node_modules/.bin/sigstore");
    assert!(
        bin.is_file(),
        "@sigstore/cli not installed at {}: run scripts/test.sh (or `npm ci` in tests/peers/node)",
        bin.display()
    );
    bin
}

#[test]
fn sigstore_js_attached_dsse_bundle_verifies_with_hsign() {
    let reg = Registry::start_with_basic_auth("tester", "testpass");
    let digest = push_image(&reg, "demo/app", "v1", "sigstore-js");
    let host = reg.host();
    let dir = tempdir();
    let d = dir.path();
    std::fs::copy(vector("keys/cosign/validecpkcs8.key"), d.join("key.pem")).unwrap();
    hsign(&["public-key", "--key", "key.pem", "--outfile", "pub.pem"])
        .cwd(d)
        .run()
        .ok();

    // An in-toto Statement about the image digest, with cosign's signing predicate type.
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1",
        "predicate": {},
    });
    std::fs::write(d.join("stmt.json"), statement.to_string()).unwrap();
    node("sign-with-key.js", &["dsse", "key.pem", "stmt.json", "bundle.json"])
        .cwd(d)
        .run()
        .ok();

    let out = Cmd::new(
        sigstore_js_cli(),
        &[
            "attach",
            "-u",
            "tester",
            "-p",
            "testpass",
            "--attestation",
            "bundle.json",
            &reg.image_ref("demo/app", "v1"),
        ],
    )
    .cwd(d)
    .run();
    out.ok();

    // What sigstore-js wrote: a fallback index under the `sha256-<hex>` tag listing one bundle referrer.
    let (ct, raw_index) = get_manifest(&reg, "demo/app", &digest.replace(':', "-"));
    let index: serde_json::Value = serde_json::from_slice(&raw_index).unwrap();
    let referrer = index["manifests"][0]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("no referrer in the fallback index ({ct}): {index}"));
    let (_, raw_referrer) = get_manifest(&reg, "demo/app", referrer);
    let evidence = format!(
        "--- fallback index ({ct})\n{}\n--- referrer manifest\n{}",
        String::from_utf8_lossy(&raw_index),
        String::from_utf8_lossy(&raw_referrer)
    );

    // Its referrer: a bundle artifact about the image, without cosign's `dev.sigstore.bundle.*` annotations.
    let m: serde_json::Value = serde_json::from_slice(&raw_referrer).unwrap();
    assert_eq!(
        index["manifests"][0]["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json",
        "{evidence}"
    );
    assert_eq!(m["subject"]["digest"], digest.as_str(), "{evidence}");
    assert_eq!(
        m["layers"][0]["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json",
        "{evidence}"
    );
    let docker = tempdir();
    let auth = "dGVzdGVyOnRlc3RwYXNz"; // base64("tester:testpass")
    std::fs::write(
        docker.path().join("config.json"),
        serde_json::json!({"auths": {host.clone(): {"auth": auth}}}).to_string(),
    )
    .unwrap();
    let verify_with = |key: &str| {
        hsign(&[
            "verify",
            "--key",
            key,
            H,
            "--insecure-ignore-tlog",
            &format!("{host}/demo/app@{digest}"),
        ])
        .cwd(d)
        .env("DOCKER_CONFIG", s(docker.path()))
        .run()
    };
    let out = verify_with("pub.pem");
    assert_eq!(
        out.code, 0,
        "hsign did not verify the bundle attached by sigstore-js\n--- hsign stderr\n{}\n{evidence}",
        out.stderr
    );
    // Another key does not verify it.
    let k = keys();
    std::fs::copy(k.path().join("cosign.pub"), d.join("other.pub")).unwrap();
    verify_with("other.pub").expect_code(12);
}
