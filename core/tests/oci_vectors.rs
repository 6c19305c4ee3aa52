//! Legacy cosign image signatures (simple-signing payload + `.sig` layer annotations) from real tooling,
//! verified key-based with the transparency log skipped. Data-driven from `tests/data/vectors/cases.json`;
//! provenance of every file is in `tests/data/vectors/MANIFEST.md`.
//!
//! Case families:
//! - containers/image "dir" fixtures (`oci/containers-image-fixtures/dir-img-cosign-*`): `manifest.json` is
//!   the signed image manifest (its sha256 is the image digest), `signature-N` is `"\x00sigstore-json\n"`
//!   followed by `{mimeType, payload (base64), annotations}`;
//! - single signature layers (`unknown-cosign-key.signature`, same encoding);
//! - reconstructed sigstore-rs / jonzeolla-lab layers: `simplesigning-payload.json` + `signature.b64` +
//!   `cosign.pub`; the image digest is the one the payload names.
//!
//! Not covered here, they need the certificate / transparency-log work (listed in [`NEEDS_CERT_OR_TLOG`]):
//! - `oci/containers-image/dir-img-cosign-fulcio-rekor-valid` (Fulcio cert + chain + SET),
//! - `oci/containers-image/dir-img-cosign-pki-valid` (BYO-PKI cert + chain),
//! - `oci/sigstore-rs/fulcio-v1-2021-disallow-service-nodeport` (2021 Fulcio cert + rekord SET),
//! - `oci/sigstore-rs/custom-ca-kubewarden-pod-privileged` (private-CA cert, chain unavailable),
//! - `rs/bundle_v03` (cosign v3 bundle referrer: keyless, tlog + RFC 3161).
//!
//! Also not checked: the SET of `dir-img-cosign-key-rekor-valid` / jonzeolla-lab (tlog skipped), and the
//! `docker-reference` identity of `dir-img-cosign-valid-with-tag` (":tag" vs ":othertag" is a
//! containers/image policy check; cosign and hsign's policy match the manifest digest only).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use hsign_core::ArtifactDigest;
use hsign_core::image::verify::legacy_entity;
use hsign_core::keys::{HashAlgorithm, PublicKey};
use hsign_core::simple_signing;
use hsign_core::verify::{Artifact, Policy, VerificationResult, Verifier, VerifyError};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors");
const SIGSTORE_JSON_PREFIX: &[u8] = b"\x00sigstore-json\n";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// Image-signature cases left for the certificate / transparency-log work.
const NEEDS_CERT_OR_TLOG: &[&str] = &[
    "oci/containers-image/dir-img-cosign-fulcio-rekor-valid",
    "oci/containers-image/dir-img-cosign-pki-valid",
    "oci/sigstore-rs/fulcio-v1-2021-disallow-service-nodeport",
    "oci/sigstore-rs/custom-ca-kubewarden-pod-privileged",
    "rs/bundle_v03",
];

/// Image-signature cases covered by the tests below.
const COVERED: &[&str] = &[
    "oci/containers-image/dir-img-cosign-valid",
    "oci/containers-image/dir-img-cosign-valid-2",
    "oci/containers-image/dir-img-cosign-valid-with-tag",
    "oci/containers-image/dir-img-cosign-key-rekor-valid",
    "oci/containers-image/dir-img-cosign-modified-manifest",
    "oci/containers-image/dir-img-cosign-manifest-digest-error",
    "oci/containers-image/dir-img-cosign-no-manifest",
    "oci/containers-image/dir-img-cosign-mixed",
    "oci/containers-image/dir-img-cosign-other-attachment",
    "oci/containers-image/unknown-cosign-key.signature",
    "oci/sigstore-rs/keyed-busybox",
    "oci/jonzeolla-lab",
];

// ---------------------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------------------

fn path(rel: &str) -> PathBuf {
    Path::new(VECTORS).join(rel)
}

