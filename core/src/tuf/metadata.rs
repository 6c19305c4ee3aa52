//! The four top-level TUF 1.0 roles (root, timestamp, snapshot, targets): parsing a signed envelope, and
//! checking its signatures against a role of a trusted root (a threshold of distinct keys).
//!
//! Keys are `ecdsa`/`ecdsa-sha2-nistp256` with scheme `ecdsa-sha2-nistp256` (`keyval.public` a PEM public
//! key, or hex of its DER as older roots wrote it) and `ed25519` (`keyval.public` the 32-byte key in hex). A
//! key of another type is kept but never counts towards a threshold. Key ids are taken as written (as
//! python-tuf does): a signature counts when its key id is one of the role's and its key verifies it, and
//! each key, by id and by key material, counts once.

use std::collections::{BTreeMap, BTreeSet};

use hsign_keys::{HashAlgorithm, KeyKind, PublicKey};
use serde::Deserialize;
use serde_json::Value;

use super::TufError;
use super::canonical;

/// One signature of an envelope.
#[derive(Clone, Debug, Deserialize)]
pub struct Signature {
    /// The key id of the signer.
    pub keyid: String,
    /// The signature, in hex.
    pub sig: String,
}

#[derive(Deserialize)]
struct RawEnvelope {
    signatures: Vec<Signature>,
    signed: Value,
}

/// A metadata file as read: its `signed` object in canonical form, and its signatures.
#[derive(Clone, Debug)]
pub struct Envelope {
    /// The file name, for errors (`2.root.json`).
    pub file: String,
    /// The `signed` object.
    pub signed: Value,
    /// The canonical JSON of `signed`: what the signatures cover.
    pub canonical: Vec<u8>,
    /// The signatures.
    pub signatures: Vec<Signature>,
}

impl Envelope {
    /// Parses a metadata file named `file` whose `signed._type` must be `expected_type`.
    pub fn parse(file: &str, data: &[u8], expected_type: &str) -> Result<Self, TufError> {
        let raw: RawEnvelope = serde_json::from_slice(data).map_err(|e| malformed(file, format!("{e}")))?;
        let found = raw.signed.get("_type").and_then(Value::as_str).unwrap_or("");
        if found != expected_type {
            return Err(malformed(
                file,
                format!("field 'signed._type' is '{found}', expected '{expected_type}'"),
            ));
        }
        let canonical = canonical::encode(&raw.signed).map_err(|e| malformed(file, e))?;
        Ok(Self {
            file: file.to_string(),
            signed: raw.signed,
            canonical,
            signatures: raw.signatures,
        })
    }

    fn fields<T: for<'de> Deserialize<'de>>(&self) -> Result<T, TufError> {
        T::deserialize(&self.signed).map_err(|e| malformed(&self.file, format!("field 'signed': {e}")))
    }
}

fn malformed(file: &str, reason: impl Into<String>) -> TufError {
    TufError::Malformed {
        file: file.to_string(),
        reason: reason.into(),
    }
}

/// The version and expiry every role has.
#[derive(Clone, Debug)]
pub struct Common {
    /// `signed.version`.
    pub version: u64,
    /// `signed.expires` as written.
    pub expires: String,
    /// `signed.expires` in Unix seconds.
    pub expires_unix: i64,
}

impl Common {
    fn read(env: &Envelope) -> Result<Self, TufError> {
        #[derive(Deserialize)]
        struct Raw {
            version: u64,
            expires: String,
        }
        let raw: Raw = env.fields()?;
        let expires_unix = crate::rfc3339::parse(&raw.expires).ok_or_else(|| {
            malformed(
                &env.file,
                format!("field 'signed.expires' is '{}', expected an RFC 3339 time", raw.expires),
            )
        })?;
        if raw.version == 0 {
            return Err(malformed(&env.file, "field 'signed.version' is 0, expected 1 or more"));
        }
        Ok(Self {
            version: raw.version,
            expires: raw.expires,
            expires_unix,
        })
    }

    /// Refuses metadata that expired before `now` (Unix seconds).
    pub fn check_expiry(&self, file: &str, now: i64) -> Result<(), TufError> {
        if self.expires_unix <= now {
            return Err(TufError::Expired {
                file: file.to_string(),
                expires: self.expires.clone(),
            });
        }
        Ok(())
    }
}

/// A key of the root metadata.
#[derive(Clone, Debug)]
pub struct Key {
    /// The key, or `None` for a key type hsign does not verify with.
    pub public: Option<PublicKey>,
    /// The key material identifying it (SPKI DER, or the raw value of an unsupported key).
    pub material: Vec<u8>,
}

/// A role of the root metadata: who may sign it, and how many must.
#[derive(Clone, Debug, Deserialize)]
pub struct Role {
    /// The key ids of the role.
    pub keyids: Vec<String>,
    /// How many distinct keys must sign.
    pub threshold: u64,
}

