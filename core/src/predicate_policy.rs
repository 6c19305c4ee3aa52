//! Declarative predicate policies: checks on the predicates of already-verified in-toto attestations,
//! written as a small YAML or JSON file instead of CUE or Rego (`hsign verify-attestation --policy FILE`).
//!
//! A policy names the predicate types that must be present and field conditions that every attestation
//! of a type must meet. This module only parses and evaluates; the signatures of the statements handed to
//! [`PredicatePolicy::evaluate`] must have been verified elsewhere.
//!
//! # Policy format
//!
//! ```yaml
//! # Predicate types that must each have at least one verified attestation: a URI, or one of cosign's
//! # `--type` shortcuts (slsaprovenance, slsaprovenance1, cyclonedx, spdx, spdxjson, openvex, vuln, ...).
//! require:
//!   - slsaprovenance1
//!   - cyclonedx
//! rules:
//!   # Every rule has a unique name, a predicate type, and exactly one condition.
//!   - name: builder is our CI
//!     predicateType: https://slsa.dev/provenance/v1
//!     field: runDetails.builder.id
//!     equals: https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main
//!   - name: build type
//!     predicateType: slsaprovenance1
//!     field: buildDefinition.buildType
//!     oneOf: [https://example.com/a, https://example.com/b]
//!   - name: every dependency comes from acme
//!     predicateType: slsaprovenance1
//!     field: buildDefinition.resolvedDependencies[*].uri
//!     regex: 'git\+https://github\.com/acme/.*'     # whole-string match: no ^ or $ needed
//!   - name: no critical vulnerability
//!     predicateType: vuln
//!     maxSeverity: high
//!     allow: [CVE-2023-44487]                       # ids exempted from this rule
//!   - name: no unaddressed VEX statement
//!     predicateType: openvex
//!     maxSeverity: critical
//! ```
//!
//! Keys:
//! - `require` (list of strings): predicate types; each yields a result named `require <type>` that fails
//!   with `no attestation of type <uri>` when absent.
//! - `rules` (list): each with `name`, `predicateType` and one condition:
//!   - `equals: VALUE`: the field equals VALUE (any YAML/JSON value; numbers compare numerically). In YAML,
//!     quote strings that look like numbers or booleans (`equals: "0.2"`).
//!   - `oneOf: [VALUES]`: the field equals one of the values.
//!   - `regex: PATTERN`: the field is a string and the **whole** string matches PATTERN. The pattern is
//!     implicitly anchored (compiled as `^(?:PATTERN)$`), unlike cosign's unanchored `--certificate-*-regexp`:
//!     write `https://github\.com/acme/.*` to match a prefix. Syntax is that of the `regex-lite` crate
//!     (Perl-like, no Unicode classes). A pattern that does not compile is refused when the policy loads.
//!   - `maxSeverity: none|negligible|low|medium|high|critical`, optionally with `allow: [IDS]`: vulnerability
//!     data in the predicate (see below) must report nothing above the maximum. `field` is not used.
//! - Unknown keys anywhere are errors. A policy with neither `require` nor `rules` is refused (it would accept
//!   anything), as are policies over [`MAX_POLICY_BYTES`] or with more than [`MAX_RULES`] rules or
//!   `require` entries.
//!
//! A document whose first non-blank character is `{` is read as JSON, anything else as YAML; both give the
//! same policy.
//!
//! # Field paths
//!
//! A dot path into the predicate: `runDetails.builder.id`. `[N]` selects element N of an array, `[*]` every
//! element, and `["key.with.dots"]` a key containing `.`, `[` or `]` (with `\"` and `\\` escapes). A
//! condition must hold for **every** value the path selects, and the path must select at least one: a
//! missing field, or `[*]` over an empty array, fails the rule.
//!
//! # Which attestations a rule applies to
//!
//! A rule applies to every statement whose predicate type matches its `predicateType`, and passes only when
//! there is at least one such statement and **all** of them satisfy it (fail closed: a second, non-compliant
//! provenance fails the gate). A rule with no statement of its type fails with `no attestation of type X`.
//! Types compare exactly, except that the unversioned URIs behind cosign's `openvex`, `cyclonedx` and `spdx`
//! shortcuts (`https://openvex.dev/ns`, `https://cyclonedx.org/bom`, `https://spdx.dev/Document`) also
//! match their versioned forms (`https://openvex.dev/ns/v0.2.0`, `https://spdx.dev/Document/v2.3`).
//!
//! # `maxSeverity`
//!
//! Severities are ordered none (= negligible, info) < low < medium (= moderate) < high (= important) <
//! critical, compared case-insensitively. A missing or unrecognized severity (Trivy's `UNKNOWN`, Grype's
//! `Unknown`) counts as critical: fail closed. Where the vulnerabilities are read:
//! - cosign vuln predicate (`https://cosign.sigstore.dev/attestation/vuln/v1`): `scanner.result`, which
//!   must be a Trivy JSON report (`Results[*].Vulnerabilities[*]`: `VulnerabilityID`, `Severity`) or a Grype
//!   JSON report (`matches[*].vulnerability`: `id`, `severity`). Any other shape fails the rule.
//! - CycloneDX (`bomFormat: CycloneDX` or a CycloneDX predicate type): `vulnerabilities[*]`, severity the
//!   highest of `ratings[*].severity`; entries whose `analysis.state` is `not_affected`, `resolved`,
//!   `resolved_with_pedigree` or `false_positive` are skipped. A BOM without `vulnerabilities` reports none
//!   and passes.
//! - OpenVEX (an OpenVEX predicate type, or `@context` under `https://openvex.dev/ns`): OpenVEX carries no
//!   severity, so the maximum is not consulted: **every** statement whose `status` is `affected` or
//!   `under_investigation` (or missing / unknown) fails the rule. Statements are not merged by timestamp.
//! - any other predicate holding a Trivy or Grype report at its top level is read the same way; a predicate
//!   with no recognized vulnerability data fails the rule.
//!
//! `allow` lists vulnerability ids (compared case-insensitively; OpenVEX aliases, CycloneDX `references`
//! and Grype `relatedVulnerabilities` ids count too) that the rule ignores whatever their severity or status.
//!
//! # Report
//!
//! [`PolicyReport`] has one [`RuleResult`] per `require` entry, then one per rule, in policy order. A failing
//! result's `detail` names the field and the value seen (`runDetails.builder.id is "https://evil/ci",
//! expected "https://..."`) or the vulnerability id and its severity; when several attestations of a type
//! exist, it says which (`attestation 2 of 3: ...`). At most [`MAX_REPORTED_FAILURES`] failures are spelled
//! out per rule, and seen values are cut to 200 characters.