fn read(rel: &str) -> Vec<u8> {
    let p = path(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn cases() -> Vec<Value> {
    let v: Value = serde_json::from_slice(&read("cases.json")).expect("cases.json is JSON");
    v.as_array().expect("cases.json is an array").clone()
}

fn image_signature_cases() -> Vec<Value> {
    cases()
        .into_iter()
        .filter(|c| c["kind"].as_str().is_some_and(|k| k.contains("image signature")))
        .collect()
}

fn case(id: &str) -> Value {
    image_signature_cases()
        .into_iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("case {id} not in cases.json"))
}

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("case {} has no string field '{name}'", case["id"]))
}

fn expected(case: &Value) -> &str {
    field(case, "expected")
}

fn key(rel: &str) -> PublicKey {
    PublicKey::from_pem_or_der(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn case_key(case: &Value) -> PublicKey {
    key(field(case, "key"))
}

fn cosign_pub() -> PublicKey {
    key("oci/containers-image-fixtures/cosign.pub")
}

fn cosign2_pub() -> PublicKey {
    key("oci/containers-image-fixtures/cosign2.pub")
}

/// One signature layer in containers/image's "sigstore-json" encoding.
#[derive(Clone, Debug)]
struct Layer {
    name: String,
    mime_type: String,
    payload: Vec<u8>,
    annotations: BTreeMap<String, String>,
}

fn parse_layer(name: &str, bytes: &[u8]) -> Layer {
    let json = bytes
        .strip_prefix(SIGSTORE_JSON_PREFIX)
        .unwrap_or_else(|| panic!("{name}: missing the \\x00sigstore-json\\n prefix"));
    let v: Value = serde_json::from_slice(json).unwrap_or_else(|e| panic!("{name}: {e}"));
    let annotations = v["annotations"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().expect("annotation values are strings").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Layer {
        name: name.to_string(),
        mime_type: v["mimeType"].as_str().expect("mimeType").to_string(),
        payload: STANDARD
            .decode(v["payload"].as_str().expect("payload"))
            .unwrap_or_else(|e| panic!("{name}: payload base64: {e}")),
        annotations,
    }
}

/// `signature-1`, `signature-2`, ... in order, as containers/image reads them.
fn dir_layers(dir: &str) -> Vec<Layer> {
    let mut out = Vec::new();
    for n in 1.. {
        let rel = format!("{dir}/signature-{n}");
        if !path(&rel).exists() {
            break;
        }
        out.push(parse_layer(&rel, &read(&rel)));
    }
    assert!(!out.is_empty(), "{dir} has no signature-1");
    out
}

/// The image digest: sha256 of the stored manifest bytes, or `None` when there is no manifest.
fn dir_digest(dir: &str) -> Option<ArtifactDigest> {
    let rel = format!("{dir}/manifest.json");
    path(&rel)
        .exists()
        .then(|| ArtifactDigest::of(HashAlgorithm::Sha256, &read(&rel)))
}

fn policy(key: &PublicKey, digest: &ArtifactDigest, annotations: BTreeMap<String, String>) -> Policy {
    Policy::builder(key.clone())
        .artifact(Artifact::Digests(vec![digest.clone()]))
        .annotations(annotations)
        .without_tlog_unsafe()
        .build()
}

/// Adapts and verifies one layer's payload + annotations against `digest`.
fn verify_with(
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
    key: &PublicKey,
    digest: &ArtifactDigest,
    required: BTreeMap<String, String>,
) -> Result<VerificationResult, String> {
    let entity = legacy_entity(payload, annotations)?;
    Verifier::new()
        .verify(&entity, &policy(key, digest, required))
        .map_err(|e| e.to_string())
}

fn verify_layer(layer: &Layer, key: &PublicKey, digest: &ArtifactDigest) -> Result<VerificationResult, String> {
    verify_with(&layer.payload, &layer.annotations, key, digest, BTreeMap::new())
}

/// Like [`verify_layer`] but keeps the typed error, to check *why* it failed.
fn verify_layer_typed(
    layer: &Layer,
    key: &PublicKey,
    digest: &ArtifactDigest,
) -> Result<VerificationResult, VerifyError> {
    let entity = legacy_entity(&layer.payload, &layer.annotations).expect("layer adapts");
    Verifier::new().verify(&entity, &policy(key, digest, BTreeMap::new()))
}

#[derive(Debug)]
enum Outcome {
    /// Not a simple-signing layer: not a signature at all (hsign's discovery filters by layer media type).
    NotASignature,
    Verified,
    Rejected(String),
}

/// What an image-verification harness does with a "dir" image: every simple-signing layer is checked
/// against the sha256 of `manifest.json`; without a manifest nothing can verify.
fn verify_dir(dir: &str, key: &PublicKey) -> Vec<(String, Outcome)> {
    let digest = dir_digest(dir);
    dir_layers(dir)
        .into_iter()
        .map(|l| {
            let outcome = if l.mime_type != simple_signing::MEDIA_TYPE {
                Outcome::NotASignature
            } else {
                match &digest {
                    None => Outcome::Rejected("no manifest: the image digest cannot be computed".into()),
                    Some(d) => match verify_layer(&l, key, d) {
                        Ok(r) => {
                            assert_eq!(r.artifact_digest(), Some(d), "{}", l.name);
                            assert_eq!(r.document().as_bytes(), l.payload.as_slice(), "{}", l.name);
                            Outcome::Verified
                        }
                        Err(e) => Outcome::Rejected(e),
                    },
                }
            };
            (l.name, outcome)
        })
        .collect()
}

fn image_passes(outcomes: &[(String, Outcome)]) -> bool {
    outcomes.iter().any(|(_, o)| matches!(o, Outcome::Verified))
}

/// The digest a simple-signing payload claims.
fn claimed_digest(payload: &[u8]) -> ArtifactDigest {
    let p = simple_signing::Payload::from_json(payload).expect("simple-signing payload");
    ArtifactDigest::parse(&p.manifest_digest).expect("sha256 digest")
}

/// A reconstructed layer: `simplesigning-payload.json` + `signature.b64` (+ optional bundle annotation).
fn file_layer(dir: &str, with_bundle: bool) -> Layer {
    let mut annotations = BTreeMap::from([(
        SIGNATURE_ANNOTATION.to_string(),
        String::from_utf8(read(&format!("{dir}/signature.b64"))).unwrap(),
    )]);
    let bundle = format!("{dir}/dev.sigstore.cosign-bundle.annotation.json");
    if with_bundle && path(&bundle).exists() {
        annotations.insert(BUNDLE_ANNOTATION.into(), String::from_utf8(read(&bundle)).unwrap());
    }
    Layer {
        name: dir.to_string(),
        mime_type: simple_signing::MEDIA_TYPE.to_string(),
        payload: read(&format!("{dir}/simplesigning-payload.json")),
        annotations,
    }
}

fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------

#[test]
fn every_image_signature_case_is_covered_or_listed_as_pending() {
    let ids: BTreeSet<String> = image_signature_cases()
        .iter()
        .map(|c| field(c, "id").to_string())
        .collect();
    let known: BTreeSet<String> = COVERED
        .iter()
        .chain(NEEDS_CERT_OR_TLOG)
        .map(|s| s.to_string())
        .collect();
    assert_eq!(ids, known, "cases.json image-signature cases vs. this file's lists");
    for id in COVERED {
        let c = case(id);
        if let Some(dir) = c["dir"].as_str() {
            assert!(path(dir).is_dir(), "{id}: {dir} not copied into tests/data/vectors");
        }
    }
}

#[test]
fn containers_image_valid_dirs_pass_with_cosign_pub() {
    for (id, n) in [
        ("oci/containers-image/dir-img-cosign-valid", 1),
        ("oci/containers-image/dir-img-cosign-valid-2", 2),
        ("oci/containers-image/dir-img-cosign-valid-with-tag", 1),
    ] {
        let c = case(id);
        assert!(expected(&c).starts_with("pass"), "{id}");
        assert!(field(&c, "key").ends_with("/cosign.pub"));
        let dir = field(&c, "dir");
        let outcomes = verify_dir(dir, &case_key(&c));
        assert_eq!(outcomes.len(), n, "{id}: {outcomes:?}");
        for (name, o) in &outcomes {
            assert!(matches!(o, Outcome::Verified), "{name}: {o:?}");
        }
        // The other fixture key signed none of them.
        for (name, o) in verify_dir(dir, &cosign2_pub()) {
            assert!(matches!(o, Outcome::Rejected(_)), "{name} with cosign2.pub: {o:?}");
        }
    }
}

#[test]
fn containers_image_valid_with_tag_keeps_its_signed_optional_fields() {
    let c = case("oci/containers-image/dir-img-cosign-valid-with-tag");
    let dir = field(&c, "dir");
    let layer = &dir_layers(dir)[0];
    let digest = dir_digest(dir).unwrap();
    let p = simple_signing::Payload::from_json(&layer.payload).unwrap();
    assert_eq!(p.docker_reference, "192.168.64.2:5000/skopeo-signed:tag");
    // `optional.timestamp` is a number: required annotations compare its JSON text.
    let ok = verify_with(
        &layer.payload,
        &layer.annotations,
        &case_key(&c),
        &digest,
        annotations(&[("creator", "containers/image 5.21.2-dev"), ("timestamp", "1657296609")]),
    );
    assert!(ok.is_ok(), "{ok:?}");
    let bad = verify_with(
        &layer.payload,
        &layer.annotations,
        &case_key(&c),
        &digest,
        annotations(&[("creator", "cosign")]),
    );
    assert!(bad.is_err());
}

#[test]
fn containers_image_key_rekor_valid_passes_with_cosign2_and_its_set() {
    let c = case("oci/containers-image/dir-img-cosign-key-rekor-valid");
    assert!(expected(&c).starts_with("pass"));
    assert!(field(&c, "key").ends_with("/cosign2.pub"));
    let dir = field(&c, "dir");
    let layers = dir_layers(dir);
    assert_eq!(layers.len(), 1);
    assert!(layers[0].annotations.contains_key(BUNDLE_ANNOTATION), "carries a SET");

    let outcomes = verify_dir(dir, &case_key(&c));
    assert!(image_passes(&outcomes), "{outcomes:?}");
    let outcomes = verify_dir(dir, &cosign_pub());
    assert!(!image_passes(&outcomes), "cosign.pub must not verify: {outcomes:?}");

    // Requiring the log: the SET verifies with the public-good Rekor key embedded in hsign.
    let digest = dir_digest(dir).unwrap();
    let entity = legacy_entity(&layers[0].payload, &layers[0].annotations).unwrap();
    let strict = Policy::builder(case_key(&c))
        .artifact(Artifact::Digests(vec![digest]))
        .build();
    let r = Verifier::new().verify(&entity, &strict).unwrap();
    assert!(matches!(r.tlog(), hsign_core::verify::TlogOutcome::Verified(e) if e[0].set_verified));

    // With cosign.pub as the only trusted log key (the case's negative variant): the log is unknown.
    let pem = read("oci/containers-image-fixtures/cosign.pub");
    let wrong = hsign_core::trust::TrustedRoot::from_rekor_public_key(&pem, "https://rekor.example").unwrap();
    let err = Verifier::with_trusted_root(wrong).verify(&entity, &strict).unwrap_err();
    assert!(err.to_string().contains("unknown transparency log"), "{err}");

    // One flipped bit in the SET, in the logged body, or in the log index: refused, naming the check.
    for (field, what) in [("SignedEntryTimestamp", "SET"), ("body", "SET"), ("logIndex", "SET")] {
        let mut annotations = layers[0].annotations.clone();
        let mut bundle: Value = serde_json::from_str(&annotations[BUNDLE_ANNOTATION]).unwrap();
        let slot = if field == "SignedEntryTimestamp" {
            &mut bundle[field]
        } else {
            &mut bundle["Payload"][field]
        };
        *slot = match slot {
            Value::String(s) => {
                let mut raw = STANDARD.decode(s.as_bytes()).unwrap();
                let n = raw.len() / 2;
                raw[n] ^= 1;
                Value::String(STANDARD.encode(raw))
            }
            Value::Number(n) => Value::from(n.as_i64().unwrap() + 1),
            _ => unreachable!(),
        };
        annotations.insert(BUNDLE_ANNOTATION.to_string(), bundle.to_string());
        let Ok(entity) = legacy_entity(&layers[0].payload, &annotations) else {
            continue;
        };
        let err = Verifier::new().verify(&entity, &strict).unwrap_err().to_string();
        assert!(err.contains(what) || err.contains("log entry body"), "{field}: {err}");
    }
}

#[test]
fn containers_image_manifest_digest_mismatch_fails() {
    for id in [
        "oci/containers-image/dir-img-cosign-modified-manifest",
        "oci/containers-image/dir-img-cosign-manifest-digest-error",
    ] {
        let c = case(id);
        assert_eq!(expected(&c), "fail", "{id}");
        let dir = field(&c, "dir");
        let key = case_key(&c);
        let outcomes = verify_dir(dir, &key);
        assert!(!image_passes(&outcomes), "{id}: {outcomes:?}");

        // The failure is the digest, not the signature: it verifies for the digest it claims.
        let layer = &dir_layers(dir)[0];
        let actual = dir_digest(dir).unwrap();
        let claimed = claimed_digest(&layer.payload);
        assert_ne!(actual, claimed, "{id}");
        assert!(verify_layer(layer, &key, &claimed).is_ok(), "{id}");
        match verify_layer_typed(layer, &key, &actual) {
            Err(VerifyError::ArtifactDigestMismatch {
                claimed: c2,
                actual: a2,
            }) => {
                assert_eq!(c2, claimed.to_string());
                assert_eq!(a2, actual.to_string());
            }
            other => panic!("{id}: expected a digest mismatch, got {other:?}"),
        }
    }
}

#[test]
fn containers_image_no_manifest_fails() {
    let c = case("oci/containers-image/dir-img-cosign-no-manifest");
    assert_eq!(expected(&c), "fail");
    let dir = field(&c, "dir");
    assert!(!path(&format!("{dir}/manifest.json")).exists());
    assert_eq!(dir_digest(dir), None);
    let key = case_key(&c);
    let outcomes = verify_dir(dir, &key);
    assert!(!image_passes(&outcomes), "{outcomes:?}");

    // Whatever digest a caller substitutes (other than the payload's own claim), the signature fails.
    let layer = &dir_layers(dir)[0];
    let claimed = claimed_digest(&layer.payload);
    let others = [
        ArtifactDigest::of(HashAlgorithm::Sha256, b""),
        ArtifactDigest::of(HashAlgorithm::Sha256, &layer.payload),
        dir_digest("oci/containers-image-fixtures/dir-img-cosign-modified-manifest").unwrap(),
        dir_digest("oci/containers-image-fixtures/dir-img-cosign-key-rekor-valid").unwrap(),
        ArtifactDigest::parse(&format!("sha256:{}", "0".repeat(64))).unwrap(),
    ];
    for d in others {
        assert_ne!(d, claimed);
        assert!(verify_layer(layer, &key, &d).is_err(), "{d}");
    }
    // A non-sha256 digest of the right content is not accepted either.
    let sha512 = ArtifactDigest::of(
        HashAlgorithm::Sha512,
        &read("oci/containers-image-fixtures/dir-img-cosign-valid/manifest.json"),
    );
    assert!(verify_layer(layer, &key, &sha512).is_err());
}

#[test]
fn containers_image_mixed_first_unknown_key_second_valid() {
    let c = case("oci/containers-image/dir-img-cosign-mixed");
    assert!(expected(&c).contains("signature-1 fail") && expected(&c).contains("signature-2 pass"));
    let outcomes = verify_dir(field(&c, "dir"), &case_key(&c));
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].0.ends_with("signature-1"));
    match &outcomes[0].1 {
        Outcome::Rejected(reason) => assert!(reason.contains("signature"), "{reason}"),
        o => panic!("signature-1: {o:?}"),
    }
    assert!(
        matches!(outcomes[1].1, Outcome::Verified),
        "signature-2: {:?}",
        outcomes[1].1
    );
    assert!(image_passes(&outcomes));
}

#[test]
fn containers_image_other_attachment_is_not_a_signature() {
    let c = case("oci/containers-image/dir-img-cosign-other-attachment");
    assert!(expected(&c).contains("ignored") || expected(&c).contains("fail"));
    let dir = field(&c, "dir");
    let layers = dir_layers(dir);
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].mime_type, "text/plain");
    assert_ne!(layers[0].mime_type, simple_signing::MEDIA_TYPE);
    // It does carry a (valid-looking) signature annotation: only the media type rules it out.
    assert!(layers[0].annotations.contains_key(SIGNATURE_ANNOTATION));
    let outcomes = verify_dir(dir, &case_key(&c));
    assert!(matches!(outcomes[0].1, Outcome::NotASignature), "{outcomes:?}");
    assert!(!image_passes(&outcomes));
    // Even if a harness ignored the media type, it would not verify.
    let digest = dir_digest(dir).unwrap();
    assert!(verify_layer(&layers[0], &case_key(&c), &digest).is_err());
}

