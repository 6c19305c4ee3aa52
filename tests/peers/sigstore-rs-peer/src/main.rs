//! sigstore-rs-peer: a tiny cosign-compatible CLI built only on the crates.io
//! `sigstore` crate, used by hsign's end-to-end tests as an independent
//! implementation. See README.md for the command list.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use sigstore::cosign::constraint::{AnnotationMarker, PrivateKeySigner};
use sigstore::cosign::verification_constraint::public_key_verifier::PublicKeyVerifier;
use sigstore::cosign::verification_constraint::{AnnotationVerifier, VerificationConstraint};
use sigstore::cosign::{
    apply_constraints, ClientBuilder, Constraint, CosignCapabilities, SignatureLayer,
};
use sigstore::crypto::signing_key::ecdsa::{ECDSAKeys, EllipticCurve};
use sigstore::crypto::signing_key::ed25519::Ed25519Keys;
use sigstore::crypto::signing_key::rsa::keypair::RSAKeys;
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::crypto::{CosignVerificationKey, SigStoreSigner, Signature, SigningScheme};
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};
use zeroize::Zeroizing;

type Res<T> = Result<T, String>;

const USAGE: &str = "usage:
  sigstore-rs-peer keygen PREFIX
  sigstore-rs-peer pubkey KEYFILE
  sigstore-rs-peer sign KEYFILE IMAGE_REF [k=v ...]
  sigstore-rs-peer verify PUBKEY IMAGE_REF [k=v ...]
  sigstore-rs-peer verify-blob PUBKEY FILE SIGNATURE_B64_FILE
env: COSIGN_PASSWORD (key password, may be empty), REGISTRY_USER/REGISTRY_PASS (basic auth)";

/// Outcome of a command that ran to completion.
enum Outcome {
    Ok,
    /// Verification was performed and failed (message goes to stderr, exit 1).
    Rejected(String),
}

fn main() -> ExitCode {
    // Safety net: a panic anywhere (ours or the library's) becomes "exit 1".
    std::panic::set_hook(Box::new(|info| {
        eprintln!("sigstore-rs-peer: internal error: {info}");
        std::process::exit(1);
    }));

    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Rejected(msg)) => {
            eprintln!("sigstore-rs-peer: verification failed: {msg}");
            ExitCode::from(1)
        }
        Err(msg) => {
            eprintln!("sigstore-rs-peer: error: {msg}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &[String]) -> Res<Outcome> {
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => return Err(format!("missing command\n{USAGE}")),
    };
    match (cmd, rest) {
        ("keygen", [prefix]) => keygen(prefix),
        ("pubkey", [key]) => pubkey(key),
        ("sign", [key, image, ann @ ..]) => sign(key, image, &parse_annotations(ann)?),
        ("verify", [key, image, ann @ ..]) => verify(key, image, &parse_annotations(ann)?),
        ("verify-blob", [key, file, sig]) => verify_blob(key, file, sig),
        ("-h" | "--help" | "help", _) => {
            println!("{USAGE}");
            Ok(Outcome::Ok)
        }
        _ => Err(format!("bad command or arguments\n{USAGE}")),
    }
}

// ---------------------------------------------------------------- helpers

fn read_file(path: &str) -> Res<Vec<u8>> {
    fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn password() -> Res<Zeroizing<Vec<u8>>> {
    match std::env::var_os("COSIGN_PASSWORD") {
        Some(p) => Ok(Zeroizing::new(p.into_encoded_bytes())),
        None => Err("COSIGN_PASSWORD is not set (an empty value is allowed)".into()),
    }
}

fn parse_annotations(items: &[String]) -> Res<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for item in items {
        match item.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                map.insert(k.to_string(), v.to_string());
            }
            _ => return Err(format!("annotation {item:?} is not of the form key=value")),
        }
    }
    Ok(map)
}