use std::fmt;

use regex_lite::{Regex, RegexBuilder};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::intoto::{self, Statement};

/// Largest policy document accepted, in bytes.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;
/// Most rules (and, separately, most `require` entries) accepted in one policy.
pub const MAX_RULES: usize = 256;
/// Most steps accepted in one field path.
pub const MAX_FIELD_STEPS: usize = 128;
/// Most failures spelled out in one [`RuleResult::detail`]; the rest are counted.
pub const MAX_REPORTED_FAILURES: usize = 5;

/// Largest compiled regex, so that a hostile pattern cannot make the policy load allocate without bound.
const MAX_REGEX_BYTES: usize = 1024 * 1024;
/// Longest rendering of a value seen in a predicate, in characters.
const MAX_SHOWN_CHARS: usize = 200;
/// The predicate type of cosign's vulnerability attestations.
const VULN_PREDICATE: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
const OPENVEX_NS: &str = "https://openvex.dev/ns";
const CYCLONEDX_BOM: &str = "https://cyclonedx.org/bom";
const SPDX_DOCUMENT: &str = "https://spdx.dev/Document";
/// Unversioned predicate types that also match their `/v...` versioned forms.
const VERSIONED_FAMILIES: [&str; 3] = [OPENVEX_NS, CYCLONEDX_BOM, SPDX_DOCUMENT];

