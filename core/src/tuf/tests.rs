//! The TUF client against repositories built here (ECDSA P-256 and Ed25519 keys, a root rotation) served
//! from a directory, each attack refused with the cache left as it was; and the real public-good root
//! chains verified offline.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::Signer as _;
use hsign_keys::{HashAlgorithm, PrivateKey};
use serde_json::{Value, json};

use super::metadata::Root;
use super::*;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors");

fn vector(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{VECTORS}/{rel}")).unwrap()
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn now() -> i64 {
    crate::fulcio::now()
}

fn time(offset: i64) -> String {
    crate::rfc3339::format(now() + offset)
}

enum Signer {
    Ecdsa(PrivateKey),
    Ed25519(ed25519_dalek::SigningKey),
}

/// A metadata signing key: its key id, its TUF key object, and its private half.
struct Key {
    id: String,
    json: Value,
    signer: Signer,
}

impl Key {
    fn ecdsa() -> Self {
        let private = PrivateKey::generate_p256().unwrap();
        let pem = private.public_key().to_pem();
        let json = json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": pem}});
        Self::new(json, Signer::Ecdsa(private))
    }

    fn ed25519(seed: u8) -> Self {
        let private = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let public = hex(private.verifying_key().as_bytes());
        let json = json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": public}});
        Self::new(json, Signer::Ed25519(private))
    }

    fn new(json: Value, signer: Signer) -> Self {
        let id = hex(&HashAlgorithm::Sha256.digest(&canonical_json(&json).unwrap()));
        Self { id, json, signer }
    }

    fn sign(&self, message: &[u8]) -> String {
        match &self.signer {
            Signer::Ecdsa(k) => hex(&k.sign_message(message).unwrap()),
            Signer::Ed25519(k) => hex(&k.sign(message).to_bytes()),
        }
    }
}

/// The envelope of `signed` signed by each of `signers` (in order, duplicates kept).
fn envelope(signed: &Value, signers: &[&Key]) -> Vec<u8> {
    let canonical = canonical_json(signed).unwrap();
    let signatures: Vec<Value> = signers
        .iter()
        .map(|k| json!({"keyid": k.id, "sig": k.sign(&canonical)}))
        .collect();
    serde_json::to_vec_pretty(&json!({"signatures": signatures, "signed": signed})).unwrap()
}

/// Root metadata: the root role's keys and threshold, and one online key for the other three roles.
fn root_signed(version: u64, expires: &str, root_keys: &[&Key], threshold: u64, online: &Key) -> Value {
    let mut keys = serde_json::Map::new();
    for k in root_keys.iter().chain([&online]) {
        keys.insert(k.id.clone(), k.json.clone());
    }
    let ids: Vec<&str> = root_keys.iter().map(|k| k.id.as_str()).collect();
    let online_role = json!({"keyids": [online.id], "threshold": 1});
    json!({
        "_type": "root",
        "spec_version": "1.0",
        "version": version,
        "expires": expires,
        "consistent_snapshot": true,
        "keys": keys,
        "roles": {
            "root": {"keyids": ids, "threshold": threshold},
            "timestamp": online_role,
            "snapshot": online_role,
            "targets": online_role,
        },
    })
}

fn meta(data: &[u8], version: u64) -> Value {
    json!({"version": version, "length": data.len(), "hashes": {"sha256": hex(&HashAlgorithm::Sha256.digest(data))}})
}

/// A repository in a directory, with keys A (ECDSA) and B (Ed25519) as root keys of version 1 (threshold 2),
/// B and C (ECDSA) for version 2, and an Ed25519 online key.
struct Repo {
    dir: tempfile::TempDir,
    a: Key,
    b: Key,
    c: Key,
    online: Key,
    root_v1: Vec<u8>,
}

impl Repo {
    fn new() -> Self {
        let (a, b, c, online) = (Key::ecdsa(), Key::ed25519(7), Key::ecdsa(), Key::ed25519(9));
        let dir = tempfile::tempdir().unwrap();
        let root_v1 = envelope(&root_signed(1, &time(86400), &[&a, &b], 2, &online), &[&a, &b]);
        std::fs::write(dir.path().join("1.root.json"), &root_v1).unwrap();
        let repo = Self {
            dir,
            a,
            b,
            c,
            online,
            root_v1,
        };
        repo.publish_root_v2(&[&repo.a, &repo.b, &repo.c]);
        repo.publish(1, &time(86400), &vector("trusted-root/production/trusted_root.json"));
        repo
    }

    fn path(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join(rel)
    }

    fn publish_root_v2(&self, signers: &[&Key]) {
        let signed = root_signed(2, &time(86400 * 30), &[&self.b, &self.c], 2, &self.online);
        std::fs::write(self.path("2.root.json"), envelope(&signed, signers)).unwrap();
    }

    /// Publishes timestamp, snapshot and targets, all at `version`, with `trusted_root` (and a signing
    /// config) as targets.
    fn publish(&self, version: u64, ts_expires: &str, trusted_root: &[u8]) {
        std::fs::create_dir_all(self.path("targets")).unwrap();
        let config = vector("trusted-root/production/signing_config.v0.2.json");
        let mut targets = serde_json::Map::new();
        for (name, data) in [
            ("trusted_root.json", trusted_root),
            ("signing_config.v0.2.json", &config),
        ] {
            let sha256 = hex(&HashAlgorithm::Sha256.digest(data));
            let sha512 = hex(&HashAlgorithm::Sha512.digest(data));
            std::fs::write(self.path(&format!("targets/{sha256}.{name}")), data).unwrap();
            targets.insert(
                name.into(),
                json!({"length": data.len(), "hashes": {"sha256": sha256, "sha512": sha512}}),
            );
        }
        targets.insert("unrelated.pub".into(), json!({"length": 1, "hashes": {"sha256": "00"}}));
        let common =
            |t: &str, expires: &str| json!({"_type": t, "spec_version": "1.0", "version": version, "expires": expires});
        let mut t = common("targets", &time(86400 * 7));
        t["targets"] = Value::Object(targets);
        let targets_bytes = envelope(&t, &[&self.online]);
        std::fs::write(self.path(&format!("{version}.targets.json")), &targets_bytes).unwrap();
        let mut s = common("snapshot", &time(86400 * 7));
        s["meta"] = json!({"targets.json": meta(&targets_bytes, version)});
        let snapshot_bytes = envelope(&s, &[&self.online]);
        std::fs::write(self.path(&format!("{version}.snapshot.json")), &snapshot_bytes).unwrap();
        let mut ts = common("timestamp", ts_expires);
        ts["meta"] = json!({"snapshot.json": meta(&snapshot_bytes, version)});
        std::fs::write(self.path("timestamp.json"), envelope(&ts, &[&self.online])).unwrap();
    }

    fn update(&self, cache: &Path) -> Result<UpdateReport, TufError> {
        update(
            &DirFetcher::new(self.dir.path()),
            cache,
            "file://test",
            Bootstrap::CachedOr(&self.root_v1),
            now(),
        )
    }
}

/// Every file of a directory tree and its bytes (the lock file's are empty either way).
fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// Updates once successfully, breaks the repository with `attack`, and checks the next update is refused
/// with an error containing `expected` and the cache is left byte for byte as it was.
fn refused_after_good_update(attack: impl FnOnce(&Repo), expected: &[&str]) {
    let repo = Repo::new();
    let cache = tempfile::tempdir().unwrap();
    repo.update(cache.path()).unwrap();
    let before = snapshot_dir(cache.path());
    attack(&repo);
    let err = repo.update(cache.path()).unwrap_err().to_string();
    for e in expected {
        assert!(err.contains(e), "expected '{e}' in: {err}");
    }
    assert_eq!(snapshot_dir(cache.path()), before, "the cache changed after: {err}");
    assert!(cached_trusted_root(cache.path()).is_some());
}

#[test]
fn updates_through_a_root_rotation_and_caches_a_verified_trusted_root() {
    let repo = Repo::new();
    let cache = tempfile::tempdir().unwrap();
    assert!(cached_trusted_root(cache.path()).is_none());
    let report = repo.update(cache.path()).unwrap();
    assert_eq!((report.root_version_before, report.root_version), (1, 2));
    assert_eq!(report.timestamp_version, 1);
    let names: Vec<&str> = report.targets.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["trusted_root.json", "signing_config.v0.2.json"]);
    assert!(report.targets.iter().all(|t| t.downloaded));
    let expected = crate::trust::TrustedRoot::from_json(&vector("trusted-root/production/trusted_root.json")).unwrap();
    assert_eq!(report.trusted_root, expected);
    assert_eq!(cached_trusted_root(cache.path()), Some(expected));
    assert_eq!(cached_mirror(cache.path()).as_deref(), Some("file://test"));
    for f in [
        "root.json",
        "timestamp.json",
        "snapshot.json",
        "targets.json",
        "targets/trusted_root.json",
    ] {
        assert!(cache.path().join(f).is_file(), "{f}");
    }
    assert_eq!(
        std::fs::read(cache.path().join("root.json")).unwrap(),
        std::fs::read(repo.path("2.root.json")).unwrap()
    );

    // A second update starts from the cached root v2 and reuses the cached targets.
    let again = repo.update(cache.path()).unwrap();
    assert_eq!((again.root_version_before, again.root_version), (2, 2));
    assert!(again.targets.iter().all(|t| !t.downloaded));

    // A newer timestamp is taken.
    repo.publish(2, &time(86400), &vector("trusted-root/production/trusted_root.json"));
    assert_eq!(repo.update(cache.path()).unwrap().timestamp_version, 2);
}

