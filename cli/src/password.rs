//! Where the private key password comes from, as cosign does: `HSIGN_PASSWORD` or `COSIGN_PASSWORD` when set
//! (even to the empty string); otherwise a prompt on the terminal (asked twice when creating a key);
//! otherwise all of standard input, byte for byte. The password is zeroized after use.

use std::io::{IsTerminal as _, Read as _};

use hsign_core::keys::Zeroizing;

use crate::error::CliError;
use crate::exit::Exit;

/// Whether the password protects a new key (ask twice) or opens an existing one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Encrypting a new key.
    Create,
    /// Decrypting an existing key.
    Open,
}

/// The environment variables read, in order.
pub const ENV_VARS: [&str; 2] = ["HSIGN_PASSWORD", "COSIGN_PASSWORD"];

/// Reads the password. `stdin_busy` is true when standard input carries the artifact, so it cannot also
/// carry the password.
pub fn read(purpose: Purpose, stdin_busy: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
    for var in ENV_VARS {
        if let Some(v) = std::env::var_os(var) {
            return Ok(Zeroizing::new(v.into_encoded_bytes()));
        }
    }
    if std::io::stdin().is_terminal() {
        return prompt(purpose);
    }
    if stdin_busy {
        return Err(CliError::usage(
            "the artifact is read from standard input, so the password cannot be; set HSIGN_PASSWORD or COSIGN_PASSWORD",
        ));
    }
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(|e| CliError::new(Exit::Failure, format!("reading the password from standard input: {e}")))?;
    Ok(buf)
}

fn prompt(purpose: Purpose) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let ask = |text: &str| {
        rpassword::prompt_password(text)
            .map(|s| Zeroizing::new(s.into_bytes()))
            .map_err(|e| CliError::new(Exit::Failure, format!("reading the password from the terminal: {e}")))
    };
    let first = ask("Enter password for private key: ")?;
    if purpose == Purpose::Create {
        let again = ask("Enter password for private key again: ")?;
        if *first != *again {
            return Err(CliError::usage("the passwords do not match"));
        }
    }
    Ok(first)
}
