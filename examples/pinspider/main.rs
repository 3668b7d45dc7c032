//! # pinspider
//!
//! The example framework: crawls Pinterest-style user profiles and boards with two Mesos
//! executors, rebuilt on mesos-actix from the 2014 Java `mesos-pinspider`, as a polite,
//! robust crawler.
//!
//! ```text
//! pinspider [URL ...] [--master URL] [--demo] [--output FILE] [--max-users N] [--follow]
//!           [--rate PER_SEC] [--allow-private-network] [--encoding protobuf|json]
//!           [--config FILE] [--executor-uri URI]
//! pinspider executor --kind profile|boards        (launched by the agent)
//! ```
//!
//! `cargo run --example pinspider -- --demo` serves the bundled fixture site on loopback and
//! crawls it from `techcrunch`, following discovered users.
//!
//! | module | contents |
//! |---|---|
//! | `cli` | command line and settings (`pinspider.toml`, `PINSPIDER_*`) |
//! | `crawl` | the crawl queue, de-duplication and the summary (plain state) |
//! | `crawler` | the scheduler-side actor: updates and messages in, records out |
//! | `runtime_glue` | the only file that touches the scheduler and executor runtimes |
//! | `inproc` | runs tasks in-process (no cluster) with the same messages |
//! | `work` | what an executor does with a task |
//! | `fetch` | guarded, polite fetching (`netguard`, `robots`) |
//! | `extract` | page extraction (meta tags, embedded JSON, 2014 DOM) |
//! | `model` | payloads, results, JSON-lines records |
//! | `output` | JSON lines, progress |
//! | `demo`, `fixtures` | the bundled fixture site |

#![warn(missing_docs)]

mod cli;
mod crawl;
mod crawler;
mod demo;
mod extract;
mod fetch;
mod fixtures;
mod inproc;
mod model;
mod output;
mod runtime_glue;
mod work;

use actix::Actor;
use clap::Parser;
use cli::{Cli, Command, Settings};
use crawl::{Crawl, Summary};
use crawler::{Crawler, Submission};
use std::io::IsTerminal;
use tokio::sync::{mpsc, oneshot};
use url::Url;

/// Requests per second per host against the bundled demo site (at least).
const DEMO_RATE: f64 = 100.0;

// jemalloc or mimalloc with the cargo feature of that name (README "Allocator").
mesos_actix::global_allocator!();

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let code = match cli.command {
        Some(Command::Executor { kind }) => {
            actix_rt::System::new().block_on(runtime_glue::run_executor(kind))
        }
        None => actix_rt::System::new().block_on(run_scheduler(cli)),
    };
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Logs to stderr: `info` when stderr is not a terminal (the progress lines), `warn`
/// under the progress bar; `RUST_LOG` overrides.
fn init_tracing() {
    let default = if std::io::stderr().is_terminal() {
        "warn"
    } else {
        "info,actix_server=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}

/// The scheduler mode; returns the exit code (0: every user crawled; 1: a user failed;
/// 2: bad arguments).
async fn run_scheduler(cli: Cli) -> i32 {
    let settings = match Settings::load(&cli) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("pinspider: {e}");
            return 2;
        }
    };
    match crawl_with(&settings).await {
        Ok(summary) => {
            eprintln!("{summary}");
            summary.exit_code()
        }
        Err(e) => {
            eprintln!("pinspider: {e}");
            e.exit_code()
        }
    }
}

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
enum RunError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Glue(#[from] runtime_glue::GlueError),
}

impl RunError {
    fn exit_code(&self) -> i32 {
        match self {
            RunError::Usage(_) => 2,
            _ => 1,
        }
    }
}

/// Parses the seed URLs: http(s) profile URLs.
fn seeds(urls: &[String]) -> Result<Vec<Url>, RunError> {
    urls.iter()
        .map(|s| {
            let u =
                Url::parse(s).map_err(|e| RunError::Usage(format!("{s:?} is not a URL: {e}")))?;
            if !matches!(u.scheme(), "http" | "https") {
                return Err(RunError::Usage(format!(
                    "{s:?}: only http and https URLs are crawled"
                )));
            }
            if extract::username_of(&u).is_none() {
                return Err(RunError::Usage(format!(
                    "{s:?} is not a profile URL (expected https://www.pinterest.com/<username>/)"
                )));
            }
            Ok(u)
        })
        .collect()
}

