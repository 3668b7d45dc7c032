//! `LocalCluster`: starts the master, the agents and the HTTP front inside the caller's
//! actix system, and stops them.

use super::agent::LocalAgent;
use super::attributes::parse_attributes;
use super::config::{LocalClusterConfig, LocalError};
use super::http::{self, AppState, common::Credentials};
use super::leadership::Leadership;
use super::master::{LocalMaster, RegisterAgent};
use crate::proto::AgentInfo;
use crate::resources::Resources;
use crate::zk::{Role, ZkOptions, ZkUrl};
use actix::prelude::*;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

#[path = "faults_agent.rs"]
mod faults_agent;

/// A running local cluster: one master and `agents` agents behind one HTTP port.
pub struct LocalCluster {
    addr: SocketAddr,
    scheme: &'static str,
    leadership: Option<Arc<Leadership>>,
    master: Addr<LocalMaster>,
    agents: Vec<Addr<LocalAgent>>,
    server: actix_web::dev::ServerHandle,
    work_dir: PathBuf,
    temp_dir: bool,
    stopped: bool,
}

impl LocalCluster {
    /// Binds the HTTP port and starts the master and agents in the current actix system.
    pub async fn start(config: LocalClusterConfig) -> Result<LocalCluster, LocalError> {
        if config.agents == 0 {
            return Err(LocalError::Config("at least one agent is needed".into()));
        }
        for (name, d) in [
            ("heartbeat_interval", config.heartbeat_interval),
            ("allocation_interval", config.allocation_interval),
            (
                "executor_heartbeat_interval",
                config.executor_heartbeat_interval,
            ),
            ("status_update_backoff", config.status_update_backoff),
        ] {
            if d.is_zero() {
                return Err(LocalError::Config(format!("{name} must not be zero")));
            }
        }
        let zk_url = match &config.zk {
            Some(url) => Some(ZkUrl::parse(url).map_err(|e| LocalError::Zk(e.to_string()))?),
            None => None,
        };
        if config.quorum == Some(0) {
            return Err(LocalError::Config("quorum must be at least 1".into()));
        }
        if config.zk_session_timeout.is_zero() {
            return Err(LocalError::Config(
                "zk_session_timeout must not be zero".into(),
            ));
        }
        let tls = match (&config.tls_certificate, &config.tls_key) {
            (Some(certificate), Some(key)) => Some(super::tls::server_config(certificate, key)?),
            (None, None) => None,
            _ => {
                return Err(LocalError::Config(
                    "TLS needs both a certificate and a key".into(),
                ));
            }
        };
        let parsed = crate::resources::parse(&config.resources)
            .map_err(|e| LocalError::Resources(e.to_string()))?;
        let resources = Resources::unreserved(&parsed.to_proto());
        let attributes = parse_attributes(&config.attributes).map_err(LocalError::Resources)?;
        let credentials = match &config.credentials {
            Some(path) => Some(Arc::new(Credentials::load(path)?)),
            None => None,
        };
        let listener = TcpListener::bind(config.bind)?;
        let addr = listener.local_addr()?;
        let (work_dir, temp_dir) = match &config.work_dir {
            Some(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                (dir.clone(), false)
            }
            None => (
                tokio::task::spawn_blocking(super::work_dir::create_temp)
                    .await
                    .map_err(std::io::Error::other)??,
                true,
            ),
        };
        // Removes the temporary directory again if the start fails from here on.
        let guard = super::work_dir::Guard::new(temp_dir.then(|| work_dir.clone()));
        let config = Arc::new(config);
        let master = LocalMaster::new(config.clone(), addr);
        let agent_id = |i: usize| master.agent_id_for(i);
        let agent_ids: Vec<String> = (1..=config.agents).map(agent_id).collect();
        let leadership = zk_url.map(|url| {
            let options = ZkOptions {
                session_timeout: config.zk_session_timeout,
                ..ZkOptions::default()
            };
            Arc::new(Leadership::start(url, &master.info, options))
        });
        let master = master.start();
        let endpoint = format!("{}:{}", addr.ip(), addr.port());
        let mut agents = Vec::new();
        for (i, id) in agent_ids.into_iter().enumerate() {
            let index = i + 1;
            let info = AgentInfo {
                hostname: config.hostname.clone(),
                port: Some(i32::from(addr.port())),
                resources: resources.to_proto(),
                attributes: attributes.clone(),
                id: Some(id.as_str().into()),
                domain: None,
            };
            let agent = LocalAgent::new(
                index,
                info.clone(),
                endpoint.clone(),
                master.clone(),
                config.clone(),
                work_dir.clone(),
            )
            .start();
            master
                .send(RegisterAgent {
                    addr: agent.clone(),
                    info,
                    pid: format!("slave({index})@{endpoint}"),
                })
                .await
                .map_err(|e| LocalError::Config(e.to_string()))?;
            agents.push(agent);
        }
        let state = AppState {
            master: master.clone(),
            agents: agents.clone(),
            credentials,
            addr,
            hostname: config.hostname.clone(),
            leadership: leadership.clone(),
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let server = http::serve(listener, state, config.max_request_bytes, tls)?;
        guard.disarm();
        tracing::info!(url = %format!("{scheme}://{addr}"), agents = config.agents, zk = ?config.zk, "local cluster started");
        Ok(LocalCluster {
            addr,
            scheme,
            leadership,
            master,
            agents,
            server,
            work_dir,
            temp_dir,
            stopped: false,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Whether this master leads: always when standalone; behind ZooKeeper (`zk`) while its
    /// group node has the lowest sequence.
    pub fn is_leader(&self) -> bool {
        self.leadership.as_ref().is_none_or(|l| l.is_leader())
    }

    /// Resolves when this master, behind ZooKeeper, has led and then lost the lead (its
    /// session expired): Apache Mesos masters exit then, and `mesos-local` does too. Never
    /// resolves for a standalone master or one that never led.
    pub async fn lost_leadership(&self) {
        let Some(mut role) = self.leadership.as_ref().map(|l| l.role()) else {
            return std::future::pending().await;
        };
        let mut led = false;
        loop {
            let leading = matches!(*role.borrow_and_update(), Role::Leader { .. });
            if leading {
                led = true;
            } else if led {
                return;
            }
            if role.changed().await.is_err() {
                if led {
                    return;
                }
                return std::future::pending().await;
            }
        }
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The root of the agents' sandboxes.
    pub fn work_dir(&self) -> &std::path::Path {
        &self.work_dir
    }

    /// The `/state` document, without going through HTTP.
    pub async fn state(&self) -> serde_json::Value {
        self.master
            .send(super::master::GetState)
            .await
            .unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT/api/v1/scheduler`.
    pub fn scheduler_url(&self) -> String {
        format!("{}/api/v1/scheduler", self.url())
    }

    /// The master actor (for the fault controls in `faults_master.rs`).
    pub(super) fn master_actor(&self) -> &Addr<LocalMaster> {
        &self.master
    }

    /// Stops the HTTP front, kills every executor and task process, stops the actors and
    /// removes the temporary work directory. (Dropping the cluster without `stop` does the
    /// same in the background, when inside an actix system; the temporary work directory
    /// is removed during the drop itself, so it is gone even when the process exits next.
    /// One never stopped nor dropped is removed when the process exits.)
    pub async fn stop(mut self) {
        self.stopped = true;
        if let Some(leadership) = &self.leadership {
            leadership.close();
        }
        self.server.stop(false).await;
        for agent in &self.agents {
            let stopped = agent.send(super::agent::Stop).await;
            if stopped.is_err() {
                tracing::debug!("agent already stopped");
            }
        }
        let _ = self.master.send(super::master::StopMaster).await;
        if self.temp_dir {
            let dir = self.work_dir.clone();
            let _ = tokio::task::spawn_blocking(move || super::work_dir::remove(&dir)).await;
        }
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        if let Some(leadership) = &self.leadership {
            leadership.close();
        }
        for agent in &self.agents {
            agent.do_send(super::agent::Stop);
        }
        self.master.do_send(super::master::StopMaster);
        // The stop command is sent when `stop` is called; its completion need not be awaited.
        drop(self.server.stop(false));
        if self.temp_dir {
            // Right here: the process may be exiting, and a task handed to the runtime
            // would never run. Once the agents have stopped (their processes killed, so
            // nothing writes a sandbox any more) it is removed again, in case a process
            // recreated part of it meanwhile.
            super::work_dir::remove(&self.work_dir);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let agents = self.agents.clone();
                let dir = self.work_dir.clone();
                runtime.spawn(async move {
                    for agent in agents {
                        let _ = agent.send(super::agent::Stop).await;
                    }
                    let _ =
                        tokio::task::spawn_blocking(move || super::work_dir::remove(&dir)).await;
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::tcp::probe::nodelay_of_accepted;
    use std::time::{Duration, Instant};

    /// Set (to the mode) in the child process of the `work_dir_*` tests.
    const CHILD: &str = "MESOS_ACTIX_TEST_DROP_CHILD";

    fn small() -> LocalClusterConfig {
        LocalClusterConfig {
            resources: "cpus:1;mem:128".into(),
            ..Default::default()
        }
    }

    /// Polls until `dir` is gone, for at most 30 s; answers whether it went.
    fn gone_within_bound(dir: &std::path::Path) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while dir.exists() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    #[actix_rt::test]
    async fn dropped_cluster_removes_its_work_dir() {
        let cluster = LocalCluster::start(small()).await.expect("cluster starts");
        let dir = cluster.work_dir().to_path_buf();
        assert!(dir.exists());
        drop(cluster);
        assert!(gone_within_bound(&dir), "{} left behind", dir.display());
    }

    /// The child half of the `work_dir_*` tests (does nothing on its own): starts a
    /// cluster, prints its work directory, then, as `CHILD` says, drops it and returns
    /// (the process exits right after), exits without dropping it, or waits to be killed.
    #[actix_rt::test]
    async fn work_dir_child() {
        let Some(mode) = std::env::var_os(CHILD) else {
            return;
        };
        let cluster = LocalCluster::start(small()).await.expect("cluster starts");
        println!("\nWORK_DIR={}", cluster.work_dir().display());
        match mode.to_str() {
            Some("drop") => drop(cluster),
            Some("exit") => {
                std::mem::forget(cluster);
                std::process::exit(0);
            }
            _ => std::future::pending::<()>().await,
        }
    }

    /// Runs `work_dir_child` in `mode` in a new process; answers the process and the work
    /// directory it printed.
    fn child(mode: &str) -> (std::process::Child, PathBuf) {
        use std::io::BufRead;
        let exe = std::env::current_exe().expect("test binary");
        let mut child = std::process::Command::new(exe)
            .args(["--exact", "local::cluster::tests::work_dir_child"])
            .args(["--nocapture", "--test-threads", "1"])
            .env(CHILD, mode)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("child runs");
        let stdout = child.stdout.take().expect("child stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        let dir = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("WORK_DIR=").map(PathBuf::from))
            .expect("the child printed its work directory");
        // Keep reading: the child must not die of a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        (child, dir)
    }

    /// A process that drops its cluster and exits right away (no `stop`) leaves no
    /// `mesos-local-*` directory behind.
    #[test]
    fn work_dir_gone_after_drop_and_exit() {
        let (mut child, dir) = child("drop");
        assert!(child.wait().expect("child ends").success());
        assert!(gone_within_bound(&dir), "{} left behind", dir.display());
    }

    /// Nor does one that exits without dropping it.
    #[test]
    fn work_dir_gone_after_exit_without_drop() {
        let (mut child, dir) = child("exit");
        assert!(child.wait().expect("child ends").success());
        assert!(gone_within_bound(&dir), "{} left behind", dir.display());
    }

    /// The directory of a process killed outright is swept by the next cluster started.
    #[actix_rt::test]
    async fn work_dir_of_a_killed_process_is_swept_by_the_next_start() {
        let (mut child, dir) = child("hang");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        assert!(dir.exists(), "a killed process cannot clean up");
        let cluster = LocalCluster::start(small()).await.expect("cluster starts");
        cluster.stop().await;
        assert!(gone_within_bound(&dir), "{} left behind", dir.display());
    }

    #[actix_rt::test]
    async fn accepted_sockets_have_nodelay() {
        let cluster = LocalCluster::start(small()).await.expect("cluster starts");
        let addr = cluster.addr();
        let nodelay = tokio::task::spawn_blocking(move || nodelay_of_accepted(addr, "/health"))
            .await
            .expect("probe thread");
        cluster.stop().await;
        assert_eq!(nodelay, Some(true));
    }
}
