//! A small OCI distribution client: manifests, blobs, tags and the referrers API, with the anonymous and
//! credentialed bearer-token flow and basic auth, bounded retries with backoff on 429, 5xx and dropped
//! connections, and a digest check on everything fetched. It counts its requests, so benchmarks and tests
//! can hold it to a budget.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;

use super::auth::{self, Credential};
use super::error::RegistryError;
use super::manifest::{self, Index, OCI_INDEX, sha256_digest};
use super::reference::ImageRef;
use crate::limits::MAX_DOCUMENT_BYTES;

/// Largest manifest or index accepted (containers/image's limit).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// How the client reaches registries.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Use plain HTTP (`--allow-http-registry`).
    pub allow_http: bool,
    /// Skip TLS verification, and fall back to plain HTTP when TLS fails (`--allow-insecure-registry`).
    pub allow_insecure: bool,
    /// Attempts per request for retryable failures (429, 5xx, dropped connections).
    pub max_attempts: u32,
    /// First backoff; doubled on each retry.
    pub backoff: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            allow_http: false,
            allow_insecure: false,
            max_attempts: 4,
            backoff: Duration::from_millis(200),
            timeout: Duration::from_secs(60),
        }
    }
}

/// A manifest as fetched: its bytes, media type and (verified) digest.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The media type (from the document, else the Content-Type header).
    pub media_type: String,
    /// `sha256:<hex>` of the bytes.
    pub digest: String,
}

/// What a HEAD of a manifest tells.
#[derive(Clone, Debug)]
pub struct ManifestInfo {
    /// Digest.
    pub digest: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
}

/// The registry client. Shareable across threads.
pub struct Client {
    agent: ureq::Agent,
    insecure_agent: Option<ureq::Agent>,
    opts: ClientOptions,
    requests: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Bearer tokens by (registry, repository, push).
    tokens: HashMap<(String, String, bool), String>,
    /// Registries that asked for basic auth.
    basic: HashMap<String, bool>,
    /// Credentials looked up, by registry.
    credentials: HashMap<String, Option<Credential>>,
    /// Scheme chosen per registry.
    scheme: HashMap<String, &'static str>,
    /// Registries seen to have no referrers API (asked once per process).
    no_referrers_api: std::collections::HashSet<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Head,
    Put,
    Post,
    Patch,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Put => "PUT",
            Self::Post => "POST",
            Self::Patch => "PATCH",
        }
    }
}

/// One request: built with [`Request::new`] and the setters, sent with `Client::send`.
struct Request<'a> {
    method: Method,
    registry: &'a str,
    repository: &'a str,
    /// Path and query, or an absolute URL (upload locations).
    target: String,
    accept: Option<&'a str>,
    content_type: Option<&'a str>,
    body: Option<&'a [u8]>,
    push: bool,
    limit: u64,
    what: String,
    /// `Content-Range` of a chunk upload (PATCH).
    content_range: Option<String>,
    /// Hand a 200 response's body to the caller unread (blob streaming), with no overall timeout.
    stream: bool,
}

/// Why a request produced no usable response.
enum Failure {
    /// Retryable: the connection failed or broke.
    Transport(String),
    /// Final: the body is larger than accepted.
    TooLarge,
    /// Final: plain HTTP was needed but not allowed.
    Refused,
}

impl<'a> Request<'a> {
    /// A request for `target` in `image`'s repository, described as `what` in errors. Reads, no body, no limit.
    fn new(method: Method, image: &'a ImageRef, target: String, what: String) -> Self {
        Self {
            method,
            registry: &image.registry,
            repository: &image.repository,
            target,
            accept: None,
            content_type: None,
            body: None,
            push: false,
            limit: 0,
            what,
            content_range: None,
            stream: false,
        }
    }

    fn accept(mut self, accept: &'a str) -> Self {
        self.accept = Some(accept);
        self
    }

    fn content_type(mut self, content_type: &'a str) -> Self {
        self.content_type = Some(content_type);
        self
    }

    fn body(mut self, body: &'a [u8]) -> Self {
        self.body = Some(body);
        self
    }

    /// Needs push access (the bearer token's scope).
    fn push(mut self) -> Self {
        self.push = true;
        self
    }

    /// The most body bytes read from the response.
    fn limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }
}

struct Response {
    status: u16,
    content_type: String,
    docker_digest: Option<String>,
    location: Option<String>,
    link: Option<String>,
    challenge: Option<String>,
    content_length: Option<i64>,
    body: Vec<u8>,
    /// The unread body of a streamed 200 response.
    reader: Option<ureq::BodyReader<'static>>,
    /// The URL asked (what a relative `Location` or `Link` resolves against).
    url: String,
}

impl Response {
    /// The `Location` header resolved against the URL asked (RFC 3986).
    fn location(&self) -> Option<String> {
        self.location.as_deref().map(|l| resolve_url(&self.url, l))
    }
}

