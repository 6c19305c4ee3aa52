//! `initialize`: a TUF repository built here (ECDSA P-256 keys, a root rotation) served over HTTP on
//! 127.0.0.1, the cache it leaves, and the verifying commands reading the cached trusted root (and ignoring
//! a cache edited by hand).

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use hsign_core::keys::{HashAlgorithm, PrivateKey};
use hsign_core::tuf::canonical_json;
use hsign_e2e::*;
use serde_json::{Value, json};

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn expires(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    hsign_core::rfc3339::format(now + days * 86400)
}

struct Key {
    id: String,
    json: Value,
    private: PrivateKey,
}

fn key() -> Key {
    let private = PrivateKey::generate_p256().unwrap();
    let json = json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": private.public_key().to_pem()}});
    let id = hex(&HashAlgorithm::Sha256.digest(&canonical_json(&json).unwrap()));
    Key { id, json, private }
}

fn envelope(signed: &Value, signers: &[&Key]) -> Vec<u8> {
    let canonical = canonical_json(signed).unwrap();
    let sigs: Vec<Value> = signers
        .iter()
        .map(|k| json!({"keyid": k.id, "sig": hex(&k.private.sign_message(&canonical).unwrap())}))
        .collect();
    serde_json::to_vec_pretty(&json!({"signatures": sigs, "signed": signed})).unwrap()
}

fn root(version: u64, root_keys: &[&Key], online: &Key) -> Value {
    let mut keys = serde_json::Map::new();
    for k in root_keys.iter().chain([&online]) {
        keys.insert(k.id.clone(), k.json.clone());
    }
    let ids: Vec<&str> = root_keys.iter().map(|k| k.id.as_str()).collect();
    let online_role = json!({"keyids": [online.id], "threshold": 1});
    json!({"_type": "root", "spec_version": "1.0", "version": version, "expires": expires(30),
        "consistent_snapshot": true, "keys": keys,
        "roles": {"root": {"keyids": ids, "threshold": 2}, "timestamp": online_role, "snapshot": online_role, "targets": online_role}})
}

fn meta(data: &[u8]) -> Value {
    json!({"version": 1, "length": data.len(), "hashes": {"sha256": hex(&HashAlgorithm::Sha256.digest(data))}})
}

/// Writes a repository serving `trusted_root` into `dir`: root v1 (keys A, B) rotated to v2 (B, C), and
/// timestamp, snapshot and targets version 1. Returns root v1.
fn build_repo(dir: &Path, trusted_root: &[u8]) -> Vec<u8> {
    let (a, b, c, online) = (key(), key(), key(), key());
    let v1 = envelope(&root(1, &[&a, &b], &online), &[&a, &b]);
    std::fs::write(dir.join("1.root.json"), &v1).unwrap();
    std::fs::write(
        dir.join("2.root.json"),
        envelope(&root(2, &[&b, &c], &online), &[&a, &b, &c]),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("targets")).unwrap();
    let sha = hex(&HashAlgorithm::Sha256.digest(trusted_root));
    std::fs::write(dir.join(format!("targets/{sha}.trusted_root.json")), trusted_root).unwrap();
    let common = |t: &str| json!({"_type": t, "spec_version": "1.0", "version": 1, "expires": expires(7)});
    let mut t = common("targets");
    t["targets"] = json!({"trusted_root.json": {"length": trusted_root.len(), "hashes": {"sha256": sha}}});
    let targets = envelope(&t, &[&online]);
    std::fs::write(dir.join("1.targets.json"), &targets).unwrap();
    let mut s = common("snapshot");
    s["meta"] = json!({"targets.json": meta(&targets)});
    let snapshot = envelope(&s, &[&online]);
    std::fs::write(dir.join("1.snapshot.json"), &snapshot).unwrap();
    let mut ts = common("timestamp");
    ts["meta"] = json!({"snapshot.json": meta(&snapshot)});
    std::fs::write(dir.join("timestamp.json"), envelope(&ts, &[&online])).unwrap();
    v1
}

