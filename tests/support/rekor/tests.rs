//! Tests of the test log: the Merkle tree against RFC 6962 by its definitions and against real Rekor
//! proofs, canonical bodies against real Rekor bodies, and the server over real HTTP.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hsign_keys::{HashAlgorithm, PrivateKey, PublicKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::LOG_NAME;
use super::entries::{self, canonical_json, hex, unhex};
use super::tree::{self, Hash, Tree, empty_root, leaf_hash, node_hash, verify_consistency, verify_inclusion};
use super::{LogFault, RekorLog, TREE_ID};

// ----- Merkle tree ---------------------------------------------------------------------------------------

/// `MTH(D[0:n])` straight from RFC 6962 §2.1, over a slice.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = k_of(n);
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// `PATH(m, D[n])` straight from RFC 6962 §2.1.1.
fn ref_path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = k_of(n);
    if m < k {
        let mut p = ref_path(m, &leaves[..k]);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = ref_path(m - k, &leaves[k..]);
        p.push(mth(&leaves[..k]));
        p
    }
}

/// `SUBPROOF(m, D[n], b)` straight from RFC 6962 §2.1.2.
fn ref_subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
    let n = leaves.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(leaves)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = ref_subproof(m, &leaves[..k], b);
        p.push(mth(&leaves[k..]));
        p
    } else {
        let mut p = ref_subproof(m - k, &leaves[k..], false);
        p.push(mth(&leaves[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(format!("leaf {i}").as_bytes())).collect()
}

fn h(s: &str) -> Hash {
    unhex(s).and_then(|v| v.try_into().ok()).expect("a 32-byte hex hash")
}

#[test]
fn roots_match_the_recursive_definition() {
    let all = leaves(40);
    let mut t = Tree::new();
    assert_eq!(t.root(), empty_root());
    assert_eq!(
        hex(&t.root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for (n, leaf) in all.iter().enumerate() {
        assert_eq!(t.push(*leaf), n as u64);
        let size = n + 1;
        assert_eq!(t.size(), size as u64);
        assert_eq!(t.root(), mth(&all[..size]), "incremental root, size {size}");
        for m in 0..=size {
            assert_eq!(
                t.root_at(m as u64),
                Some(mth(&all[..m])),
                "root_at({m}) in a tree of {size}"
            );
        }
        assert_eq!(t.root_at(size as u64 + 1), None);
    }
}

#[test]
fn roots_match_the_rfc6962_reference_vectors() {
    // The Certificate Transparency reference leaves and roots (sizes 1..=8).
    let data = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    let mut t = Tree::new();
    for (d, root) in data.iter().zip(roots) {
        t.push(leaf_hash(&unhex(d).expect("hex")));
        assert_eq!(hex(&t.root()), root, "size {}", t.size());
    }
    let proof = t.inclusion_proof(0, 8).expect("proof");
    let want = [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ];
    assert_eq!(proof.iter().map(|p| hex(p)).collect::<Vec<_>>(), want);
}

#[test]
fn inclusion_proofs_follow_the_definition_and_verify() {
    let all = leaves(20);
    let mut t = Tree::new();
    for l in &all {
        t.push(*l);
    }
    for n in 1..=20usize {
        let root = mth(&all[..n]);
        for m in 0..n {
            let proof = t.inclusion_proof(m as u64, n as u64).expect("in range");
            assert_eq!(proof, ref_path(m, &all[..n]), "PATH({m}, {n})");
            assert!(
                verify_inclusion(m as u64, n as u64, &all[m], &proof, &root),
                "verify ({m}, {n})"
            );
            // Anything else fails: another leaf, another index, a changed hash, a shorter or longer path.
            assert!(!verify_inclusion(m as u64, n as u64, &all[(m + 1) % 20], &proof, &root));
            if n > 1 {
                assert!(!verify_inclusion(
                    ((m + 1) % n) as u64,
                    n as u64,
                    &all[m],
                    &proof,
                    &root
                ));
                let mut bad = proof.clone();
                bad[0][0] ^= 1;
                assert!(!verify_inclusion(m as u64, n as u64, &all[m], &bad, &root));
                assert!(!verify_inclusion(m as u64, n as u64, &all[m], &proof[1..], &root));
            }
            let mut longer = proof.clone();
            longer.push(root);
            assert!(!verify_inclusion(m as u64, n as u64, &all[m], &longer, &root));
        }
        assert_eq!(t.inclusion_proof(n as u64, n as u64), None);
    }
    assert_eq!(t.inclusion_proof(0, 21), None);
}

#[test]
fn consistency_proofs_follow_the_definition_and_verify() {
    let all = leaves(20);
    let mut t = Tree::new();
    for l in &all {
        t.push(*l);
    }
    for n in 1..=20usize {
        for m in 1..=n {
            let proof = t.consistency_proof(m as u64, n as u64).expect("in range");
            assert_eq!(proof, ref_subproof(m, &all[..n], true), "PROOF({m}, {n})");
            let (r1, r2) = (mth(&all[..m]), mth(&all[..n]));
            assert!(
                verify_consistency(m as u64, n as u64, &r1, &r2, &proof),
                "verify ({m}, {n})"
            );
            if m < n {
                assert!(!verify_consistency(m as u64, n as u64, &r2, &r2, &proof));
                assert!(!verify_consistency(m as u64, n as u64, &r1, &r1, &proof));
                let mut bad = proof.clone();
                let last = bad.len() - 1;
                bad[last][5] ^= 0x80;
                assert!(!verify_consistency(m as u64, n as u64, &r1, &r2, &bad));
            }
        }
    }
    assert_eq!(t.consistency_proof(0, 3), None);
    assert_eq!(t.consistency_proof(4, 3), None);
    assert_eq!(t.consistency_proof(3, 21), None);
}

fn read_vector(rel: &str) -> Value {
    let path = crate::vector(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| h(x.as_str().expect("hex")))
        .collect()
}

#[test]
fn a_real_rekor_inclusion_proof_verifies() {
    for (rel, tree_index) in [
        ("rekor/sigstore-rs/log_entry.staging.logindex-1688.json", 1227),
        (
            "rekor/docker-attest/log_entry.production.logindex-59674396.json",
            55_510_965,
        ),
    ] {
        let entry = read_vector(rel);
        let body = STANDARD
            .decode(entry["body"].as_str().expect("body"))
            .expect("base64 body");
        let p = &entry["verification"]["inclusionProof"];
        let index = p["logIndex"].as_u64().expect("logIndex");
        assert_eq!(index, tree_index);
        let size = p["treeSize"].as_u64().expect("treeSize");
        let root = h(p["rootHash"].as_str().expect("rootHash"));
        let proof = hashes(&p["hashes"]);
        let leaf = leaf_hash(&body);
        assert!(verify_inclusion(index, size, &leaf, &proof, &root), "{rel}");
        assert!(!verify_inclusion(index + 1, size, &leaf, &proof, &root), "{rel}");
        assert!(!verify_inclusion(index, size / 2, &leaf, &proof, &root), "{rel}");
        // The checkpoint names the same root and size.
        let note = p["checkpoint"].as_str().expect("checkpoint");
        let mut lines = note.lines().skip(1);
        assert_eq!(lines.next(), Some(size.to_string().as_str()));
        assert_eq!(lines.next(), Some(STANDARD.encode(root).as_str()));
    }
}

#[test]
fn a_real_rekor_consistency_proof_verifies() {
    let a = read_vector("rekor/sigstore-rs/log_info.staging.treesize-1352760.json");
    let b = read_vector("rekor/sigstore-rs/log_info.staging.treesize-1352764.json");
    let proof = read_vector("rekor/sigstore-rs/log_proof.staging.1352760-1352764.json");
    let (m, n) = (
        a["treeSize"].as_u64().expect("size"),
        b["treeSize"].as_u64().expect("size"),
    );
    let (r1, r2) = (
        h(a["rootHash"].as_str().expect("root")),
        h(b["rootHash"].as_str().expect("root")),
    );
    // The proof answer's own rootHash field is stale in this recording (see the vector MANIFEST): the roots
    // come from the two LogInfo answers.
    let hs = hashes(&proof["hashes"]);
    assert!(verify_consistency(m, n, &r1, &r2, &hs));
    assert!(!verify_consistency(m, n, &r2, &r1, &hs));
    assert!(!verify_consistency(m + 1, n, &r1, &r2, &hs));
    assert!(!verify_consistency(m, n, &r1, &r2, &hs[1..]));
}

// ----- Canonical bodies ----------------------------------------------------------------------------------

#[test]
fn canonical_json_sorts_keys_and_escapes_minimally() {
    let v: Value =
        serde_json::from_str(r#"{"b":1,"a":{"z":[true,null,"x\u0001\n\"\\/é"],"A":-3},"\ufb01":0,"\ud83d\ude00":1}"#)
            .expect("json");
    assert_eq!(
        canonical_json(&v),
        "{\"a\":{\"A\":-3,\"z\":[true,null,\"x\\u0001\\n\\\"\\\\/é\"]},\"b\":1,\"\u{1f600}\":1,\"\u{fb01}\":0}"
    );
}

#[test]
fn real_rekor_bodies_are_reproduced_byte_for_byte() {
    for rel in [
        "rekor/sigstore-rs/log_entry.staging.logindex-1688.json",
        "rekor/docker-attest/log_entry.production.logindex-59674396.json",
    ] {
        let entry = read_vector(rel);
        let body = STANDARD
            .decode(entry["body"].as_str().expect("body"))
            .expect("base64 body");
        let parsed: Value = serde_json::from_slice(&body).expect("body JSON");
        assert_eq!(canonical_json(&parsed).as_bytes(), &body[..], "{rel}");
        // A stored hashedrekord body is also a valid proposed entry; with the certificate in it, it
        // canonicalizes to itself and its signature verifies.
        let c = entries::canonicalize(&parsed, true).unwrap_or_else(|e| panic!("{rel}: {e:?}"));
        assert_eq!(c.body, body, "{rel}");
    }
}

#[test]
fn rekor_repository_proposed_entries_are_accepted() {
    let hr = read_vector("rekor/rekor-repo-proposed-entries/hashedrekord.json");
    let c = entries::canonicalize(&hr, true).expect("hashedrekord verifies");
    let body: Value = serde_json::from_slice(&c.body).expect("json");
    assert_eq!(body["spec"]["data"], hr["spec"]["data"]);
    let dsse = read_vector("rekor/rekor-repo-proposed-entries/dsse.json");
    let c = entries::canonicalize(&dsse, true).expect("dsse verifies");
    let body: Value = serde_json::from_slice(&c.body).expect("json");
    let envelope = dsse["spec"]["proposedContent"]["envelope"].as_str().expect("envelope");
    assert_eq!(
        body["spec"]["envelopeHash"]["value"],
        hex(&Sha256::digest(envelope.as_bytes()))
    );
    assert_eq!(body["spec"]["signatures"].as_array().map(Vec::len), Some(1));
    // A changed payload no longer verifies.
    let mut bad = dsse.clone();
    bad["spec"]["proposedContent"]["envelope"] = Value::String(envelope.replace("eyJf", "eyJg"));
    assert!(matches!(
        entries::canonicalize(&bad, true),
        Err(entries::Rejected::Unverified(_))
    ));
}

// ----- The server over HTTP ------------------------------------------------------------------------------

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request over a fresh connection, read to the end (the log closes it).
fn raw_request(log: &RekorLog, raw: &[u8]) -> Answer {
    let addr = log.url().trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(addr).expect("connecting to the log");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    s.write_all(raw).expect("writing the request");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("reading the answer");
    let end = out.windows(4).position(|w| w == b"\r\n\r\n").expect("end of head");
    let head = String::from_utf8(out[..end].to_vec()).expect("UTF-8 head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = out[end + 4..].to_vec();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .expect("Content-Length");
    assert_eq!(body.len(), len);
    Answer { status, headers, body }
}

fn request(log: &RekorLog, method: &str, target: &str, body: Option<&Value>) -> Answer {
    let body = body.map(Value::to_string).unwrap_or_default();
    let raw = format!(
        "{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw_request(log, raw.as_bytes())
}

/// A hashedrekord proposed entry for `data` signed by `key`.
fn hashedrekord(key: &PrivateKey, data: &[u8]) -> Value {
    let digest = Sha256::digest(data);
    let sig = key.sign_digest(HashAlgorithm::Sha256, &digest).expect("signing");
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(&digest)}},
            "signature": {
                "content": STANDARD.encode(sig),
                "publicKey": {"content": STANDARD.encode(key.public_key().to_pem())},
            },
        },
    })
}

/// Checks one `{uuid: LogEntryAnon}` as a client would; returns (uuid, entry).
fn check_entry(log: &RekorLog, map: &Value) -> (String, Value) {
    let obj = map.as_object().expect("object");
    assert_eq!(obj.len(), 1);
    let (uuid, e) = obj.iter().next().expect("one entry");
    let body = STANDARD.decode(e["body"].as_str().expect("body")).expect("base64");
    let leaf = leaf_hash(&body);
    assert_eq!(uuid, &format!("{TREE_ID:016x}{}", hex(&leaf)));
    assert_eq!(e["logID"].as_str(), Some(hex(&log.log_id()).as_str()));
    let index = e["logIndex"].as_u64().expect("logIndex");
    assert_eq!(log.entry_body(index), body);
    // The SET.
    let set_payload = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{index}}}"#,
        e["body"].as_str().expect("body"),
        e["integratedTime"].as_u64().expect("integratedTime"),
        hex(&log.log_id()),
    );
    let set = STANDARD
        .decode(e["verification"]["signedEntryTimestamp"].as_str().expect("SET"))
        .expect("b64");
    let key = PublicKey::from_pem_or_der(log.public_key_pem().as_bytes()).expect("log key");
    key.verify_digest(HashAlgorithm::Sha256, &Sha256::digest(set_payload.as_bytes()), &set)
        .expect("the SET verifies with the log key");
    // The inclusion proof and its checkpoint.
    let p = &e["verification"]["inclusionProof"];
    assert_eq!(p["logIndex"].as_u64(), Some(index));
    let size = p["treeSize"].as_u64().expect("treeSize");
    let root = h(p["rootHash"].as_str().expect("rootHash"));
    assert!(verify_inclusion(index, size, &leaf, &hashes(&p["hashes"]), &root));
    check_checkpoint(log, p["checkpoint"].as_str().expect("checkpoint"), size, &root);
    (uuid.clone(), e.clone())
}

