//! Private keys: generation, reading unencrypted PKCS#8, SEC1 and PKCS#1 (PEM or DER) as
//! `cosign import-key-pair` does, writing PKCS#8 DER for encryption, and signing.

use der::Decode as _;
use pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use signature::hazmat::PrehashSigner as _;
use zeroize::Zeroizing;

use crate::public_key::{RSA_BITS, curve_name, oid};
use crate::{HashAlgorithm, KeyError, PublicKey, pem, random};

/// A private key of one of the supported kinds. Key material is zeroized on drop by the underlying types.
pub enum PrivateKey {
    /// ECDSA P-256 (the default).
    EcdsaP256(p256::ecdsa::SigningKey),
    /// ECDSA P-384.
    EcdsaP384(p384::ecdsa::SigningKey),
    /// ECDSA P-521.
    EcdsaP521(p521::ecdsa::SigningKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// RSA, 2048 to 4096 bits.
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "PrivateKey({})", self.public_key().kind().describe())
    }
}

impl PrivateKey {
    /// Generates a new ECDSA P-256 key from the operating system's random number generator.
    pub fn generate_p256() -> Result<Self, KeyError> {
        for _ in 0..8 {
            let mut bytes = Zeroizing::new([0u8; 32]);
            random::fill(bytes.as_mut())?;
            // A random 32-byte string is a valid scalar except with negligible probability; retry if not.
            if let Ok(key) = p256::ecdsa::SigningKey::from_slice(bytes.as_ref()) {
                return Ok(Self::EcdsaP256(key));
            }
        }
        Err(KeyError::Random)
    }

