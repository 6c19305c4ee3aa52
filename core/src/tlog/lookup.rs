//! Looking single entries up in a Rekor v1 log: checking that the answer is the entry asked for and that its
//! UUID is the hash of its body, verifying what the log promised about it ([`super::verify_entry`]), and
//! summarizing what its body records (the digest or payload hash, and who signed). Also the search-index
//! query, whose answers are only hints: each UUID has to be looked up and verified to count.

use std::fmt;

use serde_json::{Value, json};

use super::body::{EntryBody, LoggedVerifier, ParsedBody};
use super::entry::{ApiEntry, uuid_leaf_hash};
use super::{TlogError, VerifiedEntry, verify_entry};
use crate::ArtifactDigest;
use crate::bundle::TlogEntry;
use crate::encoding::{hex, to_b64};
use crate::error::FormatError;
use crate::trust::TrustedRoot;
use hsign_keys::HashAlgorithm;

/// Which entry to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryRef {
    /// By UUID (64 hex digits, or 80 with the tree id in front).
    Uuid(String),
    /// By global log index.
    Index(u64),
}

impl fmt::Display for EntryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uuid(u) => write!(f, "UUID {u}"),
            Self::Index(i) => write!(f, "log index {i}"),
        }
    }
}

/// Why a looked-up entry was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// An index lookup answered with an entry that has no SET, the only thing that signs the global index.
    #[error(
        "the entry at log index {index} has no signed entry timestamp, so nothing the log signed binds it to that index; look it up by UUID"
    )]
    IndexUnsigned {
        /// The index asked for.
        index: i64,
    },
    /// The log answered with another entry than the one asked for.
    #[error("the log answered the request for {asked} with another entry ({answered})")]
    NotAsked {
        /// What was asked for.
        asked: String,
        /// What the answer is.
        answered: String,
    },
    /// The entry does not verify (SET, inclusion proof, checkpoint, or an unknown log).
    #[error("{0}")]
    Tlog(#[from] TlogError),
    /// The UUID the entry is filed under is not the leaf hash of its body.
    #[error("UUID check failed: {0}")]
    UuidMismatch(String),
}

/// Who a body records as a signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedSigner {
    /// True when the body holds a certificate, false for a bare public key.
    pub certificate: bool,
    /// `sha256:<hex>` of the key's PKIX DER (for a certificate, of its key); `None` when the certificate
    /// cannot be read.
    pub key_fingerprint: Option<String>,
}

impl fmt::Display for LoggedSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.certificate, &self.key_fingerprint) {
            (false, Some(fp)) => write!(f, "public key {fp}"),
            (true, Some(fp)) => write!(f, "certificate (key {fp})"),
            (_, None) => f.write_str("certificate"),
        }
    }
}

/// What an entry's body records, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntrySummary {
    /// The body's `kind` (empty when unreadable).
    pub kind: String,
    /// The body's `apiVersion` (empty when unreadable).
    pub version: String,
    /// The body, or why hsign cannot read this kind of body (the entry itself may still verify).
    pub body: Result<ParsedBody, FormatError>,
}

impl EntrySummary {
    /// Summarizes an entry's stored body.
    pub fn of(entry: &TlogEntry) -> Self {
        Self {
            kind: entry.kind.clone(),
            version: entry.version.clone(),
            body: ParsedBody::parse(&entry.canonicalized_body),
        }
    }

    /// The digest the body records and its name: `digest` for a signature over a digest (hashedrekord,
    /// rekord), `payloadHash` for an envelope (dsse, intoto).
    pub fn recorded_digest(&self) -> Option<(&'static str, &ArtifactDigest)> {
        match &self.body.as_ref().ok()?.body {
            EntryBody::Digest { digest, .. } => Some(("digest", digest)),
            EntryBody::Envelope { payload_hash, .. } => Some(("payloadHash", payload_hash)),
        }
    }

    /// The signers the body records, in body order.
    pub fn signers(&self) -> Vec<LoggedSigner> {
        let Ok(parsed) = &self.body else { return Vec::new() };
        let verifiers: Vec<&LoggedVerifier> = match &parsed.body {
            EntryBody::Digest { signature, .. } => vec![&signature.verifier],
            EntryBody::Envelope { signatures, .. } => signatures.iter().map(|s| &s.verifier).collect(),
        };
        verifiers.into_iter().map(logged_signer).collect()
    }
}

