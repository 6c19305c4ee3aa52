//! RFC 3161 timestamps when signing (`--timestamp-server-url`), against the test TSA (tests/support/tsa), the
//! test log and the test Fulcio: the bundle carries the timestamp, hsign and sigstore-js verify it against a
//! trusted root that lists the TSA, a failing TSA writes nothing, and a tampered timestamp is refused.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use hsign_e2e::fulcio::FulcioCa;
use hsign_e2e::rekor::RekorLog;
use hsign_e2e::tsa::Tsa;
use hsign_e2e::*;

const ISSUER: &str = "https://issuer.hsign.test";
const SIGNER: &str = "signer@example.com";

fn bundle_json(d: &Path, name: &str) -> Value {
    serde_json::from_str(&read(&d.join(name))).unwrap()
}

fn timestamps(b: &Value) -> Vec<Vec<u8>> {
    b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|t| STANDARD.decode(t["signedTimestamp"].as_str().unwrap()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

/// The signature the timestamp must cover: the message signature or the envelope's.
fn signature(b: &Value) -> Vec<u8> {
    let sig = b["messageSignature"]["signature"]
        .as_str()
        .or_else(|| b["dsseEnvelope"]["signatures"][0]["sig"].as_str())
        .unwrap();
    STANDARD.decode(sig).unwrap()
}

/// A key pair (password `pw`), an artifact, and a trusted root with the log and the TSA.
fn setup(ca: &FulcioCa, log: &RekorLog, tsa: &Tsa) -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    std::fs::write(dir.path().join("artifact.txt"), b"timestamped artifact\n").unwrap();
    tsa.write_trusted_root(dir.path(), &ca.trusted_root_json(Some(log)));
    dir
}

fn sign_blob(d: &Path, log: &RekorLog, tsa_url: &str, bundle: &str) -> Output {
    hsign(&[
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        &log.url(),
        "--timestamp-server-url",
        tsa_url,
        "--bundle",
        bundle,
        "artifact.txt",
    ])
    .cwd(d)
    .password("pw")
    .run()
}

#[test]
fn sign_blob_stores_a_timestamp_that_hsign_and_sigstore_js_verify() {
    let (ca, log, tsa) = (FulcioCa::start(), RekorLog::start(), Tsa::start());
    let dir = setup(&ca, &log, &tsa);
    let d = dir.path();
    sign_blob(d, &log, &tsa.url(), "b.json").ok();
    let b = bundle_json(d, "b.json");
    let ts = timestamps(&b);
    assert_eq!(ts.len(), 1, "{b}");
    assert_eq!(tsa.requests(), 1);
    // The timestamp is over the bundle's signature, and from the trusted root's TSA.
    let trust = hsign_core::trust::TrustedRoot::from_json(read(&d.join("trusted_root.json")).as_bytes()).unwrap();
    hsign_core::timestamp::verify(&ts[0], &signature(&b), &trust).unwrap();

    hsign(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--trusted-root",
        "trusted_root.json",
        "--bundle",
        "b.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();

    let out = node(
        "verify-with-tsa.js",
        &["trusted_root.json", "cosign.pub", "artifact.txt", "b.json"],
    )
    .cwd(d)
    .run();
    assert!(out.stdout.starts_with("OK 1"), "{out:?}");
    // Key-signed bundles get their timestamps checked too: a flipped byte, or a root without the TSA, fails.
    let mut tampered = b.clone();
    let mut t = ts[0].clone();
    let last = t.len() - 1;
    t[last] ^= 0x01;
    tampered["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] =
        Value::String(STANDARD.encode(&t));
    std::fs::write(d.join("tampered-key.json"), serde_json::to_vec(&tampered).unwrap()).unwrap();
    let key_verify = |bundle: &str, root: &str| {
        hsign(&[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--trusted-root",
            root,
            "--bundle",
            bundle,
            "artifact.txt",
        ])
        .cwd(d)
        .run()
    };
    let out = key_verify("tampered-key.json", "trusted_root.json");
    out.expect_code(12);
    assert!(out.stderr.contains("timestamp check failed"), "{}", out.stderr);
    // Without the TSA in the trusted root, sigstore-js refuses the timestamp-only check.
    std::fs::write(d.join("no-tsa.json"), ca.trusted_root_json(Some(&log))).unwrap();
    let out = node(
        "verify-with-tsa.js",
        &["no-tsa.json", "cosign.pub", "artifact.txt", "b.json"],
    )
    .cwd(d)
    .run();
    assert_eq!(out.code, 1, "{out:?}");
}

#[test]
fn attest_blob_timestamps_the_envelope_signature() {
    let (ca, log, tsa) = (FulcioCa::start(), RekorLog::start(), Tsa::start());
    let dir = setup(&ca, &log, &tsa);
    let d = dir.path();
    std::fs::write(d.join("pred.json"), br#"{"builder":"ci"}"#).unwrap();
    hsign(&[
        "attest-blob",
        "--key",
        "cosign.key",
        "--predicate",
        "pred.json",
        "--rekor-url",
        &log.url(),
        "--timestamp-server-url",
        &tsa.url(),
        "--bundle",
        "a.json",
        "artifact.txt",
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let b = bundle_json(d, "a.json");
    let ts = timestamps(&b);
    assert_eq!(ts.len(), 1, "{b}");
    let trust = hsign_core::trust::TrustedRoot::from_json(read(&d.join("trusted_root.json")).as_bytes()).unwrap();
    hsign_core::timestamp::verify(&ts[0], &signature(&b), &trust).unwrap();
    let out = node(
        "verify-with-tsa.js",
        &["trusted_root.json", "cosign.pub", "-", "a.json"],
    )
    .cwd(d)
    .run();
    assert!(out.stdout.starts_with("OK 1"), "{out:?}");
}

#[test]
fn a_keyless_bundle_with_a_timestamp_reports_it_as_a_verified_time() {
    let (ca, log, tsa) = (FulcioCa::start(), RekorLog::start(), Tsa::start());
    let dir = setup(&ca, &log, &tsa);
    let d = dir.path();
    let token = ca.mint_token(SIGNER, ISSUER, std::time::Duration::from_secs(300));
    hsign(&[
        "sign-blob",
        "--identity-token",
        &token,
        "--fulcio-url",
        &ca.url(),
        "--rekor-url",
        &log.url(),
        "--timestamp-server-url",
        &tsa.url(),
        "--bundle",
        "k.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();
    assert_eq!(timestamps(&bundle_json(d, "k.json")).len(), 1);
    let verify = |bundle: &str| {
        hsign(&[
            "verify-blob",
            "--bundle",
            bundle,
            "--trusted-root",
            "trusted_root.json",
            "--certificate-identity",
            SIGNER,
            "--certificate-oidc-issuer",
            ISSUER,
            "--insecure-ignore-sct",
            "-o",
            "json",
            "artifact.txt",
        ])
        .cwd(d)
        .run()
    };
    let out = verify("k.json");
    out.ok();
    let v = out.json();
    let sources: Vec<&str> = v["signer"]["verifiedAt"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["source"].as_str())
        .collect();
    assert!(sources.contains(&"RFC 3161 timestamp"), "{v}");
    assert!(sources.contains(&"transparency log integrated time"), "{v}");

    // A tampered timestamp (one byte of the TSTInfo's signature flipped): refused.
    let mut b = bundle_json(d, "k.json");
    let mut ts = timestamps(&b).remove(0);
    let last = ts.len() - 1;
    ts[last] ^= 0x01;
    b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] =
        Value::String(STANDARD.encode(&ts));
    std::fs::write(d.join("tampered.json"), serde_json::to_vec(&b).unwrap()).unwrap();
    let out = verify("tampered.json");
    out.expect_code(12);
    assert!(out.stderr.contains("timestamp check failed"), "{}", out.stderr);

    // A timestamp from a TSA the trusted root does not list: refused as well.
    let other = Tsa::start();
    let resp = hsign_core::timestamp::client::TsaClient::new(&other.url(), std::time::Duration::from_secs(10))
        .timestamp(&signature(&b))
        .unwrap();
    b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] =
        Value::String(STANDARD.encode(&resp));
    std::fs::write(d.join("foreign.json"), serde_json::to_vec(&b).unwrap()).unwrap();
    let out = verify("foreign.json");
    out.expect_code(12);
    assert!(out.stderr.contains("timestamp check failed"), "{}", out.stderr);
}

#[test]
fn a_failing_tsa_writes_nothing() {
    let (ca, log, tsa) = (FulcioCa::start(), RekorLog::start(), Tsa::start());
    let dir = setup(&ca, &log, &tsa);
    let d = dir.path();
    tsa.fail_next(100);
    let out = sign_blob(d, &log, &tsa.url(), "b.json");
    out.expect_code(1);
    assert!(out.stderr.contains("timestamp"), "{}", out.stderr);
    assert!(out.stderr.contains("500"), "{}", out.stderr);
    assert!(!d.join("b.json").exists());
    // Retried a bounded number of times; the log saw nothing (the timestamp comes first).
    assert_eq!(tsa.requests(), 4);
    assert_eq!(log.tree_size(), 0);
    // A transient failure is retried and the signature still timestamped.
    tsa.fail_next(1);
    sign_blob(d, &log, &tsa.url(), "b.json").ok();
    assert_eq!(timestamps(&bundle_json(d, "b.json")).len(), 1);
    // A URL where no TSA answers: refused too, nothing written.
    let out = sign_blob(d, &log, &format!("{}/nope", log.url()), "c.json");
    out.expect_code(1);
    assert!(!d.join("c.json").exists());
}

#[test]
fn keyless_image_signatures_and_attestations_carry_a_timestamp() {
    use hsign_e2e::image::push_image;
    use hsign_e2e::registry::Registry;
    const H: &str = "--allow-http-registry";
    let (reg, ca, log, tsa) = (Registry::start(), FulcioCa::start(), RekorLog::start(), Tsa::start());
    let dir = tempdir();
    let d = dir.path();
    tsa.write_trusted_root(d, &ca.trusted_root_json(Some(&log)));
    std::fs::write(d.join("no-tsa.json"), ca.trusted_root_json(Some(&log))).unwrap();
    let token = ca.mint_token(SIGNER, ISSUER, std::time::Duration::from_secs(300));
    let image = format!("{}/demo/app@{}", reg.host(), push_image(&reg, "demo/app", "v1", "tsa"));
    let (fulcio, rekor, tsa_url) = (ca.url(), log.url(), tsa.url());
    let keyless = [
        "--identity-token",
        &token,
        "--fulcio-url",
        &fulcio,
        "--rekor-url",
        &rekor,
        "--timestamp-server-url",
        &tsa_url,
        H,
    ];
    hsign(&[&["sign"][..], &keyless, &[&image]].concat()).cwd(d).run().ok();
    std::fs::write(d.join("pred.json"), br#"{"builder":"ci"}"#).unwrap();
    let attest = ["attest", "--predicate", "pred.json", "--type", "slsaprovenance1"];
    hsign(&[&attest[..], &keyless, &[&image]].concat()).cwd(d).run().ok();
    assert_eq!(tsa.requests(), 2);
    // The legacy format carries it in cosign's rfc3161timestamp annotation.
    let legacy = format!(
        "{}/demo/legacy@{}",
        reg.host(),
        push_image(&reg, "demo/legacy", "v1", "tsa-l")
    );
    hsign(&[&["sign"][..], &keyless, &["--legacy", &legacy]].concat())
        .cwd(d)
        .run()
        .ok();
    hsign(&[&attest[..], &keyless, &["--legacy", &legacy]].concat())
        .cwd(d)
        .run()
        .ok();
    assert_eq!(tsa.requests(), 4);
    let out = hsign(&["download", "signature", H, &legacy]).cwd(d).run();
    out.ok();
    let sig: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert!(sig["RFC3161Timestamp"]["SignedRFC3161Timestamp"].is_string(), "{sig}");

    let run = |cmd: &[&str], root: &str| {
        let mut args: Vec<&str> = cmd.to_vec();
        args.extend([
            "--certificate-identity",
            SIGNER,
            "--certificate-oidc-issuer",
            ISSUER,
            "--trusted-root",
            root,
            "--insecure-ignore-sct",
            H,
        ]);
        hsign(&args).cwd(d).run()
    };
    for img in [&image, &legacy] {
        run(&["verify", img], "trusted_root.json").ok();
        run(
            &["verify-attestation", "--type", "slsaprovenance1", img],
            "trusted_root.json",
        )
        .ok();
        // Against a root without the TSA the stored timestamps do not verify: they are really there.
        let out = run(&["verify", img], "no-tsa.json");
        out.expect_code(12);
        assert!(out.stderr.contains("timestamp"), "{img}: {}", out.stderr);
        run(&["verify-attestation", "--type", "slsaprovenance1", img], "no-tsa.json").expect_code(12);
    }
}

#[test]
fn a_signing_config_chooses_fulcio_rekor_and_the_tsa() {
    let (ca, log, tsa) = (FulcioCa::start(), RekorLog::start(), Tsa::start());
    let dir = setup(&ca, &log, &tsa);
    let d = dir.path();
    let service = |url: String| serde_json::json!([{"url": url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "test"}]);
    let config = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        "caUrls": service(ca.url()),
        "oidcUrls": [],
        "rekorTlogUrls": service(log.url()),
        "tsaUrls": service(tsa.url()),
        "rekorTlogConfig": {"selector": "ANY"},
        "tsaConfig": {"selector": "ANY"},
    });
    std::fs::write(d.join("signing_config.json"), config.to_string()).unwrap();
    let token = ca.mint_token(
        "config@example.com",
        "https://issuer.hsign.test",
        std::time::Duration::from_secs(300),
    );
    hsign(&[
        "sign-blob",
        "--identity-token",
        &token,
        "--signing-config",
        "signing_config.json",
        "--bundle",
        "c.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();
    let b = bundle_json(d, "c.json");
    assert_eq!(timestamps(&b).len(), 1, "{b}");
    assert_eq!(log.tree_size(), 1);
    assert_eq!(tsa.requests(), 1);
    let out = hsign(&[
        "verify-blob",
        "--bundle",
        "c.json",
        "--trusted-root",
        "trusted_root.json",
        "--certificate-identity",
        "config@example.com",
        "--certificate-oidc-issuer",
        "https://issuer.hsign.test",
        "-o",
        "json",
        "artifact.txt",
    ])
    .cwd(d)
    .run();
    out.ok();
    assert_eq!(out.json()["signer"]["verifiedAt"].as_array().unwrap().len(), 2);
    // A malformed config: a clear error naming the field, before any request.
    std::fs::write(
        d.join("bad.json"),
        br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.1+json"}"#,
    )
    .unwrap();
    let out = hsign(&[
        "sign-blob",
        "--identity-token",
        &token,
        "--signing-config",
        "bad.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run();
    out.expect_code(3);
    assert!(out.stderr.contains("mediaType"), "{}", out.stderr);
}
