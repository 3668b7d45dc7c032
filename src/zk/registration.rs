//! [`Registration`]: a master's membership in a ZooKeeper group, laid out as Apache Mesos
//! masters do (an ephemeral sequential `json.info_<seq>` node holding the MasterInfo JSON),
//! and whether it leads (its node has the lowest sequence). The node lives as long as the
//! session: a lost session (or the node deleted) registers again, at the back of the line.

use super::detector::ZkStatus;
use super::leader::{MASTER_NODE_PREFIX, leader_node};
use super::session::{Backoff, Wake, ZkError, ZkOptions, connect, next_wake, request, ride_out};
use super::url::ZkUrl;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use zookeeper_client as zk;

/// Anyone reads, the creator (by its digest credentials) does everything: the ACL Apache
/// Mesos puts on its nodes when given credentials.
static EVERYONE_READ_CREATOR_ALL: [zk::Acl; 2] = [
    zk::Acl::new_const(zk::Permission::READ, "world", "anyone"),
    zk::Acl::new_const(zk::Permission::ALL, "auth", ""),
];

/// Where this member stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Not (or no longer) in the group: registering.
    Registering,
    /// Our node has the lowest sequence: we lead.
    Leader {
        /// Our node, for example `json.info_0000000004`.
        node: String,
    },
    /// Another member leads.
    Follower {
        /// Our node.
        node: String,
        /// The leader's node.
        leader: String,
    },
}

/// A running registration; dropping it closes its session, which removes its node.
#[derive(Debug)]
pub struct Registration {
    role: watch::Receiver<Role>,
    status: watch::Receiver<ZkStatus>,
    task: JoinHandle<()>,
}

impl Registration {
    /// Registers `master_info_json` (a MasterInfo as JSON) in the URL's group, on the
    /// current tokio runtime, and keeps it registered.
    pub fn spawn(url: ZkUrl, master_info_json: Vec<u8>, options: ZkOptions) -> Self {
        let (role_tx, role) = watch::channel(Role::Registering);
        let (status_tx, status) = watch::channel(ZkStatus::Connecting);
        let member = Member {
            url,
            data: master_info_json,
            options,
            role: role_tx,
            status: status_tx,
            failures: 0,
        };
        let task = tokio::spawn(member.run());
        Registration { role, status, task }
    }

    /// Where we stand, as it changes.
    pub fn role(&self) -> watch::Receiver<Role> {
        self.role.clone()
    }

    /// How the registration is doing.
    pub fn status(&self) -> watch::Receiver<ZkStatus> {
        self.status.clone()
    }

    /// Whether we lead right now.
    pub fn is_leader(&self) -> bool {
        matches!(*self.role.borrow(), Role::Leader { .. })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Member {
    url: ZkUrl,
    data: Vec<u8>,
    options: ZkOptions,
    role: watch::Sender<Role>,
    status: watch::Sender<ZkStatus>,
    failures: u32,
}

impl Member {
    async fn run(mut self) {
        let mut backoff = Backoff::new(&self.options);
        loop {
            let error = match connect(&self.url, &self.options).await {
                Ok(client) => self.serve(&client, &mut backoff).await,
                Err(error) => error,
            };
            // The session (and with it our node) is dropped before we register again.
            self.set_role(Role::Registering);
            self.fail(error);
            tokio::time::sleep(backoff.next_wait()).await;
        }
    }

    /// Creates our node and follows the group until the session or the node is lost.
    async fn serve(&mut self, client: &zk::Client, backoff: &mut Backoff) -> ZkError {
        let node = match self.create_node(client).await {
            Ok(node) => node,
            Err(error) => return error,
        };
        let group = self.url.path().to_string();
        let mut state = client.state_watcher();
        loop {
            let listed = request(
                &self.options,
                &group,
                client.list_and_watch_children(&group),
            )
            .await;
            let (children, watcher) = match listed {
                Ok(listed) => listed,
                Err(ZkError::Disconnected) => match self.disconnected(client, &mut state).await {
                    Ok(()) => continue,
                    Err(error) => return error,
                },
                Err(error) => return error,
            };
            if !children.contains(&node) {
                return ZkError::MembershipLost { node };
            }
            let role = match leader_node(&children) {
                Some((leader, _)) if leader == node => Role::Leader { node: node.clone() },
                Some((leader, _)) => Role::Follower {
                    node: node.clone(),
                    leader: leader.to_string(),
                },
                None => Role::Registering,
            };
            self.set_role(role);
            self.healthy();
            backoff.reset();
            if let Err(error) = self.wait_change(watcher, &mut state, client).await {
                return error;
            }
        }
    }

    async fn create_node(&mut self, client: &zk::Client) -> Result<String, ZkError> {
        let acls = if self.url.credentials().is_some() {
            zk::Acls::new(&EVERYONE_READ_CREATOR_ALL)
        } else {
            zk::Acls::anyone_all()
        };
        let group = self.url.path();
        if group != "/" {
            let options = zk::CreateMode::Persistent.with_acls(acls);
            request(&self.options, group, client.mkdir(group, &options)).await?;
        }
        let prefix = self.url.child_path(MASTER_NODE_PREFIX);
        let options = zk::CreateMode::EphemeralSequential.with_acls(acls);
        let created = client.create(&prefix, &self.data, &options);
        let (_, sequence) = request(&self.options, &prefix, created).await?;
        Ok(format!("{MASTER_NODE_PREFIX}{sequence}"))
    }

    /// Waits until the group changes (`Ok`) or the session is lost (`Err`).
    async fn wait_change(
        &mut self,
        watcher: zk::OneshotWatcher,
        state: &mut zk::StateWatcher,
        client: &zk::Client,
    ) -> Result<(), ZkError> {
        match next_wake(watcher, state).await? {
            Wake::GroupChanged | Wake::Reconnected => Ok(()),
            Wake::Disconnected => self.disconnected(client, state).await,
        }
    }

    /// While disconnected the node may still exist, so the role is kept, but no longer than
    /// the session timeout: past it the server has expired the session (as with Apache Mesos
    /// masters, leadership is then lost).
    async fn disconnected(
        &mut self,
        client: &zk::Client,
        state: &mut zk::StateWatcher,
    ) -> Result<(), ZkError> {
        self.fail(ZkError::Disconnected);
        ride_out(client, state).await
    }

    fn set_role(&mut self, role: Role) {
        super::publish_if_changed(&self.role, role);
    }

    fn healthy(&mut self) {
        self.failures = 0;
        super::publish_if_changed(&self.status, ZkStatus::Watching);
    }

    fn fail(&mut self, error: ZkError) {
        self.failures = self.failures.saturating_add(1);
        tracing::warn!(zk = %self.url, %error, failures = self.failures, "ZooKeeper registration");
        self.status.send_replace(ZkStatus::Failing {
            error,
            failures: self.failures,
        });
    }
}
