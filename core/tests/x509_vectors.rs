//! Fulcio certificate verification (`hsign_core::x509`) over the keyless bundle-verify cases of
//! tests/data/vectors/cases.json: the leaf's identities match the case, the chain verifies at the signing
//! time and not outside the leaf's validity, the SCTs verify against the case's trusted root, and the
//! conformance cases whose defect is in the certificate material are refused.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use hsign_core::trust::TrustedRoot;
use hsign_core::x509::{CertError, parse_leaf, verify_chain, verify_chain_path, verify_scts};

fn path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/vectors/")).join(rel)
}

/// A keyless case: its entry in cases.json, the leaf, the rest of the chain, the trusted root, and the
/// signing time (the integrated time, or the leaf's notBefore for Rekor v2 entries, which carry none).
struct Case {
    id: String,
    info: Value,
    leaf: Vec<u8>,
    chain: Vec<Vec<u8>>,
    trust: TrustedRoot,
    at: i64,
}

fn trusted_root(case: &Value) -> Option<TrustedRoot> {
    let rel = case["trusted_root"]
        .as_str()
        .unwrap_or("trusted-root/production/trusted_root.json");
    let file = rel.split(' ').next()?;
    match TrustedRoot::from_json(&std::fs::read(path(file)).ok()?) {
        Ok(t) => Some(t),
        // sigstore-js's fixture root has no validFor (refused); its cases name production as the alternative.
        Err(_) if rel.ends_with("(or production)") => Some(TrustedRoot::production()),
        Err(_) => None,
    }
}

fn load(info: Value) -> Option<Case> {
    let bundle: Value = serde_json::from_slice(&std::fs::read(path(info["bundle"].as_str()?)).ok()?).ok()?;
    let material = &bundle["verificationMaterial"];
    let raw: Vec<&str> = match material["certificate"]["rawBytes"].as_str() {
        Some(one) => vec![one],
        None => material["x509CertificateChain"]["certificates"]
            .as_array()?
            .iter()
            .filter_map(|c| c["rawBytes"].as_str())
            .collect(),
    };
    let mut ders = raw
        .into_iter()
        .map(|s| STANDARD.decode(s).ok())
        .collect::<Option<Vec<_>>>()?;
    if ders.is_empty() {
        return None;
    }
    let leaf = ders.remove(0);
    let integrated = material["tlogEntries"][0]["integratedTime"]
        .as_str()
        .and_then(|t| t.parse::<i64>().ok())
        .filter(|&t| t > 0);
    let at = match integrated {
        Some(t) => t,
        None => parse_leaf(&leaf).ok()?.not_before,
    };
    Some(Case {
        id: info["id"].as_str()?.to_owned(),
        trust: trusted_root(&info)?,
        info,
        leaf,
        chain: ders,
        at,
    })
}

fn cases() -> Vec<Case> {
    let all: Vec<Value> = serde_json::from_slice(&std::fs::read(path("cases.json")).unwrap()).unwrap();
    all.into_iter()
        .filter(|c| c["kind"].as_str().is_some_and(|k| k.starts_with("bundle-verify")))
        .filter_map(load)
        .collect()
}

fn passing() -> Vec<Case> {
    let list: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.info["expected"].as_str().is_some_and(|e| e.starts_with("pass")))
        .collect();
    assert!(list.len() >= 30, "only {} passing keyless cases found", list.len());
    list
}

fn named(id: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no keyless case {id}"))
}

/// The bundle's chain as it would be verified: chains that carry the root (accepted by sigstore-go and
/// sigstore-js, which ignore them) are checked without it here; `root_in_chain_is_refused` checks that
/// they are refused as given.
fn chain_without_root(case: &Case) -> &[Vec<u8>] {
    if case.chain.len() > 1 { &[] } else { &case.chain }
}

#[test]
fn leaf_identities_match_the_cases() {
    for case in passing() {
        let leaf = parse_leaf(&case.leaf).unwrap_or_else(|e| panic!("{}: {e}", case.id));
        let identity = case.info["identity"].as_str().unwrap_or_default();
        let identity = identity.split(" (").next().unwrap_or_default();
        assert!(
            leaf.sans.iter().any(|s| s == identity),
            "{}: {identity} not in {:?}",
            case.id,
            leaf.sans
        );
        assert_eq!(leaf.issuer.as_deref(), case.info["issuer"].as_str(), "{}", case.id);
        assert!(leaf.not_before < leaf.not_after, "{}", case.id);
        assert!(!leaf.spki_der.is_empty(), "{}", case.id);
        assert!(
            leaf.extensions.keys().all(|k| k.starts_with("1.3.6.1.4.1.57264.1.")),
            "{}",
            case.id
        );
    }
}

#[test]
fn othername_san_and_v2_issuer_are_read() {
    let leaf = parse_leaf(&named("go/othername").leaf).unwrap();
    assert_eq!(leaf.sans, ["foo!oidc.local"]);
    assert_eq!(leaf.issuer.as_deref(), Some("http://oidc.local:8080"));
    let happy = parse_leaf(&named("conformance/happy-path-v0.3").leaf).unwrap();
    assert_eq!(
        happy.extensions.get("1.3.6.1.4.1.57264.1.8").map(String::as_str),
        Some("https://token.actions.githubusercontent.com")
    );
    assert!(
        happy.extensions.contains_key("1.3.6.1.4.1.57264.1.1"),
        "{:?}",
        happy.extensions
    );
}

