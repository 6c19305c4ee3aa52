//! Certificate authorities (Fulcio) and timestamping authorities as a trusted root lists them
//! (`CertificateAuthority`): a certificate chain and when it may be trusted. The certificates stay DER bytes
//! here; the verifier parses them.

use super::DOC;
use super::raw::RawAuthority;
use super::validity::{self, Bounds, Validity};
use crate::FormatError;
use crate::encoding::b64;
use crate::limits;

/// A certificate authority (Fulcio) or a timestamping authority of a trusted root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// The authority's name as `O=<organization>, CN=<common name>` (either part left out when the document
    /// leaves it out); empty when the document gives no subject. Informational: nothing is matched on it.
    pub subject: String,
    /// The authority's URL (`https://fulcio.sigstore.dev`), empty when the document gives none.
    pub uri: String,
    /// The certificates as listed, DER: for Fulcio the intermediates then the root; for a TSA possibly the
    /// signing (leaf) certificate first. Never empty.
    pub cert_chain: Vec<Vec<u8>>,
    /// The operator of the authority (`sigstore.dev`), empty when the document names none (roots before v0.2).
    pub operator: String,
    /// When the authority may be trusted. Both bounds may be open: sigstore-go treats an authority's
    /// `validFor` and its `start` as optional, and so does hsign.
    pub valid_for: Validity,
}

/// Reads the authority at `at` (`certificateAuthorities[0]`).
pub(super) fn parse(raw: RawAuthority, at: &str) -> Result<CertificateAuthority, FormatError> {
    let field = |name: &str| format!("{at}.{name}");
    let chain = raw
        .cert_chain
        .ok_or_else(|| FormatError::new(DOC, field("certChain"), "is missing"))?;
    let certificates = chain.certificates.unwrap_or_default();
    if certificates.is_empty() {
        return Err(FormatError::new(DOC, field("certChain.certificates"), "is empty"));
    }
    if certificates.len() > limits::MAX_CHAIN_LEN {
        return Err(FormatError::new(
            DOC,
            field("certChain.certificates"),
            format!(
                "has {} certificates, more than the {} hsign accepts",
                certificates.len(),
                limits::MAX_CHAIN_LEN
            ),
        ));
    }
    let cert_chain = certificates
        .into_iter()
        .enumerate()
        .map(|(i, cert)| {
            let name = field(&format!("certChain.certificates[{i}].rawBytes"));
            match cert.raw_bytes.as_deref() {
                None | Some("") => Err(FormatError::new(DOC, name, "is missing or empty")),
                Some(s) => b64(s).map_err(|r| FormatError::new(DOC, name, r)),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let valid_for = validity::parse(raw.valid_for, &field("validFor"), Bounds::Optional)?;
    let subject = raw
        .subject
        .map(|name| {
            let parts = [("O", name.organization), ("CN", name.common_name)];
            parts
                .into_iter()
                .filter_map(|(key, value)| value.filter(|v| !v.is_empty()).map(|v| format!("{key}={v}")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Ok(CertificateAuthority {
        subject,
        uri: raw.uri.unwrap_or_default(),
        cert_chain,
        operator: raw.operator.unwrap_or_default(),
        valid_for,
    })
}