/// The signer a verifier names, with the fingerprint of its key.
pub fn logged_signer(verifier: &LoggedVerifier) -> LoggedSigner {
    let fingerprint = |spki: &[u8]| format!("sha256:{}", hex(&HashAlgorithm::Sha256.digest(spki)));
    match verifier {
        LoggedVerifier::PublicKey(spki) => LoggedSigner {
            certificate: false,
            key_fingerprint: Some(fingerprint(spki)),
        },
        LoggedVerifier::Certificate(der) => LoggedSigner {
            certificate: true,
            key_fingerprint: crate::x509::spki_der(der).map(|spki: Vec<u8>| fingerprint(&spki)),
        },
    }
}

/// A looked-up entry that is the one asked for and verified against the trusted material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedLookup {
    /// The entry with its UUID.
    pub entry: ApiEntry,
    /// What was verified.
    pub verified: VerifiedEntry,
    /// What the body records.
    pub summary: EntrySummary,
}

impl VerifiedLookup {
    /// The stored body as JSON (`null` if it is not JSON, which a Rekor v1 body always is).
    pub fn body_json(&self) -> Value {
        serde_json::from_slice(&self.entry.entry.canonicalized_body).unwrap_or(Value::Null)
    }
}

/// Checks that `answer` is the entry `asked` for — the same UUID (leaf hash), or the same global index —
/// and that its UUID is the leaf hash of its body.
pub fn check_answer(asked: &EntryRef, answer: &ApiEntry) -> Result<(), LookupError> {
    let matches = match asked {
        EntryRef::Uuid(u) => uuid_leaf_hash(u).is_some_and(|leaf| uuid_leaf_hash(&answer.uuid) == Some(leaf)),
        EntryRef::Index(i) => u64::try_from(answer.entry.log_index).is_ok_and(|got| got == *i),
    };
    if !matches {
        return Err(LookupError::NotAsked {
            asked: asked.to_string(),
            answered: format!("UUID {} at log index {}", answer.uuid, answer.entry.log_index),
        });
    }
    answer.check_uuid().map_err(LookupError::UuidMismatch)
}

/// Checks that `answer` is the entry asked for ([`check_answer`]) and verifies it against `trust`
/// ([`verify_entry`]: its SET, its inclusion proof under a checkpoint signed by the same log).
pub fn verify_lookup(asked: &EntryRef, answer: ApiEntry, trust: &TrustedRoot) -> Result<VerifiedLookup, LookupError> {
    check_answer(asked, &answer)?;
    let verified = verify_entry(&answer.entry, trust)?;
    // Only the SET signs the global index: without one, an answer to an index lookup is not bound to it.
    if matches!(asked, EntryRef::Index(_)) && !verified.set_verified {
        return Err(LookupError::IndexUnsigned {
            index: answer.entry.log_index,
        });
    }
    let summary = EntrySummary::of(&answer.entry);
    Ok(VerifiedLookup {
        entry: answer,
        verified,
        summary,
    })
}

/// The body of a search-index query (`POST /api/v1/index/retrieve`): entries with this artifact digest
/// and/or signed by this key or certificate (PEM; both given: entries matching both).
pub fn search_query(digest: Option<&ArtifactDigest>, verifier_pem: Option<&[u8]>) -> Value {
    let mut query = serde_json::Map::new();
    if let Some(d) = digest {
        query.insert("hash".into(), json!(d.to_string()));
    }
    if let Some(pem) = verifier_pem {
        query.insert("publicKey".into(), json!({"format": "x509", "content": to_b64(pem)}));
    }
    if query.len() > 1 {
        query.insert("operator".into(), json!("and"));
    }
    Value::Object(query)
}

