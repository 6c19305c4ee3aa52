//! A progress line on stderr for long hashes: shown only on a terminal, only for inputs over 64 MiB, and never
//! with `--quiet`.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

const THRESHOLD: u64 = 64 * 1024 * 1024;
const INTERVAL: Duration = Duration::from_millis(100);

/// A throttled progress line.
pub struct Progress {
    label: String,
    total: Option<u64>,
    enabled: bool,
    shown: bool,
    last: Instant,
}

impl Progress {
    /// A progress line for reading `label`, of `total` bytes when known.
    pub fn new(label: &str, total: Option<u64>, quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal() && total.is_none_or(|t| t > THRESHOLD);
        Self {
            label: label.to_string(),
            total,
            enabled,
            shown: false,
            last: Instant::now(),
        }
    }

    /// Reports that `done` bytes have been read.
    pub fn update(&mut self, done: u64) {
        if !self.enabled || done < THRESHOLD || self.last.elapsed() < INTERVAL {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        let line = match self.total {
            Some(t) if t > 0 => format!(
                "{}: {:.0} / {:.0} MiB ({}%)",
                self.label,
                mib(done),
                mib(t),
                done * 100 / t
            ),
            _ => format!("{}: {:.0} MiB", self.label, mib(done)),
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