/// Why a policy document was refused. `location` names the place in the policy (`rules[2] "repo matches"`,
/// `require[0]`); the caller adds the file name.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// The document is larger than [`MAX_POLICY_BYTES`].
    #[error("policy is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Size of the document.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More than [`MAX_RULES`] rules or `require` entries.
    #[error("policy has {count} {key} entries, more than the {max} allowed")]
    TooMany {
        /// `rules` or `require`.
        key: &'static str,
        /// How many the policy has.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Not valid JSON/YAML, or of the wrong shape (an unknown key, a list where a string belongs); the
    /// message names the key and the line.
    #[error("policy is not a valid {format} policy: {message}")]
    Syntax {
        /// `JSON` or `YAML`.
        format: &'static str,
        /// The parser's message.
        message: String,
    },
    /// A value the parser accepted but the policy cannot use.
    #[error("policy {location}: {message}")]
    Invalid {
        /// Where in the policy.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A `regex` that does not compile.
    #[error("policy {location}: regex '{pattern}' is invalid: {message}")]
    Regex {
        /// Where in the policy.
        location: String,
        /// The pattern as written.
        pattern: String,
        /// The compiler's message.
        message: String,
    },
}

/// A parsed, validated predicate policy. Build it with [`PredicatePolicy::from_bytes`].
#[derive(Debug, Clone)]
pub struct PredicatePolicy {
    require: Vec<TypeRef>,
    rules: Vec<Rule>,
}

/// The outcome of [`PredicatePolicy::evaluate`]: one result per `require` entry, then one per rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyReport {
    /// The results, in policy order.
    pub results: Vec<RuleResult>,
}

/// The outcome of one `require` entry or rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleResult {
    /// The rule's `name`, or `require <type as written>` for a required type.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// On failure, the field and the value seen (or the vulnerability id and severity); on success, a
    /// short summary.
    pub detail: String,
}

impl PolicyReport {
    /// True when every result passed.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| r.passed)
    }

    /// The report as JSON: `{"passed": bool, "results": [{"name", "passed", "detail"}]}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "passed": self.passed(), "results": self.results })
    }
}

// ---------------------------------------------------------------------------------------------------------
// The document as written.

/// A predicate policy as written; also embedded in deploy policies (`rules[].attestations`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawPolicy {
    #[serde(default)]
    require: Vec<String>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRule {
    name: String,
    predicate_type: String,
    #[serde(default)]
    field: Option<String>,
    #[serde(default, deserialize_with = "present")]
    equals: Option<Value>,
    #[serde(default)]
    one_of: Option<Vec<Value>>,
    #[serde(default)]
    regex: Option<String>,
    #[serde(default)]
    max_severity: Option<String>,
    #[serde(default)]
    allow: Option<Vec<String>>,
}

/// `equals: null` is a condition (the field is null), not an absent key.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

// ---------------------------------------------------------------------------------------------------------
// The validated policy.

#[derive(Debug, Clone)]
struct TypeRef {
    written: String,
    uri: String,
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    predicate_type: TypeRef,
    check: Check,
}

#[derive(Debug, Clone)]
enum Check {
    Field { path: FieldPath, condition: Condition },
    Severity { max: Severity, allow: Vec<String> },
}

#[derive(Debug, Clone)]
enum Condition {
    Equals(Value),
    OneOf(Vec<Value>),
    Regex { written: String, anchored: Regex },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    Each,
}

#[derive(Debug, Clone)]
struct FieldPath {
    steps: Vec<Step>,
}

/// A vulnerability severity, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

