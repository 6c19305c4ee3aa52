//! The deploy policy file: parsed, validated and with every key loaded before anything touches the network.
//! The format is documented in `docs/policy.md` and `schema/policy.schema.json`.

use serde::Deserialize;
use thiserror::Error;

use super::glob::ImageGlob;
use crate::image::verify::ImageSigner;
use crate::predicate_policy::{PredicatePolicy, RawPolicy};
use crate::verify::{CertificateIdentity, Matcher};
use hsign_keys::PublicKey;

/// Largest policy document read.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;
/// Most rules, exemptions, globs per rule and signers per rule.
pub const MAX_ENTRIES: usize = 256;
/// The only policy format version.
pub const VERSION: u64 = 1;

/// Why a deploy policy was refused; the caller adds the file name.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DeployPolicyError {
    /// The document is larger than [`MAX_POLICY_BYTES`].
    #[error("policy is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Size of the document.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not valid JSON/YAML, or of the wrong shape (an unknown key, a missing one); the message names the key
    /// and the line.
    #[error("policy is not a valid {format} deploy policy: {message}")]
    Syntax {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A value the parser accepted but the policy cannot use.
    #[error("{location}: {message}")]
    Invalid {
        /// Where in the policy (`rules[1] "production".signatures.signers[0]`).
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// A validated deploy policy.
#[derive(Debug, Clone)]
pub struct DeployPolicy {
    /// The rules, in file order.
    pub rules: Vec<Rule>,
    /// The exemptions, in file order.
    pub exempt: Vec<Exemption>,
}

/// One rule: the images it covers and what they need.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its unique name.
    pub name: String,
    /// The images it applies to.
    pub images: Vec<ImageGlob>,
    /// Whether an image may be given by tag (else a digest is required).
    pub allow_tags: bool,
    /// How many different signers must each have a valid signature.
    pub threshold: usize,
    /// Who may sign.
    pub signers: Vec<Signer>,
    /// Conditions on attestations signed by any of the signers.
    pub attestations: Option<PredicatePolicy>,
}

/// A named signer of a rule.
#[derive(Debug, Clone)]
pub struct Signer {
    /// Its name, unique within the rule.
    pub name: String,
    /// The key or keyless identity.
    pub signer: ImageSigner,
    /// A string equal for equal signers, so that an image is checked once per distinct signer.
    pub id: String,
}

/// An exempt image pattern and why.
#[derive(Debug, Clone)]
pub struct Exemption {
    /// The images exempted.
    pub glob: ImageGlob,
    /// Why (shown in the report).
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDeployPolicy {
    version: u64,
    rules: Vec<RawRule>,
    #[serde(default)]
    exempt: Vec<RawExemption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    name: String,
    images: Vec<String>,
    #[serde(default)]
    allow_tags: bool,
    signatures: RawSignatures,
    #[serde(default, deserialize_with = "not_null")]
    attestations: Option<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSignatures {
    #[serde(default, deserialize_with = "not_null")]
    threshold: Option<u64>,
    signers: Vec<RawSigner>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSigner {
    name: String,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    identity_regexp: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    issuer_regexp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawExemption {
    image: String,
    reason: String,
}

/// A key that is present must have a value: `threshold:` or `attestations:` left empty (or `null`) would
/// otherwise silently drop a requirement.
fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    match Option::<T>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom(
            "is empty (null): give it a value or remove the key",
        )),
    }
}

fn invalid(location: impl Into<String>, message: impl Into<String>) -> DeployPolicyError {
    DeployPolicyError::Invalid {
        location: location.into(),
        message: message.into(),
    }
}

impl DeployPolicy {
    /// Parses and validates a policy (JSON when the first non-blank character is `{`, else YAML).
    /// `load_key` reads a signer's `key` as written (the caller resolves it against the policy's directory);
    /// its error is reported with the signer's place.
    pub fn from_bytes(
        data: &[u8],
        load_key: &mut dyn FnMut(&str) -> Result<PublicKey, String>,
    ) -> Result<Self, DeployPolicyError> {
        if data.len() > MAX_POLICY_BYTES {
            return Err(DeployPolicyError::TooLarge {
                size: data.len(),
                max: MAX_POLICY_BYTES,
            });
        }
        let raw: RawDeployPolicy = crate::document::parse(data).map_err(|e| DeployPolicyError::Syntax {
            format: e.format,
            message: e.message,
        })?;
        Self::validate(raw, load_key)
    }

    fn validate(
        raw: RawDeployPolicy,
        load_key: &mut dyn FnMut(&str) -> Result<PublicKey, String>,
    ) -> Result<Self, DeployPolicyError> {
        if raw.version != VERSION {
            return Err(invalid(
                "version",
                format!(
                    "{} is not a known policy version (this hsign reads version {VERSION})",
                    raw.version
                ),
            ));
        }
        if raw.rules.is_empty() {
            return Err(invalid(
                "rules",
                "there are no rules: the policy would reject every image",
            ));
        }
        for (key, count) in [("rules", raw.rules.len()), ("exempt", raw.exempt.len())] {
            if count > MAX_ENTRIES {
                return Err(invalid(
                    key,
                    format!("{count} entries, more than the {MAX_ENTRIES} allowed"),
                ));
            }
        }
        // Every glob once in the whole file: the same pattern twice is a duplicated (or contradictory) rule.
        let mut globs: Vec<(String, String)> = Vec::new();
        let mut seen_glob = |glob: &str, location: &str| -> Result<(), DeployPolicyError> {
            if let Some((_, first)) = globs.iter().find(|(g, _)| g == glob) {
                return Err(invalid(
                    location,
                    format!("'{glob}' is already listed at {first}: one pattern belongs to one rule"),
                ));
            }
            globs.push((glob.to_string(), location.to_string()));
            Ok(())
        };
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
        for (i, r) in raw.rules.into_iter().enumerate() {
            let at = format!("rules[{i}] {:?}", r.name);
            if r.name.trim().is_empty() {
                return Err(invalid(format!("rules[{i}].name"), "is empty"));
            }
            if let Some(j) = rules.iter().position(|other| other.name == r.name) {
                return Err(invalid(at, format!("rules[{j}] has the same name")));
            }
            if r.images.is_empty() {
                return Err(invalid(
                    format!("{at}.images"),
                    "is empty: the rule would apply to nothing",
                ));
            }
            if r.images.len() > MAX_ENTRIES {
                return Err(invalid(
                    format!("{at}.images"),
                    format!("more than {MAX_ENTRIES} globs"),
                ));
            }
            let mut images = Vec::with_capacity(r.images.len());
            for (k, g) in r.images.iter().enumerate() {
                let place = format!("{at}.images[{k}]");
                seen_glob(g, &place)?;
                images.push(ImageGlob::parse(g).map_err(|e| invalid(&place, e))?);
            }
            let signers = validate_signers(&at, r.signatures.signers, load_key)?;
            let threshold = match r.signatures.threshold {
                None => 1,
                Some(0) => {
                    return Err(invalid(
                        format!("{at}.signatures.threshold"),
                        "is 0: at least one signature is required",
                    ));
                }
                Some(t) if t as usize > signers.len() || t > MAX_ENTRIES as u64 => {
                    return Err(invalid(
                        format!("{at}.signatures.threshold"),
                        format!(
                            "{t} is more than the {} signer(s) listed: the rule could never pass",
                            signers.len()
                        ),
                    ));
                }
                Some(t) => t as usize,
            };
            let attestations = match r.attestations {
                None => None,
                Some(p) => Some(PredicatePolicy::validate(p).map_err(|e| {
                    invalid(
                        format!("{at}.attestations"),
                        e.to_string().trim_start_matches("policy ").to_string(),
                    )
                })?),
            };
            rules.push(Rule {
                name: r.name,
                images,
                allow_tags: r.allow_tags,
                threshold,
                signers,
                attestations,
            });
        }
        let mut exempt = Vec::with_capacity(raw.exempt.len());
        for (i, e) in raw.exempt.into_iter().enumerate() {
            let place = format!("exempt[{i}]");
            seen_glob(&e.image, &format!("{place}.image"))?;
            let glob = ImageGlob::parse(&e.image).map_err(|m| invalid(format!("{place}.image"), m))?;
            let registry = e.image.split('/').next().unwrap_or_default();
            if e.image.split('/').count() < 2 || registry.contains('*') || registry.contains('?') {
                return Err(invalid(
                    format!("{place}.image"),
                    format!(
                        "'{}' would exempt images of every registry: name the registry and repository",
                        e.image
                    ),
                ));
            }
            if e.reason.trim().is_empty() {
                return Err(invalid(
                    format!("{place}.reason"),
                    "is empty: say why the image is exempt (the report shows it)",
                ));
            }
            exempt.push(Exemption { glob, reason: e.reason });
        }
        Ok(Self { rules, exempt })
    }

    /// The rules that apply to `name` (`registry/repository`), in file order.
    pub fn rules_for(&self, name: &str) -> Vec<&Rule> {
        self.rules
            .iter()
            .filter(|r| r.images.iter().any(|g| g.matches(name)))
            .collect()
    }

    /// The first exemption covering `name`.
    pub fn exemption_for(&self, name: &str) -> Option<&Exemption> {
        self.exempt.iter().find(|e| e.glob.matches(name))
    }
}

fn validate_signers(
    at: &str,
    raw: Vec<RawSigner>,
    load_key: &mut dyn FnMut(&str) -> Result<PublicKey, String>,
) -> Result<Vec<Signer>, DeployPolicyError> {
    if raw.is_empty() {
        return Err(invalid(
            format!("{at}.signatures.signers"),
            "is empty: name at least one key or keyless identity",
        ));
    }
    if raw.len() > MAX_ENTRIES {
        return Err(invalid(
            format!("{at}.signatures.signers"),
            format!("more than {MAX_ENTRIES} signers"),
        ));
    }
    let mut out: Vec<Signer> = Vec::with_capacity(raw.len());
    for (i, s) in raw.into_iter().enumerate() {
        let place = format!("{at}.signatures.signers[{i}] {:?}", s.name);
        if s.name.trim().is_empty() {
            return Err(invalid(format!("{at}.signatures.signers[{i}].name"), "is empty"));
        }
        if out.iter().any(|o| o.name == s.name) {
            return Err(invalid(&place, "another signer of this rule has the same name"));
        }
        let place_for_duplicates = place.clone();
        let keyless =
            s.identity.is_some() || s.identity_regexp.is_some() || s.issuer.is_some() || s.issuer_regexp.is_some();
        let (signer, id) = match (&s.key, keyless) {
            (Some(_), true) => {
                return Err(invalid(
                    &place,
                    "has both `key` and keyless fields (identity/issuer): one signer is one or the other",
                ));
            }
            (None, false) => {
                return Err(invalid(
                    &place,
                    "needs `key` (a public key file) or `identity`/`identityRegexp` with `issuer`/`issuerRegexp`",
                ));
            }
            (Some(path), false) => {
                let key = load_key(path).map_err(|e| invalid(format!("{place}.key"), e))?;
                let id = serde_json::json!(["key", key.to_pem()]).to_string();
                (ImageSigner::Key(key), id)
            }
            (None, true) => {
                let subject = matcher(&place, "identity", s.identity, s.identity_regexp)?;
                let issuer = matcher(&place, "issuer", s.issuer, s.issuer_regexp)?;
                let id = serde_json::json!(["identity", matcher_id(&subject), matcher_id(&issuer)]).to_string();
                (
                    ImageSigner::Identity(CertificateIdentity {
                        subject,
                        issuer,
                        github: Default::default(),
                    }),
                    id,
                )
            }
        };
        if let Some(other) = out.iter().find(|o| o.id == id) {
            return Err(invalid(
                place_for_duplicates,
                format!(
                    "is the same signer as {:?}: one key or identity counts once toward the threshold",
                    other.name
                ),
            ));
        }
        out.push(Signer {
            name: s.name,
            signer,
            id,
        });
    }
    Ok(out)
}

/// A matcher as an unambiguous value, for signer ids.
fn matcher_id(m: &Matcher) -> serde_json::Value {
    match m {
        Matcher::Exact(e) => serde_json::json!(["exact", e]),
        Matcher::Regex { source, .. } => serde_json::json!(["regex", source]),
    }
}

/// `identity`/`identityRegexp` (or `issuer`/`issuerRegexp`): exactly one of the two.
fn matcher(
    place: &str,
    what: &str,
    exact: Option<String>,
    regex: Option<String>,
) -> Result<Matcher, DeployPolicyError> {
    match (exact, regex) {
        (Some(_), Some(_)) => Err(invalid(
            place,
            format!("has both `{what}` and `{what}Regexp`: give one"),
        )),
        (Some(e), None) if e.is_empty() => Err(invalid(format!("{place}.{what}"), "is empty")),
        (None, Some(r)) if r.is_empty() => Err(invalid(format!("{place}.{what}Regexp"), "is empty")),
        (Some(e), None) => Ok(Matcher::Exact(e)),
        (None, Some(r)) => Matcher::regex(&r).map_err(|e| invalid(format!("{place}.{what}Regexp"), e)),
        (None, None) => Err(invalid(
            place,
            format!("a keyless signer needs `{what}` or `{what}Regexp`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PublicKey {
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/vectors/bundles/sigstore-js/client-fixtures/key-1.pub"
        ))
        .unwrap();
        PublicKey::from_pem_or_der(&pem).unwrap()
    }

    fn parse(text: &str) -> Result<DeployPolicy, DeployPolicyError> {
        DeployPolicy::from_bytes(text.as_bytes(), &mut |p| {
            if p == "missing.pub" {
                Err("no such file".into())
            } else {
                Ok(key())
            }
        })
    }

    const BASE: &str = "version: 1\nrules:\n  - name: r\n    images: [ghcr.io/acme/*]\n    signatures:\n      signers:\n        - {name: k, key: k.pub}\n        - {name: ci, identityRegexp: 'https://github\\.com/acme/.*', issuer: https://token.actions.githubusercontent.com}\n";

    #[test]
    fn yaml_and_json_give_the_same_policy() {
        let yaml = parse(BASE).unwrap();
        let json = parse(
            r#"{"version":1,"rules":[{"name":"r","images":["ghcr.io/acme/*"],"signatures":{"signers":[
                {"name":"k","key":"k.pub"},
                {"name":"ci","identityRegexp":"https://github\\.com/acme/.*","issuer":"https://token.actions.githubusercontent.com"}]}}]}"#,
        )
        .unwrap();
        for p in [&yaml, &json] {
            let r = &p.rules[0];
            assert_eq!((r.threshold, r.allow_tags, r.signers.len()), (1, false, 2));
            assert!(r.signers[1].id.contains("github"), "{}", r.signers[1].id);
            assert_eq!(p.rules_for("ghcr.io/acme/app").len(), 1);
            assert!(p.rules_for("ghcr.io/acme/a/b").is_empty());
        }
        assert_eq!(yaml.rules[0].signers[0].id, json.rules[0].signers[0].id);
    }

    #[test]
    fn refusals_name_the_place() {
        let cases = [
            (
                BASE.replace("k.pub", "missing.pub"),
                "rules[0] \"r\".signatures.signers[0] \"k\".key: no such file",
            ),
            (
                format!("{BASE}exempt:\n  - {{image: ghcr.io/acme/*, reason: x}}\n"),
                "exempt[0].image: 'ghcr.io/acme/*' is already listed at rules[0] \"r\".images[0]",
            ),
            (BASE.replace("name: ci", "name: k"), "signers[1] \"k\": another signer"),
            (BASE.replace("version: 1", "version: 3"), "version: 3 is not a known"),
            (BASE.replace("rules:", "rulez:"), "unknown field `rulez`"),
            (
                BASE.replace("identityRegexp: 'https://github\\.com/acme/.*'", "identityRegexp: '('"),
                "identityRegexp",
            ),
        ];
        for (text, expected) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(expected), "expected '{expected}' in '{e}'");
        }
    }
}
