//! Trusted roots from real deployments (`tests/data/vectors`, provenance in its `MANIFEST.md`) and edits of
//! them that break one rule each.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::{HashAlgorithm, KeyKind};
use serde_json::{Value, json};

use super::*;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors");

fn vector(path: &str) -> Vec<u8> {
    let path = Path::new(VECTORS).join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn b64(s: &str) -> Vec<u8> {
    STANDARD.decode(s).unwrap()
}

/// The production root as JSON, to be edited.
fn production_value() -> Value {
    serde_json::from_slice(PRODUCTION_JSON).unwrap()
}

/// An edit of the production root, and the field the error must then name.
type Edit = (&'static str, fn(&mut Value));

fn parse_value(value: &Value) -> Result<TrustedRoot, FormatError> {
    TrustedRoot::from_json(value.to_string().as_bytes())
}

fn find_roots(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            find_roots(&path, out);
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("trusted_root") && n.ends_with(".json"))
        {
            out.push(path);
        }
    }
}

/// Every trusted root of the vector set reads, except the two that break a rule on purpose.
#[test]
fn every_vector_root_parses() {
    // (path suffix, field the error must name)
    let malformed = [
        (
            // The conformance case: the Rekor v2 log's `validFor` is `{}`.
            "trust-root-tlog-missing-validity-start_fail/trusted_root.json",
            "tlogs[1].publicKey.validFor.start",
        ),
        (
            // Converted from a TypeScript literal whose `validFor` was `undefined`; sigstore-go (and cosign)
            // refuse it, sigstore-js and sigstore-python read it as always valid.
            "sigstore-js/client-fixtures/trusted_root.json",
            "tlogs[0].publicKey.validFor",
        ),
    ];
    let mut roots = Vec::new();
    find_roots(Path::new(VECTORS), &mut roots);
    assert!(roots.len() >= 50, "found only {} trusted roots", roots.len());
    for path in &roots {
        let result = TrustedRoot::from_json(&std::fs::read(path).unwrap());
        let shown = path.display();
        match malformed.iter().find(|(suffix, _)| path.ends_with(suffix)) {
            Some((_, field)) => {
                let e = result.expect_err(&format!("{shown} must be refused"));
                assert_eq!(e.document, "trusted root");
                assert_eq!(&e.field, field, "{shown}: {e}");
            }
            None => {
                let root = result.unwrap_or_else(|e| panic!("{shown}: {e}"));
                assert!(!root.tlogs.is_empty(), "{shown}");
                assert!(!root.certificate_authorities.is_empty(), "{shown}");
            }
        }
    }
}

#[test]
fn embedded_roots_are_the_vector_copies() {
    assert_eq!(PRODUCTION_JSON, vector("trusted-root/production/trusted_root.json"));
    assert_eq!(STAGING_JSON, vector("trusted-root/staging/trusted_root.json"));
    let production = TrustedRoot::production();
    assert_eq!(production, TrustedRoot::from_json(PRODUCTION_JSON).unwrap());
    assert_eq!(TrustedRoot::production(), production);
    let staging = TrustedRoot::staging();
    assert_eq!(staging, TrustedRoot::from_json(STAGING_JSON).unwrap());
    assert_eq!(staging.tlogs.len(), 5);
    assert_eq!(staging.ctlogs.len(), 5);
}

#[test]
fn production_finds_rekor_v1_by_log_id() {
    let root = TrustedRoot::production();
    assert_eq!(root.tlogs.len(), 2);
    assert_eq!(root.ctlogs.len(), 2);
    assert_eq!(root.certificate_authorities.len(), 2);
    assert_eq!(root.timestamp_authorities.len(), 1);

    let id = b64("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=");
    let log = root.tlog_by_id(&id).expect("Rekor v1 is in the production root");
    assert_eq!(log.base_url, "https://rekor.sigstore.dev");
    assert_eq!(log.key.fingerprint(), id);
    assert_eq!(log.key.kind(), KeyKind::EcdsaP256);
    assert_eq!(log.key_details, "PKIX_ECDSA_P256_SHA_256");
    assert_eq!(log.hash_algorithm, HashAlgorithm::Sha256);
    assert_eq!(log.signature_hash(), Some(HashAlgorithm::Sha256));
    assert_eq!(
        log.valid_for,
        Validity {
            start: Some(1_610_452_407),
            end: None
        }
    );
    assert!(root.tlog_by_id(&id[..31]).is_none());
    assert!(root.ctlog_by_id(&id).is_none());

    let ct = root
        .ctlog_by_id(&b64("3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4="))
        .expect("the 2022 CT log");
    assert_eq!(ct.base_url, "https://ctfe.sigstore.dev/2022");
    assert_eq!(ct.key.fingerprint(), ct.log_id);
}