impl Severity {
    /// The policy's `maxSeverity` value.
    fn from_policy(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "none" | "negligible" => Severity::None,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// A severity seen in a report; `None` when unrecognized (the caller counts it as critical).
    fn from_report(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "none" | "negligible" | "info" | "informational" => Severity::None,
            "low" => Severity::Low,
            "medium" | "moderate" => Severity::Medium,
            "high" | "important" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

impl PredicatePolicy {
    /// Parses and validates a policy document (JSON or YAML; see the [module docs](self)). Every regex is
    /// compiled and every predicate type resolved here, so a policy that loads can always be evaluated.
    pub fn from_bytes(data: &[u8]) -> Result<PredicatePolicy, PolicyError> {
        if data.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::TooLarge {
                size: data.len(),
                max: MAX_POLICY_BYTES,
            });
        }
        let raw: RawPolicy = crate::document::parse(data).map_err(|e| PolicyError::Syntax {
            format: e.format,
            message: e.message,
        })?;
        Self::validate(raw)
    }

    /// Validates a policy as written (see [`from_bytes`](Self::from_bytes)).
    pub(crate) fn validate(raw: RawPolicy) -> Result<Self, PolicyError> {
        for (key, count) in [("require", raw.require.len()), ("rules", raw.rules.len())] {
            if count > MAX_RULES {
                return Err(PolicyError::TooMany {
                    key,
                    count,
                    max: MAX_RULES,
                });
            }
        }
        if raw.require.is_empty() && raw.rules.is_empty() {
            return Err(invalid(
                "document",
                "has neither `require` nor `rules`: it would accept anything",
            ));
        }
        let require = raw
            .require
            .into_iter()
            .enumerate()
            .map(|(i, t)| resolve_type(&t).ok_or_else(|| invalid(format!("require[{i}]"), unknown_type(&t))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rules: Vec<Rule> = Vec::with_capacity(raw.rules.len());
        for (i, r) in raw.rules.into_iter().enumerate() {
            let rule = Rule::validate(i, r)?;
            if rules.iter().any(|other| other.name == rule.name) {
                return Err(invalid(
                    format!("rules[{i}] {:?}", rule.name),
                    "another rule has the same name",
                ));
            }
            rules.push(rule);
        }
        Ok(Self { require, rules })
    }

    /// The predicate type URIs the policy mentions (required or ruled on), each once, in policy order: the
    /// attestations a caller must collect before [`evaluate`](Self::evaluate).
    pub fn predicate_types(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let all = self.require.iter().chain(self.rules.iter().map(|r| &r.predicate_type));
        for t in all {
            if !out.contains(&t.uri.as_str()) {
                out.push(&t.uri);
            }
        }
        out
    }

    /// Evaluates the policy against statements whose signatures were already verified. Statements of types
    /// the policy does not mention are ignored.
    pub fn evaluate(&self, statements: &[&Statement]) -> PolicyReport {
        let mut results = Vec::with_capacity(self.require.len() + self.rules.len());
        for t in &self.require {
            let n = statements
                .iter()
                .filter(|s| type_matches(&t.uri, &s.predicate_type))
                .count();
            results.push(RuleResult {
                name: format!("require {}", t.written),
                passed: n > 0,
                detail: if n > 0 {
                    format!("{n} attestation(s) of type {}", t.uri)
                } else {
                    format!("no attestation of type {}", t.uri)
                },
            });
        }
        results.extend(self.rules.iter().map(|r| r.evaluate(statements)));
        PolicyReport { results }
    }
}

fn invalid(location: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid {
        location: location.into(),
        message: message.into(),
    }
}

fn unknown_type(t: &str) -> String {
    format!("predicate type '{t}' is neither a known shortcut nor a URI")
}

fn resolve_type(written: &str) -> Option<TypeRef> {
    intoto::predicate_type_for(written).map(|uri| TypeRef {
        written: written.to_string(),
        uri: uri.to_string(),
    })
}

/// Whether a statement of type `actual` is governed by a policy entry for `wanted`.
fn type_matches(wanted: &str, actual: &str) -> bool {
    actual == wanted
        || (VERSIONED_FAMILIES.contains(&wanted)
            && actual.strip_prefix(wanted).is_some_and(|rest| rest.starts_with("/v")))
}

impl Rule {
    fn validate(index: usize, raw: RawRule) -> Result<Self, PolicyError> {
        let location = format!("rules[{index}] {:?}", raw.name);
        if raw.name.trim().is_empty() {
            return Err(invalid(format!("rules[{index}]"), "`name` is empty"));
        }
        let predicate_type =
            resolve_type(&raw.predicate_type).ok_or_else(|| invalid(&location, unknown_type(&raw.predicate_type)))?;
        let given = [
            raw.equals.is_some(),
            raw.one_of.is_some(),
            raw.regex.is_some(),
            raw.max_severity.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(invalid(
                &location,
                "needs exactly one condition of `equals`, `oneOf`, `regex`, `maxSeverity`",
            ));
        }
        if raw.allow.is_some() && raw.max_severity.is_none() {
            return Err(invalid(&location, "`allow` goes only with `maxSeverity`"));
        }
        let check = if let Some(max) = raw.max_severity {
            if raw.field.is_some() {
                return Err(invalid(&location, "`field` is not used with `maxSeverity`"));
            }
            let max = Severity::from_policy(&max).ok_or_else(|| {
                invalid(
                    &location,
                    format!("maxSeverity '{max}' is not one of none, negligible, low, medium, high, critical"),
                )
            })?;
            Check::Severity {
                max,
                allow: raw.allow.unwrap_or_default(),
            }
        } else {
            let field = raw
                .field
                .ok_or_else(|| invalid(&location, "`field` is required with `equals`, `oneOf` and `regex`"))?;
            let path = FieldPath::parse(&field).map_err(|m| invalid(&location, format!("field '{field}': {m}")))?;
            let condition = if let Some(v) = raw.equals {
                Condition::Equals(v)
            } else if let Some(vs) = raw.one_of {
                if vs.is_empty() {
                    return Err(invalid(&location, "`oneOf` is empty"));
                }
                Condition::OneOf(vs)
            } else if let Some(written) = raw.regex {
                let compile = |p: &str| RegexBuilder::new(p).size_limit(MAX_REGEX_BYTES).build();
                // The pattern alone first, so that `a)(b` cannot pass by closing the anchoring group.
                let regex_error = |e: regex_lite::Error| PolicyError::Regex {
                    location: location.clone(),
                    pattern: written.clone(),
                    message: e.to_string(),
                };
                compile(&written).map_err(regex_error)?;
                let anchored = compile(&format!("^(?:{written})$")).map_err(regex_error)?;
                Condition::Regex { written, anchored }
            } else {
                return Err(invalid(&location, "has no condition"));
            };
            Check::Field { path, condition }
        };
        Ok(Self {
            name: raw.name,
            predicate_type,
            check,
        })
    }

    fn evaluate(&self, statements: &[&Statement]) -> RuleResult {
        let uri = &self.predicate_type.uri;
        let matching: Vec<&Statement> = statements
            .iter()
            .copied()
            .filter(|s| type_matches(uri, &s.predicate_type))
            .collect();
        let fail = |detail: String| RuleResult {
            name: self.name.clone(),
            passed: false,
            detail,
        };
        if matching.is_empty() {
            return fail(format!("no attestation of type {uri}"));
        }
        let mut failures = Failures::default();
        let mut checked = 0usize;
        let mut allowed = 0usize;
        let mut last_value = None;
        for (i, st) in matching.iter().enumerate() {
            let which = if matching.len() > 1 {
                format!("attestation {} of {}: ", i + 1, matching.len())
            } else {
                String::new()
            };
            let predicate = match st.predicate_value() {
                Ok(p) => p,
                Err(e) => {
                    failures.push(format!("{which}{e}"));
                    continue;
                }
            };
            match &self.check {
                Check::Field { path, condition } => {
                    for selected in path.select(&predicate) {
                        checked += 1;
                        match selected {
                            Ok((p, v)) => match condition.test(&p, v) {
                                Ok(()) => last_value = Some(format!("{p} is {}", show(v))),
                                Err(m) => failures.push(format!("{which}{m}")),
                            },
                            Err(m) => failures.push(format!("{which}{m}")),
                        }
                    }
                }
                Check::Severity { max, allow } => match findings(&predicate, &st.predicate_type) {
                    Err(m) => failures.push(format!("{which}{m}")),
                    Ok(found) => {
                        for f in found {
                            checked += 1;
                            if f.ids.iter().any(|id| allow.iter().any(|a| a.eq_ignore_ascii_case(id))) {
                                allowed += 1;
                            } else if let Some(m) = f.violation(*max) {
                                failures.push(format!("{which}{m}"));
                            }
                        }
                    }
                },
            }
        }
        if let Some(detail) = failures.render() {
            return fail(detail);
        }
        let n = matching.len();
        let detail = match &self.check {
            Check::Field { .. } => match (checked, last_value) {
                (1, Some(v)) => v,
                _ => format!("{checked} value(s) in {n} attestation(s) satisfy it"),
            },
            Check::Severity { max, .. } => {
                format!("nothing above {max} in {n} attestation(s) ({checked} finding(s), {allowed} allowed)")
            }
        };
        RuleResult {
            name: self.name.clone(),
            passed: true,
            detail,
        }
    }
}

/// The failures of one rule, of which the first [`MAX_REPORTED_FAILURES`] are kept.
#[derive(Default)]
struct Failures {
    shown: Vec<String>,
    total: usize,
}

impl Failures {
    fn push(&mut self, m: String) {
        self.total += 1;
        if self.shown.len() < MAX_REPORTED_FAILURES {
            self.shown.push(m);
        }
    }

    fn render(&self) -> Option<String> {
        if self.total == 0 {
            return None;
        }
        let mut s = self.shown.join("; ");
        if self.total > self.shown.len() {
            s.push_str(&format!("; and {} more", self.total - self.shown.len()));
        }
        Some(s)
    }
}

impl Condition {
    fn test(&self, path: &str, v: &Value) -> Result<(), String> {
        match self {
            Condition::Equals(want) if values_equal(v, want) => Ok(()),
            Condition::Equals(want) => Err(format!("{path} is {}, expected {}", show(v), show(want))),
            Condition::OneOf(options) if options.iter().any(|o| values_equal(v, o)) => Ok(()),
            Condition::OneOf(options) => Err(format!(
                "{path} is {}, expected one of {}",
                show(v),
                show(&Value::Array(options.clone()))
            )),
            Condition::Regex { written, anchored } => match v.as_str() {
                Some(s) if anchored.is_match(s) => Ok(()),
                Some(_) => Err(format!(
                    "{path} is {}, expected a whole match of regex '{written}'",
                    show(v)
                )),
                None => Err(format!(
                    "{path} is {}, expected a string matching regex '{written}'",
                    show(v)
                )),
            },
        }
    }
}

/// JSON equality, except that numbers compare by value (`1` equals `1.0`).
fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(p), Some(q)) if p == q)
        }
        _ => a == b,
    }
}