impl Client {
    /// A client with `opts`.
    pub fn new(opts: ClientOptions) -> Self {
        let build = |insecure: bool| -> ureq::Agent {
            let mut cfg = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(5)
                .timeout_global(Some(opts.timeout))
                .timeout_connect(Some(Duration::from_secs(10)))
                .user_agent(concat!("hsign/", env!("CARGO_PKG_VERSION")));
            if insecure {
                cfg = cfg.tls_config(ureq::tls::TlsConfig::builder().disable_verification(true).build());
            }
            cfg.build().into()
        };
        Self {
            agent: build(false),
            insecure_agent: opts.allow_insecure.then(|| build(true)),
            opts,
            requests: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }

    /// How many HTTP requests this client has sent (including token requests and retries).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the caches inconsistent: recover the guard.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// HEAD of a manifest; `None` when the registry says it does not exist.
    pub fn head_manifest(&self, image: &ImageRef, reference: &str) -> Result<Option<ManifestInfo>, RegistryError> {
        let what = format!("manifest {}@{reference}", image.repository);
        let r = self.send(
            Request::new(
                Method::Head,
                image,
                format!("/v2/{}/manifests/{reference}", image.repository),
                what.clone(),
            )
            .accept(manifest::ACCEPT_ALL),
        )?;
        match r.status {
            200 => {
                let digest = match r.docker_digest {
                    Some(d) if super::reference::is_digest(&d) => d,
                    Some(d) => {
                        return Err(RegistryError::Malformed {
                            registry: image.registry.clone(),
                            what,
                            reason: format!("Docker-Content-Digest '{d}' is not a digest"),
                        });
                    }
                    // Some registries omit the header on HEAD: fetch the manifest to learn its digest.
                    None => {
                        return Ok(self.get_manifest(image, reference)?.map(|m| ManifestInfo {
                            size: m.bytes.len() as i64,
                            digest: m.digest,
                            media_type: m.media_type,
                        }));
                    }
                };
                if super::reference::is_digest(reference) && digest != reference {
                    return Err(RegistryError::DigestMismatch {
                        registry: image.registry.clone(),
                        what,
                        expected: reference.to_string(),
                        actual: digest,
                    });
                }
                Ok(Some(ManifestInfo {
                    digest,
                    media_type: r.content_type,
                    size: r.content_length.unwrap_or(0),
                }))
            }
            404 => Ok(None),
            s => Err(self.status_error(&image.registry, Method::Head, &what, s, &r.body)),
        }
    }

    /// GET of a manifest or index, with its digest checked; `None` when it does not exist.
    pub fn get_manifest(&self, image: &ImageRef, reference: &str) -> Result<Option<FetchedManifest>, RegistryError> {
        self.get_manifest_accepting(image, reference, manifest::ACCEPT_ALL)
    }

    fn get_manifest_accepting(
        &self,
        image: &ImageRef,
        reference: &str,
        accept: &str,
    ) -> Result<Option<FetchedManifest>, RegistryError> {
        let what = format!("manifest {}:{reference}", image.repository);
        let r = self.send(
            Request::new(
                Method::Get,
                image,
                format!("/v2/{}/manifests/{reference}", image.repository),
                what.clone(),
            )
            .accept(accept)
            .limit(MAX_MANIFEST_BYTES),
        )?;
        match r.status {
            200 => {}
            404 => return Ok(None),
            s => return Err(self.status_error(&image.registry, Method::Get, &what, s, &r.body)),
        }
        let digest = sha256_digest(&r.body);
        let expected = if super::reference::is_digest(reference) {
            Some(reference.to_string())
        } else {
            r.docker_digest
        };
        if let Some(expected) = expected {
            check_digest(&image.registry, &what, &expected, &r.body)?;
        }
        #[derive(serde::Deserialize)]
        struct MediaTypeOnly {
            #[serde(default, rename = "mediaType")]
            media_type: Option<String>,
        }
        let declared = serde_json::from_slice::<MediaTypeOnly>(&r.body)
            .map_err(|e| RegistryError::Malformed {
                registry: image.registry.clone(),
                what: what.clone(),
                reason: format!("not JSON: {e}"),
            })?
            .media_type;
        let media_type = declared.unwrap_or(r.content_type);
        Ok(Some(FetchedManifest {
            bytes: r.body,
            media_type,
            digest,
        }))
    }

    /// PUT of a manifest under a tag or digest; returns its digest.
    pub fn put_manifest(
        &self,
        image: &ImageRef,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String, RegistryError> {
        let what = format!("manifest {}:{reference}", image.repository);
        let r = self.send(
            Request::new(
                Method::Put,
                image,
                format!("/v2/{}/manifests/{reference}", image.repository),
                what.clone(),
            )
            .content_type(media_type)
            .body(bytes)
            .push()
            .limit(64 * 1024),
        )?;
        match r.status {
            200..=202 => Ok(sha256_digest(bytes)),
            s => Err(self.status_error(&image.registry, Method::Put, &what, s, &r.body)),
        }
    }

    /// GET of a blob, with its digest checked and its size bounded by `limit`.
    pub fn get_blob(&self, image: &ImageRef, digest: &str, limit: u64) -> Result<Vec<u8>, RegistryError> {
        let what = format!("blob {}@{digest}", image.repository);
        let r = self.send(
            Request::new(
                Method::Get,
                image,
                format!("/v2/{}/blobs/{digest}", image.repository),
                what.clone(),
            )
            .limit(limit.min(MAX_DOCUMENT_BYTES)),
        )?;
        if r.status != 200 {
            return Err(self.status_error(&image.registry, Method::Get, &what, r.status, &r.body));
        }
        check_digest(&image.registry, &what, digest, &r.body)?;
        Ok(r.body)
    }

    /// Uploads a blob (monolithic), unless the registry already has it; returns its digest.
    pub fn put_blob(&self, image: &ImageRef, bytes: &[u8]) -> Result<String, RegistryError> {
        let digest = sha256_digest(bytes);
        // A HEAD that does not answer 200 (absent, or a registry that refuses HEAD) means "upload it"; a
        // failing registry fails the upload itself.
        if self.blob_exists(image, &digest).unwrap_or(false) {
            return Ok(digest);
        }
        self.upload_blob(image, &digest, bytes.len() as u64, &mut &bytes[..], None)?;
        Ok(digest)
    }

    /// The OCI 1.1 referrers of `digest`. `Ok(None)` means the registry has no referrers API (the caller
    /// then reads the tag-schema fallback); a throttled or failing listing is an error, never "none".
    pub fn referrers(&self, image: &ImageRef, digest: &str) -> Result<Option<Index>, RegistryError> {
        if self.state().no_referrers_api.contains(&image.registry) {
            return Ok(None);
        }
        let what = format!("referrers of {}@{digest}", image.repository);
        let r = self.send(
            Request::new(
                Method::Get,
                image,
                format!("/v2/{}/referrers/{digest}", image.repository),
                what.clone(),
            )
            .accept(OCI_INDEX)
            .limit(MAX_MANIFEST_BYTES),
        )?;
        match r.status {
            200 if r.content_type.starts_with(OCI_INDEX) => {
                let malformed = |reason: String| RegistryError::Malformed {
                    registry: image.registry.clone(),
                    what: what.clone(),
                    reason,
                };
                let mut index = Index::from_json(&r.body).map_err(|e| malformed(e.to_string()))?;
                // Follow `Link: <...>; rel="next"` pages, bounded.
                let mut next = r.link.as_deref().and_then(next_link).map(|l| resolve_url(&r.url, &l));
                let mut pages = 1;
                while let Some(target) = next.take() {
                    pages += 1;
                    if pages > MAX_REFERRER_PAGES {
                        return Err(malformed(format!("more than {MAX_REFERRER_PAGES} pages of referrers")));
                    }
                    let page = self.send(
                        Request::new(Method::Get, image, target, what.clone())
                            .accept(OCI_INDEX)
                            .limit(MAX_MANIFEST_BYTES),
                    )?;
                    if page.status != 200 {
                        return Err(self.status_error(&image.registry, Method::Get, &what, page.status, &page.body));
                    }
                    index.manifests.extend(
                        Index::from_json(&page.body)
                            .map_err(|e| malformed(e.to_string()))?
                            .manifests,
                    );
                    next = page
                        .link
                        .as_deref()
                        .and_then(next_link)
                        .map(|l| resolve_url(&page.url, &l));
                }
                Ok(Some(index))
            }
            // No referrers API: a plain 404 (distribution 2.8 answers "404 page not found"), or a 200 of
            // something that is not an index (as go-containerregistry treats it). A registry with the API
            // answers 200 with an (possibly empty) index, so this holds for the whole registry.
            200 | 404 | 400 | 405 => {
                self.state().no_referrers_api.insert(image.registry.clone());
                Ok(None)
            }
            s => Err(self.status_error(&image.registry, Method::Get, &what, s, &r.body)),
        }
    }

    fn status_error(&self, registry: &str, method: Method, what: &str, status: u16, body: &[u8]) -> RegistryError {
        let message = oci_error_message(body);
        match status {
            401 | 403 => RegistryError::Denied {
                registry: registry.into(),
                status,
                what: what.into(),
                message,
            },
            _ => RegistryError::Http {
                registry: registry.into(),
                method: method.name(),
                what: what.into(),
                status,
                message,
            },
        }
    }

    fn credential(&self, registry: &str) -> Option<Credential> {
        if let Some(c) = self.state().credentials.get(registry) {
            return c.clone();
        }
        let c = auth::lookup(registry);
        self.state().credentials.insert(registry.to_string(), c.clone());
        c
    }

    fn scheme(&self, registry: &str) -> &'static str {
        if self.opts.allow_http {
            return "http";
        }
        self.state().scheme.get(registry).copied().unwrap_or("https")
    }

    /// Sends a request with auth, retries and bounded body reads.
    fn send(&self, req: Request<'_>) -> Result<Response, RegistryError> {
        let mut attempt = 0u32;
        let mut authenticated_once = false;
        loop {
            attempt += 1;
            let scheme = self.scheme(req.registry);
            let origin = format!("{scheme}://{}/", req.registry);
            let url = resolve_url(&origin, &req.target);
            // Credentials are the registry's: an absolute URL elsewhere (an upload `Location` or a `Link`
            // naming another host, port or scheme) gets none.
            let own = same_origin(&url, &origin);
            let auth_header = if own { self.auth_header(&req) } else { None };
            match self.execute(&req, &url, auth_header.as_deref()) {
                Err(Failure::TooLarge) => {
                    return Err(RegistryError::TooLarge {
                        registry: req.registry.into(),
                        what: req.what,
                        limit: req.limit,
                    });
                }
                Err(Failure::Refused) => {
                    return Err(RegistryError::Refused {
                        registry: req.registry.into(),
                        reason: format!("{} needs plain HTTP, which is not allowed", req.what),
                    });
                }
                Err(Failure::Transport(reason)) => {
                    if own && scheme == "https" && self.opts.allow_insecure && attempt == 1 {
                        // --allow-insecure-registry: a registry that does not speak TLS gets plain HTTP.
                        self.state().scheme.insert(req.registry.to_string(), "http");
                        continue;
                    }
                    if attempt < self.opts.max_attempts {
                        self.backoff(attempt);
                        continue;
                    }
                    return Err(RegistryError::Transport {
                        registry: req.registry.into(),
                        what: format!("{} {}", req.method.name(), req.what),
                        reason: format!("{reason} (after {attempt} attempts)"),
                    });
                }
                Ok(r) if r.status == 401 && !authenticated_once && own => {
                    authenticated_once = true;
                    self.authenticate(&req, r.challenge.as_deref())?;
                    attempt -= 1;
                }
                Ok(r) if (r.status == 429 || r.status >= 500) && attempt < self.opts.max_attempts => {
                    self.backoff(attempt);
                }
                Ok(r) => return Ok(r),
            }
        }
    }

    fn backoff(&self, attempt: u32) {
        std::thread::sleep(super::backoff::exponential(self.opts.backoff, attempt));
    }

    fn auth_header(&self, req: &Request<'_>) -> Option<String> {
        let state = self.state();
        if let Some(t) = state
            .tokens
            .get(&(req.registry.to_string(), req.repository.to_string(), req.push))
            .or_else(|| {
                state
                    .tokens
                    .get(&(req.registry.to_string(), req.repository.to_string(), true))
            })
        {
            return Some(format!("Bearer {t}"));
        }
        if state.basic.contains_key(req.registry) {
            drop(state);
            if let Some(Credential::Basic { username, password }) = self.credential(req.registry) {
                let raw = format!("{username}:{password}");
                return Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ));
            }
        }
        None
    }

    fn authenticate(&self, req: &Request<'_>, challenge: Option<&str>) -> Result<(), RegistryError> {
        let denied = |message: &str| RegistryError::Denied {
            registry: req.registry.into(),
            status: 401,
            what: req.what.clone(),
            message: message.into(),
        };
        let challenge = challenge.ok_or_else(|| denied("401 without a WWW-Authenticate challenge"))?;
        let (scheme, params) = parse_challenge(challenge);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                if !matches!(self.credential(req.registry), Some(Credential::Basic { .. })) {
                    return Err(denied(
                        "the registry requires a login and no credentials were found (docker login)",
                    ));
                }
                self.state().basic.insert(req.registry.to_string(), true);
                Ok(())
            }
            "bearer" => {
                let realm = params
                    .get("realm")
                    .ok_or_else(|| denied("bearer challenge without a realm"))?;
                let action = if req.push { "pull,push" } else { "pull" };
                let scope = format!("repository:{}:{action}", req.repository);
                let mut query = vec![format!("scope={}", urlencode(&scope))];
                if let Some(service) = params.get("service") {
                    query.insert(0, format!("service={}", urlencode(service)));
                }
                let sep = if realm.contains('?') { '&' } else { '?' };
                let url = format!("{realm}{sep}{}", query.join("&"));
                let token = self.fetch_token(req.registry, &url)?;
                self.state()
                    .tokens
                    .insert((req.registry.to_string(), req.repository.to_string(), req.push), token);
                Ok(())
            }
            other => Err(denied(&format!("unsupported authentication scheme '{other}'"))),
        }
    }

    fn fetch_token(&self, registry: &str, url: &str) -> Result<String, RegistryError> {
        if url.starts_with("http://") && !self.opts.allow_http && !self.opts.allow_insecure {
            // Credentials would travel in clear text.
            return Err(RegistryError::Refused {
                registry: registry.into(),
                reason: format!("the token realm {url} is plain HTTP, which is not allowed"),
            });
        }
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(RegistryError::Malformed {
                registry: registry.into(),
                what: "authentication challenge".into(),
                reason: format!("realm '{url}' is not an http(s) URL"),
            });
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let agent = match (&self.insecure_agent, url.starts_with("https://")) {
            (Some(a), true) => a,
            _ => &self.agent,
        };
        let transport = |e: ureq::Error| RegistryError::Transport {
            registry: registry.into(),
            what: "token request".into(),
            reason: e.to_string(),
        };
        let resp = match self.credential(registry) {
            // docker's identity token is an OAuth2 refresh token: exchange it (POST, form-encoded).
            Some(Credential::IdentityToken(refresh)) => {
                let (base, query) = url.split_once('?').unwrap_or((url, ""));
                let mut form = format!(
                    "grant_type=refresh_token&client_id=hsign&refresh_token={}",
                    urlencode(&refresh)
                );
                if !query.is_empty() {
                    form.push('&');
                    form.push_str(query);
                }
                agent
                    .post(base)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(form.as_bytes())
                    .map_err(transport)?
            }
            Some(Credential::Basic { username, password }) => {
                let raw = format!("{username}:{password}");
                let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw));
                agent
                    .get(url)
                    .header("Authorization", header)
                    .call()
                    .map_err(transport)?
            }
            None => agent.get(url).call().map_err(transport)?,
        };
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .with_config()
            .limit(1024 * 1024)
            .read_to_vec()
            .map_err(transport)?;
        if status != 200 {
            return Err(RegistryError::Denied {
                registry: registry.into(),
                status,
                what: "token request".into(),
                message: oci_error_message(&body),
            });
        }
        #[derive(serde::Deserialize)]
        struct Token {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&body).map_err(|e| RegistryError::Malformed {
            registry: registry.into(),
            what: "token response".into(),
            reason: e.to_string(),
        })?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| RegistryError::Malformed {
                registry: registry.into(),
                what: "token response".into(),
                reason: "no token in the response".into(),
            })
    }

    fn execute(&self, req: &Request<'_>, url: &str, auth: Option<&str>) -> Result<Response, Failure> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let agent = match (&self.insecure_agent, url.starts_with("https://")) {
            (Some(a), true) => a,
            _ => &self.agent,
        };
        if url.starts_with("http://") && !self.opts.allow_http && !self.opts.allow_insecure {
            return Err(Failure::Refused);
        }
        macro_rules! headers {
            ($b:expr) => {{
                let mut b = $b;
                if let Some(a) = req.accept {
                    b = b.header("Accept", a);
                }
                if let Some(a) = auth {
                    b = b.header("Authorization", a);
                }
                if let Some(c) = req.content_type {
                    b = b.header("Content-Type", c);
                }
                if let Some(r) = &req.content_range {
                    b = b.header("Content-Range", r.as_str());
                }
                b
            }};
        }
        let result = match req.method {
            // A streamed blob may take longer than one request's timeout: bound each read instead.
            Method::Get if req.stream => headers!(agent.get(url))
                .config()
                .timeout_global(None)
                .timeout_per_read(Some(self.opts.timeout))
                .build()
                .call(),
            Method::Get => headers!(agent.get(url)).call(),
            Method::Head => headers!(agent.head(url)).call(),
            Method::Put => headers!(agent.put(url)).send(req.body.unwrap_or(&[])),
            Method::Post => headers!(agent.post(url)).send(req.body.unwrap_or(&[])),
            Method::Patch => headers!(agent.patch(url))
                .config()
                .timeout_global(None)
                .timeout_per_write(Some(self.opts.timeout))
                .timeout_recv_response(Some(self.opts.timeout))
                .build()
                .send(req.body.unwrap_or(&[])),
        };
        let resp = result.map_err(|e| Failure::Transport(e.to_string()))?;
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status().as_u16();
        let content_type = header("content-type").unwrap_or_default();
        let docker_digest = header("docker-content-digest");
        let location = header("location");
        let link = header("link");
        let challenge = header("www-authenticate");
        let content_length = header("content-length").and_then(|v| v.parse().ok());
        let mut response = Response {
            status,
            content_type,
            docker_digest,
            location,
            link,
            challenge,
            content_length,
            body: Vec::new(),
            reader: None,
            url: url.to_string(),
        };
        if req.stream && status == 200 {
            response.reader = Some(resp.into_body().into_reader());
            return Ok(response);
        }
        response.body = if req.method == Method::Head {
            Vec::new()
        } else {
            let limit = if status >= 400 { 64 * 1024 } else { req.limit.max(1) };
            // Sized from Content-Length when the registry sends it, so a large blob is not reallocated.
            let mut buf = Vec::with_capacity(
                content_length
                    .map(|n: i64| n.clamp(0, limit as i64) as usize)
                    .unwrap_or(0),
            );
            let mut reader = resp.into_body().into_with_config().limit(limit).reader();
            match std::io::Read::read_to_end(&mut reader, &mut buf) {
                Ok(_) => buf,
                Err(e)
                    if status < 400
                        && e.get_ref()
                            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                            .is_some_and(|u| matches!(u, ureq::Error::BodyExceedsLimit(_))) =>
                {
                    return Err(Failure::TooLarge);
                }
                Err(e) => return Err(Failure::Transport(e.to_string())),
            }
        };
        Ok(response)
    }
}