/// Verifies a checkpoint's signature with the log key and that it names `size` and `root`.
fn check_checkpoint(log: &RekorLog, note: &str, size: u64, root: &Hash) {
    let (text, sigs) = note.split_once("\n\n").expect("blank line");
    let text = format!("{text}\n");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("{LOG_NAME} - {TREE_ID}"));
    assert_eq!(lines[1], size.to_string());
    assert_eq!(lines[2], STANDARD.encode(root));
    assert!(lines[3].starts_with("Timestamp: ") && lines[3][11..].parse::<u128>().is_ok());
    let sig_line = sigs.strip_suffix('\n').expect("final newline");
    let rest = sig_line
        .strip_prefix(&format!("\u{2014} {LOG_NAME} "))
        .expect("signature line");
    let raw = STANDARD.decode(rest).expect("base64 signature");
    assert_eq!(raw[..4], log.log_id()[..4]);
    log.public_key()
        .verify_digest(HashAlgorithm::Sha256, &Sha256::digest(text.as_bytes()), &raw[4..])
        .expect("the checkpoint signature verifies");
}

#[test]
fn upload_lookup_search_and_proofs_over_http() {
    let log = RekorLog::start();
    let signer = PrivateKey::generate_p256().expect("key");

    // Empty log.
    let info = request(&log, "GET", "/api/v1/log", None);
    assert_eq!(info.status, 200);
    let info = info.json();
    assert_eq!(info["treeSize"], 0);
    assert_eq!(info["rootHash"], hex(&empty_root()));
    assert_eq!(info["treeID"], TREE_ID.to_string());
    check_checkpoint(&log, info["signedTreeHead"].as_str().expect("STH"), 0, &empty_root());

    // Upload.
    let proposed = hashedrekord(&signer, b"hello");
    let up = request(&log, "POST", "/api/v1/log/entries", Some(&proposed));
    assert_eq!(up.status, 201, "{}", String::from_utf8_lossy(&up.body));
    let (uuid, entry) = check_entry(&log, &up.json());
    assert_eq!(up.header("ETag"), Some(uuid.as_str()));
    assert_eq!(
        up.header("Location"),
        Some(format!("/api/v1/log/entries/{uuid}").as_str())
    );
    assert_eq!(entry["logIndex"], 0);
    assert_eq!(log.tree_size(), 1);
    let body: Value = serde_json::from_slice(&log.entry_body(0)).expect("json");
    assert_eq!(body["spec"]["data"], proposed["spec"]["data"]);

    // The same again: 409 naming the entry.
    let again = request(&log, "POST", "/api/v1/log/entries", Some(&proposed));
    assert_eq!(again.status, 409);
    assert_eq!(
        again.header("Location"),
        Some(format!("/api/v1/log/entries/{uuid}").as_str())
    );
    assert!(again.json()["message"].as_str().expect("message").ends_with(&uuid));

    // A second entry, a DSSE one (real signature from the Rekor repository).
    let dsse = read_vector("rekor/rekor-repo-proposed-entries/dsse.json");
    let up2 = request(&log, "POST", "/api/v1/log/entries", Some(&dsse));
    assert_eq!(up2.status, 201, "{}", String::from_utf8_lossy(&up2.body));
    let (uuid2, entry2) = check_entry(&log, &up2.json());
    assert_eq!(entry2["logIndex"], 1);
    let third = request(
        &log,
        "POST",
        "/api/v1/log/entries",
        Some(&hashedrekord(&signer, b"third")),
    );
    assert_eq!(third.status, 201);

    // Lookups: by 80- and 64-hex UUID, by index, by retrieve; proofs against the current tree (3).
    for target in [
        format!("/api/v1/log/entries/{uuid}"),
        format!("/api/v1/log/entries/{}", &uuid[16..]),
    ] {
        let got = request(&log, "GET", &target, None);
        assert_eq!(got.status, 200);
        let (u, e) = check_entry(&log, &got.json());
        assert_eq!(u, uuid);
        assert_eq!(e["verification"]["inclusionProof"]["treeSize"], 3);
    }
    let by_index = request(&log, "GET", "/api/v1/log/entries?logIndex=1", None);
    assert_eq!(check_entry(&log, &by_index.json()).0, uuid2);
    assert_eq!(request(&log, "GET", "/api/v1/log/entries?logIndex=3", None).status, 404);
    assert_eq!(
        request(&log, "GET", &format!("/api/v1/log/entries/{}", "ab".repeat(32)), None).status,
        404
    );
    assert_eq!(request(&log, "GET", "/api/v1/log/entries/xyz", None).status, 400);
    let other_tree = format!("{:016x}{}", TREE_ID + 1, &uuid[16..]);
    assert_eq!(
        request(&log, "GET", &format!("/api/v1/log/entries/{other_tree}"), None).status,
        404
    );

    let q = json!({"entries": [proposed, dsse, hashedrekord(&signer, b"never logged")]});
    let found = request(&log, "POST", "/api/v1/log/entries/retrieve", Some(&q)).json();
    let found = found.as_array().expect("array");
    assert_eq!(found.len(), 2);
    assert_eq!(check_entry(&log, &found[0]).0, uuid);
    assert_eq!(check_entry(&log, &found[1]).0, uuid2);
    let q = json!({"entryUUIDs": [uuid2, "00".repeat(32)], "logIndexes": [0, 7]});
    let found = request(&log, "POST", "/api/v1/log/entries/retrieve", Some(&q)).json();
    let keys: Vec<String> = found
        .as_array()
        .expect("array")
        .iter()
        .map(|m| check_entry(&log, m).0)
        .collect();
    assert_eq!(keys, [uuid2.clone(), uuid.clone()]);

    // The search index.
    let search = |q: Value| request(&log, "POST", "/api/v1/index/retrieve", Some(&q)).json();
    let digest = hex(&Sha256::digest(b"hello"));
    assert_eq!(search(json!({"hash": format!("sha256:{digest}")})), json!([uuid]));
    assert_eq!(search(json!({"hash": digest.to_uppercase()})), json!([uuid]));
    let payload_hash =
        serde_json::from_slice::<Value>(&log.entry_body(1)).expect("json")["spec"]["payloadHash"]["value"]
            .as_str()
            .expect("hash")
            .to_owned();
    assert_eq!(
        search(json!({"hash": format!("sha256:{payload_hash}")})),
        json!([uuid2])
    );
    let pem_b64 = STANDARD.encode(signer.public_key().to_pem());
    let by_key = search(json!({"publicKey": {"format": "x509", "content": pem_b64}}));
    assert_eq!(by_key.as_array().map(Vec::len), Some(2));
    let both = json!({"publicKey": {"format": "x509", "content": pem_b64}, "hash": format!("sha256:{digest}")});
    assert_eq!(search(both.clone()), json!([uuid]));
    let mut either = both;
    either["operator"] = json!("or");
    assert_eq!(search(either).as_array().map(Vec::len), Some(2));

    // Log info and consistency proofs between every pair of sizes.
    let info = request(&log, "GET", "/api/v1/log", None).json();
    assert_eq!(info["treeSize"], 3);
    let root3 = h(info["rootHash"].as_str().expect("root"));
    check_checkpoint(&log, info["signedTreeHead"].as_str().expect("STH"), 3, &root3);
    let mut roots = vec![empty_root()];
    for n in 1..=3 {
        let p = request(
            &log,
            "GET",
            &format!("/api/v1/log/proof?firstSize={n}&lastSize={n}"),
            None,
        )
        .json();
        roots.push(h(p["rootHash"].as_str().expect("root")));
    }
    assert_eq!(roots[3], root3);
    for m in 1..=3u64 {
        for n in m..=3u64 {
            let p = request(
                &log,
                "GET",
                &format!("/api/v1/log/proof?firstSize={m}&lastSize={n}"),
                None,
            )
            .json();
            let hs = hashes(&p["hashes"]);
            assert!(
                verify_consistency(m, n, &roots[m as usize], &roots[n as usize], &hs),
                "{m} -> {n}"
            );
        }
    }
    assert_eq!(
        request(&log, "GET", "/api/v1/log/proof?firstSize=3&lastSize=2", None).status,
        400
    );
    assert_eq!(
        request(&log, "GET", "/api/v1/log/proof?firstSize=1&lastSize=4", None).status,
        400
    );
    assert_eq!(
        request(&log, "GET", "/api/v1/log/proof?firstSize=0&lastSize=2", None).status,
        400
    );

    let pem = request(&log, "GET", "/api/v1/log/publicKey", None);
    assert_eq!(pem.status, 200);
    assert_eq!(pem.header("Content-Type"), Some("application/x-pem-file"));
    assert_eq!(String::from_utf8(pem.body).expect("utf-8"), log.public_key_pem());

    // The trusted root names this log.
    let root: Value = serde_json::from_str(&log.trusted_root_json()).expect("json");
    assert_eq!(root["tlogs"][0]["baseUrl"], log.url());
    assert_eq!(root["tlogs"][0]["logId"]["keyId"], STANDARD.encode(log.log_id()));
    let raw = STANDARD
        .decode(root["tlogs"][0]["publicKey"]["rawBytes"].as_str().expect("raw"))
        .expect("b64");
    assert_eq!(Sha256::digest(&raw)[..], log.log_id());
}

