//! `attest`, `verify-attestation` (with `--policy`), `attest-blob`, `attach sbom` and `download` against a real
//! registry, with real-looking predicates (SLSA v1 provenance, CycloneDX, OpenVEX) from tests/data/policy.

use hsign_e2e::image::{get_manifest, push_image};
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

/// A key pair (password `pw`), and the predicates of the policy fixtures written as files.
fn setup() -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    hsign(&["generate-key-pair"]).cwd(d).password("pw").run().ok();
    hsign(&["generate-key-pair", "--output-key-prefix", "other"])
        .cwd(d)
        .password("pw")
        .run()
        .ok();
    for (fixture, out) in [
        ("slsa-provenance-v1.intoto.json", "slsa.json"),
        ("slsa-provenance-v1-other-builder.intoto.json", "slsa-other.json"),
        ("cyclonedx-1.5-sbom.intoto.json", "cdx.json"),
        ("openvex-0.2.0.intoto.json", "vex.json"),
    ] {
        let st: serde_json::Value = serde_json::from_str(&read(&data(&format!("policy/{fixture}")))).unwrap();
        std::fs::write(d.join(out), st["predicate"].to_string()).unwrap();
    }
    dir
}

fn attest(d: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["attest", "--tlog-upload=false", "--key", "cosign.key", H];
    all.extend_from_slice(args);
    hsign(&all).cwd(d).password("pw").run()
}

fn verify_att(d: &std::path::Path, args: &[&str]) -> Output {
    let mut all = vec!["verify-attestation", "--key", "cosign.pub", H, "--insecure-ignore-tlog"];
    all.extend_from_slice(args);
    hsign(&all).cwd(d).run()
}

