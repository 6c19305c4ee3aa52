//! Recorded public-good and staging Rekor data (tests/data/vectors/rekor, copied from ../shared/vectors):
//! log entries, a Rekor bundle, log infos and a consistency proof give the expected result with the real
//! log keys, and every single-byte tampering is refused by the check it breaks.

use serde_json::Value;

use hsign_core::bundle::TlogEntry;
use hsign_core::legacy_bundle::RekorBundle;
use hsign_core::tlog::client::LogInfo;
use hsign_core::tlog::entry::ApiEntry;
use hsign_core::tlog::{TlogError, merkle, verify_checkpoint, verify_entry};
use hsign_core::trust::TrustedRoot;

fn read(rel: &str) -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/");
    std::fs::read(format!("{p}{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(rel: &str) -> Value {
    serde_json::from_slice(&read(rel)).unwrap()
}

fn production() -> TrustedRoot {
    TrustedRoot::from_rekor_public_key(&read("trusted-root/production/rekor.pub"), "https://rekor.sigstore.dev")
        .unwrap()
}

fn staging() -> TrustedRoot {
    TrustedRoot::from_rekor_public_key(
        &read("rekor/sigstore-rs/rekor.sigstage.dev.pub"),
        "https://rekor.sigstage.dev",
    )
    .unwrap()
}

/// An entry object without a UUID key (LogEntryAnon as stored by the vector's source).
fn anon(rel: &str) -> TlogEntry {
    ApiEntry::from_value("", json(rel)).unwrap().entry
}

fn flip(bytes: &mut [u8], at: usize) {
    bytes[at % bytes.len()] ^= 1;
}

fn check_tampering(entry: &TlogEntry, trust: &TrustedRoot) {
    verify_entry(entry, trust).unwrap();
    let err = |e: TlogEntry| verify_entry(&e, trust).unwrap_err().to_string();

    let mut e = entry.clone();
    flip(e.inclusion_promise.as_mut().unwrap(), 12);
    assert!(err(e).contains("signed entry timestamp (SET) check failed"));

    let mut e = entry.clone();
    flip(&mut e.canonicalized_body, 40);
    assert!(err(e).contains("check failed"));

    let mut e = entry.clone();
    e.log_id[0] ^= 1;
    assert!(err(e).contains("unknown transparency log"));

    if entry.inclusion_proof.is_some() {
        // Without the SET, so the proof is the only thing that can catch it.
        let mut base = entry.clone();
        base.inclusion_promise = None;
        verify_entry(&base, trust).unwrap();

        let mut e = base.clone();
        flip(&mut e.inclusion_proof.as_mut().unwrap().hashes[1], 5);
        assert!(err(e).contains("inclusion proof check failed"));

        let mut e = base.clone();
        flip(&mut e.canonicalized_body, 40);
        assert!(err(e).contains("inclusion proof check failed"));

        let mut e = base.clone();
        e.inclusion_proof.as_mut().unwrap().log_index += 1;
        assert!(err(e).contains("inclusion proof check failed"));

        // The checkpoint's signature: flip one bit inside the base64 signature.
        let mut e = base.clone();
        let cp = &mut e.inclusion_proof.as_mut().unwrap().checkpoint;
        let at = cp.rfind(' ').unwrap() + 20;
        let c = cp.as_bytes()[at];
        let swapped = if c == b'A' { 'B' } else { 'A' };
        cp.replace_range(at..at + 1, &swapped.to_string());
        assert!(err(e).contains("checkpoint check failed"));

        // A checkpoint for another root.
        let mut e = base.clone();
        flip(&mut e.inclusion_proof.as_mut().unwrap().root_hash, 0);
        assert!(err(e).contains("check failed"));

        let mut e = base;
        e.inclusion_proof.as_mut().unwrap().checkpoint = "foo".into();
        assert!(err(e).contains("checkpoint check failed"));
    }
}

#[test]
fn docker_attest_production_entry_verifies_set_proof_and_checkpoint() {
    let entry = anon("rekor/docker-attest/log_entry.production.logindex-59674396.json");
    let v = verify_entry(&entry, &production()).unwrap();
    assert!(v.set_verified && v.proof_verified);
    assert_eq!(entry.inclusion_proof.as_ref().unwrap().tree_size, 55510966);
    assert!(
        entry
            .inclusion_proof
            .as_ref()
            .unwrap()
            .checkpoint
            .contains("Timestamp:")
    );
    // The embedded public-good root knows the same log.
    verify_entry(&entry, &TrustedRoot::production()).unwrap();
    check_tampering(&entry, &production());
    // Staging's key is not production's.
    assert!(matches!(
        verify_entry(&entry, &staging()),
        Err(TlogError::UnknownLog { .. })
    ));
}

#[test]
fn jonzeolla_api_answer_checks_uuid_and_verifies_despite_double_spaces() {
    let entries = ApiEntry::from_map(json(
        "rekor/jonzeolla-lab/rekor-api-get-entry.uuid-24296fb24b8ad77a.json",
    ))
    .unwrap();
    assert_eq!(entries.len(), 1);
    let api = &entries[0];
    assert_eq!(api.uuid.len(), 80);
    api.check_uuid().unwrap();
    assert!(
        api.entry
            .inclusion_proof
            .as_ref()
            .unwrap()
            .checkpoint
            .contains("\u{2014}  rekor")
    );
    check_tampering(&api.entry, &production());
    // The same entry filed under another UUID: refused.
    let mut other = api.clone();
    other.uuid = format!("{}0{}", &api.uuid[..79 - 63], &api.uuid[80 - 63..]);
    assert!(other.check_uuid().is_err());
}

#[test]
fn sigstore_rs_staging_entry_verifies_and_its_negative_variants_fail() {
    let entry = anon("rekor/sigstore-rs/log_entry.staging.logindex-1688.json");
    let v = verify_entry(&entry, &staging()).unwrap();
    assert!(v.set_verified && v.proof_verified);
    check_tampering(&entry, &staging());
    assert!(verify_entry(&entry, &production()).is_err());
}

#[test]
fn rekord_bundle_set_verifies_with_production_and_not_another_key() {
    let b = RekorBundle::from_json(&read("rekor/sigstore-rs/rekor-bundle.rekord.logindex-783606.json")).unwrap();
    let entry = TlogEntry::from(b);
    assert_eq!(entry.kind, "rekord");
    let v = verify_entry(&entry, &production()).unwrap();
    assert!(v.set_verified && !v.proof_verified);
    check_tampering(&entry, &production());
    assert!(matches!(
        verify_entry(&entry, &staging()),
        Err(TlogError::UnknownLog { .. })
    ));
    let body = hsign_core::tlog::body::ParsedBody::parse(&entry.canonicalized_body).unwrap();
    assert_eq!((body.kind.as_str(), body.version.as_str()), ("rekord", "0.0.1"));
}

#[test]
fn containers_image_set_verifies_and_its_body_is_the_payload_digest() {
    let b = RekorBundle::from_json(&read("rekor/containers-image-internal-testdata/rekor-set")).unwrap();
    let trust = TrustedRoot::from_rekor_public_key(
        &read("rekor/containers-image-internal-testdata/rekor.pub"),
        "https://rekor.sigstore.dev",
    )
    .unwrap();
    let entry = TlogEntry::from(b);
    verify_entry(&entry, &trust).unwrap();
    check_tampering(&entry, &trust);
    let body = hsign_core::tlog::body::ParsedBody::parse(&entry.canonicalized_body).unwrap();
    let payload = read("rekor/containers-image-internal-testdata/rekor-payload");
    let hsign_core::tlog::body::EntryBody::Digest { digest, .. } = &body.body else {
        panic!("a hashedrekord body")
    };
    assert_eq!(
        *digest,
        hsign_core::ArtifactDigest::of(hsign_core::keys::HashAlgorithm::Sha256, &payload)
    );
}

fn log_info(rel: &str) -> (LogInfo, Vec<(String, u64, Vec<u8>)>) {
    let v = json(rel);
    let hex = |s: &str| {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    };
    let info = LogInfo {
        root_hash: hex(v["rootHash"].as_str().unwrap()),
        tree_size: v["treeSize"].as_u64().unwrap(),
        signed_tree_head: v["signedTreeHead"].as_str().unwrap().to_string(),
        tree_id: v["treeID"].as_str().unwrap().to_string(),
    };
    let shards = v["inactiveShards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["signedTreeHead"].as_str().unwrap().to_string(),
                s["treeSize"].as_u64().unwrap(),
                hex(s["rootHash"].as_str().unwrap()),
            )
        })
        .collect();
    (info, shards)
}

