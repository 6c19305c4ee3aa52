//! An RFC 3161 timestamping authority for tests (std threads only).
//!
//! At start it makes a self-signed P-256 root CA and, under it, the TSA's signing certificate (P-256,
//! keyUsage digitalSignature, extendedKeyUsage timeStamping, both critical; valid from a day back to a year
//! ahead). It listens on 127.0.0.1 with a free port, one thread per connection, and answers
//! `POST /api/v1/timestamp` (a DER `TimeStampReq`, `application/timestamp-query`) with a DER `TimeStampResp`
//! (`application/timestamp-reply`): status granted, and a TimeStampToken whose TSTInfo echoes the message
//! imprint and the nonce, with a genTime to the millisecond (`20261123123456.123Z`), signed over signed
//! attributes (contentType, signingTime, messageDigest, signingCertificateV2) with ECDSA P-256 SHA-256. The
//! signing certificate is embedded only when the request asks for it (certReq). A request that is not a
//! `TimeStampReq` gets a granted-less answer (status rejection); [`Tsa::fail_next`] makes the next requests
//! answer 500. Dropping the [`Tsa`] stops it.
//!
//! ```no_run
//! # use hsign_e2e::{fulcio::FulcioCa, tsa::Tsa};
//! let ca = FulcioCa::start();
//! let tsa = Tsa::start();
//! let root = tsa.add_to_trusted_root(&ca.trusted_root_json(None));
//! // ... sign with --timestamp-server-url tsa.url(), verify with the trusted root `root` ...
//! ```

#[cfg(test)]
mod tests;
mod token;

use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::PrivateKey;
use serde_json::{Value, json};

pub use self::token::POLICY;
use crate::http::{self, ReadError, Request, Response};
use crate::server::Server;

/// The organization of the TSA certificates.
pub const ORGANIZATION: &str = "hsign-test";
/// The common name of the TSA root.
pub const ROOT_NAME: &str = "hsign-test-tsa-root";
/// The common name of the TSA signing certificate.
pub const SIGNER_NAME: &str = "hsign-test-tsa";
/// The path the TSA answers on.
pub const PATH: &str = "/api/v1/timestamp";

/// Per-connection read and write timeout.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
const DAY: i64 = 86_400;

struct Shared {
    addr: String,
    start: i64,
    key: PrivateKey,
    root_der: Vec<u8>,
    cert_der: Vec<u8>,
    cert_serial: Vec<u8>,
    root_name: Vec<u8>,
    stop: Arc<AtomicBool>,
    next_serial: AtomicU64,
    fail: AtomicUsize,
    requests: AtomicUsize,
}

/// A running test timestamping authority. Stops when dropped.
pub struct Tsa {
    shared: Arc<Shared>,
    _server: Server,
}

impl Tsa {
    /// Starts a TSA with a fresh root and signing key on 127.0.0.1 with a free port.
    pub fn start() -> Tsa {
        let now = unix_now();
        let root_key = PrivateKey::generate_p256().expect("generating the TSA root key");
        let key = PrivateKey::generate_p256().expect("generating the TSA signing key");
        let root_name = crate::der_writer::name(Some(ORGANIZATION), Some(ROOT_NAME));
        let signer_name = crate::der_writer::name(Some(ORGANIZATION), Some(SIGNER_NAME));
        let root_der = token::issue(
            &token::CertSpec {
                serial: &random_serial(),
                subject: &root_name,
                issuer: &root_name,
                validity: (now - DAY, now + 10 * 365 * DAY),
                ca: true,
            },
            &root_key.public_key(),
            &root_key,
        );
        let cert_serial = random_serial();
        let cert_der = token::issue(
            &token::CertSpec {
                serial: &cert_serial,
                subject: &signer_name,
                issuer: &root_name,
                validity: (now - DAY, now + 365 * DAY),
                ca: false,
            },
            &key.public_key(),
            &root_key,
        );
        let mut server = Server::bind("tsa");
        let shared = Arc::new(Shared {
            addr: server.addr().to_owned(),
            start: now,
            key,
            root_der,
            cert_der,
            cert_serial,
            root_name,
            stop: server.stop_flag(),
            next_serial: AtomicU64::new(1),
            fail: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
        });
        let s = Arc::clone(&shared);
        server.run(move |stream| s.serve(stream));
        Tsa {
            shared,
            _server: server,
        }
    }

