//! Predicate policies (`hsign_core::predicate_policy`) against predicates written for these tests, in
//! `tests/data/policy/`: a SLSA v1 provenance (and a second one from another builder), a CycloneDX 1.5 SBOM
//! with and without a `vulnerabilities` section, an SPDX 2.3 JSON document, an OpenVEX v0.2.0 document and
//! a cosign vuln predicate holding a Trivy report. `example.yaml` / `example.json` are the same policy in
//! both syntaxes.
//!
//! The condition cases are a table: one rule, the statements it sees, and the exact result expected.

use std::path::PathBuf;

use hsign_core::intoto::Statement;
use hsign_core::predicate_policy::{MAX_POLICY_BYTES, MAX_RULES, PolicyError, PolicyReport, PredicatePolicy};
use serde_json::{Value, json};

const SLSA: &str = "slsa-provenance-v1.intoto.json";
const SLSA_OTHER: &str = "slsa-provenance-v1-other-builder.intoto.json";
const CDX_SBOM: &str = "cyclonedx-1.5-sbom.intoto.json";
const CDX_VEX: &str = "cyclonedx-1.5-vex.intoto.json";
const SPDX: &str = "spdx-2.3.intoto.json";
const OPENVEX: &str = "openvex-0.2.0.intoto.json";
const TRIVY: &str = "trivy-vuln.intoto.json";
const ALL_GOOD: &[&str] = &[SLSA, CDX_SBOM, CDX_VEX, SPDX, OPENVEX, TRIVY];

const OUR_BUILDER: &str = "https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main";

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/policy")
}

fn read(name: &str) -> Vec<u8> {
    let path = data_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn statement(name: &str) -> Statement {
    Statement::from_json(&read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn statements(names: &[&str]) -> Vec<Statement> {
    names.iter().map(|n| statement(n)).collect()
}

fn evaluate(policy: &PredicatePolicy, sts: &[Statement]) -> PolicyReport {
    let refs: Vec<&Statement> = sts.iter().collect();
    policy.evaluate(&refs)
}

/// A policy with one rule named `r` whose other keys are `body`, one `key: value` a line.
fn one_rule(body: &str) -> String {
    let mut s = String::from("rules:\n  - name: r\n");
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        s.push_str("    ");
        s.push_str(line);
        s.push('\n');
    }
    s
}

fn load(text: &str) -> PredicatePolicy {
    PredicatePolicy::from_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("policy refused: {e}\n{text}"))
}

fn load_err(text: &str) -> PolicyError {
    match PredicatePolicy::from_bytes(text.as_bytes()) {
        Ok(p) => panic!("policy accepted: {p:?}\n{text}"),
        Err(e) => e,
    }
}

fn in_toto(predicate_type: &str, predicate: Value) -> Statement {
    let st = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "x", "digest": {"sha256": "00"}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    });
    Statement::from_json(st.to_string().as_bytes()).expect("statement")
}

struct Case {
    name: &'static str,
    rule: &'static str,
    statements: &'static [&'static str],
    passed: bool,
    detail: &'static str,
}

