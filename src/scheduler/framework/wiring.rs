//! Builds the runtime's actor graph: the connection, matcher, tracker and router, each
//! given the addresses of the others before any of them runs.

use super::UserRecipients;
use crate::proto::FrameworkInfo;
use crate::scheduler::call_gate::CallGate;
use crate::scheduler::config::{RuntimeConfig, secs};
use crate::scheduler::events::{Disconnected, MesosError, Subscribed};
use crate::scheduler::framework_id_keeper::FrameworkIdKeeper;
use crate::scheduler::framework_id_store::FrameworkIdStore;
use crate::scheduler::master_connection::{
    ConnectionSettings, ConnectionSinks, MasterConnection, SendCall,
};
use crate::scheduler::message_router::MessageRouter;
use crate::scheduler::offer_matcher::{MatcherSettings, OfferMatcher};
use crate::scheduler::task_tracker::{TaskTracker, TrackerSettings};
use crate::scheduler::watch::SubscriptionWatch;
use actix::prelude::*;
use std::sync::Arc;

/// Addresses of the runtime's actors.
#[derive(Clone)]
pub(super) struct Actors {
    pub(super) connection: Addr<MasterConnection>,
    /// Every call goes through it (see [`CallGate`]).
    pub(super) gate: Addr<CallGate>,
    pub(super) matcher: Option<Addr<OfferMatcher>>,
    pub(super) tracker: Addr<TaskTracker>,
    pub(super) router: Addr<MessageRouter>,
    /// Keeps the framework id store in step (cleared on TEARDOWN).
    pub(super) keeper: Addr<FrameworkIdKeeper>,
    /// The counters every actor bumps.
    pub(super) metrics: std::sync::Arc<crate::scheduler::metrics::Metrics>,
}

/// Creates the actors' contexts first (their addresses reference each other), then runs
/// them. Called on the runtime's arbiter.
pub(super) fn wire(
    info: FrameworkInfo,
    config: RuntimeConfig,
    credentials: Option<(String, String)>,
    users: UserRecipients,
    watch_actor: SubscriptionWatch,
    id_store: Option<Arc<dyn FrameworkIdStore>>,
) -> Actors {
    let connection_ctx = Context::<MasterConnection>::new();
    let tracker_ctx = Context::<TaskTracker>::new();
    let router_ctx = Context::<MessageRouter>::new();
    let connection = connection_ctx.address();
    let tracker = tracker_ctx.address();
    let router = router_ctx.address();
    let watch = watch_actor.start();
    let gate = CallGate::new(connection.clone()).start();
    let calls = gate.clone().recipient::<SendCall>();
    let resumed = info.id.clone();
    let fresh_if_removed = id_store.is_some();
    let keeper = FrameworkIdKeeper::new(id_store, resumed.clone(), calls.clone()).start();
    let metrics = std::sync::Arc::new(crate::scheduler::metrics::Metrics::default());

    let matcher = if users.raw.is_none() {
        let settings = MatcherSettings {
            strategy: config.strategy,
            refuse_seconds: config.refuse_seconds,
            offer_hold: secs(config.offer_hold_secs),
            revive_interval: secs(config.revive_interval_secs),
        };
        let matcher = OfferMatcher::new(settings, calls.clone(), tracker.clone().recipient())
            .with_accept_failures(tracker.clone().recipient())
            .with_metrics(metrics.clone())
            .with_encoded(gate.clone().recipient());
        Some(matcher.start())
    } else {
        None
    };
    let (offers, rescinds) = match (&users.raw, &matcher) {
        (Some((offers, rescinds)), _) => (offers.clone(), rescinds.clone()),
        (None, Some(m)) => (m.clone().recipient(), m.clone().recipient()),
        (None, None) => unreachable!("a matcher exists when raw mode is off"),
    };

    let mut subscribed: Vec<Recipient<Subscribed>> = vec![
        tracker.clone().recipient(),
        watch.clone().recipient(),
        keeper.clone().recipient(),
    ];
    let mut disconnected: Vec<Recipient<Disconnected>> =
        vec![tracker.clone().recipient(), watch.clone().recipient()];
    if let Some(m) = &matcher {
        subscribed.push(m.clone().recipient());
        disconnected.push(m.clone().recipient());
    }
    subscribed.extend(users.subscribed.iter().cloned());
    disconnected.extend(users.disconnected.iter().cloned());
    let mut errors: Vec<Recipient<MesosError>> =
        vec![watch.recipient(), keeper.clone().recipient()];
    errors.extend(users.errors.iter().cloned());

    let sinks = ConnectionSinks {
        offers,
        matcher: matcher.as_ref().map(|m| m.clone().recipient()),
        rescinds,
        updates: tracker.clone().recipient(),
        messages: router.clone().recipient(),
        subscribed,
        disconnected,
        failures: users.failures.clone(),
        errors,
    };
    let mut settings = ConnectionSettings::from_config(&config, info);
    settings.credentials = credentials;
    let tracker_settings = TrackerSettings {
        implicit_reconcile: secs(config.implicit_reconcile_secs),
        reconcile_backoff_initial: secs(config.reconcile_backoff_initial_secs),
        reconcile_backoff_max: secs(config.reconcile_backoff_max_secs),
    };
    let (place, unplace) = match &matcher {
        Some(m) => (m.clone().recipient(), m.clone().recipient()),
        None => {
            let none = crate::scheduler::raw::NoPlacement.start();
            (none.clone().recipient(), none.recipient())
        }
    };
    let mut tracker_actor = TaskTracker::new(
        tracker_settings,
        calls.clone(),
        place,
        unplace,
        users.updates.clone(),
    )
    .with_metrics(metrics.clone())
    .with_limits(config.tracker_limits())
    .with_encoded_calls(gate.clone().recipient());
    match &matcher {
        Some(m) => {
            tracker_actor = tracker_actor
                .with_released(m.clone().recipient())
                .with_place_all(m.clone().recipient());
        }
        None => tracker_actor = tracker_actor.with_untracked_updates(),
    }
    if resumed.is_some() && matcher.is_some() {
        tracker_actor = tracker_actor.with_adoption();
    }
    tracker_ctx.run(tracker_actor);
    router_ctx.run(MessageRouter::new(calls, users.messages.clone()));
    let mut connection_actor = MasterConnection::new(settings, sinks).with_metrics(metrics.clone());
    if fresh_if_removed {
        connection_actor = connection_actor.start_fresh_if_removed();
    }
    connection_ctx.run(connection_actor);
    Actors {
        connection,
        gate,
        matcher,
        tracker,
        router,
        keeper,
        metrics,
    }
}
