//! `verify --policy`: the deploy gate against a real registry: thresholds, attestation conditions, tags and
//! digests, exemptions, unmatched images, keyless signers offline, and bad policies refused before any request.

use std::path::Path;

use hsign_e2e::image::push_image;
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

/// Four key pairs (`a`, `b`, `c`, `outsider`; password `pw`) and the provenance predicates of
/// tests/data/policy.
fn keys() -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    for prefix in ["a", "b", "c", "outsider"] {
        hsign(&["generate-key-pair", "--output-key-prefix", prefix])
            .cwd(d)
            .password("pw")
            .run()
            .ok();
    }
    for (fixture, out) in [
        ("slsa-provenance-v1.intoto.json", "slsa.json"),
        ("slsa-provenance-v1-other-builder.intoto.json", "slsa-other.json"),
    ] {
        let st: serde_json::Value = serde_json::from_str(&read(&data(&format!("policy/{fixture}")))).unwrap();
        std::fs::write(d.join(out), st["predicate"].to_string()).unwrap();
    }
    dir
}

fn sign_with(d: &Path, key: &str, extra: &[&str], image: &str) {
    let key = format!("{key}.key");
    let mut args = vec!["sign", "--tlog-upload=false", "--key", &key, H];
    args.extend_from_slice(extra);
    args.push(image);
    hsign(&args).cwd(d).password("pw").run().ok();
}

