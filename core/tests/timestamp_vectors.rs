//! RFC 3161 timestamps of the sigstore-conformance bundles (tests/data/vectors/bundles/sigstore-conformance)
//! give the outcome their case expects as far as the timestamp is concerned, single-byte tampering of a token
//! is refused, and the sigstore-java responses (tests/data/vectors/timestamps/sigstore-java) parse, or fail
//! to, as they should.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use hsign_core::keys::HashAlgorithm;
use hsign_core::timestamp::{self, TimestampError, VerifiedTimestamp};
use hsign_core::trust::{CertificateAuthority, TrustedRoot, Validity};

fn read(rel: &str) -> Vec<u8> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/");
    std::fs::read(format!("{p}{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Standard base64; line breaks are skipped (`rekor2-timestamp-with-incorrect-time_fail` wraps its timestamp
/// at 76 columns, as the `base64` tool writes it).
fn b64(s: &Value) -> Vec<u8> {
    let text: String = s
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(text).unwrap()
}

/// A conformance case that carries at least one RFC 3161 timestamp.
struct Case {
    name: String,
    timestamps: Vec<Vec<u8>>,
    /// The bundle's signature: the data Sigstore timestamps.
    signature: Vec<u8>,
    trust: TrustedRoot,
}

fn conformance_cases() -> Vec<Case> {
    let cases: Value = serde_json::from_slice(&read("cases.json")).unwrap();
    let mut out = Vec::new();
    for case in cases.as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let Some(name) = id.strip_prefix("conformance/") else {
            continue;
        };
        let Some(bundle_path) = case["bundle"].as_str() else {
            continue;
        };
        let Ok(bundle) = serde_json::from_slice::<Value>(&read(bundle_path)) else {
            continue;
        };
        let timestamps: Vec<Vec<u8>> = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(|list| list.iter().map(|t| b64(&t["signedTimestamp"])).collect())
            .unwrap_or_default();
        if timestamps.is_empty() {
            continue;
        }
        let signature = if bundle["messageSignature"].is_object() {
            b64(&bundle["messageSignature"]["signature"])
        } else {
            b64(&bundle["dsseEnvelope"]["signatures"][0]["sig"])
        };
        // The trusted root next to the bundle when there is one, else the one the case names.
        let beside = bundle_path.replace("bundle.sigstore.json", "trusted_root.json");
        let root_path = if std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/"))
            .join(&beside)
            .exists()
        {
            beside
        } else {
            case["trusted_root"].as_str().unwrap().to_owned()
        };
        let trust = match TrustedRoot::from_json(&read(&root_path)) {
            Ok(trust) => trust,
            // This case's trusted root is itself invalid (a log key without validFor.start).
            Err(_) if name == "trust-root-tlog-missing-validity-start_fail" => continue,
            Err(e) => panic!("{name}: {e}"),
        };
        out.push(Case {
            name: name.to_owned(),
            timestamps,
            signature,
            trust,
        });
    }
    out
}

/// What each conformance case expects of its timestamp. Cases not listed here fail (if they do) for reasons
/// other than the timestamp, so their timestamp verifies. In particular `rekor2-timestamp-with-incorrect-time_fail`
/// and `intoto-tsa-timestamp-outside-cert-validity_fail` carry valid timestamps whose time lies outside the
/// *artifact signing* certificate's validity: the verifier rejects them, not the timestamp check.
fn expected_failure(name: &str) -> Option<fn(&TimestampError) -> bool> {
    Some(match name {
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail" => {
            |e| matches!(e, TimestampError::AuthorityNotValidAt { authority: 0, .. })
        }
        "rekor2-timestamp-outside-tsa-cert-validity_fail" => {
            |e| matches!(e, TimestampError::CertificateNotValidAt { .. })
        }
        "rekor2-timestamp-payload-mismatch_fail" => |e| matches!(e, TimestampError::ImprintMismatch),
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail"
        | "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail" => {
            |e| matches!(e, TimestampError::UnknownAuthority)
        }
        _ => return None,
    })
}

