//! Small deterministic OCI images, built in memory and pushed to a test [`Registry`] over plain HTTP
//! (no Docker, no skopeo): one config blob and one uncompressed tar layer whose file depends on a seed.
//! The same seed always gives the same digests. Also a raw HTTP helper to read what is in the registry.

use std::time::Duration;

use serde_json::json;

use crate::registry::{Registry, Response, request};

/// `application/vnd.oci.image.manifest.v1+json`.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.oci.image.config.v1+json`.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// `application/vnd.oci.image.layer.v1.tar` (uncompressed layer).
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// An `Accept` value for manifests of every kind a registry may hold.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

/// The platforms given to the children of [`push_index`], in order.
pub const INDEX_PLATFORMS: [&str; 2] = ["amd64", "arm64"];

const HTTP_TIMEOUT: Duration = Duration::from_secs(60);
/// 2024-01-01T00:00:00Z, the time of every file in the layers.
const MTIME: u64 = 1_704_067_200;

/// The blobs and manifest of one single-platform image.
#[derive(Debug, Clone)]
pub struct Image {
    /// The image manifest (`application/vnd.oci.image.manifest.v1+json`), exactly as pushed.
    pub manifest: Vec<u8>,
    /// The config blob.
    pub config: Vec<u8>,
    /// The layer blob: a tar with `hello.txt` holding the seed.
    pub layer: Vec<u8>,
}

impl Image {
    /// The manifest digest, `sha256:<hex>`.
    pub fn digest(&self) -> String {
        digest(&self.manifest)
    }
}

/// Builds (without pushing) the linux/`arch` image for `seed`.
pub fn build_image(seed: &str, arch: &str) -> Image {
    let layer = tar(&[("hello.txt", format!("hsign test image, seed {seed}\n").as_bytes())]);
    let config = serde_json::to_vec(&json!({
        "architecture": arch,
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/hello.txt"], "Labels": {"dev.hsign.test.seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": [digest(&layer)]},
    }))
    .expect("config JSON");
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": OCI_LAYER_TAR, "digest": digest(&layer), "size": layer.len()}],
    }))
    .expect("manifest JSON");
    Image {
        manifest,
        config,
        layer,
    }
}

/// Pushes the linux/amd64 image for `seed` to `repo:tag` and returns its manifest digest `sha256:<hex>`.
pub fn push_image(reg: &Registry, repo: &str, tag: &str, seed: &str) -> String {
    push_built(reg, repo, tag, &build_image(seed, "amd64"))
}

/// Pushes a multi-platform OCI image index to `repo:tag`: one child image per seed (linux/amd64 for the
/// first, linux/arm64 for the second, see [`INDEX_PLATFORMS`]), pushed by digest (untagged). Returns the
/// index digest and the child manifest digests in order.
pub fn push_index(reg: &Registry, repo: &str, tag: &str, seeds: &[&str]) -> (String, Vec<String>) {
    assert!(
        !seeds.is_empty() && seeds.len() <= INDEX_PLATFORMS.len(),
        "push_index takes 1 to {} seeds",
        INDEX_PLATFORMS.len()
    );
    let mut children = Vec::new();
    let mut descriptors = Vec::new();
    for (seed, arch) in seeds.iter().zip(INDEX_PLATFORMS) {
        let image = build_image(seed, arch);
        let d = push_built(reg, repo, &image.digest(), &image);
        descriptors.push(json!({
            "mediaType": OCI_MANIFEST,
            "digest": d,
            "size": image.manifest.len(),
            "platform": {"architecture": arch, "os": "linux"},
        }));
        children.push(d);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": descriptors,
    }))
    .expect("index JSON");
    let d = put_manifest(reg, repo, tag, OCI_INDEX, &index);
    (d, children)
}

/// Pushes the blobs of `image`, then its manifest to `repo:reference` (a tag or its digest).
pub fn push_built(reg: &Registry, repo: &str, reference: &str, image: &Image) -> String {
    push_blob(reg, repo, &image.config);
    push_blob(reg, repo, &image.layer);
    put_manifest(reg, repo, reference, OCI_MANIFEST, &image.manifest)
}

/// Uploads a blob monolithically (`POST /v2/<repo>/blobs/uploads/`, then `PUT <location>&digest=...`) and
/// returns its digest.
pub fn push_blob(reg: &Registry, repo: &str, data: &[u8]) -> String {
    let d = digest(data);
    let r = http_response(reg, true, "POST", &format!("/v2/{repo}/blobs/uploads/"), &[], &[]);
    assert_eq!(r.status, 202, "starting a blob upload to {repo}: {}", show(&r));
    let location = r
        .header("Location")
        .unwrap_or_else(|| panic!("no Location header: {}", show(&r)));
    let mut target = request_target(location);
    target.push(if target.contains('?') { '&' } else { '?' });
    target.push_str("digest=");
    target.push_str(&d.replace(':', "%3A"));
    let r = http_response(
        reg,
        true,
        "PUT",
        &target,
        &[("Content-Type", "application/octet-stream")],
        data,
    );
    assert_eq!(
        r.status,
        201,
        "finishing the upload of blob {d} to {repo}: {}",
        show(&r)
    );
    d
}

