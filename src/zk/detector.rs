//! [`LeaderDetector`]: follows the leading master of a ZooKeeper group the way Apache Mesos
//! lays it out, and publishes it as a `watch` of `Option<Leader>` beside a `watch` of its
//! [`ZkStatus`]. While ZooKeeper is unreachable the last leader stays published, the status
//! carries the error, and the detector retries with backoff.

use super::leader::{Leader, leader_node, parse_master_info};
use super::session::{Backoff, Wake, ZkError, ZkOptions, connect, next_wake, request, ride_out};
use super::url::ZkUrl;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zookeeper_client as zk;

/// How detection (or registration) is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkStatus {
    /// Setting up the first session.
    Connecting,
    /// Connected; the published value is current.
    Watching,
    /// Something failed: the last published value is kept while the detector retries.
    Failing {
        /// The latest failure.
        error: ZkError,
        /// Failures since the last success.
        failures: u32,
    },
}

/// A running detector; dropping it stops detection and closes its ZooKeeper session.
#[derive(Debug)]
pub struct LeaderDetector {
    leader: watch::Receiver<Option<Leader>>,
    status: watch::Receiver<ZkStatus>,
    task: JoinHandle<()>,
}

impl LeaderDetector {
    /// Starts detection on the current tokio runtime (actix's included).
    pub fn spawn(url: ZkUrl, options: ZkOptions) -> Self {
        let (leader_tx, leader) = watch::channel(None);
        let (status_tx, status) = watch::channel(ZkStatus::Connecting);
        let detection = Detection {
            url,
            options,
            leader: leader_tx,
            status: status_tx,
            failures: 0,
        };
        let task = tokio::spawn(detection.run());
        LeaderDetector {
            leader,
            status,
            task,
        }
    }

    /// The leader: `None` while none is known (no master registered, or its MasterInfo is
    /// unusable). Kept as it was while ZooKeeper is unreachable.
    pub fn leader(&self) -> watch::Receiver<Option<Leader>> {
        self.leader.clone()
    }

    /// How detection is doing.
    pub fn status(&self) -> watch::Receiver<ZkStatus> {
        self.status.clone()
    }
}

impl Drop for LeaderDetector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The detection task's state.
struct Detection {
    url: ZkUrl,
    options: ZkOptions,
    leader: watch::Sender<Option<Leader>>,
    status: watch::Sender<ZkStatus>,
    failures: u32,
}

impl Detection {
    async fn run(mut self) {
        let mut backoff = Backoff::new(&self.options);
        loop {
            let error = match connect(&self.url, &self.options).await {
                Ok(client) => self.follow(&client, &mut backoff).await,
                Err(error) => error,
            };
            self.fail(error);
            tokio::time::sleep(backoff.next_wait()).await;
        }
    }

    /// Follows the group through one session; returns why the session was given up.
    async fn follow(&mut self, client: &zk::Client, backoff: &mut Backoff) -> ZkError {
        let mut state = client.state_watcher();
        loop {
            let watcher = match self.observe(client).await {
                Ok(watcher) => watcher,
                Err(ZkError::Disconnected) => {
                    // The client reconnects by itself; look again once it has.
                    self.fail(ZkError::Disconnected);
                    match ride_out(client, &mut state).await {
                        Ok(()) => continue,
                        Err(error) => return error,
                    }
                }
                Err(error) => return error,
            };
            backoff.reset();
            if let Err(error) = self.wait_change(watcher, client, &mut state).await {
                return error;
            }
        }
    }

    /// Lists the group with a watch, publishes its leader and returns the watch. A group
    /// that does not exist yet has no leader; its creation is watched instead.
    async fn observe(&mut self, client: &zk::Client) -> Result<zk::OneshotWatcher, ZkError> {
        let group = self.url.path().to_string();
        loop {
            let listed = request(
                &self.options,
                &group,
                client.list_and_watch_children(&group),
            )
            .await;
            let (children, watcher) = match listed {
                Ok(found) => found,
                Err(ZkError::NoNode { .. }) => {
                    let watched =
                        request(&self.options, &group, client.check_and_watch_stat(&group));
                    let (stat, watcher) = watched.await?;
                    if stat.is_some() {
                        continue; // created meanwhile
                    }
                    self.publish(None);
                    return Ok(watcher);
                }
                Err(error) => return Err(error),
            };
            let Some((node, sequence)) = leader_node(&children) else {
                self.publish(None);
                return Ok(watcher);
            };
            let path = self.url.child_path(node);
            let data = match request(&self.options, &path, client.get_data(&path)).await {
                Ok((data, _)) => data,
                Err(ZkError::NoNode { .. }) => continue, // the leader left meanwhile
                Err(error) => return Err(error),
            };
            match parse_master_info(node, sequence, &data, self.options.scheme.as_str()) {
                Ok(leader) => self.publish(Some(leader)),
                Err(error) => {
                    self.leader
                        .send_if_modified(|current| current.take().is_some());
                    self.fail(ZkError::LeaderInfo {
                        node: node.to_string(),
                        error,
                    });
                }
            }
            return Ok(watcher);
        }
    }

    /// Waits until the group changes (`Ok`) or the session ends (`Err`). A lost connection
    /// is reported and waited out (up to the session timeout); once reconnected the group is
    /// looked at again, as events may have been missed meanwhile.
    async fn wait_change(
        &mut self,
        watcher: zk::OneshotWatcher,
        client: &zk::Client,
        state: &mut zk::StateWatcher,
    ) -> Result<(), ZkError> {
        match next_wake(watcher, state).await? {
            Wake::GroupChanged | Wake::Reconnected => Ok(()),
            Wake::Disconnected => {
                self.fail(ZkError::Disconnected);
                ride_out(client, state).await
            }
        }
    }

    /// Publishes the leader (only when it changed) and marks detection healthy, unless the
    /// leader's MasterInfo was the failure.
    fn publish(&mut self, leader: Option<Leader>) {
        super::publish_if_changed(&self.leader, leader);
        self.failures = 0;
        super::publish_if_changed(&self.status, ZkStatus::Watching);
    }

    fn fail(&mut self, error: ZkError) {
        self.failures = self.failures.saturating_add(1);
        tracing::warn!(zk = %self.url, %error, failures = self.failures, "ZooKeeper master detection");
        self.status.send_replace(ZkStatus::Failing {
            error,
            failures: self.failures,
        });
    }
}
