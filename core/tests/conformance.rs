//! Every bundle-verify case of tests/data/vectors/cases.json (the Sigstore conformance suite, sigstore-go,
//! sigstore-js, cosign and protobuf-specs bundles) gives its expected outcome through the one verifier: keyed
//! cases with their key, keyless ones with the case's identity and issuer (exact), each against its trusted
//! root, the log required. Cases the conformance harness runs without key or identity use its default identity.

use std::path::PathBuf;

use serde_json::Value;

use hsign_core::ArtifactDigest;
use hsign_core::bundle::{Bundle, SignatureContent};
use hsign_core::keys::{HashAlgorithm, PublicKey};
use hsign_core::trust::TrustedRoot;
use hsign_core::verify::{Artifact, CertificateIdentity, Matcher, Policy, SignedEntity, Verifier};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/")).join(rel)
}

/// The identity the conformance harness verifies with when a case names none.
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn trusted_root(case: &Value) -> Result<TrustedRoot, String> {
    let rel = case["trusted_root"]
        .as_str()
        .unwrap_or("trusted-root/production/trusted_root.json");
    let file = rel.split(' ').next().unwrap();
    let data = std::fs::read(path(file)).map_err(|e| format!("{file}: {e}"))?;
    match TrustedRoot::from_json(&data) {
        Ok(t) => Ok(t),
        Err(_) if rel.ends_with("(or production)") => Ok(TrustedRoot::production()),
        Err(e) => Err(format!("trusted root: {e}")),
    }
}

fn note_free(value: &str) -> String {
    value.split(" (").next().unwrap_or(value).to_string()
}

fn verify(case: &Value) -> Result<(), String> {
    let data = std::fs::read(path(case["bundle"].as_str().unwrap())).map_err(|e| e.to_string())?;
    let bundle = Bundle::from_json(&data).map_err(|e| format!("parse: {e}"))?;
    let trust = trusted_root(case)?;
    let is_dsse = matches!(bundle.content, SignatureContent::Dsse(_));
    let artifact = if let Some(rel) = case["artifact"].as_str() {
        let bytes = std::fs::read(path(rel)).map_err(|e| e.to_string())?;
        if is_dsse {
            Artifact::Digests(
                [HashAlgorithm::Sha256, HashAlgorithm::Sha512]
                    .map(|a| ArtifactDigest::of(a, &bytes))
                    .to_vec(),
            )
        } else {
            Artifact::Bytes(bytes)
        }
    } else if let Some(d) = case["artifact_digest"].as_str() {
        Artifact::Digests(vec![
            ArtifactDigest::parse(d.split(' ').next().unwrap()).ok_or("bad digest")?,
        ])
    } else {
        Artifact::None
    };
    let policy = match case["key"].as_str() {
        Some(rel) => Policy::builder(
            PublicKey::from_pem_or_der(&std::fs::read(path(rel)).unwrap()).map_err(|e| format!("key: {e}"))?,
        ),
        None => Policy::keyless(CertificateIdentity {
            // cases.json annotates some values: "<value> (SAN regex …)"; the value is what precedes the note.
            subject: Matcher::Exact(note_free(case["identity"].as_str().unwrap_or(DEFAULT_IDENTITY))),
            issuer: Matcher::Exact(note_free(case["issuer"].as_str().unwrap_or(DEFAULT_ISSUER))),
            github: Default::default(),
        }),
    };
    let policy = policy.artifact(artifact).build();
    Verifier::with_trusted_root(trust)
        .verify(&SignedEntity::from_bundle(bundle), &policy)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[test]
fn every_bundle_verify_case_gives_its_expected_outcome() {
    let cases: Vec<Value> = serde_json::from_slice(&std::fs::read(path("cases.json")).unwrap()).unwrap();
    let mut wrong = Vec::new();
    let mut n = 0;
    for case in cases.iter().filter(|c| c["kind"] == "bundle-verify") {
        n += 1;
        let id = case["id"].as_str().unwrap();
        let expected_pass = case["expected"].as_str().unwrap().starts_with("pass");
        match (verify(case), expected_pass) {
            (Ok(()), true) => {}
            (Err(e), false) => {
                if std::env::var_os("SHOW_REASONS").is_some() {
                    eprintln!("{id}: {e}");
                }
            }
            (Ok(()), false) => wrong.push(format!("{id}: verified, expected to fail")),
            (Err(e), true) => wrong.push(format!("{id}: failed, expected to pass: {e}")),
        }
    }
    assert_eq!(n, 95, "bundle-verify cases");
    assert!(
        wrong.is_empty(),
        "{} of {n} cases wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
