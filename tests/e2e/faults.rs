//! A misbehaving registry: `hsign verify` (and `sign`) against a real registry behind a fault-injecting
//! proxy ([`hsign_e2e::proxy`]) that answers 5xx/429, drops connections, or serves other bytes. Every
//! failure must be an error that names the registry and the status or fault, with the right exit status
//! (1 for registry failures, never 10 "no signatures" when something could not be read), never a panic,
//! never "Verified". Retries are bounded (4 attempts per request) and transient failures are survived.
//!
//! Signing goes to the registry directly when the fault is only for verification.

use hsign_e2e::image::{digest, get_manifest, http, push_image, push_index};
use hsign_e2e::proxy::{Proxy, Rule};
use hsign_e2e::registry::Registry;
use hsign_e2e::*;

/// A key pair in a temp dir (password `pw`).
fn keys() -> tempfile::TempDir {
    let dir = tempdir();
    hsign(&["generate-key-pair"]).cwd(dir.path()).password("pw").run().ok();
    dir
}

use hsign_e2e::{sign_image as sign, verify_image as verify};

/// An image pushed to the registry and signed there directly (legacy `.sig` or bundle referrer); returns
/// its digest.
fn signed_image(reg: &Registry, k: &tempfile::TempDir, repo: &str, legacy: bool) -> String {
    let d = push_image(reg, repo, "v1", repo);
    let image = format!("{}/{repo}@{d}", reg.host());
    if legacy {
        sign(k.path(), &["--legacy", &image]).ok();
    } else {
        sign(k.path(), &[&image]).ok();
    }
    d
}

/// `sha256-<hex>.sig`.
fn sig_tag(d: &str) -> String {
    format!("{}.sig", d.replace(':', "-"))
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

/// Something signed was reported as verified.
fn says_verified(out: &Output) -> bool {
    let text = format!("{}\n{}", out.stdout, out.stderr);
    text.contains("Verified") || text.lines().any(|l| l.trim_start().starts_with("verified:"))
}

/// Asserts a clean failure: an exit status in `codes`, no panic, nothing verified, and stderr naming the
/// registry `host` and every one of `needles` (each item: any of its `|`-separated alternatives).
#[track_caller]
fn assert_fails(out: &Output, codes: &[i32], host: &str, needles: &[&str], proxy: &Proxy) {
    let show = || {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}\n--- proxy log\n{}",
            out.code,
            out.stdout,
            out.stderr,
            proxy.log_text()
        )
    };
    assert!(
        codes.contains(&out.code),
        "expected exit status in {codes:?}: {}",
        show()
    );
    assert!(!out.stderr.contains("panicked"), "panic: {}", show());
    assert!(!says_verified(out), "reported as verified: {}", show());
    assert!(
        out.stderr.contains(host),
        "stderr does not name the registry {host}: {}",
        show()
    );
    for n in needles {
        assert!(
            n.split('|')
                .any(|alt| out.stderr.to_lowercase().contains(&alt.to_lowercase())),
            "stderr does not say '{n}': {}",
            show()
        );
    }
}

#[test]
fn manifest_500_forever_is_an_error_after_four_attempts_per_request() {
    let reg = Registry::start();
    let k = keys();
    let d = signed_image(&reg, &k, "faults/m500", true);
    let proxy = Proxy::start(&reg);
    let rule = proxy.add(Rule::new("*", "/manifests/").status(500));
    let host = proxy.host();

    // By tag: resolving the tag (HEAD) fails.
    let out = verify(k.path(), &[&format!("{host}/faults/m500:v1")]);
    assert_fails(&out, &[1], &host, &["500"], &proxy);
    // Bounded retries: at most 4 attempts per request (an attempt that fails in transport under load never
    // reaches the proxy, so a count can be lower, never higher).
    let first = proxy.count("*", "/manifests/");
    assert_eq!(proxy.count("HEAD", "/manifests/v1"), first, "{}", proxy.log_text());
    assert!((1..=4).contains(&first), "{first} attempts: {}", proxy.log_text());

    // By digest: the referrers listing (no API in distribution 2.8) falls back to a manifest GET, which fails.
    let out = verify(k.path(), &[&format!("{host}/faults/m500@{d}")]);
    assert_fails(&out, &[1], &host, &["500"], &proxy);
    let second = proxy.count("GET", &format!("/manifests/{}", d.replace(':', "-")));
    assert_eq!(proxy.count("*", "/manifests/"), first + second, "{}", proxy.log_text());
    assert!((1..=4).contains(&second), "{second} attempts: {}", proxy.log_text());
    assert_eq!(proxy.hits(rule) as usize, first + second);
}

