//! Bundle parsing and writing: real bundles from other implementations, round trips, and malformed input.

use super::*;

fn vector(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/vectors")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn media_types_of_every_version_are_recognized() {
    use BundleVersion::*;
    for (mt, v) in [
        ("application/vnd.dev.sigstore.bundle+json;version=0.1", V0_1),
        ("application/vnd.dev.sigstore.bundle+json;version=0.2", V0_2),
        ("application/vnd.dev.sigstore.bundle+json;version=0.3", V0_3),
        ("application/vnd.dev.sigstore.bundle.v0.3+json", V0_3),
        ("application/vnd.dev.sigstore.bundle.v0.3.1+json", V0_3),
    ] {
        assert_eq!(BundleVersion::from_media_type(mt), Some(v), "{mt}");
    }
    for bad in ["application/vnd.dev.sigstore.bundle.v0.4+json", "application/json", ""] {
        assert_eq!(BundleVersion::from_media_type(bad), None, "{bad}");
    }
}

#[test]
fn real_bundles_parse_and_round_trip() {
    for rel in [
        "bundles/sigstore-js/client-fixtures/valid.v1.dsse.withPublicKey.sigstore.json",
        "bundles/sigstore-js/client-fixtures/valid.v3.messageSignature.withSigningCert.sigstore.json",
        "bundles/sigstore-js/client-fixtures/valid.v2.messageSignature.withSigningCert.sigstore.json",
        "bundles/sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json",
        "bundles/sigstore-conformance/bundle-verify/managed-key-happy-path/bundle.sigstore.json",
        "bundles/sigstore-go/testing-data/bundles/dsse.sigstore.json",
        "bundles/cosign/oci-attestation.sigstore.json",
    ] {
        let b = Bundle::from_json(&vector(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let again = Bundle::from_json(b.to_json().as_bytes()).unwrap();
        assert_eq!(again, b, "{rel}: write then parse changes the bundle");
    }
}

#[test]
fn two_dsse_signatures_are_refused() {
    let err = Bundle::from_json(&vector(
        "bundles/sigstore-go/testing-data/bundles/dsse-2sigs.sigstore.json",
    ))
    .unwrap_err();
    assert_eq!(err.field, "dsseEnvelope.signatures");
    assert!(err.reason.contains("2 signatures"), "{err}");
}

#[test]
fn malformed_conformance_bundles_are_refused_with_the_field() {
    for (case, field) in [
        (
            "bundle-negative-log-index_fail",
            "verificationMaterial.tlogEntries[0].logIndex",
        ),
        (
            "bundle-empty-certificate-chain_fail",
            "verificationMaterial.x509CertificateChain.certificates",
        ),
        ("bundle-unknown-version_fail", "mediaType"),
    ] {
        let rel = format!("bundles/sigstore-conformance/bundle-verify/{case}/bundle.sigstore.json");
        let err = Bundle::from_json(&vector(&rel)).unwrap_err();
        assert_eq!(err.field, field, "{case}: {err}");
    }
    let err = Bundle::from_json(&vector(
        "bundles/sigstore-conformance/bundle-verify/bundle-malformed-json_fail/bundle.sigstore.json",
    ))
    .unwrap_err();
    assert!(err.reason.contains("JSON"), "{err}");
}

#[test]
fn wrong_shapes_name_what_was_expected() {
    let cases: [(&str, &str); 5] = [
        (r#"[]"#, ""),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}"#,
            "verificationMaterial",
        ),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{}}"#,
            "verificationMaterial",
        ),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}}}"#,
            "",
        ),
        (
            r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"messageSignature":{"messageDigest":{"algorithm":"MD5","digest":"AA=="},"signature":"AA=="}}"#,
            "messageSignature.messageDigest.algorithm",
        ),
    ];
    for (json, field) in cases {
        let err = Bundle::from_json(json.as_bytes()).unwrap_err();
        assert_eq!(err.field, field, "{json}: {err}");
    }
}
