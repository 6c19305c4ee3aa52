//! Rekor v1 entry types as the test log understands them: turning a `ProposedEntry` (`hashedrekord` or
//! `dsse`, both 0.0.1) into the canonical body the log stores, checking its signatures on the way, and RFC
//! 8785 canonical JSON.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use der::Encode as _;
use hsign_keys::{HashAlgorithm, PublicKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// Why a proposed entry cannot become a log entry.
#[derive(Debug)]
pub(crate) enum Rejected {
    /// Malformed, or a kind or version the log does not know.
    Malformed(String),
    /// Well formed, but a signature does not verify.
    Unverified(String),
}

impl Rejected {
    /// The message for the client.
    pub(crate) fn message(&self) -> &str {
        match self {
            Self::Malformed(m) | Self::Unverified(m) => m,
        }
    }
}

fn malformed(msg: impl Into<String>) -> Rejected {
    Rejected::Malformed(msg.into())
}

/// A canonical entry body and what the search index knows about it.
#[derive(Clone, Debug)]
pub(crate) struct Canonical {
    /// The body bytes (RFC 8785 JSON).
    pub(crate) body: Vec<u8>,
    /// The artifact hashes it can be found by, `alg:lowerhex`.
    pub(crate) hashes: Vec<String>,
    /// PKIX DER of the keys (or certificate keys) in it.
    pub(crate) keys: Vec<Vec<u8>>,
}

/// Key material as Rekor's `x509` type reads it: a PEM public key or PEM certificate(s).
pub(crate) struct KeyMaterial {
    /// The PEM Rekor stores: the key or the certificates re-encoded.
    pub(crate) pem: String,
    /// PKIX DER of the key (for certificates, of the first certificate's key).
    pub(crate) spki: Vec<u8>,
    /// The key.
    pub(crate) key: PublicKey,
}

/// Reads a PEM `PUBLIC KEY` or one or more PEM `CERTIFICATE`s (the first is the signer).
pub(crate) fn key_material(data: &[u8]) -> Result<KeyMaterial, String> {
    let blocks = hsign_keys::pem::decode_all(data).map_err(|e| format!("invalid public key: {e}"))?;
    let first = blocks.first().ok_or("invalid public key: no PEM block")?;
    match first.label.as_str() {
        "PUBLIC KEY" => {
            let key = PublicKey::from_spki_der(&first.contents).map_err(|e| format!("invalid public key: {e}"))?;
            Ok(KeyMaterial {
                pem: key.to_pem(),
                spki: key.to_spki_der(),
                key,
            })
        }
        "CERTIFICATE" => {
            use der::Decode as _;
            let cert =
                x509_cert::Certificate::from_der(&first.contents).map_err(|e| format!("invalid certificate: {e}"))?;
            let spki = cert
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()
                .map_err(|e| format!("invalid certificate key: {e}"))?;
            let key = PublicKey::from_spki_der(&spki).map_err(|e| format!("invalid certificate key: {e}"))?;
            let pem = blocks
                .iter()
                .filter(|b| b.label == "CERTIFICATE")
                .map(|b| hsign_keys::pem::encode("CERTIFICATE", &b.contents))
                .collect();
            Ok(KeyMaterial { pem, spki, key })
        }
        other => Err(format!("invalid public key: unexpected PEM block '{other}'")),
    }
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex (either case).
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, Rejected> {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(p)
            .ok_or_else(|| malformed(format!("missing field {}", path.join("."))))?;
    }
    cur.as_str()
        .ok_or_else(|| malformed(format!("field {} must be a string", path.join("."))))
}

/// Turns a `ProposedEntry` into the canonical body. Signatures are checked (a DSSE entry needs that to
/// pair each signature with its verifier); `verify_hashedrekord: false` skips the check for hashedrekord.
pub(crate) fn canonicalize(proposed: &Value, verify_hashedrekord: bool) -> Result<Canonical, Rejected> {
    if !proposed.is_object() {
        return Err(malformed("a proposed entry must be a JSON object"));
    }
    let kind = str_at(proposed, &["kind"])?;
    let version = str_at(proposed, &["apiVersion"])?;
    let spec = proposed
        .get("spec")
        .filter(|s| s.is_object())
        .ok_or_else(|| malformed("missing object spec"))?;
    match (kind, version) {
        ("hashedrekord", "0.0.1") => hashedrekord(spec, verify_hashedrekord),
        ("dsse", "0.0.1") => dsse(spec),
        ("hashedrekord" | "dsse", v) => Err(malformed(format!("{kind} version {v} is not supported"))),
        (k, _) => Err(malformed(format!("entry kind '{k}' is not supported by this log"))),
    }
}

fn hashedrekord(spec: &Value, verify: bool) -> Result<Canonical, Rejected> {
    let alg_name = str_at(spec, &["data", "hash", "algorithm"])?;
    let value = str_at(spec, &["data", "hash", "value"])?;
    let alg = match alg_name {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        other => return Err(malformed(format!("unsupported hash algorithm '{other}'"))),
    };
    let digest = unhex(value)
        .filter(|d| d.len() == alg.output_len())
        .ok_or_else(|| malformed(format!("data.hash.value is not a {alg_name} hex digest")))?;
    let sig = STANDARD
        .decode(str_at(spec, &["signature", "content"])?)
        .ok()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("signature.content is not base64"))?;
    let key_pem = STANDARD
        .decode(str_at(spec, &["signature", "publicKey", "content"])?)
        .map_err(|_| malformed("signature.publicKey.content is not base64"))?;
    let km = key_material(&key_pem).map_err(malformed)?;
    if verify {
        km.key
            .verify_digest(alg, &digest, &sig)
            .map_err(|e| Rejected::Unverified(format!("verifying signature: {e}")))?;
    }
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": alg_name, "value": value}},
            "signature": {
                "content": STANDARD.encode(&sig),
                "publicKey": {"content": STANDARD.encode(km.pem.as_bytes())},
            },
        },
    });
    Ok(Canonical {
        body: canonical_json(&body).into_bytes(),
        hashes: vec![format!("{alg_name}:{}", value.to_ascii_lowercase())],
        keys: vec![km.spki],
    })
}

