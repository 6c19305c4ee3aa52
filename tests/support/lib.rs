//! Support for hsign's end-to-end tests: find (and build) the `hsign` binary, run it with a controlled
//! environment, locate the test data and the peer implementations.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

pub mod action_runner;
mod der_writer;
pub mod fulcio;
mod http;
pub mod http_fixture;
pub mod image;
pub mod proxy;
pub mod registry;
pub mod rekor;
pub mod server;
pub mod tsa;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A file of the shared vector set copied into `tests/data/vectors`.
pub fn vector(rel: &str) -> PathBuf {
    root().join("tests/data/vectors").join(rel)
}

/// A test fixture of hsign's own under `tests/data`.
pub fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// The `hsign` binary: `$HSIGN_BIN`, or the workspace's debug build, built once on first use.
pub fn hsign_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("HSIGN_BIN") {
            return PathBuf::from(p);
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "hsign", "--bin", "hsign"])
            .current_dir(root())
            .status()
            .expect("running cargo build for the hsign binary");
        assert!(status.success(), "building hsign failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target"));
        target.join("debug/hsign")
    })
}

/// The outcome of a command.
#[derive(Debug)]
pub struct Output {
    /// Exit status (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Asserts the exit status, printing everything when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit status\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        self
    }

    /// Asserts success.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        self.expect_code(0)
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A command being prepared.
pub struct Cmd {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Cmd {
    /// A program with arguments, with no password variables and no TUF cache inherited.
    pub fn new(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Self {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_remove("COSIGN_PASSWORD")
            .env_remove("HSIGN_PASSWORD")
            // No TUF cache of the machine's: the default trusted root is the embedded one.
            .env_remove("TUF_ROOT")
            .env("HSIGN_TUF_ROOT", "/nonexistent/hsign-e2e-tuf-cache");
        Self { cmd, stdin: None }
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Sets the password through `COSIGN_PASSWORD`.
    pub fn password(self, pw: &str) -> Self {
        self.env("COSIGN_PASSWORD", pw)
    }

    /// Runs in `dir`.
    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Feeds `data` on standard input (otherwise standard input is empty).
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(data.into());
        self
    }

    /// Runs to completion.
    pub fn run(mut self) -> Output {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {:?}: {e}", self.cmd));
        let input = self.stdin.take().unwrap_or_default();
        let mut stdin = child.stdin.take().expect("piped stdin");
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().expect("waiting for the command");
        let _ = writer.join();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `hsign ARGS...`.
pub fn hsign(args: &[&str]) -> Cmd {
    Cmd::new(hsign_bin(), args)
}

/// `hsign sign --key cosign.key --allow-http-registry ARGS` in `dir` (key password `pw`).
pub fn sign_image(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "sign",
        "--tlog-upload=false",
        "--key",
        "cosign.key",
        "--allow-http-registry",
    ];
    all.extend_from_slice(args);
    hsign(&all).cwd(dir).password("pw").run()
}

/// `hsign verify --key cosign.pub --allow-http-registry --insecure-ignore-tlog ARGS` in `dir`.
pub fn verify_image(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "verify",
        "--key",
        "cosign.pub",
        "--allow-http-registry",
        "--insecure-ignore-tlog",
    ];
    all.extend_from_slice(args);
    hsign(&all).cwd(dir).run()
}

/// The sigstore-js peer scripts (tests/peers/node), installed by `scripts/test.sh`.
pub fn node_peer(script: &str) -> PathBuf {
    let dir = std::env::var_os("HSIGN_NODE_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("tests/peers/node"));
    assert!(
        dir.join("node_modules/@sigstore/verify").is_dir(),
        "sigstore-js peer not installed in {}: run scripts/test.sh (or `npm ci` there)",
        dir.display()
    );
    dir.join(script)
}

/// `node SCRIPT ARGS...` from the sigstore-js peer.
pub fn node(script: &str, args: &[&str]) -> Cmd {
    let path = node_peer(script);
    let mut all = vec![path.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    Cmd::new("node", &all)
}

/// The sigstore-rs peer binary, built by `scripts/test.sh` (tests/peers/sigstore-rs-peer).
pub fn sigstore_rs_peer(args: &[&str]) -> Cmd {
    let bin = std::env::var_os("HSIGN_SIGSTORE_RS_PEER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/peers/release/sigstore-rs-peer"));
    assert!(
        bin.is_file(),
        "sigstore-rs peer not built at {}: run scripts/test.sh",
        bin.display()
    );
    Cmd::new(bin, args)
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Reads a file to a string.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A path as &str.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}
