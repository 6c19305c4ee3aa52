//! The test TSA against hsign's own RFC 3161 client and verifier, and against `openssl ts` when installed.

use std::time::Duration;

use hsign_core::timestamp::{self, client::TsaClient, client::TsaError};
use hsign_core::trust::TrustedRoot;
use hsign_keys::HashAlgorithm;
use serde_json::json;

use super::Tsa;

fn empty_root() -> String {
    json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [], "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": [],
    })
    .to_string()
}

fn trust(tsa: &Tsa) -> TrustedRoot {
    TrustedRoot::from_json(tsa.add_to_trusted_root(&empty_root()).as_bytes()).unwrap()
}

fn client(tsa: &Tsa) -> TsaClient {
    TsaClient::new(&tsa.url(), Duration::from_secs(10))
}

/// A TimeStampReq with a SHA-256 imprint of `data`, an optional nonce, and certReq as given.
fn request(data: &[u8], nonce: Option<&[u8]>, cert_req: bool) -> Vec<u8> {
    use crate::der_writer::{tlv, uint};
    let alg = tlv(
        0x30,
        &tlv(0x06, &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]),
    );
    let imprint = tlv(0x30, &[alg, tlv(0x04, &HashAlgorithm::Sha256.digest(data))].concat());
    let mut body = [uint(&[1]), imprint].concat();
    if let Some(n) = nonce {
        body.extend(uint(n));
    }
    if cert_req {
        body.extend([0x01, 0x01, 0xff]);
    }
    tlv(0x30, &body)
}

#[test]
fn a_timestamp_from_the_test_tsa_verifies_with_hsigns_verifier() {
    let tsa = Tsa::start();
    let response = client(&tsa).timestamp(b"the signature").unwrap();
    let verified = timestamp::verify(&response, b"the signature", &trust(&tsa)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((verified.time - now).abs() < 60, "{verified:?}");
    assert_eq!(verified.authority, 0);
    // Three fraction digits, the last never 0.
    assert!(
        verified.nanos.is_multiple_of(1_000_000) && !(verified.nanos / 1_000_000).is_multiple_of(10),
        "{verified:?}"
    );
    let info = timestamp::parse(&response).unwrap();
    assert_eq!(info.policy, super::POLICY);
    assert_eq!(info.certificates, vec![tsa.cert_der()]);
    assert!(info.nonce.is_some());
    // Over other data: the imprint does not match.
    let err = timestamp::verify(&response, b"another signature", &trust(&tsa)).unwrap_err();
    assert_eq!(err, timestamp::TimestampError::ImprintMismatch);
    // Another TSA's root does not trust it.
    let other = Tsa::start();
    assert!(timestamp::verify(&response, b"the signature", &trust(&other)).is_err());
    assert_eq!(tsa.requests(), 1);
}

#[test]
fn without_cert_req_no_certificate_is_embedded_and_the_pinned_leaf_verifies() {
    let tsa = Tsa::start();
    let response = tsa.respond(&request(b"sig", Some(&[7; 8]), false)).unwrap();
    assert!(timestamp::parse(&response).unwrap().certificates.is_empty());
    timestamp::verify(&response, b"sig", &trust(&tsa)).unwrap();
    // Without a nonce the TSTInfo has none.
    let response = tsa.respond(&request(b"sig", None, true)).unwrap();
    assert_eq!(timestamp::parse(&response).unwrap().nonce, None);
    timestamp::verify(&response, b"sig", &trust(&tsa)).unwrap();
    // Garbage is refused, not answered.
    assert!(tsa.respond(b"\x30\x03\x02\x01\x02").is_err());
    assert!(tsa.respond(b"").is_err());
}

#[test]
fn the_client_retries_a_failing_tsa_a_bounded_number_of_times() {
    let tsa = Tsa::start();
    tsa.fail_next(2);
    client(&tsa).timestamp(b"sig").unwrap();
    assert_eq!(tsa.requests(), 3);
    tsa.fail_next(100);
    let err = client(&tsa).timestamp(b"sig").unwrap_err();
    assert!(matches!(err, TsaError::Transport { .. }), "{err}");
    assert!(err.to_string().contains("500"), "{err}");
    assert_eq!(tsa.requests(), 3 + 4);
}

#[test]
fn the_client_refuses_a_rejection_and_a_wrong_endpoint() {
    let tsa = Tsa::start();
    // A 404 is not retried.
    let wrong = TsaClient::new(
        &tsa.url().replace("/api/v1/timestamp", "/nope"),
        Duration::from_secs(10),
    );
    let err = wrong.timestamp(b"sig").unwrap_err();
    assert!(matches!(err, TsaError::Status { status: 404, .. }), "{err}");
}

#[test]
fn openssl_reads_the_reply_when_installed() {
    let Ok(out) = std::process::Command::new("openssl").arg("version").output() else {
        eprintln!("openssl not on PATH: skipped");
        return;
    };
    if !out.status.success() {
        return;
    }
    let tsa = Tsa::start();
    let response = client(&tsa).timestamp(b"openssl").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resp.tsr");
    std::fs::write(&path, &response).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["ts", "-reply", "-in"])
        .arg(&path)
        .arg("-text")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("Status: Granted."), "{text}");
    assert!(text.contains(super::POLICY), "{text}");
    assert!(text.contains("Nonce: 0x"), "{text}");
    assert!(text.contains("Accuracy: 0x01 seconds"), "{text}");
    // And openssl verifies the token against the root, with the signing certificate from the token.
    let root = dir.path().join("root.pem");
    std::fs::write(&root, hsign_keys::pem::encode("CERTIFICATE", &tsa.root_der())).unwrap();
    let data = dir.path().join("data");
    std::fs::write(&data, b"openssl").unwrap();
    let out = std::process::Command::new("openssl")
        .args(["ts", "-verify", "-in"])
        .arg(&path)
        .arg("-data")
        .arg(&data)
        .arg("-CAfile")
        .arg(&root)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && all.contains("Verification: OK"), "{all}");
}
