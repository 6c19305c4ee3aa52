//! Round trips with independent implementations: sigstore-js (`@sigstore/verify` and `@sigstore/sign`) for
//! bundles, and the `sigstore` crate (through tests/peers/sigstore-rs-peer) for keys and detached signatures.

use hsign_e2e::*;

/// A directory holding an unencrypted P-256 key (from the vectors), its public key, and an artifact.
fn setup() -> tempfile::TempDir {
    let dir = tempdir();
    let d = dir.path();
    std::fs::copy(vector("keys/cosign/validecpkcs8.key"), d.join("key.pem")).unwrap();
    hsign(&["public-key", "--key", "key.pem", "--outfile", "pub.pem"])
        .cwd(d)
        .run()
        .ok();
    std::fs::write(d.join("artifact.txt"), "hello from hsign interop\n".repeat(1000)).unwrap();
    dir
}

#[test]
fn hsign_bundle_verifies_with_sigstore_js_and_a_tampered_artifact_does_not() {
    let dir = setup();
    let d = dir.path();
    hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "key.pem",
        "--bundle",
        "h.sigstore.json",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();
    let out = node("verify-with-key.js", &["h.sigstore.json", "pub.pem", "artifact.txt"])
        .cwd(d)
        .run();
    out.ok();
    assert_eq!(out.stdout.trim(), "OK");
    std::fs::write(d.join("other.txt"), "not the artifact").unwrap();
    let out = node("verify-with-key.js", &["h.sigstore.json", "pub.pem", "other.txt"])
        .cwd(d)
        .run();
    out.expect_code(1);
    assert!(out.stderr.contains("SIGNATURE_ERROR"), "{}", out.stderr);
}

#[test]
fn sigstore_js_message_and_dsse_bundles_verify_with_hsign() {
    let dir = setup();
    let d = dir.path();
    node(
        "sign-with-key.js",
        &["message", "key.pem", "artifact.txt", "js-msg.json", "", "peers-key"],
    )
    .cwd(d)
    .run()
    .ok();
    let out = hsign(&[
        "verify-blob",
        "--key",
        "pub.pem",
        "--bundle",
        "js-msg.json",
        "--insecure-ignore-tlog",
        "-o",
        "json",
        "artifact.txt",
    ])
    .cwd(d)
    .run();
    out.ok();
    assert_eq!(
        out.json()["format"],
        "application/vnd.dev.sigstore.bundle+json;version=0.2"
    );
    // A statement about the artifact, signed as DSSE by sigstore-js.
    let sha = Cmd::new("sha256sum", &["artifact.txt"]).cwd(d).run().stdout[..64].to_string();
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"artifact.txt","digest":{{"sha256":"{sha}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{{"buildDefinition":{{}}}}}}"#
    );
    std::fs::write(d.join("stmt.json"), statement).unwrap();
    node("sign-with-key.js", &["dsse", "key.pem", "stmt.json", "js-dsse.json"])
        .cwd(d)
        .run()
        .ok();
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "pub.pem",
        "--bundle",
        "js-dsse.json",
        "--type",
        "slsaprovenance1",
        "--insecure-ignore-tlog",
        "artifact.txt",
    ])
    .cwd(d)
    .run()
    .ok();
    // The same bundle about another file must not verify.
    std::fs::write(d.join("other.txt"), "other").unwrap();
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "pub.pem",
        "--bundle",
        "js-dsse.json",
        "--type",
        "slsaprovenance1",
        "--insecure-ignore-tlog",
        "other.txt",
    ])
    .cwd(d)
    .run()
    .expect_code(12);
}

#[test]
fn hsign_key_pair_is_read_by_the_sigstore_crate_and_the_reverse() {
    let dir = tempdir();
    let d = dir.path();
    // hsign writes the key; the sigstore crate decrypts it and derives the same public key.
    hsign(&["generate-key-pair", "--output-key-prefix", "h"])
        .cwd(d)
        .password("interop")
        .run()
        .ok();
    let out = sigstore_rs_peer(&["pubkey", "h.key"]).cwd(d).password("interop").run();
    out.ok();
    assert_eq!(out.stdout.trim(), read(&d.join("h.pub")).trim());
    // The sigstore crate writes a key (N=2^15, CRLF); hsign decrypts it, signs, and the crate verifies.
    sigstore_rs_peer(&["keygen", "r"]).cwd(d).password("interop").run().ok();
    let out = hsign(&["public-key", "--key", "r.key"])
        .cwd(d)
        .password("interop")
        .run();
    out.ok();
    assert_eq!(out.stdout.trim(), read(&d.join("r.pub")).trim().replace("\r\n", "\n"));
    std::fs::write(d.join("a.txt"), "signed by hsign with a sigstore-rs key").unwrap();
    hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "r.key",
        "--output-signature",
        "a.sig",
        "a.txt",
    ])
    .cwd(d)
    .password("interop")
    .run()
    .ok();
    sigstore_rs_peer(&["verify-blob", "r.pub", "a.txt", "a.sig"])
        .cwd(d)
        .run()
        .ok();
    std::fs::write(d.join("b.txt"), "another file").unwrap();
    sigstore_rs_peer(&["verify-blob", "r.pub", "b.txt", "a.sig"])
        .cwd(d)
        .run()
        .expect_code(1);
}
