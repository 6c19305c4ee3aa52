//! One module per command group; shared loading of keys and artifacts lives here.

pub mod artifact;
pub mod image;
pub mod keys;
pub mod sign_blob;
pub mod verify_blob;

use std::path::Path;

use hsign_core::keys::{COSIGN_LABEL, PrivateKey, PublicKey, SIGSTORE_LABEL, decrypt_private_key};

use crate::error::CliError;
use crate::fsio;
use crate::password::{self, Purpose};

/// Loads a private key: a cosign encrypted key (asking for its password) or an unencrypted PEM/DER key.
pub fn load_private_key(path: &Path, stdin_busy: bool) -> Result<PrivateKey, CliError> {
    let data = fsio::read_document(path, "key file")?;
    let text = String::from_utf8_lossy(&data);
    if text.contains(SIGSTORE_LABEL) || text.contains(COSIGN_LABEL) {
        let pw = password::read(Purpose::Open, stdin_busy)?;
        return decrypt_private_key(&data, &pw)
            .map(|(k, _)| k)
            .map_err(|e| CliError::key(path, &e));
    }
    PrivateKey::from_pem_or_der(&data).map_err(|e| CliError::key(path, &e))
}

/// Loads a public key (PEM or DER).
pub fn load_public_key(path: &Path) -> Result<PublicKey, CliError> {
    let data = fsio::read_document(path, "public key file")?;
    PublicKey::from_pem_or_der(&data).map_err(|e| CliError::key(path, &e))
}
