//! The DER of the test TSA, written by hand with a tiny TLV writer: its two certificates, the reading of a
//! `TimeStampReq`, and the `TimeStampResp` it answers (RFC 3161 over CMS SignedData, RFC 5652).

use crate::der_writer::*;
use hsign_keys::{HashAlgorithm, PrivateKey, PublicKey};
use sha2::{Digest as _, Sha256};

const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const ATTR_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const ATTR_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const ATTR_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
const ATTR_SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
const SUBJECT_KEY_ID: &str = "2.5.29.14";
const KEY_USAGE: &str = "2.5.29.15";
const BASIC_CONSTRAINTS: &str = "2.5.29.19";
const AUTHORITY_KEY_ID: &str = "2.5.29.35";
const EXT_KEY_USAGE: &str = "2.5.29.37";
const TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
/// The TSA policy the test TSA names in every TSTInfo.
pub const POLICY: &str = "1.3.6.1.4.1.57264.2";

/// The civil date and time of Unix seconds: (year, month, day, hour, minute, second).
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

/// `YYYYMMDDHHMMSS` of Unix seconds.
fn digits(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5).
fn time(secs: i64) -> Vec<u8> {
    let text = digits(secs);
    if text.starts_with("20") && &text[..4] < "2050" {
        tlv(0x17, format!("{}Z", &text[2..]).as_bytes())
    } else {
        tlv(0x18, format!("{text}Z").as_bytes())
    }
}

/// A GeneralizedTime with milliseconds, `YYYYMMDDHHMMSS.fffZ`. DER forbids trailing zeros in the fraction
/// and sigstore-js reads exactly three digits, so a millisecond count ending in 0 is moved up by one.
pub(crate) fn generalized_time_millis(secs: i64, millis: u32) -> Vec<u8> {
    let millis = if millis.is_multiple_of(10) { millis + 1 } else { millis };
    tlv(0x18, format!("{}.{millis:03}Z", digits(secs)).as_bytes())
}

/// A certificate: a CA (basicConstraints CA, keyCertSign) or the TSA's signing certificate (digitalSignature,
/// extendedKeyUsage timeStamping, critical as RFC 3161 §2.3 requires).
pub(crate) struct CertSpec<'a> {
    /// The serial number's big-endian bytes.
    pub(crate) serial: &'a [u8],
    /// The subject name (DER).
    pub(crate) subject: &'a [u8],
    /// The issuer name (DER).
    pub(crate) issuer: &'a [u8],
    /// notBefore and notAfter, Unix seconds.
    pub(crate) validity: (i64, i64),
    /// True for a CA.
    pub(crate) ca: bool,
}

/// Issues the certificate `spec` for `subject_key`, signed by `issuer_key`; returns DER.
pub(crate) fn issue(spec: &CertSpec<'_>, subject_key: &PublicKey, issuer_key: &PrivateKey) -> Vec<u8> {
    let algorithm = seq(&[oid(ECDSA_SHA256)]);
    let mut exts = Vec::new();
    if spec.ca {
        exts.push(extension(BASIC_CONSTRAINTS, true, &seq(&[vec![0x01, 0x01, 0xff]])));
        exts.push(extension(KEY_USAGE, true, &bits(&[0x06], 1)));
    } else {
        exts.push(extension(KEY_USAGE, true, &bits(&[0x80], 7)));
        exts.push(extension(EXT_KEY_USAGE, true, &seq(&[oid(TIME_STAMPING)])));
    }
    exts.push(extension(SUBJECT_KEY_ID, false, &tlv(0x04, &key_id(subject_key))));
    exts.push(extension(
        AUTHORITY_KEY_ID,
        false,
        &seq(&[tlv(0x80, &key_id(&issuer_key.public_key()))]),
    ));
    let tbs = seq(&[
        tlv(0xa0, &uint(&[2])),
        uint(spec.serial),
        algorithm.clone(),
        spec.issuer.to_vec(),
        seq(&[time(spec.validity.0), time(spec.validity.1)]),
        spec.subject.to_vec(),
        subject_key.to_spki_der(),
        tlv(0xa3, &seq(&exts)),
    ]);
    let signature = issuer_key
        .sign_digest(HashAlgorithm::Sha256, &Sha256::digest(&tbs))
        .expect("signing a certificate");
    seq(&[tbs, algorithm, bits(&signature, 0)])
}

/// One element read from DER: (tag, whole encoding, content, rest).
type Element<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn read(input: &[u8]) -> Result<Element<'_>, String> {
    let short = || "truncated DER".to_string();
    let tag = *input.first().ok_or_else(short)?;
    let first = *input.get(1).ok_or_else(short)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err("unsupported DER length".into());
        }
        let bytes = input.get(2..2 + n).ok_or_else(short)?;
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), 2 + n)
    };
    let end = head.checked_add(len).filter(|e| *e <= input.len()).ok_or_else(short)?;
    Ok((tag, &input[..end], &input[head..end], &input[end..]))
}

/// What the TSA takes from a `TimeStampReq`.
#[derive(Debug)]
pub(crate) struct TimestampRequest<'a> {
    /// The `messageImprint` SEQUENCE, whole, to echo.
    pub(crate) imprint: &'a [u8],
    /// The `nonce` INTEGER, whole, to echo.
    pub(crate) nonce: Option<&'a [u8]>,
    /// `certReq`.
    pub(crate) cert_req: bool,
}

