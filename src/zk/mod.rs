//! ZooKeeper master detection and leader registration, in the group layout of Apache Mesos.
//!
//! - [`MasterSpec`] parses what the Mesos CLI accepts as a master: `host:port`,
//!   `http(s)://...`, comma lists, `zk://[user:pass@]host1:port,host2:port/path` ([`ZkUrl`])
//!   and `file:///path`.
//! - [`LeaderDetector`] follows a group's leader: the `json.info_<seq>` node with the lowest
//!   sequence, whose data is the MasterInfo as JSON. It publishes `Option<Leader>` through a
//!   `tokio::sync::watch` and its [`ZkStatus`] through another; while ZooKeeper is
//!   unreachable the last leader stays published and the status carries the error.
//! - [`Registration`] puts a master in a group and tells whether it leads ([`Role`]).
//!
//! Both run as tokio tasks (actix's runtime is a tokio runtime) over `zookeeper-client`, and
//! stop, closing their session, when dropped.

// Much of this module serves the crate's own tests too (`__internals::zk`, feature
// `internals`); without that feature some of it is unused.
#![cfg_attr(not(feature = "internals"), allow(unused_imports, dead_code))]

mod detector;
mod leader;
mod master_spec;
mod registration;
mod session;
mod url;

pub use detector::{LeaderDetector, ZkStatus};
pub use leader::{
    Leader, MASTER_NODE_PREFIX, MAX_MASTER_INFO_BYTES, MasterInfoError, leader_node,
    master_node_sequence, parse_master_info,
};
pub use master_spec::{MAX_MASTER_SPEC_LEN, MAX_MASTERS, MasterSpec, MasterSpecError};
pub use registration::{Registration, Role};
pub use session::{LeaderScheme, ZkError, ZkOptions};
pub use url::{
    Credentials, DEFAULT_ZK_PORT, MAX_ZK_SERVERS, MAX_ZK_URL_LEN, ZkServer, ZkUrl, ZkUrlError,
};

/// Sets a watch's value and wakes its readers only when the value changed.
fn publish_if_changed<T: PartialEq>(sender: &tokio::sync::watch::Sender<T>, value: T) {
    sender.send_if_modified(|current| {
        let changed = *current != value;
        *current = value;
        changed
    });
}
