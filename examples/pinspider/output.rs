//! Where results go: JSON lines to stdout or `--output FILE`, progress on stderr (an
//! indicatif bar on a terminal, plain log lines otherwise).

use crate::model::Record;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

/// The JSON-lines sink and the progress display.
pub struct Output {
    out: Box<dyn Write>,
    bar: Option<ProgressBar>,
    lines: usize,
}

impl Output {
    /// Writes to `path` (created or truncated), or stdout.
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let out: Box<dyn Write> = match path {
            Some(p) => Box::new(BufWriter::new(std::fs::File::create(p)?)),
            None => Box::new(std::io::stdout()),
        };
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} tasks {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Ok(Output { out, bar, lines: 0 })
    }

    /// Writes records as JSON lines (flushed, so a reader sees each result at once).
    pub fn records(&mut self, records: &[Record]) {
        for r in records {
            match serde_json::to_string(r) {
                Ok(line) => {
                    if let Err(e) = writeln!(self.out, "{line}") {
                        tracing::error!(error = %e, "cannot write output");
                    }
                    self.lines += 1;
                }
                Err(e) => tracing::error!(error = %e, "cannot serialize a record"),
            }
        }
        let _ = self.out.flush();
    }

    /// Shows progress: `done` of `total` tasks, after `what`.
    pub fn progress(&self, done: usize, total: usize, what: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(what.to_string());
            }
            None => tracing::info!(done, total, "{what}"),
        }
    }

    /// Ends the progress display and flushes.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        tracing::info!(lines = self.lines, "output complete");
        let _ = self.out.flush();
    }
}