#[test]
fn rekor_v2_log_id_is_the_signed_note_key_hash() {
    let root = TrustedRoot::production();
    let log = &root.tlogs[1];
    assert_eq!(log.base_url, "https://log2025-1.rekor.sigstore.dev");
    assert_eq!(log.key_details, "PKIX_ED25519");
    assert_eq!(log.signature_hash(), None);
    assert_eq!(log.log_id, b64("zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A="));
    assert_ne!(log.key.fingerprint(), log.log_id);
    let PublicKey::Ed25519(key) = &log.key else {
        panic!("not Ed25519")
    };
    let note_hash = log::note_key_hash("log2025-1.rekor.sigstore.dev", &[1], key.as_bytes());
    assert_eq!(note_hash, log.log_id);
    assert_eq!(
        log.checkpoint_key_hint("log2025-1.rekor.sigstore.dev"),
        [0xcf, 0x11, 0x99, 0x15]
    );
    assert_eq!(log.checkpoint_key_hint("log2025-1.rekor.sigstore.dev"), log.log_id[..4]);
    assert_ne!(log.checkpoint_key_hint("rekor.sigstore.dev"), log.log_id[..4]);
}

/// The key hint of the log's signature line in a checkpoint: `— <name> base64(hint ‖ signature)`.
fn checkpoint_hints(bundle: &str) -> Vec<(String, [u8; 4])> {
    let bundle: Value = serde_json::from_slice(&vector(bundle)).unwrap();
    let envelope = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .to_owned();
    envelope
        .lines()
        .filter_map(|line| line.strip_prefix("\u{2014} "))
        .map(|line| {
            let (name, sig) = line.split_once(' ').unwrap();
            let sig = b64(sig);
            (name.to_owned(), [sig[0], sig[1], sig[2], sig[3]])
        })
        .collect()
}

#[test]
fn checkpoint_key_hints_match_real_checkpoints() {
    // Rekor v2 (Ed25519), staging log2025-alpha1, conformance rekor2-happy-path.
    let dir = "bundles/sigstore-conformance/bundle-verify/rekor2-happy-path";
    let root = TrustedRoot::from_json(&vector(&format!("{dir}/trusted_root.json"))).unwrap();
    let log = root
        .tlog_by_id(&b64("8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck="))
        .unwrap();
    let hints = checkpoint_hints(&format!("{dir}/bundle.sigstore.json"));
    assert_eq!(hints.len(), 1);
    let (name, hint) = &hints[0];
    assert_eq!(name, "log2025-alpha1.rekor.sigstage.dev");
    assert_eq!(log.checkpoint_key_hint(name), *hint);

    // Rekor v2 with witness cosignatures: only the log's own line matches.
    let dir = "bundles/sigstore-conformance/bundle-verify/rekor2-dsse-happy-path";
    let root = TrustedRoot::from_json(&vector(&format!("{dir}/trusted_root.json"))).unwrap();
    let log = root
        .tlog_by_id(&b64("09OnDKEw7/hpZiYVPoTRzRbglHk0sylsUovegnRUlJY="))
        .unwrap();
    let hints = checkpoint_hints(&format!("{dir}/bundle.sigstore.json"));
    assert_eq!(hints.len(), 4);
    let matching: Vec<_> = hints
        .iter()
        .filter(|(name, hint)| log.checkpoint_key_hint(name) == *hint)
        .collect();
    assert_eq!(matching.len(), 1);
    assert_eq!(matching[0].0, "log2025-alpha3.rekor.sigstage.dev");

    // Rekor v1 (ECDSA): the hint is SHA-256(PKIX DER)[..4], whatever the name.
    let hints = checkpoint_hints("bundles/protobuf-specs/a.txt.sigstore");
    let (name, hint) = &hints[0];
    assert_eq!(name, "rekor.sigstore.dev");
    let log = &TrustedRoot::production().tlogs[0];
    assert_eq!(log.checkpoint_key_hint(name), *hint);
    assert_eq!(log.checkpoint_key_hint("anything"), *hint);
    assert_eq!(log.checkpoint_key_hint(name), log.log_id[..4]);
}

