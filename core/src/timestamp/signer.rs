//! The `SignerInfo` of a timestamp token: who signed (the signer identifier), the signed attributes and the
//! signature, and the checks that bind the attributes to the content and to the signing certificate.

use hsign_keys::HashAlgorithm;

use super::TimestampError;
use super::algorithm::{self, ATTR_CONTENT_TYPE, ATTR_MESSAGE_DIGEST, ATTR_SIGNING_CERTIFICATE_V2, TST_INFO};
use super::cert::Cert;
use super::tlv::{self, Reader, Tlv};
use super::token::Token;

/// How a SignerInfo names its certificate.
pub(super) enum SignerId<'a> {
    /// `issuerAndSerialNumber`: the issuer's Name DER and the serial number's INTEGER content.
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// `subjectKeyIdentifier`.
    KeyId(&'a [u8]),
}

impl SignerId<'_> {
    /// True when `cert` is the certificate this identifier names.
    pub(super) fn matches(&self, cert: &Cert<'_>) -> bool {
        match self {
            Self::IssuerSerial { issuer, serial } => cert.issuer == *issuer && cert.serial == *serial,
            Self::KeyId(id) => cert.subject_key_id().as_deref() == Some(*id),
        }
    }
}

/// One signed attribute: its type (OID content) and its values.
pub(super) struct Attribute<'a> {
    /// The content of the attribute type OID.
    pub oid: &'a [u8],
    /// The values of the SET.
    pub values: Vec<Tlv<'a>>,
}

/// The signer of the token.
pub(super) struct SignerInfo<'a> {
    /// Which certificate signed.
    pub sid: SignerId<'a>,
    /// The digest algorithm of the messageDigest attribute.
    pub digest_algorithm: HashAlgorithm,
    /// The signed attributes, re-tagged from `[0] IMPLICIT` to `SET OF` (0x31): the bytes the signature covers.
    pub signed_attrs_der: Vec<u8>,
    /// The decoded signed attributes.
    pub attributes: Vec<Attribute<'a>>,
    /// The signature algorithm identifier.
    pub signature_algorithm: Tlv<'a>,
    /// The signature value.
    pub signature: &'a [u8],
}

impl<'a> SignerInfo<'a> {
    /// The values of the signed attribute `oid` when it occurs exactly once; `None` when it is absent.
    pub(super) fn attribute(
        &self,
        oid: &der::oid::ObjectIdentifier,
        name: &str,
    ) -> Result<Option<&[Tlv<'a>]>, TimestampError> {
        let mut found = self.attributes.iter().filter(|a| algorithm::is(a.oid, oid));
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some(a), None) => Ok(Some(&a.values)),
            (Some(_), Some(_)) => Err(TimestampError::Malformed(format!(
                "the signed attribute {name} occurs more than once"
            ))),
        }
    }

    /// The single value of the signed attribute `oid`, which must be present.
    pub(super) fn single_value(&self, oid: &der::oid::ObjectIdentifier, name: &str) -> Result<Tlv<'a>, TimestampError> {
        match self.attribute(oid, name)? {
            Some([value]) => Ok(*value),
            Some(values) => Err(TimestampError::Malformed(format!(
                "the signed attribute {name} has {} values, not one",
                values.len()
            ))),
            None => Err(TimestampError::Malformed(format!(
                "the signed attribute {name} is missing"
            ))),
        }
    }
}

