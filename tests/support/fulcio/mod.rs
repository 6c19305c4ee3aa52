//! A Fulcio v2 compatible certificate authority for tests (std threads only), with its own OIDC issuer.
//!
//! At start it makes a self-signed P-256 root, an intermediate CA under it (pathLen 0), and an OIDC issuer
//! key. Tests mint identity tokens with [`FulcioCa::mint_token`] (ES256 JWTs). `POST /api/v2/signingCert`
//! checks the token's signature against the issuer key, its `exp` and its audience `sigstore` (else 401),
//! then the proof of possession, the submitted key's SHA-256 signature over the token's `email` (else `sub`)
//! (else 400), and issues a leaf: a random serial, valid from 1 s ago for 10 minutes, an empty subject, the
//! SAN (rfc822Name = `email`, or URI = `sub` when the token has no email), keyUsage digitalSignature
//! (critical), extendedKeyUsage codeSigning, the key identifiers, and the Fulcio issuer extensions
//! 1.3.6.1.4.1.57264.1.1 and .8, signed by the intermediate. Refusals carry `{"code":..,"message":..}`.
//!
//! The leaf carries **no SCT** (there is no CT log), and the answer is always `signedCertificateEmbeddedSct`
//! with the chain leaf, intermediate, root. `GET /api/v2/trustBundle` answers the intermediate and the root.
//! Dropping the [`FulcioCa`] stops it: the listener closes, open sockets are shut down and every thread is
//! joined.
//!
//! ```no_run
//! # use hsign_e2e::fulcio::FulcioCa;
//! # use std::time::Duration;
//! let ca = FulcioCa::start();
//! let token = ca.mint_token("dev@example.com", "https://issuer.example", Duration::from_secs(300));
//! let root = ca.trusted_root_json(None);
//! // ... run hsign with --fulcio-url ca.url(), --identity-token token and the trusted root ...
//! ```

