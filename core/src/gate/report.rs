//! What the gate says about one image: every check of every rule that applied, with a reason, and the verdict.

use serde::Serialize;
use serde_json::{Value, json};

/// One check of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The rule's name; `None` for checks that belong to no rule (matching, resolving the image).
    pub rule: Option<String>,
    /// What was checked: `match`, `resolve`, `digest`, `signatures`, or an attestation requirement or rule name.
    pub check: String,
    /// Whether it held.
    pub passed: bool,
    /// Why (what verified, or what failed and why).
    pub detail: String,
}

/// Why an image failed, which decides the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The image does not exist.
    NotFound,
    /// The registry failed (or answered with something unreadable).
    Registry,
    /// The image exists but violates the policy (or matches no rule).
    Policy,
}

/// The gate's report on one image.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// The image as given.
    pub image: String,
    /// Its resolved digest, when known.
    pub digest: Option<String>,
    /// The exemption's reason, when exempt.
    pub exempt: Option<String>,
    /// The names of the rules that applied.
    pub rules: Vec<String>,
    /// The names of the signers that verified.
    pub signers: Vec<String>,
    /// The predicate types of the attestations that verified.
    pub attestations: Vec<String>,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// Why it failed; `None` when it passed.
    pub failure: Option<Failure>,
}

impl ImageReport {
    /// An empty report for `image`.
    pub fn new(image: &str) -> Self {
        Self {
            image: image.to_string(),
            digest: None,
            exempt: None,
            rules: Vec::new(),
            signers: Vec::new(),
            attestations: Vec::new(),
            checks: Vec::new(),
            failure: None,
        }
    }

    /// True when the image passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// Records a check; a failed check fails the image with `failure` unless it already failed.
    pub fn check(&mut self, rule: Option<&str>, check: &str, passed: bool, detail: String, failure: Failure) {
        self.checks.push(Check {
            rule: rule.map(str::to_string),
            check: check.to_string(),
            passed,
            detail,
        });
        if !passed && self.failure.is_none() {
            self.failure = Some(failure);
        }
    }

    /// The report as JSON (the shape in `docs/policy.md`).
    pub fn to_json(&self) -> Value {
        json!({
            "image": self.image,
            "digest": self.digest,
            "passed": self.passed(),
            "exempt": self.exempt,
            "rules": self.rules,
            "signers": self.signers,
            "attestations": self.attestations,
            "checks": self.checks,
        })
    }
}
