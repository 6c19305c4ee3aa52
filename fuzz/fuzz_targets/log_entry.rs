//! Rekor v1 API entries (`{"<uuid>": LogEntryAnon}` and a bare LogEntryAnon), their bodies, inclusion proofs and
//! SET messages. Property: no panic; the SET message is canonical JSON of the entry's own fields; a root computed
//! from an inclusion proof verifies with that same proof.
#![no_main]

use std::sync::OnceLock;

use hsign_core::tlog::entry::{ApiEntry, set_message};
use hsign_core::tlog::lookup::{self, EntryRef, EntrySummary};
use hsign_core::tlog::merkle::{leaf_hash, root_from_inclusion, verify_inclusion};
use hsign_core::tlog::state::LogState;
use hsign_core::tlog::verify_entry;
use hsign_core::trust::TrustedRoot;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// A UUID for bare entries (the seed corpus' production entry).
const UUID: &str = "24296fb24b8ad77ad9ca41820f93cdbef2264692ced5c142d19e2ba859ab9f2b500d1917afe8ef30";

fn trust() -> &'static TrustedRoot {
    static ROOT: OnceLock<TrustedRoot> = OnceLock::new();
    ROOT.get_or_init(TrustedRoot::production)
}

/// A fixed current tree head of the production log, to plan consistency proofs against.
fn current() -> &'static LogState {
    static STATE: OnceLock<LogState> = OnceLock::new();
    STATE.get_or_init(|| LogState {
        origin: "rekor.sigstore.dev - 2605736670972794746".into(),
        tree_size: 14461401,
        root_hash: vec![0x86; 32],
        tree_id: "2605736670972794746".into(),
        checkpoint: String::new(),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let mut entries = ApiEntry::from_map(value.clone()).unwrap_or_default();
    if let Ok(e) = ApiEntry::from_value(UUID, value) {
        entries.push(e);
    }
    for e in &entries {
        check(e);
    }
});

fn check(e: &ApiEntry) {
    let _ = e.check_uuid();
    let summary = EntrySummary::of(&e.entry);
    let _ = (summary.recorded_digest(), summary.signers());

    let message = set_message(&e.entry);
    let v: Value = serde_json::from_slice(&message).unwrap_or_else(|err| {
        panic!(
            "the SET message is not JSON ({err}): {}",
            String::from_utf8_lossy(&message)
        )
    });
    assert_eq!(v["logIndex"].as_i64(), Some(e.entry.log_index), "SET message logIndex");
    assert_eq!(
        v["integratedTime"].as_i64(),
        Some(e.entry.integrated_time),
        "SET message integratedTime"
    );

    if let Some(p) = &e.entry.inclusion_proof {
        let leaf = leaf_hash(&e.entry.canonicalized_body);
        if let (Ok(index), Ok(size)) = (u64::try_from(p.log_index), u64::try_from(p.tree_size))
            && let Ok(root) = root_from_inclusion(index, size, &leaf, &p.hashes)
        {
            verify_inclusion(index, size, &leaf, &p.hashes, &root)
                .unwrap_or_else(|err| panic!("a computed root does not verify with its own proof: {err}"));
        }
    }

    let _ = verify_entry(&e.entry, trust());
    let asked = EntryRef::Uuid(e.uuid.clone());
    let _ = lookup::check_answer(&asked, e);
    let _ = lookup::verify_lookup(&EntryRef::Index(18624203), e.clone(), trust());
    let _ = current().proof_for_entry(e);
    let _ = current().verify_entry_consistency(e, &[]);
}
