//! Public keys: reading PKIX (`PUBLIC KEY`) and PKCS#1 (`RSA PUBLIC KEY`) PEM or DER, writing PKIX PEM, and
//! verifying signatures over messages or digests.

use der::Decode as _;
use ed25519_dalek::Verifier as _;
use signature::hazmat::PrehashVerifier as _;
use spki::{DecodePublicKey as _, EncodePublicKey as _};

use crate::{HashAlgorithm, KeyError, pem};

/// OIDs of the key algorithms and curves hsign knows.
pub(crate) mod oid {
    use der::asn1::ObjectIdentifier as Oid;
    /// id-ecPublicKey.
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    /// secp256r1 / P-256.
    pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    /// secp384r1 / P-384.
    pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    /// secp521r1 / P-521.
    pub const P521: Oid = Oid::new_unwrap("1.3.132.0.35");
    /// secp224r1 / P-224 (refused, as cosign does).
    pub const P224: Oid = Oid::new_unwrap("1.3.132.0.33");
    /// Ed25519.
    pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
    /// rsaEncryption.
    pub const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
}

/// The smallest and largest RSA moduli hsign accepts, in bits (cosign's limits).
pub(crate) const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// The kind of a key: algorithm and curve or size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// ECDSA on NIST P-521.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
    /// RSA with a modulus of this many bits.
    Rsa(usize),
}

impl KeyKind {
    /// A short human name: `ECDSA P-256`, `RSA 4096`.
    pub fn describe(self) -> String {
        match self {
            Self::EcdsaP256 => "ECDSA P-256".into(),
            Self::EcdsaP384 => "ECDSA P-384".into(),
            Self::EcdsaP521 => "ECDSA P-521".into(),
            Self::Ed25519 => "Ed25519".into(),
            Self::Rsa(bits) => format!("RSA {bits}"),
        }
    }

    /// The hash algorithm hsign signs with for this kind (cosign signs with SHA-256 for every ECDSA and RSA
    /// key loaded from a file); `None` for Ed25519, which signs the message itself.
    pub fn signing_hash(self) -> Option<HashAlgorithm> {
        match self {
            Self::Ed25519 => None,
            _ => Some(HashAlgorithm::Sha256),
        }
    }

    /// The hash algorithms a signature by this kind of key may use when nothing says which, most likely
    /// first. Real signatures use SHA-256 with P-384 keys, so the curve alone does not decide.
    pub fn candidate_hashes(self) -> &'static [HashAlgorithm] {
        match self {
            Self::EcdsaP384 => &[HashAlgorithm::Sha256, HashAlgorithm::Sha384],
            Self::EcdsaP521 => &[HashAlgorithm::Sha256, HashAlgorithm::Sha512],
            Self::Ed25519 => &[],
            _ => &[HashAlgorithm::Sha256],
        }
    }
}

/// A public key of one of the supported kinds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// ECDSA P-256.
    EcdsaP256(p256::ecdsa::VerifyingKey),
    /// ECDSA P-384.
    EcdsaP384(p384::ecdsa::VerifyingKey),
    /// ECDSA P-521.
    EcdsaP521(p521::ecdsa::VerifyingKey),
    /// Ed25519.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// RSA.
    Rsa(Box<rsa::RsaPublicKey>),
}

