//! The CLI's error: a message, the causes beneath it, an optional hint that may name flags, and the exit status.
//! Library errors never mention flags; hints are added here.

use std::fmt::Display;
use std::path::Path;

use crate::exit::{self, Exit};
use hsign_core::FormatError;
use hsign_core::keys::KeyError;
use hsign_core::verify::VerifyError;

/// A failure to report to the user.
#[derive(Debug)]
pub struct CliError {
    /// The exit status.
    pub exit: Exit,
    /// The one-line message.
    pub message: String,
    /// The chain of causes, outermost first.
    pub causes: Vec<String>,
    /// Advice, printed after a blank line.
    pub hint: Option<String>,
    /// The JSON document already on stdout carries this failure (the gate's report): print no error document.
    pub in_report: bool,
}

impl CliError {
    /// A new error.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            causes: Vec::new(),
            hint: None,
            in_report: false,
        }
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the `source()` chain of `err` as causes.
    pub fn caused_by(mut self, err: &dyn std::error::Error) -> Self {
        let mut next = err.source();
        while let Some(e) = next {
            self.causes.push(e.to_string());
            next = e.source();
        }
        self
    }

    /// A file could not be read or written.
    pub fn io(path: &Path, what: &str, err: &std::io::Error) -> Self {
        let reason = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        };
        Self::new(Exit::Failure, format!("{what} '{}': {reason}", path.display()))
    }

    /// A file holds something other than what was expected.
    pub fn format(path: &Path, err: &FormatError) -> Self {
        Self::new(Exit::Input, format!("'{}': {err}", path.display()))
    }

    /// A key file could not be read or decrypted.
    pub fn key(path: &Path, err: &KeyError) -> Self {
        let e = Self::new(
            exit::for_key_error(err),
            format!("key file '{}': {err}", path.display()),
        );
        match err {
            KeyError::WrongPassword => {
                e.hint("the password comes from HSIGN_PASSWORD or COSIGN_PASSWORD when set (even empty), else a prompt or standard input")
            }
            _ => e,
        }
    }

    /// Verification failed.
    pub fn verify(err: &VerifyError) -> Self {
        let e = Self::new(exit::for_verify_error(err), format!("verification failed: {err}")).caused_by(err);
        match err {
            VerifyError::TlogMissing => e.hint(
                "this signature was not recorded in a transparency log; pass --insecure-ignore-tlog to accept it anyway (as cosign requires)",
            ),
            VerifyError::Tlog(hsign_core::tlog::TlogError::UnknownLog { .. }) => e.hint(
                "the entry's log is not in the trusted material: pass its key with --rekor-public-key (or SIGSTORE_REKOR_PUBLIC_KEY) or a trusted_root.json with --trusted-root",
            ),
            VerifyError::PredicateTypeMismatch { .. } => e.hint("choose the predicate type with --type"),
            _ => e,
        }
    }

    /// A registry operation failed.
    pub fn registry(err: &hsign_core::oci::RegistryError) -> Self {
        let e = Self::new(Exit::Failure, err.to_string());
        match err {
            hsign_core::oci::RegistryError::Denied { .. } => {
                e.hint("log in with `docker login` (hsign reads ~/.docker/config.json, $DOCKER_CONFIG and $REGISTRY_AUTH_FILE)")
            }
            hsign_core::oci::RegistryError::Transport { reason, .. } if reason.contains("plain HTTP") => {
                e.hint("pass --allow-http-registry for a registry that only speaks HTTP")
            }
            _ => e,
        }
    }

    /// An image did not verify.
    pub fn image(err: &hsign_core::image::verify::ImageError) -> Self {
        use hsign_core::image::verify::ImageError;
        match err {
            ImageError::Registry(r) => Self::registry(r),
            ImageError::NoneVerified { image, rejected } => {
                let mut e = Self::new(
                    exit::for_image_error(err),
                    format!("no matching signatures for {image}"),
                );
                e.causes = rejected.iter().map(|(s, r)| format!("{s}: {r}")).collect();
                if rejected.iter().any(|(_, r)| r.contains("no transparency log entry")) {
                    e = e
                        .hint("signatures without a transparency log entry need --insecure-ignore-tlog (as in cosign)");
                }
                e
            }
            _ => Self::new(exit::for_image_error(err), err.to_string()),
        }
    }

    /// A flag combination or value is wrong.
    pub fn usage(message: impl Display) -> Self {
        Self::new(Exit::Usage, message.to_string())
    }
}
