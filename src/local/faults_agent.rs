//! Agent faults for tests, driven from the [`LocalCluster`]: an agent restart with
//! checkpointing and the loss of an agent. Agents are numbered from 0, as their ids end
//! `-S<index>` (the HTTP path of agent `i` is `/slave(i+1)`).

use super::LocalCluster;
use crate::local::agent::{GoDown, LocalAgent, Lose, Recover};
use crate::local::config::LocalError;
use crate::local::master::RemoveAgent;
use actix::Addr;

impl LocalCluster {
    /// The agent numbered `index` (from 0).
    fn agent_at(&self, index: usize) -> Result<&Addr<LocalAgent>, LocalError> {
        self.agents
            .get(index)
            .ok_or(LocalError::UnknownAgent(index))
    }

    /// The number (from 0) of the agent with this id, as a task's
    /// `TaskStatus.agent_id` names it.
    pub fn agent_index(&self, agent_id: &str) -> Option<usize> {
        let (_, n) = agent_id.rsplit_once("-S")?;
        n.parse().ok().filter(|i| *i < self.agents.len())
    }

    /// Takes agent `index`'s process down, as a crash of a checkpointing Mesos agent:
    /// its executors and command tasks keep running, their subscriptions close, and until
    /// [`recover_agent`](Self::recover_agent) the agent answers executor calls `503`
    /// (so executors of frameworks with `checkpoint` set keep retrying, holding their
    /// unacknowledged updates), drops acknowledgements and holds what the master sends it.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), mesos_actix::local::LocalError> {
    /// use mesos_actix::local::{LocalCluster, LocalClusterConfig};
    /// let cluster = LocalCluster::start(LocalClusterConfig { agents: 2, ..Default::default() }).await?;
    /// // ... launch tasks ...
    /// cluster.crash_agent(0).await?; // executors keep running, their connections drop
    /// cluster.recover_agent(0).await?; // they re-subscribe with what the agent did not get
    /// cluster.remove_agent(1).await?; // its tasks become TASK_LOST / TASK_UNREACHABLE
    /// cluster.stop().await;
    /// # Ok(()) }
    /// ```
    pub async fn crash_agent(&self, index: usize) -> Result<(), LocalError> {
        self.agent_at(index)?
            .send(GoDown)
            .await
            .map_err(|e| LocalError::Config(e.to_string()))
    }

    /// Brings agent `index` back after [`crash_agent`](Self::crash_agent) with its
    /// checkpointed state: it resends every unacknowledged status update, takes the
    /// executors' re-subscriptions (their unacknowledged updates are processed, duplicates
    /// dropped; a task it handed over that the executor does not know ends TASK_LOST, or
    /// TASK_DROPPED for a PARTITION_AWARE framework, with `REASON_AGENT_RESTARTED`), and
    /// kills an executor that does not re-subscribe within
    /// [`executor_reregistration_timeout`](super::LocalClusterConfig::executor_reregistration_timeout).
    pub async fn recover_agent(&self, index: usize) -> Result<(), LocalError> {
        self.agent_at(index)?
            .send(Recover)
            .await
            .map_err(|e| LocalError::Config(e.to_string()))
    }

    /// [`crash_agent`](Self::crash_agent) then [`recover_agent`](Self::recover_agent): a
    /// restart of a checkpointing agent; no task is lost or launched again.
    pub async fn restart_agent(&self, index: usize) -> Result<(), LocalError> {
        self.crash_agent(index).await?;
        self.recover_agent(index).await
    }

    /// Loses agent `index` for good (its machine is gone): every process on it is killed
    /// and it reports nothing more; the master rescinds its offers, offers nothing of it
    /// again, tells each framework its tasks there are TASK_LOST (TASK_UNREACHABLE for a
    /// PARTITION_AWARE framework, which may see them again only by reconciliation) with
    /// `REASON_AGENT_REMOVED`, and sends a FAILURE naming the agent.
    pub async fn remove_agent(&self, index: usize) -> Result<(), LocalError> {
        self.agent_at(index)?
            .send(Lose)
            .await
            .map_err(|e| LocalError::Config(e.to_string()))?;
        self.master
            .send(RemoveAgent { agent: index + 1 })
            .await
            .map_err(|e| LocalError::Config(e.to_string()))
    }
}
