//! Where the OIDC identity token comes from, in cosign's order ([`identity_token`]): the `--identity-token`
//! value (a file path or the token itself), else `$SIGSTORE_ID_TOKEN`, else the GitHub Actions ambient token;
//! and what an unverified token claims ([`unverified_claims`]).

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use super::FulcioError;
use crate::http;

/// The variable that holds an identity token (cosign's `envvar` provider).
pub const SIGSTORE_ID_TOKEN_ENV: &str = "SIGSTORE_ID_TOKEN";
/// The GitHub Actions token request URL (set when the job has `id-token: write`).
pub const GITHUB_REQUEST_URL_ENV: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// The bearer token for the GitHub Actions token request.
pub const GITHUB_REQUEST_TOKEN_ENV: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// Attempts at the GitHub Actions token request (one try and up to two retries, as cosign).
const GITHUB_ATTEMPTS: u32 = 3;
/// Largest token provider answer read.
const MAX_TOKEN_ANSWER: u64 = 1024 * 1024;
/// Largest token file read.
const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// Where [`identity_token`] found the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// The `--identity-token` value, read from a file.
    File,
    /// The `--identity-token` value itself.
    Flag,
    /// The GitHub Actions ambient token.
    GitHubActions,
    /// `$SIGSTORE_ID_TOKEN`.
    SigstoreIdTokenEnv,
}

/// The identity token, as cosign finds it: `explicit` (the `--identity-token` value: the path of an existing
/// file, whose trimmed contents are the token, or else the token itself), else `$SIGSTORE_ID_TOKEN`, else the
/// GitHub Actions ambient token (audience `sigstore`) when `$ACTIONS_ID_TOKEN_REQUEST_URL` and
/// `$ACTIONS_ID_TOKEN_REQUEST_TOKEN` are set. `timeout` bounds each GitHub request.
pub fn identity_token(explicit: Option<&str>, timeout: Duration) -> Result<(String, TokenSource), FulcioError> {
    identity_token_with(explicit, |name| std::env::var(name).ok(), timeout)
}

/// [`identity_token`] with the environment read through `env` (for tests and for callers that own the
/// environment). Empty values count as unset.
pub fn identity_token_with(
    explicit: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
    timeout: Duration,
) -> Result<(String, TokenSource), FulcioError> {
    let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    if let Some(value) = explicit.filter(|v| !v.trim().is_empty()) {
        let path = Path::new(value);
        if path.is_file() {
            return read_token_file(path).map(|t| (t, TokenSource::File));
        }
        return Ok((value.trim().to_owned(), TokenSource::Flag));
    }
    if let Some(token) = env(SIGSTORE_ID_TOKEN_ENV) {
        return Ok((token.trim().to_owned(), TokenSource::SigstoreIdTokenEnv));
    }
    if let (Some(url), Some(bearer)) = (env(GITHUB_REQUEST_URL_ENV), env(GITHUB_REQUEST_TOKEN_ENV)) {
        return github_actions_token(&url, &bearer, timeout).map(|t| (t, TokenSource::GitHubActions));
    }
    Err(FulcioError::NoToken)
}

fn read_token_file(path: &Path) -> Result<String, FulcioError> {
    use std::io::Read as _;
    let failed = |reason: String| FulcioError::TokenFile {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| failed(e.to_string()))?;
    let mut text = String::new();
    file.take(MAX_TOKEN_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| failed(e.to_string()))?;
    if text.len() as u64 > MAX_TOKEN_FILE {
        return Err(failed(format!("larger than {MAX_TOKEN_FILE} bytes, expected one JWT")));
    }
    let token = text.trim();
    if token.is_empty() {
        return Err(failed("is empty, expected a JWT".into()));
    }
    Ok(token.to_owned())
}

