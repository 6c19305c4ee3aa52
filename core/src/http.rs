//! One HTTP exchange with bounded retries, shared by the service clients (Rekor, Fulcio, the GitHub Actions
//! token provider, RFC 3161 timestamp authorities): transport errors, 408, 429 and 5xx are retried with
//! exponential backoff and jitter; every answer body is read with a size limit. Statuses are the caller's.

use std::time::Duration;

/// A final answer (not retried).
pub(crate) struct Answer {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The `Location` header, if any.
    pub(crate) location: Option<String>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

/// One request: a POST of `body` when given, else a GET.
pub(crate) struct Exchange<'a> {
    /// The URL.
    pub(crate) url: &'a str,
    /// Headers (content type, accept, authorization).
    pub(crate) headers: &'a [(&'a str, &'a str)],
    /// The body to POST.
    pub(crate) body: Option<&'a [u8]>,
    /// Largest answer body read.
    pub(crate) limit: u64,
}

/// JSON request and answer headers.
pub(crate) const JSON: [(&str, &str); 2] = [("Content-Type", "application/json"), ("Accept", "application/json")];

/// An agent that does not turn statuses into errors, with a per-request `timeout`.
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(3)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
        .user_agent(concat!("hsign/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// Sends `exchange` up to `attempts` times; the error is the last failure, as text.
pub(crate) fn send(
    agent: &ureq::Agent,
    exchange: &Exchange<'_>,
    attempts: u32,
    first_delay: Duration,
) -> Result<Answer, String> {
    let mut last = String::from("no attempt made");
    for attempt in 1..=attempts {
        if attempt > 1 {
            std::thread::sleep(crate::oci::backoff::exponential(first_delay, attempt - 1));
        }
        let result = match exchange.body {
            Some(body) => {
                let mut req = agent.post(exchange.url);
                for (k, v) in exchange.headers {
                    req = req.header(*k, *v);
                }
                req.send(body)
            }
            None => {
                let mut req = agent.get(exchange.url);
                for (k, v) in exchange.headers {
                    req = req.header(*k, *v);
                }
                req.call()
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match resp.into_body().with_config().limit(exchange.limit).read_to_vec() {
            Ok(b) => b,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        if matches!(status, 408 | 429) || status >= 500 {
            last = format!("answered {status}: {}", message(&body));
            continue;
        }
        return Ok(Answer { status, location, body });
    }
    Err(last)
}

/// The `message` of a JSON error answer (`{"code":..,"message":..}`), or the start of the body as text.
pub(crate) fn message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Err {
        message: String,
    }
    match serde_json::from_slice::<Err>(body) {
        Ok(e) => e.message,
        Err(_) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_string();
            if text.is_empty() { "(no message)".into() } else { text }
        }
    }
}
