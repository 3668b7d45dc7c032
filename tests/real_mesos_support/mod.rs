//! A real Apache Mesos 1.11.0 master and agent for tests: `RealMesos::start()` runs
//! `scripts/real-mesos/start.sh --foreground` (which first runs `setup.sh`: it downloads the
//! PyPI artifact carrying libmesos and the Debian libraries it needs, and builds our launchers,
//! all cached under `target/real-mesos`), waits for the master's `/state` to show one
//! activated agent, and stops both (and their executors) on drop. The master and the agent
//! are separate processes on free loopback ports.
//!
//! Nothing here uses the library: tests talk to the cluster through the examples' command
//! lines and plain HTTP. If the artifact cannot be fetched or the cluster does not start,
//! `start` panics with the scripts' own reason: these tests never pass silently.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bound on waits for the cluster's state to reach what a test expects.
pub const WAIT: Duration = Duration::from_secs(60);

/// Options for `RealMesos::start_with`.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Installed as `mesos-executor` (the command executor) in the agent's launcher directory.
    pub command_executor: Option<PathBuf>,
    /// The agent's resources (start.sh's default when `None`).
    pub resources: Option<String>,
    /// Extra `MESOS_*` variables for the master, e.g. `("MESOS_ALLOCATION_INTERVAL", "100ms")`.
    pub master_env: Vec<(String, String)>,
    /// Extra `MESOS_*` variables for the agent (its executors do not see them).
    pub agent_env: Vec<(String, String)>,
}

/// A running master and agent; both are stopped when this is dropped, and their run directory
/// removed unless the test is failing.
pub struct RealMesos {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
    /// The master's `host:port`.
    pub master: String,
    /// The agent's `host:port`.
    pub agent: String,
    /// Work directories and logs (`master.log`, `agent.log`).
    pub run_dir: PathBuf,
    /// From start.sh's start to one activated agent, as start.sh measured it.
    pub ready_ms: u64,
    /// From `start` to ready, setup included.
    pub elapsed: Duration,
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("real-mesos")
        .join(name)
}

impl Options {
    /// Our `mesos-command-executor` as the agent's command executor, and a master that
    /// allocates every 100 ms.
    pub fn with_our_command_executor() -> Options {
        Options {
            command_executor: Some(PathBuf::from(env!("CARGO_BIN_EXE_mesos-command-executor"))),
            ..Options::fast_allocation()
        }
    }

    /// A master that allocates every 100 ms.
    pub fn fast_allocation() -> Options {
        Options {
            master_env: vec![("MESOS_ALLOCATION_INTERVAL".into(), "100ms".into())],
            ..Options::default()
        }
    }
}

impl RealMesos {
    /// Starts a master and an agent with the default options.
    pub fn start() -> RealMesos {
        RealMesos::start_with(Options::default())
    }