/// A value as JSON, cut to [`MAX_SHOWN_CHARS`] characters (JSON escaping also neutralizes control
/// characters from the predicate).
fn show(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(MAX_SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Field paths.

type Selected<'a> = Result<(String, &'a Value), String>;

impl FieldPath {
    fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("is empty".into());
        }
        let mut steps = Vec::new();
        let mut rest = text;
        let mut first = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let (step, after) = parse_bracket(after)?;
                steps.push(step);
                rest = after;
            } else {
                if !first {
                    rest = rest
                        .strip_prefix('.')
                        .ok_or_else(|| format!("expected '.' or '[' before '{rest}'"))?;
                }
                let end = rest.find(['.', '[', ']']).unwrap_or(rest.len());
                if end == 0 {
                    return Err("has an empty key (use [\"\"] for a key that is empty)".into());
                }
                if rest[end..].starts_with(']') {
                    return Err("has a ']' without '['".into());
                }
                steps.push(Step::Key(rest[..end].to_string()));
                rest = &rest[end..];
            }
            first = false;
            if steps.len() > MAX_FIELD_STEPS {
                return Err(format!("has more than {MAX_FIELD_STEPS} steps"));
            }
        }
        Ok(Self { steps })
    }

    /// Every value the path selects in `root`, with its concrete path; an `Err` names what is missing.
    fn select<'a>(&self, root: &'a Value) -> Vec<Selected<'a>> {
        let mut out = Vec::new();
        select(root, &self.steps, String::new(), &mut out);
        out
    }
}

