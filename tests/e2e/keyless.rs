//! Keyless verification through the binary, offline, on recorded public-good data: the identity and issuer
//! flags (exact and whole-string regex), GitHub workflow claims, the built-in production and staging roots,
//! cosign's legacy blob bundle, an attestation by digest, and the exit codes of each refusal.

use hsign_e2e::*;

const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GHA: &str = "https://token.actions.githubusercontent.com";

fn conformance(case: &str) -> String {
    s(&vector(&format!(
        "bundles/sigstore-conformance/bundle-verify/{case}/bundle.sigstore.json"
    )))
    .to_string()
}

fn artifact() -> String {
    s(&vector("bundles/sigstore-conformance/a.txt")).to_string()
}

fn verify_blob(bundle: &str, flags: &[&str]) -> Output {
    verify_blob_of(bundle, &artifact(), flags)
}

fn verify_blob_of(bundle: &str, artifact: &str, flags: &[&str]) -> Output {
    let mut args = vec!["verify-blob", "--bundle", bundle];
    args.extend_from_slice(flags);
    args.push(artifact);
    hsign(&args).run()
}

/// The artifact file a conformance case names in cases.json.
fn case_artifact(case: &str) -> String {
    let cases: serde_json::Value = serde_json::from_str(&read(&vector("cases.json"))).unwrap();
    let c = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == format!("conformance/{case}"))
        .unwrap();
    s(&vector(c["artifact"].as_str().unwrap())).to_string()
}

#[test]
fn a_keyless_bundle_verifies_by_identity_and_issuer_offline() {
    let b = conformance("happy-path-v0.3");
    let out = verify_blob(
        &b,
        &[
            "--certificate-identity",
            BEACON,
            "--certificate-oidc-issuer",
            GHA,
            "-o",
            "json",
        ],
    );
    out.ok();
    let v = out.json();
    assert_eq!(v["signer"]["kind"], "certificate");
    assert_eq!(v["signer"]["identities"][0], BEACON);
    assert_eq!(v["signer"]["issuer"], GHA);
    assert_eq!(
        v["signer"]["verifiedAt"][0]["source"],
        "transparency log integrated time"
    );
    // Whole-string regexes.
    verify_blob(
        &b,
        &[
            "--certificate-identity-regexp",
            "https://github.com/sigstore-conformance/.*",
            "--certificate-oidc-issuer-regexp",
            "https://token\\.actions\\..*",
        ],
    )
    .ok();
    // A prefix is not enough (cosign would accept it): anchored.
    let out = verify_blob(
        &b,
        &[
            "--certificate-identity-regexp",
            "https://github.com/sigstore-conformance/",
            "--certificate-oidc-issuer",
            GHA,
        ],
    );
    out.expect_code(12);
    assert!(out.stderr.contains("identity check failed"), "{}", out.stderr);
    // Another identity, another issuer.
    let out = verify_blob(
        &b,
        &[
            "--certificate-identity",
            "someone@example.com",
            "--certificate-oidc-issuer",
            GHA,
        ],
    );
    out.expect_code(12);
    assert!(out.stderr.contains("identity check failed"), "{}", out.stderr);
    let out = verify_blob(
        &b,
        &[
            "--certificate-identity",
            BEACON,
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ],
    );
    out.expect_code(12);
    assert!(out.stderr.contains("OIDC issuer"), "{}", out.stderr);
    // GitHub claims from the certificate's extensions.
    verify_blob(
        &b,
        &[
            "--certificate-identity",
            BEACON,
            "--certificate-oidc-issuer",
            GHA,
            "--certificate-github-workflow-ref",
            "refs/heads/main",
            "--certificate-github-workflow-trigger",
            "workflow_dispatch",
        ],
    )
    .ok();
    let out = verify_blob(
        &b,
        &[
            "--certificate-identity",
            BEACON,
            "--certificate-oidc-issuer",
            GHA,
            "--certificate-github-workflow-ref",
            "refs/heads/evil",
        ],
    );
    out.expect_code(12);
    assert!(out.stderr.contains("GitHub workflow ref"), "{}", out.stderr);
}

