//! Decoding of an RFC 3161 timestamp: the `TimeStampResp` (or a bare `TimeStampToken`), the CMS
//! `SignedData` inside it, its single `SignerInfo`, and the `TSTInfo` it signs. Every part keeps the bytes
//! it was read from; nothing is re-encoded.

use hsign_keys::HashAlgorithm;

use super::TimestampError;
use super::algorithm::{self, SIGNED_DATA, TST_INFO};
use super::signer::{self, SignerInfo};
use super::time::parse_generalized_time;
use super::tlv::{self, Reader, Tlv};
use crate::limits;

/// A decoded timestamp token.
pub(super) struct Token<'a> {
    /// The DER certificates of `SignedData.certificates` (other certificate choices are skipped).
    pub certificates: Vec<&'a [u8]>,
    /// The content of `eContent`: the TSTInfo DER, as signed.
    pub e_content: &'a [u8],
    /// The decoded TSTInfo.
    pub tst_info: TstInfo<'a>,
    /// The one signer.
    pub signer: SignerInfo<'a>,
}

/// The fields of a TSTInfo that hsign reads.
pub(super) struct TstInfo<'a> {
    /// The TSA policy OID content.
    pub policy: &'a [u8],
    /// The algorithm of the message imprint.
    pub imprint_algorithm: HashAlgorithm,
    /// The hashed message.
    pub imprint: &'a [u8],
    /// The serial number's INTEGER content.
    pub serial: &'a [u8],
    /// genTime as Unix seconds and nanoseconds.
    pub gen_time: (i64, u32),
    /// The nonce's INTEGER content, when present.
    pub nonce: Option<&'a [u8]>,
}

/// Decodes a DER `TimeStampResp` whose status is granted (or grantedWithMods), or a bare `TimeStampToken`.
pub(super) fn parse(input: &[u8]) -> Result<Token<'_>, TimestampError> {
    let top = tlv::parse_one(input, tlv::SEQUENCE, "timestamp")?;
    let mut fields = Reader::new(top.value);
    let content_info = match fields.peek_tag() {
        // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
        Some(tlv::SEQUENCE) => {
            check_status(&fields.read("PKIStatusInfo")?)?;
            let token = fields
                .read_optional(tlv::SEQUENCE, "timeStampToken")?
                .ok_or_else(|| TimestampError::Malformed("the granted response carries no timeStampToken".into()))?;
            fields.finish("TimeStampResp")?;
            token
        }
        // A bare ContentInfo starts with its content type.
        Some(tlv::OID) => top,
        _ => {
            return Err(TimestampError::Malformed(
                "neither a TimeStampResp nor a TimeStampToken".into(),
            ));
        }
    };
    parse_content_info(&content_info)
}

/// PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
fn check_status(info: &Tlv<'_>) -> Result<(), TimestampError> {
    let mut fields = info.children(tlv::SEQUENCE, "PKIStatusInfo")?;
    let status = tlv::small_integer(
        &fields.read_tag(tlv::INTEGER, "PKIStatusInfo.status")?,
        "PKIStatusInfo.status",
    )?;
    let mut text = Vec::new();
    if let Some(strings) = fields.read_optional(tlv::SEQUENCE, "PKIStatusInfo.statusString")? {
        let mut strings = Reader::new(strings.value);
        while !strings.is_empty() {
            let s = strings.read("PKIStatusInfo.statusString")?;
            text.push(String::from_utf8_lossy(s.value).into_owned());
        }
    }
    let fail_info = fields.read_optional(tlv::BIT_STRING, "PKIStatusInfo.failInfo")?;
    fields.finish("PKIStatusInfo")?;
    // 0 granted, 1 grantedWithMods: both carry a token.
    if status == 0 || status == 1 {
        return Ok(());
    }
    if let Some(bits) = fail_info {
        let hex: String = bits.value.iter().map(|b| format!("{b:02x}")).collect();
        text.push(format!("failInfo bits {hex}"));
    }
    let name = match status {
        2 => "rejection",
        3 => "waiting",
        4 => "revocationWarning",
        5 => "revocationNotification",
        _ => "unknown",
    };
    let detail = if text.is_empty() {
        String::new()
    } else {
        format!(": {}", text.join("; "))
    };
    Err(TimestampError::NotGranted(format!("status {status} ({name}){detail}")))
}