#[test]
fn containers_image_unknown_key_signature_fails() {
    let c = case("oci/containers-image/unknown-cosign-key.signature");
    assert_eq!(expected(&c), "fail");
    let rel = field(&c, "file");
    let layer = parse_layer(rel, &read(rel));
    assert_eq!(layer.mime_type, simple_signing::MEDIA_TYPE);
    let digest = dir_digest("oci/containers-image-fixtures/dir-img-cosign-valid").unwrap();
    assert_eq!(
        claimed_digest(&layer.payload),
        digest,
        "same image as dir-img-cosign-valid"
    );
    for k in [case_key(&c), cosign2_pub()] {
        match verify_layer_typed(&layer, &k, &digest) {
            Err(VerifyError::Signature(_)) => {}
            other => panic!("expected a signature failure, got {other:?}"),
        }
    }
}

#[test]
fn keyed_payload_cases_pass() {
    for id in ["oci/sigstore-rs/keyed-busybox", "oci/jonzeolla-lab"] {
        let c = case(id);
        assert!(expected(&c).starts_with("pass"), "{id}");
        let dir = field(&c, "dir");
        let key = case_key(&c);
        for with_bundle in [false, true] {
            let layer = file_layer(dir, with_bundle);
            let digest = claimed_digest(&layer.payload);
            let r = verify_layer(&layer, &key, &digest).unwrap_or_else(|e| panic!("{id} (bundle {with_bundle}): {e}"));
            assert_eq!(r.artifact_digest(), Some(&digest));
            // Another image, or another key, fails.
            let other = ArtifactDigest::of(HashAlgorithm::Sha256, b"another manifest");
            assert!(verify_layer(&layer, &key, &other).is_err(), "{id}");
            assert!(verify_layer(&layer, &cosign_pub(), &digest).is_err(), "{id}");
        }
    }
}