pub(super) fn parse<'a>(signer: &Tlv<'a>) -> Result<SignerInfo<'a>, TimestampError> {
    let mut fields = signer.children(tlv::SEQUENCE, "SignerInfo")?;
    let version = tlv::small_integer(
        &fields.read_tag(tlv::INTEGER, "SignerInfo.version")?,
        "SignerInfo.version",
    )?;
    let sid = fields.read("SignerInfo.sid")?;
    // RFC 5652 §5.3: version 1 with issuerAndSerialNumber, 3 with subjectKeyIdentifier.
    let expected_version = if sid.tag == tlv::SEQUENCE { 1 } else { 3 };
    if version != expected_version {
        return Err(TimestampError::Malformed(format!(
            "SignerInfo.version is {version}, not {expected_version} for its kind of signer identifier"
        )));
    }
    let sid = match sid.tag {
        tlv::SEQUENCE => {
            let mut parts = Reader::new(sid.value);
            let issuer = parts.read_tag(tlv::SEQUENCE, "issuerAndSerialNumber.issuer")?.raw;
            let serial = parts
                .read_tag(tlv::INTEGER, "issuerAndSerialNumber.serialNumber")?
                .value;
            parts.finish("issuerAndSerialNumber")?;
            SignerId::IssuerSerial { issuer, serial }
        }
        tag if tag == tlv::context_primitive(0) => SignerId::KeyId(sid.value),
        tag => {
            return Err(TimestampError::Malformed(format!(
                "SignerInfo.sid: unexpected tag 0x{tag:02x}"
            )));
        }
    };
    let digest_alg = fields.read_tag(tlv::SEQUENCE, "SignerInfo.digestAlgorithm")?;
    let digest_algorithm = algorithm::digest_algorithm(&digest_alg, "SignerInfo.digestAlgorithm")?;
    let signed_attrs = fields
        .read_optional(tlv::context(0), "SignerInfo.signedAttrs")?
        .ok_or_else(|| {
            TimestampError::Malformed("the SignerInfo has no signed attributes (required for a TSTInfo)".into())
        })?;
    let signature_algorithm = fields.read_tag(tlv::SEQUENCE, "SignerInfo.signatureAlgorithm")?;
    let signature = fields.read_tag(tlv::OCTET_STRING, "SignerInfo.signature")?.value;
    fields.read_optional(tlv::context(1), "SignerInfo.unsignedAttrs")?;
    fields.finish("SignerInfo")?;

    let mut attributes = Vec::new();
    let mut attrs = Reader::new(signed_attrs.value);
    while !attrs.is_empty() {
        let attr = attrs.read_tag(tlv::SEQUENCE, "signed attribute")?;
        let mut parts = Reader::new(attr.value);
        let oid = parts.read_tag(tlv::OID, "signed attribute type")?.value;
        let set = parts.read_tag(tlv::SET, "signed attribute values")?;
        parts.finish("signed attribute")?;
        let mut values_reader = Reader::new(set.value);
        let mut values = Vec::new();
        while !values_reader.is_empty() {
            values.push(values_reader.read("signed attribute value")?);
        }
        attributes.push(Attribute { oid, values });
    }
    // The signature covers the DER of the attributes as a SET OF: the same bytes with the tag 0x31.
    let mut signed_attrs_der = signed_attrs.raw.to_vec();
    if let Some(first) = signed_attrs_der.first_mut() {
        *first = tlv::SET;
    }
    Ok(SignerInfo {
        sid,
        digest_algorithm,
        signed_attrs_der,
        attributes,
        signature_algorithm,
        signature,
    })
}

/// Checks the signed attributes against the content: the contentType attribute is id-ct-TSTInfo and the
/// messageDigest attribute is the digest of the TSTInfo as received.
pub(super) fn check_content_attributes(token: &Token<'_>) -> Result<(), TimestampError> {
    let signer = &token.signer;
    let content_type = signer.single_value(&ATTR_CONTENT_TYPE, "contentType")?;
    if content_type.tag != tlv::OID || !algorithm::is(content_type.value, &TST_INFO) {
        return Err(TimestampError::BadSignature(
            "the contentType signed attribute is not id-ct-TSTInfo".into(),
        ));
    }
    let digest = signer.single_value(&ATTR_MESSAGE_DIGEST, "messageDigest")?;
    if digest.tag != tlv::OCTET_STRING {
        return Err(TimestampError::Malformed(
            "the messageDigest signed attribute is not an OCTET STRING".into(),
        ));
    }
    let alg = signer.digest_algorithm;
    if digest.value != alg.digest(token.e_content).as_slice() {
        return Err(TimestampError::BadSignature(format!(
            "the messageDigest signed attribute is not the {} digest of the TSTInfo",
            alg.name()
        )));
    }
    Ok(())
}

/// When the signed attributes carry `signingCertificateV2` (RFC 5035), its first ESSCertIDv2 must hold the
/// digest of the signing certificate. (The older `signingCertificate` uses SHA-1, which hsign does not
/// compute; it is ignored.)
pub(super) fn check_signing_certificate_v2(info: &SignerInfo<'_>, signer: &Cert<'_>) -> Result<(), TimestampError> {
    const WHAT: &str = "signingCertificateV2";
    let Some(values) = info.attribute(&ATTR_SIGNING_CERTIFICATE_V2, WHAT)? else {
        return Ok(());
    };
    let [value] = values else {
        return Err(TimestampError::Malformed(format!("{WHAT} must have exactly one value")));
    };
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies SEQUENCE OF ... OPTIONAL }
    let mut fields = value.children(tlv::SEQUENCE, WHAT)?;
    let certs = fields.read_tag(tlv::SEQUENCE, WHAT)?;
    let mut certs = Reader::new(certs.value);
    let first = certs.read_tag(tlv::SEQUENCE, WHAT)?;
    // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT sha256, certHash OCTET STRING, ... }
    let mut id = Reader::new(first.value);
    let alg = match id.read_optional(tlv::SEQUENCE, WHAT)? {
        Some(alg) => algorithm::digest_algorithm(&alg, "ESSCertIDv2.hashAlgorithm")?,
        None => HashAlgorithm::Sha256,
    };
    let hash = id.read_tag(tlv::OCTET_STRING, "ESSCertIDv2.certHash")?.value;
    if alg.digest(signer.der) != hash {
        return Err(TimestampError::BadSignature(format!(
            "the signingCertificateV2 attribute does not name the signing certificate '{}'",
            signer.describe()
        )));
    }
    Ok(())
}
