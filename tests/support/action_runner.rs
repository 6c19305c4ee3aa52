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
//! - a step key the harness does not implement (`working-directory`, `continue-on-error`, `timeout-minutes`,
//!   `uses`, ...) is refused, not ignored; a step without `id` cannot be addressed (`steps.<id>`, `step()`);
//! - outputs are read from `GITHUB_OUTPUT` (and variables from `GITHUB_ENV`) as the Linux runner reads them:
//!   lines split on `\n` only, `name=value` and `name<<DELIMITER` forms, an empty name or delimiter refused;
//!   the action's outputs are evaluated from them at the end; the step summaries are concatenated;
//! - stdout and stderr go to one stream, as the runner reads them, and every line goes through a workflow
//!   command processor that follows the runner's (`WorkflowCommands`): `::name props::data` after leading
//!   whitespace, the legacy `##[name props]data` anywhere in a line, `\r`, `\n` and `\r\n` as line ends,
//!   `::stop-commands::TOKEN` ... `::TOKEN::`. Tests read the commands that were processed, so text printed
//!   inside a stop-commands block, or escaped, is shown to be inert.

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
    /// The step's `id` (None without one: such a step cannot be addressed).
    pub id: Option<String>,
    /// The step's position, from 1.
    pub number: usize,
    /// The step's `name`.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// The exit status (-1 when skipped or killed).
    pub code: i32,
    /// Standard output and standard error, interleaved as the runner reads them.
    pub output: String,
    /// The workflow commands the runner would have processed, in order.
    pub commands: Vec<WorkflowCommand>,
    /// The stop token when the step ended inside a `::stop-commands::` block (the rest of its output, legitimate
    /// annotations included, would have been ignored).
    pub stopped_at_end: Option<String>,
}

/// A workflow command the runner processed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowCommand {
    /// The command name, lower case (`error`, `warning`, `stop-commands`, ...).
    pub name: String,
    /// The properties (`title`, `file`, ...), unescaped.
    pub properties: Vec<(String, String)>,
    /// The data (the message), unescaped.
    pub data: String,
    /// The output line it came from.
    pub line: String,
}

impl WorkflowCommand {
    /// The property `name`.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
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

    /// The step with `id` (steps without an `id` cannot be found).
    #[track_caller]
    pub fn step(&self, id: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no step {id}"))
    }

    /// Everything the steps printed, in step order.
    pub fn log(&self) -> String {
        let mut log = String::new();
        for s in &self.steps {
            log.push_str(&format!(
                "--- step {} {} ({:?}, exit {})\n{}",
                s.number,
                s.id.as_deref().unwrap_or("(no id)"),
                s.outcome,
                s.code,
                s.output
            ));
        }
        log
    }

    /// Every workflow command the runner processed, in order.
    pub fn commands(&self) -> impl Iterator<Item = &WorkflowCommand> {
        self.steps.iter().flat_map(|s| &s.commands)
    }

    /// The error annotations, as `title: message` (unescaped).
    pub fn errors(&self) -> Vec<String> {
        self.commands()
            .filter(|c| c.name == "error")
            .map(|c| format!("{}: {}", c.property("title").unwrap_or_default(), c.data))
            .collect()
    }

    /// The warning annotations, as `title: message` (unescaped).
    pub fn warnings(&self) -> Vec<String> {
        self.commands()
            .filter(|c| c.name == "warning")
            .map(|c| format!("{}: {}", c.property("title").unwrap_or_default(), c.data))
            .collect()
    }

    /// Panics when a step ended inside a stop-commands block.
    #[track_caller]
    fn commands_resumed(&self) {
        for s in &self.steps {
            assert!(
                s.stopped_at_end.is_none(),
                "step {} ended with workflow commands stopped:\n{}",
                s.number,
                self.log()
            );
        }
    }

