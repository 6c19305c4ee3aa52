//! A small DER writer for the test certificate authorities (Fulcio, TSA): TLVs with definite lengths and the
//! handful of ASN.1 types their certificates and tokens use.

use der::asn1::ObjectIdentifier;
use hsign_keys::PublicKey;
use sha2::{Digest as _, Sha256};

/// id-at-organizationName.
const ORGANIZATION: &str = "2.5.4.10";
/// id-at-commonName.
const COMMON_NAME: &str = "2.5.4.3";

/// One TLV with a definite DER length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of encoded parts.
pub(crate) fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// A SET OF in DER order: the encoded members sorted.
pub(crate) fn set_of(mut parts: Vec<Vec<u8>>) -> Vec<u8> {
    parts.sort();
    tlv(0x31, &parts.concat())
}

/// A non-negative INTEGER from big-endian bytes (minimal, with a 0 prefix when the high bit is set).
pub(crate) fn uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend_from_slice(&trimmed);
    tlv(0x02, &content)
}

/// An OBJECT IDENTIFIER from its dotted form (a constant of the tests: a bad one is a bug, so it panics).
pub(crate) fn oid(dotted: &str) -> Vec<u8> {
    let id = ObjectIdentifier::new(dotted).unwrap_or_else(|e| panic!("OID {dotted}: {e}"));
    tlv(0x06, id.as_bytes())
}

/// A UTF8String.
pub(crate) fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

/// An OCTET STRING.
pub(crate) fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

/// A BIT STRING with `unused` trailing bits.
pub(crate) fn bits(b: &[u8], unused: u8) -> Vec<u8> {
    let mut content = vec![unused];
    content.extend_from_slice(b);
    tlv(0x03, &content)
}

/// A distinguished name `O=<organization>, CN=<common_name>` (either may be absent; both absent: empty).
pub(crate) fn name(organization: Option<&str>, common_name: Option<&str>) -> Vec<u8> {
    let mut rdns = Vec::new();
    for (attr, value) in [(ORGANIZATION, organization), (COMMON_NAME, common_name)] {
        if let Some(v) = value {
            rdns.push(tlv(0x31, &seq(&[oid(attr), utf8(v)])));
        }
    }
    seq(&rdns)
}

/// A certificate extension.
pub(crate) fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(vec![0x01, 0x01, 0xff]);
    }
    parts.push(octets(value));
    seq(&parts)
}

/// The key identifier of a key: SHA-256 of its SPKI, cut to 20 bytes.
pub(crate) fn key_id(key: &PublicKey) -> Vec<u8> {
    Sha256::digest(key.to_spki_der())[..20].to_vec()
}
