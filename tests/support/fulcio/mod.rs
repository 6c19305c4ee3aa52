//! A Fulcio v2 compatible certificate authority for tests (std threads only), with its own OIDC issuer.
//!
//! At start it makes a self-signed P-256 root, an intermediate CA under it (pathLen 0), and an OIDC issuer
//! key. Tests mint identity tokens with [`FulcioCa::mint_token`] (ES256 JWTs). `POST /api/v2/signingCert`
//! checks the token (in `credentials.oidcIdentityToken`, else in an `Authorization: Bearer` header): its
//! signature against the issuer key, its `exp` and its audience `sigstore` (else 401), then the proof of
//! possession, either the submitted key's SHA-256 signature over the token's `email` (else `sub`) or, for a
//! `certificateSigningRequest` (base64 PEM PKCS#10, as sigstore-python sends), the request's own signature
//! (else 400), and issues a leaf: a random serial, valid from 1 s ago for 10 minutes, an empty subject, the
//! SAN (rfc822Name = `email`, or URI = `sub` when the token has no email), keyUsage digitalSignature
//! (critical), extendedKeyUsage codeSigning, the key identifiers, and the Fulcio issuer extensions
//! 1.3.6.1.4.1.57264.1.1 and .8, signed by the intermediate. Refusals carry `{"code":..,"message":..}`.
//!
//! The CA also runs a CT log (a P-256 key, [`FulcioCa::start`]): every leaf embeds one RFC 6962 SCT
//! (extension 1.3.6.1.4.1.11129.2.4.2, appended last) signed over the leaf's TBSCertificate without that
//! extension, and the trusted root lists the log. [`FulcioCa::start_without_ct`] makes a CA whose leaves carry
//! **no SCT**. The answer is always `signedCertificateEmbeddedSct` with the chain leaf, intermediate, root.
//! `GET /api/v2/trustBundle` answers the intermediate and the root.
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
mod jwt;
#[cfg(test)]
mod tests;

use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::{HashAlgorithm, PrivateKey, PublicKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use self::cert::{CtLog, Profile};
use crate::http::{self, ReadError, Request, Response};
use crate::rekor::RekorLog;
use crate::server::Server;

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
    ct: Option<CtLog>,
    stop: Arc<AtomicBool>,
    issued: AtomicU64,
}

/// A running test certificate authority. Stops when dropped.
pub struct FulcioCa {
    shared: Arc<Shared>,
    _server: Server,
}

impl FulcioCa {
    /// Starts a CA with fresh root, intermediate, issuer and CT log keys on 127.0.0.1 with a free port: its
    /// leaves carry an SCT from the CT log, which [`FulcioCa::trusted_root_json`] lists.
    pub fn start() -> FulcioCa {
        Self::start_with(true)
    }

    /// Starts a CA like [`FulcioCa::start`] but without a CT log: its leaves carry no SCT and the trusted root
    /// lists no CT log.
    pub fn start_without_ct() -> FulcioCa {
        Self::start_with(false)
    }