/// Parses what follows a `[`: `*]`, `N]` or `"key"]`.
fn parse_bracket(s: &str) -> Result<(Step, &str), String> {
    if let Some(rest) = s.strip_prefix("*]") {
        return Ok((Step::Each, rest));
    }
    if let Some(quoted) = s.strip_prefix('"') {
        let mut key = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\'))) => key.push(e),
                    _ => return Err("has a '\\' not followed by '\"' or '\\' in [\"...\"]".into()),
                },
                '"' => {
                    let after = &quoted[i + 1..];
                    return after
                        .strip_prefix(']')
                        .map(|rest| (Step::Key(key), rest))
                        .ok_or_else(|| "expects ']' after [\"...\"".into());
                }
                c => key.push(c),
            }
        }
        return Err("has an unterminated [\"...\"]".into());
    }
    let end = s.find(']').ok_or("has a '[' without ']'")?;
    let digits = &s[..end];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("has [{digits}]: expected [N], [*] or [\"key\"]"));
    }
    let n = digits
        .parse::<usize>()
        .map_err(|_| format!("index [{digits}] is too large"))?;
    Ok((Step::Index(n), &s[end + 1..]))
}

fn push_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && !key.contains(['.', '[', ']', '"', '\\']);
    match (plain, path.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{path}.{key}"),
        (false, _) => format!("{path}[\"{}\"]", key.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

fn render_rest(mut path: String, steps: &[Step]) -> String {
    for s in steps {
        path = match s {
            Step::Key(k) => push_key(&path, k),
            Step::Index(i) => format!("{path}[{i}]"),
            Step::Each => format!("{path}[*]"),
        };
    }
    path
}

fn select<'a>(v: &'a Value, steps: &[Step], path: String, out: &mut Vec<Selected<'a>>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push(Ok((path, v)));
        return;
    };
    let missing = |why: String| Err(format!("{} is missing{why}", render_rest(path.clone(), steps)));
    let not_a = |kind: &str| {
        if path.is_empty() {
            format!(" (the predicate is not {kind})")
        } else {
            format!(" ({path} is not {kind})")
        }
    };
    match step {
        Step::Key(k) => match v {
            Value::Object(map) => match map.get(k) {
                Some(child) => select(child, rest, push_key(&path, k), out),
                None => out.push(missing(String::new())),
            },
            _ => out.push(missing(not_a("an object"))),
        },
        Step::Index(i) => match v {
            Value::Array(items) => match items.get(*i) {
                Some(child) => select(child, rest, format!("{path}[{i}]"), out),
                None => out.push(missing(format!(" (the array has {} element(s))", items.len()))),
            },
            _ => out.push(missing(not_a("an array"))),
        },
        Step::Each => match v {
            Value::Array(items) if items.is_empty() => out.push(missing(" (the array is empty)".into())),
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    select(child, rest, format!("{path}[{i}]"), out);
                }
            }
            _ => out.push(missing(not_a("an array"))),
        },
    }
}

