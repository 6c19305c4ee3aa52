//! One certificate as the verifier sees it ([`Cert`]: decoded, with its signed bytes kept as received), and
//! what a Fulcio leaf certificate says ([`LeafInfo`], [`parse_leaf`]).

use std::collections::BTreeMap;

use der::asn1::ObjectIdentifier;
use der::{Decode as _, Encode as _, Tag, Tagged as _};
use hsign_keys::{HashAlgorithm, KeyKind, PublicKey};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};

use super::tlv::{self, CertificateParts};
use super::{CertError, oid};

/// What a Fulcio leaf certificate says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafInfo {
    /// The certificate, DER, as given.
    pub der: Vec<u8>,
    /// Its SubjectPublicKeyInfo, DER: the key that signed the artifact.
    pub spki_der: Vec<u8>,
    /// Its notBefore, Unix seconds.
    pub not_before: i64,
    /// Its notAfter, Unix seconds.
    pub not_after: i64,
    /// The identities of the subjectAltName extension, in order: email addresses, URIs, and the UTF8String
    /// values of Fulcio's otherName (type 1.3.6.1.4.1.57264.1.7, `foo!oidc.local`). Other name types (DNS
    /// names, IP addresses) are left out. Empty when there is no subjectAltName.
    pub sans: Vec<String>,
    /// The OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (a DER UTF8String, Fulcio v2) when present, else
    /// 1.3.6.1.4.1.57264.1.1 (the raw bytes, Fulcio v1).
    pub issuer: Option<String>,
    /// Every Fulcio extension (`1.3.6.1.4.1.57264.1.*`) by dotted OID, as a string: the raw bytes of the v1
    /// ones (`.1` to `.6`), the decoded DER UTF8String of the others (`.8` to `.22`). An extension of a later
    /// arc that is neither a UTF8String nor UTF-8 is left out.
    pub extensions: BTreeMap<String, String>,
}

/// Reads a Fulcio leaf certificate (DER). Nothing is verified here; see [`super::verify_chain`].
pub fn parse_leaf(der: &[u8]) -> Result<LeafInfo, CertError> {
    let cert = Cert::parse(der)?;
    let mut extensions = BTreeMap::new();
    for ext in cert
        .parsed
        .tbs_certificate()
        .extensions()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let id = ext.extn_id.to_string();
        let Some(arc) = id.strip_prefix(oid::FULCIO_ARC).and_then(|a| a.parse::<u32>().ok()) else {
            continue;
        };
        let bytes = ext.extn_value.as_bytes();
        let value = match arc {
            1..=6 => Some(utf8(bytes, &id)?),
            8..=22 => Some(
                der_utf8(bytes)
                    .ok_or_else(|| CertError::Malformed(format!("extension {id}: expected a DER UTF8String")))?,
            ),
            _ => der_utf8(bytes).or_else(|| std::str::from_utf8(bytes).ok().map(str::to_owned)),
        };
        if let Some(value) = value {
            extensions.insert(id, value);
        }
    }
    let issuer = extensions
        .get(oid::FULCIO_ISSUER_V2)
        .or_else(|| extensions.get(oid::FULCIO_ISSUER_V1))
        .cloned();
    Ok(LeafInfo {
        der: der.to_vec(),
        spki_der: cert.spki_der()?,
        not_before: cert.not_before,
        not_after: cert.not_after,
        sans: sans(&cert)?,
        issuer,
        extensions,
    })
}

fn utf8(bytes: &[u8], id: &str) -> Result<String, CertError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| CertError::Malformed(format!("extension {id}: expected UTF-8 text")))
}

/// The text of a DER UTF8String, `None` when `bytes` is not exactly one.
fn der_utf8(bytes: &[u8]) -> Option<String> {
    let any = der::asn1::AnyRef::from_der(bytes).ok()?;
    (any.tag() == Tag::Utf8String)
        .then(|| std::str::from_utf8(any.value()).ok().map(str::to_owned))
        .flatten()
}