/// Bytes sent per request when a blob is uploaded in chunks; a blob up to this size goes in one PUT. Also the
/// most memory a blob transfer holds.
pub const UPLOAD_CHUNK_BYTES: u64 = 16 * 1024 * 1024;

/// Blob streaming: existence checks, cross-repository mounts, downloads that hash as they read, and uploads
/// from a reader in bounded memory. Used to move images without holding a layer in memory.
impl Client {
    /// Whether `image`'s repository has the blob `digest` (HEAD). Asks with push access, as it is meant for a
    /// destination about to be written.
    pub fn blob_exists(&self, image: &ImageRef, digest: &str) -> Result<bool, RegistryError> {
        let what = format!("blob {}@{digest}", image.repository);
        let r = self.send(
            Request::new(
                Method::Head,
                image,
                format!("/v2/{}/blobs/{digest}", image.repository),
                what.clone(),
            )
            .push(),
        )?;
        match r.status {
            200 => Ok(true),
            404 => Ok(false),
            s => Err(self.status_error(&image.registry, Method::Head, &what, s, &r.body)),
        }
    }

    /// Opens the blob `digest` of `image` for reading. The reader checks the size (when `expected_size` is
    /// given) as it reads and the digest at the end of the body: a mismatch is an `InvalidData` I/O error
    /// wrapping a [`RegistryError`].
    pub fn open_blob(
        &self,
        image: &ImageRef,
        digest: &str,
        expected_size: Option<u64>,
    ) -> Result<BlobReader, RegistryError> {
        let what = format!("blob {}@{digest}", image.repository);
        let hasher = BlobHasher::new(digest).ok_or_else(|| RegistryError::Malformed {
            registry: image.registry.clone(),
            what: what.clone(),
            reason: format!("'{digest}' is not a digest hsign can check (sha256, sha512)"),
        })?;
        let mut req = Request::new(
            Method::Get,
            image,
            format!("/v2/{}/blobs/{digest}", image.repository),
            what.clone(),
        );
        req.stream = true;
        let mut r = self.send(req)?;
        match (r.status, r.reader.take()) {
            (200, Some(body)) => Ok(BlobReader {
                body,
                hasher,
                expected: digest.to_string(),
                expected_size,
                read: 0,
                registry: image.registry.clone(),
                what,
                checked: false,
            }),
            (s, _) => Err(self.status_error(&image.registry, Method::Get, &what, s, &r.body)),
        }
    }