#[test]
fn attestations_in_both_formats_verify_and_feed_the_policy() {
    let reg = Registry::start();
    let k = setup();
    let d = k.path();
    let digest = push_image(&reg, "demo/att", "v1", "att");
    let image = format!("{}/demo/att@{digest}", reg.host());
    attest(d, &["--predicate", "slsa.json", "--type", "slsaprovenance1", &image]).ok();
    attest(
        d,
        &["--legacy", "--predicate", "cdx.json", "--type", "cyclonedx", &image],
    )
    .ok();

    // Each verified statement is one JSON line; the type filter picks one.
    let out = verify_att(d, &["--type", "slsaprovenance1", &image]);
    out.ok();
    let lines: Vec<serde_json::Value> = out.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{}", out.stdout);
    assert_eq!(lines[0]["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(
        lines[0]["subject"][0]["digest"]["sha256"],
        digest.trim_start_matches("sha256:")
    );
    let out = verify_att(d, &[&image]);
    out.ok();
    assert_eq!(out.stdout.lines().count(), 2, "both formats found: {}", out.stdout);

    // A policy that holds, and one that fails naming the field and the value seen.
    std::fs::write(
        d.join("ok.yaml"),
        "require: [slsaprovenance1, cyclonedx]\nrules:\n  - name: builder\n    predicateType: slsaprovenance1\n    field: runDetails.builder.id\n    regex: 'https://github\\.com/acme/.*'\n",
    )
    .unwrap();
    verify_att(d, &["--policy", "ok.yaml", &image]).ok();
    std::fs::write(
        d.join("bad.yaml"),
        "rules:\n  - name: builder\n    predicateType: slsaprovenance1\n    field: runDetails.builder.id\n    equals: https://github.com/other/ci\n",
    )
    .unwrap();
    let out = verify_att(d, &["--policy", "bad.yaml", &image]);
    out.expect_code(12);
    assert!(
        out.stderr.contains("runDetails.builder.id") && out.stderr.contains("acme/ci"),
        "{}",
        out.stderr
    );
    std::fs::write(d.join("vex.yaml"), "require: [openvex]\n").unwrap();
    verify_att(d, &["--policy", "vex.yaml", &image]).expect_code(12);

    // Wrong key: 12. An unattested image: 10. A type that is not there: 10.
    hsign(&[
        "verify-attestation",
        "--key",
        "other.pub",
        H,
        "--insecure-ignore-tlog",
        &image,
    ])
    .cwd(d)
    .run()
    .expect_code(12);
    let bare = format!(
        "{}/demo/att@{}",
        reg.host(),
        push_image(&reg, "demo/att", "bare", "bare")
    );
    verify_att(d, &[&bare]).expect_code(10);
    verify_att(d, &["--type", "openvex", &image]).expect_code(10);
    // Image signatures are not attestations.
    hsign(&["sign", "--tlog-upload=false", "--key", "cosign.key", H, &bare])
        .cwd(d)
        .password("pw")
        .run()
        .ok();
    verify_att(d, &[&bare]).expect_code(10);
}

#[test]
fn legacy_replace_keeps_one_attestation_per_type_and_concurrent_writers_keep_all() {
    let reg = Registry::start();
    let k = setup();
    let d = k.path();
    let digest = push_image(&reg, "demo/replace", "v1", "replace");
    let image = format!("{}/demo/replace@{digest}", reg.host());
    let att_tag = format!("{}.att", digest.replace(':', "-"));
    let layers = || {
        let (_, raw) = get_manifest(&reg, "demo/replace", &att_tag);
        let m: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        m["layers"].as_array().unwrap().clone()
    };
    attest(
        d,
        &[
            "--legacy",
            "--predicate",
            "slsa.json",
            "--type",
            "slsaprovenance1",
            &image,
        ],
    )
    .ok();
    attest(d, &["--legacy", "--predicate", "vex.json", "--type", "openvex", &image]).ok();
    attest(
        d,
        &[
            "--legacy",
            "--replace",
            "--predicate",
            "slsa-other.json",
            "--type",
            "slsaprovenance1",
            &image,
        ],
    )
    .ok();
    let l = layers();
    assert_eq!(l.len(), 2, "{l:?}");
    assert!(
        l.iter()
            .all(|x| x["mediaType"] == "application/vnd.dsse.envelope.v1+json")
    );
    assert!(
        l.iter()
            .any(|x| x["annotations"]["predicateType"] == "https://openvex.dev/ns")
    );
    // The replaced provenance is gone: only the other builder's remains.
    let out = verify_att(d, &["--type", "slsaprovenance1", &image]);
    out.ok();
    assert!(
        out.stdout.contains("other-ci") || !out.stdout.contains("acme/ci"),
        "{}",
        out.stdout
    );
    // --replace needs --legacy.
    attest(
        d,
        &[
            "--replace",
            "--predicate",
            "slsa.json",
            "--type",
            "slsaprovenance1",
            &image,
        ],
    )
    .expect_code(2);

    // Eight concurrent attesters of the same type without --replace: eight layers more.
    std::thread::scope(|scope| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let image = image.clone();
                scope.spawn(move || {
                    let p = d.join(format!("p{i}.json"));
                    std::fs::write(&p, format!(r#"{{"writer":{i}}}"#)).unwrap();
                    attest(
                        d,
                        &[
                            "--legacy",
                            "--predicate",
                            s(&p),
                            "--type",
                            "https://example.com/custom/v1",
                            &image,
                        ],
                    )
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap().ok();
        }
    });
    assert_eq!(layers().len(), 10);
    let out = verify_att(d, &["--type", "https://example.com/custom/v1", &image]);
    out.ok();
    assert_eq!(out.stdout.lines().count(), 8);
}

#[test]
fn attest_blob_round_trips_with_hsign_and_sigstore_js() {
    let k = setup();
    let d = k.path();
    std::fs::copy(vector("keys/cosign/validecpkcs8.key"), d.join("plain.pem")).unwrap();
    hsign(&["public-key", "--key", "plain.pem", "--outfile", "plain.pub"])
        .cwd(d)
        .run()
        .ok();
    std::fs::write(d.join("release.tar"), "release bytes\n".repeat(1000)).unwrap();
    hsign(&[
        "attest-blob",
        "--tlog-upload=false",
        "--key",
        "plain.pem",
        "--predicate",
        "slsa.json",
        "--type",
        "slsaprovenance1",
        "--output-signature",
        "att.json",
        "--bundle",
        "att.sigstore.json",
        "release.tar",
    ])
    .cwd(d)
    .run()
    .ok();
    for (flag, file) in [("--signature", "att.json"), ("--bundle", "att.sigstore.json")] {
        hsign(&[
            "verify-blob-attestation",
            "--key",
            "plain.pub",
            flag,
            file,
            "--type",
            "slsaprovenance1",
            "--insecure-ignore-tlog",
            "release.tar",
        ])
        .cwd(d)
        .run()
        .ok();
    }
    // sigstore-js's verifier accepts hsign's DSSE bundle.
    let out = node("verify-with-key.js", &["att.sigstore.json", "plain.pub"])
        .cwd(d)
        .run();
    out.ok();
    assert_eq!(out.stdout.trim(), "OK");
    // Another file, or another predicate type, does not verify.
    std::fs::write(d.join("other.tar"), "x").unwrap();
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "plain.pub",
        "--signature",
        "att.json",
        "--type",
        "slsaprovenance1",
        "--insecure-ignore-tlog",
        "other.tar",
    ])
    .cwd(d)
    .run()
    .expect_code(12);
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "plain.pub",
        "--signature",
        "att.json",
        "--type",
        "cyclonedx",
        "--insecure-ignore-tlog",
        "release.tar",
    ])
    .cwd(d)
    .run()
    .expect_code(12);
}