    /// Asserts that every step succeeded, printing the log when not.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert!(self.succeeded(), "the action failed:\n{}", self.log());
        self.commands_resumed();
        self
    }

    /// Asserts that the action failed, printing the log when not.
    #[track_caller]
    pub fn failed(&self) -> &Self {
        assert!(!self.succeeded(), "the action succeeded:\n{}", self.log());
        self.commands_resumed();
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
            let number = n + 1;
            let map = step
                .as_object()
                .unwrap_or_else(|| panic!("step {number} is not a mapping"));
            for key in map.keys() {
                assert!(
                    STEP_KEYS.contains(&key.as_str()),
                    "step {number}: the harness does not implement the step key `{key}` (it would be ignored)"
                );
            }
            let id = step["id"].as_str().map(str::to_owned);
            let name = step["name"].as_str().unwrap_or_default().to_owned();
            assert_eq!(step["shell"], "bash", "step {number}: only `shell: bash` is supported");
            let run_text = step["run"].as_str().unwrap_or_else(|| panic!("step {number}: no run:"));
            if !ctx.condition(step.get("if")) {
                runs.push(StepRun {
                    id,
                    number,
                    name,
                    outcome: Outcome::Skipped,
                    code: -1,
                    output: String::new(),
                    commands: Vec::new(),
                    stopped_at_end: None,
                });
                continue;
            }
            let files = runner.path().join(format!("files-{number}"));
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
            let script = temp.join(format!("step-{number}.sh"));
            std::fs::write(&script, ctx.template(run_text)).expect("writing the step script");

            // One file for stdout and stderr: the runner reads both and processes commands in both.
            let log_file = files.join("log");
            let log = std::fs::File::create(&log_file).expect("step log file");
            let mut cmd = Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(&self.workspace)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().expect("step log file")))
                .stderr(Stdio::from(log));
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
                    .unwrap_or_else(|| panic!("step {number}: env is not a mapping"))
                {
                    cmd.env(k, ctx.template(&scalar(v)));
                }
            }
            let status = cmd.status().unwrap_or_else(|e| panic!("running step {number}: {e}"));
            let code = status.code().unwrap_or(-1);
            let output = String::from_utf8_lossy(&std::fs::read(&log_file).expect("step log file")).into_owned();
            let mut processor = CommandProcessor::default();
            let commands = processor.process(&output);
            let outcome = if status.success() {
                Outcome::Success
            } else {
                ctx.failed = true;
                Outcome::Failure
            };
            // Files are read whatever the outcome, as the runner does. Only steps with an id are addressable.
            let step_outputs = parse_key_values(&read(&output_file));
            if let Some(id) = &id {
                ctx.steps.insert(id.clone(), step_outputs);
            }
            for (k, v) in parse_key_values(&read(&env_file)) {
                job_env.retain(|(name, _)| *name != k);
                job_env.push((k, v));
            }
            path_entries.extend(read(&path_file).lines().filter(|l| !l.is_empty()).map(str::to_owned));
            summary.push_str(&read(&summary_file));
            runs.push(StepRun {
                id,
                number,
                name,
                outcome,
                code,
                output,
                commands,
                stopped_at_end: processor.stop_token,
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

/// The step keys the harness implements; any other is refused rather than silently ignored.
const STEP_KEYS: &[&str] = &["id", "name", "if", "shell", "run", "env"];

/// `GITHUB_OUTPUT` / `GITHUB_ENV` contents as the Linux runner reads them (`EnvFileKeyValuePairs`): lines end
/// at `\n` only (a `\r` stays in the value), empty lines are skipped, `name=value` lines and
/// `name<<DELIMITER` ... `DELIMITER` blocks (whichever of `=` and `<<` comes first); an empty name or
/// delimiter, a missing delimiter, or a value line without its newline is an error (the runner fails the
/// step; the harness panics, since the action must never write one).
fn parse_key_values(text: &str) -> Vec<(String, String)> {
    /// The next line from `pos`, and whether it ended with `\n`.
    fn next_line<'t>(text: &'t str, pos: &mut usize) -> Option<(&'t str, bool)> {
        if *pos >= text.len() {
            return None;
        }
        let rest = &text[*pos..];
        match rest.find('\n') {
            Some(i) => {
                *pos += i + 1;
                Some((&rest[..i], true))
            }
            None => {
                *pos = text.len();
                Some((rest, false))
            }
        }
    }
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some((line, _)) = next_line(text, &mut pos) {
        if line.is_empty() {
            continue;
        }
        let eq = line.find('=');
        let heredoc = line.find("<<");
        match (eq, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                let (name, value) = (&line[..e], &line[e + 1..]);
                assert!(!name.is_empty(), "runner file: invalid line {line:?}: empty name");
                out.push((name.to_owned(), value.to_owned()));
            }
            (_, Some(h)) => {
                let (name, delim) = (&line[..h], &line[h + 2..]);
                assert!(
                    !name.is_empty() && !delim.is_empty(),
                    "runner file: invalid line {line:?}: the name and the delimiter must not be empty"
                );
                let mut value: Vec<&str> = Vec::new();
                loop {
                    let (l, newline) = next_line(text, &mut pos)
                        .unwrap_or_else(|| panic!("runner file: no closing delimiter {delim:?} for {name}"));
                    if l == delim {
                        break;
                    }
                    assert!(newline, "runner file: the value of {name} ends without a newline");
                    value.push(l);
                }
                out.push((name.to_owned(), value.join("\n")));
            }
            _ => panic!("runner file: invalid line {line:?}"),
        }
    }
    out
}