    /// Asks the registry to mount the blob `digest` from `from_repository` (same registry) into `image`'s
    /// repository. When the registry declines it opens an upload session instead: its location is returned,
    /// for [`Client::upload_blob`] to use rather than opening another.
    pub fn mount_blob(&self, image: &ImageRef, digest: &str, from_repository: &str) -> Result<Mount, RegistryError> {
        let what = format!(
            "mount of blob {digest} from {from_repository} into {}",
            image.repository
        );
        let r = self.send(
            Request::new(
                Method::Post,
                image,
                format!(
                    "/v2/{}/blobs/uploads/?mount={}&from={}",
                    image.repository,
                    urlencode(digest),
                    urlencode(from_repository)
                ),
                what.clone(),
            )
            .body(&[])
            .push()
            .limit(64 * 1024),
        )?;
        match r.status {
            201 => Ok(Mount::Mounted),
            202 => Ok(Mount::Declined(r.location())),
            s => Err(self.status_error(&image.registry, Method::Post, &what, s, &r.body)),
        }
    }

    /// Uploads the blob `digest` of `size` bytes from `reader` into `image`'s repository, holding at most
    /// [`UPLOAD_CHUNK_BYTES`] in memory: one PUT for a small blob, else chunked PATCHes and a closing PUT. The
    /// upload goes to `session` (the location a declined mount opened) when given, else to a new session. The
    /// registry checks the digest. Reading past `size`, or stopping short of it, is an error; an error the
    /// reader wraps as a [`RegistryError`] (a [`BlobReader`]'s digest check) is returned as is.
    ///
    /// Upload locations are resolved against the URL that returned them; one on another scheme, host or
    /// port gets no credentials.
    pub fn upload_blob(
        &self,
        image: &ImageRef,
        digest: &str,
        size: u64,
        reader: &mut dyn std::io::Read,
        session: Option<String>,
    ) -> Result<(), RegistryError> {
        use std::io::Read as _;
        let what = format!("blob {}@{digest}", image.repository);
        let short = |got: u64| RegistryError::Malformed {
            registry: image.registry.clone(),
            what: what.clone(),
            reason: format!("the content has {got} bytes or more, not the {size} declared"),
        };
        let no_location = || RegistryError::Malformed {
            registry: image.registry.clone(),
            what: what.clone(),
            reason: "upload answered without a Location header".into(),
        };
        let mut location = match session {
            Some(l) => l,
            None => {
                let start = self.send(
                    Request::new(
                        Method::Post,
                        image,
                        format!("/v2/{}/blobs/uploads/", image.repository),
                        format!("upload of {what}"),
                    )
                    .body(&[])
                    .push()
                    .limit(64 * 1024),
                )?;
                if start.status != 202 {
                    return Err(self.status_error(&image.registry, Method::Post, &what, start.status, &start.body));
                }
                start.location().ok_or_else(no_location)?
            }
        };
        let mut buf: Vec<u8> = Vec::with_capacity(size.min(UPLOAD_CHUNK_BYTES) as usize);
        let mut offset = 0u64;
        let monolithic = size <= UPLOAD_CHUNK_BYTES;
        loop {
            buf.clear();
            // One byte more than expected for a monolithic upload, so excess content is seen (and the
            // reader reaches its end, where a BlobReader checks the digest).
            let want = if monolithic { size + 1 } else { UPLOAD_CHUNK_BYTES };
            (&mut *reader)
                .take(want)
                .read_to_end(&mut buf)
                .map_err(|e| read_error(&image.registry, &what, e))?;
            if offset + buf.len() as u64 > size {
                return Err(short(offset + buf.len() as u64));
            }
            if monolithic {
                if (buf.len() as u64) < size {
                    return Err(RegistryError::Malformed {
                        registry: image.registry.clone(),
                        what: what.clone(),
                        reason: format!("the content ended after {} of {size} bytes", buf.len()),
                    });
                }
                offset = size;
                break;
            }
            if buf.is_empty() {
                break;
            }
            let mut patch = Request::new(Method::Patch, image, location.clone(), what.clone())
                .content_type("application/octet-stream")
                .body(&buf)
                .push()
                .limit(64 * 1024);
            patch.content_range = Some(format!("{offset}-{}", offset + buf.len() as u64 - 1));
            let r = self.send(patch)?;
            if r.status != 202 {
                return Err(self.status_error(&image.registry, Method::Patch, &what, r.status, &r.body));
            }
            offset += buf.len() as u64;
            location = r.location().ok_or_else(no_location)?;
        }
        if offset != size {
            return Err(RegistryError::Malformed {
                registry: image.registry.clone(),
                what: what.clone(),
                reason: format!("the content ended after {offset} of {size} bytes"),
            });
        }
        let body: &[u8] = if monolithic { &buf } else { &[] };
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self.send(
            Request::new(
                Method::Put,
                image,
                format!("{location}{sep}digest={}", urlencode(digest)),
                what.clone(),
            )
            .content_type("application/octet-stream")
            .body(body)
            .push()
            .limit(64 * 1024),
        )?;
        match put.status {
            201 | 204 => Ok(()),
            s => Err(self.status_error(&image.registry, Method::Put, &what, s, &put.body)),
        }
    }
}

