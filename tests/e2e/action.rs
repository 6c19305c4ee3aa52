//! The GitHub Action (`action.yml`, `action/*.sh`) run step by step as a runner runs it
//! (`hsign_e2e::action_runner`), against a real registry, the test Fulcio and Rekor, and a local release
//! server that serves the built binary: installation and its checksum, verify mode with a key, with keyless
//! identities and with a policy file, sign mode with a key and keyless with the ambient GitHub token; and
//! action.yml and examples/deploy.yml against GitHub's schemas.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hsign_e2e::action_runner::{Action, ActionRun, Invocation, Outcome};
use hsign_e2e::fulcio::FulcioCa;
use hsign_e2e::http_fixture::{HttpFixture, Reply};
use hsign_e2e::image::push_image;
use hsign_e2e::registry::Registry;
use hsign_e2e::rekor::RekorLog;
use hsign_e2e::*;

fn action() -> Action {
    Action::load(&root().join("action.yml"))
}

/// The version of the built binary (`hsign 0.1.0` -> `0.1.0`).
fn version() -> String {
    let out = hsign(&["--version"]).run();
    out.ok();
    out.stdout
        .trim()
        .strip_prefix("hsign ")
        .expect("hsign --version")
        .to_owned()
}

/// The target triple action/install.sh picks on this machine.
fn target() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "aarch64" => "aarch64",
        other => panic!("no release target for {other}"),
    };
    format!("{arch}-unknown-linux-gnu")
}

/// `hsign-<version>-<target>.tar.gz` holding the built binary in `hsign-<version>-<target>/`, and its
/// SHA-256 (hex); made once per test run.
fn archive() -> &'static (Vec<u8>, String) {
    static ARCHIVE: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = tempdir();
        let name = format!("hsign-{}-{}", version(), target());
        std::fs::create_dir(dir.path().join(&name)).unwrap();
        std::fs::copy(hsign_bin(), dir.path().join(&name).join("hsign")).unwrap();
        let bytes = std::process::Command::new("bash")
            .args([
                "-c",
                "set -o pipefail; tar -C \"$1\" -cf - \"$2\" | gzip -1",
                "-",
                s(dir.path()),
                &name,
            ])
            .output()
            .expect("running tar");
        assert!(
            bytes.status.success(),
            "tar: {}",
            String::from_utf8_lossy(&bytes.stderr)
        );
        let bytes = bytes.stdout;
        let sha = hsign_e2e::image::sha256_hex(&bytes);
        (bytes, sha)
    })
}

/// A release server: `/releases/latest` redirects to the tag, `/releases/download/v<ver>/<asset>` and its
/// `.sha256` (`checksum`, else the archive's).
fn release_server(checksum: Option<&str>) -> HttpFixture {
    let (bytes, sha) = archive();
    let ver = version();
    let asset = format!("hsign-{ver}-{}.tar.gz", target());
    let sha_line = format!("{}  {asset}\n", checksum.unwrap_or(sha));
    let download = format!("/releases/download/v{ver}/{asset}");
    HttpFixture::start("releases", move |req| match req.path() {
        "/releases/latest" => Reply::redirect(&format!("/releases/tag/v{ver}")),
        p if p == format!("/releases/tag/v{ver}") => Reply::status(200, "release page"),
        p if p == download => Reply::bytes(bytes.clone()),
        p if p == format!("{download}.sha256") => Reply::bytes(sha_line.clone()),
        _ => Reply::status(404, "not found"),
    })
}