#[test]
fn transient_503_twice_then_ok_is_retried_and_verifies() {
    let reg = Registry::start();
    let k = keys();
    let d = signed_image(&reg, &k, "faults/t503", true);
    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    // Every kind of request verify makes fails twice before it succeeds.
    let rules = [
        proxy.add(Rule::new("HEAD", "/manifests/v1").status(503).times(2)),
        proxy.add(Rule::new("GET", "/referrers/").status(503).times(2)),
        proxy.add(
            Rule::new("GET", &format!("/manifests/{}", sig_tag(&d)))
                .status(503)
                .times(2),
        ),
        proxy.add(Rule::new("GET", "/blobs/").status(503).times(2)),
    ];
    let out = verify(k.path(), &[&format!("{host}/faults/t503:v1")]);
    out.ok();
    assert!(says_verified(&out), "{}", out.stderr);
    for r in rules {
        assert_eq!(proxy.hits(r), 2, "{}", proxy.log_text());
    }
    assert_eq!(proxy.count("HEAD", "/manifests/v1"), 3, "{}", proxy.log_text());
    assert_eq!(proxy.count("GET", "/blobs/"), 3, "{}", proxy.log_text());
}

#[test]
fn throttled_referrers_listing_is_an_error_never_unsigned() {
    let reg = Registry::start();
    let k = keys();
    let d = signed_image(&reg, &k, "faults/r429", false);
    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    proxy.add(Rule::new("GET", "/referrers/").status(429));
    for image in [format!("{host}/faults/r429@{d}"), format!("{host}/faults/r429:v1")] {
        let before = proxy.count("GET", "/referrers/");
        let out = verify(k.path(), &[&image]);
        assert_fails(&out, &[1], &host, &["429", "referrers"], &proxy);
        assert!(!out.stderr.contains("no signatures"), "{}", out.stderr);
        assert_eq!(proxy.count("GET", "/referrers/") - before, 4, "{}", proxy.log_text());
    }
    // The same listing without the fault verifies.
    proxy.clear_rules();
    verify(k.path(), &[&format!("{host}/faults/r429@{d}")]).ok();
}

/// Blob GETs answered by closing the connection: a transport error after the retries, exit 1.
fn blob_connection_closed(legacy: bool) {
    let reg = Registry::start();
    let k = keys();
    let repo = if legacy {
        "faults/close-legacy"
    } else {
        "faults/close-bundle"
    };
    let d = signed_image(&reg, &k, repo, legacy);
    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    proxy.add(Rule::new("GET", "/blobs/").close());
    let out = verify(k.path(), &[&format!("{host}/{repo}@{d}")]);
    assert_fails(&out, &[1], &host, &["after 4 attempts", "blob"], &proxy);
    assert!(!out.stderr.contains("no signatures"), "{}", out.stderr);
    assert_eq!(proxy.count("GET", "/blobs/"), 4, "{}", proxy.log_text());
}

#[test]
fn blob_connection_closed_is_a_transport_error_legacy() {
    blob_connection_closed(true);
}

#[test]
fn blob_connection_closed_is_a_transport_error_bundle() {
    blob_connection_closed(false);
}

