//! The registry test infrastructure itself: private `docker-registry` instances on free loopback ports (with
//! and without basic auth), deterministic OCI images and indexes pushed over plain HTTP, and the facts of
//! distribution 2.8 that hsign must cope with (no referrers API).

use hsign_e2e::image::{
    INDEX_PLATFORMS, MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST, build_image, digest, get_manifest, http, http_anonymous,
    push_image, push_index, sha256_hex, tar,
};
use hsign_e2e::registry::{Registry, header};
use hsign_e2e::{Cmd, tempdir};

const USER: &str = "tester";
const PASS: &str = "s3cret pass:word";

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)))
}

#[test]
fn registries_start_on_distinct_free_ports() {
    let plain = Registry::start();
    let auth = Registry::start_with_basic_auth(USER, PASS);
    assert_ne!(plain.host(), auth.host());
    for reg in [&plain, &auth] {
        assert!(reg.host().starts_with("127.0.0.1:"), "{}", reg.host());
        assert_ne!(reg.port(), 5000, "must not use the well-known port");
    }

    let (status, headers, body) = http(&plain, "GET", "/v2/", &[], &[]);
    assert_eq!(status, 200, "{}", plain.log());
    assert_eq!(
        header(&headers, "Docker-Distribution-Api-Version"),
        Some("registry/2.0")
    );
    assert_eq!(body, b"{}");
    assert_eq!(plain.credentials(), None);

    let (status, headers, _) = http_anonymous(&auth, "GET", "/v2/", &[], &[]);
    assert_eq!(status, 401);
    let challenge = header(&headers, "Www-Authenticate").expect("Www-Authenticate on 401");
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let (status, _, _) = http(&auth, "GET", "/v2/", &[], &[]);
    assert_eq!(status, 200, "{}", auth.log());
    assert_eq!(auth.credentials(), Some((USER, PASS)));
    assert!(!auth.log().is_empty());
}

#[test]
fn many_registries_in_parallel() {
    let regs: Vec<Registry> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(Registry::start)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut hosts: Vec<String> = regs.iter().map(Registry::host).collect();
    hosts.sort();
    hosts.dedup();
    assert_eq!(hosts.len(), regs.len());
    for (i, reg) in regs.iter().enumerate() {
        let d = push_image(reg, "par/app", "v1", &format!("par-{i}"));
        let (_, bytes) = get_manifest(reg, "par/app", "v1");
        assert_eq!(digest(&bytes), d);
    }
}

#[test]
fn dropping_the_registry_kills_and_reaps_it() {
    let reg = Registry::start();
    let (pid, host) = (reg.pid(), reg.host());
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    drop(reg);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "registry process {pid} still exists (not reaped)"
    );
    assert!(std::net::TcpStream::connect(&host).is_err(), "{host} still answers");
}