/// Everything one test needs: a registry, a log, a key pair (`cosign.key`, password `pw`, and
/// `cosign.pub`) in a workspace, and a release server.
struct Setup {
    reg: Registry,
    log: RekorLog,
    releases: HttpFixture,
    ws: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let ws = tempdir();
        hsign(&["generate-key-pair"]).cwd(ws.path()).password("pw").run().ok();
        Setup {
            reg: Registry::start(),
            log: RekorLog::start(),
            releases: release_server(None),
            ws,
        }
    }

    fn ws(&self) -> &Path {
        self.ws.path()
    }

    /// Pushes an image and returns `HOST/repo@digest`.
    fn push(&self, repo: &str, seed: &str) -> String {
        let digest = push_image(&self.reg, repo, "v1", seed);
        format!("{}/{repo}@{digest}", self.reg.host())
    }

    /// The trusted root of the test log (for key-signed images) in the workspace.
    fn log_root(&self) -> PathBuf {
        self.log.write_trusted_root(self.ws())
    }

    /// The action with the release server, the pinned version, plain HTTP to the registry, and `inputs`.
    fn action<'a>(&self, action: &'a Action, inputs: &[(&str, &str)]) -> Invocation<'a> {
        let releases = format!("{}/releases", self.releases.url());
        let ver = version();
        let mut all: Vec<(&str, &str)> = vec![
            ("version", &ver),
            ("release-url", &releases),
            ("allow-http-registry", "true"),
        ];
        for (k, v) in inputs {
            all.retain(|(name, _)| name != k);
            all.push((k, v));
        }
        action.with(self.ws(), &all)
    }

    /// Signs `image` with the key pair, recorded in the test log.
    fn sign(&self, image: &str) {
        hsign(&[
            "sign",
            "--key",
            "cosign.key",
            "--rekor-url",
            &self.log.url(),
            "--allow-http-registry",
            image,
        ])
        .cwd(self.ws())
        .password("pw")
        .run()
        .ok();
    }
}

/// The digest part of `HOST/repo@sha256:...`.
fn digest_of(image: &str) -> &str {
    image.split_once('@').expect("a digest reference").1
}

/// The error annotations whose message (after the title) mentions `needle`.
fn errors_naming(run: &ActionRun, needle: &str) -> Vec<String> {
    run.errors()
        .into_iter()
        .filter(|l| l.splitn(3, "::").nth(2).is_some_and(|m| m.contains(needle)))
        .collect()
}

#[test]
fn action_yml_expands_no_input_in_scripts_and_uses_few_expressions() {
    let a = action();
    let text = read(&root().join("action.yml"));
    for step in a.doc()["runs"]["steps"].as_array().unwrap() {
        let run = step["run"].as_str().unwrap();
        assert!(!run.contains("${{"), "a run: block expands an expression: {run}");
    }
    let allowed = |e: &str| {
        e.starts_with("inputs.")
            || e == "github.action_repository"
            || e.starts_with("steps.install.outputs.")
            || e.starts_with("steps.run.outputs.")
    };
    let mut rest = text.as_str();
    while let Some(i) = rest.find("${{") {
        let end = rest[i..].find("}}").unwrap() + i;
        let expr = rest[i + 3..end].trim();
        assert!(allowed(expr), "unexpected expression in action.yml: {expr}");
        rest = &rest[end + 2..];
    }
}

#[test]
fn inputs_are_checked_before_anything_is_installed() {
    let a = action();
    let setup = Setup {
        reg: Registry::start(),
        log: RekorLog::start(),
        releases: release_server(None),
        ws: tempdir(),
    };
    std::fs::write(setup.ws().join("k.pub"), "x").unwrap();
    std::fs::write(setup.ws().join("p.yaml"), "version: 1\n").unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("images", "a/b"), ("mode", "deploy"), ("key", "k.pub")],
            "mode must be verify or sign",
        ),
        (&[("images", " \n \n")], "images is empty"),
        (&[("images", "a/b c/d"), ("key", "k.pub")], "holds whitespace"),
        (&[("images", "--key=x"), ("key", "k.pub")], "starts with '-'"),
        (
            &[("images", "a/b"), ("key", "k.pub"), ("policy", "p.yaml")],
            "replaces key",
        ),
        (&[("images", "a/b")], "needs a policy, a key"),
        (&[("images", "a/b"), ("key", "missing.pub")], "does not exist"),
        (
            &[
                ("images", "a/b"),
                ("certificate-identity", "x\ny"),
                ("certificate-oidc-issuer", "i"),
            ],
            "one line",
        ),
        (
            &[("images", "a/b"), ("certificate-identity", "me")],
            "certificate-oidc-issuer",
        ),
        (
            &[("images", "a/b"), ("key", "k.pub"), ("offline", "yes")],
            "true or false",
        ),
        (
            &[("images", "a/b"), ("mode", "sign"), ("policy", "p.yaml")],
            "for verify mode",
        ),
    ];
    for (inputs, expect) in cases {
        let run = setup.action(&a, inputs).run();
        run.failed();
        assert_eq!(run.steps[0].outcome, Outcome::Failure, "{inputs:?}\n{}", run.log());
        assert!(
            run.steps[1..].iter().all(|s| s.outcome == Outcome::Skipped),
            "{}",
            run.log()
        );
        assert!(
            run.errors().iter().any(|e| e.contains(expect)),
            "{inputs:?}: no error with {expect:?}:\n{}",
            run.log()
        );
    }
    assert!(
        setup.releases.asked().is_empty(),
        "downloaded before checking the inputs"
    );
}