#[test]
fn rsa_checkpoint_key_hints_hash_the_name() {
    let staging = TrustedRoot::staging();
    let rsa = &staging.ctlogs[0];
    assert_eq!(rsa.key.kind(), KeyKind::Rsa(4096));
    assert_ne!(
        rsa.checkpoint_key_hint("a.example"),
        rsa.checkpoint_key_hint("b.example")
    );
    let spki = rsa.key.to_spki_der();
    let mut signature_type = vec![0xff];
    signature_type.extend_from_slice(b"PKIX-RSA-PKCS#1v1.5");
    let expected = log::note_key_hash("a.example", &signature_type, &spki);
    assert_eq!(rsa.checkpoint_key_hint("a.example"), expected[..4]);
}

#[test]
fn pkcs1_rsa_ct_log_reads() {
    // staging's 2021 CT log: keyDetails PKCS1_RSA_PKCS1V5, rawBytes a PKCS#1 RSAPublicKey.
    let staging = TrustedRoot::staging();
    let log = staging
        .ctlog_by_id(&b64("G3wUKk6ZK6ffHh/FdCRUE2wVekyzHEEIpSG4savnv0w="))
        .unwrap();
    assert_eq!(log.key_details, "PKCS1_RSA_PKCS1V5");
    assert_eq!(log.key.kind(), KeyKind::Rsa(4096));
    assert_eq!(log.key.fingerprint(), log.log_id);
    assert_eq!(log.signature_hash(), Some(HashAlgorithm::Sha256));
    assert_eq!(
        log.valid_for,
        Validity {
            start: Some(1_615_680_000),
            end: Some(1_659_225_600)
        }
    );
}

#[test]
fn missing_validity_start_is_refused() {
    let mut root = production_value();
    root["tlogs"][0]["publicKey"]["validFor"]
        .as_object_mut()
        .unwrap()
        .remove("start");
    let e = parse_value(&root).unwrap_err();
    assert_eq!(e.document, "trusted root");
    assert_eq!(e.field, "tlogs[0].publicKey.validFor.start");

    let mut root = production_value();
    root["ctlogs"][1]["publicKey"]["validFor"] = json!({});
    assert_eq!(
        parse_value(&root).unwrap_err().field,
        "ctlogs[1].publicKey.validFor.start"
    );
}

#[test]
fn missing_log_validity_is_refused() {
    let mut root = production_value();
    root["tlogs"][0]["publicKey"]
        .as_object_mut()
        .unwrap()
        .remove("validFor");
    assert_eq!(parse_value(&root).unwrap_err().field, "tlogs[0].publicKey.validFor");
    let mut root = production_value();
    root["tlogs"][0]["publicKey"]["validFor"] = Value::Null;
    assert_eq!(parse_value(&root).unwrap_err().field, "tlogs[0].publicKey.validFor");
}

#[test]
fn authority_validity_is_optional() {
    let mut root = production_value();
    root["certificateAuthorities"][0]
        .as_object_mut()
        .unwrap()
        .remove("validFor");
    root["timestampAuthorities"][0]["validFor"] = json!({ "end": "2030-01-01T00:00:00Z" });
    let root = parse_value(&root).unwrap();
    assert_eq!(root.certificate_authorities[0].valid_for, Validity::OPEN);
    assert_eq!(
        root.timestamp_authorities[0].valid_for,
        Validity {
            start: None,
            end: Some(1_893_456_000)
        }
    );
}

