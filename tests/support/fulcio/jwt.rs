//! ES256 JWTs for the test CA's OIDC issuer: minting ([`sign`]) and checking ([`verify`]). JWS carries ECDSA
//! signatures as raw `r || s` (32 bytes each); hsign's keys speak DER, so both directions convert.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hsign_keys::{HashAlgorithm, PrivateKey, PublicKey};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::der_writer::{tlv, uint};

/// A compact JWS of `claims` signed with `key` (header `{"alg":"ES256","typ":"JWT","kid":"hsign-test"}`).
pub(crate) fn sign(key: &PrivateKey, claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT","kid":"hsign-test"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let der = key
        .sign_digest(HashAlgorithm::Sha256, &Sha256::digest(input.as_bytes()))
        .expect("signing a token with the issuer key");
    let raw = der_to_raw(&der).expect("an ECDSA P-256 DER signature");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(raw))
}

/// The claims of `token` when it is an ES256 JWS whose signature verifies with `key`; otherwise what is wrong.
pub(crate) fn verify(key: &PublicKey, token: &str) -> Result<Value, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err(format!("expected a JWT of three parts, found {}", parts.len()));
    };
    let decode = |what: &str, s: &str| {
        URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|e| format!("the {what} is not base64url: {e}"))
    };
    let head: Value = serde_json::from_slice(&decode("header", header)?).map_err(|e| format!("header: {e}"))?;
    if head["alg"] != "ES256" {
        return Err(format!("expected alg ES256, found {}", head["alg"]));
    }
    let raw = decode("signature", signature)?;
    let der = raw_to_der(&raw).ok_or_else(|| format!("expected a 64-byte ES256 signature, found {}", raw.len()))?;
    let input = format!("{header}.{payload}");
    key.verify_digest(HashAlgorithm::Sha256, &Sha256::digest(input.as_bytes()), &der)
        .map_err(|_| "the token signature does not verify with the issuer key".to_owned())?;
    serde_json::from_slice(&decode("payload", payload)?).map_err(|e| format!("payload: {e}"))
}

/// `r || s` (32 bytes each) from a DER `ECDSA-Sig-Value`.
fn der_to_raw(der: &[u8]) -> Option<Vec<u8>> {
    let (tag, body) = read(der)?;
    if tag != 0x30 {
        return None;
    }
    let mut rest = body;
    let mut out = Vec::with_capacity(64);
    for _ in 0..2 {
        let (tag, value) = read(rest)?;
        if tag != 0x02 {
            return None;
        }
        rest = rest.get(header_len(rest)? + value.len()..)?;
        let value: Vec<u8> = value.iter().copied().skip_while(|b| *b == 0).collect();
        if value.len() > 32 {
            return None;
        }
        out.extend(std::iter::repeat_n(0, 32 - value.len()));
        out.extend_from_slice(&value);
    }
    rest.is_empty().then_some(out)
}

/// A DER `ECDSA-Sig-Value` from `r || s`.
fn raw_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.len() != 64 {
        return None;
    }
    let (r, s) = raw.split_at(32);
    Some(tlv(0x30, &[uint(r), uint(s)].concat()))
}

/// The length of the tag and length octets of the TLV at the start of `data` (short or one/two-byte long form).
fn header_len(data: &[u8]) -> Option<usize> {
    match *data.get(1)? {
        n if n < 0x80 => Some(2),
        0x81 => Some(3),
        0x82 => Some(4),
        _ => None,
    }
}

/// The tag and value of the TLV at the start of `data`.
fn read(data: &[u8]) -> Option<(u8, &[u8])> {
    let tag = *data.first()?;
    let start = header_len(data)?;
    let len = match start {
        2 => usize::from(*data.get(1)?),
        3 => usize::from(*data.get(2)?),
        _ => usize::from(u16::from_be_bytes([*data.get(2)?, *data.get(3)?])),
    };
    Some((tag, data.get(start..start.checked_add(len)?)?))
}