#[test]
fn chains_of_passing_cases_verify_at_the_signing_time() {
    for case in passing() {
        let verified = verify_chain_path(&case.leaf, chain_without_root(&case), &case.trust, case.at)
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));
        assert!(verified.ca_index < case.trust.certificate_authorities.len());
        assert_eq!(verified.path.first(), Some(&case.leaf));
        assert!(verified.path.len() >= 2, "{}", case.id);
    }
}

#[test]
fn chain_is_refused_outside_the_leaf_validity() {
    for id in [
        "conformance/happy-path-v0.3",
        "conformance/happy-path-v0.1",
        "go/othername",
    ] {
        let case = named(id);
        let leaf = parse_leaf(&case.leaf).unwrap();
        assert!(
            verify_chain(&case.leaf, &case.chain, &case.trust, leaf.not_after).is_ok(),
            "{id}"
        );
        assert!(
            verify_chain(&case.leaf, &case.chain, &case.trust, leaf.not_before).is_ok(),
            "{id}"
        );
        for at in [leaf.not_after + 1, leaf.not_before - 1] {
            let err = verify_chain(&case.leaf, &case.chain, &case.trust, at).unwrap_err();
            assert!(
                matches!(err, CertError::NotValidAt { at: a, .. } if a == at),
                "{id}: {err}"
            );
        }
    }
}

#[test]
fn root_in_chain_is_refused() {
    let case = named("conformance/bundle-with-root-cert_fail");
    let err = verify_chain(&case.leaf, &case.chain, &case.trust, case.at).unwrap_err();
    assert!(matches!(err, CertError::RootInChain { index: 0 }), "{err}");
    // The passing upstream fixtures that carry the root (sigstore-go, sigstore-js) are refused too.
    for id in [
        "go/examples/bundle-provenance",
        "js/tests/bundleV01-full-cert-chain.sigstore",
    ] {
        let case = named(id);
        let err = verify_chain(&case.leaf, &case.chain, &case.trust, case.at).unwrap_err();
        assert!(matches!(err, CertError::RootInChain { index: 1 }), "{id}: {err}");
    }
}

#[test]
fn certificate_not_valid_at_the_integrated_time_is_refused() {
    // The leaf is valid in 2030, the entry was integrated in 2023.
    let case = named("conformance/intoto-expired-certificate_fail");
    let err = verify_chain(&case.leaf, &case.chain, &case.trust, case.at).unwrap_err();
    assert!(matches!(err, CertError::NotValidAt { .. }), "{err}");
}

#[test]
fn staging_certificate_is_refused_by_production() {
    // Staging's intermediate has the same name as production's: the signature is what tells them apart.
    let case = named("conformance/bundle-from-wrong-instance_fail");
    let err = verify_chain(&case.leaf, &case.chain, &case.trust, case.at).unwrap_err();
    assert!(matches!(err, CertError::BadSignature { .. }), "{err}");
    let staging = TrustedRoot::staging();
    assert!(verify_chain(&case.leaf, &case.chain, &staging, case.at).is_ok());
}

#[test]
fn scts_of_passing_cases_verify() {
    for case in passing() {
        let verified = verify_chain_path(&case.leaf, chain_without_root(&case), &case.trust, case.at)
            .unwrap_or_else(|e| panic!("{}: {e}", case.id));
        let issuer = verified.issuer().unwrap();
        let count = verify_scts(&case.leaf, issuer, &case.trust, 1).unwrap_or_else(|e| panic!("{}: {e}", case.id));
        assert!(count >= 1, "{}", case.id);
    }
}

#[test]
fn sct_with_extensions_verifies() {
    let case = named("conformance/bundle-with-sct-with-extensions");
    let verified = verify_chain_path(&case.leaf, &case.chain, &case.trust, case.at).unwrap();
    assert_eq!(
        verify_scts(&case.leaf, verified.issuer().unwrap(), &case.trust, 1).unwrap(),
        1
    );
}

#[test]
fn sct_from_a_wrong_ct_key_is_refused() {
    let case = named("conformance/invalid-ct-key_fail");
    let verified = verify_chain_path(&case.leaf, &case.chain, &case.trust, case.at).unwrap();
    let err = verify_scts(&case.leaf, verified.issuer().unwrap(), &case.trust, 1).unwrap_err();
    assert!(
        matches!(err, CertError::UnknownCtLog { .. } | CertError::SctInvalid(_)),
        "{err}"
    );
    // A threshold of 0 asks for nothing.
    assert_eq!(
        verify_scts(&case.leaf, verified.issuer().unwrap(), &case.trust, 0).unwrap(),
        0
    );
}

#[test]
fn sct_needs_the_real_issuer() {
    let case = named("conformance/happy-path-v0.3");
    let verified = verify_chain_path(&case.leaf, &case.chain, &case.trust, case.at).unwrap();
    let root = verified.path.last().unwrap();
    assert!(verify_scts(&case.leaf, root, &case.trust, 1).is_err());
    assert!(verify_scts(&case.leaf, &case.leaf, &case.trust, 1).is_err());
}