    /// The endpoint to post requests to: `http://127.0.0.1:PORT/api/v1/timestamp`.
    pub fn url(&self) -> String {
        format!("http://{}{PATH}", self.shared.addr)
    }

    /// The root CA certificate (DER).
    pub fn root_der(&self) -> Vec<u8> {
        self.shared.root_der.clone()
    }

    /// The TSA signing certificate (DER).
    pub fn cert_der(&self) -> Vec<u8> {
        self.shared.cert_der.clone()
    }

    /// The next `n` requests are answered 500 (and not timestamped).
    pub fn fail_next(&self, n: usize) {
        self.shared.fail.store(n, Ordering::SeqCst);
    }

    /// How many requests reached the TSA (failed ones included).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The answer to a DER `TimeStampReq`, without HTTP: a granted `TimeStampResp`, or `Err` with why the
    /// request is refused.
    pub fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, String> {
        self.shared.respond(request_der)
    }

    /// The `timestampAuthorities` entry of a trusted root for this TSA: certChain [signing certificate, root],
    /// validFor from a day back.
    pub fn trusted_root_fragment(&self) -> Value {
        json!({
            "subject": {"organization": ORGANIZATION, "commonName": SIGNER_NAME},
            "uri": self.url(),
            "certChain": {"certificates": [
                {"rawBytes": STANDARD.encode(&self.shared.cert_der)},
                {"rawBytes": STANDARD.encode(&self.shared.root_der)},
            ]},
            "validFor": {"start": hsign_core::rfc3339::format(self.shared.start - DAY)},
        })
    }

    /// `trusted_root_json` (as `FulcioCa::trusted_root_json` or `RekorLog::trusted_root_json` write it) with
    /// this TSA appended to its `timestampAuthorities`.
    pub fn add_to_trusted_root(&self, trusted_root_json: &str) -> String {
        let mut root: Value = serde_json::from_str(trusted_root_json).expect("a trusted_root.json document");
        let fragment = self.trusted_root_fragment();
        match root.get_mut("timestampAuthorities").and_then(Value::as_array_mut) {
            Some(list) => list.push(fragment),
            None => root["timestampAuthorities"] = json!([fragment]),
        }
        serde_json::to_string_pretty(&root).unwrap_or_default()
    }

    /// Writes [`Tsa::add_to_trusted_root`] of `trusted_root_json` to `dir/trusted_root.json`; returns the path.
    pub fn write_trusted_root(&self, dir: &Path, trusted_root_json: &str) -> PathBuf {
        let path = dir.join("trusted_root.json");
        std::fs::write(&path, self.add_to_trusted_root(trusted_root_json))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A fresh positive 16-byte serial number.
fn random_serial() -> Vec<u8> {
    let key = PrivateKey::generate_p256().expect("a random key");
    let mut serial = hsign_keys::HashAlgorithm::Sha256.digest(&key.public_key().to_spki_der())[..16].to_vec();
    serial[0] = (serial[0] & 0x7f) | 0x01;
    serial
}

impl Shared {
    fn serve(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        let resp = match http::read_request(&mut stream) {
            Ok(req) => self.handle(&req),
            Err(ReadError::Io) => return,
            Err(ReadError::Bad(m)) => Response::error(400, m),
        };
        if self.stop.load(Ordering::SeqCst) {
            return;
        }
        let _ = std::io::Write::write_all(&mut stream, &resp.to_bytes());
        let _ = stream.shutdown(Shutdown::Both);
    }

    fn handle(&self, req: &Request) -> Response {
        if req.path() != PATH {
            return Response::error(404, format!("no such endpoint: {}", req.path()));
        }
        if req.method != "POST" {
            return Response::error(405, "method not allowed");
        }
        self.requests.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Response::error(500, "injected failure");
        }
        let body = match self.respond(&req.body) {
            Ok(resp) => resp,
            Err(reason) => token::rejection(&reason),
        };
        Response {
            status: 200,
            content_type: "application/timestamp-reply",
            headers: Vec::new(),
            body,
        }
    }

    fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, String> {
        let request = token::parse_request(request_der)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let signer = token::Signer {
            key: &self.key,
            cert: &self.cert_der,
            serial: &self.cert_serial,
            issuer: &self.root_name,
        };
        let serial = self.next_serial.fetch_add(1, Ordering::Relaxed);
        let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        Ok(token::response(&signer, &request, serial, secs, now.subsec_millis()))
    }
}
