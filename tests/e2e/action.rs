//! The GitHub Action (`action.yml`, `action/*.sh`) run step by step as a runner runs it
//! (`hsign_e2e::action_runner`), against a real registry, the test Fulcio and Rekor, and a local release
//! server that serves the built binary: installation and its checksum, verify mode with a key, with keyless
//! identities and with a policy file, sign mode with a key and keyless with the ambient GitHub token; and
//! action.yml and examples/deploy.yml against GitHub's schemas.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hsign_e2e::action_runner::{Action, ActionRun, Invocation, Outcome};
use hsign_e2e::fulcio::FulcioCa;
use hsign_e2e::http_fixture::{HttpFixture, Reply};
use hsign_e2e::image::push_image;
use hsign_e2e::registry::Registry;
use hsign_e2e::rekor::RekorLog;
use hsign_e2e::*;

/// A copy of the action (action.yml, action/*) whose action/checksums.txt is the test's, with a stub
/// cli/Cargo.toml and Cargo.lock (what `version: source` looks for). Derefs to the loaded action.
struct ActionCopy {
    action: Action,
    _dir: tempfile::TempDir,
}

impl Deref for ActionCopy {
    type Target = Action;
    fn deref(&self) -> &Action {
        &self.action
    }
}

/// The action with `checksums` as its action/checksums.txt.
fn action_with_checksums(checksums: &str) -> ActionCopy {
    let dir = tempdir();
    std::fs::copy(root().join("action.yml"), dir.path().join("action.yml")).unwrap();
    std::fs::create_dir(dir.path().join("action")).unwrap();
    for entry in std::fs::read_dir(root().join("action")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join("action").join(entry.file_name())).unwrap();
    }
    std::fs::write(dir.path().join("action/checksums.txt"), checksums).unwrap();
    std::fs::create_dir(dir.path().join("cli")).unwrap();
    std::fs::write(dir.path().join("cli/Cargo.toml"), "[package]\n").unwrap();
    std::fs::write(dir.path().join("Cargo.lock"), "").unwrap();
    ActionCopy {
        action: Action::load(&dir.path().join("action.yml")),
        _dir: dir,
    }
}

/// The checksums.txt line of `sha` for this machine's asset.
fn checksum_line(sha: &str) -> String {
    format!("{sha}  hsign-{}-{}.tar.gz\n", version(), target())
}

/// The action with the test release (the built binary) pinned in its action/checksums.txt.
fn action() -> ActionCopy {
    action_with_checksums(&format!("# test pins\n\n{}", checksum_line(&archive().1)))
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

/// `hsign-<version>-<target>.tar.gz` holding `bin` as `hsign-<version>-<target>/hsign`, and its SHA-256 (hex).
fn make_archive(bin: &Path) -> (Vec<u8>, String) {
    let dir = tempdir();
    let name = format!("hsign-{}-{}", version(), target());
    std::fs::create_dir(dir.path().join(&name)).unwrap();
    std::fs::copy(bin, dir.path().join(&name).join("hsign")).unwrap();
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
}

/// The archive of the built binary; made once per test run.
fn archive() -> &'static (Vec<u8>, String) {
    static ARCHIVE: OnceLock<(Vec<u8>, String)> = OnceLock::new();
    ARCHIVE.get_or_init(|| make_archive(hsign_bin()))
}

/// A release server: `/releases/latest` redirects to the tag, `/releases/download/v<ver>/<asset>` and its
/// `.sha256` (`checksum`, else the archive's).
fn release_server(checksum: Option<&str>) -> HttpFixture {
    let (bytes, sha) = archive();
    release_server_of(bytes.clone(), checksum.unwrap_or(sha), true)
}

