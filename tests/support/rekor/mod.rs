//! A Rekor v1 compatible transparency log for tests (std threads only).
//!
//! It listens on 127.0.0.1 with a free port, one thread per connection, and answers the Rekor v1 REST API
//! with `Connection: close`: upload (`hashedrekord` and `dsse` 0.0.1, signatures checked), lookups by UUID,
//! by index and by proposed entry, the search index, log info, the log key and consistency proofs. It is a
//! real log: entries are leaves of an RFC 6962 Merkle tree ([`tree`], written independently of hsign's
//! verifier), every entry gets a signed entry timestamp, and every proof comes with a checkpoint (signed
//! note) signed by a fresh P-256 log key. Faults installed by a test ([`LogFault`]) answer a status, delay
//! the answer or return another entry than the one asked for. Dropping the [`RekorLog`] stops it: the
//! listener closes, open sockets are shut down and every thread is joined.
//!
//! ```no_run
//! # use hsign_e2e::rekor::{LogFault, RekorLog};
//! let log = RekorLog::start();
//! let dir = tempfile::tempdir().unwrap();
//! let root = log.write_trusted_root(dir.path());
//! let rule = log.add_fault(LogFault::new("POST", "/api/v1/log/entries").status(503).times(1));
//! // ... run hsign with --rekor-url log.url() and the trusted root ...
//! assert_eq!(log.hits(rule), 1);
//! assert_eq!(log.tree_size(), 1);
//! ```

mod api;
mod entries;
#[cfg(test)]
mod tests;
pub mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::{PrivateKey, PublicKey};
use serde_json::json;
use sha2::{Digest as _, Sha256};

use self::api::origin;
use self::entries::Canonical;
use self::tree::{Hash, Tree};
use crate::server::Server;

/// The tree id of the log (the first 16 hex digits of every entry UUID).
pub const TREE_ID: u64 = 1_193_050_959_916_656_506;
/// The name in checkpoint signature lines: the host of the log's URL, as Rekor names its key (sigstore-js
/// requires the name to appear in the log's base URL). The checkpoint origin is `"<LOG_NAME> - <TREE_ID>"`.
pub const LOG_NAME: &str = "127.0.0.1";

/// A fault for requests whose method and target match. Build with [`LogFault::new`], then any of
/// [`LogFault::status`], [`LogFault::delay`], [`LogFault::wrong_entry`], and optionally [`LogFault::times`].
/// Without any it only counts.
#[derive(Clone, Debug)]
pub struct LogFault {
    method: String,
    path: String,
    status: Option<u16>,
    delay: Option<Duration>,
    wrong_entry: bool,
    times: Option<usize>,
}

impl LogFault {
    /// Matches requests with `method` (`"*"` for any, case-insensitive) whose target (path and query)
    /// contains `path_substring`.
    pub fn new(method: &str, path_substring: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path_substring.to_owned(),
            status: None,
            delay: None,
            wrong_entry: false,
            times: None,
        }
    }

    /// Answers `status` with `{"code":status,"message":"injected"}` instead of handling the request (an
    /// upload is not logged).
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Waits `delay` before answering. The request is handled (an upload is logged) at once; only the answer
    /// is late. Combined with [`LogFault::status`], the injected status comes after the delay.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    /// Entry answers (`GET /api/v1/log/entries/{uuid}`, `GET /api/v1/log/entries?logIndex=`, `POST
    /// /api/v1/log/entries/retrieve`, and the answer to an upload) carry another stored entry, complete
    /// with its own valid SET and inclusion proof, under the UUID key of the one asked for: the next index,
    /// wrapping around. Needs at least two entries in the log; with one the answer is unchanged.
    pub fn wrong_entry(mut self) -> Self {
        self.wrong_entry = true;
        self
    }

    /// Applies to the first `n` matching requests only; later ones go to the next rule or are served
    /// normally. Without it the fault applies forever.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    fn matches(&self, method: &str, target: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method)) && target.contains(&self.path)
    }
}

/// One logged entry.
struct Entry {
    canonical: Canonical,
    leaf: Hash,
    integrated_time: u64,
    /// The signed entry timestamp, base64.
    set: String,
}

/// The log proper, behind one lock so appends are serialized and every answer sees one tree.
#[derive(Default)]
struct Log {
    tree: Tree,
    entries: Vec<Entry>,
    by_leaf: HashMap<Hash, u64>,
    /// The checkpoint of the current tree size, signed when the size was first asked for.
    checkpoint: Option<(u64, String)>,
}

/// Faults and the request log.
#[derive(Default)]
struct Control {
    faults: Vec<(LogFault, usize)>,
    seen: Vec<(String, String)>,
}