    fn start_with(ct: bool) -> FulcioCa {
        let now = unix_now();
        let root_key = PrivateKey::generate_p256().expect("generating the root key");
        let intermediate_key = PrivateKey::generate_p256().expect("generating the intermediate key");
        let issuer_key = PrivateKey::generate_p256().expect("generating the OIDC issuer key");
        let root_name = crate::der_writer::name(Some(ORGANIZATION), Some(ROOT_NAME));
        let intermediate_name = crate::der_writer::name(Some(ORGANIZATION), Some(INTERMEDIATE_NAME));
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
            None,
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
            None,
        );
        let mut server = Server::bind("fulcio");
        let shared = Arc::new(Shared {
            addr: server.addr().to_owned(),
            start: now,
            root_der,
            intermediate_der,
            intermediate_name,
            intermediate_key,
            issuer_public: issuer_key.public_key(),
            issuer_key,
            ct: ct.then(CtLog::generate),
            stop: server.stop_flag(),
            issued: AtomicU64::new(0),
        });
        let s = Arc::clone(&shared);
        server.run(move |stream| s.serve(stream));
        FulcioCa {
            shared,
            _server: server,
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

    /// The CT log's public key as SubjectPublicKeyInfo DER (`None` without a CT log).
    pub fn ct_log_spki(&self) -> Option<Vec<u8>> {
        self.shared.ct.as_ref().map(|ct| ct.spki.clone())
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
    /// the tlogs of `rekor`'s trusted root when given, the CA's CT log (P-256, valid from a year before start;
    /// none from [`FulcioCa::start_without_ct`]), and no TSAs.
    pub fn trusted_root_json(&self, rekor: Option<&RekorLog>) -> String {
        let tlogs = rekor
            .and_then(|r| serde_json::from_str::<Value>(&r.trusted_root_json()).ok())
            .and_then(|v| v.get("tlogs").cloned())
            .unwrap_or_else(|| json!([]));
        let ctlogs: Vec<Value> = self
            .shared
            .ct
            .iter()
            .map(|ct| {
                json!({
                    "baseUrl": format!("{}/ct", self.url()),
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": STANDARD.encode(&ct.spki),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": hsign_core::rfc3339::format(self.shared.start - YEAR)},
                    },
                    "logId": {"keyId": STANDARD.encode(ct.log_id)},
                })
            })
            .collect();
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
            "ctlogs": ctlogs,
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

/// How the request names the key to certify and proves its possession.
enum KeyRequest {
    /// `publicKeyRequest`: a PEM public key and its signature over the SHA-256 of the token's subject.
    Proof { key_pem: String, proof: String },
    /// `certificateSigningRequest`: a base64 PEM PKCS#10 request, self-signed by the key.
    Csr(String),
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
            ("POST", "/api/v2/signingCert") => self.signing_cert(req).unwrap_or_else(|e| e),
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
    fn signing_cert(&self, req: &Request) -> Result<Response, Response> {
        let bad = |m: String| Response::error(400, m);
        let unauthenticated = |m: String| Response::error(401, m);
        let request: Value =
            serde_json::from_slice(&req.body).map_err(|e| bad(format!("request body is not a JSON object: {e}")))?;
        let field = |path: &[&str]| -> Result<String, Response> {
            let mut v = &request;
            for p in path {
                v = &v[*p];
            }
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("missing string field {}", path.join("."))))
        };
        let bearer = req
            .header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let token = match bearer {
            Some(t) if request["credentials"]["oidcIdentityToken"].is_null() => t,
            _ => field(&["credentials", "oidcIdentityToken"])?,
        };
        let key_request = match request["certificateSigningRequest"].as_str() {
            Some(csr) => KeyRequest::Csr(csr.to_owned()),
            None => KeyRequest::Proof {
                key_pem: field(&["publicKeyRequest", "publicKey", "content"])?,
                proof: field(&["publicKeyRequest", "proofOfPossession"])?,
            },
        };

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

        let public = match key_request {
            KeyRequest::Proof { key_pem, proof } => {
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
                public
            }
            KeyRequest::Csr(csr) => {
                let pem = STANDARD
                    .decode(csr.trim())
                    .map_err(|e| bad(format!("certificateSigningRequest is not base64: {e}")))?;
                cert::csr_public_key(&pem).map_err(|e| bad(format!("certificateSigningRequest: {e}")))?
            }
        };

        let lifetime = i64::try_from(LEAF_LIFETIME.as_secs()).unwrap_or(600);
        let san = email.ok_or(sub);
        let leaf = cert::issue(
            &Profile {
                subject: crate::der_writer::name(None, None),
                validity: (now - 1, now + lifetime),
                ca: None,
                identity: Some((san, issuer)),
            },
            &public,
            &self.intermediate_name,
            &self.intermediate_key,
            self.ct.as_ref(),
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
