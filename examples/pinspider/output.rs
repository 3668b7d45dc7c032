//! Where results go: JSON lines to stdout or `--output FILE`, progress on stderr (an
//! indicatif bar on a terminal, plain log lines otherwise).
//!
//! The lines are written by a dedicated thread: the crawler actor only serializes a record
//! and queues the line, so a slow file system or a stdout pipe nobody reads never holds up
//! the actor's thread. The writer flushes whenever its queue runs dry (a reader sees each
//! batch of results at once) and at the end; [`Output::written`] resolves once it has.

use crate::model::Record;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// The JSON-lines sink and the progress display.
pub struct Output {
    /// Lines for the writer thread; `None` once [`finish`](Self::finish) ran.
    lines: Option<mpsc::Sender<String>>,
    /// Resolves when the writer thread has flushed everything and ended.
    written: Option<oneshot::Receiver<()>>,
    bar: Option<ProgressBar>,
    count: usize,
}

impl Output {
    /// Writes to `path` (created or truncated), or stdout.
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = match path {
            Some(p) => Box::new(std::fs::File::create(p)?),
            None => Box::new(std::io::stdout()),
        };
        let (lines, rx) = mpsc::channel();
        let (done_tx, written) = oneshot::channel();
        std::thread::Builder::new()
            .name("pinspider-output".into())
            .spawn(move || {
                if let Err(e) = write_lines(BufWriter::new(out), &rx) {
                    tracing::error!(error = %e, "cannot write output; later records are lost");
                }
                let _ = done_tx.send(());
            })?;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} tasks {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Ok(Output {
            lines: Some(lines),
            written: Some(written),
            bar,
            count: 0,
        })
    }

    /// Resolves when every record queued before [`finish`](Self::finish) (or before this
    /// `Output` was dropped) is written and flushed. Take it before handing the `Output`
    /// away; a second call resolves at once.
    pub fn written(&mut self) -> impl Future<Output = ()> + use<> {
        let rx = self.written.take();
        async move {
            if let Some(rx) = rx {
                let _ = rx.await;
            }
        }
    }

    /// Queues records as JSON lines for the writer thread (never blocks).
    pub fn records(&mut self, records: &[Record]) {
        for r in records {
            match serde_json::to_string(r) {
                Ok(line) => match &self.lines {
                    Some(lines) if lines.send(line).is_ok() => self.count += 1,
                    _ => tracing::error!("output closed: record dropped"),
                },
                Err(e) => tracing::error!(error = %e, "cannot serialize a record"),
            }
        }
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

    /// Ends the progress display and closes the output: the writer thread writes what is
    /// queued, flushes and ends (see [`written`](Self::written)).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if self.lines.take().is_some() {
            tracing::info!(lines = self.count, "output complete");
        }
    }
}

/// The writer thread: writes lines as they come, flushing whenever the queue is empty,
/// until every sender is gone.
fn write_lines(mut out: impl Write, lines: &mpsc::Receiver<String>) -> std::io::Result<()> {
    while let Ok(line) = lines.recv() {
        writeln!(out, "{line}")?;
        while let Ok(line) = lines.try_recv() {
            writeln!(out, "{line}")?;
        }
        out.flush()?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Profile;

    #[actix_rt::test]
    async fn records_reach_the_file_once_written_resolves() {
        let path =
            std::env::temp_dir().join(format!("pinspider-output-{}.jsonl", std::process::id()));
        let mut out = Output::open(Some(&path)).unwrap();
        let written = out.written();
        out.records(&[Record::Profile(Profile::default())]);
        out.records(&[
            Record::Profile(Profile::default()),
            Record::Profile(Profile::default()),
        ]);
        out.finish();
        // Records after the end are dropped, not written.
        out.records(&[Record::Profile(Profile::default())]);
        written.await;
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(text.lines().count(), 3, "{text}");
        for line in text.lines() {
            serde_json::from_str::<Record>(line).unwrap();
        }
    }

    #[test]
    fn the_writer_flushes_when_its_queue_runs_dry() {
        /// Remembers what had been written at each flush.
        #[derive(Default)]
        struct Probe {
            data: Vec<u8>,
            flushed: Vec<String>,
        }
        impl Write for Probe {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.data.extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.flushed
                    .push(String::from_utf8_lossy(&self.data).into_owned());
                Ok(())
            }
        }
        let (tx, rx) = mpsc::channel();
        tx.send("a".to_string()).unwrap();
        tx.send("b".to_string()).unwrap();
        drop(tx);
        let mut probe = Probe::default();
        write_lines(&mut probe, &rx).unwrap();
        // Both queued lines go out before the first flush; one more flush at the end.
        assert_eq!(probe.flushed, ["a\nb\n", "a\nb\n"]);
    }
}