mod cert;
#[allow(dead_code, unreachable_pub, clippy::duplicate_mod)]
#[path = "../rekor/http.rs"]
mod http;
mod jwt;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::{HashAlgorithm, PrivateKey, PublicKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use self::cert::Profile;
use self::http::{ReadError, Request, Response};
use crate::rekor::RekorLog;

/// The organization of the CA certificates.
pub const ORGANIZATION: &str = "hsign-test";
/// The common name of the root certificate.
pub const ROOT_NAME: &str = "hsign-test-fulcio-root";
/// The common name of the intermediate certificate.
pub const INTERMEDIATE_NAME: &str = "hsign-test-fulcio-intermediate";
/// How long an issued leaf certificate is valid.
pub const LEAF_LIFETIME: Duration = Duration::from_secs(600);
/// The audience tokens must carry.
pub const AUDIENCE: &str = "sigstore";

/// Per-connection read and write timeout.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long before start the CA certificates (and the trusted root's `validFor`) begin.
const YEAR: i64 = 365 * 86_400;

struct Shared {
    addr: String,
    start: i64,
    root_der: Vec<u8>,
    intermediate_der: Vec<u8>,
    intermediate_name: Vec<u8>,
    intermediate_key: PrivateKey,
    issuer_key: PrivateKey,
    issuer_public: PublicKey,
    stop: AtomicBool,
    next_socket: AtomicU64,
    issued: AtomicU64,
    control: Mutex<Control>,
}

#[derive(Default)]
struct Control {
    open: HashMap<u64, TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl Shared {
    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running test certificate authority. Stops when dropped.
pub struct FulcioCa {
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl FulcioCa {
    /// Starts a CA with fresh root, intermediate and issuer keys on 127.0.0.1 with a free port.
    pub fn start() -> FulcioCa {
        let now = unix_now();
        let root_key = PrivateKey::generate_p256().expect("generating the root key");
        let intermediate_key = PrivateKey::generate_p256().expect("generating the intermediate key");
        let issuer_key = PrivateKey::generate_p256().expect("generating the OIDC issuer key");
        let root_name = cert::name(Some(ORGANIZATION), Some(ROOT_NAME));
        let intermediate_name = cert::name(Some(ORGANIZATION), Some(INTERMEDIATE_NAME));
        let validity = (now - YEAR - 86_400, now + 10 * YEAR);
        let root_der = cert::issue(
            &Profile {
                subject: root_name.clone(),
                validity,
                ca: Some(None),
                identity: None,
            },
            &root_key.public_key(),
            &root_name,
            &root_key,
        );
        let intermediate_der = cert::issue(
            &Profile {
                subject: intermediate_name.clone(),
                validity,
                ca: Some(Some(0)),
                identity: None,
            },
            &intermediate_key.public_key(),
            &root_name,
            &root_key,
        );
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the CA to 127.0.0.1:0");
        let port = listener.local_addr().expect("CA address").port();
        let shared = Arc::new(Shared {
            addr: format!("127.0.0.1:{port}"),
            start: now,
            root_der,
            intermediate_der,
            intermediate_name,
            intermediate_key,
            issuer_public: issuer_key.public_key(),
            issuer_key,
            stop: AtomicBool::new(false),
            next_socket: AtomicU64::new(0),
            issued: AtomicU64::new(0),
            control: Mutex::new(Control::default()),
        });
        let s = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name(format!("fulcio-{port}"))
            .spawn(move || accept_loop(&listener, &s))
            .expect("spawning the CA thread");
        FulcioCa {
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> Vec<u8> {
        self.shared.root_der.clone()
    }

    /// The intermediate certificate, DER.
    pub fn intermediate_der(&self) -> Vec<u8> {
        self.shared.intermediate_der.clone()
    }

    /// The OIDC issuer's public key (tokens are ES256 JWTs signed with its private key).
    pub fn issuer_public_key(&self) -> PublicKey {
        self.shared.issuer_public.clone()
    }

    /// How many certificates the CA issued.
    pub fn issued(&self) -> u64 {
        self.shared.issued.load(Ordering::SeqCst)
    }

    /// An identity token for `subject_email` from `issuer_url`, audience `sigstore`, valid for `lifetime`:
    /// claims `iss`, `sub` (= the email), `email`, `email_verified`, `aud`, `iat`, `exp`.
    pub fn mint_token(&self, subject_email: &str, issuer_url: &str, lifetime: Duration) -> String {
        let now = unix_now();
        self.mint_claims(&json!({
            "iss": issuer_url,
            "sub": subject_email,
            "email": subject_email,
            "email_verified": true,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2),
        }))
    }

    /// A token carrying exactly `claims`, signed by the issuer key (for tokens without an email, expired
    /// tokens, other audiences).
    pub fn mint_claims(&self, claims: &Value) -> String {
        jwt::sign(&self.shared.issuer_key, claims)
    }

    /// A `trusted_root.json` (media type `application/vnd.dev.sigstore.trustedroot+json;version=0.1`) with
    /// this CA as its certificate authority (chain intermediate then root, valid from a year before start),
    /// the tlogs of `rekor`'s trusted root when given, and no CT logs or TSAs.
    pub fn trusted_root_json(&self, rekor: Option<&RekorLog>) -> String {
        let tlogs = rekor
            .and_then(|r| serde_json::from_str::<Value>(&r.trusted_root_json()).ok())
            .and_then(|v| v.get("tlogs").cloned())
            .unwrap_or_else(|| json!([]));
        let root = json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": tlogs,
            "certificateAuthorities": [{
                "subject": {"organization": ORGANIZATION, "commonName": INTERMEDIATE_NAME},
                "uri": self.url(),
                "certChain": {"certificates": [
                    {"rawBytes": STANDARD.encode(&self.shared.intermediate_der)},
                    {"rawBytes": STANDARD.encode(&self.shared.root_der)},
                ]},
                "validFor": {"start": hsign_core::rfc3339::format(self.shared.start - YEAR)},
            }],
            "ctlogs": [],
            "timestampAuthorities": [],
        });
        serde_json::to_string_pretty(&root).unwrap_or_default()
    }

    /// Writes [`FulcioCa::trusted_root_json`] to `dir/trusted_root.json` and returns the path.
    pub fn write_trusted_root(&self, dir: &std::path::Path, rekor: Option<&RekorLog>) -> std::path::PathBuf {
        let path = dir.join("trusted_root.json");
        std::fs::write(&path, self.trusted_root_json(rekor)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for FulcioCa {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(&self.shared.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let (open, threads) = {
            let mut c = self.shared.control();
            (std::mem::take(&mut c.open), std::mem::take(&mut c.threads))
        };
        for s in open.values() {
            let _ = s.shutdown(Shutdown::Both);
        }
        for t in threads {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = conn else { continue };
        let s = Arc::clone(shared);
        let handle = std::thread::spawn(move || {
            let id = s.next_socket.fetch_add(1, Ordering::Relaxed);
            if let Ok(clone) = stream.try_clone() {
                s.control().open.insert(id, clone);
            }
            s.serve(stream);
            s.control().open.remove(&id);
        });
        let mut c = shared.control();
        c.threads.retain(|t| !t.is_finished());
        c.threads.push(handle);
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
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
        match (req.method.as_str(), req.path()) {
            ("POST", "/api/v2/signingCert") => self.signing_cert(&req.body).unwrap_or_else(|e| e),
            ("GET", "/api/v2/trustBundle") => Response::json(
                200,
                &json!({"chains": [{"certificates": [self.pem(&self.intermediate_der), self.pem(&self.root_der)]}]}),
            ),
            (_, "/api/v2/signingCert" | "/api/v2/trustBundle") => Response::error(405, "method not allowed"),
            _ => Response::error(404, format!("no such endpoint: {}", req.path())),
        }
    }

    fn pem(&self, der: &[u8]) -> String {
        hsign_keys::pem::encode("CERTIFICATE", der)
    }

    /// `POST /api/v2/signingCert`: the checks of the module documentation, then the leaf.
    fn signing_cert(&self, body: &[u8]) -> Result<Response, Response> {
        let bad = |m: String| Response::error(400, m);
        let unauthenticated = |m: String| Response::error(401, m);
        let request: Value =
            serde_json::from_slice(body).map_err(|e| bad(format!("request body is not a JSON object: {e}")))?;
        let field = |path: &[&str]| -> Result<String, Response> {
            let mut v = &request;
            for p in path {
                v = &v[*p];
            }
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("missing string field {}", path.join("."))))
        };
        let token = field(&["credentials", "oidcIdentityToken"])?;
        let key_pem = field(&["publicKeyRequest", "publicKey", "content"])?;
        let proof = field(&["publicKeyRequest", "proofOfPossession"])?;

        let claims = jwt::verify(&self.issuer_public, token.trim())
            .map_err(|e| unauthenticated(format!("error processing the identity token: {e}")))?;
        let now = unix_now();
        let exp = claims["exp"]
            .as_i64()
            .ok_or_else(|| unauthenticated("the identity token has no numeric exp claim".into()))?;
        if exp < now {
            return Err(unauthenticated(format!(
                "the identity token expired at {exp} (now {now})"
            )));
        }
        let audience_ok = match &claims["aud"] {
            Value::String(a) => a == AUDIENCE,
            Value::Array(list) => list.iter().any(|a| a == AUDIENCE),
            _ => false,
        };
        if !audience_ok {
            return Err(unauthenticated(format!(
                "the identity token's audience {} does not include {AUDIENCE}",
                claims["aud"]
            )));
        }
        let issuer = claims["iss"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthenticated("the identity token has no iss claim".into()))?;
        let sub = claims["sub"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthenticated("the identity token has no sub claim".into()))?;
        let email = claims["email"].as_str().filter(|s| !s.is_empty());

        let public = PublicKey::from_pem_or_der(key_pem.as_bytes()).map_err(|e| {
            bad(format!(
                "publicKeyRequest.publicKey.content is not a PEM public key: {e}"
            ))
        })?;
        let proof = STANDARD
            .decode(proof.trim())
            .map_err(|e| bad(format!("proofOfPossession is not base64: {e}")))?;
        let subject = email.unwrap_or(sub);
        public
            .verify_digest(HashAlgorithm::Sha256, &Sha256::digest(subject.as_bytes()), &proof)
            .map_err(|_| {
                bad(format!(
                    "the proof of possession does not verify over the subject {subject:?}"
                ))
            })?;

        let lifetime = i64::try_from(LEAF_LIFETIME.as_secs()).unwrap_or(600);
        let san = email.ok_or(sub);
        let leaf = cert::issue(
            &Profile {
                subject: cert::name(None, None),
                validity: (now - 1, now + lifetime),
                ca: None,
                identity: Some((san, issuer)),
            },
            &public,
            &self.intermediate_name,
            &self.intermediate_key,
        );
        self.issued.fetch_add(1, Ordering::SeqCst);
        let chain = [
            self.pem(&leaf),
            self.pem(&self.intermediate_der),
            self.pem(&self.root_der),
        ];
        Ok(Response::json(
            201,
            &json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}),
        ))
    }
}