#[test]
fn conformance_timestamps_give_the_expected_outcome() {
    let cases = conformance_cases();
    let mut seen = Vec::new();
    for case in &cases {
        for (i, ts) in case.timestamps.iter().enumerate() {
            let result = timestamp::verify(ts, &case.signature, &case.trust);
            match (expected_failure(&case.name), result) {
                (None, Ok(v)) => {
                    let info = timestamp::parse(ts).unwrap();
                    assert_eq!((v.time, v.nanos), (info.time, info.nanos), "{}", case.name);
                }
                (None, Err(e)) => panic!("{} timestamp {i}: expected to verify, got: {e}", case.name),
                (Some(_), Ok(v)) => panic!("{} timestamp {i}: expected to fail, verified: {v:?}", case.name),
                (Some(check), Err(e)) => assert!(check(&e), "{} timestamp {i}: wrong error: {e}", case.name),
            }
        }
        seen.push(case.name.as_str());
    }
    for name in [
        "rekor2-happy-path",
        "rekor2-dsse-happy-path",
        "rekor2-timestamp-with-embedded-cert",
        "rekor2-timestamp-without-embedded-cert",
        "rekor2-timestamp-with-expired-cert-chain",
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail",
        "rekor2-timestamp-outside-tsa-cert-validity_fail",
        "rekor2-timestamp-payload-mismatch_fail",
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail",
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail",
        "rekor2-timestamp-with-incorrect-time_fail",
        "trust-root-tsa-validity-end-inclusive",
        "intoto-tsa-timestamp-outside-cert-validity_fail",
        "intoto-with-custom-trust-root",
        "managed-key-happy-path",
    ] {
        assert!(
            seen.contains(&name),
            "case {name} not found among the timestamp cases: {seen:?}"
        );
    }
}

fn case(name: &str) -> Case {
    conformance_cases().into_iter().find(|c| c.name == name).unwrap()
}

#[test]
fn the_end_of_a_tsa_validity_period_is_inclusive() {
    let c = case("trust-root-tsa-validity-end-inclusive");
    let v = timestamp::verify(&c.timestamps[0], &c.signature, &c.trust).unwrap();
    // 2025-06-12T12:02:20Z, exactly validFor.end.
    assert_eq!(
        v,
        VerifiedTimestamp {
            time: 1_749_729_740,
            nanos: 0,
            authority: 0
        }
    );
    assert_eq!(c.trust.timestamp_authorities[0].valid_for.end, Some(v.time));

    let mut trust = c.trust.clone();
    trust.timestamp_authorities[0].valid_for.end = Some(v.time - 1);
    let e = timestamp::verify(&c.timestamps[0], &c.signature, &trust).unwrap_err();
    assert!(matches!(e, TimestampError::AuthorityNotValidAt { .. }), "{e}");
    assert!(e.to_string().contains("2025-06-12T12:02:20Z"), "{e}");
}

#[test]
fn an_expired_chain_verifies_at_the_timestamp_time() {
    let c = case("rekor2-timestamp-with-expired-cert-chain");
    let v = timestamp::verify(&c.timestamps[0], &c.signature, &c.trust).unwrap();
    assert_eq!(v.time, 1_754_580_746); // 2025-08-07T15:32:26Z
    let e = timestamp::verify(
        &case("rekor2-timestamp-outside-tsa-cert-validity_fail").timestamps[0],
        &c.signature,
        &c.trust,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("is not valid at the timestamp time 2025-08-07T15:38:32Z"),
        "{e}"
    );
}

#[test]
fn the_authority_index_points_into_the_trusted_root() {
    let c = case("rekor2-happy-path");
    let mut trust = c.trust.clone();
    let unrelated = case("intoto-with-custom-trust-root").trust.timestamp_authorities[0].clone();
    trust.timestamp_authorities.insert(0, unrelated);
    let v = timestamp::verify(&c.timestamps[0], &c.signature, &trust).unwrap();
    assert_eq!(v.authority, 1);
    assert!(matches!(
        timestamp::verify(&c.timestamps[0], &c.signature, &TrustedRoot::default()),
        Err(TimestampError::UnknownAuthority)
    ));
}

/// Flips the low bit of every byte of the case's token: the result must not verify, except at two unsigned
/// positions where the flip leaves a token that is still correctly signed by the trusted TSA: the response
/// status (granted 0 becomes grantedWithMods 1, also a granted response), and the tag of
/// `SignedData.certificates` (`[0]` becomes `[1]`, revocation information hsign ignores, so the signing
/// certificate is then taken from the trusted root, where it is the same certificate).
fn flip_every_byte(name: &str, certificates_tag_at: usize) {
    let c = case(name);
    let token = &c.timestamps[0];
    timestamp::verify(token, &c.signature, &c.trust).unwrap();
    const STATUS_AT: usize = 8;
    assert_eq!(
        &token[STATUS_AT - 2..=STATUS_AT],
        [0x02, 0x01, 0x00],
        "the status INTEGER"
    );
    assert_eq!(token[certificates_tag_at], 0xa0, "the certificates tag");
    let mut still = Vec::new();
    for at in 0..token.len() {
        let mut bad = token.clone();
        bad[at] ^= 0x01;
        if timestamp::verify(&bad, &c.signature, &c.trust).is_ok() {
            still.push(at);
        }
    }
    assert_eq!(
        still,
        [STATUS_AT, certificates_tag_at],
        "{name}: flipping these bytes still verifies"
    );
    let mut signature = c.signature.clone();
    signature[0] ^= 0x01;
    assert!(matches!(
        timestamp::verify(token, &signature, &c.trust),
        Err(TimestampError::ImprintMismatch)
    ));
    for len in 0..token.len() {
        assert!(timestamp::verify(&token[..len], &c.signature, &c.trust).is_err());
    }
}

