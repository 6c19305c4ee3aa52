//! A small fault-injecting HTTP/1.1 reverse proxy in front of a test [`Registry`] (std only).
//!
//! It listens on 127.0.0.1 with a free port and serves each connection on its own thread: it reads one
//! request, forwards it over a fresh upstream connection (`Connection: close`, `Host` rewritten to the
//! registry, `Location` in the answer rewritten back to the proxy), and answers with `Connection: close`.
//! Rules installed by a test match a method and a substring of the request target and, instead of (or on
//! top of) forwarding, answer a fixed status, close the connection without answering, or rewrite the
//! answer (other body bytes, other headers). Every request is logged, so a test can count them. Dropping the [`Proxy`] stops it: the
//! listener closes, open sockets are shut down and every thread is joined.
//!
//! ```no_run
//! # use hsign_e2e::{proxy::{Proxy, Rule}, registry::Registry};
//! let reg = Registry::start();
//! let proxy = Proxy::start(&reg);
//! let rule = proxy.add(Rule::new("HEAD", "/manifests/").status(503).times(2));
//! // ... run hsign against proxy.host() ...
//! assert_eq!(proxy.hits(rule), 2);
//! assert_eq!(proxy.count("HEAD", "/manifests/"), 3);
//! ```

use std::io::{BufRead as _, BufReader, Read, Write as _};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::registry::Registry;
use crate::server::{Server, Sockets};

/// How long a connection may stay silent (client or registry) before the proxy gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// What a rule does to a matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Forward unchanged (a rule that only counts).
    Forward,
    /// Answer this status (with a small OCI error body) without asking the registry.
    Status(u16),
    /// Read the request, then close the connection without answering.
    Close,
    /// Forward the request, then rewrite the answer: replace its body (when `body` is set; `Content-Length`
    /// is recomputed; HEAD answers never get a body), remove the headers `drop_headers`, and set the headers
    /// `set_headers` (replacing any of the same name). The other headers are kept.
    Rewrite {
        /// The new body.
        body: Option<Vec<u8>>,
        /// Headers removed from the answer (case-insensitive).
        drop_headers: Vec<String>,
        /// Headers set on the answer.
        set_headers: Vec<(String, String)>,
    },
}

/// A fault for requests whose method and target match. Build with [`Rule::new`], then one of
/// [`Rule::status`], [`Rule::close`], [`Rule::replace_body`], [`Rule::drop_header`], [`Rule::set_header`] (without one it only forwards, and counts).
#[derive(Clone, Debug)]
pub struct Rule {
    method: String,
    path: String,
    fault: Fault,
    times: Option<u64>,
}

impl Rule {
    /// Matches requests with `method` (`"*"` for any) whose target (path and query) contains `path`.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            fault: Fault::Forward,
            times: None,
        }
    }

    /// Answers `status` without asking the registry.
    pub fn status(mut self, status: u16) -> Self {
        self.fault = Fault::Status(status);
        self
    }

    /// Closes the connection without answering.
    pub fn close(mut self) -> Self {
        self.fault = Fault::Close;
        self
    }

    /// Replaces the body of the registry's answer with `body` (the headers are kept, `Content-Length`
    /// recomputed). Combines with [`Rule::drop_header`] and [`Rule::set_header`].
    pub fn replace_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.rewrite().0.replace(body.into());
        self
    }

    /// Removes the header `name` from the registry's answer.
    pub fn drop_header(mut self, name: &str) -> Self {
        self.rewrite().1.push(name.to_owned());
        self
    }

    /// Sets the header `name` on the registry's answer (replacing the registry's).
    pub fn set_header(mut self, name: &str, value: &str) -> Self {
        let set = self.rewrite().2;
        set.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        set.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Turns the fault into a [`Fault::Rewrite`] (keeping what was already set) and returns its parts.
    #[allow(clippy::type_complexity)]
    fn rewrite(&mut self) -> (&mut Option<Vec<u8>>, &mut Vec<String>, &mut Vec<(String, String)>) {
        if !matches!(self.fault, Fault::Rewrite { .. }) {
            self.fault = Fault::Rewrite {
                body: None,
                drop_headers: Vec::new(),
                set_headers: Vec::new(),
            };
        }
        match &mut self.fault {
            Fault::Rewrite {
                body,
                drop_headers,
                set_headers,
            } => (body, drop_headers, set_headers),
            _ => unreachable!("just set"),
        }
    }

    /// Applies to the first `n` matching requests only; later ones go to the next rule or the registry.
    /// Without it the rule applies forever.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, target: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method)) && target.contains(&self.path)
    }
}

/// A handle on an installed rule, to ask how often it fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleId(usize);