#[test]
fn validity_is_a_closed_interval() {
    let root = TrustedRoot::production();
    let rekor = &root.tlogs[0].valid_for;
    assert!(!rekor.contains(1_610_452_406));
    assert!(rekor.contains(1_610_452_407));
    assert!(rekor.contains(i64::MAX));
    // The 2021 CT log ends at 2022-10-31T23:59:59.999Z: the second 23:59:59 is inside.
    let ct = &root.ctlogs[0].valid_for;
    assert_eq!(ct.end, Some(1_667_260_799));
    assert!(ct.contains(1_667_260_799));
    assert!(!ct.contains(1_667_260_800));

    // Conformance trust-root-tlog-validity-end-inclusive: the integrated time is exactly the end.
    let dir = "bundles/sigstore-conformance/bundle-verify/trust-root-tlog-validity-end-inclusive";
    let root = TrustedRoot::from_json(&vector(&format!("{dir}/trusted_root.json"))).unwrap();
    let bundle: Value = serde_json::from_slice(&vector(&format!("{dir}/bundle.sigstore.json"))).unwrap();
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    let time: i64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
    let log = root
        .tlog_by_id(&b64(entry["logId"]["keyId"].as_str().unwrap()))
        .unwrap();
    assert_eq!(log.valid_for.end, Some(time));
    assert!(log.valid_for.contains(time));
    assert!(!log.valid_for.contains(time + 1));
    // Its Rekor v2 log has `"end": null`: open.
    assert_eq!(root.tlogs[1].valid_for.end, None);
}

#[test]
fn rekor_public_key_gives_the_production_log_id() {
    let pem = vector("trusted-root/production/rekor.pub");
    let root = TrustedRoot::from_rekor_public_key(&pem, "https://rekor.sigstore.dev").unwrap();
    let production = TrustedRoot::production();
    assert_eq!(root.tlogs.len(), 1);
    assert!(root.ctlogs.is_empty() && root.certificate_authorities.is_empty());
    assert!(root.timestamp_authorities.is_empty());
    let log = &root.tlogs[0];
    assert_eq!(log.log_id, production.tlogs[0].log_id);
    assert_eq!(log.key, production.tlogs[0].key);
    assert_eq!(log.key_details, "PKIX_ECDSA_P256_SHA_256");
    assert_eq!(log.base_url, "https://rekor.sigstore.dev");
    assert_eq!(log.valid_for, Validity::OPEN);
    assert!(root.tlog_by_id(&production.tlogs[0].log_id).is_some());

    // DER works too; garbage names the document.
    let der = TrustedRoot::from_rekor_public_key(&log.key.to_spki_der(), "").unwrap();
    assert_eq!(der.tlogs[0].log_id, log.log_id);
    let e = TrustedRoot::from_rekor_public_key(b"not a key", "").unwrap_err();
    assert_eq!(e.document, "Rekor public key");
}

#[test]
fn logs_hsign_cannot_use_are_left_out() {
    for details in [
        "ML_DSA_65",
        "PKIX_ED25519_PH",
        "PKIX_ECDSA_P256_HMAC_SHA_256",
        "SOMETHING_NEW",
    ] {
        let mut root = production_value();
        root["tlogs"][1]["publicKey"]["keyDetails"] = json!(details);
        let root = parse_value(&root).unwrap_or_else(|e| panic!("{details}: {e}"));
        assert_eq!(root.tlogs.len(), 1, "{details}");
        assert_eq!(root.tlogs[0].base_url, "https://rekor.sigstore.dev");
    }
    let mut root = production_value();
    root["ctlogs"][0]["hashAlgorithm"] = json!("SHA3_256");
    let root = parse_value(&root).unwrap();
    assert_eq!(root.ctlogs.len(), 1);
    assert_eq!(root.ctlogs[0].base_url, "https://ctfe.sigstore.dev/2022");
}

