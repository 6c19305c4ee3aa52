//! Round trips with hsign-core's Fulcio client: the chain parses and verifies against the CA's trusted root
//! (and stops verifying when the leaf expires), and bad tokens or proofs are refused with 4xx.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hsign_core::fulcio::{FulcioClient, FulcioError};
use hsign_core::trust::TrustedRoot;
use hsign_core::x509::{parse_leaf, verify_chain, verify_scts};
use hsign_keys::PrivateKey;
use serde_json::json;

use super::*;

const ISSUER: &str = "https://issuer.example";

fn client(ca: &FulcioCa) -> FulcioClient {
    FulcioClient::new(&ca.url(), Duration::from_secs(10))
}

fn trust(ca: &FulcioCa, rekor: Option<&RekorLog>) -> TrustedRoot {
    TrustedRoot::from_json(ca.trusted_root_json(rekor).as_bytes()).unwrap()
}

#[test]
fn issues_a_chain_that_verifies_until_the_leaf_expires() {
    let ca = FulcioCa::start();
    let key = PrivateKey::generate_p256().unwrap();
    let token = ca.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    let chain = client(&ca).signing_certificate(&token, &key).unwrap();
    assert_eq!(chain.len(), 3);
    assert_eq!(chain[1], ca.intermediate_der());
    assert_eq!(chain[2], ca.root_der());
    assert_eq!(ca.issued(), 1);

    let leaf = parse_leaf(&chain[0]).unwrap();
    assert_eq!(leaf.sans, vec!["dev@example.com"]);
    assert_eq!(leaf.issuer.as_deref(), Some(ISSUER));
    assert_eq!(
        leaf.extensions.get("1.3.6.1.4.1.57264.1.1").map(String::as_str),
        Some(ISSUER)
    );
    assert_eq!(leaf.spki_der, key.public_key().to_spki_der());
    assert_eq!(leaf.not_after - leaf.not_before, 601);

    let root = trust(&ca, None);
    let now = unix_now();
    assert_eq!(verify_chain(&chain[0], &[], &root, now).unwrap(), 0);
    assert_eq!(verify_chain(&chain[0], &chain[1..2], &root, now).unwrap(), 0);
    let err = verify_chain(&chain[0], &[], &root, now + 11 * 60).unwrap_err();
    assert!(err.to_string().contains("not valid at"), "{err}");
    // Another CA's leaf does not chain to this root.
    let other = FulcioCa::start();
    let token = other.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    let foreign = client(&other).signing_certificate(&token, &key).unwrap();
    assert!(verify_chain(&foreign[0], &[], &root, now).is_err());
}

#[test]
fn uses_the_subject_as_a_uri_san_without_an_email() {
    let ca = FulcioCa::start();
    let key = PrivateKey::generate_p256().unwrap();
    let now = unix_now();
    let sub = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main";
    let token = ca.mint_claims(&json!({"iss": ISSUER, "sub": sub, "aud": ["other", "sigstore"], "exp": now + 60}));
    let chain = client(&ca).signing_certificate(&token, &key).unwrap();
    let leaf = parse_leaf(&chain[0]).unwrap();
    assert_eq!(leaf.sans, vec![sub]);
    assert!(verify_chain(&chain[0], &[], &trust(&ca, None), now).is_ok());
}

#[test]
fn trusted_root_carries_the_rekor_log() {
    let ca = FulcioCa::start();
    let rekor = RekorLog::start();
    let root = trust(&ca, Some(&rekor));
    assert_eq!(root.tlogs.len(), 1);
    assert!(root.tlog_by_id(&rekor.log_id()).is_some());
    assert_eq!(root.certificate_authorities.len(), 1);
    assert_eq!(root.certificate_authorities[0].uri, ca.url());
    assert_eq!(root.ctlogs.len(), 1);
    assert!(root.timestamp_authorities.is_empty());
}

