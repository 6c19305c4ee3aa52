//! Offline verification of bundles with transparency-log entries (not a test): N message-signature bundles
//! (default 1,000), each recorded in the Rekor-compatible test log (so each carries a SET and an inclusion
//! proof under a signed checkpoint), verified in one process by hsign's verifier (read + parse + signature +
//! SET + inclusion proof + checkpoint + body match) and by sigstore-js's `@sigstore/verify` (its verification
//! loop only, bundles already parsed) on the same files with the same trusted root. Run with
//! `scripts/bench-tlog.sh`; figures go in BENCHMARKS.md.

use std::time::{Duration, Instant};

use hsign_core::bundle::Bundle;
use hsign_core::keys::{HashAlgorithm, PrivateKey};
use hsign_core::tlog::client::RekorClient;
use hsign_core::tlog::upload::Uploader;
use hsign_core::trust::TrustedRoot;
use hsign_core::verify::{Artifact, Policy, SignedEntity, TlogOutcome, Verifier};
use hsign_core::{ArtifactDigest, sign};
use hsign_e2e::rekor::RekorLog;
use hsign_e2e::*;

fn main() {
    let n: usize = std::env::var("BENCH_BUNDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let log = RekorLog::start();
    let dir = tempdir();
    let d = dir.path();
    let root_path = log.write_trusted_root(d);
    let trust = TrustedRoot::from_json(&std::fs::read(&root_path).unwrap()).unwrap();
    let key = PrivateKey::generate_p256().unwrap();
    std::fs::write(d.join("key.pem"), key.public_key().to_pem()).unwrap();
    let uploader = Uploader {
        client: RekorClient::new(&log.url(), Duration::from_secs(30)),
        trust: trust.clone(),
    };
    let mut files = Vec::with_capacity(n);
    for i in 0..n {
        let artifact = format!("release artifact {i}\n").into_bytes();
        let digest = ArtifactDigest::of(HashAlgorithm::Sha256, &artifact);
        let mut bundle = sign::sign_digest(&key, &digest).unwrap();
        let hsign_core::bundle::SignatureContent::Message(m) = &bundle.content else {
            unreachable!()
        };
        let entry = uploader
            .digest_signature(&digest, &m.signature, &key.public_key())
            .unwrap();
        bundle.tlog_entries.push(entry);
        let (a, b) = (d.join(format!("a{i}")), d.join(format!("b{i}.json")));
        std::fs::write(&a, &artifact).unwrap();
        std::fs::write(&b, bundle.to_json()).unwrap();
        files.push((a, b));
    }
    eprintln!("{n} bundles recorded in the test log (tree size {})", log.tree_size());

    // hsign: read, parse and verify each bundle, the log entry included; best of 3 runs.
    let verifier = Verifier::with_trusted_root(trust);
    let public = key.public_key();
    let mut best = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        for (a, b) in &files {
            let bundle = Bundle::from_json(&std::fs::read(b).unwrap()).unwrap();
            let policy = Policy::builder(public.clone())
                .artifact(Artifact::Bytes(std::fs::read(a).unwrap()))
                .build();
            let r = verifier.verify(&SignedEntity::from_bundle(bundle), &policy).unwrap();
            assert!(matches!(r.tlog(), TlogOutcome::Verified(e) if e[0].set_verified && e[0].proof_verified));
        }
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }

    if std::env::var_os("BENCH_BREAKDOWN").is_some() {
        let parsed: Vec<(Vec<u8>, Bundle)> = files
            .iter()
            .map(|(a, b)| {
                (
                    std::fs::read(a).unwrap(),
                    Bundle::from_json(&std::fs::read(b).unwrap()).unwrap(),
                )
            })
            .collect();
        let t = Instant::now();
        for (a, b) in &parsed {
            let p = Policy::builder(public.clone())
                .artifact(Artifact::Bytes(a.clone()))
                .without_tlog_unsafe()
                .build();
            verifier.verify(&SignedEntity::from_bundle(b.clone()), &p).unwrap();
        }
        eprintln!("signature only: {:?}", t.elapsed());
        let t = Instant::now();
        for (_, b) in &parsed {
            hsign_core::tlog::verify_entry(&b.tlog_entries[0], verifier.trusted_root()).unwrap();
        }
        eprintln!("log entry only: {:?}", t.elapsed());
        let t = Instant::now();
        for (_, b) in &files {
            Bundle::from_json(&std::fs::read(b).unwrap()).unwrap();
        }
        eprintln!("read + parse: {:?}", t.elapsed());
    }

    // hsign on every core (the verifier is shared between threads).
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut best_parallel = f64::MAX;
    for _ in 0..3 {
        let start = Instant::now();
        std::thread::scope(|scope| {
            for chunk in files.chunks(files.len().div_ceil(threads)) {
                let (verifier, public) = (&verifier, &public);
                scope.spawn(move || {
                    for (a, b) in chunk {
                        let bundle = Bundle::from_json(&std::fs::read(b).unwrap()).unwrap();
                        let policy = Policy::builder(public.clone())
                            .artifact(Artifact::Bytes(std::fs::read(a).unwrap()))
                            .build();
                        verifier.verify(&SignedEntity::from_bundle(bundle), &policy).unwrap();
                    }
                });
            }
        });
        best_parallel = best_parallel.min(start.elapsed().as_secs_f64() * 1000.0);
    }

    // One bundle per process, as a CI step runs it: `hsign verify-blob` against a node process running the
    // same @sigstore/verify code (startup included), over the first `runs` bundles.
    let runs = 20.min(n);
    let start = Instant::now();
    for (a, b) in &files[..runs] {
        hsign(&[
            "verify-blob",
            "-q",
            "--key",
            s(&d.join("key.pem")),
            "--trusted-root",
            s(&root_path),
            "--bundle",
            s(b),
            s(a),
        ])
        .run()
        .ok();
    }
    let hsign_process = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    let start = Instant::now();
    for (a, b) in &files[..runs] {
        let out = node(
            "verify-with-log.js",
            &[s(&root_path), s(&d.join("key.pem")), s(a), s(b)],
        )
        .run();
        assert!(out.stdout.starts_with("OK 1"), "{out:?}");
    }
    let js_process = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;

    // sigstore-js: the same files, the same trusted root, one process; its own timing of the verify loop.
    let mut args = vec![
        s(&root_path).to_string(),
        s(&d.join("key.pem")).to_string(),
        "--pairs".to_string(),
    ];
    for (a, b) in &files {
        args.push(s(a).to_string());
        args.push(s(b).to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = node("verify-with-log.js", &refs).env("HSIGN_PEER_TIMING", "1").run();
    assert!(out.stdout.starts_with(&format!("OK {n}")), "{out:?}");
    let js: f64 = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("verify_ms "))
        .and_then(|v| v.parse().ok())
        .expect("sigstore-js timing");

    println!("| verifier | {n} bundles (ms) | bundles/s |");
    println!("|---|---:|---:|");
    println!(
        "| hsign (read + parse + verify) | {best:.1} | {:.0} |",
        n as f64 / best * 1000.0
    );
    println!(
        "| @sigstore/verify 3.1.1 (verify loop only) | {js:.1} | {:.0} |",
        n as f64 / js * 1000.0
    );
    println!(
        "| hsign, {threads} threads (read + parse + verify) | {best_parallel:.1} | {:.0} |",
        n as f64 / best_parallel * 1000.0
    );
    println!(
        "\nin one process: hsign is {:.1}x (one thread) and {:.1}x ({threads} threads) the throughput of @sigstore/verify",
        js / best,
        js / best_parallel
    );
    println!(
        "one bundle per process: hsign verify-blob {hsign_process:.1} ms, node + @sigstore/verify {js_process:.1} ms ({:.0}x)",
        js_process / hsign_process
    );
}
