//! Transparency logs (Rekor) and certificate transparency logs as a trusted root lists them
//! (`TransparencyLogInstance`): the log's key, its id, and when the key may be trusted.

use hsign_keys::{HashAlgorithm, KeyError, KeyKind, PublicKey};

use super::DOC;
use super::raw::{RawLog, RawLogId};
use super::validity::{self, Bounds, Validity};
use crate::FormatError;
use crate::encoding::b64;

/// One transparency log or certificate transparency log of a trusted root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogInstance {
    /// The URL that identifies the log (`https://rekor.sigstore.dev`); for Rekor v2 its host is the origin
    /// line of the log's checkpoints and the key name in their signatures.
    pub base_url: String,
    /// The hash of the log's Merkle tree.
    pub hash_algorithm: HashAlgorithm,
    /// The key the log signs with (SETs, checkpoints, SCTs).
    pub key: PublicKey,
    /// The protobuf `PublicKeyDetails` name of the key as the document gives it (`PKIX_ECDSA_P256_SHA_256`,
    /// `PKIX_ED25519`, `PKCS1_RSA_PKCS1V5`): key encoding and signature algorithm.
    pub key_details: String,
    /// The log id entries carry (`logId.keyId`), as the document gives it: 32 bytes in every known root.
    ///
    /// - Rekor v1 logs and CT logs: SHA-256 of the key's PKIX SubjectPublicKeyInfo DER (RFC 6962 §3.2), for
    ///   any key type (a PKCS#1 RSA key is hashed in its PKIX form).
    /// - Rekor v2 logs (Ed25519 keys): the untruncated C2SP signed-note key hash,
    ///   SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ 32-byte Ed25519 key), where the origin is the host of `base_url`
    ///   (`log2025-1.rekor.sigstore.dev`); its first four bytes are the key hint of the log's checkpoint
    ///   signatures (see [`LogInstance::checkpoint_key_hint`]). Checked against every Rekor v2 log of the
    ///   production and staging roots and the conformance vectors.
    ///
    /// So a log id is not always the key's fingerprint; entries are matched against it byte for byte.
    pub log_id: Vec<u8>,
    /// The checkpoint key id (`checkpointKeyId.keyId`) of trusted roots v0.2, when the document gives one: the
    /// 4-byte signed-note key hint (sometimes its untruncated 32-byte hash).
    pub checkpoint_key_id: Option<Vec<u8>>,
    /// The operator of the log (`sigstore.dev`), empty when the document names none (roots before v0.2).
    pub operator: String,
    /// When the key may be trusted.
    pub valid_for: Validity,
}

/// How a `keyDetails` value encodes its key, and what hsign expects the key to be.
struct Details {
    name: &'static str,
    /// `true`: `rawBytes` is a PKCS#1 `RSAPublicKey`; `false`: a PKIX SubjectPublicKeyInfo.
    pkcs1: bool,
    family: Family,
    /// The hash the log signs with; `None` for pure Ed25519.
    hash: Option<HashAlgorithm>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Ed25519,
    Rsa,
}

impl Family {
    fn matches(self, kind: KeyKind) -> bool {
        matches!(
            (self, kind),
            (Self::EcdsaP256, KeyKind::EcdsaP256)
                | (Self::EcdsaP384, KeyKind::EcdsaP384)
                | (Self::EcdsaP521, KeyKind::EcdsaP521)
                | (Self::Ed25519, KeyKind::Ed25519)
                | (Self::Rsa, KeyKind::Rsa(_))
        )
    }
}

const fn details(name: &'static str, pkcs1: bool, family: Family, hash: Option<HashAlgorithm>) -> Details {
    Details {
        name,
        pkcs1,
        family,
        hash,
    }
}

const SHA256: Option<HashAlgorithm> = Some(HashAlgorithm::Sha256);
const SHA384: Option<HashAlgorithm> = Some(HashAlgorithm::Sha384);
const SHA512: Option<HashAlgorithm> = Some(HashAlgorithm::Sha512);

