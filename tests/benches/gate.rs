//! Deploy gate benchmark (not a test): N images, each signed by two of three keys (one bundle referrer, one
//! legacy `.sig`) and attested with a SLSA provenance, checked against a 2-of-3 policy that requires the
//! provenance and a builder condition: one `hsign verify --policy` call, against the script a team writes
//! without a policy engine (per image: `verify` with each key, then `verify-attestation`, one process each).
//! Also the registry requests the gate makes per image. Run with `scripts/bench-gate.sh`; figures go in
//! BENCHMARKS.md.

use std::time::Instant;

use hsign_e2e::image::push_image;
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

fn main() {
    let n: usize = std::env::var("BENCH_IMAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let reg = Registry::start();
    let dir = tempdir();
    let d = dir.path();
    for prefix in ["a", "b", "c"] {
        hsign(&["generate-key-pair", "--output-key-prefix", prefix])
            .cwd(d)
            .password("bench")
            .run()
            .ok();
    }
    std::fs::write(
        d.join("slsa.json"),
        r#"{"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://ci.example.com/builder"}}}"#,
    )
    .unwrap();
    let host = reg.host();
    let images: Vec<String> = (0..n)
        .map(|i| {
            let repo = format!("prod/app{}", i % 20);
            format!(
                "{host}/{repo}@{}",
                push_image(&reg, &repo, &format!("v{i}"), &format!("gate{i}"))
            )
        })
        .collect();
    let run_with = |first: &[&str], key: &str| {
        let mut args: Vec<&str> = first.to_vec();
        args.extend(["--tlog-upload=false", "--key", key, H]);
        args.extend(images.iter().map(String::as_str));
        hsign(&args).cwd(d).password("bench").run().ok();
    };
    run_with(&["sign"], "a.key");
    run_with(&["sign", "--legacy"], "b.key");
    run_with(
        &["attest", "--predicate", "slsa.json", "--type", "slsaprovenance1"],
        "a.key",
    );
    std::fs::write(
        d.join("policy.yaml"),
        format!(
            r#"version: 1
rules:
  - name: production
    images: ["{host}/prod/*"]
    signatures:
      threshold: 2
      signers:
        - {{name: a, key: a.pub}}
        - {{name: b, key: b.pub}}
        - {{name: c, key: c.pub}}
    attestations:
      require: [slsaprovenance1]
      rules:
        - name: our builder
          predicateType: slsaprovenance1
          field: runDetails.builder.id
          equals: https://ci.example.com/builder
"#
        ),
    )
    .unwrap();
    let gate = |imgs: &[String], trace: bool| {
        let mut args = vec!["verify", "--policy", "policy.yaml", H, "--insecure-ignore-tlog", "-q"];
        args.extend(imgs.iter().map(String::as_str));
        let mut cmd = hsign(&args).cwd(d);
        if trace {
            cmd = cmd.env("HSIGN_TRACE_REQUESTS", "1");
        }
        let out = cmd.run();
        out.ok();
        out
    };
    let out = gate(&images[..1], true);
    println!(
        "requests, gate on one image (2 signatures, 1 attestation): {}",
        out.stderr
            .lines()
            .find(|l| l.contains("registry requests"))
            .unwrap_or("?")
    );

    let t = Instant::now();
    gate(&images, false);
    let one_call = t.elapsed();

    let t = Instant::now();
    for img in &images {
        for key in ["a.pub", "b.pub"] {
            hsign(&["verify", "--key", key, H, "--insecure-ignore-tlog", "-q", img])
                .cwd(d)
                .run()
                .ok();
        }
        let out = hsign(&[
            "verify-attestation",
            "--key",
            "a.pub",
            "--type",
            "slsaprovenance1",
            H,
            "--insecure-ignore-tlog",
            "-q",
            img,
        ])
        .cwd(d)
        .run();
        out.ok();
        assert!(out.stdout.contains("https://ci.example.com/builder"));
    }
    let scripted = t.elapsed();

    println!("images: {n}");
    println!(
        "hsign verify --policy, one call (8 workers):     {:>7.2} s  ({:.1} images/s)",
        one_call.as_secs_f64(),
        n as f64 / one_call.as_secs_f64()
    );
    println!(
        "scripted: 3 hsign processes per image:           {:>7.2} s  ({:.1} images/s)",
        scripted.as_secs_f64(),
        n as f64 / scripted.as_secs_f64()
    );
}