#[test]
fn a_malformed_log_is_refused_even_when_unusable() {
    let mut root = production_value();
    root["tlogs"][1]["publicKey"]["keyDetails"] = json!("ML_DSA_65");
    root["tlogs"][1]["publicKey"]["validFor"] = json!({});
    assert_eq!(
        parse_value(&root).unwrap_err().field,
        "tlogs[1].publicKey.validFor.start"
    );
}

#[test]
fn malformed_supported_keys_are_refused() {
    let mut root = production_value();
    root["tlogs"][0]["publicKey"]["rawBytes"] = json!(STANDARD.encode(b"not a key"));
    let e = parse_value(&root).unwrap_err();
    assert_eq!(e.field, "tlogs[0].publicKey.rawBytes");
    assert!(e.reason.contains("PKIX_ECDSA_P256_SHA_256"), "{e}");

    // The document contradicts itself: an ECDSA P-256 key said to be Ed25519, or P-384.
    for details in [
        "PKIX_ED25519",
        "PKIX_ECDSA_P384_SHA_384",
        "PKIX_RSA_PKCS1V15_2048_SHA256",
    ] {
        let mut root = production_value();
        root["tlogs"][0]["publicKey"]["keyDetails"] = json!(details);
        let e = parse_value(&root).unwrap_err();
        assert_eq!(e.field, "tlogs[0].publicKey.rawBytes", "{details}");
        assert!(e.reason.contains(details), "{e}");
    }

    let mut root = production_value();
    root["ctlogs"][0]["publicKey"]["rawBytes"] = json!("%%%");
    assert_eq!(parse_value(&root).unwrap_err().field, "ctlogs[0].publicKey.rawBytes");
}

#[test]
fn required_log_fields_are_named() {
    let cases: [Edit; 6] = [
        ("tlogs[0].logId.keyId", |r| {
            r["tlogs"][0].as_object_mut().unwrap().remove("logId");
        }),
        ("tlogs[0].logId.keyId", |r| {
            r["tlogs"][0]["logId"]["keyId"] = json!("not base64!")
        }),
        ("tlogs[0].publicKey", |r| {
            r["tlogs"][0].as_object_mut().unwrap().remove("publicKey");
        }),
        ("tlogs[0].publicKey.rawBytes", |r| {
            r["tlogs"][0]["publicKey"]["rawBytes"] = json!("")
        }),
        ("tlogs[0].publicKey.keyDetails", |r| {
            r["tlogs"][0]["publicKey"].as_object_mut().unwrap().remove("keyDetails");
        }),
        ("tlogs[0].hashAlgorithm", |r| {
            r["tlogs"][0].as_object_mut().unwrap().remove("hashAlgorithm");
        }),
    ];
    for (field, edit) in cases {
        let mut root = production_value();
        edit(&mut root);
        let e = parse_value(&root).unwrap_err();
        assert_eq!(e.field, field, "{e}");
    }
}

#[test]
fn certificate_authorities_keep_their_der() {
    let root = TrustedRoot::production();
    let fulcio = &root.certificate_authorities;
    assert_eq!(fulcio[0].subject, "O=sigstore.dev, CN=sigstore");
    assert_eq!(fulcio[0].uri, "https://fulcio.sigstore.dev");
    assert_eq!(fulcio[0].cert_chain.len(), 1);
    assert_eq!(fulcio[1].cert_chain.len(), 2);
    // 2022-12-31T23:59:59.999Z, rounded down.
    assert_eq!(fulcio[0].valid_for.end, Some(1_672_531_199));
    // DER SEQUENCEs, as listed in the document.
    let doc = production_value();
    for (i, ca) in fulcio.iter().enumerate() {
        for (j, der) in ca.cert_chain.iter().enumerate() {
            assert_eq!(der.first(), Some(&0x30));
            let listed = doc["certificateAuthorities"][i]["certChain"]["certificates"][j]["rawBytes"]
                .as_str()
                .unwrap();
            assert_eq!(*der, b64(listed));
        }
    }
    let tsa = &root.timestamp_authorities[0];
    assert_eq!(tsa.subject, "O=sigstore.dev, CN=sigstore-tsa-selfsigned");
    assert_eq!(tsa.uri, "https://timestamp.sigstore.dev/api/v1/timestamp");
    assert_eq!(tsa.cert_chain.len(), 2);

    // A subject with one part, or none.
    let mut doc = production_value();
    doc["certificateAuthorities"][0]["subject"] = json!({ "commonName": "only" });
    doc["certificateAuthorities"][1]
        .as_object_mut()
        .unwrap()
        .remove("subject");
    let root = parse_value(&doc).unwrap();
    assert_eq!(root.certificate_authorities[0].subject, "CN=only");
    assert_eq!(root.certificate_authorities[1].subject, "");
}