#[test]
fn keyed_payload_cases_signed_annotations() {
    // jonzeolla-lab was signed with `-a tag=latest`.
    let c = case("oci/jonzeolla-lab");
    let dir = field(&c, "dir");
    let layer = file_layer(dir, true);
    let digest = claimed_digest(&layer.payload);
    let p = simple_signing::Payload::from_json(&layer.payload).unwrap();
    assert_eq!(p.optional.get("tag").and_then(Value::as_str), Some("latest"));
    let check = |req: &[(&str, &str)]| {
        verify_with(
            &layer.payload,
            &layer.annotations,
            &case_key(&c),
            &digest,
            annotations(req),
        )
    };
    assert!(check(&[("tag", "latest")]).is_ok());
    assert!(check(&[("tag", "other")]).is_err());
    assert!(check(&[("tag", "latest"), ("env", "prod")]).is_err());
    assert!(check(&[("Tag", "latest")]).is_err());

    // keyed-busybox has `optional: null`: any required annotation fails.
    let c = case("oci/sigstore-rs/keyed-busybox");
    let layer = file_layer(field(&c, "dir"), false);
    let digest = claimed_digest(&layer.payload);
    let r = verify_with(
        &layer.payload,
        &layer.annotations,
        &case_key(&c),
        &digest,
        annotations(&[("tag", "latest")]),
    );
    assert!(r.is_err());
}