/// Puts a manifest (or index) to `repo:reference` with `media_type` as Content-Type; returns its digest
/// (checked against the registry's `Docker-Content-Digest`).
pub fn put_manifest(reg: &Registry, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) -> String {
    let d = digest(bytes);
    let r = http_response(
        reg,
        true,
        "PUT",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Content-Type", media_type)],
        bytes,
    );
    assert_eq!(r.status, 201, "putting manifest {repo}:{reference}: {}", show(&r));
    if let Some(got) = r.header("Docker-Content-Digest") {
        assert_eq!(got, d, "registry digest of {repo}:{reference}");
    }
    d
}

/// `GET /v2/<repo>/manifests/<reference>` accepting every manifest type; returns the Content-Type and the
/// bytes. Panics unless the answer is 200.
pub fn get_manifest(reg: &Registry, repo: &str, reference: &str) -> (String, Vec<u8>) {
    let r = http_response(
        reg,
        true,
        "GET",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Accept", MANIFEST_ACCEPT)],
        &[],
    );
    assert_eq!(r.status, 200, "getting manifest {repo}:{reference}: {}", show(&r));
    (r.header("Content-Type").unwrap_or_default().to_owned(), r.body)
}

/// One raw HTTP/1.1 request to the registry (`path` = path and query, e.g. `/v2/<repo>/tags/list`), with
/// the registry's basic-auth credentials when it has them. Returns the status, the headers (see
/// [`crate::registry::header`] to look one up) and the body.
pub fn http(
    reg: &Registry,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let r = http_response(reg, true, method, path, headers, body);
    (r.status, r.headers, r.body)
}

/// Like [`http`], but never sends credentials.
pub fn http_anonymous(
    reg: &Registry,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let r = http_response(reg, false, method, path, headers, body);
    (r.status, r.headers, r.body)
}

fn http_response(
    reg: &Registry,
    with_auth: bool,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let auth = if with_auth { reg.credentials() } else { None };
    request(&reg.host(), auth, method, path, headers, body, HTTP_TIMEOUT)
        .unwrap_or_else(|e| panic!("{method} {}{path}: {e}\n--- registry log\n{}", reg.url(), reg.log()))
}

fn show(r: &Response) -> String {
    format!(
        "HTTP {} {:?}\n{}",
        r.status,
        r.headers,
        String::from_utf8_lossy(&r.body)
    )
}

/// The path and query of a `Location` that may be an absolute URL.
fn request_target(location: &str) -> String {
    match location.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/".to_owned(), |i| rest[i..].to_owned()),
        None => location.to_owned(),
    }
}

/// `sha256:<hex>` of `data`.
pub fn digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    sha256(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (FIPS 180-4), dependency-free; the images are tiny so speed does not matter.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// A deterministic ustar archive of regular files (mode 0644, owner 0:0, fixed mtime).
pub fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    fn octal(field: &mut [u8], value: u64) {
        // Zero-padded octal digits followed by a NUL, filling the field.
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    }
    let mut out = Vec::new();
    for (name, content) in files {
        assert!(name.len() < 100, "tar entry name too long: {name}");
        let mut hdr = [0u8; 512];
        hdr[..name.len()].copy_from_slice(name.as_bytes());
        octal(&mut hdr[100..108], 0o644);
        octal(&mut hdr[108..116], 0);
        octal(&mut hdr[116..124], 0);
        octal(&mut hdr[124..136], content.len() as u64);
        octal(&mut hdr[136..148], MTIME);
        hdr[148..156].fill(b' ');
        hdr[156] = b'0';
        hdr[257..263].copy_from_slice(b"ustar\0");
        hdr[263..265].copy_from_slice(b"00");
        hdr[265..269].copy_from_slice(b"root");
        hdr[297..301].copy_from_slice(b"root");
        let sum: u32 = hdr.iter().map(|&b| u32::from(b)).sum();
        hdr[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&hdr);
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// `len` bytes that look random (xorshift64, fixed seed): a layer that does not compress, for transfer tests.
pub fn noise(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Pushes an image whose one layer is `layer` (with a minimal config) to `repo:tag`; returns its digest.
pub fn push_layer_image(reg: &Registry, repo: &str, tag: &str, layer: &[u8]) -> String {
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest(config), "size": config.len()},
        "layers": [{"mediaType": OCI_LAYER_TAR, "digest": digest(layer), "size": layer.len()}],
    }))
    .expect("manifest JSON");
    push_blob(reg, repo, config);
    push_blob(reg, repo, layer);
    put_manifest(reg, repo, tag, OCI_MANIFEST, &manifest)
}
