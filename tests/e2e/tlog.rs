//! The transparency log end to end, against the Rekor-compatible test log (tests/support/rekor) on a free
//! loopback port: signing commands record hashedrekord and dsse entries; verification checks the SET, the
//! inclusion proof and the checkpoint with the log's key from `--rekor-public-key` or `--trusted-root`;
//! sigstore-js verifies hsign's logged bundles against the same log; tampering, an unknown log, a failing or
//! lying log, and the online lookup of legacy signatures without a log bundle.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use hsign_e2e::image::push_image;
use hsign_e2e::registry::Registry;
use hsign_e2e::rekor::{LogFault, RekorLog};
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

/// A key pair (password `pw`), an artifact, and the log's key and trusted root, in a temp dir.
fn setup(log: &RekorLog) -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    std::fs::write(dir.path().join("artifact.txt"), b"release artifact\n").unwrap();
    log.write_public_key(dir.path());
    log.write_trusted_root(dir.path());
    dir
}

fn sign_blob(d: &Path, log: &RekorLog, bundle: &str) -> Output {
    hsign(&[
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        &log.url(),
        "--bundle",
        bundle,
        "artifact.txt",
    ])
    .cwd(d)
    .password("pw")
    .run()
}

fn verify_blob(d: &Path, bundle: &str, trust: &[&str]) -> Output {
    let mut args = vec!["verify-blob", "--key", "cosign.pub", "--bundle", bundle];
    args.extend_from_slice(trust);
    args.push("artifact.txt");
    hsign(&args).cwd(d).run()
}

fn bundle_json(d: &Path, name: &str) -> Value {
    serde_json::from_str(&read(&d.join(name))).unwrap()
}

fn write_json(d: &Path, name: &str, v: &Value) {
    std::fs::write(d.join(name), serde_json::to_vec(v).unwrap()).unwrap();
}

/// Flips one bit of a base64 field (decoded, flipped at `at`, re-encoded).
fn flip_b64(v: &mut Value, at: usize) {
    let mut raw = STANDARD.decode(v.as_str().unwrap()).unwrap();
    let i = at % raw.len();
    raw[i] ^= 1;
    *v = Value::String(STANDARD.encode(raw));
}

