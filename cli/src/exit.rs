//! Exit codes, decided in one place. cosign's codes are kept (10-13); hsign adds its own for usage, input and
//! password errors. The README documents this table.

use hsign_core::keys::KeyError;
use hsign_core::verify::VerifyError;

/// An exit status of `hsign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success = 0,
    /// 1: any other failure (I/O, an output file that exists, internal errors).
    Failure = 1,
    /// 2: bad or conflicting flags.
    Usage = 2,
    /// 3: an input file or field is malformed, unsupported, or not what was expected.
    Input = 3,
    /// 4: a private key could not be decrypted (wrong password).
    Password = 4,
    /// 10: no signature was found (cosign's code).
    NoSignature = 10,
    /// 11: the image or tag does not exist (cosign's code).
    NotFound = 11,
    /// 12: signatures were found, but none verified (cosign's code).
    NoMatchingSignature = 12,
    /// 13: the signature has no certificate where one is required (cosign's code).
    NoCertificate = 13,
}

/// The exit status for a failed verification: every way a signature can fail to verify is "no matching
/// signature", so a deploy gate only needs to test for 12.
pub fn for_verify_error(err: &VerifyError) -> Exit {
    match err {
        VerifyError::ArtifactRequired => Exit::Usage,
        VerifyError::CertificateRequired => Exit::NoCertificate,
        _ => Exit::NoMatchingSignature,
    }
}

/// The exit status for a key that could not be read or used.
pub fn for_key_error(err: &KeyError) -> Exit {
    match err {
        KeyError::WrongPassword => Exit::Password,
        KeyError::Random | KeyError::Signing(_) => Exit::Failure,
        _ => Exit::Input,
    }
}

/// The exit status for an image that did not verify.
pub fn for_image_error(err: &hsign_core::image::verify::ImageError) -> Exit {
    use hsign_core::image::verify::ImageError;
    match err {
        ImageError::NotFound(_) => Exit::NotFound,
        ImageError::NoSignatures { .. } => Exit::NoSignature,
        ImageError::NoneVerified { .. } => Exit::NoMatchingSignature,
        _ => Exit::Failure,
    }
}
