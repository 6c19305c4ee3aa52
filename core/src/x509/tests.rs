//! Edits of a real Fulcio certificate (conformance `happy-path-v0.3`, production root) that break one thing
//! each: the leaf signature, the SCT signature, the signed bytes; truncated and bit-flipped inputs that must
//! be refused without a panic; and the DER walker on its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::*;
use crate::trust::TrustedRoot;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors");

/// The leaf certificate and integrated time of `happy-path-v0.3`.
fn happy_path() -> (Vec<u8>, i64) {
    let path = format!("{VECTORS}/bundles/sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    let bundle: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let material = &bundle["verificationMaterial"];
    let leaf = STANDARD
        .decode(material["certificate"]["rawBytes"].as_str().unwrap())
        .unwrap();
    let at = material["tlogEntries"][0]["integratedTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (leaf, at)
}

/// The production root, read from the vectors (the copy the conformance cases name).
fn production() -> TrustedRoot {
    let path = format!("{VECTORS}/trusted-root/production/trusted_root.json");
    TrustedRoot::from_json(&std::fs::read(path).unwrap()).unwrap()
}

/// The byte offset of `inner` inside `outer` (`inner` must be a sub-slice).
fn offset(outer: &[u8], inner: &[u8]) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// The offset of the last byte of the leaf's SCT list (the end of the last SCT's signature).
fn sct_signature_end(leaf: &[u8]) -> usize {
    let parts = tlv::split_certificate(leaf).unwrap();
    let tbs = tlv::read_exact(parts.tbs, tlv::SEQUENCE, "tbs").unwrap();
    let fields = tlv::children(tbs.value, "tbs").unwrap();
    let extensions = fields.iter().find(|f| f.tag == tlv::EXTENSIONS).unwrap();
    let list = tlv::read_exact(extensions.value, tlv::SEQUENCE, "extensions").unwrap();
    for ext in tlv::children(list.value, "ext").unwrap() {
        let inner = tlv::children(ext.value, "ext").unwrap();
        if inner[0].value == oid::SCT_LIST.as_bytes() {
            let value = inner.last().unwrap().value;
            return offset(leaf, value) + value.len() - 1;
        }
    }
    panic!("no SCT list")
}

fn verified_issuer(leaf: &[u8], trust: &TrustedRoot, at: i64) -> Vec<u8> {
    verify_chain_path(leaf, &[], trust, at)
        .unwrap()
        .issuer()
        .unwrap()
        .to_vec()
}

#[test]
fn accepts_the_unmodified_certificate() {
    let (leaf, at) = happy_path();
    let trust = production();
    let issuer = verified_issuer(&leaf, &trust, at);
    assert_eq!(verify_scts(&leaf, &issuer, &trust, 1).unwrap(), 1);
    assert!(matches!(
        verify_scts(&leaf, &issuer, &trust, 2),
        Err(CertError::SctThresholdNotMet {
            verified: 1,
            required: 2
        })
    ));
    assert_eq!(spki_der(&leaf).unwrap(), parse_leaf(&leaf).unwrap().spki_der);
}

#[test]
fn rejects_a_flipped_leaf_signature() {
    let (mut leaf, at) = happy_path();
    let last = leaf.len() - 1;
    leaf[last] ^= 0x01;
    let err = verify_chain(&leaf, &[], &production(), at).unwrap_err();
    assert!(
        matches!(err, CertError::BadSignature { ref which, .. } if which == "the leaf certificate"),
        "{err}"
    );
}

#[test]
fn rejects_a_flipped_sct_signature() {
    let (mut leaf, at) = happy_path();
    let trust = production();
    let issuer = verified_issuer(&leaf, &trust, at);
    let end = sct_signature_end(&leaf);
    leaf[end] ^= 0x01;
    let err = verify_scts(&leaf, &issuer, &trust, 1).unwrap_err();
    assert!(matches!(err, CertError::SctInvalid(_)), "{err}");
}

#[test]
fn rejects_an_edited_san() {
    let (mut leaf, at) = happy_path();
    let trust = production();
    let issuer = verified_issuer(&leaf, &trust, at);
    let needle = b"extremely-dangerous";
    let pos = leaf.windows(needle.len()).position(|w| w == needle).unwrap();
    leaf[pos] = b'E';
    assert!(parse_leaf(&leaf).unwrap().sans[0].contains("Extremely"));
    assert!(matches!(
        verify_chain(&leaf, &[], &trust, at),
        Err(CertError::BadSignature { .. })
    ));
    assert!(matches!(
        verify_scts(&leaf, &issuer, &trust, 1),
        Err(CertError::SctInvalid(_))
    ));
}

#[test]
fn rejects_when_no_authority_is_valid_then() {
    let (leaf, at) = happy_path();
    let mut trust = production();
    for ca in &mut trust.certificate_authorities {
        ca.valid_for.end = Some(at - 1);
    }
    let err = verify_chain(&leaf, &[], &trust, at).unwrap_err();
    assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err}");
    let err = verify_chain(&leaf, &[], &TrustedRoot::default(), at).unwrap_err();
    assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err}");
}