/// Serves the files of `dir` over HTTP/1.1 on 127.0.0.1 (404 for anything else) until the test ends.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/');
            let body = (!path.contains(".."))
                .then(|| std::fs::read(dir.join(path)).ok())
                .flatten();
            let (status, body) = match body {
                Some(b) => ("200 OK", b),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

const CONFORMANCE: &str = "bundles/sigstore-conformance";

fn verify_managed_key_bundle(cache: &Path) -> Output {
    let case = vector(&format!("{CONFORMANCE}/bundle-verify/managed-key-happy-path"));
    hsign(&[
        "verify-blob",
        "--key",
        s(&case.join("key.pub")),
        "--bundle",
        s(&case.join("bundle.sigstore.json")),
        s(&vector(&format!("{CONFORMANCE}/a.txt"))),
    ])
    .env("HSIGN_TUF_ROOT", s(cache))
    .run()
}

#[test]
fn initialize_fetches_through_a_root_rotation_over_http_and_verification_uses_the_cache() {
    let dir = tempdir();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    // The staging trusted root: a bundle logged in production's Rekor no longer verifies once it is cached.
    let staging = std::fs::read(vector("trusted-root/staging/trusted_root.json")).unwrap();
    let v1 = build_repo(&repo, &staging);
    std::fs::write(dir.path().join("root.json"), v1).unwrap();
    let cache = dir.path().join("cache");
    let url = serve(repo);

    // Before: the embedded production root.
    verify_managed_key_bundle(&cache).ok();

    let run = hsign(&["initialize", "--mirror", &url, "--root", "root.json"])
        .cwd(dir.path())
        .env("HSIGN_TUF_ROOT", s(&cache))
        .run();
    run.ok();
    assert!(
        run.stdout.contains("root.json: version 2 (updated from 1)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("trusted_root.json: sha256:"), "{}", run.stdout);
    for f in [
        "root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
        "targets/trusted_root.json",
        "mirror",
    ] {
        assert!(cache.join(f).is_file(), "{f} not cached");
    }
    assert_eq!(std::fs::read(cache.join("targets/trusted_root.json")).unwrap(), staging);

    // Again, as JSON, from the cached root and the recorded mirror: nothing new.
    let json = hsign(&["initialize", "-o", "json"])
        .env("HSIGN_TUF_ROOT", s(&cache))
        .run();
    json.ok();
    let doc = json.json();
    assert_eq!(doc["root"]["version"], 2);
    assert_eq!(doc["root"]["previousVersion"], 2);
    assert_eq!(doc["mirror"], url.as_str());
    assert_eq!(doc["targets"]["files"][0]["name"], "trusted_root.json");
    assert_eq!(doc["targets"]["files"][0]["downloaded"], false);

    // The verifying commands now use the cached (staging) trusted root, offline.
    let out = verify_managed_key_bundle(&cache);
    out.expect_code(12);
    assert!(out.stderr.contains("unknown transparency log"), "{}", out.stderr);

    // A cache edited by hand is ignored: back to the embedded root.
    let mut edited = staging.clone();
    edited.push(b'\n');
    std::fs::write(cache.join("targets/trusted_root.json"), edited).unwrap();
    verify_managed_key_bundle(&cache).ok();
}

#[test]
fn initialize_refuses_a_root_that_is_not_self_signed_and_leaves_no_cache() {
    let dir = tempdir();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let v1 = build_repo(
        &repo,
        &std::fs::read(vector("trusted-root/production/trusted_root.json")).unwrap(),
    );
    let mut forged: Value = serde_json::from_slice(&v1).unwrap();
    forged["signed"]["expires"] = json!("2099-01-01T00:00:00Z");
    std::fs::write(dir.path().join("root.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    let cache = dir.path().join("cache");
    let out = hsign(&["initialize", "--mirror", s(&repo), "--root", "root.json"])
        .cwd(dir.path())
        .env("HSIGN_TUF_ROOT", s(&cache))
        .run();
    out.expect_code(1);
    assert!(
        out.stderr.contains("TUF update refused") && out.stderr.contains("root.json (given): 0 valid signature(s)"),
        "{}",
        out.stderr
    );
    assert!(!cache.join("root.json").exists());

    // A mirror that is not a URL or a directory is a usage error.
    hsign(&["initialize", "--mirror", "nowhere"])
        .env("HSIGN_TUF_ROOT", s(&cache))
        .run()
        .expect_code(2);
}
