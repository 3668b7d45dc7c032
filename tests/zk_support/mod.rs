//! A real ZooKeeper for tests: Debian's `zookeeper` package (installed by
//! `scripts/zookeeper.sh install` when missing) run as a standalone loopback server on a free
//! port with its data in a temp dir. Start, stop and restart it; write master nodes the way
//! Apache Mesos masters do. Anything that keeps the server from starting fails the test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::watch;
use zookeeper_client as zk;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

/// Bound on every wait of these tests (generous: the JVM starts slowly on a busy machine).
pub const WAIT: Duration = Duration::from_secs(60);

/// A running (or stopped) ZooKeeper server.
pub struct ZkServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl ZkServer {
    /// Installs ZooKeeper if needed, then starts a server on a free loopback port.
    pub async fn start() -> ZkServer {
        ensure_installed();
        let dir = tempfile::tempdir().expect("temp dir for ZooKeeper");
        let port = free_port();
        let output = Command::new(script())
            .arg("config")
            .arg(dir.path())
            .arg(port.to_string())
            .output()
            .expect("run scripts/zookeeper.sh config");
        assert!(output.status.success(), "zookeeper.sh config: {output:?}");
        let config = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let mut server = ZkServer {
            child: None,
            port,
            dir,
            config,
        };
        server.restart().await;
        server
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` for clients.
    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `zk://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("zk://127.0.0.1:{}{path}", self.port)
    }

