//! Object identifiers of RFC 3161 and CMS, and the mapping from `AlgorithmIdentifier`s to the hash an
//! algorithm uses. Only SHA-2 digests are accepted: SHA-1 and MD5 imprints or signatures are refused.

use der::oid::ObjectIdentifier;
use hsign_keys::HashAlgorithm;

use super::TimestampError;
use super::tlv::{self, Tlv};

/// id-signedData (RFC 5652).
pub(super) const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-ct-TSTInfo (RFC 3161).
pub(super) const TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// The contentType signed attribute (RFC 5652).
pub(super) const ATTR_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// The messageDigest signed attribute (RFC 5652).
pub(super) const ATTR_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// The signingCertificateV2 signed attribute (RFC 5035).
pub(super) const ATTR_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// id-kp-timeStamping (RFC 5280).
pub(super) const KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
/// anyExtendedKeyUsage (RFC 5280).
pub(super) const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// True when the content octets of an OBJECT IDENTIFIER are `oid`.
pub(super) fn is(content: &[u8], oid: &ObjectIdentifier) -> bool {
    content == oid.as_bytes()
}

/// The dotted form of the content octets of an OBJECT IDENTIFIER, or their hex when they are not one.
pub(super) fn display(content: &[u8]) -> String {
    match ObjectIdentifier::from_bytes(content) {
        Ok(oid) => oid.to_string(),
        Err(_) => content.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// Splits an `AlgorithmIdentifier` into the content of its OID and its parameters, if any.
fn split<'a>(alg: &Tlv<'a>, what: &str) -> Result<(&'a [u8], Option<Tlv<'a>>), TimestampError> {
    let mut seq = alg.children(tlv::SEQUENCE, what)?;
    let oid = seq.read_tag(tlv::OID, what)?;
    let params = if seq.is_empty() { None } else { Some(seq.read(what)?) };
    seq.finish(what)?;
    Ok((oid.value, params))
}

/// The SHA-2 hash a digest `AlgorithmIdentifier` names; its parameters must be absent or NULL.
pub(super) fn digest_algorithm(alg: &Tlv<'_>, what: &str) -> Result<HashAlgorithm, TimestampError> {
    let (oid, params) = split(alg, what)?;
    if let Some(p) = params
        && (p.tag != tlv::NULL || !p.value.is_empty())
    {
        return Err(TimestampError::Malformed(format!(
            "{what}: unexpected digest parameters"
        )));
    }
    hash_of(oid).ok_or_else(|| TimestampError::UnsupportedAlgorithm(format!("{what} {}", display(oid))))
}

fn hash_of(oid: &[u8]) -> Option<HashAlgorithm> {
    [
        (SHA256, HashAlgorithm::Sha256),
        (SHA384, HashAlgorithm::Sha384),
        (SHA512, HashAlgorithm::Sha512),
    ]
    .into_iter()
    .find(|(known, _)| is(oid, known))
    .map(|(_, alg)| alg)
}

/// The hash a signature `AlgorithmIdentifier` signs with. A bare key algorithm (`rsaEncryption`,
/// `id-ecPublicKey`, which CMS signers sometimes put there) takes the hash `fallback` (the SignerInfo's
/// digest algorithm); without a fallback it is refused. For Ed25519 the hash is not used.
pub(super) fn signature_hash(
    alg: &Tlv<'_>,
    fallback: Option<HashAlgorithm>,
    what: &str,
) -> Result<HashAlgorithm, TimestampError> {
    let (oid, params) = split(alg, what)?;
    let named = [
        (ECDSA_SHA256, HashAlgorithm::Sha256),
        (ECDSA_SHA384, HashAlgorithm::Sha384),
        (ECDSA_SHA512, HashAlgorithm::Sha512),
        (RSA_SHA256, HashAlgorithm::Sha256),
        (RSA_SHA384, HashAlgorithm::Sha384),
        (RSA_SHA512, HashAlgorithm::Sha512),
        (ED25519, HashAlgorithm::Sha512),
    ];
    if let Some((_, hash)) = named.iter().find(|(known, _)| is(oid, known)) {
        return Ok(*hash);
    }
    let unsupported = || TimestampError::UnsupportedAlgorithm(format!("{what} {}", display(oid)));
    if is(oid, &RSA_PSS) {
        // RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] EXPLICIT AlgorithmIdentifier DEFAULT sha1, ... }
        let params = params.ok_or_else(unsupported)?;
        let mut seq = params.children(tlv::SEQUENCE, what)?;
        let hash = seq.read_optional(tlv::context(0), what)?.ok_or_else(unsupported)?;
        let mut inner = hash.children(tlv::context(0), what)?;
        let alg = inner.read(what)?;
        inner.finish(what)?;
        return digest_algorithm(&alg, what);
    }
    if is(oid, &RSA_ENCRYPTION) || is(oid, &EC_PUBLIC_KEY) {
        return fallback.ok_or_else(unsupported);
    }
    Err(unsupported())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alg_id(oid: &ObjectIdentifier, params: &[u8]) -> Vec<u8> {
        let mut body = vec![tlv::OID, oid.as_bytes().len() as u8];
        body.extend_from_slice(oid.as_bytes());
        body.extend_from_slice(params);
        let mut out = vec![tlv::SEQUENCE, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn maps_digests_and_signatures() {
        let der = alg_id(&SHA384, &[0x05, 0x00]);
        let t = tlv::parse_one(&der, tlv::SEQUENCE, "x").unwrap();
        assert_eq!(digest_algorithm(&t, "x").unwrap(), HashAlgorithm::Sha384);
        let der = alg_id(&ECDSA_SHA256, &[]);
        let t = tlv::parse_one(&der, tlv::SEQUENCE, "x").unwrap();
        assert_eq!(signature_hash(&t, None, "x").unwrap(), HashAlgorithm::Sha256);
        let der = alg_id(&RSA_ENCRYPTION, &[0x05, 0x00]);
        let t = tlv::parse_one(&der, tlv::SEQUENCE, "x").unwrap();
        assert!(signature_hash(&t, None, "x").is_err());
        assert_eq!(
            signature_hash(&t, Some(HashAlgorithm::Sha512), "x").unwrap(),
            HashAlgorithm::Sha512
        );
    }

    #[test]
    fn refuses_sha1() {
        let sha1 = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
        let der = alg_id(&sha1, &[]);
        let t = tlv::parse_one(&der, tlv::SEQUENCE, "imprint").unwrap();
        let e = digest_algorithm(&t, "imprint").unwrap_err();
        assert!(e.to_string().contains("1.3.14.3.2.26"), "{e}");
    }
}