#[test]
fn tampered_legacy_signature_layer_is_a_digest_mismatch() {
    let reg = Registry::start();
    let k = keys();
    let d = signed_image(&reg, &k, "faults/tamper-legacy", true);
    let (_, raw) = get_manifest(&reg, "faults/tamper-legacy", &sig_tag(&d));
    let layer = json(&raw)["layers"][0]["digest"].as_str().unwrap().to_owned();
    let (status, _, payload) = http(
        &reg,
        "GET",
        &format!("/v2/faults/tamper-legacy/blobs/{layer}"),
        &[],
        &[],
    );
    assert_eq!(status, 200);
    // Other bytes: the payload with the signed digest's first hex digit changed, same length.
    let text = String::from_utf8(payload).unwrap();
    let hex = d.trim_start_matches("sha256:");
    let flipped = format!("{}{}", if hex.starts_with('0') { '1' } else { '0' }, &hex[1..]);
    let other = text.replace(hex, &flipped);
    assert_ne!(other, text);

    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    let rule = proxy.add(Rule::new("GET", &format!("/blobs/{layer}")).replace_body(other));
    let out = verify(k.path(), &[&format!("{host}/faults/tamper-legacy@{d}")]);
    assert_fails(&out, &[1, 12], &host, &["other bytes|digest mismatch", &layer], &proxy);
    assert!(proxy.hits(rule) >= 1, "{}", proxy.log_text());
}