/// The commands the runner registers (`ActionCommandManager`); `::other::` lines are plain output.
const REGISTERED_COMMANDS: &[&str] = &[
    "error",
    "warning",
    "notice",
    "debug",
    "group",
    "endgroup",
    "echo",
    "add-mask",
    "add-matcher",
    "remove-matcher",
    "set-output",
    "save-state",
    "set-env",
    "add-path",
    "stop-commands",
];

/// The runner's workflow-command processing of a step's output, one line at a time.
#[derive(Default)]
pub struct CommandProcessor {
    /// The token of the open `::stop-commands::` block.
    pub stop_token: Option<String>,
}

impl CommandProcessor {
    /// Splits `output` into lines as .NET's `ReadLine` does (`\n`, `\r\n`, or a lone `\r`) and returns the
    /// commands processed.
    pub fn process(&mut self, output: &str) -> Vec<WorkflowCommand> {
        let mut commands = Vec::new();
        let mut rest = output;
        while !rest.is_empty() {
            let end = rest.find(['\r', '\n']).unwrap_or(rest.len());
            let line = &rest[..end];
            rest = &rest[end..];
            if let Some(r) = rest.strip_prefix("\r\n") {
                rest = r;
            } else if !rest.is_empty() {
                rest = &rest[1..];
            }
            if let Some(c) = self.line(line) {
                commands.push(c);
            }
        }
        commands
    }

    /// One line: the command processed, if any (`TryProcessCommand`).
    pub fn line(&mut self, line: &str) -> Option<WorkflowCommand> {
        let extra = self.stop_token.clone();
        let known = |name: &str| {
            REGISTERED_COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(name))
                || extra.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(name))
        };
        let command = parse_v2(line, &known).or_else(|| parse_legacy(line, &known))?;
        if let Some(token) = &self.stop_token {
            if command.name.eq_ignore_ascii_case(token) {
                self.stop_token = None;
                return Some(command);
            }
            return None;
        }
        if command.name == "stop-commands" {
            let token = &command.data;
            // ValidateStopToken: the runner fails the step on these.
            assert!(
                !token.is_empty()
                    && !REGISTERED_COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(token))
                    && !token.eq_ignore_ascii_case("pause-logging"),
                "::stop-commands:: with an invalid token {token:?}"
            );
            self.stop_token = Some(token.clone());
        }
        Some(command)
    }
}

/// `::name key=value,key=value::data`, after leading whitespace (`ActionCommand.TryParseV2`).
fn parse_v2(line: &str, known: &dyn Fn(&str) -> bool) -> Option<WorkflowCommand> {
    let message = line.trim_start();
    let body = message.strip_prefix("::")?;
    let end = body.find("::")?;
    let info = &body[..end];
    let (name, props) = match info.find(' ') {
        Some(i) => (&info[..i], Some(&info[i + 1..])),
        None => (info, None),
    };
    if !known(name) {
        return None;
    }
    Some(WorkflowCommand {
        name: name.to_ascii_lowercase(),
        properties: parse_properties(props.map(str::trim), ',', unescape_property),
        data: unescape_data(&body[end + 2..]),
        line: line.to_owned(),
    })
}

/// The `key=value` properties of a command, split on `separator`; a pair without both halves is dropped, as
/// the runner drops it.
fn parse_properties(props: Option<&str>, separator: char, unescape: fn(&str) -> String) -> Vec<(String, String)> {
    let mut properties = Vec::new();
    for p in props.unwrap_or_default().split(separator).filter(|p| !p.is_empty()) {
        let pair: Vec<&str> = p.splitn(2, '=').filter(|x| !x.is_empty()).collect();
        if let [k, v] = pair.as_slice() {
            properties.push(((*k).to_owned(), unescape(v)));
        }
    }
    properties
}

/// `##[name key=value;key=value]data` anywhere in the line (`ActionCommand.TryParse`).
fn parse_legacy(line: &str, known: &dyn Fn(&str) -> bool) -> Option<WorkflowCommand> {
    let start = line.find("##[")? + 3;
    let end = start + line[start..].find(']')?;
    let info = &line[start..end];
    let (name, props) = match info.find(' ') {
        Some(i) => (&info[..i], Some(&info[i + 1..])),
        None => (info, None),
    };
    if !known(name) {
        return None;
    }
    Some(WorkflowCommand {
        name: name.to_ascii_lowercase(),
        properties: parse_properties(props, ';', unescape_legacy),
        data: unescape_legacy(&line[end + 1..]),
        line: line.to_owned(),
    })
}