/// Runs a whole crawl with `settings`.
async fn crawl_with(settings: &Settings) -> Result<Summary, RunError> {
    let demo = if settings.demo {
        let site = demo::DemoSite::start()?;
        eprintln!("pinspider: demo site at {}", site.base_url());
        Some(site)
    } else {
        None
    };
    let mut urls = settings.urls.clone();
    let mut follow = settings.follow;
    let mut fetch = settings.fetch_settings();
    if let Some(site) = &demo {
        if urls.is_empty() {
            urls.push(site.user_url(fixtures::USERS[0]));
            follow = true;
        }
        // Only the demo site's exact address is exempt from the private-network guard,
        // and the site is ours: no need to wait between requests.
        fetch.allow_addrs.push(site.addr);
        fetch.rate_per_sec = fetch.rate_per_sec.max(DEMO_RATE);
    }
    if urls.is_empty() {
        return Err(RunError::Usage("no profile URLs given (try --demo)".into()));
    }
    let crawl = Crawl::new(&seeds(&urls)?, settings.max_users, follow);
    let mut out = output::Output::open(settings.output.as_deref())?;
    let written = out.written();
    let (sub_tx, sub_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = oneshot::channel();
    let crawler = Crawler::new(crawl, out, fetch, sub_tx, done_tx).start();
    let summary = if settings.in_process {
        run_in_process(crawler, sub_rx, done_rx).await
    } else {
        runtime_glue::run_on_mesos(settings, crawler, sub_rx, done_rx).await
    };
    if summary.is_ok() {
        // The crawler closed the output before it sent the summary: wait for the writer
        // thread to flush the last records.
        written.await;
    }
    if let Some(site) = demo {
        site.stop().await;
    }
    Ok(summary?)
}

/// Feeds submissions to the in-process runner until the crawl is finished.
async fn run_in_process(
    crawler: actix::Addr<Crawler>,
    mut submissions: mpsc::UnboundedReceiver<Submission>,
    mut done: oneshot::Receiver<Summary>,
) -> Result<Summary, runtime_glue::GlueError> {
    let runner = inproc::InProcess::new(crawler.clone());
    loop {
        tokio::select! {
            Some(s) = submissions.recv() => runner.submit(s),
            Ok(()) = tokio::signal::ctrl_c() => crawler.do_send(crawler::Interrupt),
            summary = &mut done => return summary.map_err(|_| runtime_glue::GlueError::CrawlerGone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Record;

    fn settings(extra: &[&str], out: &std::path::Path) -> Settings {
        let mut args = vec![
            "pinspider",
            "--in-process",
            "--output",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Settings::load(&Cli::try_parse_from(args).unwrap()).unwrap()
    }

    fn records(path: &std::path::Path) -> Vec<Record> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[actix_rt::test]
    async fn demo_crawl_follows_every_bundled_user() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let summary = crawl_with(&settings(&["--demo", "--rate", "1000"], &out))
            .await
            .unwrap();
        assert_eq!(summary.exit_code(), 0, "{summary}");
        assert_eq!(summary.users, fixtures::USERS.len());
        assert_eq!(summary.users_ok, fixtures::USERS.len());
        let recs = records(&out);
        let mut profiles: Vec<String> = recs
            .iter()
            .filter_map(|r| match r {
                Record::Profile(p) => p.username.clone(),
                _ => None,
            })
            .collect();
        profiles.sort();
        let mut expected: Vec<String> = fixtures::USERS.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(profiles, expected, "each user exactly once");
        let boards = recs
            .iter()
            .filter(|r| matches!(r, Record::Board(_)))
            .count();
        assert_eq!(boards, 10);
        assert_eq!(summary.boards, 10);
        assert!(recs.iter().all(|r| r.error().is_none()));
        // Every result came twice (message, then update): the copies were dropped. The
        // last task's update arrives after the crawl is already finished.
        assert_eq!(summary.duplicates, 2 * fixtures::USERS.len() - 1);
    }

    #[actix_rt::test]
    async fn max_users_and_failures_set_the_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        let s = crawl_with(&settings(
            &["--demo", "--max-users", "2", "--rate", "1000"],
            &out,
        ))
        .await
        .unwrap();
        assert_eq!(s.users, 2);
        assert!(s.skipped_users > 0);
        assert_eq!(s.exit_code(), 0);
        // A missing user fails the run, without a crash.
        let site = demo::DemoSite::start().unwrap();
        let mut cfg = settings(&["--rate", "1000"], &out);
        cfg.urls = vec![site.user_url("techcrunch"), site.user_url("ghost")];
        cfg.allow_private_network = true;
        let s = crawl_with(&cfg).await.unwrap();
        assert_eq!(s.users, 2);
        assert_eq!(s.users_ok, 1);
        assert_eq!(s.exit_code(), 1);
        assert!(s.to_string().contains("404"), "{s}");
        let recs = records(&out);
        assert_eq!(recs.iter().filter(|r| r.error().is_some()).count(), 2);
        site.stop().await;
    }

    #[test]
    fn seed_urls_are_checked() {
        assert!(seeds(&["https://www.pinterest.com/techcrunch/".into()]).is_ok());
        for bad in [
            "ftp://x/u/",
            "not a url",
            "https://www.pinterest.com/",
            "https://www.pinterest.com/pin/1/",
        ] {
            assert!(
                matches!(seeds(&[bad.into()]), Err(RunError::Usage(_))),
                "{bad}"
            );
        }
    }
}
