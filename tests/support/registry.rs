//! A private OCI registry for one test: Debian's `docker-registry` (distribution 2.8) serving on
//! 127.0.0.1 with a free port and its storage in a temporary directory, optionally behind htpasswd basic
//! auth. Each test starts its own (it takes a fraction of a second), so tests can run in parallel; the
//! process is killed and reaped when the [`Registry`] is dropped.
//!
//! Distribution 2.8 has no OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>` answers a plain-text
//! `404 page not found`), so clients must fall back to the referrers tag schema.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a registry may take to answer `GET /v2/` after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many times a start is retried when the free port was taken in the meantime.
const BIND_ATTEMPTS: usize = 8;
/// The header (set through the registry's `http.headers`) that tells this instance from any other.
const ID_HEADER: &str = "X-Hsign-Test-Registry";

/// A running `docker-registry` on 127.0.0.1.
pub struct Registry {
    child: Child,
    port: u16,
    creds: Option<(String, String)>,
    log_path: PathBuf,
    dir: tempfile::TempDir,
}

impl Registry {
    /// A registry without authentication.
    pub fn start() -> Self {
        Self::launch(None)
    }

    /// A registry that requires HTTP basic auth (htpasswd, bcrypt) for every `/v2/` request: `GET /v2/`
    /// without credentials answers `401` with `Www-Authenticate: Basic realm=...`.
    pub fn start_with_basic_auth(user: &str, pass: &str) -> Self {
        Self::launch(Some((user.to_owned(), pass.to_owned())))
    }

    /// `127.0.0.1:PORT`, the registry part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.host())
    }

    /// `HOST/repo:tag`, an image reference for a CLI.
    pub fn image_ref(&self, repo: &str, tag: &str) -> String {
        format!("{}/{repo}:{tag}", self.host())
    }

    /// The basic-auth user and password, when the registry has auth.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.creds.as_ref().map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The process id of the registry.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The registry's storage root (`storage.filesystem.rootdirectory`).
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Everything the registry has logged so far (stdout and stderr).
    pub fn log(&self) -> String {
        read_log(&self.log_path)
    }

    fn launch(creds: Option<(String, String)>) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory for the registry");
        std::fs::create_dir(dir.path().join("data")).expect("registry storage directory");
        let auth = creds.as_ref().map(|(user, pass)| {
            let htpasswd = dir.path().join("htpasswd");
            write_htpasswd(&htpasswd, user, pass);
            htpasswd
        });
        let mut last_log = String::new();
        for attempt in 0..BIND_ATTEMPTS {
            let port = free_port();
            let id = instance_id();
            let config = dir.path().join("config.yml");
            std::fs::write(&config, config_yaml(dir.path(), port, &id, auth.as_deref()))
                .expect("writing the registry config");
            let log_path = dir.path().join(format!("registry-{attempt}.log"));
            let log = File::create(&log_path).expect("registry log file");
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("registry log file"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("starting docker-registry: {e} (install the docker-registry package: scripts/test.sh)")
                });
            match wait_ready(&mut child, port, &id, &log_path) {
                Ok(()) => {
                    return Registry {
                        child,
                        port,
                        creds,
                        log_path,
                        dir,
                    };
                }
                Err(exit) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_log = read_log(&log_path);
                    if let Exit::Other(why) = exit {
                        panic!(
                            "docker-registry on 127.0.0.1:{port} did not come up: {why}\n--- registry log\n{last_log}"
                        );
                    }
                }
            }
        }
        panic!("docker-registry found no free port in {BIND_ATTEMPTS} attempts\n--- last registry log\n{last_log}")
    }
}

/// Waits until this very instance answers `GET /v2/` (any status: 200, or 401 with auth).
fn wait_ready(child: &mut Child, port: u16, id: &str, log_path: &Path) -> Result<(), Exit> {
    let host = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("polling docker-registry") {
            if read_log(log_path).contains("address already in use") {
                return Err(Exit::AddressInUse);
            }
            return Err(Exit::Other(format!("it exited ({status})")));
        }
        if let Ok(resp) = request(&host, None, "GET", "/v2/", &[], &[], Duration::from_secs(2)) {
            // Another server answering on this port has no (or another) id: then ours cannot bind the port
            // and exits, which is seen above.
            if resp.header(ID_HEADER) == Some(id) {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(Exit::Other(format!(
                "no answer to GET /v2/ within {}s",
                START_TIMEOUT.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn read_log(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

enum Exit {
    AddressInUse,
    Other(String),
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    l.local_addr().expect("local address").port()
}

/// A string unique to one registry start (process id, counter, time).
fn instance_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{}-{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

fn write_htpasswd(path: &Path, user: &str, pass: &str) {
    let out = Command::new("htpasswd")
        .args(["-Bbn", user, pass])
        .output()
        .unwrap_or_else(|e| panic!("running htpasswd: {e} (install apache2-utils: scripts/test.sh)"));
    assert!(
        out.status.success(),
        "htpasswd -Bbn failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(path, &out.stdout).expect("writing the htpasswd file");
}

/// JSON strings are valid YAML flow scalars: quote paths and values with them.
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn config_yaml(dir: &Path, port: u16, id: &str, htpasswd: Option<&Path>) -> String {
    let data = dir.join("data");
    let mut y = format!(
        "version: 0.1\n\
         log:\n  level: info\n  fields: {{service: registry}}\n\
         storage:\n  cache: {{blobdescriptor: inmemory}}\n  filesystem: {{rootdirectory: {}}}\n  \
         delete: {{enabled: true}}\n  maintenance: {{uploadpurging: {{enabled: false}}}}\n\
         http:\n  addr: {}\n  secret: {}\n  headers:\n    X-Content-Type-Options: [nosniff]\n    {ID_HEADER}: [{}]\n",
        q(data.to_str().expect("utf-8 path")),
        q(&format!("127.0.0.1:{port}")),
        q(id),
        q(id),
    );
    if let Some(path) = htpasswd {
        y.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: hsign-test-registry\n    path: {}\n",
            q(path.to_str().expect("utf-8 path"))
        ));
    }
    y
}

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names and values in the order received.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// The first header called `name` (case-insensitive) in a header list.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`), with basic auth when `auth` is
/// given. `path` is the request target (path and query). Transport errors are returned, not panicked.
pub(crate) fn request(
    host: &str,
    auth: Option<(&str, &str)>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some((user, pass)) = auth {
        req.push_str(&format!(
            "Authorization: Basic {}\r\n",
            base64(format!("{user}:{pass}").as_bytes())
        ));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw, method == "HEAD")
}

fn parse_response(raw: &[u8], head: bool) -> std::io::Result<Response> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of HTTP headers"))?;
    let head_text = std::str::from_utf8(&raw[..end]).map_err(|_| bad("HTTP headers are not UTF-8"))?;
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("bad HTTP status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let body = if head {
        Vec::new()
    } else if header(&headers, "Transfer-Encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        dechunk(rest).ok_or_else(|| bad("bad chunked body"))?
    } else if let Some(n) = header(&headers, "Content-Length").and_then(|v| v.parse::<usize>().ok()) {
        rest.get(..n)
            .ok_or_else(|| bad("body shorter than Content-Length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, headers, body })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
