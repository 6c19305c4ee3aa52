//! Checking one image against a deploy policy: match the rules, resolve the digest once, read what is
//! attached once, verify it once per distinct signer, then judge every rule on those results.

use std::collections::BTreeMap;

use super::policy::{DeployPolicy, Rule, Signer};
use super::report::{Failure, ImageReport};
use crate::image::verify::{
    self as image_verify, Attached, ImageError, ImagePolicy, ImageSigner, ImageVerification, collect_attached,
    verify_candidates,
};
use crate::intoto::Statement;
use crate::oci::client::ManifestInfo;
use crate::oci::{Client, ImageRef};
use crate::tlog::client::RekorClient;
use crate::verify::Verifier;

/// Longest reason quoted per signer in a failed check.
const MAX_REASON_CHARS: usize = 400;

/// A policy with the trust settings every check uses.
#[derive(Debug, Clone)]
pub struct Gate {
    /// The policy.
    pub policy: DeployPolicy,
    /// The trusted material.
    pub verifier: Verifier,
    /// Skip the transparency log (unsafe).
    pub skip_tlog: bool,
    /// Keyless: do not require an SCT (unsafe).
    pub skip_sct: bool,
    /// Where legacy signatures without a log bundle are looked up (`None`: offline).
    pub log_lookup: Option<RekorClient>,
    /// Let images that match no rule pass.
    pub allow_unmatched: bool,
}

/// What one signer's verification of one image gave.
struct SignerOutcome {
    signatures: Result<ImageVerification, ImageError>,
    attestations: Option<Result<ImageVerification, ImageError>>,
}

impl Gate {
    /// Checks `image`, whose attachments live in `sig_repo`. Never fails: every problem is a failed check in
    /// the report.
    pub fn check_image(&self, client: &Client, image: &ImageRef, sig_repo: &ImageRef) -> ImageReport {
        let mut report = ImageReport::new(&image.to_string());
        report.digest = image.digest.clone();
        let name = image.name();
        let rules = self.policy.rules_for(&name);
        if let Some(e) = self.policy.exemption_for(&name) {
            // The rules it would have met are listed, so that the report shows what the exemption overrides.
            report.exempt = Some(e.reason.clone());
            report.rules = rules.iter().map(|r| r.name.clone()).collect();
            return report;
        }
        if rules.is_empty() {
            let (passed, detail) = if self.allow_unmatched {
                (true, format!("no rule matches {name}; allowed by --allow-unmatched"))
            } else {
                (
                    false,
                    format!("no rule matches {name} (unmatched images are rejected; --allow-unmatched lets them pass)"),
                )
            };
            report.check(None, "match", passed, detail, Failure::Policy);
            return report;
        }
        report.rules = rules.iter().map(|r| r.name.clone()).collect();

        let subject = match self.resolve(client, image) {
            Ok(s) => s,
            Err((failure, detail)) => {
                report.check(None, "resolve", false, detail, failure);
                return report;
            }
        };
        report.digest = Some(subject.digest.clone());
        for rule in &rules {
            let (passed, detail) = match (&image.digest, rule.allow_tags) {
                (Some(_), _) => (true, "pinned by digest".to_string()),
                (None, true) => (
                    true,
                    format!("tag allowed by this rule; resolved to {}", subject.digest),
                ),
                (None, false) => (
                    false,
                    format!(
                        "{image} is a tag and this rule requires a digest: use {}@{}",
                        name, subject.digest
                    ),
                ),
            };
            report.check(Some(&rule.name), "digest", passed, detail, Failure::Policy);
        }

        let wants_attestations = rules.iter().any(|r| r.attestations.is_some());
        let attached = match collect_attached(client, sig_repo, &subject.digest, wants_attestations) {
            Ok(a) => a,
            Err(e) => {
                report.check(None, "registry", false, e.to_string(), failure_of(&e));
                return report;
            }
        };
        if attached.signatures.is_empty() && attached.attestations.is_empty() && image.digest.is_some() {
            // Nothing attached to a digest: is it there at all? A missing image is "not found", not "unsigned".
            match client.head_manifest(image, image.reference()) {
                Ok(None) => {
                    report.check(
                        None,
                        "resolve",
                        false,
                        format!("image {image} not found"),
                        Failure::NotFound,
                    );
                    return report;
                }
                Ok(Some(_)) => {}
                Err(e) => {
                    report.check(None, "resolve", false, e.to_string(), Failure::Registry);
                    return report;
                }
            }
        }

        let outcomes = self.verify_signers(image, &subject, &attached, &rules);
        for rule in &rules {
            self.judge_rule(rule, &outcomes, &mut report);
        }
        report
    }