fn unescape_data(s: &str) -> String {
    s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
}

fn unescape_property(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

fn unescape_legacy(s: &str) -> String {
    s.replace("%3B", ";")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%AZP25", "%")
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

    #[test]
    fn output_files_split_on_lf_only_and_refuse_empty_delimiters() {
        let kv = parse_key_values("a=1\r\nb<<EOF\nx\r\nEOF\r\nEOF\nc=\n");
        assert_eq!(
            kv,
            vec![
                ("a".to_owned(), "1\r".to_owned()),
                ("b".to_owned(), "x\r\nEOF\r".to_owned()),
                ("c".to_owned(), String::new())
            ]
        );
        for bad in [
            "b<<\nx\n\n",
            "<<EOF\nx\nEOF\n",
            "=1\n",
            "nothing\n",
            "b<<EOF\nx",
            "b<<EOF\nx\n",
        ] {
            let r = std::panic::catch_unwind(|| parse_key_values(bad));
            assert!(r.is_err(), "{bad:?} was accepted");
        }
    }

    /// A composite action with `steps` (YAML, indented as under `steps:`) in a temporary directory.
    fn tiny_action(steps: &str) -> (tempfile::TempDir, Action) {
        let dir = tempfile::tempdir().unwrap();
        let yml = format!("name: t\ndescription: t\nruns:\n  using: composite\n  steps:\n{steps}");
        std::fs::write(dir.path().join("action.yml"), yml).unwrap();
        let a = Action::load(&dir.path().join("action.yml"));
        (dir, a)
    }

    #[test]
    fn unimplemented_step_keys_are_refused() {
        for key in [
            "working-directory: /",
            "continue-on-error: true",
            "timeout-minutes: 1",
            "uses: ./x",
        ] {
            let (dir, a) = tiny_action(&format!("    - shell: bash\n      run: 'true'\n      {key}\n"));
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.with(dir.path(), &[]).run()));
            assert!(r.is_err(), "{key} was accepted");
        }
    }

    #[test]
    fn steps_without_id_are_not_addressable() {
        let (dir, a) = tiny_action(
            "    - shell: bash\n      run: echo x=1 >>\"$GITHUB_OUTPUT\"\n    - id: b\n      shell: bash\n      env:\n        X: ${{ steps.step1.outputs.x }}\n      run: echo \"X=[$X]\"\n",
        );
        let run = a.with(dir.path(), &[]).run();
        run.ok();
        assert_eq!(run.steps[0].id, None);
        assert_eq!(run.step("b").output, "X=[]\n");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run.step("step1").code));
        assert!(r.is_err(), "step1 was found");
    }

    fn names(cs: &[WorkflowCommand]) -> Vec<(String, String)> {
        cs.iter().map(|c| (c.name.clone(), c.data.clone())).collect()
    }

    #[test]
    fn workflow_commands_are_processed_like_the_runner() {
        let mut p = CommandProcessor::default();
        let out =
            "plain\n  ::error title=a%2Cb%3A c::m%0A1%25\nx ##[warning]legacy%3B\r::ERROR::cr\r\n::nope::x\n::error\n";
        let cs = p.process(out);
        assert_eq!(
            names(&cs),
            vec![
                ("error".to_owned(), "m\n1%".to_owned()),
                ("warning".to_owned(), "legacy;".to_owned()),
                ("error".to_owned(), "cr".to_owned()),
            ]
        );
        assert_eq!(cs[0].property("title"), Some("a,b: c"));

        // Inside a stop-commands block nothing but the token is processed, in either form.
        let mut p = CommandProcessor::default();
        let cs = p.process(
            "::stop-commands::tok123\n::error::no\n##[error]no\n::stop-commands::other\n::tok12::\n::TOK123::\n::error::yes\n",
        );
        assert_eq!(
            names(&cs),
            vec![
                ("stop-commands".to_owned(), "tok123".to_owned()),
                ("tok123".to_owned(), String::new()),
                ("error".to_owned(), "yes".to_owned()),
            ]
        );
        assert!(p.stop_token.is_none());
        let mut p = CommandProcessor::default();
        p.process("::stop-commands::t\n::error::x\n");
        assert_eq!(p.stop_token.as_deref(), Some("t"));
        for bad in [
            "::stop-commands::\n",
            "::stop-commands::error\n",
            "::stop-commands::pause-logging\n",
        ] {
            let r = std::panic::catch_unwind(|| CommandProcessor::default().process(bad));
            assert!(r.is_err(), "{bad:?} was accepted");
        }
    }
}