#[test]
fn flipping_any_byte_of_payload_or_signature_fails() {
    let valid_dir = "oci/containers-image-fixtures/dir-img-cosign-valid";
    let dir_layer = dir_layers(valid_dir).remove(0);
    let dir_digest = dir_digest(valid_dir).unwrap();
    let cases = [
        (dir_layer, cosign_pub(), dir_digest),
        {
            let l = file_layer("oci/sigstore-rs/keyed-busybox", false);
            let d = claimed_digest(&l.payload);
            (l, key("oci/sigstore-rs/keyed-busybox/cosign.pub"), d)
        },
        {
            let l = file_layer("oci/jonzeolla-lab", true);
            let d = claimed_digest(&l.payload);
            (l, key("oci/jonzeolla-lab/cosign.pub"), d)
        },
    ];
    for (layer, key, digest) in cases {
        assert!(verify_layer(&layer, &key, &digest).is_ok(), "{}: baseline", layer.name);

        for i in 0..layer.payload.len() {
            let mut l = layer.clone();
            l.payload[i] ^= 0x01;
            assert!(
                verify_layer(&l, &key, &digest).is_err(),
                "{}: payload byte {i} flipped",
                layer.name
            );
        }

        let sig = STANDARD.decode(layer.annotations[SIGNATURE_ANNOTATION].trim()).unwrap();
        for i in 0..sig.len() {
            let mut s = sig.clone();
            s[i] ^= 0x01;
            let mut l = layer.clone();
            l.annotations.insert(SIGNATURE_ANNOTATION.into(), STANDARD.encode(&s));
            assert!(
                verify_layer(&l, &key, &digest).is_err(),
                "{}: signature byte {i} flipped",
                layer.name
            );
        }

        // A missing or empty signature annotation is an adaptation error, not a pass.
        let mut l = layer.clone();
        l.annotations.remove(SIGNATURE_ANNOTATION);
        assert!(legacy_entity(&l.payload, &l.annotations).is_err());
        l.annotations.insert(SIGNATURE_ANNOTATION.into(), String::new());
        assert!(legacy_entity(&l.payload, &l.annotations).is_err());
    }
}

