//! Where TUF files come from: the [`Fetcher`] trait, an HTTP implementation for a mirror
//! ([`HttpFetcher`], bounded size, timeouts and retries), and a directory implementation ([`DirFetcher`], for
//! a repository copied to disk, such as an air-gapped mirror or a test fixture).

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

/// Fetches the files of one TUF repository by their path relative to its base (`2.root.json`,
/// `timestamp.json`, `targets/<sha256>.trusted_root.json`).
pub trait Fetcher {
    /// The file at `path`, at most `max_len` bytes; `Ok(None)` when the repository has no such file (HTTP 404
    /// or 403, a missing file). A file larger than `max_len` is an error, as is any other failure; the
    /// error says what happened, without the location ([`Fetcher::location`] gives it).
    fn fetch(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, String>;

    /// Where `path` is fetched from, for messages.
    fn location(&self, path: &str) -> String;
}

/// A TUF mirror over HTTP(S).
pub struct HttpFetcher {
    base: String,
    agent: ureq::Agent,
    attempts: u32,
}

impl HttpFetcher {
    /// A fetcher for the mirror at `base` (`https://tuf-repo-cdn.sigstore.dev`), each request limited to
    /// `timeout`, transport errors and 408/429/5xx answers tried up to 3 times.
    pub fn new(base: &str, timeout: Duration) -> Self {
        Self {
            base: base.trim_end_matches('/').to_string(),
            agent: crate::http::agent(timeout),
            attempts: 3,
        }
    }
}

impl Fetcher for HttpFetcher {
    fn fetch(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, String> {
        let url = self.location(path);
        let mut last = String::from("no attempt made");
        for attempt in 1..=self.attempts {
            if attempt > 1 {
                std::thread::sleep(crate::oci::backoff::exponential(
                    Duration::from_millis(500),
                    attempt - 1,
                ));
            }
            let resp = match self.agent.get(&url).call() {
                Ok(r) => r,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            let status = resp.status().as_u16();
            if matches!(status, 403 | 404) {
                return Ok(None);
            }
            if matches!(status, 408 | 429) || status >= 500 {
                last = format!("the server answered {status}");
                continue;
            }
            if status != 200 {
                return Err(format!("the server answered {status}, expected 200"));
            }
            let body = resp
                .into_body()
                .with_config()
                .limit(max_len.saturating_add(1))
                .read_to_vec();
            match body {
                Ok(b) if b.len() as u64 > max_len => return Err(format!("more than the {max_len} bytes accepted")),
                Ok(b) => return Ok(Some(b)),
                Err(ureq::Error::BodyExceedsLimit(_)) => {
                    return Err(format!("more than the {max_len} bytes accepted"));
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("giving up after {} attempts: {last}", self.attempts))
    }

    fn location(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }
}

/// A TUF repository in a local directory, laid out as on a mirror.
pub struct DirFetcher {
    dir: PathBuf,
}

impl DirFetcher {
    /// A fetcher reading from `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

impl Fetcher for DirFetcher {
    fn fetch(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, String> {
        if path.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
            return Err(format!("'{path}' is not a relative path inside the repository"));
        }
        let file = match std::fs::File::open(self.dir.join(path)) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let mut data = Vec::new();
        file.take(max_len.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| e.to_string())?;
        if data.len() as u64 > max_len {
            return Err(format!("more than the {max_len} bytes accepted"));
        }
        Ok(Some(data))
    }

    fn location(&self, path: &str) -> String {
        self.dir.join(path).display().to_string()
    }
}