    /// Starts a master and an agent; panics with the scripts' output if that fails.
    pub fn start_with(options: Options) -> RealMesos {
        let started = Instant::now();
        let mut command = Command::new("bash");
        command.arg(script("start.sh")).arg("--foreground");
        if let Some(path) = &options.command_executor {
            command.arg("--executor").arg(path);
        }
        if let Some(resources) = &options.resources {
            command.arg("--resources").arg(resources);
        }
        for (key, value) in &options.master_env {
            command.arg("--master-env").arg(format!("{key}={value}"));
        }
        for (key, value) in &options.agent_env {
            command.arg("--agent-env").arg(format!("{key}={value}"));
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run scripts/real-mesos/start.sh: {e}"));
        let stdin = child.stdin.take();
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_reader = child.stderr.take().map(|pipe| {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut text) = sink.lock() {
                        text.push_str(&line);
                        text.push('\n');
                    }
                }
            })
        });
        let mut vars = HashMap::new();
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some((key, value)) = line.split_once('=') {
                    vars.insert(key.to_string(), value.to_string());
                }
                if line.starts_with("REAL_MESOS_READY_MS=") {
                    break;
                }
            }
        }
        let mut cluster = RealMesos {
            child,
            stdin,
            stderr,
            stderr_reader,
            master: vars.get("REAL_MESOS_MASTER").cloned().unwrap_or_default(),
            agent: vars.get("REAL_MESOS_AGENT").cloned().unwrap_or_default(),
            run_dir: PathBuf::from(vars.get("REAL_MESOS_RUN_DIR").cloned().unwrap_or_default()),
            ready_ms: vars
                .get("REAL_MESOS_READY_MS")
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(0),
            elapsed: started.elapsed(),
        };
        if cluster.master.is_empty() || cluster.agent.is_empty() {
            let status = cluster.child.wait();
            if let Some(reader) = cluster.stderr_reader.take() {
                let _ = reader.join();
            }
            panic!(
                "the real Mesos master and agent did not start ({status:?}):\n{}",
                cluster.stderr_text()
            );
        }
        eprintln!(
            "real mesos: master {} agent {} ready in {} ms ({} ms with setup), run dir {}",
            cluster.master,
            cluster.agent,
            cluster.ready_ms,
            cluster.elapsed.as_millis(),
            cluster.run_dir.display()
        );
        cluster
    }

    /// `http://host:port` of the master.
    pub fn master_url(&self) -> String {
        format!("http://{}", self.master)
    }

    /// What start.sh and setup.sh wrote to stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// The last `lines` lines of the master's and the agent's logs, for failure messages.
    pub fn log_tails(&self, lines: usize) -> String {
        let mut out = String::new();
        for name in ["master.log", "agent.log"] {
            let text = std::fs::read_to_string(self.run_dir.join(name)).unwrap_or_default();
            let all: Vec<&str> = text.lines().collect();
            out.push_str(&format!("---- {name} (tail) ----\n"));
            for line in &all[all.len().saturating_sub(lines)..] {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// GET `path` from the master, as JSON.
    pub fn master_json(&self, path: &str) -> serde_json::Value {
        get_json(&self.master, path)
            .unwrap_or_else(|e| panic!("GET {path} from the master: {e}\n{}", self.log_tails(30)))
    }

    /// GET `path` from the agent, as JSON.
    pub fn agent_json(&self, path: &str) -> serde_json::Value {
        get_json(&self.agent, path)
            .unwrap_or_else(|e| panic!("GET {path} from the agent: {e}\n{}", self.log_tails(30)))
    }

    /// Polls the master's `/state` until `done` holds (bounded by `WAIT`); returns that state.
    pub fn wait_state(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let state = self.master_json("/state");
            if done(&state) {
                return state;
            }
            if Instant::now() > deadline {
                panic!(
                    "the master's /state never showed {what} within {WAIT:?}; last state:\n{}\n{}",
                    serde_json::to_string_pretty(&state).unwrap_or_default(),
                    self.log_tails(40)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl RealMesos {
    /// Runs the example `program` against this master with `args` (after `--master URL`;
    /// `MESOS_MASTER` removed) and returns its stdout and stderr; panics with both and the
    /// logs' tails unless it exits 0.
    pub fn run_example(&self, program: &Path, args: &[&str]) -> (String, String) {
        let out = Command::new(program)
            .args(["--master", &self.master_url()])
            .args(args)
            .env_remove("MESOS_MASTER")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "{} {args:?} exited with {:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n{}",
            program.display(),
            out.status,
            self.log_tails(40)
        );
        (stdout, stderr)
    }
}

impl Drop for RealMesos {
    /// Closing start.sh's stdin makes it stop the agent, the master and their executors.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
        // Logs and sandboxes stay for a failed test to be read.
        if !std::thread::panicking() && !self.run_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.run_dir);
        }
    }
}

/// Every task the master knows of (active and completed frameworks, running and completed
/// tasks), as (framework name, task id, state).
pub fn all_tasks(state: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut tasks = Vec::new();
    for list in ["frameworks", "completed_frameworks"] {
        for framework in state[list].as_array().into_iter().flatten() {
            let name = framework["name"].as_str().unwrap_or_default().to_string();
            for key in ["tasks", "completed_tasks", "unreachable_tasks"] {
                for task in framework[key].as_array().into_iter().flatten() {
                    tasks.push((
                        name.clone(),
                        task["id"].as_str().unwrap_or_default().to_string(),
                        task["state"].as_str().unwrap_or_default().to_string(),
                    ));
                }
            }
        }
    }
    tasks
}

/// The tasks of the frameworks named `name` the master knows, as (task id, state), and
/// whether any such framework is still active.
pub fn tasks_of(state: &serde_json::Value, name: &str) -> (Vec<(String, String)>, bool) {
    let tasks = all_tasks(state)
        .into_iter()
        .filter(|(framework, _, _)| framework == name)
        .map(|(_, id, state)| (id, state))
        .collect();
    let active = state["frameworks"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["name"] == name);
    (tasks, active)
}

/// A plain HTTP/1.1 GET (one request, `Connection: close`), body parsed as JSON.
pub fn get_json(address: &str, path: &str) -> Result<serde_json::Value, String> {
    let body = http_get(address, path)?;
    serde_json::from_slice(&body).map_err(|e| {
        format!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )
    })
}

/// A plain HTTP/1.1 GET; returns the body of a 200 answer (chunked or not).
pub fn http_get(address: &str, path: &str) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let body = &raw[split + 4..];
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        return Err(format!("answer {status}"));
    }
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        dechunk(body)
    } else {
        Ok(body.to_vec())
    }
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]).to_string();
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|e| format!("chunk size: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// The path of an example binary built next to this test binary (`cargo build --example NAME`
/// builds it; `cargo test` builds all examples before running tests).
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join(name))
        .unwrap_or_default();
    assert!(
        path.exists(),
        "{} not built (run `cargo build --example {name}`)",
        path.display()
    );
    path
}
