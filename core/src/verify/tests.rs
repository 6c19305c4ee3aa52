//! The verifier against generated signatures (each tampering must fail) and against real envelopes and
//! bundles made by cosign and sigstore-js.

use super::*;
use crate::bundle::Bundle;
use crate::sign;
use hsign_keys::{PrivateKey, PublicKey};

fn vector(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/vectors")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn digests(data: &[u8]) -> Artifact {
    Artifact::Digests(vec![ArtifactDigest::of(HashAlgorithm::Sha256, data)])
}

#[test]
fn signed_bundle_verifies_and_every_tampering_fails() {
    let key = PrivateKey::generate_p256().unwrap();
    let bundle = sign::sign_digest(&key, &ArtifactDigest::of(HashAlgorithm::Sha256, b"artifact")).unwrap();
    let reparsed = Bundle::from_json(bundle.to_json().as_bytes()).unwrap();
    let entity = SignedEntity::from_bundle(reparsed);
    let policy = |a: &[u8]| {
        Policy::builder(key.public_key())
            .artifact(digests(a))
            .without_tlog_unsafe()
            .build()
    };

    let ok = Verifier::new().verify(&entity, &policy(b"artifact")).unwrap();
    assert_eq!(
        ok.artifact_digest().unwrap(),
        &ArtifactDigest::of(HashAlgorithm::Sha256, b"artifact")
    );

    assert!(matches!(
        Verifier::new().verify(&entity, &policy(b"artifacT")),
        Err(VerifyError::ArtifactDigestMismatch { .. })
    ));
    let other = PrivateKey::generate_p256().unwrap().public_key();
    let p = Policy::builder(other)
        .artifact(digests(b"artifact"))
        .without_tlog_unsafe()
        .build();
    assert!(matches!(
        Verifier::new().verify(&entity, &p),
        Err(VerifyError::Signature(_))
    ));
    // The tlog is required unless explicitly skipped.
    let p = Policy::builder(key.public_key()).artifact(digests(b"artifact")).build();
    assert!(matches!(
        Verifier::new().verify(&entity, &p),
        Err(VerifyError::TlogMissing)
    ));
    // A message signature is never "verified" without an artifact.
    let p = Policy::builder(key.public_key()).without_tlog_unsafe().build();
    assert!(matches!(
        Verifier::new().verify(&entity, &p),
        Err(VerifyError::ArtifactRequired)
    ));
}

#[test]
fn claimed_digest_matching_is_not_enough_the_signature_must_match_too() {
    let key = PrivateKey::generate_p256().unwrap();
    let mut bundle = sign::sign_digest(&key, &ArtifactDigest::of(HashAlgorithm::Sha256, b"one")).unwrap();
    // Claim another artifact's digest while keeping the signature of the first.
    if let crate::bundle::SignatureContent::Message(m) = &mut bundle.content {
        m.digest = Some(ArtifactDigest::of(HashAlgorithm::Sha256, b"two"));
    }
    let p = Policy::builder(key.public_key())
        .artifact(digests(b"two"))
        .without_tlog_unsafe()
        .build();
    assert!(matches!(
        Verifier::new().verify(&SignedEntity::from_bundle(bundle), &p),
        Err(VerifyError::Signature(_))
    ));
}

#[test]
fn ed25519_needs_and_verifies_the_whole_message() {
    let key = PrivateKey::Ed25519(ed25519_dalek_key());
    let bundle = sign::sign_message(&key, b"whole message").unwrap();
    let entity = SignedEntity::from_bundle(bundle);
    let p = Policy::builder(key.public_key())
        .artifact(Artifact::Bytes(b"whole message".to_vec()))
        .without_tlog_unsafe()
        .build();
    Verifier::new().verify(&entity, &p).unwrap();
    let p = Policy::builder(key.public_key())
        .artifact(digests(b"whole message"))
        .without_tlog_unsafe()
        .build();
    assert!(matches!(
        Verifier::new().verify(&entity, &p),
        Err(VerifyError::Signature(_))
    ));
}

fn ed25519_dalek_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42u8; 32])
}