/// The GitHub Actions ambient token for audience `sigstore`: `GET <request_url>&audience=sigstore` (`?` when
/// the URL has no query) with `Authorization: bearer <request_token>`, answer `{"value": "<jwt>"}`. Transport
/// errors, 408, 429 and 5xx are retried a bounded number of times.
pub fn github_actions_token(request_url: &str, request_token: &str, timeout: Duration) -> Result<String, FulcioError> {
    let separator = if request_url.contains('?') { '&' } else { '?' };
    let url = format!("{request_url}{separator}audience=sigstore");
    // The URL is named in errors without its query, which may carry secrets.
    let shown = request_url.split('?').next().unwrap_or_default().to_owned();
    let failed = |reason: String| FulcioError::TokenProvider {
        url: shown.clone(),
        reason,
    };
    let auth = format!("bearer {request_token}");
    let agent = http::agent(timeout);
    let answer = http::send(
        &agent,
        &http::Exchange {
            url: &url,
            headers: &[("Accept", "application/json"), ("Authorization", &auth)],
            body: None,
            limit: MAX_TOKEN_ANSWER,
        },
        GITHUB_ATTEMPTS,
        Duration::from_millis(500),
    )
    .map_err(|r| failed(format!("{r} (after {GITHUB_ATTEMPTS} attempts)")))?;
    if answer.status != 200 {
        return Err(failed(format!(
            "answered {}: {}",
            answer.status,
            http::message(&answer.body)
        )));
    }
    #[derive(Deserialize)]
    struct Raw {
        value: Option<String>,
    }
    let raw: Raw = serde_json::from_slice(&answer.body)
        .map_err(|e| failed(format!("expected JSON {{\"value\": \"<jwt>\"}}: {e}")))?;
    match raw.value {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(failed("the answer has no \"value\" (expected the JWT there)".into())),
    }
}

/// The claims of an identity token that hsign reads, not verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// `iss`: the OIDC issuer URL.
    pub iss: String,
    /// `sub`: the subject at the issuer.
    pub sub: String,
    /// `email`, when the token carries one.
    pub email: Option<String>,
    /// `aud`: the audiences (a single string in the token becomes one element).
    pub aud: Vec<String>,
    /// `exp`: the expiry, Unix seconds.
    pub exp: i64,
}

impl Claims {
    /// The subject Fulcio expects the proof of possession over: the `email` claim if present, else `sub`.
    pub fn subject(&self) -> &str {
        self.email.as_deref().filter(|e| !e.is_empty()).unwrap_or(&self.sub)
    }

    /// Refuses a token whose `exp` is before `now` (Unix seconds).
    pub fn ensure_unexpired(&self, now: i64) -> Result<(), FulcioError> {
        if self.exp < now {
            return Err(FulcioError::ExpiredToken { exp: self.exp, now });
        }
        Ok(())
    }
}

/// Decodes the payload of a JWT (`header.payload.signature`, base64url) without checking its signature
/// (Fulcio checks it). `iss`, `sub`, `aud` and `exp` are required; `email` is optional.
pub fn unverified_claims(jwt: &str) -> Result<Claims, FulcioError> {
    let bad = |m: String| FulcioError::MalformedToken(m);
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [_, payload, _] = parts.as_slice() else {
        return Err(bad(format!(
            "expected a JWT of three dot-separated parts, found {}",
            parts.len()
        )));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| bad(format!("the payload is not base64url: {e}")))?;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    #[derive(Deserialize)]
    struct Raw {
        iss: Option<String>,
        sub: Option<String>,
        email: Option<String>,
        aud: Option<Aud>,
        exp: Option<serde_json::Number>,
    }
    let raw: Raw =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("the payload is not a JSON object of claims: {e}")))?;
    let missing = |name: &str| bad(format!("the payload has no \"{name}\" claim"));
    let iss = raw.iss.filter(|s| !s.is_empty()).ok_or_else(|| missing("iss"))?;
    let sub = raw.sub.filter(|s| !s.is_empty()).ok_or_else(|| missing("sub"))?;
    let aud = match raw.aud.ok_or_else(|| missing("aud"))? {
        Aud::One(a) => vec![a],
        Aud::Many(a) => a,
    };
    let exp_number = raw.exp.ok_or_else(|| missing("exp"))?;
    let exp = exp_number
        .as_i64()
        // Some issuers write a fractional NumericDate; truncating to whole seconds is what a check needs.
        .or_else(|| exp_number.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        .ok_or_else(|| bad(format!("the \"exp\" claim {exp_number} is not a NumericDate")))?;
    Ok(Claims {
        iss,
        sub,
        email: raw.email.filter(|e| !e.is_empty()),
        aud,
        exp,
    })
}
