//! The embedded local cluster: a master and N agents in one process, speaking the same v1
//! scheduler and executor HTTP APIs as Apache Mesos (JSON and protobuf, RecordIO streams)
//! and launching executors as real OS processes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mesos_actix::local::LocalError> {
//! use mesos_actix::local::{LocalCluster, LocalClusterConfig};
//! let cluster = LocalCluster::start(LocalClusterConfig {
//!     agents: 2,
//!     resources: "cpus:4;mem:4096;disk:10240;ports:[31000-32000]".into(),
//!     ..Default::default()
//! })
//! .await?;
//! println!("master at {}", cluster.url()); // http://127.0.0.1:PORT/api/v1/scheduler
//! cluster.stop().await;
//! # Ok(()) }
//! ```
//!
//! | file | contents |
//! |---|---|
//! | `cluster.rs` | [`LocalCluster`]: start / stop |
//! | `faults_agent.rs` | agent faults for tests: restart with checkpointing, loss |
//! | `faults_master.rs` | master faults for tests: [`LocalCluster::restart_master`], [`LocalCluster::partition_events`] |
//! | `config.rs` | [`LocalClusterConfig`], [`LocalError`] |
//! | `master/` | the `LocalMaster` actor: subscriptions, calls, ACCEPT, offers |
//! | `allocator.rs` | fair allocation and decline filters |
//! | `agent/` | the `LocalAgent` actor: executors, command tasks, executor API |
//! | `status_updates.rs` | per-task update streams, resent until acknowledged |
//! | `executor_process.rs` | spawning and signalling processes |
//! | `attributes.rs` | the attribute text syntax (resources use [`crate::resources`]) |
//! | `wire.rs` | event streams, API errors, status builders |
//! | `http/` | the actix-web front (`leader_guard.rs`: followers' 307 / 503) |
//! | `files.rs` | the files API over the sandboxes (`/files/browse`, `/files/read`) |
//! | `leadership.rs` | ZooKeeper leader election of local masters (`zk`) |
//! | `work_dir.rs` | the temporary work directory: removed on stop, drop and exit; leftovers of killed processes swept |
//! | `tls.rs` | HTTPS serving (`tls_certificate`, `tls_key`) |
//! | `state.rs`, `ui.rs` | `/state` and the web page |

mod agent;
mod allocator;
mod attributes;
mod cluster;
mod config;
mod executor_process;
mod faults_master;
mod files;
mod http;
mod leadership;
mod master;
mod state;
mod status_updates;
mod tls;
mod ui;
mod wire;
mod work_dir;

pub use cluster::LocalCluster;
pub use config::{LocalClusterConfig, LocalError, default_resources};