#[test]
fn sign_blob_records_a_hashedrekord_entry_that_verifies_with_the_logs_key() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let out = sign_blob(d, &log, "a.bundle");
    out.ok();
    assert!(out.stderr.contains("log index 0"), "{}", out.stderr);
    assert_eq!(log.tree_size(), 1);
    let b = bundle_json(d, "a.bundle");
    let entry = &b["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(
        entry["kindVersion"],
        json!({"kind": "hashedrekord", "version": "0.0.1"})
    );
    assert_eq!(entry["logId"]["keyId"], STANDARD.encode(log.log_id()));
    assert!(entry["inclusionPromise"]["signedEntryTimestamp"].is_string());
    assert!(
        entry["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1 - ")
    );
    assert_eq!(
        STANDARD.decode(entry["canonicalizedBody"].as_str().unwrap()).unwrap(),
        log.entry_body(0)
    );

    for trust in [
        ["--rekor-public-key", "rekor.pub"],
        ["--trusted-root", "trusted_root.json"],
    ] {
        let out = hsign(&[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--bundle",
            "a.bundle",
            trust[0],
            trust[1],
            "-o",
            "json",
            "artifact.txt",
        ])
        .cwd(d)
        .run();
        out.ok();
        let v = out.json();
        assert_eq!(v["transparencyLog"]["verified"], true, "{v}");
        let e = &v["transparencyLog"]["entries"][0];
        assert_eq!(
            (e["signedEntryTimestamp"].clone(), e["inclusionProof"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(e["logIndex"], 0);
    }
    // The key also comes from SIGSTORE_REKOR_PUBLIC_KEY, as cosign reads it.
    hsign(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "a.bundle",
        "artifact.txt",
    ])
    .cwd(d)
    .env("SIGSTORE_REKOR_PUBLIC_KEY", s(&d.join("rekor.pub")))
    .run()
    .ok();
    // Without the log's key, the default (public-good) trust does not know this log: fails closed.
    let out = verify_blob(d, "a.bundle", &[]);
    out.expect_code(12);
    assert!(out.stderr.contains("unknown transparency log"), "{}", out.stderr);
    // A different artifact: the signature fails first.
    std::fs::write(d.join("artifact.txt"), b"another artifact\n").unwrap();
    verify_blob(d, "a.bundle", &["--rekor-public-key", "rekor.pub"]).expect_code(12);
}

#[test]
fn every_tampered_log_field_is_refused_naming_the_check() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    // A few entries first, so the proof has hashes (ECDSA here is deterministic: the same artifact signed
    // again is the same entry, so each warm-up signs another one).
    for i in 0..5 {
        std::fs::write(d.join("artifact.txt"), format!("warm-up {i}\n")).unwrap();
        sign_blob(d, &log, &format!("warm{i}.bundle")).ok();
    }
    std::fs::write(d.join("artifact.txt"), b"release artifact\n").unwrap();
    sign_blob(d, &log, "a.bundle").ok();
    assert_eq!(log.tree_size(), 6);
    let good = bundle_json(d, "a.bundle");
    let trust = ["--rekor-public-key", "rekor.pub"];
    verify_blob(d, "a.bundle", &trust).ok();

    type Tamper = fn(&mut Value);
    let cases: [(&str, Tamper, &str); 6] = [
        (
            "SET",
            |e| flip_b64(&mut e["inclusionPromise"]["signedEntryTimestamp"], 10),
            "signed entry timestamp (SET) check failed",
        ),
        (
            "proof hash",
            |e| flip_b64(&mut e["inclusionProof"]["hashes"][0], 3),
            "check failed",
        ),
        ("body", |e| flip_b64(&mut e["canonicalizedBody"], 30), "check failed"),
        (
            "log id",
            |e| flip_b64(&mut e["logId"]["keyId"], 0),
            "unknown transparency log",
        ),
        (
            "checkpoint signature",
            |e| {
                let cp = e["inclusionProof"]["checkpoint"]["envelope"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (text, sig) = cp.rsplit_once(' ').unwrap();
                let mut raw = STANDARD.decode(sig.trim_end()).unwrap();
                raw[12] ^= 1;
                e["inclusionProof"]["checkpoint"]["envelope"] = json!(format!("{text} {}\n", STANDARD.encode(raw)));
            },
            "checkpoint check failed",
        ),
        (
            "log index",
            |e| e["logIndex"] = json!("4"),
            "signed entry timestamp (SET) check failed",
        ),
    ];
    for (what, tamper, expect) in cases {
        let mut b = good.clone();
        tamper(&mut b["verificationMaterial"]["tlogEntries"][0]);
        write_json(d, "t.bundle", &b);
        let out = verify_blob(d, "t.bundle", &trust);
        out.expect_code(12);
        assert!(out.stderr.contains(expect), "{what}: {}", out.stderr);
    }
    // Without the SET, a flipped proof hash is caught by the inclusion proof itself.
    let mut b = good.clone();
    let e = &mut b["verificationMaterial"]["tlogEntries"][0];
    e.as_object_mut().unwrap().remove("inclusionPromise");
    write_json(d, "t.bundle", &b);
    verify_blob(d, "t.bundle", &trust).ok();
    flip_b64(
        &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"][1],
        7,
    );
    write_json(d, "t.bundle", &b);
    let out = verify_blob(d, "t.bundle", &trust);
    out.expect_code(12);
    assert!(out.stderr.contains("inclusion proof check failed"), "{}", out.stderr);
}

#[test]
fn sigstore_js_verifies_hsigns_logged_bundles_and_hsign_verifies_the_same_files() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    sign_blob(d, &log, "blob.bundle").ok();
    std::fs::write(d.join("pred.json"), br#"{"builder":"ci"}"#).unwrap();
    hsign(&[
        "attest-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        &log.url(),
        "--predicate",
        "pred.json",
        "--type",
        "slsaprovenance1",
        "--bundle",
        "att.bundle",
        "artifact.txt",
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let att = bundle_json(d, "att.bundle");
    assert_eq!(
        att["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );
    let peer = |artifact: &str, bundle: &str| {
        node(
            "verify-with-log.js",
            &["trusted_root.json", "cosign.pub", artifact, bundle],
        )
        .cwd(d)
        .run()
    };
    let out = peer("artifact.txt", "blob.bundle");
    assert!(out.stdout.starts_with("OK 1"), "{out:?}");
    let out = peer("-", "att.bundle");
    assert!(out.stdout.starts_with("OK 1"), "{out:?}");
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "cosign.pub",
        "--bundle",
        "att.bundle",
        "--type",
        "slsaprovenance1",
        "--trusted-root",
        "trusted_root.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();
    // sigstore-js refuses the SET-tampered bundle too.
    let mut b = bundle_json(d, "blob.bundle");
    flip_b64(
        &mut b["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"],
        10,
    );
    write_json(d, "bad.bundle", &b);
    assert_ne!(peer("artifact.txt", "bad.bundle").code, 0);
}

#[test]
fn upload_faults_are_retried_a_bounded_number_of_times_and_write_nothing() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let rule = log.add_fault(LogFault::new("POST", "/api/v1/log/entries").status(500).times(2));
    sign_blob(d, &log, "a.bundle").ok();
    assert_eq!(log.hits(rule), 2);
    verify_blob(d, "a.bundle", &["--rekor-public-key", "rekor.pub"]).ok();

    let rule = log.add_fault(LogFault::new("POST", "/api/v1/log/entries").status(503));
    let out = sign_blob(d, &log, "b.bundle");
    out.expect_code(1);
    assert!(out.stderr.contains("transparency log upload failed"), "{}", out.stderr);
    assert!(out.stderr.contains("503"), "{}", out.stderr);
    assert_eq!(log.hits(rule), 4, "one try and three retries");
    assert!(!d.join("b.bundle").exists(), "nothing written after a failed upload");
    log.clear_faults();

    // A log that hangs: the timeout ends it.
    log.add_fault(LogFault::new("POST", "/api/v1/log/entries").delay(Duration::from_secs(5)));
    let out = hsign(&[
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        &log.url(),
        "--bundle",
        "c.bundle",
        "artifact.txt",
    ])
    .cwd(d)
    .password("pw")
    .env("HSIGN_REKOR_TIMEOUT", "1")
    .run();
    out.expect_code(1);
    assert!(!d.join("c.bundle").exists());
    log.clear_faults();

    // A log that answers with an entry for another artifact: refused, nothing written.
    log.add_fault(LogFault::new("POST", "/api/v1/log/entries").wrong_entry());
    std::fs::write(d.join("artifact.txt"), b"a third artifact\n").unwrap();
    let out = sign_blob(d, &log, "d.bundle");
    out.expect_code(1);
    assert!(out.stderr.contains("does not check out"), "{}", out.stderr);
    assert!(!d.join("d.bundle").exists());
}

#[test]
fn images_signed_and_attested_with_the_log_verify_in_both_formats() {
    let reg = Registry::start();
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let url = log.url();
    let image = format!("{}/demo/app@{}", reg.host(), push_image(&reg, "demo/app", "v1", "tlog"));
    let legacy_image = format!(
        "{}/demo/legacy@{}",
        reg.host(),
        push_image(&reg, "demo/legacy", "v1", "tlog-l")
    );
    let run = |args: &[&str]| hsign(args).cwd(d).password("pw").run();
    run(&["sign", "--key", "cosign.key", H, "--rekor-url", &url, &image]).ok();
    run(&[
        "sign",
        "--key",
        "cosign.key",
        H,
        "--rekor-url",
        &url,
        "--legacy",
        &legacy_image,
    ])
    .ok();
    std::fs::write(d.join("pred.json"), br#"{"scanner":"x"}"#).unwrap();
    let attest = [
        "attest",
        "--key",
        "cosign.key",
        H,
        "--rekor-url",
        &url,
        "--predicate",
        "pred.json",
        "--type",
        "vuln",
    ];
    run(&[&attest[..], &[&image]].concat()).ok();
    run(&[&attest[..], &["--legacy", &legacy_image]].concat()).ok();
    assert_eq!(log.tree_size(), 4);

    // The legacy layer carries cosign's bundle annotation.
    let out = hsign(&["download", "signature", H, &legacy_image]).cwd(d).run();
    out.ok();
    let legacy: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert!(legacy["Bundle"]["SignedEntryTimestamp"].is_string(), "{legacy}");
    assert!(legacy["Bundle"]["Payload"]["logID"].is_string());

    // Both images in one call: the bundle's dsse entry and the .sig layer's SET verify with the log's key.
    let verify = ["verify", "--key", "cosign.pub", H];
    hsign(&[&verify[..], &["--rekor-public-key", "rekor.pub", &image, &legacy_image]].concat())
        .cwd(d)
        .run()
        .ok();
    for img in [&image, &legacy_image] {
        let out = hsign(&[
            "verify-attestation",
            "--key",
            "cosign.pub",
            H,
            "--trusted-root",
            "trusted_root.json",
            "--type",
            "vuln",
            img,
        ])
        .cwd(d)
        .run();
        out.ok();
        assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    }
    // The default trust does not know the test log; offline, nothing can be looked up either.
    hsign(&[&verify[..], &[&image]].concat()).cwd(d).run().expect_code(12);
    hsign(&[&verify[..], &["--offline", &legacy_image]].concat())
        .cwd(d)
        .run()
        .expect_code(12);
}

/// POSTs a hashedrekord entry for a legacy signature to the log (as an earlier cosign run would have).
fn log_legacy_signature(log: &RekorLog, d: &Path, payload_b64: &str, signature_b64: &str) {
    let payload = STANDARD.decode(payload_b64).unwrap();
    let digest = Cmd::new("sha256sum", &[]).stdin(payload).run().stdout[..64].to_string();
    let pem = read(&d.join("cosign.pub"));
    let body = json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
        "data": {"hash": {"algorithm": "sha256", "value": digest}},
        "signature": {"content": signature_b64, "publicKey": {"content": STANDARD.encode(pem)}}}});
    let resp = ureq::post(format!("{}/api/v1/log/entries", log.url()))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
}

#[test]
fn a_legacy_signature_without_a_log_bundle_is_looked_up_online() {
    let reg = Registry::start();
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let digest = push_image(&reg, "demo/app", "v1", "lookup");
    let image = format!("{}/demo/app@{digest}", reg.host());
    hsign(&[
        "sign",
        "--key",
        "cosign.key",
        H,
        "--legacy",
        "--tlog-upload=false",
        &image,
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--key", "cosign.pub", H, "--rekor-public-key", "rekor.pub"];
        args.extend_from_slice(extra);
        args.push(&image);
        hsign(&args).cwd(d).run()
    };
    let url = log.url();
    // Not in the log yet: the lookup finds nothing, so no log entry: fails.
    let out = verify(&["--rekor-url", &url]);
    out.expect_code(12);
    assert!(out.stderr.contains("no transparency log entry"), "{}", out.stderr);

    let out = hsign(&["download", "signature", H, &image]).cwd(d).run();
    let sig: Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    log_legacy_signature(
        &log,
        d,
        sig["Payload"].as_str().unwrap(),
        sig["Base64Signature"].as_str().unwrap(),
    );
    let before = log.count("POST", "/api/v1/log/entries/retrieve");
    verify(&["--rekor-url", &url]).ok();
    assert_eq!(log.count("POST", "/api/v1/log/entries/retrieve"), before + 1);
    // --offline never asks the log.
    let out = verify(&["--rekor-url", &url, "--offline"]);
    out.expect_code(12);
    assert_eq!(log.count("POST", "/api/v1/log/entries/retrieve"), before + 1);
    // A log that answers with another entry: refused (the UUID is not the body's hash).
    sign_blob(d, &log, "other.bundle").ok();
    log.add_fault(LogFault::new("POST", "/retrieve").wrong_entry());
    let out = verify(&["--rekor-url", &url]);
    out.expect_code(12);
    assert!(
        out.stderr.contains("leaf hash") || out.stderr.contains("log entry"),
        "{}",
        out.stderr
    );
    log.clear_faults();
    // A log that fails: a clear error, not "unsigned".
    log.add_fault(LogFault::new("POST", "/retrieve").status(500));
    let out = verify(&["--rekor-url", &url]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("transparency log lookup failed"), "{}", out.stderr);
}

#[test]
fn a_detached_signature_is_looked_up_in_the_log() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let url = log.url();
    hsign(&[
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        &url,
        "--output-signature",
        "a.sig",
        "artifact.txt",
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify-blob",
            "--key",
            "cosign.pub",
            "--signature",
            "a.sig",
            "--rekor-public-key",
            "rekor.pub",
        ];
        args.extend_from_slice(extra);
        args.push("artifact.txt");
        hsign(&args).cwd(d).run()
    };
    let before = log.count("POST", "/api/v1/log/entries/retrieve");
    let out = verify(&["--rekor-url", &url, "-o", "json"]);
    out.ok();
    assert_eq!(out.json()["transparencyLog"]["entries"][0]["logIndex"], 0);
    assert_eq!(log.count("POST", "/api/v1/log/entries/retrieve"), before + 1);
    // Offline: nothing is looked up, and without an entry the signature fails.
    let out = verify(&["--rekor-url", &url, "--offline"]);
    out.expect_code(12);
    assert!(out.stderr.contains("no transparency log entry"), "{}", out.stderr);
    assert_eq!(log.count("POST", "/api/v1/log/entries/retrieve"), before + 1);
}