/// The `PublicKeyDetails` values hsign can verify with. Every other value (`PKIX_ED25519_PH`,
/// `PKIX_ECDSA_P256_HMAC_SHA_256`, LMS, ML-DSA, a name from a newer schema) makes the log unusable, not the
/// root unreadable. The deprecated values still found in real roots (`PKCS1_RSA_PKCS1V5` in the staging CT
/// log) are here; the pre-2023 `SignatureAlgorithm` names (`ECDSA_P256_SHA_256`) were never `keyDetails`
/// values.
const SUPPORTED: &[Details] = &[
    details("PKIX_ECDSA_P256_SHA_256", false, Family::EcdsaP256, SHA256),
    details("PKIX_ECDSA_P384_SHA_384", false, Family::EcdsaP384, SHA384),
    details("PKIX_ECDSA_P521_SHA_512", false, Family::EcdsaP521, SHA512),
    details("PKIX_ECDSA_P384_SHA_256", false, Family::EcdsaP384, SHA256),
    details("PKIX_ECDSA_P521_SHA_256", false, Family::EcdsaP521, SHA256),
    details("PKIX_ED25519", false, Family::Ed25519, None),
    details("PKIX_RSA_PKCS1V15_2048_SHA256", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PKCS1V15_3072_SHA256", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PKCS1V15_4096_SHA256", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PSS_2048_SHA256", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PSS_3072_SHA256", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PSS_4096_SHA256", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PKCS1V5", false, Family::Rsa, SHA256),
    details("PKIX_RSA_PSS", false, Family::Rsa, SHA256),
    details("PKCS1_RSA_PKCS1V5", true, Family::Rsa, SHA256),
    details("PKCS1_RSA_PSS", true, Family::Rsa, SHA256),
];

fn lookup(name: &str) -> Option<&'static Details> {
    SUPPORTED.iter().find(|d| d.name == name)
}

/// The signed-note signature type of RSA keys in Rekor v2 (rekor-tiles): 0xff, then this identifier.
const NOTE_RSA_ID: &[u8] = b"PKIX-RSA-PKCS#1v1.5";

impl LogInstance {
    /// A log known only by its key, as cosign's `--rekor-key` / `SIGSTORE_REKOR_PUBLIC_KEY` gives it: the log
    /// id is SHA-256 of the key's PKIX DER (Rekor v1's log id, whatever the key type), the Merkle hash
    /// SHA-256, and the key valid at every time.
    pub fn from_public_key(key: PublicKey, base_url: &str) -> Self {
        let key_details = match key.kind() {
            KeyKind::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256".to_owned(),
            KeyKind::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384".to_owned(),
            KeyKind::EcdsaP521 => "PKIX_ECDSA_P521_SHA_512".to_owned(),
            KeyKind::Ed25519 => "PKIX_ED25519".to_owned(),
            KeyKind::Rsa(bits @ (2048 | 3072 | 4096)) => format!("PKIX_RSA_PKCS1V15_{bits}_SHA256"),
            KeyKind::Rsa(_) => "PKIX_RSA_PKCS1V5".to_owned(),
            _ => "PUBLIC_KEY_DETAILS_UNSPECIFIED".to_owned(),
        };
        Self {
            base_url: base_url.to_owned(),
            hash_algorithm: HashAlgorithm::Sha256,
            log_id: key.fingerprint(),
            key,
            key_details,
            checkpoint_key_id: None,
            operator: String::new(),
            valid_for: Validity::OPEN,
        }
    }

    /// The hash the log signs with, from [`LogInstance::key_details`] (`PKIX_ECDSA_P384_SHA_384`: SHA-384);
    /// `None` for Ed25519, which signs the message itself.
    pub fn signature_hash(&self) -> Option<HashAlgorithm> {
        match lookup(&self.key_details) {
            Some(d) => d.hash,
            None => self.key.kind().signing_hash(),
        }
    }

    /// Every key hint a checkpoint signature by this log may carry for signer `name`: the C2SP hint
    /// ([`Self::checkpoint_key_hint`]) and Rekor v1's SHA-256(PKIX DER)[..4], which differ for Ed25519 and RSA
    /// keys.
    pub fn checkpoint_key_hints(&self, name: &str) -> Vec<[u8; 4]> {
        let c2sp = self.checkpoint_key_hint(name);
        let spki = HashAlgorithm::Sha256.digest(&self.key.to_spki_der());
        let v1 = [spki[0], spki[1], spki[2], spki[3]];
        if v1 == c2sp { vec![c2sp] } else { vec![c2sp, v1] }
    }

    /// The 4-byte key hint that starts the signature of a checkpoint signed by this log under the key name
    /// `name` (the checkpoint's origin for the log's own signature, `log2025-1.rekor.sigstore.dev`), as the
    /// C2SP signed-note spec and Rekor v2 compute it:
    ///
    /// - Ed25519: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte key)[..4] (signed-note signature type 0x01);
    /// - ECDSA: SHA-256(PKIX DER)[..4] (the name is not hashed: Rekor's pre-standard choice, kept by v2);
    /// - RSA: SHA-256(name ‖ 0x0A ‖ 0xFF ‖ `PKIX-RSA-PKCS#1v1.5` ‖ PKIX DER)[..4] (rekor-tiles `pkg/note`,
    ///   and the `checkpoint_key_id` comment of `sigstore_trustroot.proto`).
    ///
    /// Rekor v1 instead signs every checkpoint with SHA-256(PKIX DER)[..4] whatever the key type; for ECDSA,
    /// the only key type the public Rekor v1 logs use, both agree (and equal the first four bytes of the log
    /// id).
    pub fn checkpoint_key_hint(&self, name: &str) -> [u8; 4] {
        let spki = || self.key.to_spki_der();
        let digest = match &self.key {
            PublicKey::Ed25519(key) => note_key_hash(name, &[0x01], key.as_bytes()),
            PublicKey::Rsa(_) => {
                let mut signature_type = vec![0xff];
                signature_type.extend_from_slice(NOTE_RSA_ID);
                note_key_hash(name, &signature_type, &spki())
            }
            _ => HashAlgorithm::Sha256.digest(&spki()),
        };
        let mut hint = [0u8; 4];
        for (h, d) in hint.iter_mut().zip(&digest) {
            *h = *d;
        }
        hint
    }
}