#[test]
fn bad_input_is_answered_400_without_harm() {
    let log = RekorLog::start();
    let signer = PrivateKey::generate_p256().expect("key");
    let other = PrivateKey::generate_p256().expect("key");
    let post = |v: &Value| request(&log, "POST", "/api/v1/log/entries", Some(v)).status;

    // A signature by another key, a wrong digest, a truncated signature.
    let mut wrong_key = hashedrekord(&signer, b"x");
    wrong_key["spec"]["signature"]["publicKey"]["content"] = json!(STANDARD.encode(other.public_key().to_pem()));
    assert_eq!(post(&wrong_key), 400);
    let mut wrong_digest = hashedrekord(&signer, b"x");
    wrong_digest["spec"]["data"]["hash"]["value"] = json!(hex(&Sha256::digest(b"y")));
    assert_eq!(post(&wrong_digest), 400);
    let mut short_digest = hashedrekord(&signer, b"x");
    short_digest["spec"]["data"]["hash"]["value"] = json!("abcd");
    assert_eq!(post(&short_digest), 400);
    for (ptr, v) in [
        ("/apiVersion", json!("0.0.2")),
        ("/kind", json!("rekord")),
        ("/spec", json!([])),
        ("/spec/signature/content", json!("!!!")),
        ("/spec/signature/publicKey/content", json!(STANDARD.encode("not a key"))),
        ("/spec/data/hash/algorithm", json!("md5")),
    ] {
        let mut p = hashedrekord(&signer, b"x");
        *p.pointer_mut(ptr).expect("pointer") = v;
        let a = request(&log, "POST", "/api/v1/log/entries", Some(&p));
        assert_eq!(a.status, 400, "{ptr}");
        assert_eq!(a.json()["code"], 400);
    }
    for (method, target, body) in [
        ("POST", "/api/v1/log/entries", "{{{{{"),
        ("POST", "/api/v1/log/entries", "[]"),
        ("POST", "/api/v1/log/entries/retrieve", "{}"),
        ("POST", "/api/v1/log/entries/retrieve", r#"{"logIndexes":[-1]}"#),
        (
            "POST",
            "/api/v1/log/entries/retrieve",
            r#"{"logIndexes":[0,1,2,3,4,5,6,7,8,9,10]}"#,
        ),
        ("POST", "/api/v1/log/entries/retrieve", r#"{"entryUUIDs":["zz"]}"#),
        ("POST", "/api/v1/log/entries/retrieve", r#"{"entries":[{"kind":"x"}]}"#),
        ("POST", "/api/v1/index/retrieve", r#"{"hash":"nope"}"#),
        ("POST", "/api/v1/index/retrieve", r#"{"email":"a@b"}"#),
        (
            "POST",
            "/api/v1/index/retrieve",
            r#"{"publicKey":{"format":"x509","content":"AAAA"}}"#,
        ),
        ("GET", "/api/v1/log/entries?logIndex=-1", ""),
        ("GET", "/api/v1/log/entries", ""),
        ("GET", "/api/v1/log/proof?lastSize=x", ""),
        ("GET", "/api/v1/log/publicKey?treeID=1", ""),
    ] {
        let raw = format!(
            "{method} {target} HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let a = raw_request(&log, raw.as_bytes());
        assert_eq!(a.status, 400, "{method} {target} {body}");
        assert_eq!(a.json()["code"], 400);
    }
    for raw in [
        &b"POST /api/v1/log/entries HTTP/1.1\r\nContent-Length: zz\r\n\r\n"[..],
        b"POST /api/v1/log/entries HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nqq\r\n",
        b"\xff\xfe garbage\r\n\r\n",
    ] {
        let a = raw_request(&log, raw);
        assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(raw));
    }
    assert_eq!(request(&log, "GET", "/nope", None).status, 404);
    assert_eq!(request(&log, "DELETE", "/api/v1/log", None).status, 405);
    // Chunked uploads work.
    let body = hashedrekord(&signer, b"chunked").to_string();
    let (a, b) = body.split_at(10);
    let head = "POST /api/v1/log/entries HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let raw = format!("{head}{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n", a.len(), b.len());
    assert_eq!(raw_request(&log, raw.as_bytes()).status, 201);
    assert_eq!(log.tree_size(), 1);
}

#[test]
fn faults_answer_statuses_delay_and_swap_entries() {
    let log = RekorLog::start();
    let signer = PrivateKey::generate_p256().expect("key");
    let busy = log.add_fault(LogFault::new("POST", "/api/v1/log/entries").status(503).times(1));
    let a = request(&log, "POST", "/api/v1/log/entries", Some(&hashedrekord(&signer, b"a")));
    assert_eq!(a.status, 503);
    assert_eq!(a.json(), json!({"code": 503, "message": "injected"}));
    assert_eq!(log.tree_size(), 0);
    let a = request(&log, "POST", "/api/v1/log/entries", Some(&hashedrekord(&signer, b"a")));
    assert_eq!(a.status, 201);
    assert_eq!(log.hits(busy), 1);
    let b = request(&log, "POST", "/api/v1/log/entries", Some(&hashedrekord(&signer, b"b")));
    let (uuid_a, _) = check_entry(&log, &a.json());
    let (uuid_b, _) = check_entry(&log, &b.json());

    // wrong_entry: the key asked for, the other entry's (valid) content.
    let wrong = log.add_fault(LogFault::new("GET", "/api/v1/log/entries/").wrong_entry().times(1));
    let got = request(&log, "GET", &format!("/api/v1/log/entries/{uuid_a}"), None).json();
    let (key, e) = got.as_object().and_then(|m| m.iter().next()).expect("one entry");
    assert_eq!(key, &uuid_a);
    assert_eq!(e["logIndex"], 1);
    let body = STANDARD.decode(e["body"].as_str().expect("body")).expect("b64");
    assert_eq!(format!("{TREE_ID:016x}{}", hex(&leaf_hash(&body))), uuid_b);
    assert_eq!(log.hits(wrong), 1);
    let right = request(&log, "GET", &format!("/api/v1/log/entries/{uuid_a}"), None).json();
    assert_eq!(check_entry(&log, &right).0, uuid_a);

    // delay: the answer comes late.
    let slow = log.add_fault(
        LogFault::new("GET", "/api/v1/log")
            .delay(Duration::from_millis(300))
            .times(1),
    );
    let start = std::time::Instant::now();
    assert_eq!(request(&log, "GET", "/api/v1/log", None).status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(log.hits(slow), 1);
    assert_eq!(log.count("POST", "/api/v1/log/entries"), 3);
    assert_eq!(log.count("*", "/api/v1/log"), 6);

    // A log dropped while a delayed answer is pending stops at once.
    let pending = log.add_fault(LogFault::new("GET", "/api/v1/log/publicKey").delay(Duration::from_secs(60)));
    let url = log.url();
    let t = std::thread::spawn(move || {
        let mut s = TcpStream::connect(url.trim_start_matches("http://")).expect("connect");
        let _ = s.write_all(b"GET /api/v1/log/publicKey HTTP/1.1\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
    });
    while log.hits(pending) == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let start = std::time::Instant::now();
    drop(log);
    assert!(start.elapsed() < Duration::from_secs(5));
    t.join().expect("client thread");
}

#[test]
fn concurrent_uploads_are_serialized() {
    let log = std::sync::Arc::new(RekorLog::start());
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let log = std::sync::Arc::clone(&log);
            std::thread::spawn(move || {
                let signer = PrivateKey::generate_p256().expect("key");
                let a = request(&log, "POST", "/api/v1/log/entries", Some(&hashedrekord(&signer, &[i])));
                assert_eq!(a.status, 201);
                check_entry(&log, &a.json()).1["logIndex"].as_u64().expect("index")
            })
        })
        .collect();
    let mut indexes: Vec<u64> = threads.into_iter().map(|t| t.join().expect("thread")).collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (0..8).collect::<Vec<_>>());
    let mut t = Tree::new();
    for i in 0..8 {
        t.push(tree::leaf_hash(&log.entry_body(i)));
    }
    let info = request(&log, "GET", "/api/v1/log", None).json();
    assert_eq!(info["rootHash"], hex(&t.root()));
}
