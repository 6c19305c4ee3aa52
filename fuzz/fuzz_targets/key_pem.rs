//! Key parsers: cosign's encrypted private key, plain private keys, public keys.
//! Property: a public key that parses survives a `to_pem` → `from_pem_or_der` round trip unchanged.
#![no_main]

use hsign_keys::{PrivateKey, PublicKey, decrypt_private_key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decrypt_private_key(data, b"pw");

    // A private key that parses must yield a public key that round-trips as well.
    if let Ok(private) = PrivateKey::from_pem_or_der(data) {
        check_round_trip(&private.public_key());
    }

    if let Ok(key) = PublicKey::from_pem_or_der(data) {
        check_round_trip(&key);
    }
});

fn check_round_trip(key: &PublicKey) {
    let pem = key.to_pem();
    let again = PublicKey::from_pem_or_der(pem.as_bytes())
        .unwrap_or_else(|e| panic!("to_pem output does not parse back: {e}\n{pem}"));
    assert_eq!(&again, key, "public key changed through to_pem/from_pem_or_der");
    // The DER form is the same key too.
    let der = key.to_spki_der();
    assert!(!der.is_empty(), "to_spki_der of a parsed key is empty");
    assert_eq!(PublicKey::from_pem_or_der(&der).ok().as_ref(), Some(key), "SPKI DER round trip");
}
