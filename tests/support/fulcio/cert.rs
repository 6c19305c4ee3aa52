//! The certificates of the test CA, hand-assembled as DER (a `TBSCertificate` built from small TLV encoders,
//! signed with ECDSA P-256 SHA-256 by [`hsign_keys::PrivateKey::sign_digest`]), and the RFC 6962 SCTs of its
//! CT log ([`CtLog`]).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::der_writer::*;
use hsign_keys::{HashAlgorithm, PrivateKey, PublicKey};
use sha2::{Digest as _, Sha256};

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const SUBJECT_KEY_ID: &str = "2.5.29.14";
const KEY_USAGE: &str = "2.5.29.15";
const SUBJECT_ALT_NAME: &str = "2.5.29.17";
const BASIC_CONSTRAINTS: &str = "2.5.29.19";
const AUTHORITY_KEY_ID: &str = "2.5.29.35";
const EXT_KEY_USAGE: &str = "2.5.29.37";
const CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
/// Fulcio's v1 issuer extension: the raw issuer URL bytes.
const FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
/// Fulcio's v2 issuer extension: a DER UTF8String.
const FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// The embedded SCT list extension (RFC 6962 §3.3).
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
/// TLS `HashAlgorithm.sha256` and `SignatureAlgorithm.ecdsa` (RFC 5246 §7.4.1.4.1).
const SHA256_ECDSA: [u8; 2] = [4, 3];

/// A CT log: a P-256 key that signs RFC 6962 SCTs over precertificates.
pub(crate) struct CtLog {
    /// The log key.
    key: PrivateKey,
    /// The log key's SubjectPublicKeyInfo, DER.
    pub(crate) spki: Vec<u8>,
    /// The log id: SHA-256 of [`CtLog::spki`].
    pub(crate) log_id: [u8; 32],
}

impl CtLog {
    /// A log with a fresh P-256 key.
    pub(crate) fn generate() -> CtLog {
        let key = PrivateKey::generate_p256().expect("generating the CT log key");
        let spki = key.public_key().to_spki_der();
        let log_id = Sha256::digest(&spki).into();
        CtLog { key, spki, log_id }
    }

    /// The TLS `SignedCertificateTimestampList` holding one v1 SCT, timestamped now, for the precertificate
    /// whose TBSCertificate (without the SCT list extension) is `precert_tbs`, issued by the key whose SPKI
    /// DER is `issuer_spki`.
    pub(crate) fn sct_list(&self, precert_tbs: &[u8], issuer_spki: &[u8]) -> Vec<u8> {
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let tbs_len = u32::try_from(precert_tbs.len()).expect("a TBS shorter than 2^24 bytes");
        // digitally-signed struct: version v1, signature_type certificate_timestamp, timestamp, entry_type
        // precert_entry, issuer_key_hash, tbs_certificate (3-byte length), no extensions.
        let mut signed = vec![0, 0];
        signed.extend_from_slice(&timestamp.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes());
        signed.extend_from_slice(&Sha256::digest(issuer_spki));
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(precert_tbs);
        signed.extend_from_slice(&0u16.to_be_bytes());
        let signature = self
            .key
            .sign_digest(HashAlgorithm::Sha256, &Sha256::digest(&signed))
            .expect("signing an SCT with the CT log key");
        let mut sct = vec![0];
        sct.extend_from_slice(&self.log_id);
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&SHA256_ECDSA);
        sct.extend_from_slice(&u16_prefixed(&signature));
        u16_prefixed(&u16_prefixed(&sct))
    }
}

/// `bytes` after its 2-byte big-endian length (a TLS `opaque<0..2^16-1>`).
fn u16_prefixed(bytes: &[u8]) -> Vec<u8> {
    let len = u16::try_from(bytes.len()).expect("a TLS vector shorter than 2^16 bytes");
    let mut out = len.to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5).
fn time(secs: i64) -> Vec<u8> {
    let text = hsign_core::rfc3339::format(secs);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let year: i64 = digits.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    if (1950..2050).contains(&year) {
        tlv(0x17, format!("{}Z", &digits[2..]).as_bytes())
    } else {
        tlv(0x18, format!("{digits}Z").as_bytes())
    }
}

