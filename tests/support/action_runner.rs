//! Runs a composite GitHub Action (`action.yml`) the way a GitHub runner does, closely enough to test the
//! hsign action end to end on this machine:
//!
//! - the inputs get their defaults; an unknown input or a missing required one is a test error;
//! - `${{ ... }}` is evaluated in `env:`, `run:`, `if:` and the outputs' `value:`, with a small expression
//!   language: `'strings'`, `true`/`false`/`null`, `==`/`!=` (strings compare case-insensitively, as
//!   GitHub's do), `&&`, `||`, `!`, parentheses, `success()`/`failure()`/`always()`, and the contexts
//!   `inputs.*`, `github.action_path`, `github.action_repository`, `steps.<id>.outputs.*`, `runner.temp` and
//!   `runner.os`. Anything else panics, so the harness never silently evaluates differently from a runner;
//! - each `run:` step (only `shell: bash`) is written to a file under `RUNNER_TEMP` and run as
//!   `bash --noprofile --norc -eo pipefail FILE` in `GITHUB_WORKSPACE`, with the runner's variables
//!   (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_ENV`, `GITHUB_PATH`: fresh files per step), the
//!   environment of the calling workflow step, what earlier steps wrote to `GITHUB_ENV`, then the step's
//!   `env:`; directories written to `GITHUB_PATH` are put in front of `PATH` for the later steps;
//! - a step without `if:` runs only while every earlier step succeeded (`success()`);
//! - outputs are read from `GITHUB_OUTPUT` in both forms (`name=value` and `name<<DELIMITER`), and the
//!   action's outputs are evaluated from them at the end; the step summaries are concatenated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The variables of the test process that a runner would not pass on (or that would change hsign's
/// behaviour behind the test's back).
const SCRUBBED: &[&str] = &[
    "COSIGN_PASSWORD",
    "HSIGN_PASSWORD",
    "TUF_ROOT",
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "COSIGN_REPOSITORY",
    "HSIGN_REPOSITORY",
    "SIGSTORE_REKOR_PUBLIC_KEY",
];

/// A parsed `action.yml`.
pub struct Action {
    doc: Value,
    path: PathBuf,
}

/// What happened to one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status 0.
    Success,
    /// A non-zero exit status.
    Failure,
    /// Not run (its `if:` was false).
    Skipped,
}

/// One step's run.
#[derive(Debug)]
pub struct StepRun {
    /// The step's `id`, or `step<N>` (from 1).
    pub id: String,
    /// The step's `name`.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// The exit status (-1 when skipped or killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// A whole run of the action.
#[derive(Debug)]
pub struct ActionRun {
    /// The steps, in order.
    pub steps: Vec<StepRun>,
    /// The action's outputs.
    pub outputs: BTreeMap<String, String>,
    /// The step summaries (`GITHUB_STEP_SUMMARY`), concatenated.
    pub summary: String,
    /// The directories written to `GITHUB_PATH`, in order.
    pub path: Vec<String>,
    /// The runner's directories (`RUNNER_TEMP` and the runner files): kept while the run is, as the runner
    /// keeps them until the job ends, so the `report` output can be read.
    pub runner_dir: tempfile::TempDir,
}

impl ActionRun {
    /// Whether every step that ran succeeded (what the calling workflow step's outcome would be).
    pub fn succeeded(&self) -> bool {
        self.steps.iter().all(|s| s.outcome != Outcome::Failure)
    }

    /// The step with `id`.
    #[track_caller]
    pub fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    }

    /// Everything the steps printed, stdout then stderr of each, in step order.
    pub fn log(&self) -> String {
        let mut log = String::new();
        for s in &self.steps {
            log.push_str(&format!(
                "--- step {} ({:?}, exit {})\n{}{}",
                s.id, s.outcome, s.code, s.stdout, s.stderr
            ));
        }
        log
    }

    /// The workflow-command lines `::error ...` the steps printed on stdout.
    pub fn errors(&self) -> Vec<String> {
        self.steps
            .iter()
            .flat_map(|s| s.stdout.lines())
            .filter(|l| l.starts_with("::error"))
            .map(str::to_owned)
            .collect()
    }