/// (a) Installation from a release: `latest` follows the redirect, the archive is checked against its
/// `.sha256`, the directory goes to GITHUB_PATH; a wrong checksum or a plain-HTTP release URL elsewhere fails
/// the install step and nothing runs. Sign mode with a key needs no deploy policy.
#[test]
fn install_from_a_release_checks_the_checksum() {
    let a = action();
    let setup = Setup::new();
    let image = setup.push("demo/app", "install");
    let rekor = setup.log.url();
    let run = setup
        .action(
            &a,
            &[
                ("version", "latest"),
                ("mode", "sign"),
                ("key", "cosign.key"),
                ("rekor-url", &rekor),
                ("images", &image),
            ],
        )
        .env("COSIGN_PASSWORD", "pw")
        .run();
    run.ok();
    let install = run.step("install");
    assert!(install.stdout.contains("Checksum OK"), "{}", run.log());
    assert!(
        install.stdout.contains(&format!("hsign {}", version())),
        "{}",
        run.log()
    );
    assert_eq!(run.path.len(), 1, "{:?}", run.path);
    assert!(Path::new(&run.path[0]).join("hsign").is_file());
    let asked: Vec<String> = setup.releases.asked().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(
        asked,
        [
            "/releases/latest".to_owned(),
            format!("/releases/tag/v{}", version()),
            format!("/releases/download/v{0}/hsign-{0}-{1}.tar.gz", version(), target()),
            format!(
                "/releases/download/v{0}/hsign-{0}-{1}.tar.gz.sha256",
                version(),
                target()
            ),
        ]
    );
    let digests = run.json_output("digests");
    assert_eq!(digests[0]["digest"], digest_of(&image));
    assert_eq!(setup.log.tree_size(), 1);

    // A wrong checksum: the install step fails, nothing is signed.
    let bad = release_server(Some(&"0".repeat(64)));
    let releases = format!("{}/releases", bad.url());
    let run = setup
        .action(
            &a,
            &[
                ("release-url", &releases),
                ("mode", "sign"),
                ("key", "cosign.key"),
                ("rekor-url", &rekor),
                ("images", &image),
            ],
        )
        .env("COSIGN_PASSWORD", "pw")
        .run();
    run.failed();
    assert_eq!(run.step("install").outcome, Outcome::Failure);
    assert_eq!(run.step("run").outcome, Outcome::Skipped);
    assert!(
        run.errors().iter().any(|e| e.contains("checksum mismatch")),
        "{}",
        run.log()
    );
    assert!(run.path.is_empty());
    assert_eq!(run.outputs["digests"], "");
    assert_eq!(setup.log.tree_size(), 1);

    // Plain HTTP to another host is refused before any download.
    let run = setup
        .action(
            &a,
            &[
                ("release-url", "http://releases.example/x"),
                ("key", "cosign.pub"),
                ("images", &image),
            ],
        )
        .run();
    run.failed();
    assert!(run.errors().iter().any(|e| e.contains("https")), "{}", run.log());
}

