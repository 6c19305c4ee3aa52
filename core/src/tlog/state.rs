//! Tree heads a client has seen, and the proofs that a log only ever grows: the signed tree head of a Rekor v1
//! log (`GET /api/v1/log`) verified against the trusted material, the state a client saves between runs
//! (`{"origin", "treeSize", "rootHash", "treeID", "checkpoint"}`), and RFC 6962 consistency between two tree
//! heads, or between the tree an entry's inclusion proof is for and the log's current tree.
//!
//! Nothing here touches the network: the caller fetches the log info and the consistency proof that
//! [`LogState::proof_to`] or [`LogState::proof_for_entry`] names, then hands them to the `verify_*` function.
//! A consistency proof that does not hold between two tree heads the log signed is evidence that the log
//! forked ([`ConsistencyError::Fork`]); so is a tree that shrank ([`ConsistencyError::Rollback`]).

use serde::{Deserialize, Serialize};

use super::checkpoint::Checkpoint;
use super::client::LogInfo;
use super::entry::ApiEntry;
use super::merkle::{self, ProofError};
use super::{TlogError, verify_checkpoint};
use crate::encoding::{from_hex, hex};
use crate::error::FormatError;
use crate::trust::{LogInstance, TrustedRoot};

const DOC: &str = "transparency log state";

/// Why two tree heads of a log could not be shown to belong to one append-only log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsistencyError {
    /// The log's signed tree head is malformed, not signed by the log's key, or not for the tree the log
    /// reported.
    #[error("the log's signed tree head does not verify: {0}")]
    Checkpoint(#[from] TlogError),
    /// A consistency proof between two signed tree heads does not hold: the log forked (or lies).
    #[error(
        "the log has forked: its tree of size {old_size} (root {old_root}) is not a prefix of its tree of size {new_size} (root {new_root}): {reason}"
    )]
    Fork {
        /// The size of the older tree.
        old_size: u64,
        /// Hex of the older root.
        old_root: String,
        /// The size of the newer tree.
        new_size: u64,
        /// Hex of the newer root.
        new_root: String,
        /// Why the proof failed.
        reason: ProofError,
    },
    /// The entry carries no inclusion proof, so its place in the tree cannot be proved.
    #[error("the entry's leaf index {index} is not inside the log's current tree of {size} entries")]
    NotInTree {
        /// The entry's tree-local index.
        index: u64,
        /// The current tree size.
        size: u64,
    },
    /// The entry has no inclusion proof.
    #[error("log entry {log_index} carries no inclusion proof, so its place in the log's tree cannot be proved")]
    NoInclusionProof {
        /// The global log index.
        log_index: i64,
    },
    /// The two tree heads are of different trees (a sharded log started a new tree, or another log).
    #[error(
        "the {what} changed from '{old}' to '{new}': consistency can only be proved within one tree (a sharded log that started a new tree needs its old shard checked separately)"
    )]
    OtherTree {
        /// What differs (`tree id`, `checkpoint origin`).
        what: &'static str,
        /// The earlier value.
        old: String,
        /// The later value.
        new: String,
    },
    /// The log's tree is smaller than one it signed before: a rollback, or a fork.
    #[error(
        "the log's tree shrank from {old_size} to {new_size} entries: the log rolled back or forked (an append-only log never shrinks)"
    )]
    Rollback {
        /// The size seen before.
        old_size: u64,
        /// The size now.
        new_size: u64,
    },
    /// No log of the trusted material signed the tree head.
    #[error(
        "the log's signed tree head (origin '{origin}') is not signed by any transparency log of the trusted material (key hints {key_hints})"
    )]
    UnknownLog {
        /// The checkpoint's origin line.
        origin: String,
        /// Hex of the key hints on the checkpoint's signature lines.
        key_hints: String,
    },
}

