//! The runtime's insides, for this crate's own integration tests and benchmarks only
//! (feature `internals`, off by default, hidden from the docs, no stability promise). A
//! user's code never needs anything here.

/// `MasterConnection`, its messages and settings.
pub mod master_connection {
    pub use crate::scheduler::master_connection::{
        CallError, ConnectionSettings, ConnectionSinks, GetFrameworkId, MasterConnection, SendCall,
        SendEncoded, Stop,
    };
}

/// `OfferMatcher`, its sans-IO core and messages.
pub mod offer_matcher {
    pub use crate::scheduler::offer_matcher::engine::{MAX_DECLINE_BATCH, MAX_HELD_OFFERS};
    pub use crate::scheduler::offer_matcher::testing;
    pub use crate::scheduler::offer_matcher::{
        AcceptOffers, GetMatcherStats, MatcherCore, MatcherSettings, MatcherStats, OfferMatcher,
        Outcome, PendingCount, PendingReason, Place, PlaceAll, RejectReason, Released, Unplace,
        WhyPending,
    };
}

/// `TaskTracker` and its messages.
pub mod task_tracker {
    pub use crate::scheduler::task_tracker::{
        AcceptFailed, KillError, KillTask, Launched, LaunchedAll, ListTasks, LocateTask,
        PendingReconciliation, ReconcileNow, SubmitError, TaskLocation, TaskTracker, Track,
        TrackAll, TrackerLimits, TrackerSettings, UpdateReceived, WaitFinished,
    };
}

/// `MessageRouter` and its message.
pub mod message_router {
    pub use crate::scheduler::message_router::{MessageRouter, SendMessage};
}

/// The `awc` client set up for Mesos and the RecordIO body adapter.
pub mod client {
    pub use crate::transport::client::{StreamError, http_client, records};
}

/// `zk://` master detection and leader registration over ZooKeeper.
pub mod zk {
    pub use crate::zk::*;
}