    /// `zk://user:password@127.0.0.1:PORT{path}`.
    pub fn url_with(&self, user: &str, password: &str, path: &str) -> String {
        format!("zk://{user}:{password}@127.0.0.1:{}{path}", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data, and waits until it answers.
    pub async fn restart(&mut self) {
        self.stop();
        let log = std::fs::File::create(self.dir.path().join("server.log")).expect("log file");
        let child = Command::new(script())
            .arg("run")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("spawn scripts/zookeeper.sh run");
        self.child = Some(child);
        self.wait_serving().await;
    }

    async fn wait_serving(&mut self) {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut child = self.child.take();
        let serving = wait::poll_within(WAIT, || {
            let exited = child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            std::future::ready(match exited {
                Some(status) => Some(Err(status)),
                None => srvr_answers(address).then_some(Ok(())),
            })
        })
        .await;
        self.child = child;
        match serving {
            Some(Ok(())) => {}
            Some(Err(status)) => panic!(
                "ZooKeeper exited ({status}) before serving; log:\n{}",
                self.log()
            ),
            None => panic!(
                "ZooKeeper did not serve within {WAIT:?}; log:\n{}",
                self.log()
            ),
        }
    }

    /// The server's console output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A plain client session (no credentials).
    pub async fn client(&self) -> zk::Client {
        self.client_with(None).await
    }

    /// A client session, with `user:password` digest credentials if given; short session
    /// timeout so that a lost "master" disappears quickly.
    pub async fn client_with(&self, digest: Option<&str>) -> zk::Client {
        let mut connector = zk::Client::connector().with_session_timeout(Duration::from_secs(2));
        if let Some(digest) = digest {
            connector = connector.with_auth("digest", digest.as_bytes());
        }
        tokio::time::timeout(WAIT, connector.connect(&self.connect_string()))
            .await
            .expect("ZooKeeper client connect timed out")
            .expect("ZooKeeper client connect")
    }
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A stand-in Apache Mesos master: its own session holding an ephemeral sequential
/// `json.info_` node with a MasterInfo like a native 1.11 master writes. Dropping it ends the
/// session, as a killed master's does.
pub struct FakeMesosMaster {
    /// Its session.
    pub client: zk::Client,
    /// Its node's full path.
    pub path: String,
    /// Its node's name.
    pub node: String,
}

/// The MasterInfo JSON a native 1.11 master at 127.0.0.1:`port` writes.
pub fn master_info_json(port: u16) -> String {
    format!(
        r#"{{"address":{{"hostname":"localhost","ip":"127.0.0.1","port":{port}}},"capabilities":[{{"type":"AGENT_UPDATE"}},{{"type":"AGENT_DRAINING"}},{{"type":"QUOTA_V2"}}],"hostname":"localhost","id":"master-{port}","ip":16777343,"pid":"master@127.0.0.1:{port}","port":{port},"version":"1.11.1"}}"#
    )
}

impl FakeMesosMaster {
    /// Registers a master at 127.0.0.1:`port` in `group` (created if missing).
    pub async fn register(server: &ZkServer, group: &str, port: u16) -> FakeMesosMaster {
        let client = server.client().await;
        let data = master_info_json(port);
        Self::register_data(client, group, data.as_bytes(), zk::Acls::anyone_all()).await
    }

    /// Registers `data` in `group` through `client` with `acls` on both.
    pub async fn register_data(
        client: zk::Client,
        group: &str,
        data: &[u8],
        acls: zk::Acls<'static>,
    ) -> FakeMesosMaster {
        let persistent = zk::CreateMode::Persistent.with_acls(acls);
        client.mkdir(group, &persistent).await.expect("mkdir group");
        let ephemeral = zk::CreateMode::EphemeralSequential.with_acls(acls);
        let prefix = format!("{group}/json.info_");
        let (_, sequence) = client
            .create(&prefix, data, &ephemeral)
            .await
            .expect("create json.info_ node");
        let node = format!("json.info_{sequence}");
        FakeMesosMaster {
            client,
            path: format!("{group}/{node}"),
            node,
        }
    }
}

/// Waits (bounded by [`WAIT`]) until the watched value satisfies `ok`, and returns it.
pub async fn wait_for<T: Clone + std::fmt::Debug>(
    receiver: &mut watch::Receiver<T>,
    what: &str,
    ok: impl FnMut(&T) -> bool,
) -> T {
    let seen = match tokio::time::timeout(WAIT, receiver.wait_for(ok)).await {
        Ok(Ok(value)) => Some(value.clone()),
        Ok(Err(_)) => panic!("{what}: the sender is gone"),
        Err(_) => None,
    };
    seen.unwrap_or_else(|| {
        panic!(
            "{what}: not seen within {WAIT:?}; last value {:?}",
            *receiver.borrow()
        )
    })
}

/// A `mesos-local --zk` child process (one agent, quorum 2, 2 s ZooKeeper sessions),
/// killed when dropped.
pub struct LocalMasterProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`, as it printed it.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl LocalMasterProcess {
    /// Spawns `mesos-local` on a free port with one agent of `resources`, its masters
    /// group at `zk` (`zk://host:port/path`), and waits for its `listening on` line.
    pub fn start(zk: &str, resources: &str) -> LocalMasterProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mesos-local"))
            .args(["--port", "0", "--agents", "1", "--resources", resources])
            .args(["--zk", zk, "--quorum", "2", "--zk-session-timeout", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mesos-local");
        let stdout = child.stdout.take().expect("stdout piped");
        let line = BufReader::new(stdout)
            .lines()
            .next()
            .and_then(Result::ok)
            .unwrap_or_default();
        let url = line
            .strip_prefix("mesos-local listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL");
        LocalMasterProcess { child, url, port }
    }

    /// Kills it (SIGKILL: its ZooKeeper session expires rather than closes) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalMasterProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits (bounded by `limit`) for `child` to exit and returns its status; kills it and
/// panics naming `what` when it does not.
pub async fn exit_status(child: &mut Child, what: &str, limit: Duration) -> ExitStatus {
    let status = wait::poll_within(limit, || {
        std::future::ready(child.try_wait().expect("wait on a child process"))
    })
    .await;
    status.unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{what} did not exit within {limit:?}");
    })
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/zookeeper.sh")
}

fn ensure_installed() {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        let output = Command::new(script())
            .arg("install")
            .output()
            .map_err(|e| format!("cannot run scripts/zookeeper.sh: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "scripts/zookeeper.sh install failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    if let Err(message) = result {
        panic!("{message}");
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// Whether a server on `address` answers the `srvr` four-letter command (enabled by default).
fn srvr_answers(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"srvr").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.take(4096).read_to_string(&mut answer);
    answer.contains("Mode:")
}
