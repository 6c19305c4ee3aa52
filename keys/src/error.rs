//! The one error type of hsign-keys: every way reading, decrypting or using a key can fail.

use thiserror::Error;

/// What went wrong with a key. Messages never contain secret material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The encrypted key's JSON or its parameters are not cosign's format.
    #[error("encrypted key: {0}")]
    EncryptedFormat(String),
    /// The key decrypted, but the plaintext is not a private key hsign can use.
    #[error("decrypted key is not a PKCS#8 private key: {0}")]
    InnerKey(String),
    /// The input is not PEM (or DER) of the expected kind.
    #[error("{0}")]
    Pem(String),
    /// A private key could not be parsed.
    #[error("invalid private key: {0}")]
    PrivateKey(String),
    /// A public key could not be parsed.
    #[error("invalid public key: {0}")]
    PublicKey(String),
    /// The random number generator of the operating system failed.
    #[error("the system random number generator failed")]
    Random,
    /// Signing failed (for example an RSA operation error).
    #[error("signing failed: {0}")]
    Signing(String),
    /// A signature did not verify against the key.
    #[error("signature does not verify with the given key")]
    SignatureMismatch,
    /// A signature is not in the encoding the algorithm uses (ASN.1 DER for ECDSA, 64 bytes for Ed25519).
    #[error("signature is malformed: {0}")]
    SignatureEncoding(String),
    /// The key is of a kind or size hsign refuses (as cosign does).
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The operation cannot be done with this key (for example Ed25519 over a digest only).
    #[error("{0}")]
    UnsupportedOperation(String),
    /// Decryption failed: the password is wrong, or the ciphertext was altered.
    #[error("wrong password, or the encrypted key was altered (authentication failed)")]
    WrongPassword,
}
