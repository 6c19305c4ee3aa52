//! Every key case of the shared vector set (`tests/data/vectors/cases.json`): encrypted cosign keys decrypt
//! to their expected public key with the password the manifest gives, and the `import-key-pair` inputs are
//! accepted or refused as cosign accepts or refuses them.

use std::path::{Path, PathBuf};

use hsign_keys::{KeyError, PrivateKey, PublicKey, decrypt_private_key};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/vectors")
}

fn cases(kind: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(vectors().join("cases.json")).expect("cases.json");
    let all: Vec<serde_json::Value> = serde_json::from_str(&text).expect("cases.json is JSON");
    let picked: Vec<_> = all.into_iter().filter(|c| c["kind"] == kind).collect();
    assert!(!picked.is_empty(), "no cases of kind {kind}");
    picked
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(vectors().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn encrypted_keys_decrypt_to_their_public_key() {
    let mut checked = 0;
    for case in cases("encrypted-private-key") {
        let id = case["id"].as_str().unwrap();
        let password = case["password"].as_str().unwrap();
        let data = read(case["key_file"].as_str().unwrap());
        if password.starts_with("UNKNOWN") {
            // Only usable as a wrong-password vector: the empty password must fail authentication.
            let err = decrypt_private_key(&data, b"").unwrap_err();
            assert!(matches!(err, KeyError::WrongPassword), "{id}: {err}");
            continue;
        }
        let password = if password.starts_with("\"\"") { "" } else { password };
        let (key, params) = decrypt_private_key(&data, password.as_bytes()).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(params.n, case["scrypt_N"].as_u64().unwrap(), "{id}");
        let expected = PublicKey::from_pem_or_der(&read(case["public_key"].as_str().unwrap())).unwrap();
        assert_eq!(
            key.public_key(),
            expected,
            "{id}: decrypted key does not match its public key"
        );
        // The key is usable: it signs, and the expected public key verifies the signature.
        let sig = key.sign_message(b"hsign vector check").unwrap();
        expected.verify_message(b"hsign vector check", &sig).unwrap();
        // And a wrong password fails cleanly.
        assert!(
            matches!(
                decrypt_private_key(&data, b"not the password"),
                Err(KeyError::WrongPassword)
            ),
            "{id}"
        );
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} keys checked");
}

#[test]
fn import_inputs_are_accepted_or_refused_as_cosign_does() {
    for case in cases("import-key-pair input (unencrypted)") {
        let id = case["id"].as_str().unwrap();
        let expected = case["expected"].as_str().unwrap();
        let result = PrivateKey::from_pem_or_der(&read(case["key_file"].as_str().unwrap()));
        if expected.starts_with("import OK") {
            let key = result.unwrap_or_else(|e| panic!("{id}: {e}"));
            let sig = key.sign_message(b"m").unwrap();
            key.public_key().verify_message(b"m", &sig).unwrap();
        } else {
            let err = result.expect_err(id).to_string();
            // cosign's message, e.g. `import FAIL "key size not supported: 1024"`: hsign's names the same fact.
            let want = expected.split('"').nth(1).unwrap_or_default();
            let key_fact = want.rsplit(": ").next().unwrap_or(want);
            let fact_found = err.contains(key_fact)
                || (key_fact.contains("secp256k1") || want.contains("ecdsa private key")) && err.contains("secp256k1")
                || (want.contains("invalid pem block") && err.contains("PEM"));
            assert!(fact_found, "{id}: error '{err}' does not say '{want}'");
        }
    }
}

#[test]
fn rsa_and_ec_public_keys_from_other_projects_parse() {
    for rel in [
        "keys/sigstore-java/test-ec.pub",
        "keys/sigstore-java/test-rsa.pub",
        "keys/cosign/cosign-test.pub",
    ] {
        let key = PublicKey::from_pem_or_der(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let again = PublicKey::from_pem_or_der(key.to_pem().as_bytes()).unwrap();
        assert_eq!(again, key, "{rel}: PEM round trip");
    }
}
