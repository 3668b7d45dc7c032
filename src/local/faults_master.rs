//! Master faults on demand, for tests of frameworks (the crate's own fault suite and
//! users' tests alike): a master restart with its state lost, and a one-way partition of
//! the master's event streams.

use super::cluster::LocalCluster;
use super::master::{PartitionEvents, RestartMaster};

impl LocalCluster {
    /// Restarts the master on the same port with its state lost, as an Apache Mesos master
    /// failover does: every framework's subscription stream ends, and the frameworks,
    /// offers, tasks, executors and decline filters the master knew are forgotten. The
    /// master comes back with a new id. The agents and their executors keep running; each
    /// agent re-registers and re-reports the frameworks, executors and tasks it has (live
    /// tasks, and terminal ones whose update is not acknowledged yet). Until an agent has
    /// re-registered it offers nothing, and explicit reconciliation of tasks that may be on
    /// it is not answered (Mesos's "recovered" agents), so a framework's reconciliation
    /// retries until it hears of every task.
    ///
    /// Frameworks re-subscribe with their framework id; the master accepts an id it does
    /// not know, as after a real failover. Resolves once the master has restarted (the
    /// agents re-register right after).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), mesos_actix::local::LocalError> {
    /// use mesos_actix::local::{LocalCluster, LocalClusterConfig};
    /// let cluster = LocalCluster::start(LocalClusterConfig::default()).await?;
    /// // ... a framework runs tasks ...
    /// cluster.restart_master().await;
    /// // ... the framework re-subscribes, reconciles, and carries on ...
    /// cluster.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn restart_master(&self) {
        if self.master_actor().send(RestartMaster).await.is_err() {
            tracing::debug!("restart_master: the master is stopped");
        }
    }

    /// Cuts the event streams master → framework one way: the current subscription stream
    /// of `framework_id` (of every subscribed framework when `None`) stays open but carries
    /// nothing more — no heartbeats, offers, updates or other events — while the master
    /// keeps accepting the framework's calls. The partition is of those connections: a new
    /// SUBSCRIBE gets a working stream. A framework should notice the missing heartbeats,
    /// close the stream and re-subscribe. Answers how many streams were cut.
    ///
    /// ```no_run
    /// # async fn demo(cluster: mesos_actix::local::LocalCluster) {
    /// let cut = cluster.partition_events(None).await;
    /// assert_eq!(cut, 1, "one framework was subscribed");
    /// # }
    /// ```
    pub async fn partition_events(&self, framework_id: Option<&str>) -> usize {
        let framework_id = framework_id.map(str::to_owned);
        self.master_actor()
            .send(PartitionEvents { framework_id })
            .await
            .unwrap_or(0)
    }
}