    /// Asserts that every step succeeded, printing the log when not.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert!(self.succeeded(), "the action failed:\n{}", self.log());
        self
    }

    /// Asserts that the action failed, printing the log when not.
    #[track_caller]
    pub fn failed(&self) -> &Self {
        assert!(!self.succeeded(), "the action succeeded:\n{}", self.log());
        self
    }

    /// The output `name` parsed as JSON.
    #[track_caller]
    pub fn json_output(&self, name: &str) -> Value {
        let raw = self
            .outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}:\n{}", self.log()));
        serde_json::from_str(raw).unwrap_or_else(|e| panic!("output {name} is not JSON ({e}): {raw}"))
    }
}

/// A run being prepared.
pub struct Invocation<'a> {
    action: &'a Action,
    inputs: BTreeMap<String, String>,
    env: Vec<(String, String)>,
    workspace: PathBuf,
    action_repository: String,
}

impl Action {
    /// Parses `path` (an `action.yml`). Panics unless it is a composite action.
    pub fn load(path: &Path) -> Action {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
        assert_eq!(
            doc["runs"]["using"],
            "composite",
            "{}: not a composite action",
            path.display()
        );
        Action {
            doc,
            path: path.to_path_buf(),
        }
    }

    /// The directory holding `action.yml` (`GITHUB_ACTION_PATH`).
    pub fn dir(&self) -> &Path {
        self.path.parent().expect("action.yml has a parent directory")
    }

    /// The parsed document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// A run with `inputs`, in the workspace `workspace` (the calling job's checkout, the steps' working
    /// directory).
    pub fn with<'a>(&'a self, workspace: &Path, inputs: &[(&str, &str)]) -> Invocation<'a> {
        Invocation {
            action: self,
            inputs: inputs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            env: Vec::new(),
            workspace: workspace.to_path_buf(),
            action_repository: String::new(),
        }
    }
}

