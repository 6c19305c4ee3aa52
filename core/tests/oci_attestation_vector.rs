//! cosign's OCI attestation bundle (tests/data/vectors/bundles/cosign/oci-attestation.sigstore.json): a v0.3
//! bundle written by `cosign attest --new-bundle-format`, keyless. What can be checked before certificate-chain
//! and transparency-log verification exist: the DSSE signature with the leaf certificate's key, the subject
//! digest (the go-containerregistry empty image), and the predicate type. Its log entry (SET, inclusion
//! proof, checkpoint) verifies with the embedded public-good root. Chain and identity are the keyless work's.

use der::{Decode as _, Encode as _};
use hsign_core::ArtifactDigest;
use hsign_core::bundle::{Bundle, KeyMaterial};
use hsign_core::keys::PublicKey;
use hsign_core::verify::{Artifact, Policy, SignedEntity, Verifier, VerifyError};

const SUBJECT: &str = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";

fn bundle() -> Bundle {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/vectors/bundles/cosign/oci-attestation.sigstore.json"
    );
    Bundle::from_json(&std::fs::read(path).unwrap()).unwrap()
}

fn leaf_key(b: &Bundle) -> PublicKey {
    let KeyMaterial::Certificate(der) = &b.key_material else {
        panic!("expected a v0.3 certificate")
    };
    let cert = x509_cert::Certificate::from_der(der).unwrap();
    let spki = cert.tbs_certificate().subject_public_key_info().to_der().unwrap();
    PublicKey::from_spki_der(&spki).unwrap()
}

fn policy(key: PublicKey, digest: &str) -> Policy {
    Policy::builder(key)
        .artifact(Artifact::Digests(vec![ArtifactDigest::parse(digest).unwrap()]))
        .predicate_type("https://cosign.sigstore.dev/attestation/v1")
        .without_tlog_unsafe()
        .build()
}

#[test]
fn signature_subject_and_predicate_type_verify_with_the_leaf_key() {
    let b = bundle();
    let key = leaf_key(&b);
    let r = Verifier::new()
        .verify(&SignedEntity::from_bundle(b), &policy(key, SUBJECT))
        .unwrap();
    let st = r.statement().unwrap();
    assert_eq!(st.predicate_type, "https://cosign.sigstore.dev/attestation/v1");
    let predicate = st.predicate_value().unwrap();
    assert_eq!(predicate["Data"], "{\"foo\": \"bar\"}\n");
}

#[test]
fn another_image_digest_or_predicate_type_fails() {
    let b = bundle();
    let key = leaf_key(&b);
    let other = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    let err = Verifier::new()
        .verify(&SignedEntity::from_bundle(b.clone()), &policy(key.clone(), other))
        .unwrap_err();
    assert!(matches!(err, VerifyError::SubjectMismatch { .. }), "{err}");
    let p = Policy::builder(key)
        .artifact(Artifact::Digests(vec![ArtifactDigest::parse(SUBJECT).unwrap()]))
        .predicate_type("https://slsa.dev/provenance/v1")
        .without_tlog_unsafe()
        .build();
    assert!(matches!(
        Verifier::new().verify(&SignedEntity::from_bundle(b), &p),
        Err(VerifyError::PredicateTypeMismatch { .. })
    ));
}

#[test]
fn its_log_entry_verifies_with_the_public_good_root() {
    let b = bundle();
    let key = leaf_key(&b);
    let p = Policy::builder(key)
        .artifact(Artifact::Digests(vec![ArtifactDigest::parse(SUBJECT).unwrap()]))
        .build();
    let r = Verifier::new()
        .verify(&SignedEntity::from_bundle(b.clone()), &p)
        .unwrap();
    let hsign_core::verify::TlogOutcome::Verified(entries) = r.tlog() else {
        panic!("the log was not checked")
    };
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].log_url, "https://rekor.sigstore.dev");
    assert!(entries[0].set_verified && entries[0].proof_verified);
    // One flipped bit in the SET: refused, and the error names the SET.
    let mut tampered = b;
    tampered.tlog_entries[0].inclusion_promise.as_mut().unwrap()[20] ^= 1;
    let err = Verifier::new()
        .verify(&SignedEntity::from_bundle(tampered), &p)
        .unwrap_err();
    assert!(
        err.to_string().contains("signed entry timestamp (SET) check failed"),
        "{err}"
    );
}