/// What a cross-repository mount did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mount {
    /// The blob is now in the repository.
    Mounted,
    /// The registry declined and opened an upload session at this location (resolved), if it named one.
    Declined(Option<String>),
}

/// Resolves `reference` against the absolute URL `base` (RFC 3986 section 5.2): an absolute URL stays as
/// is, `//host/p` takes the base's scheme, `/p` the base's authority, `?q` the base's path, and `p` (or
/// `../p`) is relative to the base's directory. Dot segments are removed.
pub(crate) fn resolve_url(base: &str, reference: &str) -> String {
    let scheme_end = |s: &str| {
        let i = s.find(':')?;
        let scheme = &s[..i];
        (!scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
        .then_some(i)
    };
    // The fragment never travels.
    let reference = reference.split('#').next().unwrap_or_default();
    if let Some(i) = scheme_end(reference) {
        let (scheme, rest) = reference.split_at(i);
        return split_path(scheme, &rest[1..]);
    }
    let Some(i) = scheme_end(base) else {
        return reference.to_string();
    };
    let scheme = &base[..i];
    let after = &base[i + 1..];
    if let Some(rest) = reference.strip_prefix("//") {
        return split_path(scheme, &format!("//{rest}"));
    }
    // The base's authority, path and query.
    let (authority, path_query) = match after.strip_prefix("//") {
        Some(a) => {
            let end = a.find(['/', '?', '#']).unwrap_or(a.len());
            (format!("//{}", &a[..end]), &a[end..])
        }
        None => (String::new(), after),
    };
    let path_query = path_query.split('#').next().unwrap_or_default();
    let (base_path, base_query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let (ref_path, ref_query) = match reference.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (reference, None),
    };
    let (path, query) = if ref_path.is_empty() {
        (
            base_path.to_string(),
            ref_query.or(if reference.is_empty() { base_query } else { None }),
        )
    } else if ref_path.starts_with('/') {
        (remove_dot_segments(ref_path), ref_query)
    } else {
        let merged = if !authority.is_empty() && base_path.is_empty() {
            format!("/{ref_path}")
        } else {
            match base_path.rfind('/') {
                Some(i) => format!("{}{ref_path}", &base_path[..=i]),
                None => ref_path.to_string(),
            }
        };
        (remove_dot_segments(&merged), ref_query)
    };
    let mut out = format!("{scheme}:{authority}{path}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// `scheme:rest` with the dot segments of rest's path removed.
fn split_path(scheme: &str, rest: &str) -> String {
    let (authority, path_query) = match rest.strip_prefix("//") {
        Some(a) => {
            let end = a.find(['/', '?']).unwrap_or(a.len());
            (format!("//{}", &a[..end]), &a[end..])
        }
        None => (String::new(), rest),
    };
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let mut out = format!("{scheme}:{authority}{}", remove_dot_segments(path));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// RFC 3986 section 5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        if i == 0 && absolute {
            continue;
        }
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute { format!("/{joined}") } else { joined }
}

/// Whether `url` is on the same scheme, host and port as `origin` (`scheme://host[:port]/`). The host
/// compares case-insensitively, a missing port is the scheme's default, and a URL with user information is
/// never the same origin.
pub(crate) fn same_origin(url: &str, origin: &str) -> bool {
    fn parts(url: &str) -> Option<(String, String, u16)> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if authority.contains('@') || authority.is_empty() {
            return None;
        }
        let default = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return None,
        };
        // An IPv6 literal keeps its colons inside brackets.
        let (host, port) = match authority.rfind(':') {
            Some(i) if !authority[i..].contains(']') => {
                let port = &authority[i + 1..];
                let port = if port.is_empty() { default } else { port.parse().ok()? };
                (&authority[..i], port)
            }
            _ => (authority, default),
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        Some((scheme, host, port))
    }
    match (parts(url), parts(origin)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// An incremental hash of a blob, by the algorithm its digest names.
pub enum BlobHasher {
    /// SHA-256.
    Sha256(sha2::Sha256),
    /// SHA-512.
    Sha512(sha2::Sha512),
}

impl BlobHasher {
    /// A hasher for the algorithm of `digest` (`sha256:` or `sha512:`); `None` for any other.
    pub fn new(digest: &str) -> Option<Self> {
        use sha2::Digest as _;
        match digest.split_once(':')?.0 {
            "sha256" => Some(Self::Sha256(sha2::Sha256::new())),
            "sha512" => Some(Self::Sha512(sha2::Sha512::new())),
            _ => None,
        }
    }

    /// Hashes more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest, `<algorithm>:<hex>`.
    pub fn finish(self) -> String {
        use sha2::Digest as _;
        match self {
            Self::Sha256(h) => format!("sha256:{}", crate::encoding::hex(&h.finalize())),
            Self::Sha512(h) => format!("sha512:{}", crate::encoding::hex(&h.finalize())),
        }
    }
}

/// A blob body being read from a registry ([`Client::open_blob`]), hashed as it goes and checked at its end.
pub struct BlobReader {
    body: ureq::BodyReader<'static>,
    hasher: BlobHasher,
    expected: String,
    expected_size: Option<u64>,
    read: u64,
    registry: String,
    what: String,
    checked: bool,
}

impl BlobReader {
    fn fail(&self, err: RegistryError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, err)
    }
}

impl std::io::Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.body.read(buf).map_err(|e| {
            std::io::Error::other(RegistryError::Transport {
                registry: self.registry.clone(),
                what: format!("GET {}", self.what),
                reason: e.to_string(),
            })
        })?;
        if n == 0 && !buf.is_empty() {
            if !self.checked {
                self.checked = true;
                if let Some(size) = self.expected_size.filter(|s| *s != self.read) {
                    return Err(self.fail(RegistryError::Malformed {
                        registry: self.registry.clone(),
                        what: self.what.clone(),
                        reason: format!("the registry sent {} bytes, expected {size}", self.read),
                    }));
                }
                let hasher = std::mem::replace(&mut self.hasher, BlobHasher::Sha256(Default::default()));
                let actual = hasher.finish();
                if actual != self.expected {
                    return Err(self.fail(RegistryError::DigestMismatch {
                        registry: self.registry.clone(),
                        what: self.what.clone(),
                        expected: self.expected.clone(),
                        actual,
                    }));
                }
            }
            return Ok(0);
        }
        self.read += n as u64;
        if let Some(size) = self.expected_size.filter(|s| self.read > *s) {
            return Err(self.fail(RegistryError::TooLarge {
                registry: self.registry.clone(),
                what: self.what.clone(),
                limit: size,
            }));
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The error of a reader feeding an upload: the [`RegistryError`] it wraps, else a transport error.
fn read_error(registry: &str, what: &str, e: std::io::Error) -> RegistryError {
    let text = e.to_string();
    if let Some(inner) = e.into_inner()
        && let Ok(r) = inner.downcast::<RegistryError>()
    {
        return *r;
    }
    RegistryError::Transport {
        registry: registry.into(),
        what: format!("upload of {what}"),
        reason: format!("reading the content: {text}"),
    }
}

/// Most pages of referrers followed.
const MAX_REFERRER_PAGES: usize = 16;

/// The target of a `Link: <url>; rel="next"` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.trim().split_once(';')?;
        let is_next = params.split(';').any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        is_next.then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_string())
    })
}