fn attest_with(d: &Path, key: &str, predicate: &str, image: &str) {
    let key = format!("{key}.key");
    hsign(&[
        "attest",
        "--tlog-upload=false",
        "--key",
        &key,
        H,
        "--predicate",
        predicate,
        "--type",
        "slsaprovenance1",
        image,
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
}

fn gate(d: &Path, policy: &str, extra: &[&str], images: &[&str]) -> Output {
    std::fs::write(d.join("policy.yaml"), policy).unwrap();
    let mut args = vec!["verify", "--policy", "policy.yaml", H, "--insecure-ignore-tlog"];
    args.extend_from_slice(extra);
    args.extend_from_slice(images);
    hsign(&args).cwd(d).run()
}

fn gate_json(d: &Path, policy: &str, extra: &[&str], images: &[&str]) -> (Output, serde_json::Value) {
    let mut all = vec!["--output", "json"];
    all.extend_from_slice(extra);
    let out = gate(d, policy, &all, images);
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {}\n{}", out.stdout, out.stderr));
    (out, report)
}

fn check<'a>(image: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    image["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {image}"))
}

#[test]
fn two_of_three_signers_and_a_provenance_condition_gate_each_image() {
    let reg = Registry::start();
    let k = keys();
    let d = k.path();
    let host = reg.host();
    let both = format!("{host}/prod/app@{}", push_image(&reg, "prod/app", "v1", "both"));
    let one = format!("{host}/prod/api@{}", push_image(&reg, "prod/api", "v1", "one"));
    let wrong_builder = format!("{host}/prod/web@{}", push_image(&reg, "prod/web", "v1", "web"));
    let foreign = format!("{host}/prod/db@{}", push_image(&reg, "prod/db", "v1", "db"));
    // Signer a with a bundle, signer b with a legacy .sig: both formats count.
    for image in [&both, &wrong_builder, &foreign] {
        sign_with(d, "a", &[], image);
        sign_with(d, "b", &["--legacy"], image);
    }
    sign_with(d, "a", &[], &one);
    // A provenance from our builder (signed by c, a listed signer) and one from another builder.
    attest_with(d, "c", "slsa.json", &both);
    attest_with(d, "a", "slsa.json", &one);
    attest_with(d, "a", "slsa-other.json", &wrong_builder);
    // Our builder, but attested by a key the rule does not list: it does not count.
    attest_with(d, "outsider", "slsa.json", &foreign);
    let builder = {
        let st: serde_json::Value =
            serde_json::from_str(&read(&data("policy/slsa-provenance-v1.intoto.json"))).unwrap();
        st["predicate"]["runDetails"]["builder"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let policy = format!(
        r#"
version: 1
rules:
  - name: production
    images: ["{host}/prod/*"]
    signatures:
      threshold: 2
      signers:
        - {{name: alpha, key: a.pub}}
        - {{name: beta, key: b.pub}}
        - {{name: gamma, key: c.pub}}
    attestations:
      require: [slsaprovenance1]
      rules:
        - name: built by our CI
          predicateType: slsaprovenance1
          field: runDetails.builder.id
          equals: '{builder}'
"#
    );
    let (out, report) = gate_json(d, &policy, &[], &[&both, &one, &wrong_builder, &foreign]);
    out.expect_code(12);
    assert_eq!(report["passed"], false);
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 4, "{report}");
    assert_eq!(images[3]["passed"], false);
    assert_eq!(check(&images[3], "signatures")["passed"], true);
    let required = check(&images[3], "require slsaprovenance1");
    assert_eq!(required["passed"], false, "{required}");
    assert_eq!(images[3]["attestations"], serde_json::json!([]));
    // The report keeps argument order.
    assert_eq!(images[0]["image"], both.as_str());
    assert_eq!(images[0]["passed"], true, "{report}");
    assert_eq!(images[0]["signers"], serde_json::json!(["alpha", "beta"]));
    assert_eq!(
        images[0]["attestations"],
        serde_json::json!(["https://slsa.dev/provenance/v1"])
    );
    assert_eq!(images[0]["rules"], serde_json::json!(["production"]));
    assert_eq!(images[0]["digest"].as_str(), both.split('@').nth(1));

    assert_eq!(images[1]["passed"], false);
    let sigs = check(&images[1], "signatures");
    assert_eq!(sigs["passed"], false);
    assert!(
        sigs["detail"]
            .as_str()
            .unwrap()
            .contains("1 of 3 signer(s) verified, 2 required: alpha"),
        "{sigs}"
    );
    assert_eq!(check(&images[1], "built by our CI")["passed"], true);

    assert_eq!(images[2]["passed"], false);
    assert_eq!(check(&images[2], "signatures")["passed"], true);
    let ci = check(&images[2], "built by our CI");
    assert_eq!(ci["passed"], false);
    assert!(ci["detail"].as_str().unwrap().contains("runDetails.builder.id"), "{ci}");
    // The failing images and rules are named on stderr too.
    assert!(
        out.stderr.contains("3 of 4 image(s) failed the policy"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{one}: rule 'production' signatures")),
        "{}",
        out.stderr
    );

    // Threshold 1: the image signed by alpha alone passes.
    let relaxed = policy.replace("threshold: 2", "threshold: 1");
    let out = gate(d, &relaxed, &[], &[&one]);
    out.ok();
    assert!(
        out.stdout.starts_with(&format!("PASS {one} [rules: production]")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("ok   production: signatures: 1 of 3 signer(s) verified"),
        "{}",
        out.stdout
    );
}

#[test]
fn tags_exemptions_and_unmatched_images() {
    let reg = Registry::start();
    let k = keys();
    let d = k.path();
    let host = reg.host();
    let digest = push_image(&reg, "apps/web", "1.0", "web");
    sign_with(d, "a", &[], &format!("{host}/apps/web@{digest}"));
    let tools_digest = push_image(&reg, "tools/debug", "1.0", "debug");
    let policy = format!(
        r#"
version: 1
rules:
  - name: pinned
    images: ["{host}/apps/**"]
    signatures:
      signers: [{{name: alpha, key: a.pub}}]
  - name: tags-ok
    images: ["{host}/apps/w?b"]
    allowTags: true
    signatures:
      signers: [{{name: alpha, key: a.pub}}]
exempt:
  - image: "{host}/tools/*"
    reason: debug tooling, ticket OPS-1
"#
    );
    let tag = format!("{host}/apps/web:1.0");
    // Both rules apply: the tag passes one and fails the other, and the digest is still resolved and reported.
    let (out, report) = gate_json(d, &policy, &[], &[&tag]);
    out.expect_code(12);
    let image = &report["images"][0];
    assert_eq!(image["rules"], serde_json::json!(["pinned", "tags-ok"]));
    assert_eq!(image["digest"], digest.as_str());
    let digests: Vec<_> = image["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "digest")
        .collect();
    assert_eq!(digests.len(), 2, "{image}");
    assert_eq!(digests[0]["passed"], false);
    assert!(
        digests[0]["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("use {host}/apps/web@{digest}")),
        "{image}"
    );
    assert_eq!(digests[1]["passed"], true);
    assert_eq!(check(image, "signatures")["passed"], true);

    // By digest it passes; the exempt image passes unsigned, with its reason; an unmatched one fails closed.
    let pinned = format!("{host}/apps/web@{digest}");
    let exempt = format!("{host}/tools/debug@{tools_digest}");
    let stray = format!("{host}/other/thing:1");
    let (out, report) = gate_json(d, &policy, &[], &[&pinned, &exempt, &stray]);
    out.expect_code(12);
    let images = report["images"].as_array().unwrap();
    assert_eq!(images[0]["passed"], true, "{report}");
    assert_eq!(images[1]["passed"], true);
    assert_eq!(images[1]["exempt"], "debug tooling, ticket OPS-1");
    assert_eq!(images[1]["checks"], serde_json::json!([]));
    assert_eq!(images[2]["passed"], false);
    assert_eq!(images[2]["checks"][0]["check"], "match");
    assert_eq!(images[2]["checks"][0]["rule"], serde_json::Value::Null);
    // --allow-unmatched lets it pass (and the registry is never asked about it: it does not exist).
    let out = gate(d, &policy, &["--allow-unmatched"], &[&pinned, &exempt, &stray]);
    out.ok();
    assert!(
        out.stdout.contains(&format!("EXEMPT {exempt}: debug tooling")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("3 of 3 image(s) passed"), "{}", out.stdout);

    // A missing image is "not found" (11), not "unsigned".
    let missing = format!("{host}/apps/gone@sha256:{}", "0".repeat(64));
    gate(d, &policy, &[], &[&missing]).expect_code(11);
}

#[test]
fn bad_policies_are_refused_before_any_request() {
    let k = keys();
    let d = k.path();
    // Nothing listens on port 9 here: any request would fail with a registry error (exit 1), not 3.
    let image = format!("127.0.0.1:9/apps/web@sha256:{}", "1".repeat(64));
    let rule = |body: &str| format!("version: 1\nrules:\n  - name: r\n    images: [\"127.0.0.1:9/apps/*\"]\n{body}");
    let signers = "    signatures:\n      signers: [{name: alpha, key: a.pub}]\n";
    for (policy, expected) in [
        (rule(signers).replace("images:", "imagez:"), "unknown field `imagez`"),
        (
            rule(signers).replace("127.0.0.1:9/apps/*", "apps/*"),
            "does not start with a registry",
        ),
        (
            rule(signers).replace("apps/*", "apps/web:1.0"),
            "a tag (':') is not part of it",
        ),
        (rule(signers).replace("a.pub", "missing.pub"), "missing.pub"),
        (
            format!(
                "{}  - name: r\n    images: [\"127.0.0.1:9/x\"]\n{signers}",
                rule(signers)
            ),
            "rules[0] has the same name",
        ),
        (
            format!(
                "{}  - name: s\n    images: [\"127.0.0.1:9/apps/*\"]\n{signers}",
                rule(signers)
            ),
            "is already listed at rules[0]",
        ),
        (
            rule("    signatures:\n      threshold: 2\n      signers: [{name: alpha, key: a.pub}]\n"),
            "threshold",
        ),
        (
            rule("    signatures:\n      signers: [{name: ci, identity: me@example.com}]\n"),
            "needs `issuer` or `issuerRegexp`",
        ),
        (
            rule("    signatures:\n      signers: [{name: ci, identityRegexp: 'a)|(b', issuer: x}]\n"),
            "identityRegexp",
        ),
        (
            format!("{}    attestations:\n      require: [no-such-type]\n", rule(signers)),
            "attestations",
        ),
        (rule(signers).replace("version: 1", "version: 2"), "version"),
        (
            format!(
                "{}exempt:\n  - image: \"127.0.0.1:9/t/*\"\n    reason: ''\n",
                rule(signers)
            ),
            "reason",
        ),
        (
            format!("{}exempt:\n  - image: \"**\"\n    reason: all\n", rule(signers)),
            "every registry",
        ),
        (
            format!(
                "{}exempt:\n  - image: \"*/library/busybox\"\n    reason: x\n",
                rule(signers)
            ),
            "every registry",
        ),
        (
            rule("    signatures:\n      threshold:\n      signers: [{name: alpha, key: a.pub}]\n"),
            "is empty (null)",
        ),
        (format!("{}    attestations:\n", rule(signers)), "is empty (null)"),
        (
            rule("    signatures:\n      signers: [{name: alpha, key: a.pub}, {name: again, key: ./a.pub}]\n"),
            "is the same signer as \"alpha\"",
        ),
    ] {
        let out = gate(d, &policy, &[], &[&image]);
        out.expect_code(3);
        assert!(
            out.stderr.contains("policy file 'policy.yaml'") && out.stderr.contains(expected),
            "expected '{expected}' for\n{policy}\n{}",
            out.stderr
        );
    }
    // --policy replaces --key: giving both is a usage error.
    std::fs::write(d.join("p.yaml"), rule(signers)).unwrap();
    hsign(&["verify", "--policy", "p.yaml", "--key", "a.pub", &image])
        .cwd(d)
        .run()
        .expect_code(2);
}

#[test]
fn keyless_signers_and_the_log_verify_offline_with_only_the_registry() {
    use hsign_e2e::fulcio::FulcioCa;
    use hsign_e2e::rekor::RekorLog;
    let reg = Registry::start();
    let k = keys();
    let d = k.path();
    let host = reg.host();
    let issuer = "https://issuer.hsign.test";
    let (keyless_image, key_image, root) = {
        let (ca, log) = (FulcioCa::start(), RekorLog::start());
        let root = ca.write_trusted_root(d, Some(&log));
        let token = ca.mint_token("release@example.com", issuer, std::time::Duration::from_secs(300));
        let keyless_image = format!("{host}/rel/app@{}", push_image(&reg, "rel/app", "v1", "kl"));
        let key_image = format!("{host}/rel/lib@{}", push_image(&reg, "rel/lib", "v1", "kk"));
        let (fulcio, rekor) = (ca.url(), log.url());
        hsign(&[
            "sign",
            "--identity-token",
            &token,
            "--fulcio-url",
            &fulcio,
            "--rekor-url",
            &rekor,
            H,
            &keyless_image,
        ])
        .cwd(d)
        .run()
        .ok();
        hsign(&["sign", "--key", "a.key", "--rekor-url", &rekor, H, &key_image])
            .cwd(d)
            .password("pw")
            .run()
            .ok();
        (keyless_image, key_image, root)
        // The test Fulcio and Rekor stop here: verification below can only reach the registry.
    };
    std::fs::write(
        d.join("policy.yaml"),
        format!(
            r#"
version: 1
rules:
  - name: releases
    images: ["{host}/rel/*"]
    signatures:
      signers:
        - name: release-workflow
          identity: release@example.com
          issuer: {issuer}
        - name: alpha
          key: a.pub
"#
        ),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--policy",
            "policy.yaml",
            "--trusted-root",
            s(&root),
            "--offline",
            H,
        ];
        args.extend_from_slice(extra);
        hsign(&args).cwd(d).run()
    };
    let out = run(&["--output", "json", &keyless_image, &key_image]);
    out.ok();
    let report = out.json();
    assert_eq!(
        report["images"][0]["signers"],
        serde_json::json!(["release-workflow"]),
        "{report}"
    );
    assert_eq!(report["images"][1]["signers"], serde_json::json!(["alpha"]), "{report}");
    // Two signers whose identities overlap are both met by one signature: it counts once toward 2.
    let overlap = format!(
        r#"
version: 1
rules:
  - name: releases
    images: ["{host}/rel/*"]
    signatures:
      threshold: 2
      signers:
        - {{name: exact, identity: release@example.com, issuer: "{issuer}"}}
        - {{name: any-example, identityRegexp: '.*@example\.com', issuer: "{issuer}"}}
"#
    );
    let saved = std::fs::read_to_string(d.join("policy.yaml")).unwrap();
    std::fs::write(d.join("policy.yaml"), overlap).unwrap();
    let out = run(&["--output", "json", &keyless_image]);
    out.expect_code(12);
    let sigs = &out.json()["images"][0]["checks"][1];
    assert_eq!(sigs["check"], "signatures");
    let detail = sigs["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("1 of 2 signer(s) verified, 2 required: exact")
            && detail.contains("any-example: verified only with a key already counted for another signer"),
        "{detail}"
    );
    std::fs::write(d.join("policy.yaml"), saved).unwrap();
    // Another identity does not pass.
    std::fs::write(
        d.join("policy.yaml"),
        std::fs::read_to_string(d.join("policy.yaml"))
            .unwrap()
            .replace("release@example.com", "someone@example.com")
            .replace("key: a.pub", "key: b.pub"),
    )
    .unwrap();
    let out = run(&[&keyless_image]);
    out.expect_code(12);
    assert!(out.stdout.contains("FAIL"), "{}", out.stdout);
}

#[test]
fn registries_match_in_every_spelling_and_the_report_keeps_the_image_as_given() {
    let dir = tempdir();
    let d = dir.path();
    hsign(&["generate-key-pair"]).cwd(d).password("pw").run().ok();
    let digest = format!("sha256:{}", "2".repeat(64));
    let policy = r#"
version: 1
rules:
  - name: strict
    images: ["ghcr.io/acme/**", "127.0.0.1:9/acme/**"]
    signatures:
      signers: [{name: ci, key: cosign.pub}]
exempt:
  - {image: docker.io/library/busybox, reason: debug sidecar}
  - {image: "ghcr.io/acme/tools/*", reason: tooling}
"#;
    std::fs::write(d.join("policy.yaml"), policy).unwrap();
    // All exempt, so nothing is looked up (these registries are not reachable from the tests).
    let given = [
        format!("busybox@{digest}"),
        format!("index.docker.io/library/busybox@{digest}"),
        "docker.io/library/busybox:1.36".to_string(),
        format!("GHCR.IO:443/acme/tools/lint@{digest}"),
        format!("ghcr.io./acme/tools/fmt@{digest}"),
    ];
    let mut args = vec!["verify", "--policy", "policy.yaml", "--output", "json"];
    args.extend(given.iter().map(String::as_str));
    let out = hsign(&args).cwd(d).run();
    out.ok();
    let report = out.json();
    for (i, image) in given.iter().enumerate() {
        let r = &report["images"][i];
        assert_eq!(r["image"], image.as_str(), "{report}");
        assert!(r["exempt"].is_string(), "{image} is not exempt: {report}");
    }
    // The exemption overrides the strict rule, and the report says so.
    assert_eq!(report["images"][3]["rules"], serde_json::json!(["strict"]));
    // Another spelling of a rule's registry is still under that rule (so it is checked, and here fails to
    // resolve), never unmatched.
    let out = hsign(&[
        "verify",
        "--policy",
        "policy.yaml",
        "--allow-unmatched",
        "--output",
        "json",
        &format!("127.0.0.1.:9/acme/app@{digest}"),
    ])
    .cwd(d)
    .run();
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert_eq!(out.json()["images"][0]["rules"], serde_json::json!(["strict"]));
}