#[test]
fn rejects_an_sct_outside_the_log_validity() {
    let (leaf, at) = happy_path();
    let mut trust = production();
    let issuer = verified_issuer(&leaf, &trust, at);
    for log in &mut trust.ctlogs {
        log.valid_for.start = Some(at + 3600);
    }
    assert!(matches!(
        verify_scts(&leaf, &issuer, &trust, 1),
        Err(CertError::SctInvalid(_))
    ));
    trust.ctlogs.clear();
    assert!(matches!(
        verify_scts(&leaf, &issuer, &trust, 1),
        Err(CertError::UnknownCtLog { .. })
    ));
}

#[test]
fn refuses_truncated_input_without_panicking() {
    let (leaf, at) = happy_path();
    let trust = production();
    let issuer = verified_issuer(&leaf, &trust, at);
    for len in 0..leaf.len() {
        let cut = &leaf[..len];
        assert!(parse_leaf(cut).is_err(), "{len}");
        assert!(verify_chain(cut, &[], &trust, at).is_err(), "{len}");
        assert!(verify_scts(cut, &issuer, &trust, 1).is_err(), "{len}");
        assert!(verify_chain(&leaf, &[cut.to_vec()], &trust, at).is_err(), "{len}");
    }
}

#[test]
fn survives_every_single_byte_edit() {
    let (leaf, at) = happy_path();
    let trust = production();
    let issuer = verified_issuer(&leaf, &trust, at);
    for i in 0..leaf.len() {
        for mask in [0x01, 0x80, 0xff] {
            let mut edited = leaf.clone();
            edited[i] ^= mask;
            let _ = parse_leaf(&edited);
            // A failed signature check is slow in debug builds (the fallback path), so sample the rest.
            if i % 16 == 0 && mask == 0x01 {
                // Every edit of the signed bytes or the signature must be refused.
                assert!(verify_chain(&edited, &[], &trust, at).is_err(), "byte {i} ^ {mask:#x}");
                let _ = verify_scts(&edited, &issuer, &trust, 1);
            }
        }
    }
}

#[test]
fn der_walker_round_trips_and_refuses_bad_lengths() {
    for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536] {
        let content = vec![7u8; len];
        let encoded = tlv::encode(tlv::OCTET_STRING, &content);
        let tlv = tlv::read_exact(&encoded, tlv::OCTET_STRING, "x").unwrap();
        assert_eq!(tlv.value, content.as_slice());
        assert_eq!(tlv.raw, encoded.as_slice());
    }
    let bad: [&[u8]; 6] = [
        &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5],          // long form for a short length
        &[0x04, 0x82, 0x00, 0x80],                   // leading zero length octet
        &[0x04, 0x80],                               // indefinite length
        &[0x04, 0x85, 1, 1, 1, 1, 1],                // 5 length octets
        &[0x1f, 0x01, 0x00],                         // multi-byte tag
        &[0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00], // length beyond the input
    ];
    for input in bad {
        assert!(tlv::read(input, "x").is_err(), "{input:?}");
    }
    assert!(tlv::read_exact(&[0x04, 0x00, 0x00], tlv::OCTET_STRING, "x").is_err());
}

#[test]
fn precert_tbs_drops_only_the_sct_extension() {
    let (leaf, _) = happy_path();
    let parts = tlv::split_certificate(&leaf).unwrap();
    let precert = tlv::tbs_without_extension(parts.tbs, oid::SCT_LIST.as_bytes()).unwrap();
    assert!(precert.len() < parts.tbs.len());
    let without = x509_cert::TbsCertificate::from_der(&precert).unwrap();
    let with = x509_cert::TbsCertificate::from_der(parts.tbs).unwrap();
    let count = |t: &x509_cert::TbsCertificate| t.extensions().map_or(0, Vec::len);
    assert_eq!(count(&without) + 1, count(&with));
    assert!(without.extensions().unwrap().iter().all(|e| e.extn_id != oid::SCT_LIST));
    assert_eq!(without.subject(), with.subject());
    // Removing an extension that is not there changes nothing.
    let same = tlv::tbs_without_extension(parts.tbs, &[0x2a, 0x03]).unwrap();
    assert_eq!(same, parts.tbs);
}