#[test]
fn sbom_attach_and_download_round_trip() {
    let reg = Registry::start();
    let k = setup();
    let d = k.path();
    let digest = push_image(&reg, "demo/sbom", "v1", "sbom");
    let image = format!("{}/demo/sbom@{digest}", reg.host());
    hsign(&["attach", "sbom", H, "--sbom", "cdx.json", "--type", "cyclonedx", &image])
        .cwd(d)
        .run()
        .ok();
    let out = hsign(&["download", "sbom", H, &image]).cwd(d).run();
    out.ok();
    assert_eq!(
        out.stdout.as_bytes(),
        std::fs::read(d.join("cdx.json")).unwrap().as_slice()
    );
    let (_, raw) = get_manifest(&reg, "demo/sbom", &format!("{}.sbom", digest.replace(':', "-")));
    assert!(String::from_utf8_lossy(&raw).contains("application/vnd.cyclonedx+json"));
    attest(d, &["--predicate", "cdx.json", "--type", "cyclonedx", &image]).ok();
    attest(d, &["--legacy", "--predicate", "vex.json", "--type", "openvex", &image]).ok();
    let out = hsign(&["download", "attestation", H, &image]).cwd(d).run();
    out.ok();
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    let tree = hsign(&["tree", H, &image]).cwd(d).run();
    tree.ok();
    assert!(
        tree.stdout.contains("SBOMs") && tree.stdout.contains("attestations"),
        "{}",
        tree.stdout
    );
}

#[test]
fn bad_predicates_and_policies_fail_before_any_network_call() {
    let k = setup();
    let d = k.path();
    std::fs::write(d.join("notjson.json"), "not json").unwrap();
    std::fs::write(d.join("policy.yaml"), "require: [cyclonedx]\nrulez: []\n").unwrap();
    // Port 1 on loopback: any network attempt would fail differently from what is asserted.
    let image = "127.0.0.1:1/demo/x@sha256:0000000000000000000000000000000000000000000000000000000000000001";
    let out = attest(d, &["--predicate", "notjson.json", "--type", "cyclonedx", image]);
    out.expect_code(3);
    assert!(
        out.stderr.contains("notjson.json") && out.stderr.contains("not valid JSON"),
        "{}",
        out.stderr
    );
    let out = verify_att(d, &["--policy", "policy.yaml", image]);
    out.expect_code(3);
    assert!(
        out.stderr.contains("policy.yaml") && out.stderr.contains("rulez"),
        "{}",
        out.stderr
    );
    attest(d, &["--predicate", "cdx.json", "--type", "nonsense", image]).expect_code(2);
}
