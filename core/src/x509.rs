//! X.509 certificate helpers: the parts of a certificate the verifier reads.

use der::{Decode as _, Encode as _};

/// The DER SubjectPublicKeyInfo of a DER certificate, or `None` when it is not a certificate.
pub fn spki_der(cert_der: &[u8]) -> Option<Vec<u8>> {
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    cert.tbs_certificate().subject_public_key_info().to_der().ok()
}