fn sans(cert: &Cert<'_>) -> Result<Vec<String>, CertError> {
    let Some((_, san)) = cert.extension::<SubjectAltName>("subjectAltName")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for name in san.0 {
        match name {
            GeneralName::Rfc822Name(s) | GeneralName::UniformResourceIdentifier(s) => out.push(s.to_string()),
            GeneralName::OtherName(other) if other.type_id == oid::FULCIO_OTHERNAME => {
                let value = other.value.to_der().ok().and_then(|d| der_utf8(&d)).ok_or_else(|| {
                    CertError::Malformed("subjectAltName otherName 1.3.6.1.4.1.57264.1.7: expected a UTF8String".into())
                })?;
                out.push(value);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A decoded certificate that keeps the bytes its issuer signed.
pub(super) struct Cert<'a> {
    /// The decoded certificate.
    pub parsed: Certificate,
    /// The signed parts, as received.
    pub parts: CertificateParts<'a>,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
}

impl<'a> Cert<'a> {
    /// Decodes a DER certificate.
    pub fn parse(der: &'a [u8]) -> Result<Self, CertError> {
        let parts = tlv::split_certificate(der).map_err(CertError::Malformed)?;
        let parsed = Certificate::from_der(der).map_err(|e| CertError::Malformed(format!("X.509 certificate: {e}")))?;
        let validity = parsed.tbs_certificate().validity();
        let secs = |t: x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
        Ok(Self {
            not_before: secs(validity.not_before),
            not_after: secs(validity.not_after),
            parsed,
            parts,
        })
    }

    /// The subject's distinguished name, as `x509-cert` prints it.
    pub fn subject(&self) -> String {
        self.parsed.tbs_certificate().subject().to_string()
    }

    /// True when subject and issuer are the same name: a root, or a self-issued certificate.
    pub fn is_self_issued(&self) -> bool {
        let tbs = self.parsed.tbs_certificate();
        tbs.subject() == tbs.issuer()
    }

    /// True when `issuer`'s subject is this certificate's issuer name.
    pub fn named_issuer_is(&self, issuer: &Cert<'_>) -> bool {
        self.parsed.tbs_certificate().issuer() == issuer.parsed.tbs_certificate().subject()
    }

    /// The SubjectPublicKeyInfo, DER.
    pub fn spki_der(&self) -> Result<Vec<u8>, CertError> {
        self.parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| CertError::Malformed(format!("subjectPublicKeyInfo: {e}")))
    }

    /// Errors unless `at` lies in `[notBefore, notAfter]`.
    pub fn check_valid_at(&self, at: i64, which: &str) -> Result<(), CertError> {
        if self.not_before <= at && at <= self.not_after {
            return Ok(());
        }
        Err(CertError::NotValidAt {
            which: which.to_owned(),
            at,
            not_before: self.not_before,
            not_after: self.not_after,
        })
    }

    /// The extension of type `T` and its criticality, `None` when absent; an error when it is malformed or
    /// appears twice.
    pub fn extension<T>(&self, name: &str) -> Result<Option<(bool, T)>, CertError>
    where
        T: for<'b> der::Decode<'b, Error = der::Error> + der::oid::AssociatedOid,
    {
        self.parsed
            .tbs_certificate()
            .get_extension::<T>()
            .map_err(|e| CertError::Malformed(format!("{name} extension (or it appears twice): {e}")))
    }

    /// The basicConstraints extension, `None` when absent.
    pub fn basic_constraints(&self) -> Result<Option<BasicConstraints>, CertError> {
        Ok(self.extension::<BasicConstraints>("basicConstraints")?.map(|(_, b)| b))
    }

    /// The keyUsage extension, `None` when absent.
    pub fn key_usage(&self) -> Result<Option<KeyUsage>, CertError> {
        Ok(self.extension::<KeyUsage>("keyUsage")?.map(|(_, k)| k))
    }

    /// The extendedKeyUsage extension, `None` when absent.
    pub fn ext_key_usage(&self) -> Result<Option<ExtendedKeyUsage>, CertError> {
        Ok(self.extension::<ExtendedKeyUsage>("extendedKeyUsage")?.map(|(_, e)| e))
    }

    /// Errors on a critical extension not in `handled`.
    pub fn check_critical(&self, handled: &[ObjectIdentifier], which: &str) -> Result<(), CertError> {
        let extensions = self
            .parsed
            .tbs_certificate()
            .extensions()
            .map(Vec::as_slice)
            .unwrap_or_default();
        match extensions.iter().find(|e| e.critical && !handled.contains(&e.extn_id)) {
            Some(e) => Err(CertError::UnhandledCriticalExtension {
                which: which.to_owned(),
                oid: e.extn_id.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Verifies this certificate's signature with `issuer`'s key, over the TBSCertificate as received.
    /// `which` names this certificate in the error.
    pub fn verify_issued_by(&self, issuer: &Cert<'_>, which: &str) -> Result<(), CertError> {
        let algorithm = self.parsed.signature_algorithm();
        if algorithm != self.parsed.tbs_certificate().signature() {
            return Err(CertError::Malformed(format!(
                "{which}: the signature algorithm differs from the one in the TBSCertificate"
            )));
        }
        let key = PublicKey::from_spki_der(&issuer.spki_der()?)
            .map_err(|e| CertError::UnsupportedAlgorithm(format!("the key of {which}'s issuer: {e}")))?;
        let ecdsa = matches!(key.kind(), KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::EcdsaP521);
        let rsa = matches!(key.kind(), KeyKind::Rsa(_));
        let hash = match algorithm.oid {
            oid::ECDSA_SHA256 if ecdsa => HashAlgorithm::Sha256,
            oid::ECDSA_SHA384 if ecdsa => HashAlgorithm::Sha384,
            oid::ECDSA_SHA512 if ecdsa => HashAlgorithm::Sha512,
            oid::RSA_SHA256 if rsa => HashAlgorithm::Sha256,
            oid::RSA_SHA384 if rsa => HashAlgorithm::Sha384,
            oid::RSA_SHA512 if rsa => HashAlgorithm::Sha512,
            other => {
                return Err(CertError::UnsupportedAlgorithm(format!(
                    "{which} is signed with {other} by a {} key (expected ECDSA or RSA PKCS#1 v1.5 with SHA-2)",
                    key.kind().describe()
                )));
            }
        };
        // A verified (signed bytes, signature, issuer key) triple stays verified: remembered, so a trusted
        // root's intermediate-by-root signatures (ECDSA P-384 for Fulcio) are checked once per process.
        // Only CA certificates are remembered: a leaf is checked on every verification.
        let is_ca = matches!(self.basic_constraints(), Ok(Some(bc)) if bc.ca);
        let memo = verified_memo_key(hash, self.parts.tbs, self.parts.signature, &key.to_spki_der());
        if is_ca && verified_memo().lock().is_ok_and(|m| m.contains(&memo)) {
            return Ok(());
        }
        key.verify_message_hashed(hash, self.parts.tbs, self.parts.signature)
            .map_err(|e| CertError::BadSignature {
                which: which.to_owned(),
                reason: e.to_string(),
            })?;
        if is_ca
            && let Ok(mut m) = verified_memo().lock()
            && m.len() < MEMO_CAPACITY
        {
            m.insert(memo);
        }
        Ok(())
    }
}

/// At most this many verified signatures are remembered.
const MEMO_CAPACITY: usize = 4096;

/// Signatures verified in this process, by the SHA-256 of what was verified.
fn verified_memo() -> &'static std::sync::Mutex<std::collections::HashSet<[u8; 32]>> {
    static MEMO: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>> =
        std::sync::OnceLock::new();
    MEMO.get_or_init(Default::default)
}

/// The memo key: SHA-256 over the hash algorithm and the length-prefixed signed bytes, signature and key.
fn verified_memo_key(hash: HashAlgorithm, tbs: &[u8], signature: &[u8], spki: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(hash.name().as_bytes());
    for part in [tbs, signature, spki] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().into()
}