/// Pushes an image and reads it back the way a client would; returns the digest.
fn round_trip(reg: &Registry) -> String {
    let d = push_image(reg, "demo/app", "v1", "one");
    assert!(d.starts_with("sha256:") && d.len() == 71, "{d}");

    let (status, headers, body) = http(
        reg,
        "GET",
        "/v2/demo/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
        &[],
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(format!("sha256:{}", sha256_hex(&body)), d);
    assert_eq!(header(&headers, "Docker-Content-Digest"), Some(d.as_str()));
    assert_eq!(header(&headers, "Content-Type"), Some(OCI_MANIFEST));
    assert_eq!(body, build_image("one", "amd64").manifest, "stored byte for byte");

    // By digest too, and every blob it names is there with the right digest.
    let (_, by_digest) = get_manifest(reg, "demo/app", &d);
    assert_eq!(by_digest, body);
    let m = json(&body);
    let layer_digest = m["layers"][0]["digest"].as_str().unwrap().to_owned();
    for blob in [m["config"]["digest"].as_str().unwrap(), &layer_digest] {
        let (status, _, bytes) = http(reg, "GET", &format!("/v2/demo/app/blobs/{blob}"), &[], &[]);
        assert_eq!(status, 200);
        assert_eq!(digest(&bytes), blob);
    }

    let (status, _, tags) = http(reg, "GET", "/v2/demo/app/tags/list", &[], &[]);
    assert_eq!(status, 200);
    assert_eq!(json(&tags)["tags"], serde_json::json!(["v1"]));

    let (status, _, _) = http(
        reg,
        "GET",
        "/v2/demo/app/manifests/nope",
        &[("Accept", MANIFEST_ACCEPT)],
        &[],
    );
    assert_eq!(status, 404);
    d
}

#[test]
fn image_round_trip_without_auth() {
    let reg = Registry::start();
    let d = round_trip(&reg);
    // Anonymous is the same thing here.
    let (status, _, body) = http_anonymous(
        &reg,
        "GET",
        "/v2/demo/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(digest(&body), d);
}

#[test]
fn image_round_trip_with_basic_auth() {
    let reg = Registry::start_with_basic_auth(USER, PASS);
    let d = round_trip(&reg);
    for path in [
        "/v2/demo/app/manifests/v1".to_owned(),
        format!("/v2/demo/app/manifests/{d}"),
    ] {
        let (status, headers, _) = http_anonymous(&reg, "GET", &path, &[("Accept", OCI_MANIFEST)], &[]);
        assert_eq!(status, 401, "{path}");
        assert!(
            header(&headers, "Www-Authenticate")
                .unwrap_or_default()
                .starts_with("Basic ")
        );
    }
    // A wrong password is refused as well, and so is an anonymous push.
    let wrong = [("Authorization", "Basic dGVzdGVyOndyb25n")]; // tester:wrong
    let (status, _, _) = http_anonymous(&reg, "GET", "/v2/demo/app/manifests/v1", &wrong, &[]);
    assert_eq!(status, 401);
    let (status, _, _) = http_anonymous(&reg, "POST", "/v2/demo/app/blobs/uploads/", &[], &[]);
    assert_eq!(status, 401);
}

#[test]
fn images_are_deterministic_and_depend_on_the_seed() {
    let a = Registry::start();
    let b = Registry::start_with_basic_auth(USER, PASS);
    let d1 = push_image(&a, "x/y", "t", "seed-1");
    assert_eq!(push_image(&b, "other/repo", "t2", "seed-1"), d1);
    assert_eq!(push_image(&a, "x/y", "t", "seed-1"), d1, "re-push is idempotent");
    let d2 = push_image(&a, "x/y", "t2", "seed-2");
    assert_ne!(d1, d2);
    assert_eq!(d1, build_image("seed-1", "amd64").digest());
    // Re-tagging moves the tag.
    assert_eq!(push_image(&a, "x/y", "t", "seed-2"), d2);
    assert_eq!(digest(&get_manifest(&a, "x/y", "t").1), d2);
}

#[test]
fn index_push_yields_two_children() {
    for reg in [Registry::start(), Registry::start_with_basic_auth(USER, PASS)] {
        let (index_digest, children) = push_index(&reg, "multi/app", "v2", &["amd", "arm"]);
        assert_eq!(children.len(), 2);
        assert_ne!(children[0], children[1]);

        let (content_type, bytes) = get_manifest(&reg, "multi/app", "v2");
        assert_eq!(content_type, OCI_INDEX);
        assert_eq!(digest(&bytes), index_digest);
        let index = json(&bytes);
        assert_eq!(index["mediaType"], OCI_INDEX);
        let manifests = index["manifests"].as_array().unwrap();
        assert_eq!(manifests.len(), 2);
        for ((desc, child), arch) in manifests.iter().zip(&children).zip(INDEX_PLATFORMS) {
            assert_eq!(desc["digest"], child.as_str());
            assert_eq!(desc["platform"]["os"], "linux");
            assert_eq!(desc["platform"]["architecture"], arch);
            let (ct, child_bytes) = get_manifest(&reg, "multi/app", child);
            assert_eq!(ct, OCI_MANIFEST);
            assert_eq!(digest(&child_bytes), *child);
            assert_eq!(desc["size"], child_bytes.len());
            let config_digest = json(&child_bytes)["config"]["digest"].as_str().unwrap().to_owned();
            let (_, _, config) = http(&reg, "GET", &format!("/v2/multi/app/blobs/{config_digest}"), &[], &[]);
            assert_eq!(json(&config)["architecture"], arch);
        }
        // The children are untagged.
        let (_, _, tags) = http(&reg, "GET", "/v2/multi/app/tags/list", &[], &[]);
        assert_eq!(json(&tags)["tags"], serde_json::json!(["v2"]));
    }
}

/// Distribution 2.8 has no OCI 1.1 referrers API: the route does not exist and answers a plain-text 404
/// (not an OCI error body). If this fails, the registry changed and the referrers tests need a look.
#[test]
fn registry_has_no_referrers_api() {
    for reg in [Registry::start(), Registry::start_with_basic_auth(USER, PASS)] {
        let d = push_image(&reg, "demo/app", "v1", "ref");
        let (status, headers, body) = http(
            &reg,
            "GET",
            &format!("/v2/demo/app/referrers/{d}"),
            &[("Accept", OCI_INDEX)],
            &[],
        );
        assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
        assert_eq!(String::from_utf8_lossy(&body).trim(), "404 page not found");
        assert_ne!(header(&headers, "Content-Type"), Some(OCI_INDEX));
        // The route is absent before any auth check: no 401 even without credentials.
        let (status, _, _) = http_anonymous(&reg, "GET", &format!("/v2/demo/app/referrers/{d}"), &[], &[]);
        assert_eq!(status, 404);
    }
}

/// Manifests with `subject` and `artifactType` are stored byte for byte, and DELETE works (the registries
/// have `delete: enabled: true`).
#[test]
fn subject_manifests_are_kept_and_delete_works() {
    let reg = Registry::start();
    let d = push_image(&reg, "demo/app", "v1", "subject");
    let empty = b"{}";
    let empty_digest = hsign_e2e::image::push_blob(&reg, "demo/app", empty);
    let artifact = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.dev.hsign.test",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty_digest, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty_digest, "size": 2}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": d, "size": get_manifest(&reg, "demo/app", &d).1.len()},
    }))
    .unwrap();
    let ad = hsign_e2e::image::put_manifest(&reg, "demo/app", "art", OCI_MANIFEST, &artifact);
    let (status, headers, body) = http(
        &reg,
        "GET",
        "/v2/demo/app/manifests/art",
        &[("Accept", OCI_MANIFEST)],
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(body, artifact);
    assert_eq!(header(&headers, "OCI-Subject"), None, "2.8 does not announce subjects");

    let (status, _, _) = http(&reg, "DELETE", &format!("/v2/demo/app/manifests/{ad}"), &[], &[]);
    assert_eq!(status, 202);
    let (status, _, _) = http(
        &reg,
        "GET",
        "/v2/demo/app/manifests/art",
        &[("Accept", OCI_MANIFEST)],
        &[],
    );
    assert_eq!(status, 404);
}

