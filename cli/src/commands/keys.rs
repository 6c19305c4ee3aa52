//! `generate-key-pair`, `import-key-pair` and `public-key`.

use std::path::{Path, PathBuf};

use serde_json::json;

use hsign_core::keys::{PrivateKey, encrypt_private_key};

use crate::args::{GenerateKeyPairArgs, ImportKeyPairArgs, PublicKeyArgs};
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;
use crate::password::{self, Purpose};

/// `generate-key-pair`.
pub fn generate(args: &GenerateKeyPairArgs, out: Printer) -> Result<(), CliError> {
    let (key_path, pub_path) = paths(&args.output_key_prefix);
    refuse_existing(&[&key_path, &pub_path], args.force)?;
    let key = PrivateKey::generate_p256().map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
    write_pair(&key, &key_path, &pub_path, args.force, out)
}

/// `import-key-pair`.
pub fn import(args: &ImportKeyPairArgs, out: Printer) -> Result<(), CliError> {
    let (key_path, pub_path) = paths(&args.output_key_prefix);
    refuse_existing(&[&key_path, &pub_path], args.force)?;
    let data = hsign_core::keys::Zeroizing::new(fsio::read_document(&args.key, "key file")?);
    let key = PrivateKey::from_pem_or_der(&data).map_err(|e| CliError::key(&args.key, &e))?;
    write_pair(&key, &key_path, &pub_path, args.force, out)
}

/// `public-key`.
pub fn public_key(args: &PublicKeyArgs, out: Printer) -> Result<(), CliError> {
    let key = super::load_private_key(&args.key, false)?;
    let public = key.public_key();
    let pem = public.to_pem();
    if let Some(path) = &args.outfile {
        fsio::write_atomic(path, pem.as_bytes(), 0o644, true)?;
        out.info(&format!("Public key written to {}", path.display()));
    }
    if out.json() {
        out.json_value(&json!({
            "publicKey": pem,
            "keyType": public.kind().describe(),
            "keyFingerprint": public.fingerprint_string(),
        }));
    } else if args.outfile.is_none() {
        out.data(&pem);
    }
    Ok(())
}

fn paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let mut key = prefix.as_os_str().to_owned();
    key.push(".key");
    let mut public = prefix.as_os_str().to_owned();
    public.push(".pub");
    (PathBuf::from(key), PathBuf::from(public))
}

/// Checked before asking for a password, so nobody types one for nothing.
fn refuse_existing(paths: &[&Path], force: bool) -> Result<(), CliError> {
    if force {
        return Ok(());
    }
    match paths.iter().find(|p| std::fs::symlink_metadata(p).is_ok()) {
        Some(p) => Err(
            CliError::new(Exit::Failure, format!("'{}' already exists", p.display()))
                .hint("pass --force to overwrite it"),
        ),
        None => Ok(()),
    }
}

fn write_pair(key: &PrivateKey, key_path: &Path, pub_path: &Path, force: bool, out: Printer) -> Result<(), CliError> {
    let password = password::read(Purpose::Create, false)?;
    let encrypted = encrypt_private_key(key, &password).map_err(|e| CliError::new(Exit::Failure, e.to_string()))?;
    drop(password);
    // Both files are fully written before either is renamed into place.
    let staged_key = fsio::stage(key_path, encrypted.as_bytes(), 0o600, force)?;
    let staged_pub = fsio::stage(pub_path, key.public_key().to_pem().as_bytes(), 0o644, force)?;
    staged_key.commit()?;
    staged_pub.commit()?;
    if out.json() {
        out.json_value(&json!({"privateKey": key_path, "publicKey": pub_path}));
    } else {
        out.info(&format!("Private key written to {}", key_path.display()));
        out.info(&format!("Public key written to {}", pub_path.display()));
    }
    Ok(())
}