/// DSSE pre-authentication encoding.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

fn b64_lenient(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).ok()
}

fn dsse(spec: &Value) -> Result<Canonical, Rejected> {
    let envelope_str = str_at(spec, &["proposedContent", "envelope"])?;
    let verifiers = spec
        .pointer("/proposedContent/verifiers")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| malformed("proposedContent.verifiers must be a non-empty array"))?;
    let keys = verifiers
        .iter()
        .map(|v| {
            let b64 = v.as_str().ok_or_else(|| malformed("a verifier must be a string"))?;
            let pem = STANDARD
                .decode(b64)
                .map_err(|_| malformed("a verifier is not base64"))?;
            key_material(&pem).map_err(malformed)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let envelope: Value =
        serde_json::from_str(envelope_str).map_err(|e| malformed(format!("envelope is not JSON: {e}")))?;
    let payload_type = str_at(&envelope, &["payloadType"])?;
    let payload =
        b64_lenient(str_at(&envelope, &["payload"])?).ok_or_else(|| malformed("envelope payload is not base64"))?;
    let sigs = envelope
        .get("signatures")
        .and_then(Value::as_array)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("envelope signatures must be a non-empty array"))?;
    let message = pae(payload_type, &payload);
    let mut signatures = Vec::new();
    let mut used = Vec::new();
    for s in sigs {
        let sig = b64_lenient(str_at(s, &["sig"])?)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| malformed("an envelope signature is not base64"))?;
        let km = keys
            .iter()
            .find(|k| k.key.verify_message(&message, &sig).is_ok())
            .ok_or_else(|| Rejected::Unverified("could not verify envelope signature with any verifier".into()))?;
        signatures.push((STANDARD.encode(&sig), STANDARD.encode(km.pem.as_bytes())));
        if !used.contains(&km.spki) {
            used.push(km.spki.clone());
        }
    }
    signatures.sort();
    let envelope_hash = hex(&Sha256::digest(envelope_str.as_bytes()));
    let payload_hash = hex(&Sha256::digest(&payload));
    let body = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": envelope_hash},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
            "signatures": signatures
                .iter()
                .map(|(sig, verifier)| json!({"signature": sig, "verifier": verifier}))
                .collect::<Vec<_>>(),
        },
    });
    Ok(Canonical {
        body: canonical_json(&body).into_bytes(),
        hashes: vec![format!("sha256:{payload_hash}"), format!("sha256:{envelope_hash}")],
        keys: used,
    })
}

/// RFC 8785 (JCS) serialization: object keys sorted by UTF-16 code units, no whitespace, minimal string
/// escapes. Numbers are written as serde_json writes them (the log only has integers).
pub(crate) fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::String(s) => write_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