impl Invocation<'_> {
    /// Sets a variable of the calling workflow step's `env:`.
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    /// The value of `github.action_repository` (empty by default, as in composite actions' run steps).
    pub fn action_repository(mut self, repo: &str) -> Self {
        self.action_repository = repo.to_owned();
        self
    }

    /// Runs every step.
    pub fn run(self) -> ActionRun {
        let doc = &self.action.doc;
        let inputs = self.resolve_inputs();
        let runner = tempfile::tempdir().expect("runner directory");
        let temp = runner.path().join("temp");
        std::fs::create_dir_all(&temp).expect("RUNNER_TEMP");
        let mut ctx = Context {
            inputs,
            action_path: self.action.dir().to_str().expect("utf-8 path").to_owned(),
            action_repository: self.action_repository.clone(),
            runner_temp: temp.to_str().expect("utf-8 path").to_owned(),
            steps: BTreeMap::new(),
            failed: false,
        };
        let mut runs = Vec::new();
        let mut summary = String::new();
        let mut path_entries: Vec<String> = Vec::new();
        let mut job_env: Vec<(String, String)> = Vec::new();
        let steps = doc["runs"]["steps"].as_array().expect("runs.steps is a list");
        for (n, step) in steps.iter().enumerate() {
            let id = step["id"]
                .as_str()
                .map_or_else(|| format!("step{}", n + 1), str::to_owned);
            let name = step["name"].as_str().unwrap_or_default().to_owned();
            assert!(
                step.get("uses").is_none(),
                "step {id}: `uses:` steps are not supported by the harness"
            );
            assert_eq!(step["shell"], "bash", "step {id}: only `shell: bash` is supported");
            let run_text = step["run"].as_str().unwrap_or_else(|| panic!("step {id}: no run:"));
            if !ctx.condition(step.get("if")) {
                runs.push(StepRun {
                    id,
                    name,
                    outcome: Outcome::Skipped,
                    code: -1,
                    stdout: String::new(),
                    stderr: String::new(),
                });
                continue;
            }
            let files = runner.path().join(format!("files-{}", n + 1));
            std::fs::create_dir_all(&files).expect("step files directory");
            let (output_file, summary_file, env_file, path_file) = (
                files.join("output"),
                files.join("summary"),
                files.join("env"),
                files.join("path"),
            );
            for f in [&output_file, &summary_file, &env_file, &path_file] {
                std::fs::write(f, "").expect("creating a runner file");
            }
            let script = temp.join(format!("step-{}.sh", n + 1));
            std::fs::write(&script, ctx.template(run_text)).expect("writing the step script");

            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(&self.workspace)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            for k in SCRUBBED {
                cmd.env_remove(k);
            }
            for (k, _) in std::env::vars_os() {
                if let Some(k) = k.to_str()
                    && (k.starts_with("GITHUB_") || k.starts_with("RUNNER_") || k.starts_with("INPUT_"))
                {
                    cmd.env_remove(k);
                }
            }
            let base_path = std::env::var("PATH").unwrap_or_default();
            let mut path: Vec<&str> = path_entries.iter().rev().map(String::as_str).collect();
            path.push(&base_path);
            cmd.env("PATH", path.join(":"))
                .env("HSIGN_TUF_ROOT", "/nonexistent/hsign-e2e-tuf-cache")
                .env("CI", "true")
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_WORKSPACE", &self.workspace)
                .env("GITHUB_ACTION_PATH", &ctx.action_path)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary_file)
                .env("GITHUB_ENV", &env_file)
                .env("GITHUB_PATH", &path_file)
                .env("RUNNER_TEMP", &ctx.runner_temp)
                .env("RUNNER_OS", "Linux");
            for (k, v) in job_env.iter().chain(&self.env) {
                cmd.env(k, v);
            }
            if let Some(env) = step.get("env") {
                for (k, v) in env
                    .as_object()
                    .unwrap_or_else(|| panic!("step {id}: env is not a mapping"))
                {
                    cmd.env(k, ctx.template(&scalar(v)));
                }
            }
            let out = cmd.output().unwrap_or_else(|e| panic!("running step {id}: {e}"));
            let code = out.status.code().unwrap_or(-1);
            let outcome = if out.status.success() {
                Outcome::Success
            } else {
                ctx.failed = true;
                Outcome::Failure
            };
            // Files are read whatever the outcome, as the runner does.
            ctx.steps.insert(id.clone(), parse_key_values(&read(&output_file)));
            for (k, v) in parse_key_values(&read(&env_file)) {
                job_env.retain(|(name, _)| *name != k);
                job_env.push((k, v));
            }
            path_entries.extend(read(&path_file).lines().filter(|l| !l.is_empty()).map(str::to_owned));
            summary.push_str(&read(&summary_file));
            runs.push(StepRun {
                id,
                name,
                outcome,
                code,
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let mut outputs = BTreeMap::new();
        if let Some(map) = doc.get("outputs").and_then(Value::as_object) {
            for (name, o) in map {
                let value = o["value"]
                    .as_str()
                    .unwrap_or_else(|| panic!("output {name}: a composite action's output needs value:"));
                outputs.insert(name.clone(), ctx.template(value));
            }
        }
        ActionRun {
            steps: runs,
            outputs,
            summary,
            path: path_entries,
            runner_dir: runner,
        }
    }

    /// The inputs with their defaults; panics on unknown or missing required inputs.
    fn resolve_inputs(&self) -> BTreeMap<String, String> {
        let declared = self.action.doc["inputs"].as_object().cloned().unwrap_or_default();
        for k in self.inputs.keys() {
            assert!(declared.contains_key(k), "input {k} is not declared in action.yml");
        }
        let mut inputs = BTreeMap::new();
        for (name, decl) in &declared {
            let value = match self.inputs.get(name) {
                Some(v) => v.clone(),
                None => {
                    assert!(decl["required"] != Value::Bool(true), "required input {name} not given");
                    let default = decl.get("default").map(scalar).unwrap_or_default();
                    assert!(
                        !default.contains("${{"),
                        "input {name}: expressions in defaults are not supported"
                    );
                    default
                }
            };
            inputs.insert(name.clone(), value);
        }
        inputs
    }
}

/// A YAML scalar as the runner reads it: a string as is, `true`/numbers as written.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("not a scalar: {other}"),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `GITHUB_OUTPUT` / `GITHUB_ENV` contents: `name=value` lines and `name<<DELIMITER` ... `DELIMITER` blocks.
fn parse_key_values(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        let heredoc = line.find("<<").filter(|&i| line.find('=').is_none_or(|j| i < j));
        if let Some(i) = heredoc {
            let (name, delim) = (&line[..i], &line[i + 2..]);
            let mut value = Vec::new();
            loop {
                let l = lines
                    .next()
                    .unwrap_or_else(|| panic!("runner file: no closing delimiter {delim} for {name}"));
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.push((name.to_owned(), value.join("\n")));
        } else {
            let (name, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("runner file: invalid line {line:?}"));
            out.push((name.to_owned(), value.to_owned()));
        }
    }
    out
}

/// What expressions can see.
struct Context {
    inputs: BTreeMap<String, String>,
    action_path: String,
    action_repository: String,
    runner_temp: String,
    steps: BTreeMap<String, Vec<(String, String)>>,
    failed: bool,
}

/// An expression value.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Null,
    Bool(bool),
    Str(String),
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Null => false,
            Val::Bool(b) => *b,
            Val::Str(s) => !s.is_empty(),
        }
    }

    fn render(&self) -> String {
        match self {
            Val::Null => String::new(),
            Val::Bool(b) => b.to_string(),
            Val::Str(s) => s.clone(),
        }
    }
}

