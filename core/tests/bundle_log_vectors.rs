//! The transparency-log half of the bundle-verify cases in tests/data/vectors/cases.json: with the log
//! required, every case expected to pass has log entries that verify against its trusted root (and, for
//! keyed bundles, the whole bundle verifies with its key), and every case whose defect is in the log entry
//! is refused. Certificate chains and identities are not checked here (the keyless work); for certificate
//! bundles the signature is checked with the leaf certificate's key.

use std::path::PathBuf;

use serde_json::Value;

use hsign_core::ArtifactDigest;
use hsign_core::bundle::{Bundle, KeyMaterial};
use hsign_core::keys::{HashAlgorithm, PublicKey};
use hsign_core::trust::TrustedRoot;
use hsign_core::verify::{Artifact, Policy, SignedEntity, TlogOutcome, Verifier};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/")).join(rel)
}

fn cases() -> Vec<Value> {
    let all: Vec<Value> = serde_json::from_slice(&std::fs::read(path("cases.json")).unwrap()).unwrap();
    all.into_iter().filter(|c| c["kind"] == "bundle-verify").collect()
}

fn trusted_root(case: &Value) -> Option<TrustedRoot> {
    let rel = case["trusted_root"]
        .as_str()
        .unwrap_or("trusted-root/production/trusted_root.json");
    let file = rel.split(' ').next().unwrap();
    match TrustedRoot::from_json(&std::fs::read(path(file)).ok()?) {
        Ok(t) => Some(t),
        // sigstore-js's fixture root has no validFor (refused); its cases name production as the alternative.
        Err(_) if rel.ends_with("(or production)") => Some(TrustedRoot::production()),
        Err(_) => None,
    }
}

fn leaf_key(b: &Bundle) -> Option<PublicKey> {
    let der = match &b.key_material {
        KeyMaterial::Certificate(c) => c,
        KeyMaterial::CertificateChain(c) => c.first()?,
        KeyMaterial::PublicKey { .. } => return None,
    };
    PublicKey::from_spki_der(&hsign_core::x509::spki_der(der)?).ok()
}

fn artifact(case: &Value) -> Artifact {
    if let Some(rel) = case["artifact"].as_str() {
        return Artifact::Bytes(std::fs::read(path(rel)).unwrap());
    }
    if let Some(d) = case["artifact_digest"].as_str() {
        return Artifact::Digests(vec![ArtifactDigest::parse(d.split(' ').next().unwrap()).unwrap()]);
    }
    Artifact::None
}

/// Verifies a case with the log required; `Err` carries the reason.
fn verify(case: &Value) -> Result<TlogOutcome, String> {
    let bundle = Bundle::from_json(&std::fs::read(path(case["bundle"].as_str().unwrap())).unwrap())
        .map_err(|e| format!("parse: {e}"))?;
    let trust = trusted_root(case).ok_or("trusted root unreadable")?;
    let key = match case["key"].as_str() {
        Some(rel) => PublicKey::from_pem_or_der(&std::fs::read(path(rel)).unwrap()).map_err(|e| format!("key: {e}"))?,
        None => leaf_key(&bundle).ok_or("no usable key")?,
    };
    let mut artifact = artifact(case);
    if let (Artifact::Bytes(b), hsign_core::bundle::SignatureContent::Dsse(_)) = (&artifact, &bundle.content) {
        // An attestation's artifact is checked against its subject digests.
        artifact = Artifact::Digests(
            [HashAlgorithm::Sha256, HashAlgorithm::Sha512]
                .map(|a| ArtifactDigest::of(a, b))
                .to_vec(),
        );
    }
    let policy = Policy::builder(key).artifact(artifact).build();
    Verifier::with_trusted_root(trust)
        .verify(&SignedEntity::from_bundle(bundle), &policy)
        .map(|r| r.tlog().clone())
        .map_err(|e| e.to_string())
}

/// Failing cases whose defect is in the log entry or its proofs: they must fail with the log required.
const LOG_DEFECTS: &[&str] = &[
    "conformance/checkpoint-bad-keyhint_fail",
    "conformance/checkpoint-wrong-roothash_fail",
    "conformance/inclusion-proof-corrupted-hash_fail",
    "conformance/invalid-checkpoint-signature_fail",
    "conformance/invalid-inclusion-proof_fail",
    "conformance/set-invalid-signature_fail",
    "conformance/incorrect-public-key_fail",
    "conformance/wrong-hashedrekord-artifact_fail",
    "conformance/wrong-hashedrekord-cert-and-sig_fail",
    "conformance/wrong-hashedrekord-entry_fail",
    "conformance/intoto-log-entry-mismatch_fail",
    "conformance/dsse-mismatch-envelope_fail",
    "conformance/dsse-mismatch-sig_fail",
    "conformance/rekor2-dsse-mismatch-envelope_fail",
    "conformance/rekor2-dsse-mismatch-sig_fail",
    "conformance/rekor2-checkpoint-missing-log-signature_fail",
    "conformance/rekor2-checkpoint-missing-origin_fail",
    "conformance/rekor2-checkpoint-missing-root-hash_fail",
    "conformance/rekor2-checkpoint-missing-size_fail",
    "conformance/rekor2-checkpoint-no-matching-signature_fail",
    "conformance/rekor2-no-inclusion-proof_fail",
    "conformance/intoto-missing-inclusion-proof_fail",
    "conformance/managed-key-wrong-key_fail",
    "conformance/bundle-negative-log-index_fail",
    "conformance/bundle-from-wrong-instance_fail",
    "js/client-fixtures/invalid.v1.dsse.invalidBadSignature",
];

#[test]
fn passing_cases_have_log_entries_that_verify() {
    let mut checked = 0;
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        if !case["expected"].as_str().unwrap().starts_with("pass") {
            continue;
        }
        let outcome = verify(&case).unwrap_or_else(|e| panic!("{id}: {e}"));
        let TlogOutcome::Verified(entries) = outcome else {
            panic!("{id}: the log was not checked")
        };
        assert!(!entries.is_empty(), "{id}");
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} passing cases checked");
}

#[test]
fn cases_with_log_defects_fail() {
    let all = cases();
    for id in LOG_DEFECTS {
        let case = all
            .iter()
            .find(|c| c["id"] == *id)
            .unwrap_or_else(|| panic!("no case {id}"));
        assert!(!case["expected"].as_str().unwrap().starts_with("pass"), "{id}");
        let err = verify(case).expect_err(id);
        eprintln!("{id}: {err}");
        assert!(!err.is_empty(), "{id}");
    }
}