/// Loads a private key: cosign/sigstore encrypted PEM (password from
/// COSIGN_PASSWORD) or an unencrypted PKCS#8 PEM. Each key type is tried in
/// turn so that the error says why every attempt failed.
fn load_private_key(path: &str) -> Res<SigStoreKeyPair> {
    let data = read_file(path)?;
    let text = String::from_utf8_lossy(&data);
    if !text.contains("-----BEGIN ") {
        return Err(format!("{path}: not a PEM file"));
    }
    let mut errors = Vec::new();
    if text.contains("-----BEGIN ENCRYPTED ") {
        let pw = password()?;
        match ECDSAKeys::from_encrypted_pem(&data, &pw) {
            Ok(k) => return Ok(SigStoreKeyPair::ECDSA(k)),
            Err(e) => errors.push(format!("ecdsa: {e}")),
        }
        match Ed25519Keys::from_encrypted_pem(&data, &pw) {
            Ok(k) => return Ok(SigStoreKeyPair::ED25519(k)),
            Err(e) => errors.push(format!("ed25519: {e}")),
        }
        match RSAKeys::from_encrypted_pem(&data, &pw) {
            Ok(k) => return Ok(SigStoreKeyPair::RSA(k)),
            Err(e) => errors.push(format!("rsa: {e}")),
        }
    } else {
        match SigStoreKeyPair::from_pem(&data) {
            Ok(k) => return Ok(k),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.len() > 1 && errors.iter().all(|e| e.contains("aead")) {
        return Err(format!(
            "{path}: cannot decrypt private key (wrong COSIGN_PASSWORD?): {}",
            errors[0]
        ));
    }
    Err(format!("{path}: cannot load private key ({})", errors.join("; ")))
}

/// The signer cosign would use for this key type (RSA: PKCS#1 v1.5 + SHA-256;
/// ECDSA: the crate pairs each curve with its matching hash).
fn signer_for(key: &SigStoreKeyPair) -> Res<SigStoreSigner> {
    let r = match key {
        SigStoreKeyPair::ECDSA(k) => k.to_sigstore_signer(),
        SigStoreKeyPair::ED25519(k) => k.to_sigstore_signer(),
        SigStoreKeyPair::RSA(_) => key.to_sigstore_signer(&SigningScheme::RSA_PKCS1_SHA256(0)),
    };
    r.map_err(|e| format!("cannot build signer: {e}"))
}

fn to_lf(s: &str) -> String {
    s.replace("\r\n", "\n")
}

fn write_file(path: &Path, data: &[u8], mode: u32) -> Res<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(data)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn parse_image(image: &str) -> Res<OciReference> {
    image
        .parse::<OciReference>()
        .map_err(|e| format!("bad image reference {image:?}: {e}"))
}

fn registry_auth() -> Auth {
    match (std::env::var("REGISTRY_USER"), std::env::var("REGISTRY_PASS")) {
        (Ok(u), Ok(p)) if !u.is_empty() => Auth::Basic(u, p),
        _ => Auth::Anonymous,
    }
}

fn is_loopback_registry(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        // [::1]:port
        rest.split(']').next().unwrap_or("")
    } else {
        registry.split(':').next().unwrap_or("")
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

fn cosign_client(image: &OciReference) -> Res<sigstore::cosign::Client> {
    let mut config = ClientConfig::default();
    if is_loopback_registry(image.registry()) {
        config.protocol = ClientProtocol::HttpsExcept(vec![
            image.registry().to_string(),
            image.resolve_registry().to_string(),
        ]);
    }
    ClientBuilder::default()
        .with_oci_client_config(config)
        .build()
        .map_err(|e| format!("cannot build cosign client: {e}"))
}

fn runtime() -> Res<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start async runtime: {e}"))
}

// ---------------------------------------------------------------- commands

fn keygen(prefix: &str) -> Res<Outcome> {
    let pw = password()?;
    let keys = ECDSAKeys::new(EllipticCurve::P256).map_err(|e| format!("keygen: {e}"))?;
    let pair = keys.as_inner();
    let private = pair
        .private_key_to_encrypted_pem(&pw)
        .map_err(|e| format!("cannot encrypt private key: {e}"))?;
    let public = pair
        .public_key_to_pem()
        .map_err(|e| format!("cannot encode public key: {e}"))?;
    let key_path = format!("{prefix}.key");
    let pub_path = format!("{prefix}.pub");
    // Written exactly as the crate produces them (its PEM encoder uses CRLF).
    write_file(Path::new(&key_path), private.as_bytes(), 0o600)?;
    write_file(Path::new(&pub_path), public.as_bytes(), 0o644)?;
    eprintln!("Private key written to {key_path}");
    eprintln!("Public key written to {pub_path}");
    Ok(Outcome::Ok)
}

fn pubkey(key_path: &str) -> Res<Outcome> {
    let key = load_private_key(key_path)?;
    let pem = key
        .public_key_to_pem()
        .map_err(|e| format!("cannot encode public key: {e}"))?;
    print!("{}", to_lf(&pem));
    Ok(Outcome::Ok)
}

fn sign(key_path: &str, image: &str, annotations: &BTreeMap<String, String>) -> Res<Outcome> {
    let key = load_private_key(key_path)?;
    let signer = signer_for(&key)?;
    let image_ref = parse_image(image)?;
    let auth = registry_auth();
    let mut client = cosign_client(&image_ref)?;

    runtime()?.block_on(async {
        let (sig_ref, digest) = client
            .triangulate(&image_ref, &auth)
            .await
            .map_err(|e| format!("cannot resolve {image}: {e}"))?;

        let mut layer = SignatureLayer::new_unsigned(&image_ref, &digest)
            .map_err(|e| format!("cannot build payload: {e}"))?;

        // Annotations must be applied before the signature is computed.
        let mut constraints: Vec<Box<dyn Constraint>> = Vec::new();
        if !annotations.is_empty() {
            let map: HashMap<String, String> =
                annotations.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            constraints.push(Box::new(AnnotationMarker::new(map)));
        }
        constraints.push(Box::new(PrivateKeySigner::new_with_signer(signer)));
        apply_constraints(&mut layer, constraints.iter())
            .map_err(|e| format!("cannot sign payload: {e}"))?;

        client
            .push_signature(None, &auth, &sig_ref, vec![layer])
            .await
            .map_err(|e| format!("cannot push signature to {sig_ref}: {e}"))?;
        eprintln!("Pushed signature for {image} ({digest}) to {sig_ref}");
        Ok(Outcome::Ok)
    })
}

fn verify(pub_path: &str, image: &str, annotations: &BTreeMap<String, String>) -> Res<Outcome> {
    let pem = read_file(pub_path)?;
    let key_check = PublicKeyVerifier::try_from(&pem)
        .map_err(|e| format!("{pub_path}: cannot load public key: {e}"))?;
    let ann_check = AnnotationVerifier {
        annotations: annotations.clone(),
    };
    let image_ref = parse_image(image)?;
    let auth = registry_auth();
    let mut client = cosign_client(&image_ref)?;

    let layers = runtime()?.block_on(async {
        // Fail loudly when the image itself cannot be resolved (the library
        // only logs problems with the signature sources).
        client
            .triangulate(&image_ref, &auth)
            .await
            .map_err(|e| format!("cannot resolve {image}: {e}"))?;
        client
            .trusted_signature_layers(&auth, &image_ref)
            .await
            .map_err(|e| format!("cannot fetch signatures for {image}: {e}"))
    })?;

    if layers.is_empty() {
        return Ok(Outcome::Rejected(format!("no signatures found for {image}")));
    }
    // Every constraint must hold for the SAME layer (the library's
    // verify_constraints would accept them being met by different layers).
    let check = |c: &dyn VerificationConstraint, l: &SignatureLayer| c.verify(l).unwrap_or(false);
    let by_key: Vec<&SignatureLayer> =
        layers.iter().filter(|l| check(&key_check, l)).collect();
    let good: Vec<&SignatureLayer> =
        by_key.iter().copied().filter(|l| check(&ann_check, l)).collect();
    if by_key.is_empty() {
        return Ok(Outcome::Rejected(format!(
            "{} signature layer(s) found, none signed by the given key",
            layers.len()
        )));
    }
    if good.is_empty() {
        return Ok(Outcome::Rejected(format!(
            "{} signature layer(s) found, {} signed by the key, none with the required annotations",
            layers.len(),
            by_key.len()
        )));
    }
    let mut out = std::io::stdout().lock();
    for layer in good {
        out.write_all(&layer.raw_data)
            .and_then(|_| out.write_all(b"\n"))
            .map_err(|e| format!("cannot write output: {e}"))?;
    }
    Ok(Outcome::Ok)
}

fn verify_blob(pub_path: &str, file: &str, sig_path: &str) -> Res<Outcome> {
    let pem = read_file(pub_path)?;
    let key = CosignVerificationKey::try_from_pem(&pem)
        .map_err(|e| format!("{pub_path}: cannot load public key: {e}"))?;
    let blob = read_file(file)?;
    let sig_text = read_file(sig_path)?;
    let sig_b64: Vec<u8> = sig_text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if sig_b64.is_empty() {
        return Err(format!("{sig_path}: empty signature file"));
    }
    match key.verify_signature(Signature::Base64Encoded(&sig_b64), &blob) {
        Ok(()) => {
            eprintln!("Verified OK");
            Ok(Outcome::Ok)
        }
        Err(e) => Ok(Outcome::Rejected(format!("{file}: {e}"))),
    }
}