/// A tree head of a log whose checkpoint was verified, as a client keeps it between runs.
///
/// Saved as JSON: `{"origin": "...", "treeSize": N, "rootHash": "<hex>", "treeID": "...", "checkpoint":
/// "<signed note>"}`. The next run compares against `treeSize` and `rootHash`; `checkpoint` keeps the log's
/// signature over them, the evidence to show should the log later present a tree that does not extend it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogState {
    /// The checkpoint's origin line (`rekor.sigstore.dev - 1193050959916656506`).
    pub origin: String,
    /// The tree size.
    pub tree_size: u64,
    /// The root hash.
    pub root_hash: Vec<u8>,
    /// The tree id the log reported (decimal for Rekor v1).
    pub tree_id: String,
    /// The signed checkpoint (note text) for this tree head.
    pub checkpoint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawState {
    origin: String,
    tree_size: u64,
    root_hash: String,
    #[serde(rename = "treeID")]
    tree_id: String,
    checkpoint: String,
}

impl LogState {
    /// Verifies a log's signed tree head with `log`'s key: the checkpoint must be signed by it, be for the
    /// tree size and root hash the log reported, name the reported tree id in its origin (Rekor v1's
    /// `<host> - <tree id>`), and, when it carries a `Timestamp:` line, be signed while the key was valid.
    pub fn verified(info: &LogInfo, log: &LogInstance) -> Result<Self, ConsistencyError> {
        let checkpoint = verify_checkpoint(&info.signed_tree_head, log, Some((info.tree_size, &info.root_hash)))?;
        let origin_tree_id = origin_tree_id(&checkpoint.origin);
        if let Some(id) = origin_tree_id
            && !info.tree_id.is_empty()
            && id != info.tree_id
        {
            return Err(TlogError::CheckpointMismatch(format!(
                "the log reported tree id {} but its checkpoint's origin is '{}'",
                info.tree_id, checkpoint.origin
            ))
            .into());
        }
        if let Some(time) = signed_time(&checkpoint)
            && !log.valid_for.contains(time)
        {
            return Err(TlogError::LogKeyNotValid {
                log: log.base_url.clone(),
                time,
            }
            .into());
        }
        let tree_id = match (info.tree_id.is_empty(), origin_tree_id) {
            (true, Some(id)) => id.to_string(),
            _ => info.tree_id.clone(),
        };
        Ok(Self {
            origin: checkpoint.origin,
            tree_size: checkpoint.tree_size,
            root_hash: checkpoint.root_hash,
            tree_id,
            checkpoint: info.signed_tree_head.clone(),
        })
    }

