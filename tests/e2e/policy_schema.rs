//! The deploy policy's JSON Schema (schema/policy.schema.json) agrees with hsign's own parser: the documented
//! example and the example in examples/ are valid for both, and broken policies are refused by both.
//! The schema is checked with check-jsonschema (installed by scripts/test.sh into target/peers/py).

use std::path::{Path, PathBuf};

use hsign_e2e::*;

fn check_jsonschema() -> Option<PathBuf> {
    if std::env::var_os("HSIGN_SKIP_PYTHON_PEER").is_some() {
        eprintln!("HSIGN_SKIP_PYTHON_PEER is set: skipping the schema checks");
        return None;
    }
    let bin = root().join("target/peers/py/bin/check-jsonschema");
    assert!(bin.is_file(), "{} missing: run scripts/test.sh", bin.display());
    Some(bin)
}

/// The first fenced YAML block of docs/policy.md.
fn documented_policy() -> String {
    let doc = read(&root().join("docs/policy.md"));
    let start = doc.find("```yaml\n").expect("docs/policy.md has a YAML example") + "```yaml\n".len();
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_string()
}

/// A directory with the policy as `policy.yaml` (or `.json`) and every key file it names.
fn policy_dir(policy: &str, name: &str) -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(d.join(name), policy).unwrap();
    std::fs::create_dir_all(d.join("keys")).unwrap();
    // One key pair per key file named: the same key under two signers is refused.
    for (i, line) in policy.lines().enumerate() {
        if let Some(path) = line
            .trim()
            .strip_prefix("key: ")
            .map(|p| p.split('#').next().unwrap().trim())
        {
            let prefix = format!("keys/generated{i}");
            hsign(&["generate-key-pair", "--output-key-prefix", &prefix])
                .cwd(d)
                .password("pw")
                .run()
                .ok();
            std::fs::copy(d.join(format!("{prefix}.pub")), d.join(path)).unwrap();
        }
    }
    dir
}

fn schema_accepts(bin: &Path, file: &Path) -> Output {
    Cmd::new(
        bin,
        &["--schemafile", s(&root().join("schema/policy.schema.json")), s(file)],
    )
    .run()
}

/// hsign's parser: a policy that loads reaches the image check, which (for an unmatched image with
/// --allow-unmatched) needs no network and passes; a bad policy exits 3.
fn hsign_accepts(dir: &Path, name: &str) -> Output {
    hsign(&[
        "verify",
        "--policy",
        name,
        "--allow-unmatched",
        "--offline",
        "--insecure-ignore-tlog",
        "127.0.0.1:9/nothing/matches@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ])
    .cwd(dir)
    .run()
}

#[test]
fn documented_and_example_policies_are_valid_for_the_schema_and_for_hsign() {
    let Some(bin) = check_jsonschema() else { return };
    for policy in [documented_policy(), read(&root().join("examples/policy.yaml"))] {
        let dir = policy_dir(&policy, "policy.yaml");
        let out = schema_accepts(&bin, &dir.path().join("policy.yaml"));
        assert_eq!(out.code, 0, "schema refused:\n{policy}\n{}{}", out.stdout, out.stderr);
        hsign_accepts(dir.path(), "policy.yaml").ok();
    }
}

#[test]
fn broken_policies_are_refused_by_the_schema_and_by_hsign() {
    let Some(bin) = check_jsonschema() else { return };
    let good = documented_policy();
    for (what, broken) in [
        ("unknown key", good.replacen("allowTags: false", "allowTag: false", 1)),
        ("bad glob", good.replacen("ghcr.io/acme/*", "ghcr.io/Acme/*", 1)),
        (
            "glob with a tag",
            good.replacen("ghcr.io/acme/*", "ghcr.io/acme/app:1", 1),
        ),
        ("threshold 0", good.replacen("threshold: 2", "threshold: 0", 1)),
        ("no version", good.replacen("version: 1\n", "", 1)),
        ("wrong version", good.replacen("version: 1", "version: 2", 1)),
        (
            "key and identity",
            good.replacen(
                "key: keys/release.pub",
                "key: keys/release.pub\n          issuer: https://x",
                1,
            ),
        ),
        (
            "identity without issuer",
            good.replacen("          issuer: https://token.actions.githubusercontent.com\n", "", 1),
        ),
        (
            "empty reason",
            good.replacen("reason: debug sidecar, tracked in OPS-123", "reason: ' '", 1),
        ),
        ("glob without a registry", good.replacen("ghcr.io/acme/*", "acme/*", 1)),
        (
            "'**' inside a segment",
            good.replacen("ghcr.io/acme/*", "ghcr.io/ac**me", 1),
        ),
        (
            "exemption of everything",
            good.replacen("image: docker.io/library/busybox", "image: '**'", 1),
        ),
        ("empty threshold", good.replacen("threshold: 2", "threshold:", 1)),
    ] {
        assert_ne!(broken, good, "{what}: the replacement did not apply");
        let dir = policy_dir(&broken, "policy.yaml");
        let out = schema_accepts(&bin, &dir.path().join("policy.yaml"));
        assert_ne!(out.code, 0, "schema accepted the {what} policy:\n{broken}");
        let out = hsign_accepts(dir.path(), "policy.yaml");
        out.expect_code(3);
        assert!(
            out.stderr.contains("policy file 'policy.yaml'"),
            "{what}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_json_policy_reads_like_its_yaml_twin() {
    let reg = hsign_e2e::registry::Registry::start();
    let dir = tempdir();
    let d = dir.path();
    hsign(&["generate-key-pair"]).cwd(d).password("pw").run().ok();
    let host = reg.host();
    let digest = hsign_e2e::image::push_image(&reg, "j/app", "v1", "json");
    let image = format!("{host}/j/app@{digest}");
    hsign(&[
        "sign",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--allow-http-registry",
        &image,
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let json = format!(
        r#"{{"version": 1, "rules": [{{"name": "all", "images": ["{host}/j/**"],
            "signatures": {{"signers": [{{"name": "ci", "key": "cosign.pub"}}]}}}}]}}"#
    );
    std::fs::write(d.join("policy.json"), &json).unwrap();
    let out = hsign(&[
        "verify",
        "--policy",
        "policy.json",
        "--insecure-ignore-tlog",
        "--allow-http-registry",
        "--output",
        "json",
        &image,
    ])
    .cwd(d)
    .run();
    out.ok();
    assert_eq!(out.json()["images"][0]["signers"], serde_json::json!(["ci"]));
    if let Some(bin) = check_jsonschema() {
        schema_accepts(&bin, &d.join("policy.json")).ok();
    }
}
