//! cosign's encrypted private key: a PEM block (`ENCRYPTED SIGSTORE PRIVATE KEY`, or the older
//! `ENCRYPTED COSIGN PRIVATE KEY`) whose contents are a JSON document: scrypt parameters and salt, a
//! nacl/secretbox nonce, and the secretbox output (16-byte tag, then ciphertext) over the PKCS#8 DER key.
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<b64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<b64>"},"ciphertext":"<b64>"}
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::{Aead as _, KeyInit as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{KeyError, PrivateKey, pem, random};

/// The PEM label hsign (and cosign since v1.x) writes.
pub const SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The older PEM label (skopeo and early cosign); read, never written.
pub const COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt work factors accepted when reading: 2^15 (sigstore-rs, old cosign), 2^16 (cosign), 2^17 (OWASP).
const ACCEPTED_LOG_N: [u8; 3] = [15, 16, 17];
/// The work factor hsign writes, as cosign does: N = 2^16.
const DEFAULT_LOG_N: u8 = 16;
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// The scrypt parameters of an encrypted key, as read from its JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptedKeyParams {
    /// The scrypt cost N.
    pub n: u64,
    /// The scrypt block size r.
    pub r: u32,
    /// The scrypt parallelism p.
    pub p: u32,
}

#[derive(Serialize, Deserialize)]
struct EncryptedJson {
    kdf: KdfJson,
    cipher: CipherJson,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct KdfJson {
    name: String,
    params: ScryptJson,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct ScryptJson {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct CipherJson {
    name: String,
    nonce: String,
}

/// Encrypts `key` with `password` and returns the PEM text (`ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt
/// N=2^16, r=8, p=1, a fresh 32-byte salt and 24-byte nonce).
pub fn encrypt_private_key(key: &PrivateKey, password: &[u8]) -> Result<String, KeyError> {
    let plaintext = key.to_pkcs8_der()?;
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    random::fill(&mut salt)?;
    random::fill(&mut nonce)?;
    let secret = derive_key(password, &salt, DEFAULT_LOG_N, 8, 1)?;
    let cipher = crypto_secretbox::XSalsa20Poly1305::new_from_slice(secret.as_ref())
        .map_err(|_| KeyError::EncryptedFormat("bad secretbox key length".into()))?;
    let ciphertext = cipher
        .encrypt(crypto_secretbox::Nonce::from_slice(&nonce), plaintext.as_slice())
        .map_err(|_| KeyError::EncryptedFormat("secretbox encryption failed".into()))?;
    let doc = EncryptedJson {
        kdf: KdfJson {
            name: "scrypt".into(),
            params: ScryptJson {
                n: 1 << DEFAULT_LOG_N,
                r: 8,
                p: 1,
            },
            salt: STANDARD.encode(salt),
        },
        cipher: CipherJson {
            name: "nacl/secretbox".into(),
            nonce: STANDARD.encode(nonce),
        },
        ciphertext: STANDARD.encode(ciphertext),
    };
    let json = serde_json::to_vec(&doc).map_err(|e| KeyError::EncryptedFormat(e.to_string()))?;
    Ok(pem::encode(SIGSTORE_LABEL, &json))
}

/// Loads a private key file of any kind hsign reads: a cosign encrypted key (calling `password` once for its
/// password) or an unencrypted PKCS#8/SEC1/PKCS#1 key (PEM or DER; `password` is not called).
pub fn load_private_key<E: From<KeyError>>(
    data: &[u8],
    password: impl FnOnce() -> Result<Zeroizing<Vec<u8>>, E>,
) -> Result<PrivateKey, E> {
    let encrypted = [SIGSTORE_LABEL, COSIGN_LABEL]
        .iter()
        .any(|label| data.windows(label.len()).any(|w| w == label.as_bytes()));
    if encrypted {
        let pw = password()?;
        return Ok(decrypt_private_key(data, &pw)?.0);
    }
    Ok(PrivateKey::from_pem_or_der(data)?)
}

/// Decrypts a cosign encrypted private key (either label, N in {2^15, 2^16, 2^17}, r=8, p=1, LF or CRLF).
/// The plaintext is PKCS#8 as cosign writes; SEC1 and PKCS#1 plaintexts (seen in old files) are read too.
pub fn decrypt_private_key(data: &[u8], password: &[u8]) -> Result<(PrivateKey, EncryptedKeyParams), KeyError> {
    let blocks = pem::decode_all(data)?;
    let Some(block) = blocks
        .iter()
        .find(|b| b.label == SIGSTORE_LABEL || b.label == COSIGN_LABEL)
    else {
        let found = blocks
            .first()
            .map(|b| format!("a '{}' PEM block", b.label))
            .unwrap_or_else(|| "no PEM block".into());
        return Err(KeyError::Pem(format!(
            "found {found}, expected '{SIGSTORE_LABEL}' (a key written by generate-key-pair or import-key-pair)"
        )));
    };
    let doc: EncryptedJson = serde_json::from_slice(&block.contents)
        .map_err(|e| KeyError::EncryptedFormat(format!("the PEM contents are not cosign's key JSON: {e}")))?;
    if doc.kdf.name != "scrypt" {
        return Err(KeyError::EncryptedFormat(format!(
            "kdf.name is '{}', expected 'scrypt'",
            doc.kdf.name
        )));
    }
    if doc.cipher.name != "nacl/secretbox" {
        return Err(KeyError::EncryptedFormat(format!(
            "cipher.name is '{}', expected 'nacl/secretbox'",
            doc.cipher.name
        )));
    }
    let ScryptJson { n, r, p } = doc.kdf.params;
    let log_n = ACCEPTED_LOG_N
        .into_iter()
        .find(|&l| 1u64 << l == n)
        .ok_or_else(|| KeyError::EncryptedFormat(format!("kdf.params.N is {n}, expected 32768, 65536 or 131072")))?;
    if r != 8 || p != 1 {
        return Err(KeyError::EncryptedFormat(format!(
            "kdf.params r={r} p={p}, expected r=8 p=1"
        )));
    }
    let b64 = |field: &str, v: &str| {
        STANDARD
            .decode(v)
            .map_err(|e| KeyError::EncryptedFormat(format!("{field} is not base64: {e}")))
    };
    let salt = b64("kdf.salt", &doc.kdf.salt)?;
    if salt.is_empty() {
        return Err(KeyError::EncryptedFormat("kdf.salt is empty".into()));
    }
    let nonce = b64("cipher.nonce", &doc.cipher.nonce)?;
    if nonce.len() != NONCE_LEN {
        return Err(KeyError::EncryptedFormat(format!(
            "cipher.nonce has {} bytes, expected {NONCE_LEN}",
            nonce.len()
        )));
    }
    let ciphertext = b64("ciphertext", &doc.ciphertext)?;
    let secret = derive_key(password, &salt, log_n, r, p)?;
    let cipher = crypto_secretbox::XSalsa20Poly1305::new_from_slice(secret.as_ref())
        .map_err(|_| KeyError::EncryptedFormat("bad secretbox key length".into()))?;
    let plaintext = Zeroizing::new(
        cipher
            .decrypt(crypto_secretbox::Nonce::from_slice(&nonce), ciphertext.as_slice())
            .map_err(|_| KeyError::WrongPassword)?,
    );
    let key = PrivateKey::from_pkcs8_der(&plaintext)
        .or_else(|e| PrivateKey::from_sec1_der(&plaintext).map_err(|_| e))
        .or_else(|e| PrivateKey::from_pkcs1_der(&plaintext).map_err(|_| e))
        .map_err(|e| KeyError::InnerKey(e.to_string()))?;
    Ok((key, EncryptedKeyParams { n, r, p }))
}

fn derive_key(password: &[u8], salt: &[u8], log_n: u8, r: u32, p: u32) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|e| KeyError::EncryptedFormat(format!("bad scrypt parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password, salt, &params, out.as_mut())
        .map_err(|e| KeyError::EncryptedFormat(format!("scrypt failed: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypt_then_decrypt_round_trips_and_wrong_password_fails() {
        let key = PrivateKey::generate_p256().unwrap();
        let pem = encrypt_private_key(&key, b"pw").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        let (back, params) = decrypt_private_key(pem.as_bytes(), b"pw").unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(params, EncryptedKeyParams { n: 65536, r: 8, p: 1 });
        assert!(matches!(
            decrypt_private_key(pem.as_bytes(), b"px"),
            Err(KeyError::WrongPassword)
        ));
        let crlf = pem.replace('\n', "\r\n");
        assert!(decrypt_private_key(crlf.as_bytes(), b"pw").is_ok());
    }

    #[test]
    fn json_field_order_matches_cosign() {
        let key = PrivateKey::generate_p256().unwrap();
        let pem = encrypt_private_key(&key, b"").unwrap();
        let json = String::from_utf8(pem::decode_first(pem.as_bytes()).unwrap().contents.to_vec()).unwrap();
        assert!(
            json.starts_with(r#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""#),
            "{json}"
        );
        assert!(json.contains(r#""cipher":{"name":"nacl/secretbox","nonce":""#));
    }

    #[test]
    fn refuses_unknown_work_factor() {
        let key = PrivateKey::generate_p256().unwrap();
        let pem = encrypt_private_key(&key, b"").unwrap();
        let json = String::from_utf8(pem::decode_first(pem.as_bytes()).unwrap().contents.to_vec()).unwrap();
        let bad = pem::encode(SIGSTORE_LABEL, json.replace("65536", "1024").as_bytes());
        let err = decrypt_private_key(bad.as_bytes(), b"").unwrap_err();
        assert!(err.to_string().contains("kdf.params.N is 1024"), "{err}");
    }
}