const CASES: &[Case] = &[
    // equals
    Case {
        name: "equals passes",
        rule: "predicateType: slsaprovenance1
               field: runDetails.builder.id
               equals: https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main",
        statements: &[SLSA],
        passed: true,
        detail: r#"runDetails.builder.id is "https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main""#,
    },
    Case {
        name: "equals fails naming the value seen",
        rule: "predicateType: https://slsa.dev/provenance/v1
               field: runDetails.builder.id
               equals: https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main",
        statements: &[SLSA_OTHER],
        passed: false,
        detail: r#"runDetails.builder.id is "https://evil.example/ci", expected "https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main""#,
    },
    Case {
        name: "every attestation of the type must comply",
        rule: "predicateType: slsaprovenance1
               field: runDetails.builder.id
               equals: https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main",
        statements: &[SLSA, SLSA_OTHER],
        passed: false,
        detail: r#"attestation 2 of 2: runDetails.builder.id is "https://evil.example/ci", expected "https://github.com/acme/ci/.github/workflows/build.yml@refs/heads/main""#,
    },
    Case {
        name: "equals a number",
        rule: "predicateType: cyclonedx
               field: version
               equals: 1.0",
        statements: &[CDX_SBOM],
        passed: true,
        detail: "version is 1",
    },
    Case {
        name: "a quoted number is a string",
        rule: "predicateType: cyclonedx
               field: version
               equals: '1'",
        statements: &[CDX_SBOM],
        passed: false,
        detail: r#"version is 1, expected "1""#,
    },
    Case {
        name: "equals a boolean over every element",
        rule: "predicateType: spdxjson
               field: packages[*].filesAnalyzed
               equals: false",
        statements: &[SPDX],
        passed: true,
        detail: "2 value(s) in 1 attestation(s) satisfy it",
    },
    Case {
        name: "equals null",
        rule: "predicateType: vuln
               field: invocation.parameters
               equals: null",
        statements: &[TRIVY],
        passed: true,
        detail: "invocation.parameters is null",
    },
    Case {
        name: "a key with dots",
        rule: r#"predicateType: slsaprovenance1
                field: runDetails.byproducts[0].annotations["org.opencontainers.image.source"]
                equals: https://github.com/acme/app"#,
        statements: &[SLSA],
        passed: true,
        detail: r#"runDetails.byproducts[0].annotations["org.opencontainers.image.source"] is "https://github.com/acme/app""#,
    },
    Case {
        name: "a missing field fails",
        rule: "predicateType: slsaprovenance1
               field: runDetails.builder.version.slsa-github-generator
               equals: v2.0.0",
        statements: &[SLSA_OTHER],
        passed: false,
        detail: "runDetails.builder.version.slsa-github-generator is missing",
    },
    Case {
        name: "an index past the end fails",
        rule: "predicateType: spdxjson
               field: packages[5].name
               equals: libssl3",
        statements: &[SPDX],
        passed: false,
        detail: "packages[5].name is missing (the array has 2 element(s))",
    },
    Case {
        name: "a key into a string fails",
        rule: "predicateType: spdxjson
               field: spdxVersion.major
               equals: 2",
        statements: &[SPDX],
        passed: false,
        detail: "spdxVersion.major is missing (spdxVersion is not an object)",
    },
    // oneOf
    Case {
        name: "oneOf passes",
        rule: "predicateType: slsaprovenance1
               field: buildDefinition.buildType
               oneOf: [https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1, https://example.com/other]",
        statements: &[SLSA],
        passed: true,
        detail: r#"buildDefinition.buildType is "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1""#,
    },
    Case {
        name: "oneOf fails naming the value seen",
        rule: "predicateType: slsaprovenance1
               field: buildDefinition.buildType
               oneOf: [https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1, https://example.com/other]",
        statements: &[SLSA_OTHER],
        passed: false,
        detail: r#"buildDefinition.buildType is "https://example.com/laptop-build/v1", expected one of ["https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1","https://example.com/other"]"#,
    },
    // regex
    Case {
        name: "regex passes",
        rule: r"predicateType: slsaprovenance1
                field: buildDefinition.externalParameters.workflow.repository
                regex: 'https://github\.com/acme/.*'",
        statements: &[SLSA],
        passed: true,
        detail: r#"buildDefinition.externalParameters.workflow.repository is "https://github.com/acme/app""#,
    },
    Case {
        name: "regex is a whole-string match",
        rule: r"predicateType: slsaprovenance1
                field: buildDefinition.externalParameters.workflow.repository
                regex: 'https://github\.com/acme/'",
        statements: &[SLSA],
        passed: false,
        detail: r#"buildDefinition.externalParameters.workflow.repository is "https://github.com/acme/app", expected a whole match of regex 'https://github\.com/acme/'"#,
    },
    Case {
        name: "regex over every element names the failing one",
        rule: r"predicateType: slsaprovenance1
                field: buildDefinition.resolvedDependencies[*].uri
                regex: 'git\+https://github\.com/acme/app@.*'",
        statements: &[SLSA],
        passed: false,
        detail: r#"buildDefinition.resolvedDependencies[1].uri is "git+https://github.com/acme/build-tools@refs/tags/v2.1.0", expected a whole match of regex 'git\+https://github\.com/acme/app@.*'"#,
    },
    Case {
        name: "[*] over an empty array fails",
        rule: r"predicateType: slsaprovenance1
                field: buildDefinition.resolvedDependencies[*].uri
                regex: '.*'",
        statements: &[SLSA_OTHER],
        passed: false,
        detail: "buildDefinition.resolvedDependencies[*].uri is missing (the array is empty)",
    },
    Case {
        name: "regex over every string",
        rule: "predicateType: spdxjson
               field: creationInfo.creators[*]
               regex: '(Organization|Tool): .+'",
        statements: &[SPDX],
        passed: true,
        detail: "2 value(s) in 1 attestation(s) satisfy it",
    },
    Case {
        name: "regex on a non-string",
        rule: "predicateType: spdxjson
               field: packages[0].filesAnalyzed
               regex: 'false'",
        statements: &[SPDX],
        passed: false,
        detail: "packages[0].filesAnalyzed is false, expected a string matching regex 'false'",
    },
    // no attestation of the type
    Case {
        name: "a rule without attestations of its type fails",
        rule: "predicateType: openvex
               maxSeverity: critical",
        statements: &[SLSA, TRIVY],
        passed: false,
        detail: "no attestation of type https://openvex.dev/ns",
    },
    Case {
        name: "a provenance v0.2 rule does not apply to v1",
        rule: "predicateType: slsaprovenance
               field: builder.id
               equals: x",
        statements: &[SLSA],
        passed: false,
        detail: "no attestation of type https://slsa.dev/provenance/v0.2",
    },
    // maxSeverity: cosign vuln predicate with a Trivy report
    Case {
        name: "trivy: nothing above high",
        rule: "predicateType: vuln
               maxSeverity: high",
        statements: &[TRIVY],
        passed: true,
        detail: "nothing above high in 1 attestation(s) (4 finding(s), 0 allowed)",
    },
    Case {
        name: "trivy: high findings above medium",
        rule: "predicateType: vuln
               maxSeverity: medium",
        statements: &[TRIVY],
        passed: false,
        detail: r#"CVE-2024-2511 has severity "HIGH", above medium; CVE-2023-45288 has severity "HIGH", above medium"#,
    },
    Case {
        name: "trivy: allowed ids are ignored (case-insensitively)",
        rule: "predicateType: https://cosign.sigstore.dev/attestation/vuln/v1
               maxSeverity: medium
               allow: [CVE-2024-2511, cve-2023-45288]",
        statements: &[TRIVY],
        passed: true,
        detail: "nothing above medium in 1 attestation(s) (4 finding(s), 2 allowed)",
    },
    Case {
        name: "trivy: everything above none",
        rule: "predicateType: vuln
               maxSeverity: negligible",
        statements: &[TRIVY],
        passed: false,
        detail: r#"CVE-2024-2511 has severity "HIGH", above none; CVE-2024-4603 has severity "MEDIUM", above none; CVE-2023-42363 has severity "MEDIUM", above none; CVE-2023-45288 has severity "HIGH", above none"#,
    },
    // maxSeverity: CycloneDX
    Case {
        name: "cyclonedx: not_affected and resolved entries are skipped",
        rule: "predicateType: cyclonedx
               maxSeverity: high",
        statements: &[CDX_VEX],
        passed: true,
        detail: "nothing above high in 1 attestation(s) (2 finding(s), 0 allowed)",
    },
    Case {
        name: "cyclonedx: the highest rating counts",
        rule: "predicateType: cyclonedx
               maxSeverity: medium",
        statements: &[CDX_VEX],
        passed: false,
        detail: r#"CVE-2024-2511 has severity "high", above medium"#,
    },
    Case {
        name: "cyclonedx: allowed by a reference id",
        rule: "predicateType: cyclonedx
               maxSeverity: low
               allow: [CVE-2024-2511, GHSA-2023-42363-busybox]",
        statements: &[CDX_VEX],
        passed: true,
        detail: "nothing above low in 1 attestation(s) (2 finding(s), 2 allowed)",
    },
    Case {
        name: "cyclonedx: a BOM without vulnerabilities reports none",
        rule: "predicateType: cyclonedx
               maxSeverity: none",
        statements: &[CDX_SBOM],
        passed: true,
        detail: "nothing above none in 1 attestation(s) (0 finding(s), 0 allowed)",
    },
    Case {
        name: "cyclonedx: SBOM and VEX are both checked",
        rule: "predicateType: cyclonedx
               maxSeverity: low",
        statements: &[CDX_SBOM, CDX_VEX],
        passed: false,
        detail: r#"attestation 2 of 2: CVE-2024-2511 has severity "high", above low; attestation 2 of 2: CVE-2023-42363 has severity "medium", above low"#,
    },
    // maxSeverity: OpenVEX
    Case {
        name: "openvex: affected and under_investigation fail whatever the maximum",
        rule: "predicateType: openvex
               maxSeverity: critical",
        statements: &[OPENVEX],
        passed: false,
        detail: r#"CVE-2024-2511 has VEX status "affected" (OpenVEX has no severity: allow it by id to accept it); CVE-2024-4603 has VEX status "under_investigation" (OpenVEX has no severity: allow it by id to accept it)"#,
    },
    Case {
        name: "openvex: allowed by name or alias",
        rule: "predicateType: https://openvex.dev/ns/v0.2.0
               maxSeverity: low
               allow: [GHSA-2024-2511-openssl, CVE-2024-4603]",
        statements: &[OPENVEX],
        passed: true,
        detail: "nothing above low in 1 attestation(s) (2 finding(s), 2 allowed)",
    },
    // maxSeverity on a predicate with no vulnerability data fails closed
    Case {
        name: "maxSeverity on a provenance",
        rule: "predicateType: slsaprovenance1
               maxSeverity: critical",
        statements: &[SLSA],
        passed: false,
        detail: "no vulnerability data recognized in the https://slsa.dev/provenance/v1 predicate",
    },
];

#[test]
fn condition_cases() {
    let mut failures = Vec::new();
    for case in CASES {
        let policy = load(&one_rule(case.rule));
        let report = evaluate(&policy, &statements(case.statements));
        assert_eq!(report.results.len(), 1, "{}", case.name);
        let r = &report.results[0];
        if r.name != "r" || r.passed != case.passed || r.detail != case.detail || report.passed() != case.passed {
            failures.push(format!(
                "{}:\n  expected passed={} {:?}\n  got      passed={} {:?}",
                case.name, case.passed, case.detail, r.passed, r.detail
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn grype_reports_and_unknown_severities() {
    let grype = json!({
        "matches": [
            {"vulnerability": {"id": "CVE-2024-0001", "severity": "Critical"}, "artifact": {"name": "a"}},
            {"vulnerability": {"id": "CVE-2024-0002", "severity": "Negligible"}, "artifact": {"name": "b"}},
            {"vulnerability": {"id": "GHSA-aaaa-bbbb-cccc", "severity": "Unknown"},
             "relatedVulnerabilities": [{"id": "CVE-2024-0003"}]},
            {"vulnerability": {"id": "CVE-2024-0004"}},
        ],
        "source": {"type": "image"},
        "descriptor": {"name": "grype", "version": "0.77.0"}
    });
    let st = in_toto(
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        json!({"scanner": {"uri": "pkg:github/anchore/grype@v0.77.0", "version": "0.77.0", "result": grype}}),
    );
    let policy = load(&one_rule(
        "predicateType: vuln\nmaxSeverity: high\nallow: [CVE-2024-0003]",
    ));
    let report = policy.evaluate(&[&st]);
    assert!(!report.passed());
    assert_eq!(
        report.results[0].detail,
        r#"CVE-2024-0001 has severity "Critical", above high; CVE-2024-0004 has no severity (counted as critical), above high"#
    );

    let policy = load(&one_rule("predicateType: vuln\nmaxSeverity: high"));
    let detail = &policy.evaluate(&[&st]).results[0].detail;
    assert!(
        detail
            .contains(r#"GHSA-aaaa-bbbb-cccc has severity "Unknown" (unrecognized, counted as critical), above high"#),
        "{detail}"
    );

    // Only a critical maximum lets unknown severities through.
    let policy = load(&one_rule("predicateType: vuln\nmaxSeverity: critical"));
    assert!(policy.evaluate(&[&st]).passed());
}

#[test]
fn unrecognized_scanner_results_fail_closed() {
    let policy = load(&one_rule("predicateType: vuln\nmaxSeverity: critical"));
    let cases = [
        (
            json!({"scanner": {"uri": "x", "result": {}}}),
            "scanner.result is not a Trivy or Grype JSON report (keys seen: none)",
        ),
        (
            json!({"scanner": {"uri": "x", "result": {"runs": [], "version": "2.1.0"}}}),
            "scanner.result is not a Trivy or Grype JSON report (keys seen: runs, version)",
        ),
        (json!({"invocation": {}}), "scanner.result is missing"),
        (
            json!({"scanner": {"result": {"Results": {"Target": "x"}}}}),
            r#"scanner.result.Results is {"Target":"x"}, expected an array"#,
        ),
    ];
    for (predicate, want) in cases {
        let st = in_toto("https://cosign.sigstore.dev/attestation/vuln/v1", predicate);
        let report = policy.evaluate(&[&st]);
        assert!(!report.passed());
        assert_eq!(report.results[0].detail, want);
    }
}

#[test]
fn failures_past_the_limit_are_counted() {
    let vulns: Vec<Value> = (1..=8)
        .map(|i| json!({"VulnerabilityID": format!("CVE-2024-100{i}"), "Severity": "CRITICAL"}))
        .collect();
    let st = in_toto(
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        json!({"scanner": {"result": {"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Target": "t", "Vulnerabilities": vulns}]}}}),
    );
    let policy = load(&one_rule("predicateType: vuln\nmaxSeverity: high"));
    let detail = &policy.evaluate(&[&st]).results[0].detail;
    assert!(
        detail.starts_with(r#"CVE-2024-1001 has severity "CRITICAL", above high; "#),
        "{detail}"
    );
    assert!(
        detail.ends_with(r#"CVE-2024-1005 has severity "CRITICAL", above high; and 3 more"#),
        "{detail}"
    );
}

#[test]
fn long_values_are_cut() {
    let st = in_toto("https://example.com/p", json!({"a": "x".repeat(5000)}));
    let policy = load(&one_rule("predicateType: https://example.com/p\nfield: a\nequals: y"));
    let detail = &policy.evaluate(&[&st]).results[0].detail;
    assert!(detail.len() < 300, "{detail}");
    assert!(
        detail.starts_with("a is \"xxx") && detail.ends_with("…, expected \"y\""),
        "{detail}"
    );
}

#[test]
fn required_types() {
    let policy = load("require: [slsaprovenance1, openvex, spdx, cyclonedx, https://slsa.dev/provenance]\n");
    let report = evaluate(&policy, &statements(&[SLSA, OPENVEX, SPDX, CDX_SBOM, CDX_VEX]));
    let got: Vec<(&str, bool, &str)> = report
        .results
        .iter()
        .map(|r| (r.name.as_str(), r.passed, r.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "require slsaprovenance1",
                true,
                "1 attestation(s) of type https://slsa.dev/provenance/v1"
            ),
            // The unversioned OpenVEX URI matches the versioned predicate type vexctl writes.
            (
                "require openvex",
                true,
                "1 attestation(s) of type https://openvex.dev/ns"
            ),
            (
                "require spdx",
                true,
                "1 attestation(s) of type https://spdx.dev/Document"
            ),
            (
                "require cyclonedx",
                true,
                "2 attestation(s) of type https://cyclonedx.org/bom"
            ),
            // Other URIs match exactly.
            (
                "require https://slsa.dev/provenance",
                false,
                "no attestation of type https://slsa.dev/provenance"
            ),
        ]
    );
    assert!(!report.passed());

    let report = evaluate(&policy, &statements(&[SLSA, TRIVY]));
    assert_eq!(
        report.results[1].detail,
        "no attestation of type https://openvex.dev/ns"
    );
    assert!(!report.results[1].passed);
    assert!(!report.passed());
    assert!(!policy.evaluate(&[]).passed());
}

#[test]
fn example_policy_yaml_and_json_agree() {
    let yaml = PredicatePolicy::from_bytes(&read("example.yaml")).expect("example.yaml");
    let json = PredicatePolicy::from_bytes(&read("example.json")).expect("example.json");
    assert_eq!(
        yaml.predicate_types(),
        [
            "https://slsa.dev/provenance/v1",
            "https://cyclonedx.org/bom",
            "https://cosign.sigstore.dev/attestation/vuln/v1",
            "https://spdx.dev/Document",
            "https://openvex.dev/ns",
        ]
    );
    assert_eq!(yaml.predicate_types(), json.predicate_types());

    let good = statements(ALL_GOOD);
    let report = evaluate(&yaml, &good);
    assert!(report.passed(), "{:#?}", report.results);
    assert_eq!(report.results.len(), 13);
    assert_eq!(report, evaluate(&json, &good));

    let mut bad = statements(ALL_GOOD);
    bad.push(statement(SLSA_OTHER));
    let report = evaluate(&yaml, &bad);
    assert_eq!(report, evaluate(&json, &bad));
    assert_eq!(report.to_json(), evaluate(&json, &bad).to_json());
    let failed: Vec<&str> = report
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "builder is our CI",
            "built by a GitHub Actions workflow",
            "source repository is acme's",
            "every dependency comes from acme",
            "image source annotation",
        ]
    );
}

#[test]
fn inline_json_and_yaml_are_the_same_policy() {
    let yaml = format!(
        "require: [slsaprovenance1]\n{}",
        one_rule("predicateType: slsaprovenance1\nfield: runDetails.builder.id\nequals: https://evil.example/ci")
    );
    let json = r#" {"require": ["slsaprovenance1"], "rules": [{"name": "r", "predicateType": "slsaprovenance1",
        "field": "runDetails.builder.id", "equals": "https://evil.example/ci"}]}"#;
    let sts = statements(&[SLSA, SLSA_OTHER]);
    let a = evaluate(&load(&yaml), &sts);
    let b = evaluate(&load(json), &sts);
    assert_eq!(a, b);
    assert_eq!(
        a.results[1].detail,
        format!(r#"attestation 1 of 2: runDetails.builder.id is "{OUR_BUILDER}", expected "https://evil.example/ci""#)
    );
}

#[test]
fn report_json_has_lower_camel_case_keys() {
    let policy = load(&format!(
        "require: [openvex]\n{}",
        one_rule("predicateType: slsaprovenance1\nfield: buildDefinition.buildType\noneOf: [a]")
    ));
    let report = evaluate(&policy, &statements(&[SLSA]));
    assert_eq!(
        report.to_json(),
        json!({
            "passed": false,
            "results": [
                {"name": "require openvex", "passed": false, "detail": "no attestation of type https://openvex.dev/ns"},
                {"name": "r", "passed": false, "detail": "buildDefinition.buildType is \"https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1\", expected one of [\"a\"]"},
            ]
        })
    );
}

// ---------------------------------------------------------------------------------------------------------
// Refused policies.

fn syntax_message(e: &PolicyError) -> &str {
    match e {
        PolicyError::Syntax { message, .. } => message,
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn unknown_keys_are_refused() {
    let e = load_err("require: [cyclonedx]\nrequires: [openvex]\n");
    assert!(syntax_message(&e).contains("unknown field `requires`"), "{e}");
    assert!(e.to_string().starts_with("policy is not a valid YAML policy: "), "{e}");

    let e = load_err(&one_rule(
        "predicateType: slsaprovenance1\nfeild: runDetails.builder.id\nequals: x",
    ));
    assert!(syntax_message(&e).contains("unknown field `feild`"), "{e}");

    let e = load_err(r#"{"rules": [{"name": "r", "predicateType": "vuln", "maxSeverity": "high", "alow": []}]}"#);
    assert!(matches!(e, PolicyError::Syntax { format: "JSON", .. }), "{e:?}");
    assert!(syntax_message(&e).contains("unknown field `alow`"), "{e}");
}

#[test]
fn bad_regexes_are_refused_naming_the_rule() {
    for pattern in ["(unclosed", "a)(b", "x{2,1}"] {
        let text = format!(
            "rules:\n  - name: repo matches\n    predicateType: slsaprovenance1\n    field: a\n    regex: '{pattern}'\n"
        );
        match load_err(&text) {
            PolicyError::Regex {
                location,
                pattern: p,
                message,
            } => {
                assert_eq!(location, r#"rules[0] "repo matches""#);
                assert_eq!(p, pattern);
                assert!(!message.is_empty());
            }
            other => panic!("{pattern}: {other:?}"),
        }
    }
    let e = load_err(&one_rule(
        "predicateType: slsaprovenance1\nfield: a\nregex: '(unclosed'",
    ));
    assert!(
        e.to_string()
            .starts_with(r#"policy rules[0] "r": regex '(unclosed' is invalid: "#),
        "{e}"
    );
}

#[test]
fn invalid_policies_are_refused() {
    let cases: &[(&str, &str)] = &[
        (
            "",
            "policy document: has neither `require` nor `rules`: it would accept anything",
        ),
        (
            "{}",
            "policy document: has neither `require` nor `rules`: it would accept anything",
        ),
        (
            "require: [slsaprovenance1, sbom]",
            "policy require[1]: predicate type 'sbom' is neither a known shortcut nor a URI",
        ),
        (
            "rules:\n  - name: r\n    predicateType: slsa\n    field: a\n    equals: b",
            r#"policy rules[0] "r": predicate type 'slsa' is neither a known shortcut nor a URI"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    maxSeverity: high\n    equals: b",
            r#"policy rules[0] "r": needs exactly one condition of `equals`, `oneOf`, `regex`, `maxSeverity`"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    field: a",
            r#"policy rules[0] "r": needs exactly one condition of `equals`, `oneOf`, `regex`, `maxSeverity`"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    maxSeverity: severe",
            r#"policy rules[0] "r": maxSeverity 'severe' is not one of none, negligible, low, medium, high, critical"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    field: a\n    maxSeverity: high",
            r#"policy rules[0] "r": `field` is not used with `maxSeverity`"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    field: a\n    equals: b\n    allow: [CVE-1]",
            r#"policy rules[0] "r": `allow` goes only with `maxSeverity`"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    equals: b",
            r#"policy rules[0] "r": `field` is required with `equals`, `oneOf` and `regex`"#,
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    field: a\n    oneOf: []",
            r#"policy rules[0] "r": `oneOf` is empty"#,
        ),
        (
            "rules:\n  - name: ' '\n    predicateType: vuln\n    maxSeverity: high",
            "policy rules[0]: `name` is empty",
        ),
        (
            "rules:\n  - name: r\n    predicateType: vuln\n    maxSeverity: high\n  - name: r\n    predicateType: openvex\n    maxSeverity: high",
            r#"policy rules[1] "r": another rule has the same name"#,
        ),
    ];
    for (text, want) in cases {
        assert_eq!(load_err(text).to_string(), *want, "{text}");
    }
}

#[test]
fn bad_field_paths_are_refused() {
    let cases: &[(&str, &str)] = &[
        ("a..b", "has an empty key (use [\"\"] for a key that is empty)"),
        (".a", "has an empty key (use [\"\"] for a key that is empty)"),
        ("a.", "has an empty key (use [\"\"] for a key that is empty)"),
        ("a[", "has a '[' without ']'"),
        ("a]", "has a ']' without '['"),
        ("a[x]", "has [x]: expected [N], [*] or [\"key\"]"),
        ("a[-1]", "has [-1]: expected [N], [*] or [\"key\"]"),
        (
            "a[99999999999999999999999]",
            "index [99999999999999999999999] is too large",
        ),
        ("a[0]b", "expected '.' or '[' before 'b'"),
        ("a[\"b]", "has an unterminated [\"...\"]"),
    ];
    for (field, want) in cases {
        let text = format!(
            "{{\"rules\": [{{\"name\": \"r\", \"predicateType\": \"vuln\", \"field\": {}, \"equals\": 1}}]}}",
            json!(field)
        );
        let e = load_err(&text);
        assert_eq!(
            e.to_string(),
            format!("policy rules[0] \"r\": field '{field}': {want}"),
            "{field}"
        );
    }
    let deep = vec!["a"; 200].join(".");
    let e = load_err(&one_rule(&format!("predicateType: vuln\nfield: {deep}\nequals: 1")));
    assert!(e.to_string().ends_with("has more than 128 steps"), "{e}");
}

#[test]
fn oversized_policies_are_refused() {
    let mut big = b"require: [cyclonedx]\n#".to_vec();
    big.resize(MAX_POLICY_BYTES + 1, b'x');
    assert!(matches!(
        PredicatePolicy::from_bytes(&big),
        Err(PolicyError::TooLarge { size, max: MAX_POLICY_BYTES }) if size == MAX_POLICY_BYTES + 1
    ));

    let mut many = String::from("rules:\n");
    for i in 0..=MAX_RULES {
        many.push_str(&format!("  - {{name: r{i}, predicateType: vuln, maxSeverity: high}}\n"));
    }
    let e = load_err(&many);
    assert_eq!(
        e.to_string(),
        format!(
            "policy has {} rules entries, more than the {MAX_RULES} allowed",
            MAX_RULES + 1
        )
    );

    // Exactly the limit is fine.
    let at_limit: String = many.lines().take(MAX_RULES + 1).map(|l| format!("{l}\n")).collect();
    load(&at_limit);
}

#[test]
fn yaml_scalars_follow_the_core_schema() {
    // YAML 1.1 booleans (`on`, `yes`, `y`) and leading-zero or underscored numbers stay strings, so a YAML
    // policy means what its JSON twin means.
    let st = in_toto(
        "https://example.com/p",
        json!({"a": "on", "b": "yes", "c": "0755", "d": "1_000", "e": true, "f": 7}),
    );
    let policy = load(
        "rules:
  - {name: a, predicateType: https://example.com/p, field: a, equals: on}
  - {name: b, predicateType: https://example.com/p, field: b, oneOf: [yes, no]}
  - {name: c, predicateType: https://example.com/p, field: c, equals: 0755}
  - {name: d, predicateType: https://example.com/p, field: d, equals: 1_000}
  - {name: e, predicateType: https://example.com/p, field: e, equals: true}
  - {name: f, predicateType: https://example.com/p, field: f, equals: 7}
",
    );
    let report = policy.evaluate(&[&st]);
    assert!(report.passed(), "{:#?}", report.results);
}