/// One request as the proxy saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The request target (path and query).
    pub target: String,
    /// What was done: `forwarded`, `status 500`, `closed`, `rewritten`, `upstream error: ...`.
    pub outcome: String,
}

struct Installed {
    rule: Rule,
    hits: u64,
}

#[derive(Default)]
struct State {
    rules: Vec<Installed>,
    log: Vec<Seen>,
}

struct Shared {
    upstream: String,
    host: String,
    stop: Arc<AtomicBool>,
    sockets: Sockets,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking connection thread cannot leave the log or the rules inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running fault-injecting proxy. Stops when dropped.
pub struct Proxy {
    shared: Arc<Shared>,
    _server: Server,
}

impl Proxy {
    /// A proxy in front of `registry`.
    pub fn start(registry: &Registry) -> Self {
        Self::to(&registry.host())
    }

    /// A proxy in front of the HTTP server at `upstream` (`HOST:PORT`).
    pub fn to(upstream: &str) -> Self {
        let mut server = Server::bind("proxy");
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            host: server.addr().to_owned(),
            stop: server.stop_flag(),
            sockets: server.sockets(),
            state: Mutex::new(State::default()),
        });
        let s = Arc::clone(&shared);
        server.run(move |stream| serve(stream, &s));
        Self {
            shared,
            _server: server,
        }
    }

    /// `127.0.0.1:PORT`: the registry host to give hsign.
    pub fn host(&self) -> String {
        self.shared.host.clone()
    }

    /// The registry it forwards to.
    pub fn upstream(&self) -> &str {
        &self.shared.upstream
    }

    /// Installs a rule. Rules are tried in the order installed; the first that matches (and has uses
    /// left) applies.
    pub fn add(&self, rule: Rule) -> RuleId {
        let mut st = self.shared.state();
        st.rules.push(Installed { rule, hits: 0 });
        RuleId(st.rules.len() - 1)
    }

    /// Removes every rule (the log is kept).
    pub fn clear_rules(&self) {
        self.shared.state().rules.clear();
    }

    /// How many requests the rule applied to.
    pub fn hits(&self, id: RuleId) -> u64 {
        self.shared.state().rules.get(id.0).map_or(0, |r| r.hits)
    }

    /// How many requests with `method` (`"*"` for any) whose target contains `path` the proxy received.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.shared
            .state()
            .log
            .iter()
            .filter(|s| (method == "*" || s.method.eq_ignore_ascii_case(method)) && s.target.contains(path))
            .count()
    }

    /// Every request received so far, in order.
    pub fn log(&self) -> Vec<Seen> {
        self.shared.state().log.clone()
    }

    /// The log as text, one request a line (for assertion messages).
    pub fn log_text(&self) -> String {
        self.log()
            .iter()
            .map(|s| format!("{} {} -> {}\n", s.method, s.target, s.outcome))
            .collect()
    }
}

/// A request read from the client.
struct ClientRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Serves one request on a connection, then closes it.
fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Ok(req) = read_request(&mut stream) else {
        return;
    };
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    let fault = {
        let mut st = shared.state();
        let found = st
            .rules
            .iter_mut()
            .find(|r| r.rule.matches(&req.method, &req.target) && r.rule.times.is_none_or(|n| r.hits < n));
        found.map(|r| {
            r.hits += 1;
            r.rule.fault.clone()
        })
    };
    let outcome = match fault {
        Some(Fault::Close) => {
            let _ = stream.shutdown(Shutdown::Both);
            "closed".to_owned()
        }
        Some(Fault::Status(status)) => {
            let body = format!(
                r#"{{"errors":[{{"code":"UNKNOWN","message":"fault injected by the test proxy: {status}"}}]}}"#
            );
            let head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reason(status),
                if req.method == "HEAD" { 0 } else { body.len() }
            );
            let mut out = head.into_bytes();
            if req.method != "HEAD" {
                out.extend_from_slice(body.as_bytes());
            }
            let _ = stream.write_all(&out);
            format!("status {status}")
        }
        other => match forward(&req, shared) {
            Ok(mut resp) => {
                let mut outcome = "forwarded".to_owned();
                if let Some(Fault::Rewrite {
                    body,
                    drop_headers,
                    set_headers,
                }) = other
                {
                    resp.headers.retain(|(k, _)| {
                        !drop_headers
                            .iter()
                            .chain(set_headers.iter().map(|(n, _)| n))
                            .any(|d| d.eq_ignore_ascii_case(k))
                    });
                    resp.headers.extend(set_headers);
                    if let Some(body) = body
                        && req.method != "HEAD"
                    {
                        resp.body = body;
                    }
                    outcome = "rewritten".to_owned();
                }
                let _ = stream.write_all(&resp.to_bytes(req.method == "HEAD"));
                outcome
            }
            Err(e) => {
                let body = format!("test proxy: upstream {}: {e}", shared.upstream);
                let out = format!(
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(out.as_bytes());
                format!("upstream error: {e}")
            }
        },
    };
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
    shared.state().log.push(Seen {
        method: req.method,
        target: req.target,
        outcome,
    });
}