#[test]
fn authority_chains_must_hold_certificates() {
    let cases: [Edit; 4] = [
        ("certificateAuthorities[0].certChain", |r| {
            r["certificateAuthorities"][0]
                .as_object_mut()
                .unwrap()
                .remove("certChain");
        }),
        ("certificateAuthorities[0].certChain.certificates", |r| {
            r["certificateAuthorities"][0]["certChain"]["certificates"] = json!([]);
        }),
        ("timestampAuthorities[0].certChain.certificates[1].rawBytes", |r| {
            r["timestampAuthorities"][0]["certChain"]["certificates"][1] = json!({});
        }),
        ("certificateAuthorities[1].certChain.certificates", |r| {
            r["certificateAuthorities"][1]["certChain"]["certificates"] = json!(vec![json!({"rawBytes": "MA=="}); 11]);
        }),
    ];
    for (field, edit) in cases {
        let mut root = production_value();
        edit(&mut root);
        assert_eq!(parse_value(&root).unwrap_err().field, field);
    }
}

#[test]
fn media_types() {
    for media_type in MEDIA_TYPES {
        let mut root = production_value();
        root["mediaType"] = json!(media_type);
        assert!(parse_value(&root).is_ok(), "{media_type}");
    }
    let mut root = production_value();
    root["mediaType"] = json!("application/vnd.dev.sigstore.bundle.v0.3+json");
    let e = parse_value(&root).unwrap_err();
    assert_eq!(e.field, "mediaType");
    root.as_object_mut().unwrap().remove("mediaType");
    assert_eq!(parse_value(&root).unwrap_err().field, "mediaType");
}

#[test]
fn v0_2_fields_and_proto_names_read() {
    let mut root = production_value();
    root["mediaType"] = json!("application/vnd.dev.sigstore.trustedroot.v0.2+json");
    root["tlogs"][1]["checkpointKeyId"] = json!({ "keyId": "zxGZFQ==" });
    root["tlogs"][1]["operator"] = json!("sigstore.dev");
    root["tlogs"][1]["someFutureField"] = json!(42);
    let root = parse_value(&root).unwrap();
    assert_eq!(root.tlogs[1].checkpoint_key_id, Some(vec![0xcf, 0x11, 0x99, 0x15]));
    assert_eq!(root.tlogs[1].operator, "sigstore.dev");
    assert_eq!(root.tlogs[0].checkpoint_key_id, None);

    let snake = json!({
        "media_type": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "base_url": "https://rekor.sigstore.dev",
            "hash_algorithm": "SHA2_256",
            "public_key": {
                "raw_bytes": production_value()["tlogs"][0]["publicKey"]["rawBytes"],
                "key_details": "PKIX_ECDSA_P256_SHA_256",
                "valid_for": { "start": "2021-01-12T11:53:27Z" }
            },
            "log_id": { "key_id": "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=" }
        }]
    });
    let root = parse_value(&snake).unwrap();
    assert_eq!(root.tlogs[0], TrustedRoot::production().tlogs[0]);
}

#[test]
fn not_json_names_the_document() {
    for bad in [&b""[..], b"{", b"[]", b"{\"tlogs\": 5}"] {
        let e = TrustedRoot::from_json(bad).unwrap_err();
        assert_eq!(e.document, "trusted root");
    }
}
