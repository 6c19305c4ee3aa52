//! The endpoints of the test log: routing, fault injection, and the Rekor v1 answers built from the tree.

use std::net::{Shutdown, TcpStream};
use std::sync::MutexGuard;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::HashAlgorithm;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::entries::{self, Rejected, hex};
use super::tree::{self, Hash};
use super::{Control, Entry, LOG_NAME, Log, Shared, TREE_ID};
use crate::http::{self, ReadError, Request, Response};

/// How long a connection may stay silent before the log gives up on it.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// The most items of each kind a retrieve request may ask for (as in Rekor).
const MAX_BATCH: usize = 10;

/// The checkpoint origin.
pub(super) fn origin() -> String {
    format!("{LOG_NAME} - {TREE_ID}")
}

/// The entry UUID (80 hex: tree id and leaf hash).
fn uuid(leaf: &Hash) -> String {
    format!("{TREE_ID:016x}{}", hex(leaf))
}

/// Reads a 64- or 80-hex entry UUID: `Ok(None)` for another tree's UUID, `Err` when malformed.
fn parse_uuid(s: &str) -> Result<Option<Hash>, String> {
    let s = s.to_ascii_lowercase();
    let leaf_hex = match s.len() {
        64 => s.as_str(),
        80 if s.starts_with(&format!("{TREE_ID:016x}")) => &s[16..],
        80 => return Ok(None),
        _ => return Err(format!("invalid entry UUID '{s}': 64 or 80 hex digits expected")),
    };
    let bytes = entries::unhex(leaf_hex).ok_or_else(|| format!("invalid entry UUID '{s}': not hex"))?;
    Ok(bytes.try_into().ok())
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

impl Shared {
    pub(super) fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An ECDSA P-256 signature (SHA-256, ASN.1 DER) by the log key over `message`.
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key
            .sign_digest(HashAlgorithm::Sha256, &Sha256::digest(message))
            .expect("signing with the log key")
    }

    /// The signed checkpoint of the current tree (signed once per tree size).
    fn checkpoint(&self, log: &mut Log) -> String {
        let size = log.tree.size();
        if let Some((s, note)) = &log.checkpoint
            && *s == size
        {
            return note.clone();
        }
        let text = format!(
            "{}\n{size}\n{}\nTimestamp: {}\n",
            origin(),
            STANDARD.encode(log.tree.root()),
            now().as_nanos()
        );
        let mut sig = self.log_id[..4].to_vec();
        sig.extend(self.sign(text.as_bytes()));
        let note = format!("{text}\n\u{2014} {LOG_NAME} {}\n", STANDARD.encode(sig));
        log.checkpoint = Some((size, note.clone()));
        note
    }

    /// The LogEntryAnon of entry `index`, with an inclusion proof against the current tree.
    fn entry_json(&self, log: &mut Log, index: u64) -> Value {
        let size = log.tree.size();
        let checkpoint = self.checkpoint(log);
        let proof = log.tree.inclusion_proof(index, size).unwrap_or_default();
        let e = &log.entries[index as usize];
        json!({
            "body": STANDARD.encode(&e.canonical.body),
            "integratedTime": e.integrated_time,
            "logID": hex(&self.log_id),
            "logIndex": index,
            "verification": {
                "inclusionProof": {
                    "checkpoint": checkpoint,
                    "hashes": proof.iter().map(|h| hex(h)).collect::<Vec<_>>(),
                    "logIndex": index,
                    "rootHash": hex(&log.tree.root()),
                    "treeSize": size,
                },
                "signedEntryTimestamp": e.set,
            },
        })
    }

    /// `(uuid, entry)` for entry `index`; with `wrong`, another entry's content under that UUID.
    fn lookup(&self, log: &mut Log, index: u64, wrong: bool) -> (String, Value) {
        let size = log.tree.size();
        let key = uuid(&log.entries[index as usize].leaf);
        let shown = if wrong && size >= 2 { (index + 1) % size } else { index };
        (key, self.entry_json(log, shown))
    }

    fn single(&self, log: &mut Log, index: u64, wrong: bool) -> Response {
        let (key, entry) = self.lookup(log, index, wrong);
        let mut map = serde_json::Map::new();
        map.insert(key, entry);
        Response::json(200, &Value::Object(map))
    }

    /// Serves one request on a connection, then closes it.
    pub(super) fn serve(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        let req = match http::read_request(&mut stream) {
            Ok(r) => r,
            Err(ReadError::Io) => return,
            Err(ReadError::Bad(m)) => {
                let _ = std::io::Write::write_all(&mut stream, &Response::error(400, m).to_bytes());
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        };
        if self.stop.load(Ordering::SeqCst) {
            return;
        }
        let fault = {
            let mut c = self.control();
            c.seen.push((req.method.clone(), req.target.clone()));
            let found = c
                .faults
                .iter_mut()
                .find(|(f, hits)| f.matches(&req.method, &req.target) && f.times.is_none_or(|n| *hits < n));
            found.map(|(f, hits)| {
                *hits += 1;
                f.clone()
            })
        };
        let resp = match fault.as_ref().and_then(|f| f.status) {
            Some(status) => Response::error(status, "injected"),
            None => self.handle(&req, fault.as_ref().is_some_and(|f| f.wrong_entry)),
        };
        if let Some(delay) = fault.and_then(|f| f.delay) {
            let end = Instant::now() + delay;
            while !self.stop.load(Ordering::SeqCst) && Instant::now() < end {
                std::thread::sleep((end - Instant::now()).min(Duration::from_millis(20)));
            }
            if self.stop.load(Ordering::SeqCst) {
                return;
            }
        }
        let _ = std::io::Write::write_all(&mut stream, &resp.to_bytes());
        let _ = std::io::Write::flush(&mut stream);
        let _ = stream.shutdown(Shutdown::Both);
    }

    fn handle(&self, req: &Request, wrong: bool) -> Response {
        let path = req.path();
        let method = req.method.as_str();
        let allowed = match path {
            "/api/v1/log/entries" => &["GET", "POST"][..],
            "/api/v1/log/entries/retrieve" | "/api/v1/index/retrieve" => &["POST"][..],
            "/api/v1/log" | "/api/v1/log/publicKey" | "/api/v1/log/proof" => &["GET"][..],
            p if p.starts_with("/api/v1/log/entries/") && !p["/api/v1/log/entries/".len()..].contains('/') => {
                &["GET"][..]
            }
            p => return Response::error(404, format!("path {p} was not found")),
        };
        if !allowed.contains(&method) {
            return Response::error(405, format!("method {method} is not allowed, but {allowed:?} are"));
        }
        match (method, path) {
            ("POST", "/api/v1/log/entries") => self.create(req, wrong),
            ("GET", "/api/v1/log/entries") => self.get_by_index(req, wrong),
            ("POST", "/api/v1/log/entries/retrieve") => self.retrieve(req, wrong),
            ("POST", "/api/v1/index/retrieve") => self.search_index(req),
            ("GET", "/api/v1/log") => self.log_info(),
            ("GET", "/api/v1/log/publicKey") => self.public_key(req),
            ("GET", "/api/v1/log/proof") => self.consistency(req),
            (_, p) => self.get_by_uuid(&p["/api/v1/log/entries/".len()..], wrong),
        }
    }

    fn create(&self, req: &Request, wrong: bool) -> Response {
        let proposed: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => return Response::error(400, format!("the request body is not JSON: {e}")),
        };
        let canonical = match entries::canonicalize(&proposed, true) {
            Ok(c) => c,
            Err(e) => return Response::error(400, e.message()),
        };
        let leaf = tree::leaf_hash(&canonical.body);
        let mut log = self.log();
        if log.by_leaf.contains_key(&leaf) {
            let id = uuid(&leaf);
            return Response::error(
                409,
                format!("An equivalent entry already exists in the transparency log with UUID {id}"),
            )
            .header("Location", format!("/api/v1/log/entries/{id}"));
        }
        let index = log.tree.size();
        let integrated_time = now().as_secs();
        let set_payload = format!(
            r#"{{"body":"{}","integratedTime":{integrated_time},"logID":"{}","logIndex":{index}}}"#,
            STANDARD.encode(&canonical.body),
            hex(&self.log_id)
        );
        let set = STANDARD.encode(self.sign(set_payload.as_bytes()));
        log.tree.push(leaf);
        log.by_leaf.insert(leaf, index);
        log.entries.push(Entry {
            canonical,
            leaf,
            integrated_time,
            set,
        });
        let id = uuid(&leaf);
        let (_, entry) = self.lookup(&mut log, index, wrong);
        let mut map = serde_json::Map::new();
        map.insert(id.clone(), entry);
        Response::json(201, &Value::Object(map))
            .header("Location", format!("/api/v1/log/entries/{id}"))
            .header("ETag", id)
    }

    fn get_by_uuid(&self, raw: &str, wrong: bool) -> Response {
        let leaf = match parse_uuid(raw) {
            Ok(l) => l,
            Err(m) => return Response::error(400, m),
        };
        let mut log = self.log();
        match leaf.and_then(|l| log.by_leaf.get(&l).copied()) {
            Some(index) => self.single(&mut log, index, wrong),
            None => Response::error(404, format!("no entry with UUID {raw} in the log")),
        }
    }

    fn get_by_index(&self, req: &Request, wrong: bool) -> Response {
        let Some(raw) = req.query("logIndex") else {
            return Response::error(400, "logIndex is required");
        };
        let Ok(index) = raw.parse::<u64>() else {
            return Response::error(400, format!("invalid logIndex '{raw}'"));
        };
        let mut log = self.log();
        if index >= log.tree.size() {
            return Response::error(
                404,
                format!("no entry at index {index} (the log has {})", log.tree.size()),
            );
        }
        self.single(&mut log, index, wrong)
    }

    fn retrieve(&self, req: &Request, wrong: bool) -> Response {
        let query: Value = match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Response::error(400, "the request body must be a JSON object"),
        };
        let batch = |name: &str| -> Result<Option<&Vec<Value>>, Response> {
            match query.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Array(a)) if (1..=MAX_BATCH).contains(&a.len()) => Ok(Some(a)),
                Some(_) => Err(Response::error(
                    400,
                    format!("{name} must be an array of 1 to {MAX_BATCH} items"),
                )),
            }
        };
        let (uuids, indexes, proposed) = match (batch("entryUUIDs"), batch("logIndexes"), batch("entries")) {
            (Ok(u), Ok(i), Ok(e)) => (u, i, e),
            (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r,
        };
        if uuids.is_none() && indexes.is_none() && proposed.is_none() {
            return Response::error(400, "one of entryUUIDs, logIndexes or entries is required");
        }
        // What to look for, in answer order: leaf hashes (None: cannot be in this log) or indexes.
        enum Want {
            Leaf(Option<Hash>),
            Index(u64),
        }
        let mut wants = Vec::new();
        for u in uuids.into_iter().flatten() {
            match u.as_str().map(parse_uuid) {
                Some(Ok(leaf)) => wants.push(Want::Leaf(leaf)),
                Some(Err(m)) => return Response::error(400, m),
                None => return Response::error(400, "entryUUIDs must be strings"),
            }
        }
        for i in indexes.into_iter().flatten() {
            match i.as_u64() {
                Some(i) => wants.push(Want::Index(i)),
                None => return Response::error(400, "logIndexes must be non-negative integers"),
            }
        }
        for p in proposed.into_iter().flatten() {
            match entries::canonicalize(p, false) {
                Ok(c) => wants.push(Want::Leaf(Some(tree::leaf_hash(&c.body)))),
                // An entry whose signatures do not verify was never logged.
                Err(Rejected::Unverified(_)) => wants.push(Want::Leaf(None)),
                Err(e @ Rejected::Malformed(_)) => return Response::error(400, e.message()),
            }
        }
        let mut log = self.log();
        let mut out = Vec::new();
        for w in wants {
            let index = match w {
                Want::Leaf(leaf) => leaf.and_then(|l| log.by_leaf.get(&l).copied()),
                Want::Index(i) => (i < log.tree.size()).then_some(i),
            };
            if let Some(index) = index {
                let (key, entry) = self.lookup(&mut log, index, wrong);
                let mut map = serde_json::Map::new();
                map.insert(key, entry);
                out.push(Value::Object(map));
            }
        }
        Response::json(200, &Value::Array(out))
    }

    fn search_index(&self, req: &Request) -> Response {
        let query: Value = match serde_json::from_slice(&req.body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return Response::error(400, "the request body must be a JSON object"),
        };
        for unsupported in ["email", "subject"] {
            if query.get(unsupported).is_some_and(|v| !v.is_null()) {
                return Response::error(
                    400,
                    format!("searching by {unsupported} is not supported by the test log"),
                );
            }
        }
        let hash = match query.get("hash") {
            None | Some(Value::Null) => None,
            Some(Value::String(h)) => match normalize_hash(h) {
                Some(h) => Some(h),
                None => return Response::error(400, format!("invalid hash '{h}'")),
            },
            Some(_) => return Response::error(400, "hash must be a string"),
        };
        let key = match query.get("publicKey") {
            None | Some(Value::Null) => None,
            Some(k) => {
                let format = k.get("format").and_then(Value::as_str);
                if format != Some("x509") {
                    return Response::error(400, format!("unsupported publicKey format {format:?} (x509 is)"));
                }
                let Some(content) = k.get("content").and_then(Value::as_str) else {
                    return Response::error(400, "publicKey.content (base64) is required");
                };
                match STANDARD
                    .decode(content)
                    .map_err(|e| e.to_string())
                    .and_then(|pem| entries::key_material(&pem).map(|m| m.spki))
                {
                    Ok(spki) => Some(spki),
                    Err(m) => return Response::error(400, format!("invalid publicKey.content: {m}")),
                }
            }
        };
        if hash.is_none() && key.is_none() {
            return Response::error(400, "one of hash or publicKey is required");
        }
        let or = query.get("operator").and_then(Value::as_str) == Some("or");
        let log = self.log();
        let found: Vec<Value> = log
            .entries
            .iter()
            .filter(|e| {
                let by_hash = hash.as_ref().map(|h| e.canonical.hashes.contains(h));
                let by_key = key.as_ref().map(|k| e.canonical.keys.contains(k));
                let hits = [by_hash, by_key].into_iter().flatten();
                if or {
                    hits.into_iter().any(|b| b)
                } else {
                    hits.into_iter().all(|b| b)
                }
            })
            .map(|e| Value::String(uuid(&e.leaf)))
            .collect();
        Response::json(200, &Value::Array(found))
    }

    fn log_info(&self) -> Response {
        let mut log = self.log();
        let checkpoint = self.checkpoint(&mut log);
        Response::json(
            200,
            &json!({
                "rootHash": hex(&log.tree.root()),
                "treeSize": log.tree.size(),
                "signedTreeHead": checkpoint,
                "treeID": TREE_ID.to_string(),
                "inactiveShards": [],
            }),
        )
    }

    fn public_key(&self, req: &Request) -> Response {
        if let Some(resp) = check_tree_id(req) {
            return resp;
        }
        Response {
            status: 200,
            content_type: "application/x-pem-file",
            headers: Vec::new(),
            body: self.public.to_pem().into_bytes(),
        }
    }

    fn consistency(&self, req: &Request) -> Response {
        if let Some(resp) = check_tree_id(req) {
            return resp;
        }
        let first = match req.query("firstSize").map(str::parse::<u64>) {
            None => 1,
            Some(Ok(n)) if n >= 1 => n,
            Some(_) => return Response::error(400, "firstSize must be an integer of at least 1"),
        };
        let last = match req.query("lastSize").map(str::parse::<u64>) {
            Some(Ok(n)) if n >= 1 => n,
            None => return Response::error(400, "lastSize is required"),
            Some(_) => return Response::error(400, "lastSize must be an integer of at least 1"),
        };
        let log = self.log();
        let size = log.tree.size();
        if first > last {
            return Response::error(
                400,
                format!("firstSize({first}) must be less than or equal to lastSize({last})"),
            );
        }
        if last > size {
            return Response::error(400, format!("lastSize({last}) is greater than the tree size ({size})"));
        }
        match (log.tree.consistency_proof(first, last), log.tree.root_at(last)) {
            (Some(proof), Some(root)) => Response::json(
                200,
                &json!({"rootHash": hex(&root), "hashes": proof.iter().map(|h| hex(h)).collect::<Vec<_>>()}),
            ),
            _ => Response::error(400, "no consistency proof for these sizes"),
        }
    }
}

/// A `400` when the request names another tree with `treeID=`.
fn check_tree_id(req: &Request) -> Option<Response> {
    let id = req.query("treeID")?;
    (id != TREE_ID.to_string()).then(|| Response::error(400, format!("unknown treeID {id}")))
}

/// `sha256:<hex>`, `sha384:<hex>`, `sha512:<hex>`, `sha1:<hex>` or bare hex (algorithm from the length) as
/// `alg:lowerhex`; `None` when malformed.
fn normalize_hash(h: &str) -> Option<String> {
    let (alg, value) = match h.split_once(':') {
        Some((a, v)) => (a.to_owned(), v),
        None => {
            let alg = match h.len() {
                40 => "sha1",
                64 => "sha256",
                96 => "sha384",
                128 => "sha512",
                _ => return None,
            };
            (alg.to_owned(), h)
        }
    };
    let want = match alg.as_str() {
        "sha1" => 40,
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return None,
    };
    (value.len() == want && value.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("{alg}:{}", value.to_ascii_lowercase()))
}