#[test]
fn certificate_case_layers_adapt_into_the_model() {
    // Verification itself needs the certificate work; the adapter must already read these layers.
    let dir = field(&case("oci/containers-image/dir-img-cosign-fulcio-rekor-valid"), "dir").to_string();
    let layer = &dir_layers(&dir)[0];
    assert!(layer.annotations.contains_key(BUNDLE_ANNOTATION));
    let entity = legacy_entity(&layer.payload, &layer.annotations).unwrap_or_else(|e| panic!("{dir}: {e}"));
    assert!(!entity.is_message_signature());
}

/// cosign and containers/image decode the signature annotation with Go's `base64.StdEncoding`, which skips
/// `\r` and `\n`; the BYO-PKI fixture's annotation is wrapped at 76 columns. Its RSA signature is valid for
/// the payload under the certificate's key (checked outside this suite), so a cosign-compatible adapter must
/// read it.
#[test]
fn pki_layer_with_wrapped_base64_signature_adapts() {
    let dir = field(&case("oci/containers-image/dir-img-cosign-pki-valid"), "dir").to_string();
    let layer = &dir_layers(&dir)[0];
    assert!(layer.annotations[SIGNATURE_ANNOTATION].contains('\n'));
    if let Err(e) = legacy_entity(&layer.payload, &layer.annotations) {
        panic!("{dir}: {e}");
    }
}