impl Context {
    /// `text` with every `${{ expr }}` replaced by its value.
    fn template(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 3..];
            let end = after
                .find("}}")
                .unwrap_or_else(|| panic!("unterminated ${{{{ in {text:?}"));
            out.push_str(&self.eval(&after[..end]).render());
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:` condition (absent: `success()`); a condition without a status function gets an implicit
    /// `success() &&`, as on the runner.
    fn condition(&self, cond: Option<&Value>) -> bool {
        let Some(cond) = cond else { return !self.failed };
        let text = scalar(cond);
        let trimmed = text.trim();
        let expr = trimmed
            .strip_prefix("${{")
            .and_then(|t| t.strip_suffix("}}"))
            .unwrap_or(trimmed);
        let has_status = ["success()", "failure()", "always()", "cancelled()"]
            .iter()
            .any(|f| expr.contains(f));
        let value = self.eval(expr).truthy();
        if has_status { value } else { !self.failed && value }
    }

    fn eval(&self, expr: &str) -> Val {
        let tokens = tokenize(expr);
        let mut p = Parser {
            tokens: &tokens,
            pos: 0,
            ctx: self,
            expr,
        };
        let v = p.or();
        assert!(
            p.pos == tokens.len(),
            "unexpected {:?} in expression {expr:?}",
            tokens.get(p.pos)
        );
        v
    }

    fn lookup(&self, path: &str) -> Val {
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["inputs", name] => Val::Str(
                self.inputs
                    .get(*name)
                    .unwrap_or_else(|| panic!("inputs.{name} is not declared"))
                    .clone(),
            ),
            ["github", "action_path"] => Val::Str(self.action_path.clone()),
            ["github", "action_repository"] => Val::Str(self.action_repository.clone()),
            ["runner", "temp"] => Val::Str(self.runner_temp.clone()),
            ["runner", "os"] => Val::Str("Linux".into()),
            ["steps", id, "outputs", name] => self
                .steps
                .get(*id)
                .and_then(|o| o.iter().rev().find(|(k, _)| k == name))
                .map_or(Val::Str(String::new()), |(_, v)| Val::Str(v.clone())),
            _ => panic!("the harness does not know the context value {path:?}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Str(String),
    Ident(String),
    Op(&'static str),
}

fn tokenize(expr: &str) -> Vec<Token> {
    let chars: Vec<char> = expr.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                assert!(i < chars.len(), "unterminated string in {expr:?}");
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        s.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                s.push(chars[i]);
                i += 1;
            }
            tokens.push(Token::Str(s));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '-' | '.')) {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["==", "!=", "&&", "||"].into_iter().find(|o| *o == two);
            if let Some(op) = op {
                tokens.push(Token::Op(op));
                i += 2;
            } else {
                let op = match c {
                    '!' => "!",
                    '(' => "(",
                    ')' => ")",
                    _ => panic!("the harness does not support {c:?} in expression {expr:?}"),
                };
                tokens.push(Token::Op(op));
                i += 1;
            }
        }
    }
    tokens
}

struct Parser<'a> {
    tokens: &'a [Token],
    pos: usize,
    ctx: &'a Context,
    expr: &'a str,
}

impl Parser<'_> {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Op(o)) if *o == op)
    }

    fn or(&mut self) -> Val {
        let mut v = self.and();
        while self.peek_op("||") {
            self.pos += 1;
            let r = self.and();
            if !v.truthy() {
                v = r;
            }
        }
        v
    }

    fn and(&mut self) -> Val {
        let mut v = self.unary();
        while self.peek_op("&&") {
            self.pos += 1;
            let r = self.unary();
            if v.truthy() {
                v = r;
            }
        }
        v
    }

    fn unary(&mut self) -> Val {
        if self.peek_op("!") {
            self.pos += 1;
            return Val::Bool(!self.unary().truthy());
        }
        let left = self.primary();
        for (op, equal) in [("==", true), ("!=", false)] {
            if self.peek_op(op) {
                self.pos += 1;
                let right = self.primary();
                let same = match (&left, &right) {
                    (Val::Str(a), Val::Str(b)) => a.eq_ignore_ascii_case(b),
                    (Val::Bool(a), Val::Bool(b)) => a == b,
                    (Val::Null, Val::Null) => true,
                    _ => panic!(
                        "the harness does not compare {left:?} with {right:?} (GitHub coerces types) in {:?}",
                        self.expr
                    ),
                };
                return Val::Bool(same == equal);
            }
        }
        left
    }

    fn primary(&mut self) -> Val {
        let token = self
            .tokens
            .get(self.pos)
            .cloned()
            .unwrap_or_else(|| panic!("expression {:?} ends early", self.expr));
        self.pos += 1;
        match token {
            Token::Str(s) => Val::Str(s),
            Token::Op("(") => {
                let v = self.or();
                assert!(self.peek_op(")"), "missing ) in {:?}", self.expr);
                self.pos += 1;
                v
            }
            Token::Ident(id) => {
                if self.peek_op("(") {
                    assert!(
                        matches!(self.tokens.get(self.pos + 1), Some(Token::Op(")"))),
                        "the harness supports only functions without arguments, in {:?}",
                        self.expr
                    );
                    self.pos += 2;
                    return match id.as_str() {
                        "success" => Val::Bool(!self.ctx.failed),
                        "failure" => Val::Bool(self.ctx.failed),
                        "always" => Val::Bool(true),
                        "cancelled" => Val::Bool(false),
                        _ => panic!("the harness does not know the function {id}() in {:?}", self.expr),
                    };
                }
                match id.as_str() {
                    "true" => Val::Bool(true),
                    "false" => Val::Bool(false),
                    "null" => Val::Null,
                    path => self.ctx.lookup(path),
                }
            }
            Token::Op(op) => panic!("unexpected {op} in expression {:?}", self.expr),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            inputs: [
                ("mode".to_owned(), "verify".to_owned()),
                ("key".to_owned(), String::new()),
            ]
            .into(),
            action_path: "/a".into(),
            action_repository: "o/r".into(),
            runner_temp: "/t".into(),
            steps: [("run".to_owned(), vec![("digests".to_owned(), "[1]".to_owned())])].into(),
            failed: false,
        }
    }

    #[test]
    fn expressions_evaluate_like_the_runner() {
        let c = ctx();
        assert_eq!(c.template("x ${{ inputs.mode }} y"), "x verify y");
        assert_eq!(c.template("${{steps.run.outputs.digests}}"), "[1]");
        assert_eq!(c.template("${{ steps.other.outputs.x }}"), "");
        assert_eq!(
            c.template("${{ github.action_path }}/${{ github.action_repository }}"),
            "/a/o/r"
        );
        assert!(c.condition(Some(&Value::from("inputs.mode == 'VERIFY'"))));
        assert!(!c.condition(Some(&Value::from("${{ inputs.mode != 'verify' }}"))));
        assert!(c.condition(Some(&Value::from(
            "inputs.key == '' && (inputs.mode == 'sign' || true)"
        ))));
        assert_eq!(c.eval("inputs.key || 'fallback'"), Val::Str("fallback".into()));
        assert!(!c.condition(Some(&Value::from("!inputs.mode"))));
        let mut failed = ctx();
        failed.failed = true;
        assert!(!failed.condition(None));
        assert!(!failed.condition(Some(&Value::from("true"))));
        assert!(failed.condition(Some(&Value::from("always()"))));
        assert!(failed.condition(Some(&Value::from("failure() && inputs.mode == 'verify'"))));
    }

    #[test]
    fn unknown_expressions_are_refused() {
        for e in [
            "github.token",
            "env.HOME",
            "secrets.X",
            "format('{0}', inputs.mode)",
            "inputs.nope",
            "1 == 1",
            "inputs.mode > 'a'",
        ] {
            let r = std::panic::catch_unwind(|| ctx().eval(e));
            assert!(r.is_err(), "{e} was accepted");
        }
    }

    #[test]
    fn output_files_in_both_forms() {
        let kv = parse_key_values("a=1\nb<<EOF\nx=y\n\nz\nEOF\nc=p=q\n");
        assert_eq!(
            kv,
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x=y\n\nz".to_owned()),
                ("c".to_owned(), "p=q".to_owned())
            ]
        );
    }
}
