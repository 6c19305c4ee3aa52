//! `verify --policy FILE IMAGE...`: the deploy gate. Loads and validates the policy (keys included) before any
//! network request, checks every image concurrently, and prints one report (text or JSON) for all of them.

use std::path::Path;

use serde_json::json;

use hsign_core::gate::{DeployPolicy, Failure, Gate, ImageReport};

use super::image::{client, parse_image, run_concurrently, signature_repo};
use crate::args::VerifyArgs;
use crate::error::CliError;
use crate::exit::Exit;
use crate::fsio;
use crate::output::Printer;

/// Loads a deploy policy; key paths are relative to the policy file's directory.
pub fn load(path: &Path) -> Result<DeployPolicy, CliError> {
    let data = fsio::read_document(path, "policy file")?;
    let base = path.parent().unwrap_or(Path::new(""));
    let mut load_key = |written: &str| {
        let key_path = base.join(written);
        super::load_public_key(&key_path).map_err(|e| e.message)
    };
    DeployPolicy::from_bytes(&data, &mut load_key)
        .map_err(|e| CliError::new(Exit::Input, format!("policy file '{}': {e}", path.display())))
}

/// Runs the gate over `args.images`.
pub fn run(policy_path: &Path, args: &VerifyArgs, out: Printer) -> Result<(), CliError> {
    let images = args
        .images
        .iter()
        .map(|s| parse_image(s))
        .collect::<Result<Vec<_>, _>>()?;
    let sig_repos = images.iter().map(signature_repo).collect::<Result<Vec<_>, _>>()?;
    let policy = load(policy_path)?;
    let gate = Gate {
        policy,
        verifier: super::trust::verifier(&args.trust, out)?,
        skip_tlog: args.trust.insecure_ignore_tlog,
        skip_sct: args.identity.insecure_ignore_sct,
        log_lookup: super::trust::lookup(&args.trust),
        allow_unmatched: args.allow_unmatched,
    };
    let client = client(args.registry);
    let indexes: Vec<usize> = (0..images.len()).collect();
    let reports: Vec<ImageReport> = run_concurrently(&indexes, |&i| {
        let mut report = gate.check_image(&client, &images[i], &sig_repos[i]);
        report.image = args.images[i].clone();
        report
    });
    if std::env::var_os("HSIGN_TRACE_REQUESTS").is_some() {
        eprintln!("hsign: {} registry requests", client.request_count());
    }
    let failed: Vec<&ImageReport> = reports.iter().filter(|r| !r.passed()).collect();
    if out.json() {
        out.json_value(&json!({
            "passed": failed.is_empty(),
            "images": reports.iter().map(ImageReport::to_json).collect::<Vec<_>>(),
        }));
    } else if !out.quiet {
        out.data(&text_report(&reports));
    }
    let Some(first) = failed.first() else {
        return Ok(());
    };
    let exit = match first.failure {
        Some(Failure::NotFound) => Exit::NotFound,
        Some(Failure::Registry) => Exit::Failure,
        _ => Exit::NoMatchingSignature,
    };
    let mut e = CliError::new(
        exit,
        format!(
            "{} of {} image(s) failed the policy '{}'",
            failed.len(),
            reports.len(),
            policy_path.display()
        ),
    );
    e.causes = failed
        .iter()
        .flat_map(|r| {
            r.checks.iter().filter(|c| !c.passed).map(move |c| match &c.rule {
                Some(rule) => format!("{}: rule '{rule}' {}: {}", r.image, c.check, c.detail),
                None => format!("{}: {}: {}", r.image, c.check, c.detail),
            })
        })
        .collect();
    e.in_report = true;
    Err(e)
}

/// The human report: one block per image, every check with its reason, then a total.
fn text_report(reports: &[ImageReport]) -> String {
    let mut text = String::new();
    for r in reports {
        let at = match &r.digest {
            Some(d) if !r.image.contains('@') => format!("{} ({d})", r.image),
            _ => r.image.clone(),
        };
        if let Some(reason) = &r.exempt {
            text.push_str(&format!("EXEMPT {at}: {}\n", printable(reason)));
            if !r.rules.is_empty() {
                text.push_str(&format!("  (not checked against rules: {})\n", r.rules.join(", ")));
            }
            continue;
        }
        let verdict = if r.passed() { "PASS" } else { "FAIL" };
        if r.rules.is_empty() {
            text.push_str(&format!("{verdict} {at}\n"));
        } else {
            text.push_str(&format!("{verdict} {at} [rules: {}]\n", r.rules.join(", ")));
        }
        for c in &r.checks {
            let mark = if c.passed { "ok  " } else { "FAIL" };
            let detail = printable(&c.detail);
            match &c.rule {
                Some(rule) => text.push_str(&format!("  {mark} {rule}: {}: {detail}\n", c.check)),
                None => text.push_str(&format!("  {mark} {}: {detail}\n", c.check)),
            }
        }
    }
    let passed = reports.iter().filter(|r| r.passed()).count();
    text.push_str(&format!("{passed} of {} image(s) passed\n", reports.len()));
    text
}

/// Control characters escaped: details quote registry answers, which must not forge report lines.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}