#[test]
fn refusals_name_the_check_and_use_the_documented_exit_codes() {
    let id = ["--certificate-identity", BEACON, "--certificate-oidc-issuer", GHA];
    for (case, expect) in [
        ("invalid-ct-key_fail", "SCT"),
        ("bundle-with-root-cert_fail", "root"),
        ("integrated-time-in-future_fail", "not valid at"),
        ("rekor2-timestamp-payload-mismatch_fail", "timestamp check failed"),
        ("rekor2-no-timestamp_fail", "no verified signing time"),
    ] {
        let mut flags = id.to_vec();
        let root;
        let local_root = vector(&format!(
            "bundles/sigstore-conformance/bundle-verify/{case}/trusted_root.json"
        ));
        if local_root.exists() {
            root = s(&local_root).to_string();
            flags.extend(["--trusted-root", &root]);
        }
        let out = verify_blob_of(&conformance(case), &case_artifact(case), &flags);
        out.expect_code(12);
        assert!(out.stderr.contains(expect), "{case}: {}", out.stderr);
    }
    // A key-signed bundle asked for keylessly: no certificate (cosign's 13).
    verify_blob(&conformance("managed-key-happy-path"), &id).expect_code(13);
    // Neither a key nor an identity; an identity without an issuer: usage errors.
    verify_blob(&conformance("happy-path-v0.3"), &[]).expect_code(2);
    verify_blob(&conformance("happy-path-v0.3"), &["--certificate-identity", BEACON]).expect_code(2);
    verify_blob(
        &conformance("happy-path-v0.3"),
        &["--certificate-identity-regexp", "(", "--certificate-oidc-issuer", GHA],
    )
    .expect_code(2);
}

#[test]
fn the_staging_root_is_built_in_and_not_mixed_with_production() {
    let b = conformance("bundle-from-wrong-instance_fail");
    let id = ["--certificate-identity", BEACON, "--certificate-oidc-issuer", GHA];
    verify_blob(&b, &id).expect_code(12);
    verify_blob(&b, &[&id[..], &["--staging"]].concat()).ok();
    verify_blob(&conformance("happy-path-v0.3"), &[&id[..], &["--staging"]].concat()).expect_code(12);
}

#[test]
fn cosigns_legacy_blob_bundle_and_oci_attestation_verify_keylessly() {
    let a = s(&vector("blob/sigstore-rs/legacy-bundle/artifact.txt")).to_string();
    let b = s(&vector("blob/sigstore-rs/legacy-bundle/artifact.bundle")).to_string();
    let id = [
        "--certificate-identity",
        "daniel.bevenius@gmail.com",
        "--certificate-oidc-issuer",
        "https://github.com/login/oauth",
    ];
    hsign(&[&["verify-blob", "--bundle", &b][..], &id, &[&a]].concat())
        .run()
        .ok();

    let att = s(&vector("bundles/cosign/oci-attestation.sigstore.json")).to_string();
    let root = s(&vector("bundles/cosign/trusted_root_pgi.json")).to_string();
    let digest = "732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    let args = |who: &'static str| {
        vec![
            "verify-blob-attestation",
            "--bundle",
            &att,
            "--type",
            "https://cosign.sigstore.dev/attestation/v1",
            "--trusted-root",
            &root,
            "--certificate-identity",
            who,
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
            "--digest",
            digest,
        ]
    };
    hsign(&args("cody@soyland.com")).run().ok();
    hsign(&args("wrong@soyland.com")).run().expect_code(12);
}