#[test]
fn sha256_and_tar_agree_with_the_system_tools() {
    let dir = tempdir();
    for len in [0usize, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 70_000] {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        let path = dir.path().join(format!("d{len}"));
        std::fs::write(&path, &data).unwrap();
        let out = Cmd::new("sha256sum", &[path.to_str().unwrap()]).run();
        out.ok();
        assert_eq!(
            out.stdout.split_whitespace().next(),
            Some(sha256_hex(&data).as_str()),
            "len {len}"
        );
    }

    let archive = dir.path().join("layer.tar");
    std::fs::write(&archive, tar(&[("hello.txt", b"hi\n"), ("b.bin", &[0u8; 513])])).unwrap();
    let out = Cmd::new("tar", &["-tvf", archive.to_str().unwrap()])
        .env("TZ", "UTC")
        .run();
    out.ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[0].starts_with("-rw-r--r-- root/root         3 2024-01-01"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(" hello.txt"), "{}", lines[0]);
    assert!(
        lines[1].contains(" 513 ") && lines[1].ends_with(" b.bin"),
        "{}",
        lines[1]
    );
    let out = Cmd::new("tar", &["-xOf", archive.to_str().unwrap(), "hello.txt"]).run();
    out.ok();
    assert_eq!(out.stdout, "hi\n");
}