#[test]
fn staging_log_infos_verify_and_are_consistent() {
    let trust = staging();
    let log = &trust.tlogs[0];
    let (old, shards) = log_info("rekor/sigstore-rs/log_info.staging.treesize-1352760.json");
    let (new, _) = log_info("rekor/sigstore-rs/log_info.staging.treesize-1352764.json");
    for (sth, size, root) in shards
        .iter()
        .map(|(s, n, r)| (s.as_str(), *n, r.as_slice()))
        .chain([(old.signed_tree_head.as_str(), old.tree_size, old.root_hash.as_slice())])
        .chain([(new.signed_tree_head.as_str(), new.tree_size, new.root_hash.as_slice())])
    {
        verify_checkpoint(sth, log, Some((size, root))).unwrap();
    }
    let proof: Vec<Vec<u8>> = json("rekor/sigstore-rs/log_proof.staging.1352760-1352764.json")["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let s = h.as_str().unwrap();
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        })
        .collect();
    let check =
        |p: &[Vec<u8>]| merkle::verify_consistency(old.tree_size, new.tree_size, p, &old.root_hash, &new.root_hash);
    check(&proof).unwrap();
    assert!(check(&[]).is_err(), "empty proof");
    let mut extra = proof.clone();
    extra.push(vec![0; 32]);
    assert!(check(&extra).is_err(), "extra hash");
    assert!(check(&proof[..proof.len() - 1]).is_err(), "missing hash");
    let reversed: Vec<Vec<u8>> = proof.iter().map(|h| h.iter().rev().copied().collect()).collect();
    assert!(check(&reversed).is_err(), "byte-reversed hashes");
    // A checkpoint signed by another log's key is refused.
    assert!(verify_checkpoint(&old.signed_tree_head, &production().tlogs[0], None).is_err());
}