/// Verified or not, a parsed root metadata file.
#[derive(Clone, Debug)]
pub struct Root {
    /// The envelope as read.
    pub envelope: Envelope,
    /// Version and expiry.
    pub common: Common,
    /// Whether files are fetched under their version (`N.snapshot.json`) and hash (`targets/<hash>.<name>`).
    pub consistent_snapshot: bool,
    /// The keys by key id.
    pub keys: BTreeMap<String, Key>,
    /// The roles by name.
    pub roles: BTreeMap<String, Role>,
}

#[derive(Deserialize)]
struct RawKey {
    keytype: String,
    scheme: String,
    keyval: RawKeyVal,
}

#[derive(Deserialize)]
struct RawKeyVal {
    public: String,
}

/// The SPKI DER prefix of an Ed25519 public key (RFC 8410); the 32 key bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

impl Root {
    /// Parses a root metadata file named `file`. Nothing is verified.
    pub fn parse(file: &str, data: &[u8]) -> Result<Self, TufError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            consistent_snapshot: bool,
            keys: BTreeMap<String, RawKey>,
            roles: BTreeMap<String, Role>,
        }
        let envelope = Envelope::parse(file, data, "root")?;
        let common = Common::read(&envelope)?;
        let raw: Raw = envelope.fields()?;
        let mut keys = BTreeMap::new();
        for (id, k) in raw.keys {
            let key = parse_key(&k).map_err(|e| malformed(file, format!("field 'signed.keys.{id}': {e}")))?;
            keys.insert(id, key);
        }
        for name in ["root", "timestamp", "snapshot", "targets"] {
            match raw.roles.get(name) {
                None => return Err(malformed(file, format!("field 'signed.roles.{name}' is missing"))),
                Some(r) if r.threshold == 0 => {
                    return Err(malformed(
                        file,
                        format!("field 'signed.roles.{name}.threshold' is 0, expected 1 or more"),
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(Self {
            envelope,
            common,
            consistent_snapshot: raw.consistent_snapshot,
            keys,
            roles: raw.roles,
        })
    }

    /// Checks that `envelope` carries valid signatures by at least the threshold of distinct keys of `role`.
    pub fn verify_role(&self, role: &str, envelope: &Envelope) -> Result<(), TufError> {
        let Some(r) = self.roles.get(role) else {
            return Err(malformed(
                &self.envelope.file,
                format!("field 'signed.roles.{role}' is missing"),
            ));
        };
        let allowed: BTreeSet<&str> = r.keyids.iter().map(String::as_str).collect();
        let mut counted_ids = BTreeSet::new();
        let mut counted_keys: BTreeSet<&[u8]> = BTreeSet::new();
        for s in &envelope.signatures {
            if !allowed.contains(s.keyid.as_str()) || counted_ids.contains(s.keyid.as_str()) {
                continue;
            }
            let Some(key) = self.keys.get(&s.keyid) else { continue };
            let Some(public) = &key.public else { continue };
            if counted_keys.contains(key.material.as_slice()) {
                continue;
            }
            let Some(sig) = hex_decode(&s.sig) else { continue };
            let ok = match public.kind() {
                KeyKind::Ed25519 => public.verify_message(&envelope.canonical, &sig).is_ok(),
                _ => public
                    .verify_message_hashed(HashAlgorithm::Sha256, &envelope.canonical, &sig)
                    .is_ok(),
            };
            if ok {
                counted_ids.insert(s.keyid.as_str());
                counted_keys.insert(key.material.as_slice());
            }
        }
        let valid = counted_ids.len() as u64;
        if valid < r.threshold {
            return Err(TufError::Threshold {
                file: envelope.file.clone(),
                role: role.to_string(),
                signed_by: format!("version {} of root.json", self.common.version),
                valid,
                threshold: r.threshold,
            });
        }
        Ok(())
    }
}

fn parse_key(k: &RawKey) -> Result<Key, String> {
    match (k.keytype.as_str(), k.scheme.as_str()) {
        ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
            let text = k.keyval.public.trim();
            let public = if text.starts_with("-----BEGIN") {
                PublicKey::from_pem_or_der(text.as_bytes())
            } else {
                let der = hex_decode(text).ok_or("keyval.public is neither PEM nor hex")?;
                PublicKey::from_spki_der(&der)
            }
            .map_err(|e| format!("keyval.public is not a usable public key: {e}"))?;
            if public.kind() != KeyKind::EcdsaP256 {
                return Err(format!(
                    "keyval.public is a {} key, expected ECDSA P-256 for scheme ecdsa-sha2-nistp256",
                    public.kind().describe()
                ));
            }
            Ok(Key {
                material: public.to_spki_der(),
                public: Some(public),
            })
        }
        ("ed25519", "ed25519") => {
            let raw = hex_decode(k.keyval.public.trim())
                .filter(|b| b.len() == 32)
                .ok_or("keyval.public is not 32 bytes of hex, expected an Ed25519 key")?;
            let mut der = ED25519_SPKI_PREFIX.to_vec();
            der.extend_from_slice(&raw);
            let public = PublicKey::from_spki_der(&der).map_err(|e| format!("keyval.public: {e}"))?;
            Ok(Key {
                material: der,
                public: Some(public),
            })
        }
        _ => Ok(Key {
            public: None,
            material: format!("{}:{}:{}", k.keytype, k.scheme, k.keyval.public).into_bytes(),
        }),
    }
}

/// Decodes lower- or upper-case hex; `None` for anything else.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// What a parent metadata file says about a file: its version, and optionally its length and hashes.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct MetaFile {
    /// The version.
    pub version: u64,
    /// The length in bytes, when listed.
    #[serde(default)]
    pub length: Option<u64>,
    /// Hashes by algorithm name (`sha256`), hex, when listed.
    #[serde(default)]
    pub hashes: BTreeMap<String, String>,
}

/// The timestamp role: which snapshot is current.
#[derive(Clone, Debug)]
pub struct Timestamp {
    /// Version and expiry.
    pub common: Common,
    /// `signed.meta["snapshot.json"]`.
    pub snapshot: MetaFile,
}

/// The snapshot role: which targets metadata is current.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Version and expiry.
    pub common: Common,
    /// `signed.meta["targets.json"]`.
    pub targets: MetaFile,
}