/// Looks a signature up in the log by its proposed entry (`POST /api/v1/log/entries/retrieve`, as cosign does
/// for signatures that carry no log entry) and attaches what is found to `entity`, each answer's UUID checked
/// against its body; the verifier then checks the entries like embedded ones.
pub fn attach_found_entries(
    client: &super::client::RekorClient,
    entity: &mut crate::verify::SignedEntity,
    proposed: Value,
) -> Result<(), String> {
    let found = client
        .retrieve(&[proposed])
        .map_err(|e| format!("transparency log lookup failed: {e}"))?;
    let mut entries = Vec::new();
    for api in found {
        api.check_uuid().map_err(|e| format!("transparency log lookup: {e}"))?;
        entries.push(api.entry);
    }
    entity.add_log_entries(entries);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/vectors/rekor/jonzeolla-lab/rekor-api-get-entry.uuid-24296fb24b8ad77a.json"
    );
    const UUID: &str = "24296fb24b8ad77ad9ca41820f93cdbef2264692ced5c142d19e2ba859ab9f2b500d1917afe8ef30";

    fn answer() -> ApiEntry {
        let v: Value = serde_json::from_slice(&std::fs::read(ENTRY).unwrap()).unwrap();
        ApiEntry::from_map(v).unwrap().remove(0)
    }

    #[test]
    fn verifies_a_production_entry_asked_by_uuid_or_index() {
        let trust = TrustedRoot::production();
        for asked in [
            EntryRef::Uuid(UUID.into()),
            EntryRef::Uuid(UUID[16..].to_uppercase()),
            EntryRef::Index(18624203),
        ] {
            let got = verify_lookup(&asked, answer(), &trust).unwrap_or_else(|e| panic!("{asked}: {e}"));
            assert!(got.verified.set_verified && got.verified.proof_verified);
            assert_eq!(got.verified.integrated_time, Some(1682131706));
            assert_eq!(got.summary.kind, "hashedrekord");
            let (name, digest) = got.summary.recorded_digest().unwrap();
            assert_eq!(name, "digest");
            assert_eq!(
                digest.to_string(),
                "sha256:ff7a6e4830014d1a250d04353ce15fd6f5411a2947fbfd6ce963fcf6df68a848"
            );
            let signers = got.summary.signers();
            assert_eq!(signers.len(), 1);
            assert!(!signers[0].certificate);
            assert!(
                signers[0].to_string().starts_with("public key sha256:"),
                "{}",
                signers[0]
            );
            assert_eq!(got.body_json()["kind"], "hashedrekord");
        }
    }

    #[test]
    fn refuses_another_entry_a_wrong_uuid_and_an_unknown_log() {
        let trust = TrustedRoot::production();
        let other = format!("{}{}", &UUID[..16], "ab".repeat(32));
        let err = verify_lookup(&EntryRef::Uuid(other), answer(), &trust).unwrap_err();
        assert!(matches!(err, LookupError::NotAsked { .. }), "{err}");
        let err = verify_lookup(&EntryRef::Index(1), answer(), &trust).unwrap_err();
        assert!(err.to_string().contains("log index 1"), "{err}");
        // Filed under a UUID that is not its body's hash.
        let mut a = answer();
        a.uuid = other_uuid();
        let err = verify_lookup(&EntryRef::Uuid(other_uuid()), a, &trust).unwrap_err();
        assert!(matches!(err, LookupError::UuidMismatch(_)), "{err}");
        // A trusted root without the production log.
        let err = verify_lookup(&EntryRef::Uuid(UUID.into()), answer(), &TrustedRoot::staging()).unwrap_err();
        assert!(matches!(err, LookupError::Tlog(TlogError::UnknownLog { .. })), "{err}");
        assert!(err.to_string().contains("unknown transparency log"), "{err}");
        // A flipped SET.
        let mut a = answer();
        if let Some(set) = a.entry.inclusion_promise.as_mut() {
            set[10] ^= 1;
        }
        let err = verify_lookup(&EntryRef::Uuid(UUID.into()), a, &trust).unwrap_err();
        assert!(matches!(err, LookupError::Tlog(TlogError::SetInvalid { .. })), "{err}");
    }

    fn other_uuid() -> String {
        "cd".repeat(32)
    }

    #[test]
    fn summarizes_an_unreadable_body_without_failing() {
        let mut e = answer().entry;
        e.canonicalized_body = br#"{"kind":"helm","apiVersion":"0.0.1","spec":{}}"#.to_vec();
        e.kind = "helm".into();
        let s = EntrySummary::of(&e);
        assert!(s.body.is_err());
        assert_eq!(s.recorded_digest(), None);
        assert!(s.signers().is_empty());
    }

    #[test]
    fn builds_search_queries() {
        let d = ArtifactDigest::of(HashAlgorithm::Sha256, b"abc");
        assert_eq!(
            search_query(Some(&d), None),
            json!({"hash": "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"})
        );
        let q = search_query(None, Some(b"PEM"));
        assert_eq!(q, json!({"publicKey": {"format": "x509", "content": "UEVN"}}));
        let q = search_query(Some(&d), Some(b"PEM"));
        assert_eq!(q["operator"], "and");
        let signer = logged_signer(&LoggedVerifier::Certificate(b"not a certificate".to_vec()));
        assert_eq!(signer.to_string(), "certificate");
    }
}
