//! The certificates of a timestamp: the TSA signing certificate and its chain up to the TSA root of the
//! trusted root. Names, serial numbers and the signed `tbsCertificate` are kept as received; `x509-cert`
//! decodes the extensions and the validity period.

use der::Decode as _;
use hsign_keys::PublicKey;
use x509_cert::Certificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier};

use super::TimestampError;
use super::algorithm::{self, ANY_EXTENDED_KEY_USAGE, KP_TIME_STAMPING};
use super::tlv::{self, Reader, Tlv};

/// A parsed certificate with the raw bytes of the parts hsign compares or verifies.
pub(super) struct Cert<'a> {
    /// The whole certificate DER.
    pub der: &'a [u8],
    /// The `tbsCertificate` DER, as signed.
    tbs: &'a [u8],
    /// The outer signature algorithm.
    signature_algorithm: Tlv<'a>,
    /// The signature value (the BIT STRING without its unused-bits octet).
    signature: &'a [u8],
    /// The serial number's INTEGER content.
    pub serial: &'a [u8],
    /// The issuer Name DER.
    pub issuer: &'a [u8],
    /// The subject Name DER.
    pub subject: &'a [u8],
    /// The SubjectPublicKeyInfo DER.
    spki: &'a [u8],
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    parsed: Certificate,
}

impl<'a> Cert<'a> {
    /// Parses a DER certificate; the error says what is wrong with it.
    pub(super) fn parse(der: &'a [u8]) -> Result<Self, TimestampError> {
        let parsed = Certificate::from_der(der)
            .map_err(|e| TimestampError::Malformed(format!("a certificate does not parse: {e}")))?;
        let top = tlv::parse_one(der, tlv::SEQUENCE, "certificate")?;
        let mut outer = Reader::new(top.value);
        let tbs = outer.read_tag(tlv::SEQUENCE, "tbsCertificate")?;
        let signature_algorithm = outer.read_tag(tlv::SEQUENCE, "certificate signatureAlgorithm")?;
        let signature = outer.read_tag(tlv::BIT_STRING, "certificate signature")?.value;
        outer.finish("certificate")?;
        let signature = match signature.split_first() {
            Some((0, bits)) => bits,
            _ => {
                return Err(TimestampError::Malformed(
                    "the certificate signature is not whole octets".into(),
                ));
            }
        };
        let mut fields = Reader::new(tbs.value);
        fields.read_optional(tlv::context(0), "tbsCertificate.version")?;
        let serial = fields.read_tag(tlv::INTEGER, "tbsCertificate.serialNumber")?.value;
        fields.read_tag(tlv::SEQUENCE, "tbsCertificate.signature")?;
        let issuer = fields.read_tag(tlv::SEQUENCE, "tbsCertificate.issuer")?.raw;
        fields.read_tag(tlv::SEQUENCE, "tbsCertificate.validity")?;
        let subject = fields.read_tag(tlv::SEQUENCE, "tbsCertificate.subject")?.raw;
        let spki = fields
            .read_tag(tlv::SEQUENCE, "tbsCertificate.subjectPublicKeyInfo")?
            .raw;
        let validity = parsed.tbs_certificate().validity();
        let seconds = |t: x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        Ok(Self {
            der,
            tbs: tbs.raw,
            signature_algorithm,
            signature,
            serial,
            issuer,
            subject,
            spki,
            not_before: seconds(validity.not_before),
            not_after: seconds(validity.not_after),
            parsed,
        })
    }

    /// The subject as an RFC 4514 string, for messages.
    pub(super) fn describe(&self) -> String {
        self.parsed.tbs_certificate().subject().to_string()
    }

    /// The subjectKeyIdentifier, if the certificate has one.
    pub(super) fn subject_key_id(&self) -> Option<Vec<u8>> {
        let ext = self.parsed.tbs_certificate().get_extension::<SubjectKeyIdentifier>();
        ext.ok().flatten().map(|(_, ski)| ski.0.as_bytes().to_vec())
    }

    /// True when basicConstraints marks the certificate as a CA.
    pub(super) fn is_ca(&self) -> bool {
        self.basic_constraints().ok().flatten().is_some_and(|bc| bc.ca)
    }

