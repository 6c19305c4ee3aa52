//! Presentation: data to stdout (text or one JSON document), messages to stderr.

use std::io::Write as _;

use serde_json::Value;

use crate::args::OutputFormat;
use crate::error::CliError;

/// Where and how results are printed.
#[derive(Clone, Copy)]
pub struct Printer {
    /// Text or JSON.
    pub format: OutputFormat,
    /// No informational messages.
    pub quiet: bool,
}

impl Printer {
    /// True for `--output json`.
    pub fn json(&self) -> bool {
        self.format == OutputFormat::Json
    }

    /// An informational message on stderr (suppressed by `--quiet`).
    pub fn info(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// Data on stdout. A closed pipe is not an error.
    pub fn data(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
    }

    /// One JSON document on stdout.
    pub fn json_value(&self, v: &Value) {
        self.data(&serde_json::to_string_pretty(v).unwrap_or_default());
    }

    /// Reports an error: `error: ...`, one `Caused by:` line per cause, then the hint after a blank line.
    /// With `--output json`, an error document also goes to stdout for machines.
    pub fn error(&self, err: &CliError) {
        let mut text = format!("error: {}\n", err.message);
        for c in &err.causes {
            text.push_str(&format!("  Caused by: {c}\n"));
        }
        if let Some(h) = &err.hint {
            text.push_str(&format!("\nhint: {h}\n"));
        }
        let _ = std::io::stderr().write_all(text.as_bytes());
        if self.json() && !err.in_report {
            self.json_value(&serde_json::json!({
                "error": err.message,
                "causes": err.causes,
                "exitCode": err.exit as i32,
            }));
        }
    }
}