/// (b) Verify mode with a key (a generated policy): a signed image passes and is in `digests` and the
/// summary; an unsigned one fails the step with an error naming it.
#[test]
fn verify_with_a_key_passes_signed_and_fails_unsigned_images() {
    let a = action();
    let setup = Setup::new();
    let signed = setup.push("demo/app", "signed");
    let unsigned = setup.push("demo/other", "unsigned");
    setup.sign(&signed);
    let root = setup.log_root();
    let images = format!("\n   {signed}  \n\n");
    let run = setup
        .action(
            &a,
            &[("key", "cosign.pub"), ("trusted-root", s(&root)), ("images", &images)],
        )
        .run();
    run.ok();
    let digests = run.json_output("digests");
    assert_eq!(
        digests,
        serde_json::json!([{"image": signed, "digest": digest_of(&signed), "ref": signed}])
    );
    assert!(
        run.summary
            .contains(&format!("| {signed} | {} | key |", digest_of(&signed))),
        "{}",
        run.summary
    );
    let report: serde_json::Value = serde_json::from_str(&read(Path::new(&run.outputs["report"]))).unwrap();
    assert_eq!(report["passed"], true);

    // A tag is resolved and its digest reported (allowTags in the generated policy).
    let tag = format!("{}/demo/app:v1", setup.reg.host());
    let run = setup
        .action(
            &a,
            &[("key", "cosign.pub"), ("trusted-root", s(&root)), ("images", &tag)],
        )
        .run();
    run.ok();
    assert_eq!(run.json_output("digests")[0]["ref"], signed.as_str());

    let both = format!("{signed}\n{unsigned}");
    let run = setup
        .action(
            &a,
            &[("key", "cosign.pub"), ("trusted-root", s(&root)), ("images", &both)],
        )
        .run();
    run.failed();
    assert_eq!(run.step("run").code, 12, "{}", run.log());
    assert!(!errors_naming(&run, &unsigned).is_empty(), "{}", run.log());
    assert!(errors_naming(&run, &signed).is_empty(), "{}", run.log());
    assert_eq!(run.json_output("digests")[0]["image"], signed.as_str());
    assert_eq!(run.json_output("digests").as_array().unwrap().len(), 1);
    assert!(run.summary.contains(&format!("| {unsigned} |")), "{}", run.summary);
}

