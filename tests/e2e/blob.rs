//! `sign-blob`, `verify-blob`, `verify-blob-attestation`: round trips for every key kind, digest-only
//! verification, tampering, bad input, atomic writes, and the cosign attest-blob vectors.

use std::path::Path;

use hsign_e2e::*;

/// A directory with an encrypted P-256 key pair (password `pw`) and a 300 KiB artifact.
fn setup() -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    let data: Vec<u8> = (0..300 * 1024u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.path().join("artifact.bin"), data).unwrap();
    dir
}

fn sha256_of(path: &Path) -> String {
    let out = Cmd::new("sha256sum", &[s(path)]).run();
    out.ok();
    out.stdout[..64].to_string()
}

#[test]
fn sign_then_verify_with_bundle_signature_digest_and_stdin() {
    let dir = setup();
    let d = dir.path();
    hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--bundle",
        "a.bundle",
        "--output-signature",
        "a.sig",
        "artifact.bin",
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let bundle: serde_json::Value = serde_json::from_str(&read(&d.join("a.bundle"))).unwrap();
    assert_eq!(bundle["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert_eq!(bundle["messageSignature"]["messageDigest"]["algorithm"], "SHA2_256");

    let ok = |args: &[&str]| hsign(args).cwd(d).run().ok().stderr.contains("Verified OK");
    assert!(ok(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "a.bundle",
        "--insecure-ignore-tlog",
        "artifact.bin"
    ]));
    assert!(ok(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--signature",
        "a.sig",
        "--insecure-ignore-tlog",
        "artifact.bin"
    ]));
    let digest = format!("sha256:{}", sha256_of(&d.join("artifact.bin")));
    assert!(ok(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "a.bundle",
        "--insecure-ignore-tlog",
        &digest
    ]));

    // JSON output names the digest; standard input works for verifying and for signing.
    let out = hsign(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "a.bundle",
        "--insecure-ignore-tlog",
        "-o",
        "json",
        "-",
    ])
    .cwd(d)
    .stdin(std::fs::read(d.join("artifact.bin")).unwrap())
    .run();
    out.ok();
    assert_eq!(out.json()["artifactDigest"], digest);
    assert_eq!(out.json()["verified"], true);
    hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--bundle",
        "stdin.bundle",
        "-",
    ])
    .cwd(d)
    .password("pw")
    .stdin(std::fs::read(d.join("artifact.bin")).unwrap())
    .run()
    .ok();
    assert!(ok(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "stdin.bundle",
        "--insecure-ignore-tlog",
        "artifact.bin"
    ]));
}

#[test]
fn tampering_and_wrong_keys_fail_with_12_and_never_say_verified() {
    let dir = setup();
    let d = dir.path();
    hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--bundle",
        "a.bundle",
        "artifact.bin",
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    hsign(&["generate-key-pair", "--output-key-prefix", "other"])
        .cwd(d)
        .password("pw")
        .run()
        .ok();
    let mut tampered = std::fs::read(d.join("artifact.bin")).unwrap();
    tampered[1000] ^= 1;
    std::fs::write(d.join("tampered.bin"), tampered).unwrap();
    // Flip one byte of the signature inside the bundle.
    let mut b: serde_json::Value = serde_json::from_str(&read(&d.join("a.bundle"))).unwrap();
    let sig = b["messageSignature"]["signature"].as_str().unwrap().to_string();
    let flipped = if sig.as_bytes()[20] == b'A' { "B" } else { "A" };
    b["messageSignature"]["signature"] = format!("{}{}{}", &sig[..20], flipped, &sig[21..]).into();
    std::fs::write(d.join("badsig.bundle"), b.to_string()).unwrap();

    for (key, bundle, file, needle) in [
        ("cosign.pub", "a.bundle", "tampered.bin", "artifact digest mismatch"),
        ("other.pub", "a.bundle", "artifact.bin", "signature verification failed"),
        ("cosign.pub", "badsig.bundle", "artifact.bin", "signature"),
    ] {
        let out = hsign(&[
            "verify-blob",
            "--key",
            key,
            "--bundle",
            bundle,
            "--insecure-ignore-tlog",
            file,
        ])
        .cwd(d)
        .run();
        out.expect_code(12);
        assert!(out.stderr.contains(needle), "{key} {bundle} {file}: {}", out.stderr);
        assert!(!out.stderr.contains("Verified OK"));
    }
    // Without --insecure-ignore-tlog an entry-less bundle does not verify, and the hint says why.
    let out = hsign(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "a.bundle",
        "artifact.bin",
    ])
    .cwd(d)
    .run();
    out.expect_code(12);
    assert!(
        out.stderr.contains("no transparency log entry") && out.stderr.contains("--insecure-ignore-tlog"),
        "{}",
        out.stderr
    );
    // JSON output of a failure is an error document with the exit code.
    let out = hsign(&[
        "verify-blob",
        "--key",
        "other.pub",
        "--bundle",
        "a.bundle",
        "--insecure-ignore-tlog",
        "-o",
        "json",
        "artifact.bin",
    ])
    .cwd(d)
    .run();
    out.expect_code(12);
    assert_eq!(out.json()["exitCode"], 12);
}

