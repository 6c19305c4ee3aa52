//! The signer and verifier traits: what the rest of hsign signs and verifies with, so software keys today and
//! hardware keys (PKCS#11) later are interchangeable.

use crate::{HashAlgorithm, KeyError, PrivateKey, PublicKey};

/// Something that can sign: a software key now, a hardware token later.
pub trait Signer: Send + Sync {
    /// The public key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;

    /// The hash this signer signs digests with, or `None` when it signs whole messages only (Ed25519).
    fn signing_hash(&self) -> Option<HashAlgorithm> {
        self.public_key().kind().signing_hash()
    }

    /// Signs a digest computed with `algorithm`.
    fn sign_digest(&self, algorithm: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>, KeyError>;

    /// Signs a whole message.
    fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// Something that can verify signatures.
pub trait Verifier: Send + Sync {
    /// Verifies `signature` over a digest computed with `algorithm`.
    fn verify_digest(&self, algorithm: HashAlgorithm, digest: &[u8], signature: &[u8]) -> Result<(), KeyError>;

    /// Verifies `signature` over `message`.
    fn verify_message(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError>;
}

impl Signer for PrivateKey {
    fn public_key(&self) -> PublicKey {
        PrivateKey::public_key(self)
    }

    fn sign_digest(&self, algorithm: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>, KeyError> {
        PrivateKey::sign_digest(self, algorithm, digest)
    }

    fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        PrivateKey::sign_message(self, message)
    }
}

impl Verifier for PublicKey {
    fn verify_digest(&self, algorithm: HashAlgorithm, digest: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        PublicKey::verify_digest(self, algorithm, digest, signature)
    }

    fn verify_message(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        PublicKey::verify_message(self, message, signature)
    }
}
