//! The scheduler runtime: four actors with typed mailboxes that replace the old Mesos
//! driver's callbacks.
//!
//! ```text
//!  master (local or Apache Mesos)
//!    |  SUBSCRIBE stream (RecordIO events)            ^ calls (ACCEPT, DECLINE, ACK, KILL, ...)
//!    v                                                |
//!  MasterConnection -- Offers, Rescind, Subscribed --> OfferMatcher -- ACCEPT/DECLINE/SUPPRESS/REVIVE --+
//!    |  \-- UpdateReceived --> TaskTracker -- ACKNOWLEDGE/RECONCILE/KILL, Place (retries) -------------+
//!    |   \-- ExecutorMessage --> MessageRouter --> user recipients        (all calls via MasterConnection)
//!    +-- Subscribed, Disconnected, Failure, MesosError --> every actor and user recipient
//! ```
//!
//! A user touches only what is re-exported here: [`Framework`] (the handle) and its
//! [`FrameworkBuilder`], [`TaskSpec`], the [`RuntimeConfig`] and the events. The actors are
//! internal:
//!
//! | folder / file | actor / contents |
//! |---|---|
//! | `master_connection/` | `MasterConnection`: subscription, calls, heartbeats, reconnects |
//! | `offer_matcher/` | `OfferMatcher` and its sans-IO `MatcherCore`: pending queue, placement, ACCEPT/DECLINE/SUPPRESS/REVIVE |
//! | `task_tracker/` | `TaskTracker`: task states, ACKs, reconciliation, retries, kills |
//! | `message_router/` | `MessageRouter`: executor messages both ways |
//! | `calls.rs` | every call the runtime sends to the master |
//! | `spec.rs` | [`TaskSpec`], what users submit |
//! | `events.rs` | what the runtime tells the user's actors |
//! | `config.rs` | [`RuntimeConfig`] |
//! | `framework.rs` | [`Framework`] handle and [`FrameworkBuilder`] |
//! | `call_gate/` | `CallGate`: every call passes it; a shutdown closes it and waits for the calls in flight |
//! | `metrics.rs` | the shared counters behind [`Framework::metrics`] |
//! | `watch.rs` | `SubscriptionWatch`: the subscription's state for the handle |
//! | `raw.rs` | `NoPlacement`: the matcher's stand-in in raw-offer mode |
//! | `framework_id_store.rs` | [`FrameworkIdStore`], [`FileFrameworkIdStore`]: the framework id between runs |
//! | `framework_id_keeper/` | `FrameworkIdKeeper`: saves and clears the stored id, reconciles a resumed framework |

pub(crate) mod call_gate;
pub(crate) mod calls;
pub(crate) mod config;
pub(crate) mod events;
mod framework;
pub(crate) mod framework_id_keeper;
pub(crate) mod framework_id_store;
pub(crate) mod master_connection;
pub(crate) mod message_router;
pub(crate) mod metrics;
pub(crate) mod offer_matcher;
pub(crate) mod raw;
mod resume;
pub(crate) mod spec;
pub(crate) mod task_tracker;
pub(crate) mod watch;

pub use config::{ConfigError, RuntimeConfig};
pub use events::{
    Disconnected, ExecutorMessage, Failure, MesosError, MesosErrorKind, Offers, Rescind,
    Subscribed, TaskUpdate,
};
pub use framework::{Framework, FrameworkBuilder, FrameworkError, ShutdownMode};
pub use framework_id_store::{FileFrameworkIdStore, FrameworkIdStore, FrameworkIdStoreError};
pub use master_connection::CallError;
pub use metrics::{CallCounts, MetricsSnapshot, OfferCounts, QueueDepths, TaskCounts};
pub use offer_matcher::placement::{Constraint, Strategy};
pub use offer_matcher::{OfferRejection, PendingReason, RejectReason};
pub use spec::{ResourceRequest, RetryPolicy, SpecError, TaskSpec};
pub use task_tracker::{KillError, SubmitError, TaskSummary};
