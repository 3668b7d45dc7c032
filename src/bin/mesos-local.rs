//! `mesos-local`: the embedded local cluster as a standalone server. It serves a master and
//! N agents on one port (the v1 scheduler API at `/api/v1/scheduler`, agents at
//! `/slave(N)/api/v1/executor`, `/state`, and a web page at `/`) until Ctrl-C.
//!
//! ```text
//! mesos-local --port 5050 --agents 2 --resources 'cpus:4;mem:4096;disk:10240;ports:[31000-32000]'
//! ```
//!
//! With `--zk zk://127.0.0.1:2181/mesos` it is one of several masters electing a leader
//! through ZooKeeper as Apache Mesos masters do (followers redirect schedulers to the
//! leader; state is not replicated, each keeps its own agents); it exits when it loses the
//! lead. With `--tls-cert` and `--tls-key` it serves HTTPS.

use clap::Parser;
use mesos_actix::local::{LocalCluster, LocalClusterConfig, default_resources};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// A single-process Mesos cluster speaking the v1 HTTP APIs.
#[derive(Parser, Debug)]
#[command(name = "mesos-local", version)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 5050)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
    /// Number of agents.
    #[arg(long, default_value_t = 1)]
    agents: usize,
    /// Resources of each agent, e.g. 'cpus:4;mem:4096;disk:10240;ports:[31000-32000]'
    /// (default: this machine's cpus and memory).
    #[arg(long)]
    resources: Option<String>,
    /// Attributes of each agent, e.g. 'rack:r1;zone:a'.
    #[arg(long, default_value = "")]
    attributes: String,
    /// Directory for the sandboxes (default: a temporary directory, removed on exit).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// JSON credentials file enabling HTTP Basic authentication of schedulers.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Seconds between scheduler heartbeats.
    #[arg(long, default_value_t = 15.0)]
    heartbeat_interval: f64,
    /// Host name this master and its agents report (and followers redirect to).
    #[arg(long, default_value = "localhost")]
    hostname: String,
    /// ZooKeeper group to elect a leader in, e.g. zk://127.0.0.1:2181/mesos (as Apache
    /// Mesos' --zk). State is not replicated between local masters.
    #[arg(long)]
    zk: Option<String>,
    /// Accepted for compatibility with Apache Mesos' --quorum (no replicated log here).
    #[arg(long)]
    quorum: Option<usize>,
    /// ZooKeeper session timeout in seconds (a dead leader is replaced after it).
    #[arg(long, default_value_t = 10.0)]
    zk_session_timeout: f64,
    /// PEM certificate chain: serve HTTPS (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

// jemalloc or mimalloc with the cargo feature of that name (README "Allocator").
mesos_actix::global_allocator!();

#[actix::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if !(args.heartbeat_interval.is_finite() && args.heartbeat_interval > 0.0) {
        eprintln!("mesos-local: --heartbeat-interval must be a positive number of seconds");
        std::process::exit(2);
    }
    if !(args.zk_session_timeout.is_finite() && args.zk_session_timeout > 0.0) {
        eprintln!("mesos-local: --zk-session-timeout must be a positive number of seconds");
        std::process::exit(2);
    }
    let config = LocalClusterConfig {
        bind: SocketAddr::new(args.ip, args.port),
        agents: args.agents,
        resources: args.resources.unwrap_or_else(default_resources),
        attributes: args.attributes,
        work_dir: args.work_dir,
        credentials: args.credentials,
        heartbeat_interval: Duration::from_secs_f64(args.heartbeat_interval),
        hostname: args.hostname,
        zk: args.zk,
        quorum: args.quorum,
        zk_session_timeout: Duration::from_secs_f64(args.zk_session_timeout),
        tls_certificate: args.tls_cert,
        tls_key: args.tls_key,
        ..Default::default()
    };
    let cluster = match LocalCluster::start(config).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mesos-local: {e}");
            std::process::exit(1);
        }
    };
    println!("mesos-local listening on {}", cluster.url());
    let _ = std::io::stdout().flush();
    let code = tokio::select! {
        _ = wait_for_signal() => 0,
        _ = cluster.lost_leadership() => {
            eprintln!("mesos-local: lost leadership, exiting (as Apache Mesos masters do)");
            1
        }
    };
    eprintln!("mesos-local: shutting down");
    cluster.stop().await;
    if code != 0 {
        std::process::exit(code);
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