/// (c) Verify mode with a policy file, after signing and attesting through sign mode: passing, exempt and
/// failing images, and a bad policy (exit 3, no report).
#[test]
fn verify_with_a_policy_file() {
    let a = action();
    let setup = Setup::new();
    let host = setup.reg.host();
    let app = setup.push("prod/app", "app");
    let bare = setup.push("prod/bare", "bare");
    let debug = setup.push("debug/tool", "debug");
    let rekor = setup.log.url();
    std::fs::write(
        setup.ws().join("sbom.cdx.json"),
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}"#,
    )
    .unwrap();
    // Sign mode with a key: app signed and attested, bare only signed.
    let run = setup
        .action(
            &a,
            &[
                ("mode", "sign"),
                ("key", "cosign.key"),
                ("rekor-url", &rekor),
                ("images", &app),
                ("predicate", "sbom.cdx.json"),
                ("predicate-type", "cyclonedx"),
            ],
        )
        .env("COSIGN_PASSWORD", "pw")
        .run();
    run.ok();
    assert!(run.summary.contains("https://cyclonedx.org/bom"), "{}", run.summary);
    setup.sign(&bare);

    std::fs::create_dir(setup.ws().join("deploy")).unwrap();
    std::fs::copy(setup.ws().join("cosign.pub"), setup.ws().join("deploy/release.pub")).unwrap();
    let policy = format!(
        "version: 1\nrules:\n  - name: production\n    images: ['{host}/prod/**']\n    signatures:\n      signers:\n        - name: release-key\n          key: release.pub\n    attestations:\n      require: [cyclonedx]\nexempt:\n  - image: '{host}/debug/**'\n    reason: debug sidecar\n"
    );
    std::fs::write(setup.ws().join("deploy/policy.yaml"), policy).unwrap();
    let root = setup.log_root();
    let images = format!("{app}\n{debug}");
    let run = setup
        .action(
            &a,
            &[
                ("policy", "deploy/policy.yaml"),
                ("trusted-root", s(&root)),
                ("images", &images),
            ],
        )
        .run();
    run.ok();
    // The exempt image is not verified, so it is not in digests; the summary shows why.
    assert_eq!(
        run.json_output("digests"),
        serde_json::json!([{"image": app, "digest": digest_of(&app), "ref": app}])
    );
    assert!(run.summary.contains("exempt: debug sidecar"), "{}", run.summary);
    assert!(run.summary.contains("release-key"), "{}", run.summary);

    let images = format!("{app}\n{bare}");
    let run = setup
        .action(
            &a,
            &[
                ("policy", "deploy/policy.yaml"),
                ("trusted-root", s(&root)),
                ("images", &images),
            ],
        )
        .run();
    run.failed();
    assert_eq!(run.step("run").code, 12, "{}", run.log());
    let errors = errors_naming(&run, &bare);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("rule production") && e.contains("require cyclonedx")),
        "{}",
        run.log()
    );
    assert!(errors_naming(&run, &app).is_empty(), "{}", run.log());

    // An image no rule matches fails, unless allow-unmatched.
    let other = setup.push("misc/x", "misc");
    setup.sign(&other);
    let inputs = [
        ("policy", "deploy/policy.yaml"),
        ("trusted-root", s(&root)),
        ("images", &other),
    ];
    setup.action(&a, &inputs).run().failed();
    let mut allow = inputs.to_vec();
    allow.push(("allow-unmatched", "true"));
    let run = setup.action(&a, &allow).run();
    run.ok();
    // It passed without being verified: it is not among the verified digests.
    assert_eq!(run.json_output("digests"), serde_json::json!([]), "{}", run.log());

    // A bad policy: hsign exits 3 without a report; its message becomes the error.
    std::fs::write(
        setup.ws().join("deploy/bad.yaml"),
        "version: 1\nrules: []\nsurprise: true\n",
    )
    .unwrap();
    let run = setup
        .action(&a, &[("policy", "deploy/bad.yaml"), ("images", &app)])
        .run();
    run.failed();
    assert_eq!(run.step("run").code, 3, "{}", run.log());
    assert!(
        run.errors()
            .iter()
            .any(|e| e.contains("without a report") && e.contains("bad.yaml")),
        "{}",
        run.log()
    );
    assert_eq!(run.outputs["digests"], "");
}

