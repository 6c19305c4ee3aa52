//! One module per command group; shared loading of keys and artifacts lives here.

pub mod artifact;
pub mod attest;
pub mod gate;
pub mod image;
pub mod initialize;
pub mod keyless;
pub mod keys;
pub mod predicate_policy;
pub mod rekor;
pub mod sign_blob;
pub mod timestamp;
pub mod transfer;
pub mod trust;
pub mod verify_blob;

use std::path::Path;

use hsign_core::keys::{KeyError, PrivateKey, PublicKey, Zeroizing};

use crate::error::CliError;
use crate::fsio;
use crate::password::{self, Purpose};

/// Loads a private key: a cosign encrypted key (asking for its password) or an unencrypted PEM/DER key. The
/// file's bytes are zeroized after use.
pub fn load_private_key(path: &Path, stdin_busy: bool) -> Result<PrivateKey, CliError> {
    let data = Zeroizing::new(fsio::read_document(path, "key file")?);
    enum Failure {
        Key(KeyError),
        Cli(CliError),
    }
    impl From<KeyError> for Failure {
        fn from(e: KeyError) -> Self {
            Self::Key(e)
        }
    }
    hsign_core::keys::load_private_key(&data, || {
        password::read(Purpose::Open, stdin_busy).map_err(Failure::Cli)
    })
    .map_err(|f| match f {
        Failure::Key(e) => CliError::key(path, &e),
        Failure::Cli(e) => e,
    })
}

/// Loads a public key (PEM or DER).
pub fn load_public_key(path: &Path) -> Result<PublicKey, CliError> {
    let data = fsio::read_document(path, "public key file")?;
    PublicKey::from_pem_or_der(&data).map_err(|e| CliError::key(path, &e))
}
