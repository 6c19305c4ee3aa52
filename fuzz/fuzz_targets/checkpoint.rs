//! Checkpoint (signed note) parser, its signature check, and the log tree head and saved state readers.
//! Property: no panic; a parsed checkpoint is consistent with its text (the signed text is a prefix of the note,
//! a 32-byte root, at least one signature), and checking it against fixed log keys never panics.
#![no_main]

use std::sync::OnceLock;

use hsign_core::keys::PublicKey;
use hsign_core::tlog::checkpoint::Checkpoint;
use hsign_core::tlog::client::LogInfo;
use hsign_core::tlog::state::LogState;
use hsign_core::tlog::verify_checkpoint;
use hsign_core::trust::{LogInstance, TrustedRoot};
use libfuzzer_sys::fuzz_target;

/// The staging Rekor key: real checkpoints of the seed corpus verify with it.
const STAGING_KEY: &[u8] = include_bytes!("../../tests/data/vectors/rekor/sigstore-rs/rekor.sigstage.dev.pub");

fn staging_log() -> &'static LogInstance {
    static LOG: OnceLock<LogInstance> = OnceLock::new();
    LOG.get_or_init(|| {
        let key = PublicKey::from_pem_or_der(STAGING_KEY).expect("the staging Rekor key parses");
        LogInstance::from_public_key(key, "https://rekor.sigstage.dev")
    })
}

/// Both embedded roots: ECDSA Rekor v1 logs and Ed25519 Rekor v2 logs (name-bound key hints).
fn roots() -> &'static [TrustedRoot; 2] {
    static ROOTS: OnceLock<[TrustedRoot; 2]> = OnceLock::new();
    ROOTS.get_or_init(|| [TrustedRoot::production(), TrustedRoot::staging()])
}

fuzz_target!(|data: &[u8]| {
    // The saved state is JSON; any input may be one.
    let _ = LogState::from_json(data);

    let Ok(note) = std::str::from_utf8(data) else { return };
    let log = staging_log();
    if let Ok(cp) = Checkpoint::parse(note) {
        assert!(
            note.starts_with(&cp.signed_text),
            "the signed text is not a prefix of the note"
        );
        assert!(
            cp.signed_text.ends_with('\n'),
            "the signed text does not end with a newline"
        );
        assert_eq!(cp.root_hash.len(), 32, "a parsed root hash is not 32 bytes");
        assert!(!cp.signatures.is_empty(), "a parsed checkpoint has no signature");
        assert!(
            cp.signed_text.starts_with(&cp.origin),
            "the origin is not the first line"
        );
        let _ = cp.verify_signed_by(&log.key, |name| log.checkpoint_key_hint(name));
        let _ = verify_checkpoint(note, log, Some((cp.tree_size, &cp.root_hash)));
    }
    // The same note as a log's signed tree head, against a fixed log and against every trusted log.
    let info = LogInfo {
        root_hash: vec![0; 32],
        tree_size: 1,
        signed_tree_head: note.to_string(),
        tree_id: "8202293616175992157".into(),
    };
    let _ = LogState::verified(&info, log);
    for root in roots() {
        let _ = LogState::verified_by_trusted(&info, root);
    }
});