#[derive(Deserialize)]
struct RawMeta {
    meta: BTreeMap<String, MetaFile>,
}

fn meta_entry(env: &Envelope, name: &str) -> Result<MetaFile, TufError> {
    let raw: RawMeta = env.fields()?;
    raw.meta
        .get(name)
        .cloned()
        .ok_or_else(|| malformed(&env.file, format!("field 'signed.meta.{name}' is missing")))
}

impl Timestamp {
    /// Reads a parsed timestamp envelope.
    pub fn read(env: &Envelope) -> Result<Self, TufError> {
        Ok(Self {
            common: Common::read(env)?,
            snapshot: meta_entry(env, "snapshot.json")?,
        })
    }
}

impl Snapshot {
    /// Reads a parsed snapshot envelope.
    pub fn read(env: &Envelope) -> Result<Self, TufError> {
        Ok(Self {
            common: Common::read(env)?,
            targets: meta_entry(env, "targets.json")?,
        })
    }
}

/// A target file as the targets role lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct TargetFile {
    /// The length in bytes.
    pub length: u64,
    /// Hashes by algorithm name (`sha256`, `sha512`), hex.
    pub hashes: BTreeMap<String, String>,
}

/// The targets role: the target files and their lengths and hashes.
#[derive(Clone, Debug)]
pub struct Targets {
    /// Version and expiry.
    pub common: Common,
    /// The targets by name.
    pub targets: BTreeMap<String, TargetFile>,
}

impl Targets {
    /// Reads a parsed targets envelope.
    pub fn read(env: &Envelope) -> Result<Self, TufError> {
        #[derive(Deserialize)]
        struct Raw {
            targets: BTreeMap<String, TargetFile>,
        }
        let raw: Raw = env.fields()?;
        Ok(Self {
            common: Common::read(env)?,
            targets: raw.targets,
        })
    }
}

/// Checks `data` against a listed length and hashes (sha256 and sha512 are checked; at least one of them
/// must be listed when `require_hash`). The error says which check failed.
pub fn check_file(
    file: &str,
    data: &[u8],
    length: Option<u64>,
    hashes: &BTreeMap<String, String>,
    require_hash: bool,
) -> Result<(), TufError> {
    let mismatch = |reason: String| TufError::Mismatch {
        file: file.to_string(),
        reason,
    };
    if let Some(len) = length
        && data.len() as u64 != len
    {
        return Err(mismatch(format!("has {} bytes, the metadata lists {len}", data.len())));
    }
    let mut checked = 0;
    for (name, alg) in [("sha256", HashAlgorithm::Sha256), ("sha512", HashAlgorithm::Sha512)] {
        let Some(expected) = hashes.get(name) else { continue };
        let got: String = alg.digest(data).iter().map(|b| format!("{b:02x}")).collect();
        if !got.eq_ignore_ascii_case(expected) {
            return Err(mismatch(format!("{name} is {got}, the metadata lists {expected}")));
        }
        checked += 1;
    }
    if require_hash && checked == 0 {
        return Err(mismatch(
            "the metadata lists neither a sha256 nor a sha512 hash".to_string(),
        ));
    }
    Ok(())
}
