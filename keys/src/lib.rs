//! hsign-keys: the key material of hsign.
//!
//! This crate knows keys and nothing else: generating them, reading and writing cosign's encrypted private
//! key PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`), reading public keys, and signing and verifying bytes or
//! digests with them. It has no network and no registry knowledge; wire formats live in `hsign-core`.
//!
//! Supported algorithms: ECDSA P-256 (the default), P-384 and P-521, Ed25519, and RSA 2048-4096 bits
//! (PKCS#1 v1.5 signing; PKCS#1 v1.5 and PSS verification).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cosign_key;
mod error;
mod hash;
pub mod pem;
mod private_key;
mod public_key;
mod random;
mod signer;

pub use cosign_key::{
    COSIGN_LABEL, EncryptedKeyParams, SIGSTORE_LABEL, decrypt_private_key, encrypt_private_key, load_private_key,
};
pub use error::KeyError;
pub use hash::{HashAlgorithm, Hasher};
pub use private_key::PrivateKey;
pub use public_key::{KeyKind, PublicKey};
pub use signer::{Signer, Verifier};
pub use zeroize::Zeroizing;