#[test]
fn tampering_with_a_token_without_certificates_is_refused() {
    flip_every_byte("rekor2-timestamp-without-embedded-cert", 247);
}

#[test]
fn tampering_with_a_token_with_certificates_is_refused() {
    flip_every_byte("rekor2-timestamp-with-embedded-cert", 247);
}

const FREETSA: &str = "timestamps/sigstore-java/valid/freetsa_response.tsr";

#[test]
fn freetsa_response_parses() {
    let info = timestamp::parse(&read(FREETSA)).unwrap();
    assert_eq!((info.time, info.nanos), (1_746_192_067, 0)); // 2025-05-02T13:21:07Z
    assert_eq!(info.imprint_algorithm, HashAlgorithm::Sha256);
    let hex: String = info.imprint.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "e49a897aac4c981921270a3f79e46885c9952fc5ba1ab4c0cdef380be7737481");
    assert_eq!(info.serial_number, [0x06, 0x79, 0xb9, 0x33]);
    assert_eq!(info.policy, "1.2.3.4.1");
    assert_eq!(info.certificates.len(), 2);
}

#[test]
fn freetsa_response_is_from_an_unknown_authority() {
    let tsr = read(FREETSA);
    let e = timestamp::verify(&tsr, b"anything", &TrustedRoot::default()).unwrap_err();
    assert!(matches!(e, TimestampError::UnknownAuthority), "{e}");
    let e = timestamp::verify(&tsr, b"anything", &TrustedRoot::production()).unwrap_err();
    assert!(matches!(e, TimestampError::UnknownAuthority), "{e}");
}

/// Trusting FreeTSA's own (RSA, SHA-512 signed) chain, every check passes but the imprint: the data it
/// timestamped is not in the vector.
#[test]
fn freetsa_response_verifies_against_its_own_chain() {
    let tsr = read(FREETSA);
    let info = timestamp::parse(&tsr).unwrap();
    let authority = |valid_for| CertificateAuthority {
        subject: "O=Free TSA".into(),
        cert_chain: info.certificates.clone(),
        valid_for,
        ..Default::default()
    };
    let trust = TrustedRoot {
        timestamp_authorities: vec![authority(Validity::OPEN)],
        ..Default::default()
    };
    let e = timestamp::verify(&tsr, b"anything", &trust).unwrap_err();
    assert!(matches!(e, TimestampError::ImprintMismatch), "{e}");

    let ended = Validity {
        start: None,
        end: Some(info.time - 1),
    };
    let trust = TrustedRoot {
        timestamp_authorities: vec![authority(ended)],
        ..Default::default()
    };
    let e = timestamp::verify(&tsr, b"anything", &trust).unwrap_err();
    assert!(matches!(e, TimestampError::AuthorityNotValidAt { .. }), "{e}");

    // Only the root trusted: the embedded signing certificate must chain to it.
    let trust = TrustedRoot {
        timestamp_authorities: vec![CertificateAuthority {
            cert_chain: vec![info.certificates[1].clone()],
            ..authority(Validity::OPEN)
        }],
        ..Default::default()
    };
    let e = timestamp::verify(&tsr, b"anything", &trust).unwrap_err();
    assert!(matches!(e, TimestampError::ImprintMismatch), "{e}");
}

#[test]
fn invalid_sigstore_java_response_is_refused() {
    let tsr = read("timestamps/sigstore-java/invalid/sigstore_tsa_response_invalid.tsr");
    let e = timestamp::parse(&tsr).unwrap_err();
    assert!(matches!(e, TimestampError::Malformed(_)), "{e}");
    assert!(timestamp::verify(&tsr, b"anything", &TrustedRoot::production()).is_err());
    assert!(timestamp::verify(&tsr, b"anything", &TrustedRoot::staging()).is_err());
}

#[test]
fn garbage_is_refused_without_panicking() {
    let trust = TrustedRoot::production();
    for input in [
        &b""[..],
        b"\x30",
        b"\x30\x00",
        b"\x30\x03\x02\x01\x02",
        b"not DER at all",
        &[0xff; 64],
    ] {
        assert!(timestamp::verify(input, b"x", &trust).is_err());
        assert!(timestamp::parse(input).is_err());
    }
    // A rejection: status 2 with a status string.
    let rejection = b"\x30\x0b\x30\x09\x02\x01\x02\x30\x04\x0c\x02no";
    let e = timestamp::parse(rejection).unwrap_err();
    assert_eq!(e, TimestampError::NotGranted("status 2 (rejection): no".into()));
}
