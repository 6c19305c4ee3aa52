//! A minimal, strict DER reader for the CMS and RFC 3161 structures: it hands out the bytes of each element
//! exactly as received, so digests and signatures are checked over the input and never over a re-encoding.
//!
//! Only what these structures use is supported: single-byte tags (numbers below 31) and definite lengths in
//! their shortest form. Anything else (indefinite lengths, long-form tags, a length past the end of the
//! input) is an error, never a panic.

use super::TimestampError;

/// Tag of an INTEGER.
pub(super) const INTEGER: u8 = 0x02;
/// Tag of a BIT STRING.
pub(super) const BIT_STRING: u8 = 0x03;
/// Tag of an OCTET STRING.
pub(super) const OCTET_STRING: u8 = 0x04;
/// Tag of a NULL.
pub(super) const NULL: u8 = 0x05;
/// Tag of an OBJECT IDENTIFIER.
pub(super) const OID: u8 = 0x06;
/// Tag of a BOOLEAN.
pub(super) const BOOLEAN: u8 = 0x01;
/// Tag of a GeneralizedTime.
pub(super) const GENERALIZED_TIME: u8 = 0x18;
/// Tag of a SEQUENCE (constructed).
pub(super) const SEQUENCE: u8 = 0x30;
/// Tag of a SET (constructed).
pub(super) const SET: u8 = 0x31;

/// The tag of a constructed context-specific element `[n]`.
pub(super) const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// The tag of a primitive context-specific element `[n]`.
pub(super) const fn context_primitive(n: u8) -> u8 {
    0x80 | n
}

/// One element: its tag, its content, and its whole encoding (tag, length and content).
#[derive(Clone, Copy, Debug)]
pub(super) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// The tag, length and content octets, as received.
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the content of this element, which must have tag `tag`; `what` names it in errors.
    pub(super) fn children(&self, tag: u8, what: &str) -> Result<Reader<'a>, TimestampError> {
        expect_tag(self, tag, what)?;
        Ok(Reader::new(self.value))
    }
}

/// Reads consecutive elements from a byte slice.
#[derive(Clone, Debug)]
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub(super) fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    /// True when every byte has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub(super) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads the next element; `what` names it in errors.
    pub(super) fn read(&mut self, what: &str) -> Result<Tlv<'a>, TimestampError> {
        let input = self.rest;
        let malformed = |reason: &str| TimestampError::Malformed(format!("{what}: {reason}"));
        let (&tag, after_tag) = input.split_first().ok_or_else(|| malformed("missing"))?;
        if tag & 0x1f == 0x1f {
            return Err(malformed("multi-byte tags are not supported"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or_else(|| malformed("truncated length"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 {
                return Err(malformed("indefinite length (BER) is not DER"));
            }
            if count > 4 {
                return Err(malformed("length field too large"));
            }
            let bytes = after_len.get(..count).ok_or_else(|| malformed("truncated length"))?;
            after_len = &after_len[count..];
            if bytes[0] == 0 {
                return Err(malformed("length not in its shortest form"));
            }
            let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(malformed("length not in its shortest form"));
            }
            len
        };
        if after_len.len() < len {
            return Err(malformed(&format!(
                "length {len} runs past the end of the input ({} bytes left)",
                after_len.len()
            )));
        }
        let header = input.len() - after_len.len();
        let raw = &input[..header + len];
        self.rest = &input[header + len..];
        Ok(Tlv {
            tag,
            value: &after_len[..len],
            raw,
        })
    }

    /// Reads the next element, which must have tag `tag`.
    pub(super) fn read_tag(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, TimestampError> {
        let tlv = self.read(what)?;
        expect_tag(&tlv, tag, what)?;
        Ok(tlv)
    }

    /// Reads the next element if it has tag `tag`.
    pub(super) fn read_optional(&mut self, tag: u8, what: &str) -> Result<Option<Tlv<'a>>, TimestampError> {
        if self.peek_tag() == Some(tag) {
            self.read(what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails unless every byte has been read; `what` names the enclosing element.
    pub(super) fn finish(&self, what: &str) -> Result<(), TimestampError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(TimestampError::Malformed(format!(
                "{what}: {} unexpected trailing bytes",
                self.rest.len()
            )))
        }
    }
}

/// Reads exactly one element of tag `tag` from `input`, with nothing after it.
pub(super) fn parse_one<'a>(input: &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>, TimestampError> {
    let mut reader = Reader::new(input);
    let tlv = reader.read_tag(tag, what)?;
    reader.finish(what)?;
    Ok(tlv)
}

fn expect_tag(tlv: &Tlv<'_>, tag: u8, what: &str) -> Result<(), TimestampError> {
    if tlv.tag == tag {
        Ok(())
    } else {
        Err(TimestampError::Malformed(format!(
            "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
            tlv.tag
        )))
    }
}

/// The content of a DER INTEGER that must fit an `i64`.
pub(super) fn small_integer(tlv: &Tlv<'_>, what: &str) -> Result<i64, TimestampError> {
    let bytes = tlv.value;
    if tlv.tag != INTEGER || bytes.is_empty() || bytes.len() > 8 {
        return Err(TimestampError::Malformed(format!("{what}: not a small INTEGER")));
    }
    let negative = bytes[0] & 0x80 != 0;
    let init: i64 = if negative { -1 } else { 0 };
    Ok(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_lengths() {
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let tlv = parse_one(&long, OCTET_STRING, "x").unwrap();
        assert_eq!(tlv.value.len(), 0x80);
        assert_eq!(tlv.raw.len(), long.len());
        let tlv = parse_one(&[0x02, 0x01, 0x05], INTEGER, "x").unwrap();
        assert_eq!(small_integer(&tlv, "x").unwrap(), 5);
    }

    #[test]
    fn refuses_non_der_lengths_and_truncation() {
        for bad in [
            &[0x30, 0x80, 0x00, 0x00][..],
            &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5],
            &[0x04, 0x82, 0x00, 0x90],
            &[0x04, 0x05, 1, 2],
            &[0x04],
            &[],
            &[0x1f, 0x01, 0x00],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
        ] {
            assert!(parse_one(bad, OCTET_STRING, "x").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refuses_trailing_data() {
        assert!(parse_one(&[0x05, 0x00, 0x00], NULL, "x").is_err());
    }

    #[test]
    fn reads_negative_integers() {
        let tlv = parse_one(&[0x02, 0x01, 0xff], INTEGER, "x").unwrap();
        assert_eq!(small_integer(&tlv, "x").unwrap(), -1);
    }
}