#[test]
fn tampered_bundle_layer_is_a_digest_mismatch() {
    let reg = Registry::start();
    let k = keys();
    let repo = "faults/tamper-bundle";
    let d = signed_image(&reg, &k, repo, false);
    let (_, index) = get_manifest(&reg, repo, &d.replace(':', "-"));
    let referrer = json(&index)["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let (_, raw) = get_manifest(&reg, repo, &referrer);
    let layer = json(&raw)["layers"][0]["digest"].as_str().unwrap().to_owned();

    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    proxy.add(Rule::new("GET", &format!("/blobs/{layer}")).replace_body(&b"{\"mediaType\":\"other\"}"[..]));
    let out = verify(k.path(), &[&format!("{host}/{repo}@{d}")]);
    assert_fails(&out, &[1, 12], &host, &["other bytes|digest mismatch", &layer], &proxy);
}

#[test]
fn other_bytes_for_a_manifest_asked_by_digest_are_a_digest_mismatch() {
    let reg = Registry::start();
    let k = keys();
    let repo = "faults/tamper-manifest";

    // The index to sign recursively, fetched by digest, comes back as other bytes: nothing is signed.
    let (index, children) = push_index(&reg, repo, "multi", &["amd", "arm"]);
    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    let fake = get_manifest(&reg, repo, &children[0]).1;
    proxy.add(Rule::new("GET", &format!("/manifests/{index}")).replace_body(fake));
    let out = sign(k.path(), &["--recursive", &format!("{host}/{repo}@{index}")]);
    assert_fails(&out, &[1], &host, &["other bytes|digest mismatch", &index], &proxy);
    assert_eq!(
        proxy.count("PUT", "/manifests/"),
        0,
        "signed anyway: {}",
        proxy.log_text()
    );

    // A HEAD of an image asked by digest that announces another digest: sign refuses.
    let d = push_image(&reg, repo, "v1", "single");
    proxy.add(Rule::new("HEAD", &format!("/manifests/{d}")).set_header("Docker-Content-Digest", &children[1]));
    let out = sign(k.path(), &[&format!("{host}/{repo}@{d}")]);
    assert_fails(
        &out,
        &[1],
        &host,
        &["other bytes|digest mismatch", &children[1]],
        &proxy,
    );
    assert_eq!(
        proxy.count("PUT", "/manifests/"),
        0,
        "signed anyway: {}",
        proxy.log_text()
    );

    // verify never fetches the image it is given by digest (the digest is what the signature must
    // name), but an unsigned one is checked for existence with a HEAD: a lying HEAD is an error too.
    let out = verify(k.path(), &[&format!("{host}/{repo}@{d}")]);
    assert_fails(
        &out,
        &[1],
        &host,
        &["other bytes|digest mismatch", &children[1]],
        &proxy,
    );
}

#[test]
fn tampered_bundle_referrer_manifest_is_a_digest_mismatch() {
    // The bundle referrer manifest, fetched by the digest the fallback index lists, comes back as other
    // bytes: an error naming the mismatch, never "no signatures".
    let reg = Registry::start();
    let k = keys();
    let repo = "faults/tamper-referrer";
    let d = signed_image(&reg, &k, repo, false);
    let (_, fallback) = get_manifest(&reg, repo, &d.replace(':', "-"));
    let referrer = json(&fallback)["manifests"][0]["digest"].as_str().unwrap().to_owned();
    let other = get_manifest(&reg, repo, &d).1;
    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    proxy.add(Rule::new("GET", &format!("/manifests/{referrer}")).replace_body(other));
    let out = verify(k.path(), &[&format!("{host}/{repo}@{d}")]);
    assert_fails(
        &out,
        &[1, 12],
        &host,
        &["other bytes|digest mismatch", &referrer],
        &proxy,
    );
}

#[test]
fn a_sig_manifest_that_is_not_json_is_a_clear_error() {
    let reg = Registry::start();
    let k = keys();
    let repo = "faults/notjson";
    let d = signed_image(&reg, &k, repo, true);
    // distribution 2.8 refuses to store it (400 MANIFEST_INVALID), so the proxy serves it instead.
    let (status, _, _) = http(
        &reg,
        "PUT",
        &format!("/v2/{repo}/manifests/{}", sig_tag(&d)),
        &[("Content-Type", hsign_e2e::image::OCI_MANIFEST)],
        b"not json",
    );
    assert_eq!(status, 400, "distribution accepted a manifest that is not JSON");

    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    let image = format!("{host}/{repo}@{d}");
    // A registry that really holds these bytes (its digest header matches them).
    let rule = proxy.add(
        Rule::new("GET", &format!("/manifests/{}", sig_tag(&d)))
            .replace_body(&b"not json"[..])
            .set_header("Docker-Content-Digest", &digest(b"not json")),
    );
    let out = verify(k.path(), &[&image]);
    assert_fails(&out, &[1, 12], &host, &[".sig", "JSON"], &proxy);
    assert!(proxy.hits(rule) >= 1);

    // The same bytes with the registry's own digest header: a digest mismatch.
    proxy.clear_rules();
    proxy.add(Rule::new("GET", &format!("/manifests/{}", sig_tag(&d))).replace_body(&b"not json"[..]));
    let out = verify(k.path(), &[&image]);
    assert_fails(&out, &[1, 12], &host, &[".sig", "other bytes|digest mismatch"], &proxy);

    // A bundle fallback index that is not JSON: an error too, never "no signatures".
    proxy.clear_rules();
    proxy.add(
        Rule::new("GET", &format!("/manifests/{}", d.replace(':', "-")))
            .replace_body(&b"not json"[..])
            .set_header("Docker-Content-Digest", &digest(b"not json")),
    );
    let out = verify(k.path(), &[&image]);
    assert_fails(&out, &[1, 12], &host, &[&d.replace(':', "-")], &proxy);
    assert!(!out.stderr.contains("no signatures"), "{}", out.stderr);
}

#[test]
fn proxy_forwards_pushes_and_counts_requests() {
    // The proxy itself: sign (blob uploads with absolute Locations, manifest PUTs) and verify through it.
    let reg = Registry::start();
    let k = keys();
    let d = push_image(&reg, "faults/through", "v1", "through");
    let proxy = Proxy::start(&reg);
    let host = proxy.host();
    let counted = proxy.add(Rule::new("*", "/blobs/"));
    for legacy in [true, false] {
        let image = format!("{host}/faults/through@{d}");
        let args: Vec<&str> = if legacy { vec!["--legacy", &image] } else { vec![&image] };
        sign(k.path(), &args).ok();
    }
    verify(k.path(), &[&format!("{host}/faults/through:v1")]).ok();
    assert!(proxy.count("PUT", "/blobs/uploads/") >= 2, "{}", proxy.log_text());
    assert!(proxy.hits(counted) >= 4, "{}", proxy.log_text());
    assert!(
        proxy.log().iter().all(|s| s.outcome == "forwarded"),
        "{}",
        proxy.log_text()
    );
    // And what was pushed through it is in the registry.
    get_manifest(&reg, "faults/through", &sig_tag(&d));
    get_manifest(&reg, "faults/through", &d.replace(':', "-"));
}