#[test]
fn sign_blob_keyless_with_a_fulcio_certificate_verifies_with_hsign_and_sigstore_js() {
    use hsign_e2e::fulcio::FulcioCa;
    use hsign_e2e::rekor::RekorLog;
    let ca = FulcioCa::start_without_ct();
    let log = RekorLog::start();
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join("artifact.txt"), b"keyless artifact\n").unwrap();
    let root = ca.write_trusted_root(d, Some(&log));
    let issuer = "https://issuer.hsign.test";
    let token = ca.mint_token("signer@example.com", issuer, std::time::Duration::from_secs(300));
    let (fulcio, rekor) = (ca.url(), log.url());
    let sign = |token: &str, bundle: &str| {
        hsign(&[
            "sign-blob",
            "--identity-token",
            token,
            "--fulcio-url",
            &fulcio,
            "--rekor-url",
            &rekor,
            "--bundle",
            bundle,
            "artifact.txt",
        ])
        .cwd(d)
        .run()
    };
    sign(&token, "k.bundle").ok();
    let b: serde_json::Value = serde_json::from_str(&read(&d.join("k.bundle"))).unwrap();
    assert!(b["verificationMaterial"]["certificate"]["rawBytes"].is_string(), "{b}");
    assert!(b["verificationMaterial"].get("publicKey").is_none());
    assert_eq!(log.tree_size(), 1);

    let verify = |who: &str, extra: &[&str]| {
        let mut args = vec![
            "verify-blob",
            "--bundle",
            "k.bundle",
            "--trusted-root",
            s(&root),
            "--certificate-identity",
            who,
            "--certificate-oidc-issuer",
            issuer,
        ];
        args.extend_from_slice(extra);
        args.push("artifact.txt");
        hsign(&args).cwd(d).run()
    };
    verify("signer@example.com", &["--insecure-ignore-sct"]).ok();
    // The test CA has no CT log: without the flag the missing SCT is refused.
    let out = verify("signer@example.com", &[]);
    out.expect_code(12);
    assert!(out.stderr.contains("SCT"), "{}", out.stderr);
    verify("other@example.com", &["--insecure-ignore-sct"]).expect_code(12);

    // sigstore-js verifies the same bundle against the same trusted root (no CT log threshold).
    let out = node(
        "verify-keyless.js",
        &[s(&root), "signer@example.com", issuer, "artifact.txt", "k.bundle"],
    )
    .cwd(d)
    .env("HSIGN_PEER_NO_SCT", "1")
    .run();
    assert!(out.stdout.starts_with("OK 1"), "{out:?}");

    // A token for another audience or an expired one: Fulcio refuses, nothing is written.
    let expired = ca.mint_claims(&serde_json::json!({
        "iss": issuer, "sub": "x", "email": "signer@example.com", "aud": "sigstore", "exp": 1_000_000_000,
    }));
    let out = sign(&expired, "e.bundle");
    out.expect_code(1);
    assert!(out.stderr.contains("expired"), "{}", out.stderr);
    assert!(!d.join("e.bundle").exists());
    // Keyless without the log cannot prove when the certificate was valid: refused up front.
    hsign(&[
        "sign-blob",
        "--identity-token",
        &token,
        "--fulcio-url",
        &fulcio,
        "--tlog-upload=false",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .expect_code(2);
}

#[test]
fn images_signed_and_attested_keyless_verify_by_identity_in_both_formats() {
    use hsign_e2e::fulcio::FulcioCa;
    use hsign_e2e::image::push_image;
    use hsign_e2e::registry::Registry;
    use hsign_e2e::rekor::RekorLog;
    const H: &str = "--allow-http-registry";
    let (reg, ca, log) = (Registry::start(), FulcioCa::start(), RekorLog::start());
    let dir = tempdir();
    let d = dir.path();
    let root = ca.write_trusted_root(d, Some(&log));
    let issuer = "https://issuer.hsign.test";
    let token = ca.mint_token("release@example.com", issuer, std::time::Duration::from_secs(300));
    let (fulcio, rekor) = (ca.url(), log.url());
    let image = format!(
        "{}/demo/app@{}",
        reg.host(),
        push_image(&reg, "demo/app", "v1", "keyless")
    );
    let legacy = format!(
        "{}/demo/legacy@{}",
        reg.host(),
        push_image(&reg, "demo/legacy", "v1", "keyless-l")
    );
    let keyless = [
        "--identity-token",
        &token,
        "--fulcio-url",
        &fulcio,
        "--rekor-url",
        &rekor,
        H,
    ];
    hsign(&[&["sign"][..], &keyless, &[&image]].concat()).cwd(d).run().ok();
    hsign(&[&["sign"][..], &keyless, &["--legacy", &legacy]].concat())
        .cwd(d)
        .run()
        .ok();
    std::fs::write(d.join("pred.json"), br#"{"builder":"ci"}"#).unwrap();
    let attest = ["attest", "--predicate", "pred.json", "--type", "slsaprovenance1"];
    hsign(&[&attest[..], &keyless, &[&image]].concat()).cwd(d).run().ok();
    hsign(&[&attest[..], &keyless, &["--legacy", &legacy]].concat())
        .cwd(d)
        .run()
        .ok();

    let who = |id: &'static str| -> Vec<String> {
        [
            "--certificate-identity",
            id,
            "--certificate-oidc-issuer",
            issuer,
            "--trusted-root",
            s(&root),
            "--insecure-ignore-sct",
            H,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let run = |cmd: &[&str], id: &'static str, extra: &[&str]| {
        let w = who(id);
        let mut args: Vec<&str> = cmd.to_vec();
        args.extend(w.iter().map(String::as_str));
        args.extend_from_slice(extra);
        hsign(&args).cwd(d).run()
    };
    run(&["verify"], "release@example.com", &[&image, &legacy]).ok();
    run(&["verify"], "someone@example.com", &[&image]).expect_code(12);
    run(&["verify"], "someone@example.com", &[&legacy]).expect_code(12);
    for img in [&image, &legacy] {
        let out = run(
            &["verify-attestation", "--type", "slsaprovenance1"],
            "release@example.com",
            &[img],
        );
        out.ok();
        assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    }
    // The legacy layer carries cosign's certificate annotation.
    let out = hsign(&["download", "signature", H, &legacy]).cwd(d).run();
    let sig: serde_json::Value = serde_json::from_str(out.stdout.lines().next().unwrap()).unwrap();
    assert!(
        sig["Cert"].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"),
        "{sig}"
    );
    assert!(sig["Chain"].as_str().unwrap().contains("-----BEGIN CERTIFICATE-----"));
}