#[test]
fn every_key_kind_round_trips() {
    for (name, pw, key) in [
        ("p256", "", "keys/cosign/validecp256.key"),
        ("p384", "", "keys/cosign/validecp384.key"),
        ("p521", "", "keys/cosign/validecp521.key"),
        ("ed25519", "", "keys/cosign/ed25519key.key"),
        ("rsa", "", "keys/cosign/validrsa.key"),
        ("rsa4096-encrypted", "123", "keys/sigstore-rs/rsa_encrypted_private.key"),
    ] {
        let dir = setup();
        let d = dir.path();
        let key = vector(key);
        let public = hsign(&["public-key", "--key", s(&key), "--outfile", "k.pub"])
            .cwd(d)
            .password(pw)
            .run();
        public.ok();
        hsign(&[
            "sign-blob",
            "--tlog-upload=false",
            "--key",
            s(&key),
            "--bundle",
            "b",
            "artifact.bin",
        ])
        .cwd(d)
        .password(pw)
        .run()
        .ok();
        hsign(&[
            "verify-blob",
            "--key",
            "k.pub",
            "--bundle",
            "b",
            "--insecure-ignore-tlog",
            "artifact.bin",
        ])
        .cwd(d)
        .run()
        .ok();
        let mut t = std::fs::read(d.join("artifact.bin")).unwrap();
        t[0] ^= 0xff;
        std::fs::write(d.join("t.bin"), t).unwrap();
        let out = hsign(&[
            "verify-blob",
            "--key",
            "k.pub",
            "--bundle",
            "b",
            "--insecure-ignore-tlog",
            "t.bin",
        ])
        .cwd(d)
        .run();
        out.expect_code(12);
        if name == "ed25519" {
            // Ed25519 signs the whole message: a digest alone cannot be verified, and hsign says so.
            let digest = format!("sha256:{}", sha256_of(&d.join("artifact.bin")));
            let out = hsign(&[
                "verify-blob",
                "--key",
                "k.pub",
                "--bundle",
                "b",
                "--insecure-ignore-tlog",
                &digest,
            ])
            .cwd(d)
            .run();
            out.expect_code(3);
            assert!(out.stderr.contains("Ed25519"), "{}", out.stderr);
        }
    }
}

