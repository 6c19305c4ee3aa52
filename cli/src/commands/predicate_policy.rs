//! `verify-attestation --policy FILE`: load the predicate policy and check the verified statements of an image
//! against it, printing each rule's outcome.

use std::path::Path;

use hsign_core::image::verify::ImageVerification;
use hsign_core::predicate_policy::PredicatePolicy;

use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;

/// Reads and validates a policy file before any registry request.
pub fn load(path: &Path) -> Result<PredicatePolicy, CliError> {
    let data = fsio::read_document(path, "policy file")?;
    PredicatePolicy::from_bytes(&data)
        .map_err(|e| CliError::new(Exit::Input, format!("policy file '{}': {e}", path.display())))
}

/// Evaluates the policy on the statements that verified; a failing rule fails the image (exit 12), with the
/// field and value seen.
pub fn check(policy: &PredicatePolicy, v: &ImageVerification, out: Printer) -> Result<(), CliError> {
    let statements: Vec<_> = v.verified.iter().filter_map(|s| s.result.statement()).collect();
    let report = policy.evaluate(&statements);
    if !out.quiet && !out.json() {
        eprintln!("Policy for {}@{}:", v.image.name(), v.subject.digest);
        for r in &report.results {
            eprintln!("  {} {}: {}", if r.passed { "pass" } else { "FAIL" }, r.name, r.detail);
        }
    }
    if report.passed() {
        return Ok(());
    }
    let mut e = CliError::new(
        Exit::NoMatchingSignature,
        format!("{}: attestation policy not satisfied", v.image),
    );
    e.causes = report
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.detail))
        .collect();
    Err(e)
}