/// Checks that `bytes` have `expected` (`sha256:` or `sha512:`), computing with the algorithm it names.
fn check_digest(registry: &str, what: &str, expected: &str, bytes: &[u8]) -> Result<(), RegistryError> {
    let Some(want) = crate::ArtifactDigest::parse(expected) else {
        return Err(RegistryError::Malformed {
            registry: registry.into(),
            what: what.into(),
            reason: format!("'{expected}' is not a digest hsign can check (sha256, sha384, sha512)"),
        });
    };
    let actual = crate::ArtifactDigest::of(want.algorithm, bytes);
    if actual != want {
        return Err(RegistryError::DigestMismatch {
            registry: registry.into(),
            what: what.into(),
            expected: expected.into(),
            actual: actual.to_string(),
        });
    }
    Ok(())
}

/// The registry's error message from an OCI error body (`{"errors":[{"code":..,"message":..}]}`), or a
/// short excerpt of a plain body.
fn oci_error_message(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<OciError>,
    }
    #[derive(serde::Deserialize)]
    struct OciError {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        return e
            .errors
            .iter()
            .map(|e| {
                if e.message.is_empty() {
                    e.code.clone()
                } else {
                    format!("{} ({})", e.message, e.code)
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    text.chars().take(200).filter(|c| !c.is_control()).collect()
}

/// Parses `Bearer realm="...",service="...",scope="..."`.
fn parse_challenge(header: &str) -> (String, HashMap<String, String>) {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => v.extend(chars.next()),
                    '"' => break,
                    c => v.push(c),
                }
            }
            v
        } else {
            chars.by_ref().take_while(|c| *c != ',').collect()
        };
        params.insert(key.trim().to_ascii_lowercase(), value);
    }
    (scheme.to_string(), params)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_challenges() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(s, "Bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "reg");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (s, p) = parse_challenge(r#"Basic realm="peers-registry""#);
        assert_eq!((s.as_str(), p["realm"].as_str()), ("Basic", "peers-registry"));
    }

    #[test]
    fn follows_next_links_and_checks_any_digest_algorithm() {
        assert_eq!(
            next_link(r#"</v2/a/referrers/sha256:1?n=2&last=x>; rel="next""#).as_deref(),
            Some("/v2/a/referrers/sha256:1?n=2&last=x")
        );
        assert_eq!(next_link(r#"<https://x/y>; rel="prev""#), None);
        let d512 = crate::ArtifactDigest::of(hsign_keys::HashAlgorithm::Sha512, b"m").to_string();
        assert!(check_digest("r", "w", &d512, b"m").is_ok());
        assert!(matches!(
            check_digest("r", "w", &d512, b"n"),
            Err(RegistryError::DigestMismatch { .. })
        ));
        assert!(matches!(
            check_digest("r", "w", "md5:00", b"n"),
            Err(RegistryError::Malformed { .. })
        ));
    }

    #[test]
    fn resolves_locations_against_the_request_url() {
        let base = "https://reg.example:5000/v2/a/b/blobs/uploads/";
        assert_eq!(
            resolve_url(base, "/v2/a/b/blobs/uploads/u1?_state=x"),
            "https://reg.example:5000/v2/a/b/blobs/uploads/u1?_state=x"
        );
        assert_eq!(
            resolve_url(base, "u1"),
            "https://reg.example:5000/v2/a/b/blobs/uploads/u1"
        );
        assert_eq!(
            resolve_url(base, "../u2?x=1"),
            "https://reg.example:5000/v2/a/b/blobs/u2?x=1"
        );
        assert_eq!(
            resolve_url(base, "?s=1"),
            "https://reg.example:5000/v2/a/b/blobs/uploads/?s=1"
        );
        assert_eq!(resolve_url(base, "//other:1/x"), "https://other:1/x");
        assert_eq!(resolve_url(base, "http://evil.example/u"), "http://evil.example/u");
        assert_eq!(resolve_url("https://r/", "/v2/x"), "https://r/v2/x");
        assert_eq!(resolve_url("https://r/", "v2/x"), "https://r/v2/x");
        assert_eq!(resolve_url("https://r/a/b/c", "./d/../e"), "https://r/a/b/e");
    }

    #[test]
    fn credentials_only_go_to_the_registry_itself() {
        let origin = "https://reg.example:5000/";
        assert!(same_origin("https://REG.example:5000/v2/x", origin));
        assert!(!same_origin("https://reg.example:5001/v2/x", origin));
        assert!(!same_origin("http://reg.example:5000/v2/x", origin));
        assert!(!same_origin("https://evil.example:5000/v2/x", origin));
        assert!(!same_origin("https://reg.example:5000@evil.example/v2/x", origin));
        assert!(same_origin("https://ghcr.io:443/v2/x", "https://ghcr.io/"));
        assert!(same_origin("http://[::1]:80/v2", "http://[::1]/"));
        assert!(!same_origin("http://[::1]:81/v2", "http://[::1]/"));
    }

    #[test]
    fn extracts_oci_error_messages() {
        assert_eq!(
            oci_error_message(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#),
            "manifest unknown (MANIFEST_UNKNOWN)"
        );
        assert_eq!(oci_error_message(b"404 page not found\n"), "404 page not found");
    }
}
