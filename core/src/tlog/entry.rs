//! Log entries in every shape they arrive in, adapted into the bundle's [`TlogEntry`]: a Rekor v1 API answer
//! (`{"<uuid>": LogEntryAnon}`), cosign's Rekor bundle (SET only), and back into a Rekor bundle for the
//! legacy annotation. Also the message a SET signs.

use serde::Deserialize;

use crate::bundle::{InclusionProof, TlogEntry};
use crate::encoding::{b64, from_hex, hex, to_b64};
use crate::error::FormatError;
use crate::legacy_bundle::RekorBundle;

const DOC: &str = "Rekor log entry";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: i64,
    #[serde(default)]
    verification: Option<RawVerification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVerification {
    #[serde(default)]
    signed_entry_timestamp: Option<String>,
    #[serde(default)]
    inclusion_proof: Option<RawProof>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    #[serde(default)]
    checkpoint: String,
    hashes: Vec<String>,
    log_index: i64,
    root_hash: String,
    tree_size: i64,
}

/// An entry as the Rekor v1 API returns it, with the UUID it was filed under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiEntry {
    /// The entry UUID (64 hex leaf hash, or 80 hex with the tree id in front).
    pub uuid: String,
    /// The entry.
    pub entry: TlogEntry,
}

/// The leaf-hash part (last 64 hex digits) of an entry UUID, lower-cased; `None` if it is not 64 or 80 hex.
pub fn uuid_leaf_hash(uuid: &str) -> Option<String> {
    let u = uuid.trim().to_ascii_lowercase();
    if !(u.len() == 64 || u.len() == 80) || !u.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(u[u.len() - 64..].to_string())
}

impl ApiEntry {
    /// Parses one `LogEntryAnon` object filed under `uuid`. The entry's kind and version come from its body.
    pub fn from_value(uuid: &str, value: serde_json::Value) -> Result<Self, FormatError> {
        let raw: RawEntry = serde_json::from_value(value).map_err(|e| FormatError::json(DOC, &e))?;
        let body = b64(&raw.body).map_err(|e| FormatError::new(DOC, "body", e))?;
        if raw.log_index < 0 || raw.integrated_time < 0 {
            return Err(FormatError::new(DOC, "logIndex", "is negative"));
        }
        let (kind, version) = kind_version(&body);
        let verification = raw.verification.unwrap_or(RawVerification {
            signed_entry_timestamp: None,
            inclusion_proof: None,
        });
        let inclusion_promise = verification
            .signed_entry_timestamp
            .filter(|s| !s.is_empty())
            .map(|s| b64(&s).map_err(|e| FormatError::new(DOC, "verification.signedEntryTimestamp", e)))
            .transpose()?;
        let inclusion_proof = verification
            .inclusion_proof
            .map(|p| {
                let hashes = p
                    .hashes
                    .iter()
                    .enumerate()
                    .map(|(i, h)| {
                        from_hex(h).ok_or_else(|| {
                            FormatError::new(DOC, format!("verification.inclusionProof.hashes[{i}]"), "is not hex")
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if p.log_index < 0 || p.tree_size < 0 {
                    return Err(FormatError::new(
                        DOC,
                        "verification.inclusionProof",
                        "has a negative index or size",
                    ));
                }
                Ok(InclusionProof {
                    log_index: p.log_index,
                    root_hash: from_hex(&p.root_hash)
                        .ok_or_else(|| FormatError::new(DOC, "verification.inclusionProof.rootHash", "is not hex"))?,
                    tree_size: p.tree_size,
                    hashes,
                    checkpoint: p.checkpoint,
                })
            })
            .transpose()?;
        Ok(Self {
            uuid: uuid.to_string(),
            entry: TlogEntry {
                log_index: raw.log_index,
                log_id: from_hex(&raw.log_id).ok_or_else(|| FormatError::new(DOC, "logID", "is not hex"))?,
                kind,
                version,
                integrated_time: raw.integrated_time,
                inclusion_promise,
                inclusion_proof,
                canonicalized_body: body,
            },
        })
    }

    /// Parses an API answer `{"<uuid>": LogEntryAnon, ...}` into its entries.
    pub fn from_map(value: serde_json::Value) -> Result<Vec<Self>, FormatError> {
        let serde_json::Value::Object(map) = value else {
            return Err(FormatError::new(DOC, "", "is not a JSON object keyed by entry UUID"));
        };
        map.into_iter().map(|(uuid, v)| Self::from_value(&uuid, v)).collect()
    }

    /// Checks that the entry is the one its UUID names: the UUID's leaf hash is the hash of the body.
    pub fn check_uuid(&self) -> Result<(), String> {
        let want = uuid_leaf_hash(&self.uuid).ok_or_else(|| format!("'{}' is not an entry UUID", self.uuid))?;
        let got = hex(&super::merkle::leaf_hash(&self.entry.canonicalized_body));
        if got != want {
            return Err(format!(
                "the log answered for UUID {} with an entry whose leaf hash is {got}",
                self.uuid
            ));
        }
        Ok(())
    }
}

/// Kind and version from a body's `kind` and `apiVersion` (empty strings when unreadable).
pub(crate) fn kind_version(body: &[u8]) -> (String, String) {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        #[serde(default)]
        kind: String,
        #[serde(default)]
        api_version: String,
    }
    serde_json::from_slice::<Head>(body)
        .map(|h| (h.kind, h.api_version))
        .unwrap_or_default()
}

/// The message a Rekor v1 SET signs: the RFC 8785 canonical JSON of the entry's body, integrated time, log
/// id and global index (keys in this order, no whitespace; base64 and hex need no escaping).
pub fn set_message(entry: &TlogEntry) -> Vec<u8> {
    format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        to_b64(&entry.canonicalized_body),
        entry.integrated_time,
        hex(&entry.log_id),
        entry.log_index
    )
    .into_bytes()
}

impl From<RekorBundle> for TlogEntry {
    fn from(b: RekorBundle) -> Self {
        let (kind, version) = kind_version(&b.body);
        TlogEntry {
            log_index: b.log_index,
            log_id: b.log_id,
            kind,
            version,
            integrated_time: b.integrated_time,
            inclusion_promise: Some(b.signed_entry_timestamp),
            inclusion_proof: None,
            canonicalized_body: b.body,
        }
    }
}

/// The Rekor bundle cosign stores in the `dev.sigstore.cosign/bundle` annotation and the legacy `--bundle`
/// file, from an entry with a SET; `None` without one.
pub fn rekor_bundle(entry: &TlogEntry) -> Option<RekorBundle> {
    Some(RekorBundle {
        signed_entry_timestamp: entry.inclusion_promise.clone()?,
        body: entry.canonicalized_body.clone(),
        integrated_time: entry.integrated_time,
        log_index: entry.log_index,
        log_id: entry.log_id.clone(),
    })
}