/// (d) Sign mode keyless with the ambient GitHub token (served by a local token endpoint, minted by the test
/// Fulcio's issuer), then verify mode by identity and issuer with the test trusted root.
#[test]
fn sign_keyless_with_the_ambient_token_then_verify_by_identity() {
    let a = action();
    let setup = Setup::new();
    let ca = FulcioCa::start();
    let issuer = "https://token.actions.githubusercontent.test";
    let token = ca.mint_token("release@example.com", issuer, std::time::Duration::from_secs(300));
    let tokens = HttpFixture::start("oidc", move |req| {
        if req.path() != "/token" || req.query("audience") != Some("sigstore") {
            return Reply::status(400, "wrong audience");
        }
        if req.header("authorization").map(str::to_ascii_lowercase).as_deref() != Some("bearer request-token") {
            return Reply::status(401, "wrong bearer");
        }
        Reply::json(&serde_json::json!({"value": token}))
    });
    let digest = push_image(&setup.reg, "demo/app", "v1", "keyless");
    let tag = format!("{}/demo/app:v1", setup.reg.host());
    let (fulcio, rekor) = (ca.url(), setup.log.url());
    std::fs::write(
        setup.ws().join("provenance.json"),
        r#"{"buildDefinition":{"buildType":"x"}}"#,
    )
    .unwrap();
    let run = setup
        .action(
            &a,
            &[
                ("mode", "sign"),
                ("images", &tag),
                ("fulcio-url", &fulcio),
                ("rekor-url", &rekor),
                ("predicate", "provenance.json"),
                ("predicate-type", "slsaprovenance1"),
            ],
        )
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            &format!("{}/token?api-version=2.0", tokens.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token")
        .run();
    run.ok();
    let by_digest = format!("{}/demo/app@{digest}", setup.reg.host());
    assert_eq!(
        run.json_output("digests"),
        serde_json::json!([{"image": tag, "digest": digest, "ref": by_digest}])
    );
    assert!(tokens.asked().iter().all(|r| r.query("audience") == Some("sigstore")));
    assert!(!tokens.asked().is_empty());
    assert_eq!(
        ca.issued(),
        2,
        "a certificate for the signature and one for the attestation"
    );
    assert_eq!(setup.log.tree_size(), 2);
    assert!(
        run.summary.contains(&format!("| {tag} | {digest} |")),
        "{}",
        run.summary
    );

    let root = ca.write_trusted_root(setup.ws(), Some(&setup.log));
    let verify = |who: &str| {
        setup
            .action(
                &a,
                &[
                    ("certificate-identity", who),
                    ("certificate-oidc-issuer", issuer),
                    ("trusted-root", s(&root)),
                    ("images", &by_digest),
                ],
            )
            .run()
    };
    let run = verify("release@example.com");
    run.ok();
    assert_eq!(run.json_output("digests")[0]["digest"], digest.as_str());
    assert!(run.summary.contains("| keyless |"), "{}", run.summary);
    let run = verify("someone@example.com");
    run.failed();
    assert!(!errors_naming(&run, &by_digest).is_empty(), "{}", run.log());
    // A regexp identity in the generated policy, quoted safely (a ' in it is doubled in YAML).
    let run = setup
        .action(
            &a,
            &[
                ("certificate-identity-regexp", r"release@example\.com|it's"),
                ("certificate-oidc-issuer-regexp", r"https://token\..*"),
                ("trusted-root", s(&root)),
                ("images", &by_digest),
            ],
        )
        .run();
    run.ok();
}

/// The check-jsonschema of the Python peer venv (scripts/test.sh installs it), or None when
/// HSIGN_SKIP_PYTHON_PEER=1 says to skip.
fn check_jsonschema() -> Option<PathBuf> {
    let bin = root().join("target/peers/py/bin/check-jsonschema");
    if bin.is_file() {
        return Some(bin);
    }
    if std::env::var("HSIGN_SKIP_PYTHON_PEER").as_deref() == Ok("1") {
        eprintln!("skipped: check-jsonschema not installed and HSIGN_SKIP_PYTHON_PEER=1");
        return None;
    }
    panic!(
        "check-jsonschema not installed at {}: run scripts/test.sh (or set HSIGN_SKIP_PYTHON_PEER=1)",
        bin.display()
    );
}

/// (e) action.yml and examples/deploy.yml against GitHub's schemas (SchemaStore, bundled with
/// check-jsonschema: no network), and broken copies of action.yml are rejected.
#[test]
fn action_and_example_workflow_match_githubs_schemas() {
    let Some(bin) = check_jsonschema() else { return };
    let check = |schema: &str, file: &Path| Cmd::new(&bin, &["--builtin-schema", schema, s(file)]).run();
    check("vendor.github-actions", &root().join("action.yml")).ok();
    check("vendor.github-workflows", &root().join("examples/deploy.yml")).ok();
    let text = read(&root().join("action.yml"));
    let dir = tempdir();
    for (what, from, to) in [
        ("an unknown runs.using", "using: composite", "using: compsite"),
        ("a run step without shell", "      shell: bash\n", ""),
        (
            "a non-boolean required",
            "    required: true\n",
            "    required: yes-please\n",
        ),
    ] {
        assert!(text.contains(from), "{what}: {from:?} not in action.yml");
        let broken = dir.path().join("action.yml");
        std::fs::write(&broken, text.replacen(from, to, 1)).unwrap();
        let out = check("vendor.github-actions", &broken);
        assert_eq!(out.code, 1, "{what} was accepted:\n{}{}", out.stdout, out.stderr);
    }
}
