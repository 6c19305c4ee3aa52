//! `hsign rekor` end to end, against the Rekor-compatible test log (tests/support/rekor): `get` by UUID and by
//! index verifies the SET, the inclusion proof and the checkpoint with the log's key from `--rekor-public-key`
//! or `--trusted-root` (and fails closed without it); `search` by digest, file and key; `verify` proves an
//! entry is in the current tree, with a consistency proof when the log grew after the entry was fetched;
//! `loginfo --state` keeps the last tree head and catches a forked or rolled-back log without touching the
//! state file; a failing log is retried a bounded number of times.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use hsign_e2e::rekor::{LogFault, RekorLog, TREE_ID};
use hsign_e2e::*;

/// A key pair (password `pw`), and the log's key and trusted root, in a temp dir.
fn setup(log: &RekorLog) -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    log.write_public_key(dir.path());
    log.write_trusted_root(dir.path());
    dir
}

/// An entry logged by `sign-blob`.
struct Logged {
    /// The 64-hex UUID (leaf hash of the stored body).
    uuid: String,
    /// Hex SHA-256 of the artifact.
    sha: String,
    /// The artifact file name.
    file: String,
}

/// Writes `content` to `name` and signs it with the log; returns the entry's UUID and the artifact digest.
fn log_artifact(d: &Path, log: &RekorLog, name: &str, content: &str) -> Logged {
    std::fs::write(d.join(name), content).unwrap();
    let bundle = format!("{name}.bundle");
    hsign(&[
        "sign-blob",
        "--key",
        "cosign.key",
        "--rekor-url",
        &log.url(),
        "--bundle",
        &bundle,
        name,
    ])
    .cwd(d)
    .password("pw")
    .run()
    .ok();
    let b: Value = serde_json::from_str(&read(&d.join(&bundle))).unwrap();
    let body = STANDARD
        .decode(
            b["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let mut leaf = Sha256::new();
    leaf.update([0u8]);
    leaf.update(&body);
    Logged {
        uuid: hex(&leaf.finalize()),
        sha: hex(&Sha256::digest(content.as_bytes())),
        file: name.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hsign rekor ARGS... --rekor-url URL` in `d`.
fn rekor(d: &Path, log: &RekorLog, args: &[&str]) -> Output {
    let url = log.url();
    let mut all = vec!["rekor"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--rekor-url", &url]);
    hsign(&all).cwd(d).run()
}

/// The `sha256:<hex>` fingerprint of `cosign.pub` in `d`.
fn key_fingerprint(d: &Path) -> String {
    hsign_keys::PublicKey::from_pem_or_der(read(&d.join("cosign.pub")).as_bytes())
        .unwrap()
        .fingerprint_string()
}

const KEY: [&str; 2] = ["--rekor-public-key", "rekor.pub"];
const ROOT: [&str; 2] = ["--trusted-root", "trusted_root.json"];

#[test]
fn get_by_uuid_and_by_index_verifies_with_the_logs_key_and_fails_closed_without_it() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let first = log_artifact(d, &log, "a.txt", "first artifact\n");
    let second = log_artifact(d, &log, "b.txt", "second artifact\n");
    assert_eq!(log.tree_size(), 2);
    let fingerprint = key_fingerprint(d);

    // Human output, by UUID (64 hex digits, and 80 with the tree id), with either trust flag.
    let long_uuid = format!("{TREE_ID:016x}{}", second.uuid);
    for (uuid, trust) in [(&second.uuid, KEY), (&long_uuid, ROOT)] {
        let out = rekor(d, &log, &["get", "--uuid", uuid, trust[0], trust[1]]);
        out.ok();
        let text = &out.stdout;
        // The log's own spelling of the UUID (with its tree id), whichever form was asked for.
        assert!(text.contains(&format!("UUID:            {long_uuid}\n")), "{text}");
        assert!(text.contains("Log index:       1\n"), "{text}");
        assert!(text.contains("Kind:            hashedrekord 0.0.1"), "{text}");
        assert!(
            text.contains(&format!("Digest:          sha256:{}", second.sha)),
            "{text}"
        );
        assert!(
            text.contains(&format!("Signer:          public key {fingerprint}")),
            "{text}"
        );
        assert!(
            text.contains("Verified:        SET, inclusion proof, checkpoint"),
            "{text}"
        );
        let time = text
            .lines()
            .find_map(|l| l.strip_prefix("Integrated time: "))
            .unwrap_or_else(|| panic!("no integrated time: {text}"));
        assert!(time.ends_with('Z') && time.len() == 20, "{time}");
    }

    // JSON, by index, with the key from SIGSTORE_REKOR_PUBLIC_KEY.
    let out = hsign(&[
        "rekor",
        "get",
        "--log-index",
        "0",
        "--rekor-url",
        &log.url(),
        "-o",
        "json",
    ])
    .cwd(d)
    .env("SIGSTORE_REKOR_PUBLIC_KEY", s(&d.join("rekor.pub")))
    .run();
    out.ok();
    let v = out.json();
    assert!(v["uuid"].as_str().unwrap().ends_with(&first.uuid), "{v}");
    assert_eq!(v["logIndex"], 0);
    assert_eq!(v["kind"], "hashedrekord");
    assert_eq!(v["apiVersion"], "0.0.1");
    assert_eq!(v["digest"], format!("sha256:{}", first.sha));
    assert_eq!(v["signers"][0]["certificate"], false);
    assert_eq!(v["signers"][0]["keyFingerprint"], fingerprint);
    assert_eq!(v["logId"], hex(&log.log_id()));
    assert!(v["integratedTime"].as_str().unwrap().ends_with('Z'), "{v}");
    for check in ["signedEntryTimestamp", "inclusionProof", "checkpoint"] {
        assert_eq!(v["verified"][check], true, "{check}: {v}");
    }
    assert_eq!(v["inclusionProof"]["treeSize"], 2);
    // The decoded body, as the log stored it.
    assert_eq!(v["body"]["kind"], "hashedrekord");
    assert_eq!(v["body"]["spec"]["data"]["hash"]["value"], first.sha);

    // Without the log's key, the embedded public-good root does not know the test log: fails closed.
    for args in [
        &["get", "--uuid", &first.uuid][..],
        &["get", "--log-index", "1"],
        &["verify", "--log-index", "1"],
    ] {
        let out = rekor(d, &log, args);
        out.expect_code(12);
        assert!(out.stderr.contains("unknown transparency log"), "{}", out.stderr);
        assert!(out.stderr.contains("--rekor-public-key"), "{}", out.stderr);
    }

    // Not in the log: exit 11. A malformed UUID is a usage error, and nothing is asked of the log.
    let out = rekor(d, &log, &["get", "--uuid", &"0".repeat(64), KEY[0], KEY[1]]);
    out.expect_code(11);
    assert!(out.stderr.contains("no such entry"), "{}", out.stderr);
    rekor(d, &log, &["get", "--log-index", "99", KEY[0], KEY[1]]).expect_code(11);
    let before = log.count("*", "/");
    rekor(d, &log, &["get", "--uuid", "not-a-uuid", KEY[0], KEY[1]]).expect_code(2);
    assert_eq!(log.count("*", "/"), before);

    // A log that answers with another (validly logged) entry: refused by UUID and by index.
    log.add_fault(LogFault::new("GET", "/api/v1/log/entries").wrong_entry());
    let out = rekor(d, &log, &["get", "--uuid", &first.uuid, KEY[0], KEY[1]]);
    out.expect_code(12);
    assert!(out.stderr.contains("UUID check failed"), "{}", out.stderr);
    let out = rekor(d, &log, &["get", "--log-index", "0", KEY[0], KEY[1]]);
    out.expect_code(12);
    assert!(out.stderr.contains("another entry"), "{}", out.stderr);
}

#[test]
fn search_finds_entries_by_digest_by_file_and_by_key() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let a = log_artifact(d, &log, "a.txt", "searched artifact\n");
    let b = log_artifact(d, &log, "b.txt", "another artifact\n");
    let lines = |out: &Output| -> Vec<String> { out.stdout.lines().map(str::to_string).collect() };
    let is = |line: &str, entry: &Logged| line.ends_with(&entry.uuid);

    for query in [
        vec!["--sha".to_string(), format!("sha256:{}", a.sha)],
        vec!["--sha".to_string(), a.sha.clone()],
        vec!["--artifact".to_string(), a.file.clone()],
    ] {
        let mut args = vec!["search"];
        args.extend(query.iter().map(String::as_str));
        let out = rekor(d, &log, &args);
        out.ok();
        let found = lines(&out);
        assert_eq!(found.len(), 1, "{query:?}: {found:?}");
        assert!(is(&found[0], &a), "{found:?}");
        assert!(out.stderr.contains("unverified"), "{}", out.stderr);
    }
    // By key: both entries; as JSON, an array.
    let out = rekor(d, &log, &["search", "--public-key", "cosign.pub", "-o", "json"]);
    out.ok();
    let found: Vec<String> = serde_json::from_value(out.json()).unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.iter().any(|u| is(u, &a)) && found.iter().any(|u| is(u, &b)),
        "{found:?}"
    );
    // File and key together: entries matching both.
    let out = rekor(
        d,
        &log,
        &["search", "--artifact", &b.file, "--public-key", "cosign.pub"],
    );
    out.ok();
    assert_eq!(lines(&out).len(), 1);
    assert!(is(&lines(&out)[0], &b));

    // Nothing indexed: exit 11 with the index caveat. Another key: nothing either.
    let out = rekor(d, &log, &["search", "--sha", &format!("sha256:{}", "ab".repeat(32))]);
    out.expect_code(11);
    assert!(out.stderr.contains("may be incomplete"), "{}", out.stderr);
    hsign(&["generate-key-pair", "--output-key-prefix", "other"])
        .cwd(d)
        .password("pw")
        .run()
        .ok();
    rekor(d, &log, &["search", "--public-key", "other.pub"]).expect_code(11);
    // Bad input: a malformed digest is a usage error; a missing file names it.
    rekor(d, &log, &["search", "--sha", "sha256:xyz"]).expect_code(2);
    let out = rekor(d, &log, &["search", "--artifact", "missing.txt"]);
    out.expect_code(1);
    assert!(out.stderr.contains("missing.txt"), "{}", out.stderr);
}

#[test]
fn verify_proves_an_entry_is_in_the_current_tree_with_a_consistency_proof_when_the_log_grew() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    let entry = log_artifact(d, &log, "a.txt", "the entry\n");
    for i in 0..2 {
        log_artifact(d, &log, &format!("w{i}.txt"), &format!("later entry {i}\n"));
    }
    assert_eq!(log.tree_size(), 3);

    // The log answers with a proof for its current tree: nothing more to prove.
    let out = rekor(d, &log, &["verify", "--uuid", &entry.uuid, KEY[0], KEY[1]]);
    out.ok();
    assert!(
        out.stdout.contains("Verified:        SET, inclusion proof, checkpoint"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("no consistency proof needed"), "{}", out.stdout);
    assert!(
        out.stderr.contains("is in the log's current tree of 3 entries"),
        "{}",
        out.stderr
    );
    assert_eq!(log.count("GET", "/api/v1/log/proof"), 0);

    // The log grows between the entry's answer (held back 4 s, its proof for a tree of 3) and the tree head:
    // the entry's tree is older, and a consistency proof from 3 to 4 links it to the current tree.
    log.add_fault(
        LogFault::new("GET", "/api/v1/log/entries?logIndex=0")
            .delay(Duration::from_secs(4))
            .times(1),
    );
    let url = log.url();
    let dir_path = d.to_path_buf();
    let pending = std::thread::spawn(move || {
        hsign(&[
            "rekor",
            "verify",
            "--log-index",
            "0",
            "--rekor-url",
            &url,
            "--trusted-root",
            "trusted_root.json",
            "-o",
            "json",
        ])
        .cwd(&dir_path)
        .run()
    });
    let start = Instant::now();
    while log.count("GET", "/api/v1/log/entries?logIndex=0") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "hsign never asked for the entry"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    log_artifact(d, &log, "late.txt", "logged while the answer was in flight\n");
    assert_eq!(log.tree_size(), 4);
    let out = pending.join().unwrap();
    out.ok();
    let v = out.json();
    assert_eq!(v["logIndex"], 0, "{v}");
    assert_eq!(v["entryTreeSize"], 3, "{v}");
    assert_eq!(v["currentTree"]["treeSize"], 4, "{v}");
    assert_eq!(v["consistencyProof"]["firstSize"], 3, "{v}");
    assert_eq!(v["consistencyProof"]["lastSize"], 4, "{v}");
    assert_eq!(v["consistencyProof"]["verified"], true, "{v}");
    assert_eq!(v["inCurrentTree"], true, "{v}");
    assert_eq!(log.count("GET", "/api/v1/log/proof?firstSize=3&lastSize=4"), 1);

    // A log that cannot give the consistency proof: a clear failure, not a verdict.
    log.add_fault(
        LogFault::new("GET", "/api/v1/log/entries?logIndex=1")
            .delay(Duration::from_secs(3))
            .times(1),
    );
    log.add_fault(LogFault::new("GET", "/api/v1/log/proof").status(500));
    let url = log.url();
    let dir_path = d.to_path_buf();
    let pending = std::thread::spawn(move || {
        hsign(&["rekor", "verify", "--log-index", "1", "--rekor-url", &url])
            .cwd(&dir_path)
            .env("SIGSTORE_REKOR_PUBLIC_KEY", "rekor.pub")
            .run()
    });
    let start = Instant::now();
    while log.count("GET", "/api/v1/log/entries?logIndex=1") == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "hsign never asked for the entry"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    log_artifact(d, &log, "later.txt", "one more\n");
    let out = pending.join().unwrap();
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot fetch the consistency proof"),
        "{}",
        out.stderr
    );
}

#[test]
fn loginfo_with_state_proves_the_log_only_grew_and_keeps_the_state_when_it_forked() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    log_artifact(d, &log, "a.txt", "one\n");
    log_artifact(d, &log, "b.txt", "two\n");

    // Without a state file: the verified tree head.
    let out = rekor(d, &log, &["loginfo", KEY[0], KEY[1]]);
    out.ok();
    assert!(out.stdout.contains("Tree size:  2\n"), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("Tree ID:    {TREE_ID}")), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("Origin:     {}", log.origin())),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("Verified"), "{}", out.stderr);
    // The public-good root does not know the test log's key.
    let out = rekor(d, &log, &["loginfo"]);
    out.expect_code(12);
    assert!(
        out.stderr.contains("not signed by any transparency log"),
        "{}",
        out.stderr
    );

    // First run: writes the state.
    let state = d.join("state.json");
    let run = |extra: &[&str]| {
        let mut args = vec!["loginfo", "--state", "state.json", ROOT[0], ROOT[1], "-o", "json"];
        args.extend_from_slice(extra);
        rekor(d, &log, &args)
    };
    let out = run(&[]);
    out.ok();
    let v = out.json();
    assert_eq!(v["treeSize"], 2);
    assert_eq!(v["treeID"], TREE_ID.to_string());
    assert_eq!(v["state"]["status"], "first run");
    let saved: Value = serde_json::from_str(&read(&state)).unwrap();
    assert_eq!(saved["treeSize"], 2);
    assert_eq!(saved["rootHash"], v["rootHash"]);
    assert_eq!(saved["origin"], log.origin());
    assert!(saved["checkpoint"].as_str().unwrap().starts_with(&log.origin()));

    // The log grows: the consistency proof from 2 to 4 is verified and the state moves on.
    log_artifact(d, &log, "c.txt", "three\n");
    log_artifact(d, &log, "d.txt", "four\n");
    let out = run(&[]);
    out.ok();
    let v = out.json();
    assert_eq!(v["state"]["status"], "consistent");
    assert_eq!(v["state"]["previous"]["treeSize"], 2);
    assert_eq!(v["treeSize"], 4);
    assert_eq!(log.count("GET", "/api/v1/log/proof?firstSize=2&lastSize=4"), 1);
    let saved: Value = serde_json::from_str(&read(&state)).unwrap();
    assert_eq!(saved["treeSize"], 4);
    // Human output says what was proved.
    log_artifact(d, &log, "e.txt", "five\n");
    let out = rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]);
    out.ok();
    assert!(out.stderr.contains("grew from 4 to 5 entries"), "{}", out.stderr);
    // Nothing new: unchanged, no proof needed.
    let out = run(&[]);
    out.ok();
    assert_eq!(out.json()["state"]["status"], "unchanged");

    // A saved root the log's tree does not extend (a fork, as the client sees it): exit 12, loudly, and the
    // state file stays as it was — with more entries (a proof that fails) and with none (roots that differ).
    let good = read(&state);
    let mut forked: Value = serde_json::from_str(&good).unwrap();
    let root = forked["rootHash"].as_str().unwrap().to_string();
    let flipped = if root.starts_with('0') { "1" } else { "0" };
    forked["rootHash"] = Value::String(format!("{flipped}{}", &root[1..]));
    let forked_text = serde_json::to_string_pretty(&forked).unwrap();
    for grow in [false, true] {
        std::fs::write(&state, &forked_text).unwrap();
        if grow {
            log_artifact(d, &log, "f.txt", "six\n");
        }
        let out = rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]);
        out.expect_code(12);
        assert!(out.stderr.contains("LOG FORK DETECTED"), "{}", out.stderr);
        assert!(out.stderr.contains("state.json' was left unchanged"), "{}", out.stderr);
        assert_eq!(read(&state), forked_text, "the state file was changed");
    }
    // As JSON, the error document.
    let out = run(&[]);
    out.expect_code(12);
    assert_eq!(out.json()["exitCode"], 12);
    assert_eq!(read(&state), forked_text);

    // A saved tree larger than the log's (a rollback): exit 12, state unchanged.
    let mut bigger: Value = serde_json::from_str(&good).unwrap();
    bigger["treeSize"] = Value::from(1000);
    let bigger_text = serde_json::to_string_pretty(&bigger).unwrap();
    std::fs::write(&state, &bigger_text).unwrap();
    let out = rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]);
    out.expect_code(12);
    assert!(out.stderr.contains("shrank from 1000"), "{}", out.stderr);
    assert_eq!(read(&state), bigger_text);

    // Another tree id (a sharded log's new tree): refused with exit 1, nothing proved either way.
    let mut other: Value = serde_json::from_str(&good).unwrap();
    other["treeID"] = Value::from("42");
    let other_text = serde_json::to_string_pretty(&other).unwrap();
    std::fs::write(&state, &other_text).unwrap();
    let out = rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]);
    out.expect_code(1);
    assert!(out.stderr.contains("tree id changed from '42'"), "{}", out.stderr);
    assert!(out.stderr.contains("old shard"), "{}", out.stderr);
    assert_eq!(read(&state), other_text);

    // A state file that is not one: exit 3, naming the file and the field.
    std::fs::write(
        &state,
        r#"{"origin":"x","treeSize":1,"rootHash":"zz","treeID":"1","checkpoint":""}"#,
    )
    .unwrap();
    let out = rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]);
    out.expect_code(3);
    assert!(
        out.stderr.contains("state.json") && out.stderr.contains("rootHash"),
        "{}",
        out.stderr
    );

    // The good state again: the log extends it.
    std::fs::write(&state, &good).unwrap();
    rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]).ok();
    let saved: Value = serde_json::from_str(&read(&state)).unwrap();
    assert_eq!(saved["treeSize"], log.tree_size());
}

#[test]
fn loginfo_retries_a_failing_log_a_bounded_number_of_times() {
    let log = RekorLog::start();
    let dir = setup(&log);
    let d = dir.path();
    log_artifact(d, &log, "a.txt", "one\n");

    let rule = log.add_fault(LogFault::new("GET", "/api/v1/log").status(500).times(2));
    let out = rekor(d, &log, &["loginfo", KEY[0], KEY[1], "-o", "json"]);
    out.ok();
    assert_eq!(out.json()["treeSize"], 1);
    assert_eq!(log.hits(rule), 2);

    let rule = log.add_fault(LogFault::new("GET", "/api/v1/log").status(500));
    let out = rekor(d, &log, &["loginfo", "--state", "state.json", KEY[0], KEY[1]]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot read the log's signed tree head"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("500"), "{}", out.stderr);
    assert_eq!(log.hits(rule), 4, "one try and three retries");
    assert!(!d.join("state.json").exists(), "no state written when the log failed");
}
