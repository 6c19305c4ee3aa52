//! Air-gap transport benchmark (not a test): an image with one large layer (1 GiB by default), signed, then
//! `hsign copy` to a second registry, `hsign save` to an OCI layout and `hsign load` into a third registry,
//! each timed with its peak RSS (`/usr/bin/time`), against `skopeo copy` of the same image for scale. Memory
//! must not grow with the layer. Run with `scripts/bench-transfer.sh`; figures go in BENCHMARKS.md.

use hsign_e2e::image::{noise, push_layer_image};
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

const H: &str = "--allow-http-registry";

fn main() {
    let mib: usize = std::env::var("BENCH_LAYER_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let (a, b, c) = (Registry::start(), Registry::start(), Registry::start());
    let dir = tempdir();
    let d = dir.path();
    hsign(&["generate-key-pair"]).cwd(d).password("bench").run().ok();
    let layer = noise(mib << 20);
    let image = push_layer_image(&a, "bench/big", "v1", &layer);
    drop(layer);
    let src = format!("{}/bench/big@{image}", a.host());
    hsign(&["sign", "--tlog-upload=false", "--key", "cosign.key", H, &src])
        .cwd(d)
        .password("bench")
        .run()
        .ok();

    let timed = |program: &str, args: &[&str]| {
        let mut all = vec!["-f", "%e s, peak RSS %M KB", program];
        all.extend_from_slice(args);
        let out = Cmd::new("/usr/bin/time", &all).cwd(d).run();
        out.ok();
        out.stderr.lines().last().unwrap_or_default().to_string()
    };
    let hsign_path = hsign_bin().to_str().unwrap().to_string();
    println!("layer: {mib} MiB");
    println!(
        "hsign copy (image + signature):  {}",
        timed(
            &hsign_path,
            &["-q", "copy", H, &src, &format!("{}/bench/big:v1", b.host())]
        )
    );
    println!(
        "hsign save:                      {}",
        timed(&hsign_path, &["-q", "save", H, "--dir", "layout", &src])
    );
    println!(
        "hsign load:                      {}",
        timed(
            &hsign_path,
            &[
                "-q",
                "load",
                H,
                "--dir",
                "layout",
                &format!("{}/bench/big:v1", c.host())
            ]
        )
    );
    if which("skopeo") {
        println!(
            "skopeo copy (image only):        {}",
            timed(
                "skopeo",
                &[
                    "copy",
                    "--src-tls-verify=false",
                    "--dest-tls-verify=false",
                    &format!("docker://{src}"),
                    &format!("docker://{}/bench/skopeo:v1", b.host()),
                ]
            )
        );
    }
    // The copies verify where they landed.
    for reg in [&b, &c] {
        hsign(&[
            "verify",
            "--key",
            "cosign.pub",
            H,
            "--insecure-ignore-tlog",
            "-q",
            &format!("{}/bench/big@{image}", reg.host()),
        ])
        .cwd(d)
        .run()
        .ok();
    }
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}