// ---------------------------------------------------------------------------------------------------------
// Vulnerability data.

/// One vulnerability (or VEX statement) found in a predicate.
struct Finding {
    /// The id first, then its aliases.
    ids: Vec<String>,
    problem: Problem,
}

enum Problem {
    /// A severity as written (`None` when absent), and how it ranks.
    Severity(Option<String>, Severity),
    /// An OpenVEX status that does not address the vulnerability (as written; `None` when absent).
    Unaddressed(Option<String>),
}

impl Finding {
    fn id(&self) -> &str {
        self.ids.first().map_or("<no id>", String::as_str)
    }

    /// The message when this finding breaks `max`.
    fn violation(&self, max: Severity) -> Option<String> {
        let id = self.id();
        match &self.problem {
            Problem::Severity(_, level) if *level <= max => None,
            Problem::Severity(Some(seen), _) => {
                let note = match Severity::from_report(seen) {
                    Some(_) => "",
                    None => " (unrecognized, counted as critical)",
                };
                Some(format!(
                    "{id} has severity {}{note}, above {max}",
                    show(&Value::String(seen.clone()))
                ))
            }
            Problem::Severity(None, _) => Some(format!("{id} has no severity (counted as critical), above {max}")),
            Problem::Unaddressed(Some(status)) => Some(format!(
                "{id} has VEX status {} (OpenVEX has no severity: allow it by id to accept it)",
                show(&Value::String(status.clone()))
            )),
            Problem::Unaddressed(None) => Some(format!("{id} has a VEX statement without a status")),
        }
    }
}

fn severity_of(seen: Option<&str>) -> Problem {
    let level = seen.and_then(Severity::from_report).unwrap_or(Severity::Critical);
    Problem::Severity(seen.map(str::to_string), level)
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// An array field that may be absent or null (empty); `Err` when it is something else.
fn list_at<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a [Value], String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("{what}{key} is {}, expected an array", show(other))),
    }
}

/// The vulnerability findings of one statement, or why none can be read (which fails the rule).
fn findings(p: &Value, t: &str) -> Result<Vec<Finding>, String> {
    let openvex_context = str_at(p, "@context").is_some_and(|c| type_matches(OPENVEX_NS, c));
    if type_matches(OPENVEX_NS, t) || openvex_context {
        return openvex_findings(p);
    }
    if type_matches(CYCLONEDX_BOM, t) || str_at(p, "bomFormat") == Some("CycloneDX") {
        return cyclonedx_findings(p);
    }
    if t == VULN_PREDICATE {
        let result = p
            .get("scanner")
            .and_then(|s| s.get("result"))
            .ok_or("scanner.result is missing")?;
        return scanner_findings(result, "scanner.result.")?.ok_or_else(|| {
            format!(
                "scanner.result is not a Trivy or Grype JSON report (keys seen: {})",
                keys_of(result)
            )
        });
    }
    scanner_findings(p, "")?.ok_or_else(|| format!("no vulnerability data recognized in the {t} predicate"))
}