/// A release server for the archive `bytes`, whose `.sha256` says `checksum`; `/releases/latest` redirects
/// to the tag when `redirect`, else answers 200.
fn release_server_of(bytes: Vec<u8>, checksum: &str, redirect: bool) -> HttpFixture {
    let ver = version();
    let asset = format!("hsign-{ver}-{}.tar.gz", target());
    let sha_line = format!("{checksum}  {asset}\n");
    let download = format!("/releases/download/v{ver}/{asset}");
    HttpFixture::start("releases", move |req| match req.path() {
        "/releases/latest" if redirect => Reply::redirect(&format!("/releases/tag/v{ver}")),
        "/releases/latest" => Reply::status(200, "no release yet"),
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

/// The messages of the error annotations that mention `needle`.
fn errors_naming(run: &ActionRun, needle: &str) -> Vec<String> {
    run.commands()
        .filter(|c| c.name == "error" && c.data.contains(needle))
        .map(|c| c.data.clone())
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
    std::fs::write(setup.ws().join("k.key"), "x").unwrap();
    std::fs::write(setup.ws().join("p.yaml"), "version: 1\n").unwrap();
    std::fs::write(setup.ws().join("root.json"), "{}").unwrap();
    std::fs::write(setup.ws().join("pred.json"), "{}").unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("images", "a/b"), ("mode", "deploy"), ("key", "k.pub")],
            "mode must be verify or sign",
        ),
        (&[("images", " \n \n")], "images is empty"),
        (&[("images", "a/b c/d"), ("key", "k.pub")], "holds whitespace"),
        (&[("images", "--key=x"), ("key", "k.pub")], "starts with '-'"),
        (&[("images", "a/b;rm"), ("key", "k.pub")], "allowed: letters"),
        (&[("images", "a/b#x"), ("key", "k.pub")], "allowed: letters"),
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
        // Every input, not only those written into the generated policy.
        (
            &[
                ("images", "a/b"),
                ("key", "k.pub"),
                ("rekor-url", "http://x\n::error::y"),
            ],
            "rekor-url must be one line",
        ),
        (
            &[("images", "a/b"), ("key", "k.pub"), ("trusted-root", "root.json\r")],
            "trusted-root must be one line",
        ),
        (
            &[("images", "a/b"), ("mode", "sign"), ("predicate", "pred.json\u{1b}")],
            "predicate must be one line",
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
            &[("images", "a/b"), ("key", "k.pub"), ("version", "1.x")],
            "input version",
        ),
        // Inputs of the other mode are refused, not ignored.
        (
            &[("images", "a/b"), ("mode", "sign"), ("policy", "p.yaml")],
            "for verify mode",
        ),
        (
            &[("images", "a/b"), ("mode", "sign"), ("offline", "true")],
            "offline is for verify mode",
        ),
        (
            &[("images", "a/b"), ("mode", "sign"), ("allow-unmatched", "true")],
            "allow-unmatched is for verify mode",
        ),
        (
            &[("images", "a/b"), ("mode", "sign"), ("trusted-root", "root.json")],
            "trusted-root is for verify mode",
        ),
        (
            &[("images", "a/b"), ("mode", "sign"), ("predicate-type", "cyclonedx")],
            "predicate-type needs predicate",
        ),
        (
            &[("images", "a/b"), ("key", "k.pub"), ("predicate", "pred.json")],
            "predicate is for sign mode",
        ),
        (
            &[("images", "a/b"), ("key", "k.pub"), ("fulcio-url", "https://f.example")],
            "fulcio-url is for keyless signing",
        ),
        (
            &[("images", "a/b"), ("key", "k.pub"), ("allow-unmatched", "true")],
            "allow-unmatched needs a policy",
        ),
        // A key without a password fails here, not after hsign waits for a terminal.
        (
            &[("images", "a/b"), ("mode", "sign"), ("key", "k.key")],
            "HSIGN_PASSWORD or COSIGN_PASSWORD",
        ),
        // Plain HTTP to another host, however spelled, is refused before any download.
        (
            &[
                ("images", "a/b"),
                ("key", "k.pub"),
                ("release-url", "http://releases.example/x"),
            ],
            "https",
        ),
        (
            &[
                ("images", "a/b"),
                ("key", "k.pub"),
                ("release-url", "http://localhost:80@evil.example/"),
            ],
            "user information",
        ),
        (
            &[
                ("images", "a/b"),
                ("key", "k.pub"),
                ("release-url", "http://127.0.0.1.evil.example/"),
            ],
            "https",
        ),
        (
            &[
                ("images", "a/b"),
                ("key", "k.pub"),
                ("release-url", "http://localhost.evil.example:80/"),
            ],
            "https",
        ),
        (
            &[
                ("images", "a/b"),
                ("key", "k.pub"),
                ("release-url", "https://u@github.com/x"),
            ],
            "user information",
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

/// (a) Installation from a release pinned in action/checksums.txt: `latest` follows the redirect, the
/// archive is checked against the pinned SHA-256 (the release's `.sha256` is not even fetched), the directory
/// goes to GITHUB_PATH. A pinned checksum that does not match fails the install step and nothing runs. Sign
/// mode with a key needs no deploy policy.
#[test]
fn install_from_a_release_checks_the_pinned_checksum() {
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
    assert!(
        install.output.contains("Checksum OK (action/checksums.txt)"),
        "{}",
        run.log()
    );
    assert!(
        install.output.contains(&format!("hsign {}", version())),
        "{}",
        run.log()
    );
    assert!(run.warnings().is_empty(), "{:?}", run.warnings());
    assert_eq!(run.path.len(), 1, "{:?}", run.path);
    assert!(Path::new(&run.path[0]).join("hsign").is_file());
    let asked: Vec<String> = setup.releases.asked().iter().map(|r| r.path().to_owned()).collect();
    assert_eq!(
        asked,
        [
            "/releases/latest".to_owned(),
            format!("/releases/tag/v{}", version()),
            format!("/releases/download/v{0}/hsign-{0}-{1}.tar.gz", version(), target()),
        ]
    );
    let digests = run.json_output("digests");
    assert_eq!(digests[0]["digest"], digest_of(&image));
    assert_eq!(setup.log.tree_size(), 1);

    // The release's .sha256 agrees with the download, but the pinned checksum does not: refused.
    let wrong = action_with_checksums(&checksum_line(&"0".repeat(64)));
    let run = setup
        .action(
            &wrong,
            &[
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
        run.errors()
            .iter()
            .any(|e| e.contains("checksum mismatch") && e.contains("action/checksums.txt says")),
        "{}",
        run.log()
    );
    assert!(run.path.is_empty());
    assert_eq!(run.outputs["digests"], "");
    assert_eq!(setup.log.tree_size(), 1);
}

/// A release version action/checksums.txt does not list is refused before any download, unless
/// allow-unpinned-release (a warning, then the release's own .sha256, which must still match); a version
/// listed for other targets only is refused; `latest` that does not redirect says so.
#[test]
fn unpinned_releases_need_an_explicit_opt_in() {
    let setup = Setup::new();
    let unpinned = action_with_checksums("# nothing pinned yet\n");
    let inputs = [("key", "cosign.pub"), ("images", "a/b@sha256:00")];
    let run = setup.action(&unpinned, &inputs).run();
    run.failed();
    assert_eq!(run.step("install").outcome, Outcome::Failure, "{}", run.log());
    assert!(
        run.errors()
            .iter()
            .any(|e| e.contains("is not pinned") && e.contains("allow-unpinned-release")),
        "{}",
        run.log()
    );
    assert!(setup.releases.asked().is_empty(), "downloaded an unpinned release");

    // Opted in: a warning, and the release's .sha256 is checked.
    let mut opt_in = inputs.to_vec();
    opt_in.push(("allow-unpinned-release", "true"));
    let run = setup.action(&unpinned, &opt_in).run();
    assert_eq!(run.step("install").outcome, Outcome::Success, "{}", run.log());
    assert!(run.warnings().iter().any(|w| w.contains("not pinned")), "{}", run.log());
    assert!(
        run.step("install")
            .output
            .contains(&format!("Checksum OK ({}/releases/download/", setup.releases.url())),
        "{}",
        run.log()
    );
    let bad = release_server(Some(&"0".repeat(64)));
    let releases = format!("{}/releases", bad.url());
    let mut opt_in_bad = opt_in.clone();
    opt_in_bad.push(("release-url", &releases));
    let run = setup.action(&unpinned, &opt_in_bad).run();
    assert_eq!(run.step("install").outcome, Outcome::Failure, "{}", run.log());
    assert!(
        run.errors().iter().any(|e| e.contains("checksum mismatch")),
        "{}",
        run.log()
    );

    // Listed, but for another target only.
    let other = if target().starts_with("x86_64") {
        "aarch64-unknown-linux-gnu"
    } else {
        "x86_64-unknown-linux-gnu"
    };
    let elsewhere = action_with_checksums(&format!("{}  hsign-{}-{other}.tar.gz\n", "a".repeat(64), version()));
    let run = setup.action(&elsewhere, &opt_in).run();
    assert_eq!(run.step("install").outcome, Outcome::Failure, "{}", run.log());
    assert!(run.errors().iter().any(|e| e.contains("not for")), "{}", run.log());

    // /latest without a redirect (no release yet).
    let norelease = release_server_of(archive().0.clone(), &archive().1, false);
    let releases = format!("{}/releases", norelease.url());
    let run = setup
        .action(
            &action(),
            &[
                ("version", "latest"),
                ("release-url", &releases),
                ("key", "cosign.pub"),
                ("images", "a/b@sha256:00"),
            ],
        )
        .run();
    assert_eq!(run.step("install").outcome, Outcome::Failure, "{}", run.log());
    assert!(
        run.errors()
            .iter()
            .any(|e| e.contains("did not redirect to a release tag")),
        "{}",
        run.log()
    );
}

/// `version: source` (the default) runs `cargo install --locked` on the action's checkout (a fake cargo
/// here, first on PATH), with workflow commands stopped around its output.
#[test]
fn version_source_builds_the_action_checkout() {
    let a = action();
    let setup = Setup::new();
    let signed = setup.push("demo/app", "source");
    setup.sign(&signed);
    let root = setup.log_root();
    let bin = tempdir();
    let log = bin.path().join("cargo.args");
    std::fs::write(
        bin.path().join("cargo"),
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" >{log}\necho '::error::INJECTED by a build script' >&2\n\
             echo '##[error]INJECTED by a build script' >&2\n\
             root=''; while [ $# -gt 0 ]; do [ \"$1\" != --root ] || root=$2; shift; done\n\
             mkdir -p \"$root/bin\" && cp {hsign} \"$root/bin/hsign\"\n",
            log = s(&log),
            hsign = s(hsign_bin()),
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.path().join("cargo"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", s(bin.path()), std::env::var("PATH").unwrap());
    // No version input: the default is source.
    let run = a
        .with(
            setup.ws(),
            &[
                ("key", "cosign.pub"),
                ("trusted-root", s(&root)),
                ("allow-http-registry", "true"),
                ("images", &signed),
            ],
        )
        .env("PATH", &path)
        .run();
    run.ok();
    let args = read(&log);
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[..3], ["install", "--locked", "--root"], "{args:?}");
    assert_eq!(
        args[4..],
        ["--path".to_owned(), format!("{}/cli", s(a.dir()))],
        "{args:?}"
    );
    assert!(setup.releases.asked().is_empty());
    assert!(run.commands().all(|c| !c.data.contains("INJECTED")), "{}", run.log());
    assert!(run.log().contains("::error::INJECTED by a build script"));
    assert_eq!(run.json_output("digests")[0]["ref"], signed.as_str());
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

/// Sign mode stops at the first image that fails, and still reports the images signed before it.
#[test]
fn sign_failure_still_reports_the_images_already_signed() {
    let a = action();
    let setup = Setup::new();
    let first = setup.push("demo/app", "first");
    let missing = format!("{}/demo/missing:v1", setup.reg.host());
    let third = setup.push("demo/third", "third");
    let rekor = setup.log.url();
    let images = format!("{first}\n{missing}\n{third}");
    let run = setup
        .action(
            &a,
            &[
                ("mode", "sign"),
                ("key", "cosign.key"),
                ("rekor-url", &rekor),
                ("images", &images),
            ],
        )
        .env("COSIGN_PASSWORD", "pw")
        .run();
    run.failed();
    assert_ne!(run.step("run").code, 0);
    assert_eq!(
        run.json_output("digests"),
        serde_json::json!([{"image": first, "digest": digest_of(&first), "ref": first}])
    );
    assert!(run.summary.contains("### hsign sign: FAILED"), "{}", run.summary);
    assert!(run.summary.contains(&format!("| {first} |")), "{}", run.summary);
    assert!(run.summary.contains("FAILED: signing"), "{}", run.summary);
    assert!(
        run.summary.contains("1 image(s) after it were not signed"),
        "{}",
        run.summary
    );
    assert_eq!(errors_naming(&run, &missing).len(), 1, "{}", run.log());
    assert_eq!(setup.log.tree_size(), 1, "the third image was signed");
    let report: serde_json::Value = serde_json::from_str(&read(Path::new(&run.outputs["report"]))).unwrap();
    assert_eq!(report.as_array().unwrap().len(), 1);
}

/// A fake hsign, installed as a pinned release, that prints workflow commands on stderr and puts them in
/// its report (as a registry's answer could), for `count` failing images; `pad` bytes of detail each.
fn fake_hsign_action() -> (ActionCopy, HttpFixture, tempfile::TempDir) {
    let dir = tempdir();
    let fake = dir.path().join("hsign");
    std::fs::write(
        &fake,
        format!(
            r#"#!/usr/bin/env bash
if [ "$1" = --version ]; then echo "hsign {version}"; exit 0; fi
{{
  echo 'registry said:'
  echo '::error::INJECTED stderr'
  echo '##[error]INJECTED stderr legacy'
  echo '   ::warning title=x::INJECTED indented'
  echo 'text ##[error]INJECTED mid-line'
  echo '::add-mask::INJECTED'
  echo '::stop-commands::guessed'
  echo '::error::INJECTED after a second stop-commands'
  printf '::error::INJECTED cr\r##[error]INJECTED after cr\r\n'
  printf 'no final newline ##[error]INJECTED'
}} >&2
case "$1" in
  verify)
    while [ "$1" != -- ]; do shift; done
    shift
    detail=$(printf 'denied\n::error::INJECTED detail\n##[error]INJECTED detail\r::error::INJECTED detail cr <img src=x> [a](b)')
    jq -n --arg d "$detail" --argjson pad "${{FAKE_PAD:-0}}" '
      {{passed: false, images: [$ARGS.positional[] | {{image: ., digest: null, passed: false, exempt: null,
        rules: ["r ##[error]INJECTED rule"], signers: [], attestations: [],
        checks: [{{rule: "r ##[error]INJECTED rule", check: "resolve ::error::INJECTED", passed: false,
                  detail: ($d + ([range($pad)] | map("x") | join("")))}}]}}]}}' --args "$@"
    exit 12 ;;
  *) exit 1 ;;
esac
"#,
            version = version()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (bytes, sha) = make_archive(&fake);
    let releases = release_server_of(bytes, &sha, true);
    (action_with_checksums(&checksum_line(&sha)), releases, dir)
}

/// Asserts that no workflow command the fake printed was processed: every processed command is the action's
/// own (its annotations, which quote the text escaped, and its stop-commands blocks).
#[track_caller]
fn no_injected_command(run: &ActionRun) {
    let log = run.log();
    assert!(log.contains("::error::INJECTED stderr"), "the fake did not run:\n{log}");
    for c in run.commands() {
        assert!(
            !c.data.starts_with("INJECTED"),
            "an injected command was processed: {c:?}\n{log}"
        );
        assert!(
            ["error", "stop-commands"].contains(&c.name.as_str()) || c.name.len() == 32,
            "unexpected command {c:?}\n{log}"
        );
        if c.name == "error" {
            assert!(
                c.property("title").is_some_and(|t| t.starts_with("hsign")),
                "an error without the action's title: {c:?}\n{log}"
            );
        }
    }
}

/// H1: workflow commands in hsign's stderr and in its report's details (text a registry controls) are never
/// processed by the runner, in verify and in sign mode; the action's own annotations still are.
#[test]
fn workflow_commands_from_hsign_output_are_not_processed() {
    let (a, releases, _fake) = fake_hsign_action();
    let ws = tempdir();
    std::fs::write(ws.path().join("k.pub"), "x").unwrap();
    let releases = format!("{}/releases", releases.url());
    let ver = version();
    let image = format!("127.0.0.1:1/app@sha256:{}", "a".repeat(64));
    let run = a
        .with(
            ws.path(),
            &[
                ("version", &ver),
                ("release-url", &releases),
                ("key", "k.pub"),
                ("images", &image),
            ],
        )
        .run();
    run.failed();
    assert_eq!(run.step("run").code, 12, "{}", run.log());
    no_injected_command(&run);
    let errors = errors_naming(&run, &image);
    assert_eq!(errors.len(), 1, "{}", run.log());
    assert!(
        errors[0].contains("check resolve ::error::INJECTED: denied"),
        "{errors:?}"
    );
    // In the summary the detail is one table cell: no line break, no HTML, no link.
    assert!(!run.summary.contains("<img"), "{}", run.summary);
    assert!(!run.summary.contains("[a](b)"), "{}", run.summary);
    assert!(
        run.summary.contains("<details><summary>Failing checks (1)"),
        "{}",
        run.summary
    );

    let run = a
        .with(
            ws.path(),
            &[
                ("version", &ver),
                ("release-url", &releases),
                ("mode", "sign"),
                ("images", &image),
            ],
        )
        .run();
    run.failed();
    no_injected_command(&run);
    assert_eq!(errors_naming(&run, &image).len(), 1, "{}", run.log());
}

/// At most 10 error annotations per step (GitHub shows no more): 9 images and a count of the rest; every
/// failing check is in the summary's details, and the summary stays under 128 KiB.
#[test]
fn many_failures_fit_githubs_limits() {
    let (a, releases, _fake) = fake_hsign_action();
    let ws = tempdir();
    std::fs::write(ws.path().join("k.pub"), "x").unwrap();
    let releases = format!("{}/releases", releases.url());
    let ver = version();
    let images: Vec<String> = (0..12)
        .map(|n| format!("127.0.0.1:1/app{n}@sha256:{}", "b".repeat(64)))
        .collect();
    let list = images.join("\n");
    let inputs = [
        ("version", ver.as_str()),
        ("release-url", &releases),
        ("key", "k.pub"),
        ("images", &list),
    ];
    let run = a.with(ws.path(), &inputs).run();
    run.failed();
    no_injected_command(&run);
    let errors: Vec<&_> = run.step("run").commands.iter().filter(|c| c.name == "error").collect();
    assert_eq!(errors.len(), 10, "{}", run.log());
    assert!(errors[9].data.contains("3 more image(s) failed"), "{errors:?}");
    assert!(run.summary.contains("Failing checks (12)"), "{}", run.summary);
    for image in &images {
        assert!(
            run.summary
                .contains(&format!("| {image} | r ##\\[error\\]INJECTED rule |")),
            "{}",
            run.summary
        );
    }

    // 12 details of 15 KB: the summary is cut under 128 KiB, at a line end, <details> closed, with a note.
    let run = a.with(ws.path(), &inputs).env("FAKE_PAD", "15000").run();
    run.failed();
    assert!(run.summary.len() <= 128 * 1024, "{}", run.summary.len());
    assert!(
        run.summary.contains("**Summary truncated**"),
        "{}",
        &run.summary[run.summary.len() - 500..]
    );
    assert!(run.summary.contains("</details>"));
    assert_eq!(
        run.step("run").commands.iter().filter(|c| c.name == "error").count(),
        10
    );
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

/// (e) action.yml, examples/deploy.yml and .github/workflows/release.yml against GitHub's schemas (SchemaStore, bundled with
/// check-jsonschema: no network), and broken copies of action.yml are rejected.
#[test]
fn action_and_example_workflow_match_githubs_schemas() {
    let Some(bin) = check_jsonschema() else { return };
    let check = |schema: &str, file: &Path| Cmd::new(&bin, &["--builtin-schema", schema, s(file)]).run();
    check("vendor.github-actions", &root().join("action.yml")).ok();
    check("vendor.github-workflows", &root().join("examples/deploy.yml")).ok();
    check("vendor.github-workflows", &root().join(".github/workflows/release.yml")).ok();
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