#[test]
fn cosign_attest_blob_envelopes_give_the_expected_results() {
    let key = PublicKey::from_pem_or_der(&vector("blob/cosign-attest-blob/cosign.pub")).unwrap();
    let blob = vector("blob/cosign-attest-blob/blob");
    let other = vector("blob/cosign-attest-blob/other-blob");
    let slsa = "https://slsa.dev/provenance/v0.2";
    let check = |file: &str, artifact: &[u8], ptype: &str| {
        let env = crate::dsse::Envelope::from_json(&vector(&format!("blob/cosign-attest-blob/{file}"))).unwrap();
        let p = Policy::builder(key.clone())
            .artifact(digests(artifact))
            .predicate_type(ptype)
            .without_tlog_unsafe()
            .build();
        Verifier::new().verify(&SignedEntity::from_envelope(env), &p)
    };
    check("blobSLSAProvenanceSignature.dsse.json", &blob, slsa).unwrap();
    assert!(matches!(
        check(
            "blobSLSAProvenanceSignature.dsse.json",
            &blob,
            "https://cosign.sigstore.dev/attestation/v1"
        ),
        Err(VerifyError::PredicateTypeMismatch { .. })
    ));
    assert!(matches!(
        check("blobSLSAProvenanceSignature.dsse.json", &other, slsa),
        Err(VerifyError::SubjectMismatch { .. })
    ));
    check("dssePredicateMultipleSubjects.dsse.json", &blob, slsa).unwrap();
    for bad in [
        "dssePredicateEmptySubject.dsse.json",
        "dssePredicateMissingSha256.dsse.json",
        "dssePredicateMultipleSubjectsInvalid.dsse.json",
    ] {
        assert!(
            matches!(check(bad, &blob, slsa), Err(VerifyError::SubjectMismatch { .. })),
            "{bad}"
        );
    }
}

#[test]
fn sigstore_js_key_bundle_verifies_and_its_tampered_twin_does_not() {
    let key = PublicKey::from_pem_or_der(&vector("bundles/sigstore-js/client-fixtures/key-1.pub")).unwrap();
    let run = |rel: &str| {
        let b = Bundle::from_json(&vector(rel)).unwrap();
        let p = Policy::builder(key.clone()).without_tlog_unsafe().build();
        Verifier::new().verify(&SignedEntity::from_bundle(b), &p)
    };
    run("bundles/sigstore-js/client-fixtures/valid.v1.dsse.withPublicKey.sigstore.json").unwrap();
    assert!(run("bundles/sigstore-js/client-fixtures/invalid.v1.dsse.invalidBadSignature.sigstore.json").is_err());
}

#[test]
fn result_json_keys_are_lower_camel_case() {
    let key = PrivateKey::generate_p256().unwrap();
    let bundle = sign::sign_digest(&key, &ArtifactDigest::of(HashAlgorithm::Sha256, b"a")).unwrap();
    let p = Policy::builder(key.public_key())
        .artifact(digests(b"a"))
        .without_tlog_unsafe()
        .build();
    let r = Verifier::new().verify(&SignedEntity::from_bundle(bundle), &p).unwrap();
    fn walk(v: &serde_json::Value) {
        if let Some(m) = v.as_object() {
            for (k, v) in m {
                assert!(
                    k.chars().next().unwrap().is_ascii_lowercase() && !k.contains('_'),
                    "key {k}"
                );
                walk(v);
            }
        }
    }
    walk(&r.to_json());
}

#[test]
fn envelopes_without_signatures_or_in_toto_payloads_are_refused_with_the_reason() {
    let key = PrivateKey::generate_p256().unwrap();
    let digest = ArtifactDigest::of(HashAlgorithm::Sha256, b"a");
    let statement = crate::attestation::statement("a", &digest, "https://example.com/p", b"{}");
    let mut env = sign::sign_envelope(&key, crate::intoto::PAYLOAD_TYPE, statement).unwrap();
    let policy = || {
        Policy::builder(key.public_key())
            .artifact(digests(b"a"))
            .without_tlog_unsafe()
            .build()
    };
    Verifier::new()
        .verify(&SignedEntity::from_envelope(env.clone()), &policy())
        .unwrap();
    // Two signatures, one valid: a bare envelope verifies (DSSE allows several); a bundle would refuse it.
    let mut two = env.clone();
    two.signatures.push(crate::dsse::EnvelopeSignature {
        keyid: String::new(),
        sig: vec![0x30, 0x00],
    });
    Verifier::new()
        .verify(&SignedEntity::from_envelope(two), &policy())
        .unwrap();
    env.signatures.clear();
    let err = Verifier::new()
        .verify(&SignedEntity::from_envelope(env), &policy())
        .unwrap_err();
    assert!(err.to_string().contains("no signature"), "{err}");
    // Not in-toto: refused when a statement is needed.
    let other = sign::sign_envelope(&key, "text/plain", b"hello".to_vec()).unwrap();
    let err = Verifier::new()
        .verify(&SignedEntity::from_envelope(other), &policy())
        .unwrap_err();
    assert!(matches!(err, VerifyError::PayloadType { .. }), "{err}");
}
