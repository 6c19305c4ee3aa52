//! Claims decoding (good, bad base64, missing fields, expired), token resolution in cosign's order, and the
//! GitHub Actions provider against a one-shot local server.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::*;

fn jwt(payload: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
    format!("{header}.{}.c2ln", URL_SAFE_NO_PAD.encode(payload.to_string()))
}

fn full() -> serde_json::Value {
    json!({"iss": "https://issuer.example", "sub": "1234", "email": "dev@example.com", "aud": "sigstore", "exp": 2_000_000_000})
}

#[test]
fn decodes_claims_and_picks_email_as_subject() {
    let claims = unverified_claims(&jwt(&full())).unwrap();
    assert_eq!(claims.iss, "https://issuer.example");
    assert_eq!(claims.sub, "1234");
    assert_eq!(claims.email.as_deref(), Some("dev@example.com"));
    assert_eq!(claims.aud, vec!["sigstore"]);
    assert_eq!(claims.exp, 2_000_000_000);
    assert_eq!(claims.subject(), "dev@example.com");
}

#[test]
fn falls_back_to_sub_and_reads_audience_lists() {
    let mut payload = full();
    payload.as_object_mut().unwrap().remove("email");
    payload["aud"] = json!(["a", "sigstore"]);
    let claims = unverified_claims(&jwt(&payload)).unwrap();
    assert_eq!(claims.subject(), "1234");
    assert_eq!(claims.aud, vec!["a", "sigstore"]);
}

#[test]
fn rejects_bad_base64_and_shapes() {
    for token in [
        "",
        "a.b",
        "a.b.c.d",
        "x.!!!.y",
        &format!("x.{}.y", URL_SAFE_NO_PAD.encode("[1]")),
    ] {
        let err = unverified_claims(token).unwrap_err();
        assert!(matches!(err, FulcioError::MalformedToken(_)), "{token}: {err}");
    }
    let err = unverified_claims("x.!!!.y").unwrap_err().to_string();
    assert!(err.contains("base64url"), "{err}");
}

#[test]
fn rejects_missing_claims_by_name() {
    for name in ["iss", "sub", "aud", "exp"] {
        let mut payload = full();
        payload.as_object_mut().unwrap().remove(name);
        let err = unverified_claims(&jwt(&payload)).unwrap_err().to_string();
        assert!(err.contains(&format!("\"{name}\"")), "{name}: {err}");
    }
    let mut payload = full();
    payload["exp"] = json!("tomorrow");
    assert!(unverified_claims(&jwt(&payload)).is_err());
}

#[test]
fn refuses_an_expired_token() {
    let mut payload = full();
    payload["exp"] = json!(1000);
    let claims = unverified_claims(&jwt(&payload)).unwrap();
    assert!(claims.ensure_unexpired(999).is_ok());
    let err = claims.ensure_unexpired(1600).unwrap_err();
    assert!(matches!(err, FulcioError::ExpiredToken { exp: 1000, now: 1600 }));
    assert!(err.to_string().contains("expired"), "{err}");
}

#[test]
fn client_refuses_an_expired_token_before_calling_fulcio() {
    let mut payload = full();
    payload["exp"] = json!(1000);
    let key = hsign_keys::PrivateKey::generate_p256().unwrap();
    // Port 9 on localhost: nothing is asked if the token is refused first.
    let client = FulcioClient::new("http://127.0.0.1:9", Duration::from_secs(1));
    let err = client.signing_certificate(&jwt(&payload), &key).unwrap_err();
    assert!(matches!(err, FulcioError::ExpiredToken { .. }), "{err}");
}

#[test]
fn resolves_tokens_in_cosign_order() {
    let none = |_: &str| None;
    assert!(matches!(
        identity_token_with(None, none, Duration::from_secs(1)),
        Err(FulcioError::NoToken)
    ));
    let (t, src) = identity_token_with(Some(" tok "), none, Duration::from_secs(1)).unwrap();
    assert_eq!((t.as_str(), src), ("tok", TokenSource::Flag));

    let dir = std::env::temp_dir().join(format!("hsign-fulcio-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "file-token\n").unwrap();
    let env = |name: &str| (name == SIGSTORE_ID_TOKEN_ENV).then(|| "env-token".to_owned());
    let (t, src) = identity_token_with(file.to_str(), env, Duration::from_secs(1)).unwrap();
    assert_eq!((t.as_str(), src), ("file-token", TokenSource::File));
    std::fs::write(&file, "  \n").unwrap();
    assert!(matches!(
        identity_token_with(file.to_str(), env, Duration::from_secs(1)),
        Err(FulcioError::TokenFile { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);

    let (t, src) = identity_token_with(None, env, Duration::from_secs(1)).unwrap();
    assert_eq!((t.as_str(), src), ("env-token", TokenSource::SigstoreIdTokenEnv));
}

/// Serves `answers` (status, body) to successive connections and returns the request heads received.
fn serve(answers: Vec<(u16, &'static str)>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for (status, body) in answers {
            let (mut stream, _) = listener.accept().unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            heads.push(String::from_utf8_lossy(&buf).into_owned());
            let resp = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(resp.as_bytes()).unwrap();
        }
        heads
    });
    (url, handle)
}

#[test]
fn fetches_the_github_actions_token_with_retries() {
    let (url, server) = serve(vec![(503, r#"{"message":"busy"}"#), (200, r#"{"value":"gh.jwt.sig"}"#)]);
    let env = move |name: &str| match name {
        GITHUB_REQUEST_URL_ENV => Some(format!("{url}/token?api-version=2.0")),
        GITHUB_REQUEST_TOKEN_ENV => Some("secret".to_owned()),
        _ => None,
    };
    let (t, src) = identity_token_with(None, env, Duration::from_secs(5)).unwrap();
    assert_eq!((t.as_str(), src), ("gh.jwt.sig", TokenSource::GitHubActions));
    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 2);
    assert!(
        heads[1].starts_with("GET /token?api-version=2.0&audience=sigstore "),
        "{}",
        heads[1]
    );
    assert!(
        heads[1].to_ascii_lowercase().contains("authorization: bearer secret"),
        "{}",
        heads[1]
    );
}

#[test]
fn reports_a_github_answer_without_a_value() {
    let (url, server) = serve(vec![(200, r#"{"count":1}"#), (401, r#"{"message":"bad bearer"}"#)]);
    let err = github_actions_token(&format!("{url}/t"), "x", Duration::from_secs(5)).unwrap_err();
    assert!(err.to_string().contains("\"value\""), "{err}");
    let err = github_actions_token(&format!("{url}/t?q=1"), "x", Duration::from_secs(5)).unwrap_err();
    assert!(err.to_string().contains("401: bad bearer"), "{err}");
    server.join().unwrap();
}