#[test]
fn refuses_a_root_not_signed_by_the_previous_roots_keys() {
    let repo = Repo::new();
    // B and C sign: v2's own threshold is met, but only B of v1's keys signed.
    repo.publish_root_v2(&[&repo.b, &repo.c]);
    let cache = tempfile::tempdir().unwrap();
    let err = repo.update(cache.path()).unwrap_err().to_string();
    assert!(
        err.contains("2.root.json") && err.contains("1 valid signature(s)") && err.contains("version 1 of root.json"),
        "{err}"
    );
    assert!(snapshot_dir(cache.path()).keys().all(|k| k == "lock"), "cache written");
}

#[test]
fn refuses_a_root_not_signed_by_its_own_keys() {
    let repo = Repo::new();
    repo.publish_root_v2(&[&repo.a, &repo.b]);
    let err = repo
        .update(tempfile::tempdir().unwrap().path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("2.root.json") && err.contains("version 2 of root.json"),
        "{err}"
    );
}

#[test]
fn duplicate_signatures_by_one_key_count_once() {
    let repo = Repo::new();
    repo.publish_root_v2(&[&repo.a, &repo.a, &repo.a, &repo.c]);
    let err = repo.update(tempfile::tempdir().unwrap().path()).unwrap_err();
    assert!(
        matches!(
            err,
            TufError::Threshold {
                valid: 1,
                threshold: 2,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn one_key_under_two_key_ids_counts_once() {
    let a = Key::ecdsa();
    let online = Key::ed25519(3);
    let mut signed = root_signed(1, &time(3600), &[&a], 2, &online);
    let alias = "alias-of-a".to_string();
    signed["keys"][&alias] = a.json.clone();
    signed["roles"]["root"]["keyids"] = json!([a.id, alias]);
    let canonical = canonical_json(&signed).unwrap();
    let sig = a.sign(&canonical);
    let data = serde_json::to_vec(&json!({
        "signatures": [{"keyid": a.id, "sig": sig}, {"keyid": alias, "sig": sig}],
        "signed": signed,
    }))
    .unwrap();
    let root = Root::parse("root.json", &data).unwrap();
    let err = root.verify_role("root", &root.envelope).unwrap_err();
    assert!(matches!(err, TufError::Threshold { valid: 1, .. }), "{err}");
}

#[test]
fn refuses_an_expired_timestamp() {
    refused_after_good_update(
        |repo| repo.publish(2, &time(-60), &vector("trusted-root/production/trusted_root.json")),
        &["timestamp.json expired"],
    );
}

#[test]
fn refuses_a_timestamp_rollback() {
    let repo = Repo::new();
    let cache = tempfile::tempdir().unwrap();
    repo.publish(3, &time(86400), &vector("trusted-root/production/trusted_root.json"));
    repo.update(cache.path()).unwrap();
    let before = snapshot_dir(cache.path());
    repo.publish(2, &time(86400), &vector("trusted-root/production/trusted_root.json"));
    let err = repo.update(cache.path()).unwrap_err().to_string();
    assert!(
        err.contains("timestamp.json has version 2, lower than the cached version 3"),
        "{err}"
    );
    assert_eq!(snapshot_dir(cache.path()), before);
}

#[test]
fn refuses_a_snapshot_that_does_not_match_the_timestamp() {
    refused_after_good_update(
        |repo| {
            repo.publish(2, &time(86400), &vector("trusted-root/production/trusted_root.json"));
            // Same length, other bytes: still valid JSON, still validly signed.
            let p = repo.path("2.snapshot.json");
            let text = std::fs::read_to_string(&p).unwrap().replacen(",\n", "\n,", 1);
            std::fs::write(&p, text).unwrap();
        },
        &["2.snapshot.json does not match its metadata", "sha256"],
    );
}

#[test]
fn refuses_a_target_of_the_wrong_length_or_hash() {
    let tamper = |same_length: bool| {
        move |repo: &Repo| {
            let mut data = vector("trusted-root/production/trusted_root.json");
            data.extend_from_slice(b" ");
            repo.publish(2, &time(86400), &data);
            let sha = hex(&HashAlgorithm::Sha256.digest(&data));
            let p = repo.path(&format!("targets/{sha}.trusted_root.json"));
            let mut served = data.clone();
            if same_length {
                *served.last_mut().unwrap() = b'\n';
            } else {
                served.extend_from_slice(b"\n");
            }
            std::fs::write(p, served).unwrap();
        }
    };
    refused_after_good_update(tamper(true), &["trusted_root.json does not match", "sha256"]);
    refused_after_good_update(tamper(false), &["trusted_root.json"]);
}

#[test]
fn refuses_a_target_that_is_not_a_trusted_root() {
    refused_after_good_update(
        |repo| repo.publish(2, &time(86400), br#"{"mediaType": "nope"}"#),
        &["TUF target trusted_root.json", "mediaType"],
    );
}

#[test]
fn a_cache_edited_by_hand_is_not_used() {
    let repo = Repo::new();
    let cache = tempfile::tempdir().unwrap();
    repo.update(cache.path()).unwrap();
    let p = cache.path().join("targets/trusted_root.json");
    let mut data = std::fs::read(&p).unwrap();
    data.push(b'\n');
    std::fs::write(&p, data).unwrap();
    assert!(cached_trusted_root(cache.path()).is_none());
}

#[test]
fn concurrent_updates_of_one_cache_both_succeed_and_leave_it_consistent() {
    let repo = Repo::new();
    let cache = tempfile::tempdir().unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| repo.update(cache.path()))).collect();
        let reader = s.spawn(|| {
            // Readers never see a half-written file: whenever a trusted root is read, it is the whole one.
            for _ in 0..50 {
                if let Some(r) = cached_trusted_root(cache.path()) {
                    assert!(!r.tlogs.is_empty());
                }
            }
        });
        for h in handles {
            let report = h.join().unwrap().unwrap();
            assert_eq!(report.root_version, 2);
        }
        reader.join().unwrap();
    });
    assert!(cached_trusted_root(cache.path()).is_some());
    let leftovers: Vec<String> = snapshot_dir(cache.path())
        .into_keys()
        .filter(|k| k.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn explicit_root_must_be_self_signed() {
    let repo = Repo::new();
    let mut forged: Value = serde_json::from_slice(&repo.root_v1).unwrap();
    forged["signed"]["version"] = json!(5);
    let data = serde_json::to_vec(&forged).unwrap();
    let err = update(
        &DirFetcher::new(repo.dir.path()),
        tempfile::tempdir().unwrap().path(),
        "file://test",
        Bootstrap::Explicit(&data),
        now(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("root.json (given)") && err.contains("0 valid signature(s)"),
        "{err}"
    );
}

#[test]
fn real_public_good_root_chains_verify_offline() {
    for (older, newer) in [
        ("production.14.root.json", "production.15.root.json"),
        ("staging.13.root.json", "staging.14.root.json"),
    ] {
        let old = Root::parse(older, &vector(&format!("trusted-root/tuf-roots/{older}"))).unwrap();
        let new = Root::parse(newer, &vector(&format!("trusted-root/tuf-roots/{newer}"))).unwrap();
        old.verify_role("root", &old.envelope).unwrap();
        old.verify_role("root", &new.envelope).unwrap();
        new.verify_role("root", &new.envelope).unwrap();
        assert_eq!(new.common.version, old.common.version + 1);
        assert!(new.consistent_snapshot);
    }
    // The embedded roots are the vector copies.
    assert_eq!(
        PRODUCTION_ROOT_JSON,
        vector("trusted-root/tuf-roots/production.15.root.json").as_slice()
    );
    assert_eq!(
        STAGING_ROOT_JSON,
        vector("trusted-root/tuf-roots/staging.14.root.json").as_slice()
    );
}

#[test]
fn real_root_update_walks_to_the_next_version_then_needs_a_timestamp() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("15.root.json"),
        vector("trusted-root/tuf-roots/production.15.root.json"),
    )
    .unwrap();
    let v14 = vector("trusted-root/tuf-roots/production.14.root.json");
    let v15 = Root::parse("15", &vector("trusted-root/tuf-roots/production.15.root.json")).unwrap();
    let err = update(
        &DirFetcher::new(repo.path()),
        tempfile::tempdir().unwrap().path(),
        "file://test",
        Bootstrap::Explicit(&v14),
        v15.common.expires_unix - 3600,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("timestamp.json is missing"), "{err}");

    // A tampered signed part breaks every signature.
    let mut doc: Value = serde_json::from_slice(&vector("trusted-root/tuf-roots/production.15.root.json")).unwrap();
    doc["signed"]["expires"] = json!("2099-01-01T00:00:00Z");
    let tampered = Root::parse("15.root.json", &serde_json::to_vec(&doc).unwrap()).unwrap();
    let old = Root::parse("14", &v14).unwrap();
    assert!(old.verify_role("root", &tampered.envelope).is_err());
}