struct Shared {
    key: PrivateKey,
    public: PublicKey,
    spki: Vec<u8>,
    log_id: [u8; 32],
    addr: String,
    stop: Arc<AtomicBool>,
    log: Mutex<Log>,
    control: Mutex<Control>,
}

/// A running test transparency log. Stops when dropped.
pub struct RekorLog {
    shared: Arc<Shared>,
    _server: Server,
}

impl RekorLog {
    /// Starts an empty log with a fresh P-256 key and tree id [`TREE_ID`] on 127.0.0.1 with a free port.
    pub fn start() -> RekorLog {
        let key = PrivateKey::generate_p256().expect("generating the log key");
        let public = key.public_key();
        let spki = public.to_spki_der();
        let log_id: [u8; 32] = Sha256::digest(&spki).into();
        let mut server = Server::bind("rekor");
        let shared = Arc::new(Shared {
            key,
            public,
            spki,
            log_id,
            addr: server.addr().to_owned(),
            stop: server.stop_flag(),
            log: Mutex::new(Log::default()),
            control: Mutex::new(Control::default()),
        });
        let s = Arc::clone(&shared);
        server.run(move |stream| s.serve(stream));
        RekorLog {
            shared,
            _server: server,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// The log's public key.
    pub fn public_key(&self) -> PublicKey {
        self.shared.public.clone()
    }

    /// The log's public key as PKIX PEM (`PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        self.shared.public.to_pem()
    }

    /// Writes the public key PEM to `dir/rekor.pub` and returns the path.
    pub fn write_public_key(&self, dir: &Path) -> PathBuf {
        let path = dir.join("rekor.pub");
        std::fs::write(&path, self.public_key_pem()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    /// The log id: SHA-256 of the PKIX DER of the log key.
    pub fn log_id(&self) -> [u8; 32] {
        self.shared.log_id
    }

    /// The tree id ([`TREE_ID`]).
    pub fn tree_id(&self) -> u64 {
        TREE_ID
    }

    /// The checkpoint origin line: `127.0.0.1 - 1193050959916656506`.
    pub fn origin(&self) -> String {
        origin()
    }

    /// A `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json;version=0.1`) whose
    /// only transparency log is this one (valid from 2020-01-01), with no CAs, CT logs or TSAs.
    pub fn trusted_root_json(&self) -> String {
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": self.url(),
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": STANDARD.encode(&self.shared.spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {"keyId": STANDARD.encode(self.shared.log_id)},
            }],
            "certificateAuthorities": [],
            "ctlogs": [],
            "timestampAuthorities": [],
        });
        serde_json::to_string_pretty(&root).unwrap_or_default()
    }

    /// Writes [`RekorLog::trusted_root_json`] to `dir/trusted_root.json` and returns the path.
    pub fn write_trusted_root(&self, dir: &Path) -> PathBuf {
        let path = dir.join("trusted_root.json");
        std::fs::write(&path, self.trusted_root_json()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }

    /// How many entries the log holds.
    pub fn tree_size(&self) -> u64 {
        self.shared.log().tree.size()
    }

    /// The stored (canonical) body of the entry at `index`. Panics when there is none.
    pub fn entry_body(&self, index: u64) -> Vec<u8> {
        let log = self.shared.log();
        let entry = usize::try_from(index).ok().and_then(|i| log.entries.get(i));
        entry
            .unwrap_or_else(|| panic!("no log entry at index {index} (size {})", log.entries.len()))
            .canonical
            .body
            .clone()
    }

    /// Installs a fault and returns its id. Faults are tried in the order installed; the first that matches
    /// (and has uses left) applies.
    pub fn add_fault(&self, fault: LogFault) -> usize {
        let mut c = self.shared.control();
        c.faults.push((fault, 0));
        c.faults.len() - 1
    }

    /// Removes every fault (their ids are not reused: [`RekorLog::hits`] answers 0 for them afterwards).
    pub fn clear_faults(&self) {
        let mut c = self.shared.control();
        for f in &mut c.faults {
            f.0.times = Some(0);
            f.1 = 0;
        }
    }

    /// How many requests the fault `rule` applied to.
    pub fn hits(&self, rule: usize) -> usize {
        self.shared.control().faults.get(rule).map_or(0, |f| f.1)
    }

    /// How many requests with `method` (`"*"` for any) whose target (path and query) starts with
    /// `path_prefix` the log received (counted on arrival, faulted or not).
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        self.shared
            .control()
            .seen
            .iter()
            .filter(|(m, t)| (method == "*" || m.eq_ignore_ascii_case(method)) && t.starts_with(path_prefix))
            .count()
    }

    /// Every request received so far, as `METHOD TARGET` lines (for assertion messages).
    pub fn requests_text(&self) -> String {
        self.shared
            .control()
            .seen
            .iter()
            .map(|(m, t)| format!("{m} {t}\n"))
            .collect()
    }
}