    /// The image's manifest: a digest reference needs no request; a tag is resolved with one HEAD.
    fn resolve(&self, client: &Client, image: &ImageRef) -> Result<ManifestInfo, (Failure, String)> {
        match &image.digest {
            Some(d) => Ok(ManifestInfo {
                digest: d.clone(),
                media_type: String::new(),
                size: 0,
            }),
            None => image_verify::resolve(client, image).map_err(|e| (failure_of(&e), e.to_string())),
        }
    }

    /// Verifies the attached entries once per distinct signer of the applicable rules.
    fn verify_signers(
        &self,
        image: &ImageRef,
        subject: &ManifestInfo,
        attached: &Attached,
        rules: &[&Rule],
    ) -> BTreeMap<String, SignerOutcome> {
        let mut out: BTreeMap<String, SignerOutcome> = BTreeMap::new();
        for rule in rules {
            for signer in &rule.signers {
                let wants_attestations = rule.attestations.is_some();
                if let Some(done) = out.get(&signer.id)
                    && (done.attestations.is_some() || !wants_attestations)
                {
                    continue;
                }
                let policy = self.image_policy(&signer.signer);
                let signatures = verify_candidates(image, subject, &attached.signatures, &attached.unreadable, &policy);
                let attestations = wants_attestations
                    .then(|| verify_candidates(image, subject, &attached.attestations, &attached.unreadable, &policy));
                out.insert(
                    signer.id.clone(),
                    SignerOutcome {
                        signatures,
                        attestations,
                    },
                );
            }
        }
        out
    }

    fn image_policy(&self, signer: &ImageSigner) -> ImagePolicy {
        ImagePolicy {
            signer: signer.clone(),
            annotations: Default::default(),
            skip_tlog: self.skip_tlog,
            skip_sct: self.skip_sct || matches!(signer, ImageSigner::Key(_)),
            verifier: self.verifier.clone(),
            log_lookup: self.log_lookup.clone(),
        }
    }

    /// The `signatures` check and the attestation checks of one rule.
    fn judge_rule(&self, rule: &Rule, outcomes: &BTreeMap<String, SignerOutcome>, report: &mut ImageReport) {
        // Every signer of an applicable rule was verified in `verify_signers`; a missing one counts as failed.
        let outcome = |s: &Signer| outcomes.get(&s.id);
        let mut failed = Vec::new();
        let mut failure = Failure::Policy;
        // The signing keys (SPKI fingerprints; for keyless, the certificate's key) each signer verified with.
        let mut keys: Vec<Vec<String>> = Vec::with_capacity(rule.signers.len());
        for s in &rule.signers {
            let mut mine = Vec::new();
            match outcome(s).map(|o| &o.signatures) {
                None => failed.push(format!("{}: not checked", s.name)),
                Some(Ok(v)) => {
                    for sig in &v.verified {
                        let k = sig.result.key_fingerprint().to_string();
                        if !mine.contains(&k) {
                            mine.push(k);
                        }
                    }
                }
                Some(Err(e)) => {
                    if failure_of(e) == Failure::Registry {
                        failure = Failure::Registry;
                    }
                    failed.push(format!("{}: {}", s.name, shorten(&e.to_string())));
                }
            }
            keys.push(mine);
        }
        // A signer counts only with a signing key no other counted signer uses: one key (or one signature
        // that two overlapping identities both accept) never counts twice toward the threshold.
        let counted = distinct_keys(&keys);
        let mut verified = Vec::new();
        for (i, s) in rule.signers.iter().enumerate() {
            if counted[i] {
                verified.push(s.name.clone());
            } else if !keys[i].is_empty() {
                failed.push(format!(
                    "{}: verified only with a key already counted for another signer",
                    s.name
                ));
            }
        }
        for name in &verified {
            if !report.signers.contains(name) {
                report.signers.push(name.clone());
            }
        }
        let passed = verified.len() >= rule.threshold;
        let mut detail = format!(
            "{} of {} signer(s) verified, {} required",
            verified.len(),
            rule.signers.len(),
            rule.threshold
        );
        if !verified.is_empty() {
            detail.push_str(&format!(": {}", verified.join(", ")));
        }
        if !passed && !failed.is_empty() {
            detail.push_str(&format!("; not verified: {}", failed.join("; ")));
        }
        report.check(Some(&rule.name), "signatures", passed, detail, failure);

        let Some(predicates) = &rule.attestations else {
            return;
        };
        // Attestations signed by any signer of the rule, each once.
        let mut seen = Vec::new();
        let mut statements: Vec<&Statement> = Vec::new();
        let mut unread = Vec::new();
        for s in &rule.signers {
            match outcome(s).and_then(|o| o.attestations.as_ref()) {
                Some(Ok(v)) => {
                    for sig in &v.verified {
                        if let Some(st) = sig.result.statement()
                            && !seen.contains(&sig.source)
                        {
                            seen.push(sig.source.clone());
                            statements.push(st);
                        }
                    }
                }
                Some(Err(e)) => unread.push((s.name.clone(), e)),
                None => {}
            }
        }
        for st in &statements {
            if !report.attestations.contains(&st.predicate_type) {
                report.attestations.push(st.predicate_type.clone());
            }
        }
        let failure = if statements.is_empty() && unread.iter().any(|(_, e)| failure_of(e) == Failure::Registry) {
            Failure::Registry
        } else {
            Failure::Policy
        };
        for r in predicates.evaluate(&statements).results {
            let mut detail = r.detail;
            if !r.passed && statements.is_empty() {
                let why: Vec<String> = unread
                    .iter()
                    .filter(|(_, e)| !matches!(e, ImageError::NoSignatures { .. }))
                    .map(|(n, e)| format!("{n}: {}", shorten(&e.to_string())))
                    .collect();
                if !why.is_empty() {
                    detail.push_str(&format!(" (attestations found but not verified: {})", why.join("; ")));
                }
            }
            report.check(Some(&rule.name), &r.name, r.passed, detail, failure);
        }
    }
}