    /// Verifies a log's signed tree head against every transparency log of `trust` whose key hint is on one
    /// of its signature lines ([`LogInstance::checkpoint_key_hint`]), and returns it with the log that signed
    /// it. The log's URL is not used to pick the key: the key comes from the trusted material only.
    pub fn verified_by_trusted<'t>(
        info: &LogInfo,
        trust: &'t TrustedRoot,
    ) -> Result<(Self, &'t LogInstance), ConsistencyError> {
        let checkpoint = Checkpoint::parse(&info.signed_tree_head).map_err(TlogError::from)?;
        let mut failure = None;
        for log in &trust.tlogs {
            let signed = checkpoint
                .signatures
                .iter()
                .any(|s| s.key_hint == log.checkpoint_key_hint(&s.name));
            if !signed {
                continue;
            }
            match Self::verified(info, log) {
                Ok(state) => return Ok((state, log)),
                Err(e) => failure = Some(e),
            }
        }
        Err(failure.unwrap_or_else(|| ConsistencyError::UnknownLog {
            origin: checkpoint.origin.clone(),
            key_hints: checkpoint
                .signatures
                .iter()
                .map(|s| hex(&s.key_hint))
                .collect::<Vec<_>>()
                .join(", "),
        }))
    }

    /// Reads a saved state. Every field is required; `rootHash` must be 32 bytes of hex. The checkpoint is
    /// kept as it is, not re-verified (it was verified when the state was saved).
    pub fn from_json(data: &[u8]) -> Result<Self, FormatError> {
        let raw: RawState = serde_json::from_slice(data).map_err(|e| FormatError::json(DOC, &e))?;
        let root_hash = from_hex(&raw.root_hash)
            .filter(|h| h.len() == 32)
            .ok_or_else(|| FormatError::new(DOC, "rootHash", "is not 32 bytes of hex (a SHA-256 root hash)"))?;
        if raw.origin.is_empty() {
            return Err(FormatError::new(DOC, "origin", "is empty"));
        }
        Ok(Self {
            origin: raw.origin,
            tree_size: raw.tree_size,
            root_hash,
            tree_id: raw.tree_id,
            checkpoint: raw.checkpoint,
        })
    }

    /// The state as JSON (pretty-printed, with a final newline), as [`LogState::from_json`] reads it.
    pub fn to_json(&self) -> String {
        let raw = RawState {
            origin: self.origin.clone(),
            tree_size: self.tree_size,
            root_hash: hex(&self.root_hash),
            tree_id: self.tree_id.clone(),
            checkpoint: self.checkpoint.clone(),
        };
        let mut text = serde_json::to_string_pretty(&raw).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The consistency proof needed to show that `newer` extends this tree head, as `(first, second)` tree
    /// sizes; `None` when there is nothing to fetch (same size, where the roots must simply be equal, or an
    /// empty older tree). Refuses another tree ([`ConsistencyError::OtherTree`]) and a smaller one
    /// ([`ConsistencyError::Rollback`]).
    pub fn proof_to(&self, newer: &LogState) -> Result<Option<(u64, u64)>, ConsistencyError> {
        if self.tree_id != newer.tree_id {
            return Err(ConsistencyError::OtherTree {
                what: "tree id",
                old: self.tree_id.clone(),
                new: newer.tree_id.clone(),
            });
        }
        if self.origin != newer.origin {
            return Err(ConsistencyError::OtherTree {
                what: "checkpoint origin",
                old: self.origin.clone(),
                new: newer.origin.clone(),
            });
        }
        if newer.tree_size < self.tree_size {
            return Err(ConsistencyError::Rollback {
                old_size: self.tree_size,
                new_size: newer.tree_size,
            });
        }
        Ok((self.tree_size > 0 && self.tree_size < newer.tree_size).then_some((self.tree_size, newer.tree_size)))
    }

    /// Verifies that `newer` extends this tree head: the checks of [`LogState::proof_to`], then the
    /// consistency `proof` between the two sizes (empty when `proof_to` asked for none; equal sizes need equal
    /// roots). A proof that does not hold is a [`ConsistencyError::Fork`].
    pub fn verify_extended_by(&self, newer: &LogState, proof: &[Vec<u8>]) -> Result<(), ConsistencyError> {
        self.proof_to(newer)?;
        consistent(
            (self.tree_size, &self.root_hash),
            (newer.tree_size, &newer.root_hash),
            proof,
        )
    }

    /// The consistency proof needed to show that the tree `entry`'s inclusion proof is for and this tree
    /// head are one log, as `(first, second)` tree sizes (the smaller first: an entry fetched just before the
    /// log grew has an older tree, one fetched after the tree head was read a newer one); `None` for the same
    /// size. The entry must be from the same tree: its checkpoint's origin and its UUID's tree id (80 hex
    /// digits) must be this tree head's.
    ///
    /// Only the tree heads are compared here: verify the entry itself (its inclusion proof under its
    /// checkpoint) with [`super::verify_entry`] first.
    pub fn proof_for_entry(&self, entry: &ApiEntry) -> Result<Option<(u64, u64)>, ConsistencyError> {
        let (size, _) = entry_tree(entry)?;
        let proof = entry.entry.inclusion_proof.as_ref();
        if let Some(cp) = proof.filter(|p| !p.checkpoint.is_empty())
            && let Ok(cp) = Checkpoint::parse(&cp.checkpoint)
            && cp.origin != self.origin
        {
            return Err(ConsistencyError::OtherTree {
                what: "checkpoint origin",
                old: cp.origin,
                new: self.origin.clone(),
            });
        }
        if let (Some(entry_tree), Ok(current)) = (uuid_tree_id(&entry.uuid), self.tree_id.parse::<u64>())
            && entry_tree != current
        {
            return Err(ConsistencyError::OtherTree {
                what: "tree id",
                old: entry_tree.to_string(),
                new: self.tree_id.clone(),
            });
        }
        Ok(match size.cmp(&self.tree_size) {
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Less => Some((size, self.tree_size)),
            std::cmp::Ordering::Greater => Some((self.tree_size, size)),
        })
    }

    /// Verifies that the tree `entry`'s inclusion proof is for and this tree head are one log, with the
    /// consistency `proof` [`LogState::proof_for_entry`] asked for (empty when it asked for none). With the
    /// entry's own inclusion proof verified, this proves the entry is in this tree.
    pub fn verify_entry_consistency(&self, entry: &ApiEntry, proof: &[Vec<u8>]) -> Result<(), ConsistencyError> {
        self.proof_for_entry(entry)?;
        let (size, root) = entry_tree(entry)?;
        // The entry's leaf must be inside this tree, not only inside a larger tree this one is a prefix of.
        let index = entry
            .entry
            .inclusion_proof
            .as_ref()
            .and_then(|p| u64::try_from(p.log_index).ok())
            .unwrap_or(u64::MAX);
        if index >= self.tree_size {
            return Err(ConsistencyError::NotInTree {
                index,
                size: self.tree_size,
            });
        }
        let current = (self.tree_size, self.root_hash.as_slice());
        if size <= self.tree_size {
            consistent((size, root), current, proof)
        } else {
            consistent(current, (size, root), proof)
        }
    }
}