    fn basic_constraints(&self) -> Result<Option<BasicConstraints>, TimestampError> {
        self.parsed
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .map(|ext| ext.map(|(_, bc)| bc))
            .map_err(|e| self.malformed_extension("basicConstraints", &e))
    }

    /// The extended key usages, `None` when the certificate has no such extension.
    fn extended_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, TimestampError> {
        self.parsed
            .tbs_certificate()
            .get_extension::<ExtendedKeyUsage>()
            .map(|ext| ext.map(|(_, eku)| eku))
            .map_err(|e| self.malformed_extension("extendedKeyUsage", &e))
    }

    fn malformed_extension(&self, name: &str, e: &der::Error) -> TimestampError {
        TimestampError::Malformed(format!(
            "the {name} extension of '{}' is malformed: {e}",
            self.describe()
        ))
    }

    /// True when the certificate is valid at `time` (Unix seconds and nanoseconds), both ends included.
    pub(super) fn valid_at(&self, (secs, nanos): (i64, u32)) -> bool {
        self.not_before <= secs && (secs < self.not_after || (secs == self.not_after && nanos == 0))
    }

    /// The certificate's public key.
    pub(super) fn public_key(&self) -> Result<PublicKey, TimestampError> {
        PublicKey::from_spki_der(self.spki).map_err(|e| {
            TimestampError::UnsupportedAlgorithm(format!("the key of '{}' cannot be used: {e}", self.describe()))
        })
    }

    /// Checks that this certificate allows timestamping: an extended key usage extension listing
    /// id-kp-timeStamping (RFC 3161 §2.3). Its criticality is not required: GitHub's TSA marks it non-critical.
    pub(super) fn check_timestamping(&self) -> Result<(), TimestampError> {
        match self.extended_key_usage()? {
            Some(eku) if eku.0.contains(&KP_TIME_STAMPING) => Ok(()),
            _ => Err(TimestampError::NotTimestampingCert),
        }
    }

    /// Checks that `self` may issue certificates and issued `child`: names chain, `self` is a CA whose key
    /// usage (if any) allows certificate signing, whose extended key usage (if any) allows timestamping, whose
    /// path length allows `below` intermediates under it, and whose key verifies `child`'s signature.
    pub(super) fn check_issued(&self, child: &Cert<'_>, below: usize) -> Result<(), TimestampError> {
        let invalid = |reason: String| TimestampError::InvalidChain(reason);
        if child.issuer != self.subject {
            return Err(invalid(format!(
                "the issuer of '{}' is not '{}'",
                child.describe(),
                self.describe()
            )));
        }
        let constraints = self.basic_constraints()?;
        let Some(constraints) = constraints.filter(|bc| bc.ca) else {
            return Err(invalid(format!("'{}' is not a CA certificate", self.describe())));
        };
        if let Some(max) = constraints.path_len_constraint
            && below > usize::from(max)
        {
            return Err(invalid(format!(
                "'{}' allows {max} intermediate certificates below it, the chain has {below}",
                self.describe()
            )));
        }
        let key_usage = self
            .parsed
            .tbs_certificate()
            .get_extension::<KeyUsage>()
            .map_err(|e| self.malformed_extension("keyUsage", &e))?;
        if let Some((_, usage)) = key_usage
            && !usage.key_cert_sign()
        {
            return Err(invalid(format!(
                "the key usage of '{}' does not allow signing certificates",
                self.describe()
            )));
        }
        if let Some(eku) = self.extended_key_usage()?
            && !eku.0.contains(&KP_TIME_STAMPING)
            && !eku.0.contains(&ANY_EXTENDED_KEY_USAGE)
        {
            return Err(invalid(format!(
                "the extended key usage of '{}' does not allow timestamping",
                self.describe()
            )));
        }
        let hash = algorithm::signature_hash(&child.signature_algorithm, None, "certificate signature algorithm")?;
        self.public_key()?
            .verify_message_hashed(hash, child.tbs, child.signature)
            .map_err(|e| {
                TimestampError::BadSignature(format!(
                    "the signature of '{}' does not verify with the key of '{}': {e}",
                    child.describe(),
                    self.describe()
                ))
            })
    }
}