/// Which signers can each be backed by a signing key of their own (a maximum bipartite matching of signers
/// to keys, by augmenting paths): `true` for the signers in the matching.
fn distinct_keys(keys: &[Vec<String>]) -> Vec<bool> {
    fn augment<'a>(
        signer: usize,
        keys: &'a [Vec<String>],
        owner: &mut BTreeMap<&'a str, usize>,
        seen: &mut Vec<&'a str>,
    ) -> bool {
        for k in &keys[signer] {
            if seen.contains(&k.as_str()) {
                continue;
            }
            seen.push(k);
            let free = match owner.get(k.as_str()).copied() {
                None => true,
                Some(other) => augment(other, keys, owner, seen),
            };
            if free {
                owner.insert(k, signer);
                return true;
            }
        }
        false
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for signer in 0..keys.len() {
        augment(signer, keys, &mut owner, &mut Vec::new());
    }
    let mut counted = vec![false; keys.len()];
    for &signer in owner.values() {
        counted[signer] = true;
    }
    counted
}

/// The exit-status class of an image error.
fn failure_of(e: &ImageError) -> Failure {
    match e {
        ImageError::NotFound(_) => Failure::NotFound,
        ImageError::Registry(_) | ImageError::Unreadable { .. } => Failure::Registry,
        _ => Failure::Policy,
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_REASON_CHARS {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_REASON_CHARS).collect();
    out.push_str("...");
    out
}

#[cfg(test)]
mod tests {
    use super::distinct_keys;

    fn keys(lists: &[&[&str]]) -> Vec<Vec<String>> {
        lists
            .iter()
            .map(|l| l.iter().map(|k| k.to_string()).collect())
            .collect()
    }

    #[test]
    fn one_key_counts_for_one_signer() {
        assert_eq!(distinct_keys(&keys(&[&["k1"], &["k1"], &[]])), [true, false, false]);
        assert_eq!(
            distinct_keys(&keys(&[&["k1"], &["k2"], &["k1", "k2"]])),
            [true, true, false]
        );
        // Augmenting: the first signer gives up k1 for k2 so that the second can count.
        assert_eq!(distinct_keys(&keys(&[&["k1", "k2"], &["k1"]])), [true, true]);
        assert_eq!(distinct_keys(&keys(&[])), Vec::<bool>::new());
    }
}