/// A fresh positive 128-bit serial number.
fn serial() -> Vec<u8> {
    use std::hash::{BuildHasher as _, Hasher as _};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Vec::new();
    for _ in 0..2 {
        // RandomState is randomly seeded per process and per instance.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        seed.extend_from_slice(&h.finish().to_be_bytes());
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    seed.extend_from_slice(&nanos.to_be_bytes());
    let mut out = Sha256::digest(&seed)[..16].to_vec();
    out[0] = (out[0] & 0x7f) | 0x01;
    uint(&out)
}

/// What a certificate says, apart from its keys.
pub(crate) struct Profile<'a> {
    /// The subject name (DER).
    pub(crate) subject: Vec<u8>,
    /// notBefore and notAfter, Unix seconds.
    pub(crate) validity: (i64, i64),
    /// `Some(path_len)` for a CA (`None` inside: no length constraint); `None` for a leaf.
    pub(crate) ca: Option<Option<u8>>,
    /// For a leaf: the SAN (`Ok(email)` as rfc822Name, `Err(uri)` as URI) and the OIDC issuer.
    pub(crate) identity: Option<(Result<&'a str, &'a str>, &'a str)>,
}

/// Issues a certificate for `subject_key` under `issuer_name`/`issuer_key` (self-signed when they are the
/// subject's own), returning DER. With `ct`, a leaf gets an embedded SCT from that log: the SCT signs the
/// TBSCertificate as built without the SCT list extension, which is then appended as the last extension
/// (so removing it from the final TBS gives back exactly the signed bytes); CA certificates get none.
pub(crate) fn issue(
    profile: &Profile<'_>,
    subject_key: &PublicKey,
    issuer_name: &[u8],
    issuer_key: &PrivateKey,
    ct: Option<&CtLog>,
) -> Vec<u8> {
    let algorithm = seq(&[oid(ECDSA_SHA256)]);
    let mut exts = Vec::new();
    match profile.ca {
        Some(path_len) => {
            let mut bc = vec![vec![0x01, 0x01, 0xff]];
            if let Some(n) = path_len {
                bc.push(uint(&[n]));
            }
            exts.push(extension(BASIC_CONSTRAINTS, true, &seq(&bc)));
            // keyCertSign (bit 5) and cRLSign (bit 6).
            exts.push(extension(KEY_USAGE, true, &bits(&[0x06], 1)));
        }
        None => {
            // digitalSignature (bit 0).
            exts.push(extension(KEY_USAGE, true, &bits(&[0x80], 7)));
            exts.push(extension(EXT_KEY_USAGE, false, &seq(&[oid(CODE_SIGNING)])));
        }
    }
    exts.push(extension(SUBJECT_KEY_ID, false, &octets(&key_id(subject_key))));
    exts.push(extension(
        AUTHORITY_KEY_ID,
        false,
        &seq(&[tlv(0x80, &key_id(&issuer_key.public_key()))]),
    ));
    if let Some((san, issuer)) = profile.identity {
        let general_name = match san {
            Ok(email) => tlv(0x81, email.as_bytes()),
            Err(uri) => tlv(0x86, uri.as_bytes()),
        };
        // The subject is empty, so the SAN is critical (RFC 5280 4.2.1.6), as Fulcio marks it.
        exts.push(extension(SUBJECT_ALT_NAME, true, &seq(&[general_name])));
        exts.push(extension(FULCIO_ISSUER_V1, false, issuer.as_bytes()));
        exts.push(extension(FULCIO_ISSUER_V2, false, &utf8(issuer)));
    }
    let serial = serial();
    let tbs_with = |exts: &[Vec<u8>]| {
        seq(&[
            tlv(0xa0, &uint(&[2])),
            serial.clone(),
            algorithm.clone(),
            issuer_name.to_vec(),
            seq(&[time(profile.validity.0), time(profile.validity.1)]),
            profile.subject.clone(),
            subject_key.to_spki_der(),
            tlv(0xa3, &seq(exts)),
        ])
    };
    let mut tbs = tbs_with(&exts);
    if let Some(ct) = ct.filter(|_| profile.ca.is_none()) {
        let list = ct.sct_list(&tbs, &issuer_key.public_key().to_spki_der());
        exts.push(extension(SCT_LIST, false, &octets(&list)));
        tbs = tbs_with(&exts);
    }
    let signature = issuer_key
        .sign_digest(HashAlgorithm::Sha256, &Sha256::digest(&tbs))
        .expect("signing a certificate with the CA key");
    seq(&[tbs, algorithm, bits(&signature, 0)])
}

/// One TLV of `der` at its start: `(tag, content, rest)`.
fn read_tlv(der: &[u8]) -> Result<(u8, &[u8], &[u8]), String> {
    let (&tag, rest) = der.split_first().ok_or("truncated DER")?;
    let (&first, mut rest) = rest.split_first().ok_or("truncated DER")?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        let (bytes, after) = rest.split_at_checked(n).ok_or("truncated DER length")?;
        rest = after;
        bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let (content, rest) = rest.split_at_checked(len).ok_or("truncated DER value")?;
    Ok((tag, content, rest))
}

/// The public key of a PEM PKCS#10 certification request (RFC 2986) whose signature (ECDSA with SHA-256,
/// or the key's own scheme) verifies with that key over the `CertificationRequestInfo`.
pub(crate) fn csr_public_key(pem: &[u8]) -> Result<PublicKey, String> {
    let block = hsign_keys::pem::decode_first(pem).map_err(|e| format!("not PEM: {e}"))?;
    if block.label != "CERTIFICATE REQUEST" {
        return Err(format!("PEM label {:?}, expected CERTIFICATE REQUEST", block.label));
    }
    let (_, request, _) = read_tlv(&block.contents)?;
    let (_, info_content, rest) = read_tlv(request)?;
    let info = &request[..request.len() - rest.len()];
    let (_, _algorithm, rest) = read_tlv(rest)?;
    let (tag, signature, _) = read_tlv(rest)?;
    let signature = signature
        .strip_prefix(&[0])
        .filter(|_| tag == 0x03)
        .ok_or("the signature is not a BIT STRING")?;
    let (_, _version, rest) = read_tlv(info_content)?;
    let (_, _subject, rest) = read_tlv(rest)?;
    let (_, _, after_spki) = read_tlv(rest)?;
    let spki = &rest[..rest.len() - after_spki.len()];
    let key = PublicKey::from_spki_der(spki).map_err(|e| format!("its public key: {e}"))?;
    key.verify_digest(HashAlgorithm::Sha256, &Sha256::digest(info), signature)
        .map_err(|_| "its signature does not verify with its public key".to_owned())?;
    Ok(key)
}