/// The tree size and root an entry's inclusion proof is for.
fn entry_tree(entry: &ApiEntry) -> Result<(u64, &[u8]), ConsistencyError> {
    let proof = entry
        .entry
        .inclusion_proof
        .as_ref()
        .ok_or(ConsistencyError::NoInclusionProof {
            log_index: entry.entry.log_index,
        })?;
    let size = u64::try_from(proof.tree_size).map_err(|_| ConsistencyError::NoInclusionProof {
        log_index: entry.entry.log_index,
    })?;
    Ok((size, &proof.root_hash))
}

/// Verifies the consistency proof from `old` to `new` (size, root), mapping a failure to a fork.
fn consistent(old: (u64, &[u8]), new: (u64, &[u8]), proof: &[Vec<u8>]) -> Result<(), ConsistencyError> {
    merkle::verify_consistency(old.0, new.0, proof, old.1, new.1).map_err(|reason| ConsistencyError::Fork {
        old_size: old.0,
        old_root: hex(old.1),
        new_size: new.0,
        new_root: hex(new.1),
        reason,
    })
}

/// The tree id in a Rekor v1 origin line (`rekor.sigstore.dev - 2605736670972794746`); `None` for other
/// origins (Rekor v2 names only its host).
fn origin_tree_id(origin: &str) -> Option<&str> {
    let (_, id) = origin.rsplit_once(" - ")?;
    (!id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// The tree id of an 80-hex-digit entry UUID (its first 16 hex digits); `None` for a 64-digit UUID.
fn uuid_tree_id(uuid: &str) -> Option<u64> {
    let u = uuid.trim();
    (u.len() == 80)
        .then(|| u.get(..16))
        .flatten()
        .and_then(|h| u64::from_str_radix(h, 16).ok())
}

/// The time a checkpoint says it was signed (Rekor v1's `Timestamp: <nanoseconds>` line), in Unix seconds.
fn signed_time(checkpoint: &Checkpoint) -> Option<i64> {
    checkpoint.extensions.iter().find_map(|line| {
        let nanos: u64 = line.strip_prefix("Timestamp: ")?.trim().parse().ok()?;
        i64::try_from(nanos / 1_000_000_000).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{InclusionProof, TlogEntry};
    use crate::trust::Validity;

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/rekor/sigstore-rs");

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{VECTORS}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// A `GET /api/v1/log` answer of the staging log, as the client reads it.
    fn log_info(size: u64) -> LogInfo {
        let v: serde_json::Value =
            serde_json::from_slice(&read(&format!("log_info.staging.treesize-{size}.json"))).unwrap();
        LogInfo {
            root_hash: from_hex(v["rootHash"].as_str().unwrap()).unwrap(),
            tree_size: v["treeSize"].as_u64().unwrap(),
            signed_tree_head: v["signedTreeHead"].as_str().unwrap().to_string(),
            tree_id: v["treeID"].as_str().unwrap().to_string(),
        }
    }

    fn staging_log() -> LogInstance {
        let pem = read("rekor.sigstage.dev.pub");
        LogInstance::from_public_key(
            hsign_keys::PublicKey::from_pem_or_der(&pem).unwrap(),
            "https://rekor.sigstage.dev",
        )
    }

    fn proof() -> Vec<Vec<u8>> {
        let v: serde_json::Value = serde_json::from_slice(&read("log_proof.staging.1352760-1352764.json")).unwrap();
        v["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| from_hex(h.as_str().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn verifies_the_staging_logs_signed_tree_heads_and_their_consistency() {
        let log = staging_log();
        let old = LogState::verified(&log_info(1352760), &log).unwrap();
        let new = LogState::verified(&log_info(1352764), &log).unwrap();
        assert_eq!(old.origin, "rekor.sigstage.dev - 8202293616175992157");
        assert_eq!(old.tree_id, "8202293616175992157");
        assert_eq!(old.proof_to(&new).unwrap(), Some((1352760, 1352764)));
        old.verify_extended_by(&new, &proof()).unwrap();
        // The same head again: nothing to fetch, and consistent.
        assert_eq!(new.proof_to(&new).unwrap(), None);
        new.verify_extended_by(&new, &[]).unwrap();
    }

    #[test]
    fn finds_the_signing_log_in_the_embedded_staging_root() {
        let trust = TrustedRoot::staging();
        let (state, log) = LogState::verified_by_trusted(&log_info(1352764), &trust).unwrap();
        assert_eq!(state.tree_size, 1352764);
        assert!(log.base_url.contains("rekor.sigstage.dev"), "{}", log.base_url);
        // The production root does not know the staging log.
        let err = LogState::verified_by_trusted(&log_info(1352764), &TrustedRoot::production()).unwrap_err();
        assert!(matches!(err, ConsistencyError::UnknownLog { .. }), "{err}");
        assert!(
            err.to_string().contains("rekor.sigstage.dev - 8202293616175992157"),
            "{err}"
        );
    }

    #[test]
    fn refuses_a_tree_head_that_does_not_match_its_checkpoint() {
        let log = staging_log();
        let mut info = log_info(1352760);
        info.tree_size += 1;
        assert!(matches!(
            LogState::verified(&info, &log),
            Err(ConsistencyError::Checkpoint(TlogError::CheckpointMismatch(_)))
        ));
        let mut info = log_info(1352760);
        info.root_hash[0] ^= 1;
        assert!(LogState::verified(&info, &log).is_err());
        let mut info = log_info(1352760);
        info.tree_id = "1".into();
        let err = LogState::verified(&info, &log).unwrap_err().to_string();
        assert!(err.contains("tree id 1"), "{err}");
        let mut info = log_info(1352760);
        info.signed_tree_head = info.signed_tree_head.replace("1352760", "1352761");
        assert!(matches!(
            LogState::verified(&info, &log),
            Err(ConsistencyError::Checkpoint(_))
        ));
    }

    /// The production log's tree head of 2023-04-22 (from an inclusion proof), which has a `Timestamp:` line.
    fn production_info() -> LogInfo {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/vectors/rekor/jonzeolla-lab/rekor-api-get-entry.uuid-24296fb24b8ad77a.json"
        );
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let proof = &v.as_object().unwrap().values().next().unwrap()["verification"]["inclusionProof"];
        LogInfo {
            root_hash: from_hex(proof["rootHash"].as_str().unwrap()).unwrap(),
            tree_size: proof["treeSize"].as_u64().unwrap(),
            signed_tree_head: proof["checkpoint"].as_str().unwrap().to_string(),
            tree_id: "2605736670972794746".into(),
        }
    }

    #[test]
    fn refuses_a_checkpoint_signed_outside_the_keys_validity() {
        let trust = TrustedRoot::production();
        let info = production_info();
        let (state, log) = LogState::verified_by_trusted(&info, &trust).unwrap();
        assert_eq!(state.tree_size, 14461401);
        let cp = Checkpoint::parse(&info.signed_tree_head).unwrap();
        assert_eq!(signed_time(&cp), Some(1682132568));
        let mut log = log.clone();
        log.valid_for = Validity {
            start: Some(1682132569),
            end: None,
        };
        let err = LogState::verified(&info, &log).unwrap_err();
        assert!(
            matches!(
                err,
                ConsistencyError::Checkpoint(TlogError::LogKeyNotValid { time: 1682132568, .. })
            ),
            "{err}"
        );
        log.valid_for = Validity {
            start: None,
            end: Some(1682132568),
        };
        LogState::verified(&info, &log).unwrap();
    }

    #[test]
    fn a_forked_rolled_back_or_other_tree_is_refused() {
        let log = staging_log();
        let old = LogState::verified(&log_info(1352760), &log).unwrap();
        let new = LogState::verified(&log_info(1352764), &log).unwrap();
        // Another old root (what a fork looks like to the client): the proof does not hold.
        let mut forked = old.clone();
        forked.root_hash[5] ^= 0x40;
        let err = forked.verify_extended_by(&new, &proof()).unwrap_err();
        assert!(matches!(err, ConsistencyError::Fork { old_size: 1352760, .. }), "{err}");
        assert!(err.to_string().contains("has forked"), "{err}");
        // A tampered proof hash.
        let mut bad = proof();
        bad[2][0] ^= 1;
        assert!(matches!(
            old.verify_extended_by(&new, &bad),
            Err(ConsistencyError::Fork { .. })
        ));
        // Same size, other root.
        let mut same = new.clone();
        same.root_hash[0] ^= 1;
        assert!(matches!(
            new.verify_extended_by(&same, &[]),
            Err(ConsistencyError::Fork { .. })
        ));
        // Smaller.
        assert!(matches!(
            new.proof_to(&old),
            Err(ConsistencyError::Rollback {
                old_size: 1352764,
                new_size: 1352760
            })
        ));
        assert!(new.verify_extended_by(&old, &proof()).is_err());
        // Another tree.
        let mut other = new.clone();
        other.tree_id = "42".into();
        let err = old.proof_to(&other).unwrap_err();
        assert!(
            matches!(err, ConsistencyError::OtherTree { what: "tree id", .. }),
            "{err}"
        );
        let mut other = new.clone();
        other.origin = "rekor.sigstage.dev - 42".into();
        assert!(matches!(
            old.proof_to(&other),
            Err(ConsistencyError::OtherTree {
                what: "checkpoint origin",
                ..
            })
        ));
        // An empty old tree is extended by anything, with nothing to fetch.
        let empty = LogState {
            tree_size: 0,
            root_hash: merkle::empty_root().to_vec(),
            ..old.clone()
        };
        assert_eq!(empty.proof_to(&new).unwrap(), None);
        empty.verify_extended_by(&new, &[]).unwrap();
    }

    #[test]
    fn state_round_trips_through_json_and_names_bad_fields() {
        let state = LogState::verified(&log_info(1352760), &staging_log()).unwrap();
        let json = state.to_json();
        assert!(json.contains("\"treeID\": \"8202293616175992157\""), "{json}");
        assert!(json.contains("\"rootHash\": \"e222aa53"), "{json}");
        assert_eq!(LogState::from_json(json.as_bytes()).unwrap(), state);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["rootHash"] = "abcd".into();
        let err = LogState::from_json(v.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.field, "rootHash");
        v.as_object_mut().unwrap().remove("rootHash");
        let err = LogState::from_json(v.to_string().as_bytes()).unwrap_err().to_string();
        assert!(err.contains("rootHash"), "{err}");
        assert!(LogState::from_json(b"not json").is_err());
        assert!(LogState::from_json(b"[]").is_err());
    }

    fn entry_with_proof(uuid: &str, size: i64, root: Vec<u8>, checkpoint: &str) -> ApiEntry {
        ApiEntry {
            uuid: uuid.into(),
            entry: TlogEntry {
                log_index: 3,
                log_id: vec![],
                kind: String::new(),
                version: String::new(),
                integrated_time: 0,
                inclusion_promise: None,
                inclusion_proof: Some(InclusionProof {
                    log_index: 3,
                    root_hash: root,
                    tree_size: size,
                    hashes: vec![],
                    checkpoint: checkpoint.into(),
                }),
                canonicalized_body: vec![],
            },
        }
    }

    #[test]
    fn links_an_entrys_tree_to_the_current_tree_in_either_direction() {
        let log = staging_log();
        let old_info = log_info(1352760);
        let old = LogState::verified(&old_info, &log).unwrap();
        let new = LogState::verified(&log_info(1352764), &log).unwrap();
        let leaf = "a".repeat(64);
        let uuid = format!("{:016x}{leaf}", 8202293616175992157u64);
        let entry = entry_with_proof(&uuid, 1352760, old.root_hash.clone(), &old_info.signed_tree_head);
        // An older entry tree: prove old -> current.
        assert_eq!(new.proof_for_entry(&entry).unwrap(), Some((1352760, 1352764)));
        new.verify_entry_consistency(&entry, &proof()).unwrap();
        // The entry's tree is the current one.
        assert_eq!(old.proof_for_entry(&entry).unwrap(), None);
        old.verify_entry_consistency(&entry, &[]).unwrap();
        // An entry tree newer than the tree head read: prove the tree head -> entry tree.
        let newer = entry_with_proof(&leaf, 1352764, new.root_hash.clone(), "");
        assert_eq!(old.proof_for_entry(&newer).unwrap(), Some((1352760, 1352764)));
        old.verify_entry_consistency(&newer, &proof()).unwrap();
        // A root that does not extend: forked.
        let forked = entry_with_proof(&leaf, 1352760, vec![7; 32], "");
        assert!(matches!(
            new.verify_entry_consistency(&forked, &proof()),
            Err(ConsistencyError::Fork { .. })
        ));
        // Another shard, by UUID or by checkpoint origin.
        let other = entry_with_proof(&format!("{:016x}{leaf}", 42u64), 1352760, old.root_hash.clone(), "");
        assert!(matches!(
            new.proof_for_entry(&other),
            Err(ConsistencyError::OtherTree { what: "tree id", .. })
        ));
        let shard_cp = "rekor.sigstage.dev - 108574341321668964\n14358\n7/pPpFdfcoKQFqZOWERBID3lMyEvlHDWOlbRmS5zRl0=\n\n\u{2014} rekor.sigstage.dev 0y8wozBFAiB8OkuzdwlL6/rDEu2CsIfqmesaH/KLfmIMvlH3YTdIYgIhAPFZeXK6+b0vbWy4GSU/YZxiTpFrrzjsVOShN4LlPdZb\n";
        let other = entry_with_proof(&leaf, 14358, vec![0; 32], shard_cp);
        assert!(matches!(
            new.proof_for_entry(&other),
            Err(ConsistencyError::OtherTree {
                what: "checkpoint origin",
                ..
            })
        ));
        // No inclusion proof at all.
        let mut bare = entry.clone();
        bare.entry.inclusion_proof = None;
        assert!(matches!(
            new.proof_for_entry(&bare),
            Err(ConsistencyError::NoInclusionProof { log_index: 3 })
        ));
    }

    #[test]
    fn reads_tree_ids_from_origins_and_uuids() {
        assert_eq!(
            origin_tree_id("rekor.sigstore.dev - 2605736670972794746"),
            Some("2605736670972794746")
        );
        assert_eq!(origin_tree_id("log2025-1.rekor.sigstore.dev"), None);
        assert_eq!(origin_tree_id("x - "), None);
        assert_eq!(uuid_tree_id(&format!("{:016x}{}", 5u64, "0".repeat(64))), Some(5));
        assert_eq!(uuid_tree_id(&"0".repeat(64)), None);
        assert_eq!(uuid_tree_id(&"é".repeat(40)), None);
    }
}
