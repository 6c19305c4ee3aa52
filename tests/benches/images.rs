//! Image verification benchmark (not a test): registry requests per `hsign verify` of an image with one
//! signature, and the wall time of verifying 200 signed images in one `hsign verify` call, against 200
//! `hsign verify` processes one after another, and against the `sigstore` crate's client (sigstore-rs-peer, one
//! process per image, as it verifies one image per call). Run with `scripts/bench-images.sh`, which builds the
//! release binaries first. Figures go in BENCHMARKS.md.

use std::time::Instant;

use hsign_e2e::image::push_image;
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

fn main() {
    let n: usize = std::env::var("BENCH_IMAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let reg = Registry::start();
    let dir = tempdir();
    let d = dir.path();
    hsign(&["generate-key-pair"]).cwd(d).password("bench").run().ok();
    let host = reg.host();
    let images: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{host}/bench/app{}@{}",
                i % 20,
                push_image(
                    &reg,
                    &format!("bench/app{}", i % 20),
                    &format!("v{i}"),
                    &format!("img{i}")
                )
            )
        })
        .collect();
    let mut args = vec![
        "sign",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--allow-http-registry",
        "--legacy",
    ];
    args.extend(images.iter().map(String::as_str));
    hsign(&args).cwd(d).password("bench").run().ok();

    // Requests for one image with one signature, both formats.
    let one = format!("{host}/bench/one@{}", push_image(&reg, "bench/one", "v1", "one"));
    let two = format!("{host}/bench/two@{}", push_image(&reg, "bench/two", "v1", "two"));
    hsign(&[
        "sign",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--allow-http-registry",
        "--legacy",
        &one,
    ])
    .cwd(d)
    .password("bench")
    .run()
    .ok();
    hsign(&[
        "sign",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--allow-http-registry",
        &two,
    ])
    .cwd(d)
    .password("bench")
    .run()
    .ok();
    for (name, image) in [("legacy .sig", &one), ("bundle referrer", &two)] {
        let out = hsign(&[
            "verify",
            "--key",
            "cosign.pub",
            "--allow-http-registry",
            "--insecure-ignore-tlog",
            "-q",
            image,
        ])
        .cwd(d)
        .env("HSIGN_TRACE_REQUESTS", "1")
        .run();
        out.ok();
        println!(
            "requests per verify ({name}): {}",
            out.stderr
                .lines()
                .find(|l| l.contains("registry requests"))
                .unwrap_or("?")
        );
    }

    let verify_args = |imgs: &[String]| {
        let mut a = vec![
            "verify".to_string(),
            "--key".into(),
            "cosign.pub".into(),
            "--allow-http-registry".into(),
            "--insecure-ignore-tlog".into(),
            "-q".into(),
        ];
        a.extend(imgs.iter().cloned());
        a
    };
    let t = Instant::now();
    let a = verify_args(&images);
    hsign(&a.iter().map(String::as_str).collect::<Vec<_>>())
        .cwd(d)
        .run()
        .ok();
    let one_call = t.elapsed();

    let t = Instant::now();
    for img in &images {
        let a = verify_args(std::slice::from_ref(img));
        hsign(&a.iter().map(String::as_str).collect::<Vec<_>>())
            .cwd(d)
            .run()
            .ok();
    }
    let per_process = t.elapsed();

    let t = Instant::now();
    let mut peer_ok = 0;
    for img in &images {
        if sigstore_rs_peer(&["verify", "cosign.pub", img]).cwd(d).run().code == 0 {
            peer_ok += 1;
        }
    }
    let peer = t.elapsed();
    assert_eq!(peer_ok, n, "the sigstore crate did not verify every image");

    // A ~50 MiB CycloneDX predicate attested to an image and verified through the registry: peak RSS.
    let mut sbom = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":["#);
    let mut i = 0;
    while sbom.len() < 50 * 1024 * 1024 {
        if i > 0 {
            sbom.push(',');
        }
        sbom.push_str(&format!(
            r#"{{"type":"library","name":"example-{i}","version":"1.{}","purl":"pkg:npm/example-{i}@1.{}","description":"{}"}}"#,
            i % 50,
            i % 50,
            "x".repeat(200)
        ));
        i += 1;
    }
    sbom.push_str("]}");
    std::fs::write(d.join("sbom.json"), &sbom).unwrap();
    let big = format!("{host}/bench/sbom@{}", push_image(&reg, "bench/sbom", "v1", "sbom"));
    let timed = |args: &[&str]| {
        let mut all = vec!["-f", "%e s, peak RSS %M KB", hsign_bin().to_str().unwrap()];
        all.extend_from_slice(args);
        let out = Cmd::new("/usr/bin/time", &all).cwd(d).password("bench").run();
        out.ok();
        out.stderr.lines().last().unwrap_or_default().to_string()
    };
    println!("sbom predicate: {} bytes", sbom.len());
    println!(
        "attest (bundle referrer):  {}",
        timed(&[
            "-q",
            "attest",
            "--tlog-upload=false",
            "--key",
            "cosign.key",
            "--allow-http-registry",
            "--predicate",
            "sbom.json",
            "--type",
            "cyclonedx",
            &big
        ])
    );
    println!(
        "verify-attestation:        {}",
        timed(&[
            "-q",
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--allow-http-registry",
            "--insecure-ignore-tlog",
            "--type",
            "cyclonedx",
            &big
        ])
    );
    drop(sbom);

    println!("images: {n}");
    println!(
        "hsign verify, {n} images in one call:       {:>8.2} s  ({:.1} images/s)",
        one_call.as_secs_f64(),
        n as f64 / one_call.as_secs_f64()
    );
    println!(
        "hsign verify, one process per image:       {:>8.2} s  ({:.1} images/s)",
        per_process.as_secs_f64(),
        n as f64 / per_process.as_secs_f64()
    );
    println!(
        "sigstore crate (peer), one process per image: {:>5.2} s  ({:.1} images/s)",
        peer.as_secs_f64(),
        n as f64 / peer.as_secs_f64()
    );
}