fn refused(result: Result<Vec<Vec<u8>>, FulcioError>) -> (u16, String) {
    match result {
        Err(e @ FulcioError::Refused { status, .. }) => (status, e.to_string()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn refuses_a_token_with_a_bad_signature() {
    let ca = FulcioCa::start();
    let key = PrivateKey::generate_p256().unwrap();
    let token = ca.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    // The same signature over other claims.
    let parts: Vec<&str> = token.split('.').collect();
    let now = unix_now();
    let forged = URL_SAFE_NO_PAD
        .encode(json!({"iss": ISSUER, "sub": "evil@example.com", "email": "evil@example.com", "aud": "sigstore", "exp": now + 60}).to_string());
    let token = format!("{}.{forged}.{}", parts[0], parts[2]);
    let (status, message) = refused(client(&ca).signing_certificate(&token, &key));
    assert_eq!(status, 401);
    assert!(message.contains("signature does not verify"), "{message}");
    // A token from another issuer key.
    let other = FulcioCa::start();
    let token = other.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    let (status, _) = refused(client(&ca).signing_certificate(&token, &key));
    assert_eq!(status, 401);
    assert_eq!(ca.issued(), 0);
}

#[test]
fn refuses_an_expired_token_or_a_wrong_audience() {
    let ca = FulcioCa::start();
    let key = PrivateKey::generate_p256().unwrap();
    let now = unix_now();
    // The client refuses an expired token itself ...
    let token = ca.mint_claims(&json!({"iss": ISSUER, "sub": "a@b.c", "aud": "sigstore", "exp": now - 10}));
    let err = client(&ca).signing_certificate(&token, &key).unwrap_err();
    assert!(matches!(err, FulcioError::ExpiredToken { .. }), "{err}");
    // ... and so does the server, asked directly.
    let body = json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": key.public_key().to_pem()}, "proofOfPossession": ""},
    });
    let resp = ureq::post(format!("{}/api/v2/signingCert", ca.url()))
        .config()
        .http_status_as_error(false)
        .build()
        .send(body.to_string())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let text = resp.into_body().read_to_string().unwrap();
    assert!(text.contains("expired") && text.contains("\"code\""), "{text}");

    let token = ca.mint_claims(&json!({"iss": ISSUER, "sub": "a@b.c", "aud": "other", "exp": now + 60}));
    let (status, message) = refused(client(&ca).signing_certificate(&token, &key));
    assert_eq!(status, 401);
    assert!(message.contains("audience"), "{message}");
}

#[test]
fn refuses_a_wrong_proof_of_possession() {
    let ca = FulcioCa::start();
    let key = PrivateKey::generate_p256().unwrap();
    let other = PrivateKey::generate_p256().unwrap();
    let token = ca.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    let proof = base64::engine::general_purpose::STANDARD.encode(other.sign_message(b"dev@example.com").unwrap());
    let body = json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": key.public_key().to_pem()}, "proofOfPossession": proof},
    });
    let resp = ureq::post(format!("{}/api/v2/signingCert", ca.url()))
        .config()
        .http_status_as_error(false)
        .build()
        .send(body.to_string())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let text = resp.into_body().read_to_string().unwrap();
    assert!(text.contains("proof of possession"), "{text}");
    assert_eq!(ca.issued(), 0);
}

#[test]
fn refuses_malformed_requests() {
    let ca = FulcioCa::start();
    let post = |body: &str| {
        ureq::post(format!("{}/api/v2/signingCert", ca.url()))
            .config()
            .http_status_as_error(false)
            .build()
            .send(body)
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(post("nope"), 400);
    assert_eq!(post("{}"), 400);
    assert_eq!(
        post(
            r#"{"credentials":{"oidcIdentityToken":"a.b.c"},"publicKeyRequest":{"publicKey":{"content":"x"},"proofOfPossession":""}}"#
        ),
        401
    );
}

/// The offset just past the TBSCertificate of a certificate (DER): where the last byte of its last
/// extension sits, minus one.
fn tbs_end(cert: &[u8]) -> usize {
    // (header length, content length) of the TLV at `at`.
    let header = |at: usize| -> (usize, usize) {
        let first = cert[at + 1];
        if first < 0x80 {
            return (2, usize::from(first));
        }
        let n = usize::from(first & 0x7f);
        let len = cert[at + 2..at + 2 + n]
            .iter()
            .fold(0, |acc, &b| (acc << 8) | usize::from(b));
        (2 + n, len)
    };
    let (outer, _) = header(0);
    let (h, len) = header(outer);
    outer + h + len
}

#[test]
fn embeds_an_sct_that_verifies_against_the_ct_log_of_the_trusted_root() {
    let ca = FulcioCa::start();
    let key = PrivateKey::generate_p256().unwrap();
    let token = ca.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    let chain = client(&ca).signing_certificate(&token, &key).unwrap();
    let root: Value = serde_json::from_str(&ca.trusted_root_json(None)).unwrap();
    let spki = ca.ct_log_spki().unwrap();
    assert_eq!(root["ctlogs"][0]["publicKey"]["rawBytes"], STANDARD.encode(&spki));
    assert_eq!(
        root["ctlogs"][0]["logId"]["keyId"],
        STANDARD.encode(Sha256::digest(&spki))
    );
    let root_trust = trust(&ca, None);
    assert_eq!(verify_scts(&chain[0], &chain[1], &root_trust, 1).unwrap(), 1);

    // The SCT list is the last extension, and the SCT's signature ends it: flip a bit of its last byte.
    let mut tampered = chain[0].clone();
    tampered[tbs_end(&chain[0]) - 1] ^= 1;
    let err = verify_scts(&tampered, &chain[1], &root_trust, 1).unwrap_err();
    assert!(err.to_string().contains("does not verify"), "{err}");
    // Another CA's CT log is not trusted.
    let other = FulcioCa::start();
    assert!(verify_scts(&chain[0], &chain[1], &trust(&other, None), 1).is_err());
}

#[test]
fn issues_leaves_without_an_sct_when_started_without_a_ct_log() {
    let ca = FulcioCa::start_without_ct();
    let key = PrivateKey::generate_p256().unwrap();
    let token = ca.mint_token("dev@example.com", ISSUER, Duration::from_secs(300));
    let chain = client(&ca).signing_certificate(&token, &key).unwrap();
    let root: Value = serde_json::from_str(&ca.trusted_root_json(None)).unwrap();
    assert_eq!(root["ctlogs"], json!([]));
    assert!(ca.ct_log_spki().is_none());
    let root_trust = trust(&ca, None);
    assert_eq!(verify_scts(&chain[0], &chain[1], &root_trust, 0).unwrap(), 0);
    assert!(verify_scts(&chain[0], &chain[1], &root_trust, 1).is_err());
}
