//! The transparency log (Rekor): entry bodies, the signed entry timestamp (SET), RFC 6962 inclusion and
//! consistency proofs, signed checkpoints, and the REST client for uploads and lookups.
//!
//! [`verify_entry`] checks what the log promised about an entry — its SET and/or its inclusion proof under
//! a checkpoint signed by a log of the trusted root. Whether the entry is *for* the signature being verified
//! (digest, signature, key) is checked by the verifier with [`body::ParsedBody`].

pub mod body;
pub mod checkpoint;
pub mod client;
pub mod entry;
pub mod lookup;
pub mod merkle;
pub mod state;
pub mod upload;

use crate::bundle::TlogEntry;
use crate::encoding::hex;
use crate::trust::{LogInstance, TrustedRoot};
use checkpoint::{Checkpoint, CheckpointError};
use hsign_keys::{HashAlgorithm, KeyKind, PublicKey};
use merkle::ProofError;

/// Why a log entry was refused. Each variant names the check that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    /// The entry's log is not in the trusted material.
    #[error(
        "the entry is from an unknown transparency log (log id {log_id}); pass its key with --rekor-public-key or a trusted root with --trusted-root"
    )]
    UnknownLog {
        /// Hex of the log id.
        log_id: String,
    },
    /// The log's key was not valid when the entry was integrated.
    #[error("the log key of {log} was not valid at the entry's integrated time {time}")]
    LogKeyNotValid {
        /// The log's base URL.
        log: String,
        /// The integrated time.
        time: i64,
    },
    /// The signed entry timestamp does not verify with the log's key.
    #[error("signed entry timestamp (SET) check failed: the log's signature over entry {log_index} does not verify")]
    SetInvalid {
        /// The global log index.
        log_index: i64,
    },
    /// Neither a SET nor an inclusion proof.
    #[error("the log entry {log_index} has neither a signed entry timestamp nor an inclusion proof")]
    NoEvidence {
        /// The global log index.
        log_index: i64,
    },
    /// The inclusion proof does not hold.
    #[error("inclusion proof check failed: {0}")]
    Proof(#[from] ProofError),
    /// The proof's checkpoint is malformed or not signed by the log.
    #[error("checkpoint check failed: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint is for another tree than the proof.
    #[error("checkpoint check failed: {0}")]
    CheckpointMismatch(String),
    /// An inclusion proof without a checkpoint, and no SET to vouch for the entry.
    #[error(
        "the inclusion proof of entry {log_index} has no checkpoint, and there is no SET: nothing signed by the log covers it"
    )]
    UnsignedProof {
        /// The global log index.
        log_index: i64,
    },
    /// The body does not match the signature being verified.
    #[error("log entry body check failed: {0}")]
    Body(String),
}

/// What a verified entry established. `integrated_time` is set only when a verified SET covers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedEntry {
    /// The log's base URL (from the trusted root).
    pub log_url: String,
    /// The global log index.
    pub log_index: i64,
    /// When the log integrated the entry, if the log records it (Rekor v1; Rekor v2 does not).
    pub integrated_time: Option<i64>,
    /// Whether a SET was verified.
    pub set_verified: bool,
    /// Whether an inclusion proof under a signed checkpoint was verified.
    pub proof_verified: bool,
}

/// Verifies a log signature: ECDSA/RSA over SHA-256 (or the key's own hash) of `message`, Ed25519 over
/// `message` itself.
pub(crate) fn verify_log_signature(
    key: &PublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<(), hsign_keys::KeyError> {
    match key.kind() {
        KeyKind::Ed25519 => key.verify_message(message, signature),
        kind => key.verify_message_hashed(kind.signing_hash().unwrap_or(HashAlgorithm::Sha256), message, signature),
    }
}

/// Verifies what a log promised about `entry`: the SET when present, the inclusion proof (under a checkpoint
/// signed by the same log) when present; at least one must be there. The log is chosen by the entry's log
/// id from `trust`; its key must have been valid at the integrated time.
pub fn verify_entry(entry: &TlogEntry, trust: &TrustedRoot) -> Result<VerifiedEntry, TlogError> {
    let log = trust.tlog_by_id(&entry.log_id).ok_or_else(|| TlogError::UnknownLog {
        log_id: hex(&entry.log_id),
    })?;
    let mut set_verified = false;
    if let Some(set) = &entry.inclusion_promise {
        verify_log_signature(&log.key, &entry::set_message(entry), set).map_err(|_| TlogError::SetInvalid {
            log_index: entry.log_index,
        })?;
        set_verified = true;
    }
    // Only a time the log signed counts: the SET's integrated time. It must fall in the log key's validity.
    let integrated_time = (set_verified && entry.integrated_time > 0).then_some(entry.integrated_time);
    if let Some(t) = integrated_time
        && !log.valid_for.contains(t)
    {
        return Err(TlogError::LogKeyNotValid {
            log: log.base_url.clone(),
            time: t,
        });
    }
    let mut proof_verified = false;
    if let Some(proof) = &entry.inclusion_proof {
        let (Ok(index), Ok(size)) = (u64::try_from(proof.log_index), u64::try_from(proof.tree_size)) else {
            return Err(TlogError::Proof(ProofError::IndexOutOfRange { index: 0, size: 0 }));
        };
        let leaf = merkle::leaf_hash(&entry.canonicalized_body);
        merkle::verify_inclusion(index, size, &leaf, &proof.hashes, &proof.root_hash)?;
        if proof.checkpoint.is_empty() {
            if !set_verified {
                return Err(TlogError::UnsignedProof {
                    log_index: entry.log_index,
                });
            }
        } else {
            verify_checkpoint(&proof.checkpoint, log, Some((size, &proof.root_hash)))?;
            proof_verified = true;
        }
    }
    if !set_verified && !proof_verified {
        return Err(TlogError::NoEvidence {
            log_index: entry.log_index,
        });
    }
    Ok(VerifiedEntry {
        log_url: log.base_url.clone(),
        log_index: entry.log_index,
        integrated_time,
        set_verified,
        proof_verified,
    })
}

/// Parses a checkpoint and verifies it is signed by `log`; with `expect`, also that it is for that tree
/// size and root hash.
pub fn verify_checkpoint(note: &str, log: &LogInstance, expect: Option<(u64, &[u8])>) -> Result<Checkpoint, TlogError> {
    let checkpoint = Checkpoint::parse(note)?;
    checkpoint.verify_signed_by(&log.key, |name| log.checkpoint_key_hints(name))?;
    if let Some((size, root)) = expect {
        if checkpoint.tree_size != size {
            return Err(TlogError::CheckpointMismatch(format!(
                "the checkpoint is for tree size {}, the proof for {size}",
                checkpoint.tree_size
            )));
        }
        if checkpoint.root_hash != root {
            return Err(TlogError::CheckpointMismatch(format!(
                "the checkpoint's root hash {} differs from the proof's {}",
                hex(&checkpoint.root_hash),
                hex(root)
            )));
        }
    }
    Ok(checkpoint)
}