impl PublicKey {
    /// Reads a public key from PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`) or from DER (PKIX
    /// SubjectPublicKeyInfo). The error says what was found instead.
    pub fn from_pem_or_der(data: &[u8]) -> Result<Self, KeyError> {
        if !pem::looks_like_pem(data) {
            return Self::from_spki_der(data);
        }
        let block = pem::decode_first(data)?;
        match block.label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der(&block.contents),
            "RSA PUBLIC KEY" => {
                use pkcs1::DecodeRsaPublicKey as _;
                let key = rsa::RsaPublicKey::from_pkcs1_der(&block.contents)
                    .map_err(|e| KeyError::PublicKey(format!("RSA PUBLIC KEY: {e}")))?;
                Self::from_rsa(key)
            }
            other if other.contains("PRIVATE KEY") => Err(KeyError::PublicKey(format!(
                "found a '{other}' PEM block where a public key was expected"
            ))),
            other => Err(KeyError::PublicKey(format!(
                "found a '{other}' PEM block, expected 'PUBLIC KEY'"
            ))),
        }
    }

    /// Reads a PKIX SubjectPublicKeyInfo in DER.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| KeyError::PublicKey(format!("not a DER SubjectPublicKeyInfo: {e}")))?;
        let bad = |e: &dyn std::fmt::Display| KeyError::PublicKey(e.to_string());
        match info.algorithm.oid {
            oid::EC_PUBLIC_KEY => {
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .map_err(|_| KeyError::PublicKey("EC key without a named curve".into()))?;
                match curve {
                    oid::P256 => p256::ecdsa::VerifyingKey::from_public_key_der(der)
                        .map(Self::EcdsaP256)
                        .map_err(|e| bad(&e)),
                    oid::P384 => p384::ecdsa::VerifyingKey::from_public_key_der(der)
                        .map(Self::EcdsaP384)
                        .map_err(|e| bad(&e)),
                    oid::P521 => p521::ecdsa::VerifyingKey::from_public_key_der(der)
                        .map(Self::EcdsaP521)
                        .map_err(|e| bad(&e)),
                    other => Err(KeyError::Unsupported(format!(
                        "ECDSA curve {} is not allowed (P-256, P-384 and P-521 are)",
                        curve_name(other)
                    ))),
                }
            }
            oid::ED25519 => ed25519_dalek::VerifyingKey::from_public_key_der(der)
                .map(Self::Ed25519)
                .map_err(|e| bad(&e)),
            oid::RSA => Self::from_rsa(rsa::RsaPublicKey::from_public_key_der(der).map_err(|e| bad(&e))?),
            other => Err(KeyError::Unsupported(format!("key algorithm {other} is not supported"))),
        }
    }

    pub(crate) fn from_rsa(key: rsa::RsaPublicKey) -> Result<Self, KeyError> {
        use rsa::traits::PublicKeyParts as _;
        let bits = key.size() * 8;
        if !RSA_BITS.contains(&bits) {
            return Err(KeyError::Unsupported(format!(
                "RSA key size not supported: {bits} (2048 to 4096 are)"
            )));
        }
        Ok(Self::Rsa(Box::new(key)))
    }

    /// The kind of this key.
    pub fn kind(&self) -> KeyKind {
        match self {
            Self::EcdsaP256(_) => KeyKind::EcdsaP256,
            Self::EcdsaP384(_) => KeyKind::EcdsaP384,
            Self::EcdsaP521(_) => KeyKind::EcdsaP521,
            Self::Ed25519(_) => KeyKind::Ed25519,
            Self::Rsa(k) => {
                use rsa::traits::PublicKeyParts as _;
                KeyKind::Rsa(k.size() * 8)
            }
        }
    }

    /// The PKIX SubjectPublicKeyInfo DER of this key.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let doc = match self {
            Self::EcdsaP256(k) => k.to_public_key_der(),
            Self::EcdsaP384(k) => k.to_public_key_der(),
            Self::EcdsaP521(k) => k.to_public_key_der(),
            Self::Ed25519(k) => k.to_public_key_der(),
            Self::Rsa(k) => k.to_public_key_der(),
        };
        // Encoding a key that was decoded or generated cannot fail: the structures are fixed-size.
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The key as PEM `PUBLIC KEY`, as cosign writes `cosign.pub`.
    pub fn to_pem(&self) -> String {
        pem::encode("PUBLIC KEY", &self.to_spki_der())
    }

    /// SHA-256 of the PKIX DER: the key id Rekor and Sigstore bundles use.
    pub fn fingerprint(&self) -> Vec<u8> {
        HashAlgorithm::Sha256.digest(&self.to_spki_der())
    }

    /// The fingerprint as `sha256:<hex>`.
    pub fn fingerprint_string(&self) -> String {
        let hex: String = self.fingerprint().iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }

    /// Verifies `signature` over a digest computed with `algorithm`. Ed25519 cannot verify a digest alone
    /// (pure Ed25519 signs the message), so it answers [`KeyError::UnsupportedOperation`].
    pub fn verify_digest(&self, algorithm: HashAlgorithm, digest: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        if digest.len() != algorithm.output_len() {
            return Err(KeyError::UnsupportedOperation(format!(
                "a {} digest has {} bytes, got {}",
                algorithm.name(),
                algorithm.output_len(),
                digest.len()
            )));
        }
        match self {
            Self::EcdsaP256(k) => verify_ecdsa::<p256::NistP256>(k, digest, signature),
            Self::EcdsaP384(k) => verify_ecdsa::<p384::NistP384>(k, digest, signature),
            Self::EcdsaP521(k) => {
                let sig = p521::ecdsa::Signature::from_der(signature)
                    .map_err(|e| KeyError::SignatureEncoding(format!("not an ASN.1 DER ECDSA signature: {e}")))?;
                k.verify_prehash(digest, &sig).map_err(|_| KeyError::SignatureMismatch)
            }
            Self::Ed25519(_) => Err(KeyError::UnsupportedOperation(
                "an Ed25519 signature covers the whole message, not a digest: the artifact itself is needed".into(),
            )),
            Self::Rsa(k) => verify_rsa(k, algorithm, digest, signature),
        }
    }

    /// Verifies `signature` over `message` hashed with `algorithm` (Ed25519 verifies the message itself).
    /// ECDSA P-256 and P-384 with SHA-256/SHA-384 use ring's optimized code; any other pair, or a signature
    /// ring refuses, is checked again the general way, so exactly the valid signatures verify.
    pub fn verify_message_hashed(
        &self,
        algorithm: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        use ring::signature as rs;
        let fast: Option<(&'static rs::EcdsaVerificationAlgorithm, Box<[u8]>)> = match (self, algorithm) {
            (Self::EcdsaP256(k), HashAlgorithm::Sha256) => Some((&rs::ECDSA_P256_SHA256_ASN1, k.to_sec1_bytes())),
            (Self::EcdsaP256(k), HashAlgorithm::Sha384) => Some((&rs::ECDSA_P256_SHA384_ASN1, k.to_sec1_bytes())),
            (Self::EcdsaP384(k), HashAlgorithm::Sha256) => Some((&rs::ECDSA_P384_SHA256_ASN1, k.to_sec1_bytes())),
            (Self::EcdsaP384(k), HashAlgorithm::Sha384) => Some((&rs::ECDSA_P384_SHA384_ASN1, k.to_sec1_bytes())),
            (Self::Ed25519(_), _) => return self.verify_message(message, signature),
            _ => None,
        };
        if let Some((alg, point)) = fast
            && rs::UnparsedPublicKey::new(alg, &point)
                .verify(message, signature)
                .is_ok()
        {
            return Ok(());
        }
        self.verify_digest(algorithm, &algorithm.digest(message), signature)
    }

    /// Verifies `signature` over `message`. For ECDSA and RSA the hash is one of the kind's
    /// [`KeyKind::candidate_hashes`]; Ed25519 verifies the message itself.
    pub fn verify_message(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        if let Self::Ed25519(k) = self {
            let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                KeyError::SignatureEncoding(format!("an Ed25519 signature has 64 bytes, got {}", signature.len()))
            })?;
            return k.verify(message, &sig).map_err(|_| KeyError::SignatureMismatch);
        }
        let mut last = KeyError::SignatureMismatch;
        for &alg in self.kind().candidate_hashes() {
            match self.verify_message_hashed(alg, message, signature) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

fn verify_ecdsa<C>(key: &ecdsa::VerifyingKey<C>, digest: &[u8], signature: &[u8]) -> Result<(), KeyError>
where
    C: ecdsa::EcdsaCurve + elliptic_curve::CurveArithmetic,
    ecdsa::der::MaxSize<C>: elliptic_curve::array::ArraySize,
    <elliptic_curve::FieldBytesSize<C> as core::ops::Add>::Output:
        core::ops::Add<ecdsa::der::MaxOverhead> + elliptic_curve::array::ArraySize,
{
    let sig = ecdsa::Signature::<C>::from_der(signature)
        .map_err(|e| KeyError::SignatureEncoding(format!("not an ASN.1 DER ECDSA signature: {e}")))?;
    key.verify_prehash(digest, &sig)
        .map_err(|_| KeyError::SignatureMismatch)
}

fn verify_rsa(key: &rsa::RsaPublicKey, alg: HashAlgorithm, digest: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    use rsa::{Pkcs1v15Sign, Pss};
    let pkcs1 = match alg {
        HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
    };
    if key.verify(pkcs1, digest, signature).is_ok() {
        return Ok(());
    }
    // PSS with the salt length recovered from the signature.
    let pss = match alg {
        HashAlgorithm::Sha256 => key.verify(
            Pss {
                blinded: false,
                digest: sha2::Sha256::default(),
                salt_len: None,
            },
            digest,
            signature,
        ),
        HashAlgorithm::Sha384 => key.verify(
            Pss {
                blinded: false,
                digest: sha2::Sha384::default(),
                salt_len: None,
            },
            digest,
            signature,
        ),
        HashAlgorithm::Sha512 => key.verify(
            Pss {
                blinded: false,
                digest: sha2::Sha512::default(),
                salt_len: None,
            },
            digest,
            signature,
        ),
    };
    pss.map_err(|_| KeyError::SignatureMismatch)
}

pub(crate) fn curve_name(oid: der::asn1::ObjectIdentifier) -> String {
    match oid {
        oid::P224 => "P-224".into(),
        o if o.to_string() == "1.3.132.0.10" => "secp256k1".into(),
        o => o.to_string(),
    }
}