#[test]
fn bad_bundles_name_the_file_and_what_was_expected() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("notjson"), "hello").unwrap();
    std::fs::write(
        d.join("shape.json"),
        r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}}}"#,
    )
    .unwrap();
    std::fs::write(d.join("other.json"), r#"{"foo":1}"#).unwrap();
    std::fs::create_dir(d.join("adir")).unwrap();
    let two = vector("bundles/sigstore-go/testing-data/bundles/dsse-2sigs.sigstore.json");
    for (bundle, needle) in [
        ("notjson", "not valid JSON"),
        ("shape.json", "neither messageSignature nor dsseEnvelope"),
        ("other.json", "is not a Sigstore bundle"),
        ("adir", "is a directory"),
        (s(&two), "2 signatures, expected exactly one"),
    ] {
        let out = hsign(&[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--bundle",
            bundle,
            "--insecure-ignore-tlog",
            "artifact.bin",
        ])
        .cwd(d)
        .run();
        out.expect_code(3);
        assert!(out.stderr.contains(needle), "{bundle}: {}", out.stderr);
        let name = Path::new(bundle).file_name().unwrap().to_str().unwrap();
        assert!(out.stderr.contains(name), "{bundle}: {}", out.stderr);
    }
    // A missing artifact, a malformed digest, and a missing flag.
    hsign(&["verify-blob", "--key", "cosign.pub", "--signature", "x", "nofile"])
        .cwd(d)
        .run()
        .expect_code(1);
    hsign(&[
        "verify-blob",
        "--key",
        "cosign.pub",
        "--bundle",
        "notjson",
        "sha256:abc",
    ])
    .cwd(d)
    .run()
    .expect_code(3);
    hsign(&["verify-blob", "--key", "cosign.pub", "artifact.bin"])
        .cwd(d)
        .run()
        .expect_code(2);
}

#[test]
fn a_failed_sign_leaves_existing_outputs_intact_and_writes_nothing_half() {
    let dir = setup();
    let d = dir.path();
    std::fs::write(d.join("keep.bundle"), "old").unwrap();
    // Wrong password: nothing is written.
    hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--bundle",
        "keep.bundle",
        "artifact.bin",
    ])
    .cwd(d)
    .password("bad")
    .run()
    .expect_code(4);
    assert_eq!(read(&d.join("keep.bundle")), "old");
    // An output directory that does not exist: error, and the other output is not written either.
    let out = hsign(&[
        "sign-blob",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--bundle",
        "keep.bundle",
        "--output-signature",
        "no/such/dir/sig",
        "artifact.bin",
    ])
    .cwd(d)
    .password("pw")
    .run();
    out.expect_code(1);
    assert_eq!(read(&d.join("keep.bundle")), "old");
    let leftovers: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hsign-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[test]
fn cosign_attest_blob_vectors_give_the_expected_results() {
    let dir = vector("blob/cosign-attest-blob");
    let run = |envelope: &str, ty: &str, blob: &str| {
        hsign(&[
            "verify-blob-attestation",
            "--key",
            "cosign.pub",
            "--signature",
            envelope,
            "--type",
            ty,
            "--insecure-ignore-tlog",
            blob,
        ])
        .cwd(&dir)
        .run()
    };
    run("blobSLSAProvenanceSignature.dsse.json", "slsaprovenance", "blob").ok();
    run("blobSLSAProvenanceSignature.dsse.json", "custom", "blob").expect_code(12);
    run("blobSLSAProvenanceSignature.dsse.json", "slsaprovenance", "other-blob").expect_code(12);
    run("dssePredicateMultipleSubjects.dsse.json", "slsaprovenance", "blob").ok();
    run(
        "dssePredicateMultipleSubjects.dsse.json",
        "https://example.com/notreallyslsaprovenance",
        "blob",
    )
    .expect_code(12);
    for bad in [
        "dssePredicateEmptySubject.dsse.json",
        "dssePredicateMissingSha256.dsse.json",
        "dssePredicateMultipleSubjectsInvalid.dsse.json",
    ] {
        let out = run(bad, "slsaprovenance", "blob");
        out.expect_code(12);
        assert!(out.stderr.contains("no subject"), "{bad}: {}", out.stderr);
    }
    // --digest verifies from the digest alone.
    let digest = sha256_of(&dir.join("blob"));
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "cosign.pub",
        "--signature",
        "blobSLSAProvenanceSignature.dsse.json",
        "--type",
        "slsaprovenance",
        "--insecure-ignore-tlog",
        "--digest",
        &digest,
    ])
    .cwd(&dir)
    .run()
    .ok();
}

#[test]
fn usage_errors_exit_2() {
    hsign(&["sign-blob"]).run().expect_code(2);
    hsign(&[
        "verify-blob-attestation",
        "--key",
        "k",
        "--signature",
        "s",
        "--type",
        "nonsense",
        "--digest",
        "00",
    ])
    .run()
    .expect_code(2);
    hsign(&["no-such-command"]).run().expect_code(2);
    hsign(&["--help"]).run().ok();
}
