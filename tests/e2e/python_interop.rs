//! Interop with sigstore-python 4.5.1 (`target/peers/py`, installed by `scripts/test.sh`): a blob signed
//! keyless by hsign against the test Fulcio (with its CT log) and the test Rekor verifies offline with
//! `sigstore verify identity` under a ClientTrustConfig for those servers, and with hsign without
//! `--insecure-ignore-sct`. The test needs the peer; `HSIGN_SKIP_PYTHON_PEER=1` skips it.

use std::path::{Path, PathBuf};

use hsign_e2e::fulcio::FulcioCa;
use hsign_e2e::rekor::RekorLog;
use hsign_e2e::*;
use serde_json::json;

const ISSUER: &str = "https://issuer.hsign.test";
const EMAIL: &str = "signer@example.com";

/// The sigstore-python CLI, or `None` when `HSIGN_SKIP_PYTHON_PEER=1`. Panics when it is not installed.
fn sigstore_py() -> Option<PathBuf> {
    if std::env::var("HSIGN_SKIP_PYTHON_PEER").is_ok_and(|v| v == "1") {
        eprintln!("HSIGN_SKIP_PYTHON_PEER=1: skipping the sigstore-python interop test");
        return None;
    }
    let bin = std::env::var_os("HSIGN_SIGSTORE_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/peers/py/bin/sigstore"));
    assert!(
        bin.is_file(),
        "sigstore-python peer not installed at {}: run scripts/test.sh (it needs `python3 -m venv` and PyPI), \
         or set HSIGN_SKIP_PYTHON_PEER=1 to skip this test",
        bin.display()
    );
    Some(bin)
}

/// A ClientTrustConfig (`trustedRoot` and a v0.2 `signingConfig` for the local Fulcio and Rekor) written to
/// `dir/trust_config.json`.
fn write_trust_config(dir: &Path, ca: &FulcioCa, log: &RekorLog) -> PathBuf {
    let root: serde_json::Value = serde_json::from_str(&ca.trusted_root_json(Some(log))).unwrap();
    let service = |url: String| json!({"url": url, "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}, "operator": "hsign-test"});
    let config = json!({
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": root,
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(ca.url())],
            "oidcUrls": [service(ISSUER.to_owned())],
            "rekorTlogUrls": [service(log.url())],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    });
    let path = dir.join("trust_config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&config).unwrap()).unwrap();
    path
}

#[test]
fn a_keyless_blob_signed_by_hsign_verifies_with_sigstore_python_offline() {
    let Some(py) = sigstore_py() else { return };
    let (ca, log) = (FulcioCa::start(), RekorLog::start());
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("artifact.txt"),
        b"signed by hsign, verified by sigstore-python\n",
    )
    .unwrap();
    let root = ca.write_trusted_root(d, Some(&log));
    let config = write_trust_config(d, &ca, &log);
    let token = ca.mint_token(EMAIL, ISSUER, std::time::Duration::from_secs(300));
    let (fulcio, rekor) = (ca.url(), log.url());
    hsign(&[
        "sign-blob",
        "--identity-token",
        &token,
        "--fulcio-url",
        &fulcio,
        "--rekor-url",
        &rekor,
        "--bundle",
        "b.sigstore.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();

    // hsign: the embedded SCT verifies against the trusted root's CT log, no --insecure-ignore-sct.
    hsign(&[
        "verify-blob",
        "--bundle",
        "b.sigstore.json",
        "--trusted-root",
        s(&root),
        "--certificate-identity",
        EMAIL,
        "--certificate-oidc-issuer",
        ISSUER,
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();

    let py_verify = |identity: &str| {
        Cmd::new(
            &py,
            &[
                "--trust-config",
                s(&config),
                "verify",
                "identity",
                "--offline",
                "--bundle",
                "b.sigstore.json",
                "--cert-identity",
                identity,
                "--cert-oidc-issuer",
                ISSUER,
                "artifact.txt",
            ],
        )
        .cwd(d)
        .run()
    };
    let out = py_verify(EMAIL);
    assert_eq!(out.code, 0, "sigstore-python refused the bundle: {out:?}");
    assert!(
        out.stderr.contains("OK: artifact.txt") || out.stdout.contains("OK: artifact.txt"),
        "{out:?}"
    );
    // And it does check the identity.
    let out = py_verify("other@example.com");
    assert_ne!(out.code, 0, "sigstore-python accepted another identity: {out:?}");
}

#[test]
fn a_keyless_blob_signed_by_sigstore_python_verifies_with_hsign() {
    let Some(py) = sigstore_py() else { return };
    let (ca, log) = (FulcioCa::start(), RekorLog::start());
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("artifact.txt"),
        b"signed by sigstore-python, verified by hsign\n",
    )
    .unwrap();
    let root = ca.write_trusted_root(d, Some(&log));
    let config = write_trust_config(d, &ca, &log);
    let token = ca.mint_token(EMAIL, ISSUER, std::time::Duration::from_secs(300));
    let out = Cmd::new(
        &py,
        &[
            "--trust-config",
            s(&config),
            "sign",
            "--identity-token",
            &token,
            "--bundle",
            "p.sigstore.json",
            "artifact.txt",
        ],
    )
    .cwd(d)
    .run();
    assert_eq!(
        out.code, 0,
        "sigstore-python could not sign against the test Fulcio and Rekor: {out:?}"
    );
    assert_eq!((ca.issued(), log.tree_size()), (1, 1));

    let verify = |identity: &str| {
        hsign(&[
            "verify-blob",
            "--bundle",
            "p.sigstore.json",
            "--trusted-root",
            s(&root),
            "--certificate-identity",
            identity,
            "--certificate-oidc-issuer",
            ISSUER,
            "artifact.txt",
        ])
        .cwd(d)
        .run()
    };
    verify(EMAIL).ok();
    verify("other@example.com").expect_code(12);
}