/// Reads `TimeStampReq ::= SEQUENCE { version, messageImprint, reqPolicy OID OPTIONAL, nonce INTEGER OPTIONAL,
/// certReq BOOLEAN DEFAULT FALSE, extensions [0] OPTIONAL }`.
pub(crate) fn parse_request(der: &[u8]) -> Result<TimestampRequest<'_>, String> {
    let (tag, _, body, rest) = read(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return Err("not a DER TimeStampReq".into());
    }
    let (tag, _, version, rest) = read(body)?;
    if tag != 0x02 || version != [1] {
        return Err("TimeStampReq.version is not 1".into());
    }
    let (tag, imprint, _, mut rest) = read(rest)?;
    if tag != 0x30 {
        return Err("TimeStampReq.messageImprint is not a SEQUENCE".into());
    }
    let mut request = TimestampRequest {
        imprint,
        nonce: None,
        cert_req: false,
    };
    while !rest.is_empty() {
        let (tag, whole, content, next) = read(rest)?;
        match tag {
            0x06 => {}
            0x02 => request.nonce = Some(whole),
            0x01 => request.cert_req = content == [0xff],
            0xa0 => {}
            _ => return Err(format!("unexpected TimeStampReq field with tag {tag:#04x}")),
        }
        rest = next;
    }
    Ok(request)
}

/// The signer of the test TSA.
pub(crate) struct Signer<'a> {
    /// The signing key.
    pub(crate) key: &'a PrivateKey,
    /// The signing certificate (DER).
    pub(crate) cert: &'a [u8],
    /// Its serial number's big-endian bytes.
    pub(crate) serial: &'a [u8],
    /// Its issuer name (DER).
    pub(crate) issuer: &'a [u8],
}

/// A granted `TimeStampResp` for `request`: TSTInfo serial `serial`, genTime `secs`.`millis`.
pub(crate) fn response(
    signer: &Signer<'_>,
    request: &TimestampRequest<'_>,
    serial: u64,
    secs: i64,
    millis: u32,
) -> Vec<u8> {
    let mut tst = vec![
        uint(&[1]),
        oid(POLICY),
        request.imprint.to_vec(),
        uint(&serial.to_be_bytes()),
        generalized_time_millis(secs, millis),
        // accuracy: one second.
        seq(&[uint(&[1])]),
    ];
    tst.extend(request.nonce.map(<[u8]>::to_vec));
    let tst_info = seq(&tst);
    let attribute = |id: &str, value: Vec<u8>| seq(&[oid(id), tlv(0x31, &value)]);
    let attributes = set_of(vec![
        attribute(ATTR_CONTENT_TYPE, oid(TST_INFO)),
        attribute(ATTR_SIGNING_TIME, time(secs)),
        attribute(ATTR_MESSAGE_DIGEST, tlv(0x04, &Sha256::digest(&tst_info))),
        attribute(
            ATTR_SIGNING_CERTIFICATE_V2,
            seq(&[seq(&[seq(&[tlv(0x04, &Sha256::digest(signer.cert))])])]),
        ),
    ]);
    let signature = signer
        .key
        .sign_digest(HashAlgorithm::Sha256, &Sha256::digest(&attributes))
        .expect("signing the timestamp");
    let mut signed_attrs = attributes;
    // [0] IMPLICIT SET OF Attribute: the signature is over the SET tag, the SignerInfo carries [0].
    signed_attrs[0] = 0xa0;
    let signer_info = seq(&[
        uint(&[1]),
        seq(&[signer.issuer.to_vec(), uint(signer.serial)]),
        seq(&[oid(SHA256)]),
        signed_attrs,
        seq(&[oid(ECDSA_SHA256)]),
        tlv(0x04, &signature),
    ]);
    let mut signed_data = vec![
        uint(&[3]),
        tlv(0x31, &seq(&[oid(SHA256)])),
        seq(&[oid(TST_INFO), tlv(0xa0, &tlv(0x04, &tst_info))]),
    ];
    if request.cert_req {
        signed_data.push(tlv(0xa0, signer.cert));
    }
    signed_data.push(tlv(0x31, &signer_info));
    let content_info = seq(&[oid(SIGNED_DATA), tlv(0xa0, &seq(&signed_data))]);
    seq(&[seq(&[uint(&[0])]), content_info])
}

/// A `TimeStampResp` with status rejection (2) and a status string.
pub(crate) fn rejection(text: &str) -> Vec<u8> {
    seq(&[seq(&[uint(&[2]), seq(&[tlv(0x0c, text.as_bytes())])])])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(digits(0), "19700101000000");
        assert_eq!(digits(1_795_437_296), "20261123123456");
        assert_eq!(digits(951_782_400), "20000229000000");
    }

    #[test]
    fn fractions_have_three_digits_and_no_trailing_zero() {
        assert_eq!(
            generalized_time_millis(1_795_437_296, 123),
            tlv(0x18, b"20261123123456.123Z")
        );
        assert_eq!(
            generalized_time_millis(1_795_437_296, 0),
            tlv(0x18, b"20261123123456.001Z")
        );
        assert_eq!(
            generalized_time_millis(1_795_437_296, 990),
            tlv(0x18, b"20261123123456.991Z")
        );
    }
}