    /// Reads an unencrypted private key: PEM (`PRIVATE KEY`, `EC PRIVATE KEY`, `RSA PRIVATE KEY`) or DER
    /// (PKCS#8, SEC1 or PKCS#1). Curves other than P-256/384/521 and RSA outside 2048-4096 bits are refused,
    /// as cosign refuses them.
    pub fn from_pem_or_der(data: &[u8]) -> Result<Self, KeyError> {
        if !pem::looks_like_pem(data) {
            return Self::from_pkcs8_der(data)
                .or_else(|e| Self::from_sec1_der(data).map_err(|_| e))
                .or_else(|e| Self::from_pkcs1_der(data).map_err(|_| e));
        }
        let blocks = pem::decode_all(data)?;
        // `openssl ecparam -genkey` writes an `EC PARAMETERS` block before the key: skip non-key blocks.
        let Some(block) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
            let labels: Vec<_> = blocks.iter().map(|b| format!("'{}'", b.label)).collect();
            return Err(KeyError::Unsupported(format!(
                "unsupported private key: found {} where a private key PEM block was expected",
                if labels.is_empty() {
                    "no PEM block".to_string()
                } else {
                    labels.join(", ")
                }
            )));
        };
        match block.label.as_str() {
            "PRIVATE KEY" => Self::from_pkcs8_der(&block.contents),
            "EC PRIVATE KEY" => Self::from_sec1_der(&block.contents),
            "RSA PRIVATE KEY" => Self::from_pkcs1_der(&block.contents),
            "ENCRYPTED PRIVATE KEY" => Err(KeyError::Unsupported(
                "password-protected PKCS#8 keys are not supported; decrypt it first (openssl pkcs8)".into(),
            )),
            other => Err(KeyError::Unsupported(format!(
                "unsupported private key PEM block '{other}'"
            ))),
        }
    }

    /// Reads a PKCS#8 PrivateKeyInfo (v1 or v2) in DER.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der)
            .map_err(|e| KeyError::PrivateKey(format!("not a DER PKCS#8 private key: {e}")))?;
        let bad = |e: &dyn std::fmt::Display| KeyError::PrivateKey(e.to_string());
        match info.algorithm.oid {
            oid::EC_PUBLIC_KEY => {
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .map_err(|_| KeyError::PrivateKey("EC key without a named curve".into()))?;
                match curve {
                    oid::P256 => p256::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map(Self::EcdsaP256)
                        .map_err(|e| bad(&e)),
                    oid::P384 => p384::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map(Self::EcdsaP384)
                        .map_err(|e| bad(&e)),
                    oid::P521 => p521::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map(Self::EcdsaP521)
                        .map_err(|e| bad(&e)),
                    other => Err(unsupported_curve(other)),
                }
            }
            oid::ED25519 => ed25519_dalek::SigningKey::from_pkcs8_der(der)
                .map(Self::Ed25519)
                .map_err(|e| bad(&e)),
            oid::RSA => Self::from_rsa(rsa::RsaPrivateKey::from_pkcs8_der(der).map_err(|e| bad(&e))?),
            other => Err(KeyError::Unsupported(format!(
                "unsupported private key algorithm {other}"
            ))),
        }
    }

    /// Reads a SEC1 `ECPrivateKey` in DER.
    pub fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = sec1::EcPrivateKey::from_der(der)
            .map_err(|e| KeyError::PrivateKey(format!("not a DER SEC1 EC private key: {e}")))?;
        let curve = key
            .parameters
            .and_then(|p| p.named_curve())
            .ok_or_else(|| KeyError::PrivateKey("EC private key without a named curve".into()))?;
        let bad = |e: &dyn std::fmt::Display| KeyError::PrivateKey(format!("error parsing ecdsa private key: {e}"));
        match curve {
            oid::P256 => p256::SecretKey::from_sec1_der(der)
                .map(|k| Self::EcdsaP256(k.into()))
                .map_err(|e| bad(&e)),
            oid::P384 => p384::SecretKey::from_sec1_der(der)
                .map(|k| Self::EcdsaP384(k.into()))
                .map_err(|e| bad(&e)),
            oid::P521 => p521::SecretKey::from_sec1_der(der)
                .map_err(|e| bad(&e))
                .and_then(|k| p521::ecdsa::SigningKey::from_slice(&k.to_bytes()).map_err(|e| bad(&e)))
                .map(Self::EcdsaP521),
            other => Err(unsupported_curve(other)),
        }
    }

    /// Reads a PKCS#1 `RSAPrivateKey` in DER.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        use pkcs1::DecodeRsaPrivateKey as _;
        let key = rsa::RsaPrivateKey::from_pkcs1_der(der)
            .map_err(|e| KeyError::PrivateKey(format!("not a DER PKCS#1 RSA private key: {e}")))?;
        Self::from_rsa(key)
    }

    fn from_rsa(key: rsa::RsaPrivateKey) -> Result<Self, KeyError> {
        use rsa::traits::PublicKeyParts as _;
        let bits = key.size() * 8;
        if !RSA_BITS.contains(&bits) {
            return Err(KeyError::Unsupported(format!(
                "error validating rsa key: key size not supported: {bits} (2048 to 4096 are)"
            )));
        }
        Ok(Self::Rsa(Box::new(key)))
    }

    /// The PKCS#8 DER encoding (version 1, as Go's `x509.MarshalPKCS8PrivateKey` writes), zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = match self {
            Self::EcdsaP256(k) => k.to_pkcs8_der(),
            Self::EcdsaP384(k) => k.to_pkcs8_der(),
            Self::EcdsaP521(k) => k.to_pkcs8_der(),
            Self::Ed25519(k) => return Ok(ed25519_pkcs8_v1(&k.to_bytes())),
            Self::Rsa(k) => k.to_pkcs8_der(),
        }
        .map_err(|e| KeyError::PrivateKey(format!("cannot encode key as PKCS#8: {e}")))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The public half of this key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            Self::EcdsaP256(k) => PublicKey::EcdsaP256(*k.verifying_key()),
            Self::EcdsaP384(k) => PublicKey::EcdsaP384(*k.verifying_key()),
            Self::EcdsaP521(k) => PublicKey::EcdsaP521(*k.verifying_key()),
            Self::Ed25519(k) => PublicKey::Ed25519(k.verifying_key()),
            Self::Rsa(k) => PublicKey::Rsa(Box::new(k.to_public_key())),
        }
    }

    /// Signs a digest computed with `algorithm`: an ASN.1 DER ECDSA signature, or a PKCS#1 v1.5 RSA
    /// signature. Ed25519 cannot sign a digest (pure Ed25519 needs the message).
    pub fn sign_digest(&self, algorithm: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>, KeyError> {
        if digest.len() != algorithm.output_len() {
            return Err(KeyError::Signing(format!(
                "digest length {} does not match {}",
                digest.len(),
                algorithm.name()
            )));
        }
        let failed = |e: &dyn std::fmt::Display| KeyError::Signing(e.to_string());
        match self {
            Self::EcdsaP256(k) => {
                let sig: ecdsa::der::Signature<p256::NistP256> = k.sign_prehash(digest).map_err(|e| failed(&e))?;
                Ok(sig.as_bytes().to_vec())
            }
            Self::EcdsaP384(k) => {
                let sig: ecdsa::der::Signature<p384::NistP384> = k.sign_prehash(digest).map_err(|e| failed(&e))?;
                Ok(sig.as_bytes().to_vec())
            }
            Self::EcdsaP521(k) => {
                let sig: p521::ecdsa::Signature = k.sign_prehash(digest).map_err(|e| failed(&e))?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            Self::Ed25519(_) => Err(KeyError::UnsupportedOperation(
                "Ed25519 keys sign the whole message, not a digest".into(),
            )),
            Self::Rsa(k) => {
                let scheme = match algorithm {
                    HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                k.sign(scheme, digest).map_err(|e| failed(&e))
            }
        }
    }

    /// Signs `message`: Ed25519 signs it directly; other kinds hash it with their signing hash first.
    pub fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match self {
            Self::Ed25519(k) => {
                use ed25519_dalek::Signer as _;
                Ok(k.sign(message).to_bytes().to_vec())
            }
            _ => {
                let alg = self.public_key().kind().signing_hash().unwrap_or(HashAlgorithm::Sha256);
                self.sign_digest(alg, &alg.digest(message))
            }
        }
    }
}

fn unsupported_curve(curve: der::asn1::ObjectIdentifier) -> KeyError {
    KeyError::Unsupported(format!(
        "error validating ecdsa key: ECDSA curve {} not allowed (P-256, P-384 and P-521 are)",
        curve_name(curve)
    ))
}

/// PKCS#8 v1 for an Ed25519 seed (RFC 8410 §7): the form Go writes and every reader accepts.
fn ed25519_pkcs8_v1(seed: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    const PREFIX: [u8; 16] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ];
    let mut out = Zeroizing::new(Vec::with_capacity(48));
    out.extend_from_slice(&PREFIX);
    out.extend_from_slice(seed);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_signs_and_verifies_round_trip() {
        let key = PrivateKey::generate_p256().unwrap();
        let sig = key.sign_message(b"hello").unwrap();
        key.public_key().verify_message(b"hello", &sig).unwrap();
        assert!(key.public_key().verify_message(b"hellO", &sig).is_err());
        let der = key.to_pkcs8_der().unwrap();
        let again = PrivateKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(again.public_key(), key.public_key());
    }

    #[test]
    fn ed25519_pkcs8_v1_round_trips() {
        let key = PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]));
        let der = key.to_pkcs8_der().unwrap();
        let again = PrivateKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let sig = again.sign_message(b"m").unwrap();
        key.public_key().verify_message(b"m", &sig).unwrap();
    }

    #[test]
    fn the_fast_message_path_agrees_with_the_digest_path() {
        let p384 = PrivateKey::from_pkcs8_der(
            &p384::SecretKey::from_slice(&[9u8; 48])
                .unwrap()
                .to_pkcs8_der()
                .unwrap()
                .to_bytes(),
        )
        .unwrap();
        for key in [PrivateKey::generate_p256().unwrap(), p384] {
            let public = key.public_key();
            for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
                let sig = key.sign_digest(alg, &alg.digest(b"message")).unwrap();
                public.verify_message_hashed(alg, b"message", &sig).unwrap();
                public.verify_digest(alg, &alg.digest(b"message"), &sig).unwrap();
                // Another message, another hash, a flipped bit: refused by both paths.
                assert!(public.verify_message_hashed(alg, b"messagE", &sig).is_err());
                let other = if alg == HashAlgorithm::Sha256 {
                    HashAlgorithm::Sha384
                } else {
                    HashAlgorithm::Sha256
                };
                assert!(public.verify_message_hashed(other, b"message", &sig).is_err());
                let mut bad = sig.clone();
                let n = bad.len() - 3;
                bad[n] ^= 1;
                assert!(public.verify_message_hashed(alg, b"message", &bad).is_err());
                assert!(public.verify_digest(alg, &alg.digest(b"message"), &bad).is_err());
            }
        }
    }

    #[test]
    fn refuses_public_key_where_private_expected() {
        let key = PrivateKey::generate_p256().unwrap();
        let err = PrivateKey::from_pem_or_der(key.public_key().to_pem().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("unsupported private key"), "{err}");
    }
}
