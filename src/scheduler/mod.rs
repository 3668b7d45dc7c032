//! The scheduler runtime: four actors with typed mailboxes that replace the old Mesos
//! driver's callbacks.
//!
//! ```text
//!  master (local or Apache Mesos)
//!    |  SUBSCRIBE stream (RecordIO events)            ^ calls (ACCEPT, DECLINE, ACK, KILL, ...)
//!    v                                                |
//!  MasterConnection -- Offers, Rescind, Subscribed --> OfferMatcher -- ACCEPT/DECLINE/SUPPRESS/REVIVE --+
//!    |  \-- StatusUpdate --> TaskTracker -- ACKNOWLEDGE/RECONCILE/KILL, Place (retries) ---------------+
//!    |   \-- FrameworkMessage --> MessageRouter --> user recipients       (all calls via MasterConnection)
//!    +-- Subscribed, Disconnected, Failure, MesosError --> every actor and user recipient
//! ```
//!
//! | file | actor / contents |
//! |---|---|
//! | `connection.rs` | `MasterConnection`: subscription, calls, heartbeats, reconnects |
//! | `offers.rs` | `OfferMatcher`: pending queue, placement, ACCEPT/DECLINE/SUPPRESS/REVIVE |
//! | `tasks.rs` | `TaskTracker`: task states, ACKs, reconciliation, retries, kills |
//! | `messages.rs` | `MessageRouter`: framework messages both ways |
//! | `placement.rs` | strategies and constraints |
//! | `spec.rs` | [`TaskSpec`], what users submit |
//! | `events.rs` | what the runtime tells the user's actors |
//! | `config.rs` | [`RuntimeConfig`] |
//! | `framework.rs` | [`Framework`] handle and [`FrameworkBuilder`] |
//! | `watch.rs` | `SubscriptionWatch`: the subscription's state for the handle |
//! | `raw.rs` | `NoPlacement`: the matcher's stand-in in raw-offer mode |

pub mod config;
pub mod connection;
pub mod events;
mod framework;
pub mod messages;
pub mod offers;
pub mod placement;
mod raw;
pub mod spec;
pub mod tasks;
pub mod watch;

pub use config::RuntimeConfig;
pub use events::{
    Disconnected, Failure, FrameworkMessage, MesosError, MesosErrorKind, Offers, Rescind,
    Subscribed, TaskUpdate,
};
pub use framework::{Framework, FrameworkBuilder, FrameworkError, ShutdownMode};
pub use offers::PendingReason;
pub use placement::{Constraint, Strategy};
pub use spec::{ResourceRequest, RetryPolicy, TaskSpec};
pub use tasks::TaskSummary;
