//! `sign`, `verify`, `tree`, `download`, `triangulate` against a real registry (distribution 2.8, started per
//! test on a free loopback port): both formats, annotations, exit codes, concurrent writers, a registry with
//! basic auth, signatures in another repository, and the request budget.

use hsign_e2e::image::{get_manifest, push_image, push_index};
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

/// A key pair in a temp dir (password `pw`).
fn keys() -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    hsign(&["generate-key-pair", "--output-key-prefix", "other"])
        .cwd(dir.path())
        .password("pw")
        .run()
        .ok();
    dir
}

use hsign_e2e::{sign_image as sign, verify_image as verify};

#[test]
fn bundle_signature_round_trip_writes_cosigns_referrer_and_fallback_index() {
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/app", "v1", "bundle");
    let image = format!("{}/demo/app@{digest}", reg.host());
    let out = sign(k.path(), &[&image]);
    out.ok();
    assert!(out.stderr.contains("Pushed signature"), "{}", out.stderr);

    // The fallback index lists one referrer with the bundle artifact type.
    let (ct, index) = get_manifest(&reg, "demo/app", &digest.replace(':', "-"));
    assert!(ct.starts_with("application/vnd.oci.image.index.v1+json"), "{ct}");
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let entry = &index["manifests"][0];
    assert_eq!(entry["artifactType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    // The referrer manifest: empty config, the bundle layer, the subject, cosign's annotations.
    let (_, raw) = get_manifest(&reg, "demo/app", entry["digest"].as_str().unwrap());
    let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(m["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
    assert_eq!(
        m["config"]["digest"],
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(m["subject"]["digest"], digest.as_str());
    assert_eq!(m["annotations"]["dev.sigstore.bundle.content"], "dsse-envelope");
    assert_eq!(
        m["annotations"]["dev.sigstore.bundle.predicateType"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    assert!(
        String::from_utf8(raw)
            .unwrap()
            .starts_with(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#)
    );

    let out = verify(k.path(), &["-o", "json", &image]);
    out.ok();
    let docs = out.json();
    assert_eq!(docs[0]["predicateType"], "https://sigstore.dev/cosign/sign/v1");
    assert_eq!(
        docs[0]["subject"][0]["digest"]["sha256"],
        digest.trim_start_matches("sha256:")
    );
    // Without --insecure-ignore-tlog it is not accepted (no log entry), with a hint; the wrong key fails.
    let strict = hsign(&["verify", "--key", "cosign.pub", H, &image]).cwd(k.path()).run();
    strict.expect_code(12);
    assert!(strict.stderr.contains("--insecure-ignore-tlog"), "{}", strict.stderr);
    hsign(&["verify", "--key", "other.pub", H, "--insecure-ignore-tlog", &image])
        .cwd(k.path())
        .run()
        .expect_code(12);
}

#[test]
fn legacy_signature_with_annotations_and_duplicate_skipped() {
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/legacy", "v1", "legacy");
    let tag_ref = format!("{}/demo/legacy:v1", reg.host());
    let out = sign(k.path(), &["--legacy", "-a", "env=prod", &tag_ref]);
    out.ok();
    assert!(
        out.stderr.contains("is a tag") && out.stderr.contains(&digest),
        "tag warning: {}",
        out.stderr
    );
    // Signing again with the same key and annotations adds nothing (deterministic ECDSA, same payload).
    sign(k.path(), &["--new-bundle-format=false", "-a", "env=prod", &tag_ref]).ok();
    let sig_tag = format!("{}.sig", digest.replace(':', "-"));
    let (_, raw) = get_manifest(&reg, "demo/legacy", &sig_tag);
    let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(m["layers"].as_array().unwrap().len(), 1, "{m}");
    assert_eq!(
        m["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    assert!(m["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"].is_string());

    verify(k.path(), &["-a", "env=prod", &tag_ref]).ok();
    let out = verify(k.path(), &["-a", "env=dev", &tag_ref]);
    out.expect_code(12);
    assert!(out.stderr.contains("annotation 'env'"), "{}", out.stderr);
    let out = verify(k.path(), &["-o", "json", &tag_ref]);
    out.ok();
    let doc = &out.json()[0];
    assert_eq!(
        doc["critical"]["identity"]["docker-reference"],
        format!("{}/demo/legacy", reg.host())
    );
    assert_eq!(doc["critical"]["image"]["docker-manifest-digest"], digest.as_str());
    assert_eq!(doc["optional"]["env"], "prod");
}

#[test]
fn exit_codes_for_unsigned_missing_and_misattached_signatures() {
    let reg = Registry::start();
    let k = keys();
    let a = push_image(&reg, "demo/x", "a", "a");
    let b = push_image(&reg, "demo/x", "b", "b");
    let host = reg.host();
    // Unsigned: 10. Missing image by digest and by tag: 11.
    verify(k.path(), &[&format!("{host}/demo/x@{a}")]).expect_code(10);
    let missing = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    verify(k.path(), &[&format!("{host}/demo/x@{missing}")]).expect_code(11);
    verify(k.path(), &[&format!("{host}/demo/x:nope")]).expect_code(11);
    // A valid signature of A copied to B's signature tag: B must not verify (the signed digest is A's).
    sign(k.path(), &["--legacy", &format!("{host}/demo/x@{a}")]).ok();
    let (ct, raw) = get_manifest(&reg, "demo/x", &format!("{}.sig", a.replace(':', "-")));
    hsign_e2e::image::put_manifest(&reg, "demo/x", &format!("{}.sig", b.replace(':', "-")), &ct, &raw);
    let out = verify(k.path(), &[&format!("{host}/demo/x@{b}")]);
    out.expect_code(12);
    assert!(out.stderr.contains("digest mismatch"), "{}", out.stderr);
    // Many images in one call: each reported, status of the first failure.
    let out = verify(
        k.path(),
        &[&format!("{host}/demo/x@{a}"), &format!("{host}/demo/x@{b}")],
    );
    out.expect_code(12);
    assert!(out.stderr.contains("1 of 2 images did not verify"), "{}", out.stderr);
    // A bad reference is a usage error.
    verify(k.path(), &["UPPER/case"]).expect_code(2);
}

#[test]
fn concurrent_signers_lose_no_signature_in_either_format() {
    const N: usize = 8;
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/race", "v1", "race");
    let image = format!("{}/demo/race@{digest}", reg.host());
    for legacy in [true, false] {
        let outs: Vec<Output> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let image = image.clone();
                    let dir = k.path().to_path_buf();
                    s.spawn(move || {
                        let a = format!("writer={i}");
                        let mut args = vec!["-a", a.as_str(), image.as_str()];
                        if legacy {
                            args.insert(0, "--legacy");
                        }
                        sign(&dir, &args)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for o in &outs {
            o.ok();
        }
        if legacy {
            let (_, raw) = get_manifest(&reg, "demo/race", &format!("{}.sig", digest.replace(':', "-")));
            let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
            assert_eq!(m["layers"].as_array().unwrap().len(), N, "legacy signatures lost: {m}");
        } else {
            let (_, raw) = get_manifest(&reg, "demo/race", &digest.replace(':', "-"));
            let idx: serde_json::Value = serde_json::from_slice(&raw).unwrap();
            assert_eq!(idx["manifests"].as_array().unwrap().len(), N, "referrers lost: {idx}");
        }
        // Every writer's signature verifies.
        for i in 0..N {
            verify(k.path(), &["-a", &format!("writer={i}"), &image]).ok();
        }
    }
}

#[test]
fn recursive_signs_the_index_and_each_platform() {
    let reg = Registry::start();
    let k = keys();
    let (index, children) = push_index(&reg, "demo/multi", "v1", &["amd", "arm"]);
    let host = reg.host();
    sign(k.path(), &["--recursive", &format!("{host}/demo/multi@{index}")]).ok();
    for d in std::iter::once(&index).chain(&children) {
        verify(k.path(), &[&format!("{host}/demo/multi@{d}")]).ok();
    }
}

#[test]
fn signatures_in_another_repository_with_cosign_repository() {
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/src", "v1", "elsewhere");
    let image = format!("{}/demo/src@{digest}", reg.host());
    let sigs = format!("{}/demo/signatures", reg.host());
    let with = |args: &[&str], verify_it: bool| {
        let mut all: Vec<&str> = if verify_it {
            vec!["verify", "--key", "cosign.pub", H, "--insecure-ignore-tlog"]
        } else {
            vec!["sign", "--tlog-upload=false", "--key", "cosign.key", H]
        };
        all.extend_from_slice(args);
        hsign(&all)
            .cwd(k.path())
            .password("pw")
            .env("COSIGN_REPOSITORY", &sigs)
            .run()
    };
    with(&["--legacy", &image], false).ok();
    with(&[&image], false).ok();
    // Nothing in the image's own repository; both found through the variable.
    verify(k.path(), &[&image]).expect_code(10);
    with(&[&image], true).ok();
    let out = hsign(&["triangulate", H, &image])
        .cwd(k.path())
        .env("COSIGN_REPOSITORY", &sigs)
        .run();
    out.ok();
    assert_eq!(out.stdout.trim(), format!("{sigs}:{}.sig", digest.replace(':', "-")));
}

#[test]
fn tree_and_download_show_both_formats() {
    let reg = Registry::start();
    let k = keys();
    let digest = push_image(&reg, "demo/tree", "v1", "tree");
    let image = format!("{}/demo/tree@{digest}", reg.host());
    sign(k.path(), &["--legacy", &image]).ok();
    sign(k.path(), &[&image]).ok();
    let out = hsign(&["tree", H, &image]).run();
    out.ok();
    assert!(
        out.stdout.contains("application/vnd.dev.sigstore.bundle.v0.3+json"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(".sig"), "{}", out.stdout);
    let out = hsign(&["download", "signature", H, &image]).run();
    out.ok();
    let lines: Vec<serde_json::Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json")
    );
    assert!(lines.iter().any(|l| l["Base64Signature"].is_string()));
}

#[test]
fn registry_with_basic_auth_uses_docker_config_credentials() {
    let reg = Registry::start_with_basic_auth("tester", "testpass");
    let k = keys();
    let digest = push_image(&reg, "demo/auth", "v1", "auth");
    let image = format!("{}/demo/auth@{digest}", reg.host());
    let cfg = tempdir();
    std::fs::write(
        cfg.path().join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"dGVzdGVyOnRlc3RwYXNz"}}}}}}"#, reg.host()),
    )
    .unwrap();
    let docker_config = s(cfg.path());
    hsign(&["sign", "--tlog-upload=false", "--key", "cosign.key", H, &image])
        .cwd(k.path())
        .password("pw")
        .env("DOCKER_CONFIG", docker_config)
        .run()
        .ok();
    hsign(&["verify", "--key", "cosign.pub", H, "--insecure-ignore-tlog", &image])
        .cwd(k.path())
        .env("DOCKER_CONFIG", docker_config)
        .run()
        .ok();
    // Without credentials: a clear error naming the registry, never "no signatures".
    let empty = tempdir();
    let out = hsign(&["verify", "--key", "cosign.pub", H, "--insecure-ignore-tlog", &image])
        .cwd(k.path())
        .env("DOCKER_CONFIG", s(empty.path()))
        .run();
    out.expect_code(1);
    assert!(
        out.stderr.contains(&reg.host()) && out.stderr.contains("401"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_of_one_signature_costs_at_most_four_requests() {
    let reg = Registry::start();
    let k = keys();
    for (repo, legacy) in [("demo/budget-bundle", false), ("demo/budget-legacy", true)] {
        let digest = push_image(&reg, repo, "v1", repo);
        let image = format!("{}/{repo}@{digest}", reg.host());
        if legacy {
            sign(k.path(), &["--legacy", &image]).ok();
        } else {
            sign(k.path(), &[&image]).ok();
        }
        let out = hsign(&["verify", "--key", "cosign.pub", H, "--insecure-ignore-tlog", &image])
            .cwd(k.path())
            .env("HSIGN_TRACE_REQUESTS", "1")
            .run();
        out.ok();
        let n: u64 = out
            .stderr
            .lines()
            .find_map(|l| {
                l.strip_prefix("hsign: ")?
                    .strip_suffix(" registry requests")?
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no request count: {}", out.stderr));
        assert!(n <= 4, "{repo}: {n} requests");
    }
}