/// ContentInfo ::= SEQUENCE { contentType OID (id-signedData), content [0] EXPLICIT SignedData }
fn parse_content_info<'a>(content_info: &Tlv<'a>) -> Result<Token<'a>, TimestampError> {
    let mut fields = content_info.children(tlv::SEQUENCE, "ContentInfo")?;
    let content_type = fields.read_tag(tlv::OID, "ContentInfo.contentType")?;
    if !algorithm::is(content_type.value, &SIGNED_DATA) {
        return Err(TimestampError::Malformed(format!(
            "the token's content type is {}, not id-signedData",
            algorithm::display(content_type.value)
        )));
    }
    let explicit = fields.read_tag(tlv::context(0), "ContentInfo.content")?;
    fields.finish("ContentInfo")?;
    let mut inner = Reader::new(explicit.value);
    let signed_data = inner.read_tag(tlv::SEQUENCE, "SignedData")?;
    inner.finish("ContentInfo.content")?;
    parse_signed_data(&signed_data)
}

fn parse_signed_data<'a>(signed_data: &Tlv<'a>) -> Result<Token<'a>, TimestampError> {
    let mut fields = signed_data.children(tlv::SEQUENCE, "SignedData")?;
    let version = tlv::small_integer(
        &fields.read_tag(tlv::INTEGER, "SignedData.version")?,
        "SignedData.version",
    )?;
    // RFC 5652 §5.1: 3 for a content type other than id-data (4 and 5 with other certificate formats).
    if !(3..=5).contains(&version) {
        return Err(TimestampError::Malformed(format!(
            "SignedData.version is {version}, not 3"
        )));
    }
    let digest_algorithms = fields.read_tag(tlv::SET, "SignedData.digestAlgorithms")?;
    let encap = fields.read_tag(tlv::SEQUENCE, "SignedData.encapContentInfo")?;
    let mut encap = Reader::new(encap.value);
    let e_content_type = encap.read_tag(tlv::OID, "encapContentInfo.eContentType")?;
    if !algorithm::is(e_content_type.value, &TST_INFO) {
        return Err(TimestampError::Malformed(format!(
            "the signed content type is {}, not id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)",
            algorithm::display(e_content_type.value)
        )));
    }
    let explicit = encap
        .read_optional(tlv::context(0), "encapContentInfo.eContent")?
        .ok_or_else(|| TimestampError::Malformed("the SignedData has no eContent (TSTInfo)".into()))?;
    encap.finish("encapContentInfo")?;
    let mut explicit = Reader::new(explicit.value);
    let e_content = explicit.read_tag(tlv::OCTET_STRING, "encapContentInfo.eContent")?.value;
    explicit.finish("encapContentInfo.eContent")?;

    let mut certificates = Vec::new();
    if let Some(set) = fields.read_optional(tlv::context(0), "SignedData.certificates")? {
        let mut set = Reader::new(set.value);
        while !set.is_empty() {
            // Only plain X.509 certificates: attribute and other certificate formats are refused.
            certificates.push(set.read_tag(tlv::SEQUENCE, "SignedData.certificates")?.raw);
        }
        if certificates.len() > limits::MAX_CHAIN_LEN {
            return Err(TimestampError::Malformed(format!(
                "the token embeds {} certificates, more than the {} hsign accepts",
                certificates.len(),
                limits::MAX_CHAIN_LEN
            )));
        }
    }
    fields.read_optional(tlv::context(1), "SignedData.crls")?;
    let signer_infos = fields.read_tag(tlv::SET, "SignedData.signerInfos")?;
    fields.finish("SignedData")?;
    let mut signer_infos = Reader::new(signer_infos.value);
    let signer = signer_infos.read_tag(tlv::SEQUENCE, "SignerInfo")?;
    if !signer_infos.is_empty() {
        return Err(TimestampError::Malformed(
            "the token has more than one SignerInfo (RFC 3161 allows only the TSA's)".into(),
        ));
    }
    let signer = signer::parse(&signer)?;
    // The signer's digest algorithm must be among those the SignedData announces.
    let mut announced = Reader::new(digest_algorithms.value);
    let mut found = false;
    while !announced.is_empty() {
        let alg = announced.read_tag(tlv::SEQUENCE, "SignedData.digestAlgorithms")?;
        found |= algorithm::digest_algorithm(&alg, "SignedData.digestAlgorithms").ok() == Some(signer.digest_algorithm);
    }
    if !found {
        return Err(TimestampError::Malformed(format!(
            "SignedData.digestAlgorithms does not list the signer's digest algorithm {}",
            signer.digest_algorithm.name()
        )));
    }
    Ok(Token {
        certificates,
        e_content,
        tst_info: parse_tst_info(e_content)?,
        signer,
    })
}

/// TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, accuracy OPTIONAL,
/// ordering DEFAULT FALSE, nonce OPTIONAL, tsa [0] OPTIONAL, extensions [1] IMPLICIT OPTIONAL }
fn parse_tst_info(der: &[u8]) -> Result<TstInfo<'_>, TimestampError> {
    let top = tlv::parse_one(der, tlv::SEQUENCE, "TSTInfo")?;
    let mut fields = Reader::new(top.value);
    let version = tlv::small_integer(&fields.read_tag(tlv::INTEGER, "TSTInfo.version")?, "TSTInfo.version")?;
    if version != 1 {
        return Err(TimestampError::Malformed(format!(
            "TSTInfo.version is {version}, not 1"
        )));
    }
    let policy = fields.read_tag(tlv::OID, "TSTInfo.policy")?.value;
    let imprint = fields.read_tag(tlv::SEQUENCE, "TSTInfo.messageImprint")?;
    let mut imprint = Reader::new(imprint.value);
    let alg = imprint.read_tag(tlv::SEQUENCE, "messageImprint.hashAlgorithm")?;
    let imprint_algorithm = algorithm::digest_algorithm(&alg, "messageImprint.hashAlgorithm")?;
    let hashed = imprint
        .read_tag(tlv::OCTET_STRING, "messageImprint.hashedMessage")?
        .value;
    imprint.finish("messageImprint")?;
    if hashed.len() != imprint_algorithm.output_len() {
        return Err(TimestampError::Malformed(format!(
            "messageImprint.hashedMessage has {} bytes, a {} digest has {}",
            hashed.len(),
            imprint_algorithm.name(),
            imprint_algorithm.output_len()
        )));
    }
    let serial = fields.read_tag(tlv::INTEGER, "TSTInfo.serialNumber")?.value;
    let gen_time = fields.read_tag(tlv::GENERALIZED_TIME, "TSTInfo.genTime")?.value;
    let gen_time = parse_generalized_time(gen_time).ok_or_else(|| {
        TimestampError::Malformed(format!(
            "TSTInfo.genTime {:?} is not a GeneralizedTime YYYYMMDDHHMMSS[.f]Z",
            String::from_utf8_lossy(gen_time)
        ))
    })?;
    fields.read_optional(tlv::SEQUENCE, "TSTInfo.accuracy")?;
    fields.read_optional(tlv::BOOLEAN, "TSTInfo.ordering")?;
    let nonce = fields.read_optional(tlv::INTEGER, "TSTInfo.nonce")?.map(|n| n.value);
    fields.read_optional(tlv::context(0), "TSTInfo.tsa")?;
    fields.read_optional(tlv::context(1), "TSTInfo.extensions")?;
    fields.finish("TSTInfo")?;
    Ok(TstInfo {
        policy,
        imprint_algorithm,
        imprint: hashed,
        serial,
        gen_time,
        nonce,
    })
}