fn bad(what: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.into())
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<ClientRequest> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            return Err(bad("connection closed before the end of the request head"));
        }
        total += n;
        if total > MAX_HEAD {
            return Err(bad("request head too large"));
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            if lines.is_empty() {
                continue; // stray CRLF between requests
            }
            break;
        }
        lines.push(line);
    }
    let mut parts = lines[0].split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().ok_or_else(|| bad("bad request line"))?.to_owned();
    let headers = parse_headers(&lines[1..]);
    if header(&headers, "Expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let body = if is_chunked(&headers) {
        read_chunked(&mut reader)?
    } else if let Some(n) = header(&headers, "Content-Length").and_then(|v| v.parse::<usize>().ok()) {
        let mut body = vec![0; n];
        reader.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    Ok(ClientRequest {
        method,
        target,
        headers,
        body,
    })
}

fn read_chunked(reader: &mut impl std::io::BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or_default().trim(), 16)
            .map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l)? == 0 || l.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn parse_headers(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header(headers, "Transfer-Encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

/// Headers that describe one connection or one framing, never forwarded as they are.
fn hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "content-length",
        "te",
        "trailer",
        "upgrade",
        "expect",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// The registry's answer, de-framed.
struct UpstreamResponse {
    status_line: String,
    headers: Vec<(String, String)>,
    /// `Content-Length` as sent (HEAD answers keep it: it is the size of the thing asked about).
    content_length: Option<String>,
    body: Vec<u8>,
}

impl UpstreamResponse {
    fn to_bytes(&self, head: bool) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.status_line);
        for (k, v) in &self.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        if head {
            if let Some(n) = &self.content_length {
                out.push_str(&format!("Content-Length: {n}\r\n"));
            }
        } else {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("Connection: close\r\n\r\n");
        let mut bytes = out.into_bytes();
        if !head {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// Sends the request to the registry over a fresh connection and reads the whole answer.
fn forward(req: &ClientRequest, shared: &Shared) -> std::io::Result<UpstreamResponse> {
    let mut up = TcpStream::connect(&shared.upstream)?;
    let id = shared.sockets.track(&up);
    let result = (|| {
        up.set_read_timeout(Some(IO_TIMEOUT))?;
        up.set_write_timeout(Some(IO_TIMEOUT))?;
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            req.method, req.target, shared.upstream
        );
        for (k, v) in &req.headers {
            if !k.eq_ignore_ascii_case("host") && !hop_by_hop(k) {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        if !req.body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&req.body);
        up.write_all(&bytes)?;
        up.flush()?;
        let mut raw = Vec::new();
        up.read_to_end(&mut raw)?;
        parse_upstream(&raw, req.method == "HEAD", shared)
    })();
    shared.sockets.untrack(id);
    result
}

fn parse_upstream(raw: &[u8], head: bool, shared: &Shared) -> std::io::Result<UpstreamResponse> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of the response head"))?;
    let text = std::str::from_utf8(&raw[..end]).map_err(|_| bad("response head is not UTF-8"))?;
    let lines: Vec<String> = text.split("\r\n").map(str::to_owned).collect();
    let status_line = lines[0].clone();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let all = parse_headers(&lines[1..]);
    let content_length = header(&all, "Content-Length").map(str::to_owned);
    let rest = &raw[end + 4..];
    let body = if head || status == 204 || status == 304 {
        Vec::new()
    } else if is_chunked(&all) {
        read_chunked(&mut std::io::Cursor::new(rest))?
    } else if let Some(n) = content_length.as_deref().and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..n)
            .ok_or_else(|| bad("body shorter than Content-Length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    // Absolute upload locations name the registry: point them back at the proxy.
    let upstream_url = format!("http://{}", shared.upstream);
    let headers = all
        .into_iter()
        .filter(|(k, _)| !hop_by_hop(k))
        .map(|(k, v)| {
            if k.eq_ignore_ascii_case("Location") && v.starts_with(&upstream_url) {
                let v = format!("http://{}{}", shared.host, &v[upstream_url.len()..]);
                (k, v)
            } else {
                (k, v)
            }
        })
        .collect();
    Ok(UpstreamResponse {
        status_line,
        headers,
        content_length,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Injected",
    }
}
