//! Offline verification of keyless bundles (not a test): N verifications (default 1,000) cycling over the
//! Sigstore conformance suite's public-good happy-path bundles v0.1, v0.2, v0.3 (certificate chain to the Fulcio
//! CA at the log's integrated time, SCT, SET, inclusion proof, checkpoint, identity and issuer), by hsign's
//! verifier, sigstore-js's `@sigstore/verify` and, when installed (scripts/bench-keyless.sh installs it into
//! target/peers/py), sigstore-python — each in one process, plus one bundle per process. Figures go in
//! BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hsign_core::bundle::Bundle;
use hsign_core::trust::TrustedRoot;
use hsign_core::verify::{Artifact, CertificateIdentity, Matcher, Policy, SignedEntity, Verifier};
use hsign_e2e::*;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn main() {
    let n: usize = std::env::var("BENCH_BUNDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let root_path = vector("trusted-root/production/trusted_root.json");
    let artifact_path = vector("bundles/sigstore-conformance/a.txt");
    let sources: Vec<PathBuf> = [
        "happy-path-v0.1",
        "happy-path-v0.2",
        "happy-path-v0.3",
        "happy-path-v0.3-new-mediaType",
    ]
    .iter()
    .map(|c| {
        vector(&format!(
            "bundles/sigstore-conformance/bundle-verify/{c}/bundle.sigstore.json"
        ))
    })
    .collect();
    // N files, so every verifier reads and parses every one.
    let dir = tempdir();
    let files: Vec<PathBuf> = (0..n)
        .map(|i| {
            let p = dir.path().join(format!("b{i}.json"));
            std::fs::copy(&sources[i % sources.len()], &p).unwrap();
            p
        })
        .collect();

    let verifier = Verifier::with_trusted_root(TrustedRoot::from_json(&std::fs::read(&root_path).unwrap()).unwrap());
    let identity = CertificateIdentity {
        subject: Matcher::Exact(IDENTITY.into()),
        issuer: Matcher::Exact(ISSUER.into()),
        github: Default::default(),
    };
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for f in &files {
            let bundle = Bundle::from_json(&std::fs::read(f).unwrap()).unwrap();
            let policy = Policy::keyless(identity.clone())
                .artifact(Artifact::Bytes(std::fs::read(&artifact_path).unwrap()))
                .build();
            let r = verifier.verify(&SignedEntity::from_bundle(bundle), &policy).unwrap();
            assert!(r.certificate().is_some());
        }
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }

    let mut args: Vec<String> = vec![
        s(&root_path).into(),
        IDENTITY.into(),
        ISSUER.into(),
        s(&artifact_path).into(),
    ];
    args.extend(files.iter().map(|f| s(f).to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = node("verify-keyless.js", &refs).env("HSIGN_PEER_TIMING", "1").run();
    assert!(out.stdout.starts_with(&format!("OK {n}")), "{out:?}");
    let js = timing(&out.stdout);

    let python = python_bin();
    let py = python.as_ref().map(|py| {
        let script = root().join("tests/peers/python/verify_keyless.py");
        let mut a = vec![s(&script).to_string()];
        a.extend(args.iter().cloned());
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let out = Cmd::new(py, &refs).run();
        assert!(out.stdout.starts_with(&format!("OK {n}")), "{out:?}");
        timing(&out.stdout)
    });

    // One bundle per process.
    let runs = 10.min(n);
    let per = |f: &dyn Fn(&Path)| {
        let start = Instant::now();
        for b in &files[..runs] {
            f(b);
        }
        start.elapsed().as_secs_f64() * 1000.0 / runs as f64
    };
    let hsign_proc = per(&|b| {
        hsign(&[
            "verify-blob",
            "-q",
            "--trusted-root",
            s(&root_path),
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
            "--bundle",
            s(b),
            s(&artifact_path),
        ])
        .run()
        .ok();
    });
    let js_proc = per(&|b| {
        let out = node(
            "verify-keyless.js",
            &[s(&root_path), IDENTITY, ISSUER, s(&artifact_path), s(b)],
        )
        .run();
        assert!(out.stdout.starts_with("OK 1"), "{out:?}");
    });

    println!("| verifier | {n} keyless bundles (ms) | bundles/s | hsign is |");
    println!("|---|---:|---:|---:|");
    println!("| hsign (read + parse + verify) | {best:.1} | {:.0} | |", rate(n, best));
    println!(
        "| @sigstore/verify 3.1.1 (verify loop only) | {js:.1} | {:.0} | {:.1}x |",
        rate(n, js),
        js / best
    );
    if let Some(py) = py {
        println!(
            "| sigstore-python 4.5.1 (verify loop only) | {py:.1} | {:.0} | {:.1}x |",
            rate(n, py),
            py / best
        );
    }
    println!(
        "\none bundle per process: hsign {hsign_proc:.1} ms, node + @sigstore/verify {js_proc:.1} ms ({:.0}x)",
        js_proc / hsign_proc
    );
    if let Some(py) = &python {
        let py_proc = per(&|b| {
            let sigstore = Path::new(py).with_file_name("sigstore");
            let out = Cmd::new(
                &sigstore,
                &[
                    "--trust-config",
                    &trust_config(&root_path, dir.path()),
                    "verify",
                    "identity",
                    "--offline",
                    "--bundle",
                    s(b),
                    "--cert-identity",
                    IDENTITY,
                    "--cert-oidc-issuer",
                    ISSUER,
                    s(&artifact_path),
                ],
            )
            .run();
            assert_eq!(out.code, 0, "{out:?}");
        });
        println!(
            "one bundle per process: sigstore-python CLI {py_proc:.1} ms ({:.0}x)",
            py_proc / hsign_proc
        );
    }
}

fn rate(n: usize, ms: f64) -> f64 {
    n as f64 / ms * 1000.0
}

fn timing(stdout: &str) -> f64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("verify_ms "))
        .and_then(|v| v.parse().ok())
        .expect("peer timing")
}

/// The sigstore-python interpreter: `$HSIGN_PYTHON`, or the venv scripts/bench-keyless.sh makes.
fn python_bin() -> Option<String> {
    let p = std::env::var("HSIGN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target/peers/py/bin/python"));
    p.exists().then(|| s(&p).to_string())
}

/// A ClientTrustConfig for sigstore-python's `--trust-config`: the trusted root and the public-good signing config.
fn trust_config(root_path: &Path, dir: &Path) -> String {
    let path = dir.join("trust_config.json");
    if !path.exists() {
        let root: serde_json::Value = serde_json::from_slice(&std::fs::read(root_path).unwrap()).unwrap();
        let signing: serde_json::Value =
            serde_json::from_slice(&std::fs::read(vector("trusted-root/production/signing_config.v0.2.json")).unwrap())
                .unwrap();
        let config = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": root,
            "signingConfig": signing,
        });
        std::fs::write(&path, config.to_string()).unwrap();
    }
    s(&path).to_string()
}