fn keys_of(v: &Value) -> String {
    match v.as_object() {
        Some(map) if !map.is_empty() => {
            let keys: Vec<&str> = map.keys().take(8).map(String::as_str).collect();
            keys.join(", ")
        }
        _ => "none".into(),
    }
}

/// Trivy (`Results[*].Vulnerabilities[*]`) or Grype (`matches[*].vulnerability`) report; `Ok(None)` for
/// neither.
fn scanner_findings(report: &Value, prefix: &str) -> Result<Option<Vec<Finding>>, String> {
    let Some(obj) = report.as_object() else {
        return Ok(None);
    };
    if obj.contains_key("Results") || (obj.contains_key("SchemaVersion") && obj.contains_key("ArtifactName")) {
        let mut out = Vec::new();
        for (i, result) in list_at(report, "Results", prefix)?.iter().enumerate() {
            let at = format!("{prefix}Results[{i}].");
            for vuln in list_at(result, "Vulnerabilities", &at)? {
                out.push(Finding {
                    ids: str_at(vuln, "VulnerabilityID")
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    problem: severity_of(str_at(vuln, "Severity")),
                });
            }
        }
        return Ok(Some(out));
    }
    if obj.contains_key("matches") {
        let mut out = Vec::new();
        for m in list_at(report, "matches", prefix)? {
            let vuln = m.get("vulnerability").unwrap_or(&Value::Null);
            let mut ids: Vec<String> = str_at(vuln, "id").map(str::to_string).into_iter().collect();
            if let Some(related) = m.get("relatedVulnerabilities").and_then(Value::as_array) {
                ids.extend(related.iter().filter_map(|r| str_at(r, "id")).map(str::to_string));
            }
            out.push(Finding {
                ids,
                problem: severity_of(str_at(vuln, "severity")),
            });
        }
        return Ok(Some(out));
    }
    Ok(None)
}

/// CycloneDX `vulnerabilities[*]` (VEX/VDR), skipping those analysed as not exploitable.
fn cyclonedx_findings(bom: &Value) -> Result<Vec<Finding>, String> {
    const ADDRESSED: [&str; 4] = ["not_affected", "resolved", "resolved_with_pedigree", "false_positive"];
    let mut out = Vec::new();
    for vuln in list_at(bom, "vulnerabilities", "")? {
        let state = vuln.get("analysis").and_then(|a| str_at(a, "state"));
        if state.is_some_and(|s| ADDRESSED.contains(&s)) {
            continue;
        }
        let mut ids: Vec<String> = str_at(vuln, "id").map(str::to_string).into_iter().collect();
        if let Some(refs) = vuln.get("references").and_then(Value::as_array) {
            ids.extend(refs.iter().filter_map(|r| str_at(r, "id")).map(str::to_string));
        }
        // The highest rating wins; a rating without a recognized severity ranks as critical.
        let worst = vuln
            .get("ratings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|r| severity_of(str_at(r, "severity")))
            .max_by_key(|p| match p {
                Problem::Severity(_, level) => *level,
                Problem::Unaddressed(_) => Severity::Critical,
            });
        out.push(Finding {
            ids,
            problem: worst.unwrap_or(Problem::Severity(None, Severity::Critical)),
        });
    }
    Ok(out)
}

/// OpenVEX `statements[*]` whose status leaves the vulnerability unaddressed.
fn openvex_findings(doc: &Value) -> Result<Vec<Finding>, String> {
    let statements = match doc.get("statements") {
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("statements is {}, expected an array", show(other))),
        None => return Err("statements is missing (not an OpenVEX document)".into()),
    };
    let mut out = Vec::new();
    for st in statements {
        let status = str_at(st, "status");
        if matches!(status, Some("not_affected" | "fixed")) {
            continue;
        }
        let mut ids = Vec::new();
        match st.get("vulnerability") {
            Some(Value::String(name)) => ids.push(name.clone()),
            Some(v @ Value::Object(_)) => {
                ids.extend(str_at(v, "name").map(str::to_string));
                ids.extend(str_at(v, "@id").map(str::to_string));
                if let Some(aliases) = v.get("aliases").and_then(Value::as_array) {
                    ids.extend(aliases.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            _ => {}
        }
        out.push(Finding {
            ids,
            problem: Problem::Unaddressed(status.map(str::to_string)),
        });
    }
    Ok(out)
}
