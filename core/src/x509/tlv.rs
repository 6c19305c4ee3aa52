//! A minimal DER tag-length-value walker for the few places where the bytes of a certificate must be kept
//! exactly as received: the TBSCertificate a signature covers, and the precertificate TBS an SCT covers
//! (the TBSCertificate with one extension cut out). Everything else is decoded with `x509-cert`.
//!
//! Only what certificates use is accepted: single-byte tags and definite lengths in their shortest form.
//! Every read is bounds-checked; a malformed input is an error, never a panic.

/// DER tag of SEQUENCE (constructed).
pub(super) const SEQUENCE: u8 = 0x30;
/// DER tag of OCTET STRING.
pub(super) const OCTET_STRING: u8 = 0x04;
/// DER tag of OBJECT IDENTIFIER.
pub(super) const OID: u8 = 0x06;
/// DER tag of `[3]` EXPLICIT, constructed: the `extensions` field of a TBSCertificate.
pub(super) const EXTENSIONS: u8 = 0xa3;

/// One DER element: its tag, its content octets, and all its bytes (header and content).
#[derive(Clone, Copy, Debug)]
pub(super) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// The whole element as encoded.
    pub raw: &'a [u8],
}

/// Reads the element at the start of `input`, returning it and the bytes after it. `what` names the element
/// in the error (`TBSCertificate`).
pub(super) fn read<'a>(input: &'a [u8], what: &str) -> Result<(Tlv<'a>, &'a [u8]), String> {
    let short = || format!("{what}: expected a DER element, the input ends early");
    let (&tag, rest) = input.split_first().ok_or_else(short)?;
    if tag & 0x1f == 0x1f {
        return Err(format!("{what}: expected a single-byte DER tag, got a multi-byte tag"));
    }
    let (&first, mut rest) = rest.split_first().ok_or_else(short)?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return Err(format!("{what}: expected a definite DER length of at most 4 bytes"));
        }
        let (bytes, after) = rest.split_at_checked(count).ok_or_else(short)?;
        rest = after;
        let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        if len < 0x80 || bytes.first() == Some(&0) {
            return Err(format!("{what}: expected a DER length in its shortest form"));
        }
        len
    };
    let header_len = input.len() - rest.len();
    let (value, after) = rest
        .split_at_checked(len)
        .ok_or_else(|| format!("{what}: the DER length says {len} bytes, only {} remain", rest.len()))?;
    let raw = input.get(..header_len + len).ok_or_else(short)?;
    Ok((Tlv { tag, value, raw }, after))
}

/// Reads exactly one element of tag `tag` filling `input`.
pub(super) fn read_exact<'a>(input: &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>, String> {
    let (tlv, rest) = read(input, what)?;
    if tlv.tag != tag {
        return Err(format!("{what}: expected DER tag 0x{tag:02x}, got 0x{:02x}", tlv.tag));
    }
    if !rest.is_empty() {
        return Err(format!(
            "{what}: {} bytes of trailing data after the DER element",
            rest.len()
        ));
    }
    Ok(tlv)
}

/// Splits the content of a constructed element into its elements.
pub(super) fn children<'a>(mut value: &'a [u8], what: &str) -> Result<Vec<Tlv<'a>>, String> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (tlv, rest) = read(value, what)?;
        out.push(tlv);
        value = rest;
    }
    Ok(out)
}

/// Encodes an element of tag `tag` around `content`, with a DER length.
pub(super) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// The signed parts of a certificate as received: the TBSCertificate element (what the issuer signed) and the
/// signature (the BIT STRING's bits, without the unused-bits octet).
pub(super) struct CertificateParts<'a> {
    /// The TBSCertificate, header included.
    pub tbs: &'a [u8],
    /// The signature bytes.
    pub signature: &'a [u8],
}

/// Splits a DER certificate into its [`CertificateParts`].
pub(super) fn split_certificate(der: &[u8]) -> Result<CertificateParts<'_>, String> {
    let cert = read_exact(der, SEQUENCE, "Certificate")?;
    let parts = children(cert.value, "Certificate")?;
    let [tbs, alg, sig] = parts.as_slice() else {
        return Err(format!("Certificate: expected 3 elements, got {}", parts.len()));
    };
    if tbs.tag != SEQUENCE || alg.tag != SEQUENCE || sig.tag != 0x03 {
        return Err("Certificate: expected SEQUENCE, SEQUENCE, BIT STRING".into());
    }
    let signature = match sig.value.split_first() {
        Some((0, bits)) => bits,
        _ => return Err("Certificate: expected a signature BIT STRING with no unused bits".into()),
    };
    Ok(CertificateParts {
        tbs: tbs.raw,
        signature,
    })
}

/// The TBSCertificate `tbs` (header included) with every extension whose `extnID` is `oid` removed and the
/// rest of its bytes unchanged: the precertificate TBS of RFC 6962 §3.2 when `oid` is the SCT list. The
/// `extensions` field is left out when nothing remains in it. `oid` is the OID's content octets.
pub(super) fn tbs_without_extension(tbs: &[u8], oid: &[u8]) -> Result<Vec<u8>, String> {
    let what = "TBSCertificate";
    let seq = read_exact(tbs, SEQUENCE, what)?;
    let mut content = Vec::with_capacity(seq.value.len());
    for field in children(seq.value, what)? {
        if field.tag != EXTENSIONS {
            content.extend_from_slice(field.raw);
            continue;
        }
        let list = read_exact(field.value, SEQUENCE, "TBSCertificate.extensions")?;
        let mut kept = Vec::with_capacity(list.value.len());
        for ext in children(list.value, "Extension")? {
            let inner = children(ext.value, "Extension")?;
            match inner.first() {
                Some(id) if ext.tag == SEQUENCE && id.tag == OID => {
                    if id.value != oid {
                        kept.extend_from_slice(ext.raw);
                    }
                }
                _ => return Err("Extension: expected a SEQUENCE starting with an OBJECT IDENTIFIER".into()),
            }
        }
        if !kept.is_empty() {
            content.extend_from_slice(&encode(EXTENSIONS, &encode(SEQUENCE, &kept)));
        }
    }
    Ok(encode(SEQUENCE, &content))
}