/// SHA-256(name ‖ 0x0A ‖ signature type ‖ key material): the signed-note key hash, untruncated.
pub(super) fn note_key_hash(name: &str, signature_type: &[u8], key: &[u8]) -> Vec<u8> {
    let mut hasher = hsign_keys::Hasher::new(HashAlgorithm::Sha256);
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update(signature_type);
    hasher.update(key);
    hasher.finalize()
}

/// Reads the log at `at` (`tlogs[0]`). `Ok(None)`: the log is well formed but hsign cannot use it (its key
/// type, its Merkle hash, or its key size is one hsign does not verify with); it is left out of the root
/// rather than making the whole root unreadable. A malformed log (a missing field, bad base64, a key that
/// does not parse or is not of the type `keyDetails` names) is an error.
pub(super) fn parse(raw: RawLog, at: &str) -> Result<Option<LogInstance>, FormatError> {
    let field = |name: &str| format!("{at}.{name}");
    let log_id = log_id_bytes(raw.log_id, &field("logId"))?
        .ok_or_else(|| FormatError::new(DOC, field("logId.keyId"), "is missing or empty"))?;
    let checkpoint_key_id = log_id_bytes(raw.checkpoint_key_id, &field("checkpointKeyId"))?;
    let public_key = raw
        .public_key
        .ok_or_else(|| FormatError::new(DOC, field("publicKey"), "is missing"))?;
    let raw_bytes = match public_key.raw_bytes.as_deref() {
        None | Some("") => {
            return Err(FormatError::new(
                DOC,
                field("publicKey.rawBytes"),
                "is missing or empty",
            ));
        }
        Some(s) => b64(s).map_err(|r| FormatError::new(DOC, field("publicKey.rawBytes"), r))?,
    };
    let valid_for = validity::parse(
        public_key.valid_for,
        &field("publicKey.validFor"),
        Bounds::StartRequired,
    )?;
    let key_details = match public_key.key_details {
        None => return Err(FormatError::new(DOC, field("publicKey.keyDetails"), "is missing")),
        Some(s) => s,
    };
    let hash_algorithm = match raw.hash_algorithm.as_deref() {
        None => return Err(FormatError::new(DOC, field("hashAlgorithm"), "is missing")),
        Some(name) => HashAlgorithm::from_bundle_name(name),
    };
    let (Some(hash_algorithm), Some(details)) = (hash_algorithm, lookup(&key_details)) else {
        return Ok(None);
    };
    let parsed = if details.pkcs1 {
        let pem = hsign_keys::pem::encode("RSA PUBLIC KEY", &raw_bytes);
        PublicKey::from_pem_or_der(pem.as_bytes())
    } else {
        PublicKey::from_spki_der(&raw_bytes)
    };
    let key = match parsed {
        Ok(key) => key,
        // An RSA key of a size hsign refuses (as cosign does): usable by others, not by hsign.
        Err(KeyError::Unsupported(_)) if details.family == Family::Rsa => return Ok(None),
        Err(e) => {
            return Err(FormatError::new(
                DOC,
                field("publicKey.rawBytes"),
                format!("is not a {key_details} key: {e}"),
            ));
        }
    };
    if !details.family.matches(key.kind()) {
        return Err(FormatError::new(
            DOC,
            field("publicKey.rawBytes"),
            format!("is an {} key, but keyDetails says {key_details}", key.kind().describe()),
        ));
    }
    Ok(Some(LogInstance {
        base_url: raw.base_url.unwrap_or_default(),
        hash_algorithm,
        key,
        key_details,
        log_id,
        checkpoint_key_id,
        operator: raw.operator.unwrap_or_default(),
        valid_for,
    }))
}

/// The bytes of a `LogId` at `field`; `None` when it or its `keyId` is absent or empty.
fn log_id_bytes(id: Option<RawLogId>, field: &str) -> Result<Option<Vec<u8>>, FormatError> {
    match id.and_then(|id| id.key_id).as_deref() {
        None | Some("") => Ok(None),
        Some(s) => b64(s)
            .map(Some)
            .map_err(|r| FormatError::new(DOC, format!("{field}.keyId"), r)),
    }
}
