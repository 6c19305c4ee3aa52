//! `generate-key-pair`, `import-key-pair`, `public-key`: modes, overwrite protection, password sources, every
//! key vector, and bad input.

use std::os::unix::fs::PermissionsExt as _;

use hsign_e2e::*;

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn generated_key_is_encrypted_0600_and_pub_0644_and_not_overwritten() {
    let dir = tempdir();
    hsign(&["generate-key-pair"])
        .cwd(dir.path())
        .password("s3cret")
        .run()
        .ok();
    let key = dir.path().join("cosign.key");
    let public = dir.path().join("cosign.pub");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&public), 0o644);
    let text = read(&key);
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"),
        "{text}"
    );
    assert!(read(&public).starts_with("-----BEGIN PUBLIC KEY-----\n"));

    // Refuses to overwrite, and leaves the old key intact.
    let again = hsign(&["generate-key-pair"]).cwd(dir.path()).password("other").run();
    again.expect_code(1);
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("--force"),
        "{}",
        again.stderr
    );
    assert_eq!(read(&key), text);

    // The key opens with its password and prints the same public key; a wrong password exits 4.
    let out = hsign(&["public-key", "--key", "cosign.key"])
        .cwd(dir.path())
        .password("s3cret")
        .run();
    out.ok();
    assert_eq!(out.stdout, read(&public));
    let bad = hsign(&["public-key", "--key", "cosign.key"])
        .cwd(dir.path())
        .password("wrong")
        .run();
    bad.expect_code(4);
    assert!(
        bad.stderr.contains("cosign.key") && bad.stderr.contains("wrong password"),
        "{}",
        bad.stderr
    );

    // --force replaces both files.
    hsign(&["generate-key-pair", "--force"])
        .cwd(dir.path())
        .password("other")
        .run()
        .ok();
    assert_ne!(read(&key), text);
}

#[test]
fn password_comes_from_stdin_when_no_variable_is_set_and_empty_variables_count() {
    let dir = tempdir();
    // No variable and no terminal: all of standard input is the password, byte for byte.
    hsign(&["generate-key-pair", "--output-key-prefix", "k"])
        .cwd(dir.path())
        .stdin("pw with spaces\n")
        .run()
        .ok();
    hsign(&["public-key", "--key", "k.key"])
        .cwd(dir.path())
        .password("pw with spaces\n")
        .run()
        .ok();
    hsign(&["public-key", "--key", "k.key"])
        .cwd(dir.path())
        .password("pw with spaces")
        .run()
        .expect_code(4);
    // An empty variable is a password too (cosign's rule), and HSIGN_PASSWORD works like COSIGN_PASSWORD.
    hsign(&["generate-key-pair", "--output-key-prefix", "e"])
        .cwd(dir.path())
        .env("HSIGN_PASSWORD", "")
        .run()
        .ok();
    hsign(&["public-key", "--key", "e.key"])
        .cwd(dir.path())
        .password("")
        .run()
        .ok();
}

#[test]
fn public_key_of_every_encrypted_vector_key_matches() {
    let cases: Vec<serde_json::Value> = serde_json::from_str(&read(&vector("cases.json"))).unwrap();
    let mut n = 0;
    for case in cases.iter().filter(|c| c["kind"] == "encrypted-private-key") {
        let pw = case["password"].as_str().unwrap();
        if pw.starts_with("UNKNOWN") {
            continue;
        }
        let pw = if pw.starts_with("\"\"") { "" } else { pw };
        let key = vector(case["key_file"].as_str().unwrap());
        let out = hsign(&["public-key", "--key", s(&key)]).password(pw).run();
        out.ok();
        let expected = read(&vector(case["public_key"].as_str().unwrap()));
        assert_eq!(
            out.stdout.trim(),
            expected.trim().replace("\r\n", "\n"),
            "{}",
            case["id"]
        );
        n += 1;
    }
    assert!(n >= 8);
}

#[test]
fn import_key_pair_follows_cosign_on_every_vector_input() {
    let cases: Vec<serde_json::Value> = serde_json::from_str(&read(&vector("cases.json"))).unwrap();
    for case in cases
        .iter()
        .filter(|c| c["kind"] == "import-key-pair input (unencrypted)")
    {
        let id = case["id"].as_str().unwrap();
        let dir = tempdir();
        let input = vector(case["key_file"].as_str().unwrap());
        let out = hsign(&["import-key-pair", "--key", s(&input)])
            .cwd(dir.path())
            .password("hello")
            .run();
        if case["expected"].as_str().unwrap().starts_with("import OK") {
            out.ok();
            assert_eq!(mode(&dir.path().join("import-cosign.key")), 0o600, "{id}");
            // The imported key opens with the password and has the original's public key.
            let imported = hsign(&["public-key", "--key", "import-cosign.key"])
                .cwd(dir.path())
                .password("hello")
                .run();
            imported.ok();
            let original = hsign(&["public-key", "--key", s(&input)]).run();
            original.ok();
            assert_eq!(imported.stdout, original.stdout, "{id}");
            assert_eq!(imported.stdout, read(&dir.path().join("import-cosign.pub")), "{id}");
        } else {
            out.expect_code(3);
            assert!(out.stderr.starts_with("error: key file '"), "{id}: {}", out.stderr);
            assert!(
                !dir.path().join("import-cosign.key").exists(),
                "{id}: a key was written"
            );
        }
    }
}

#[test]
fn bad_key_files_give_one_clear_line_and_the_documented_code() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let good = read(&vector("keys/sigstore-rs/ecdsa_encrypted_private.key"));
    std::fs::write(p("truncated.key"), &good[..good.len() / 2]).unwrap();
    std::fs::write(
        p("cert.key"),
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        p("json.key"),
        crate::keys::pem_of("ENCRYPTED SIGSTORE PRIVATE KEY", b"{\"kdf\":1}"),
    )
    .unwrap();
    std::fs::create_dir(p("dir.key")).unwrap();
    for (file, code, needle) in [
        ("truncated.key", 3, "no END line"),
        ("cert.key", 3, "CERTIFICATE"),
        ("json.key", 3, "cosign's key JSON"),
        ("dir.key", 3, "is a directory"),
        ("missing.key", 1, "no such file"),
    ] {
        let out = hsign(&["public-key", "--key", s(&p(file))]).password("123").run();
        out.expect_code(code);
        assert!(
            out.stderr.contains(file) && out.stderr.contains(needle),
            "{file}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.lines().next().map(|l| l.starts_with("error: ")),
            Some(true),
            "{file}"
        );
    }
}

/// PEM-encodes `data` under `label` (for hand-made bad inputs).
pub fn pem_of(label: &str, data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in data.chunks(3) {
        let n =
            (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n")
}
