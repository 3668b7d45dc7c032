//! Builds the runtime's actor graph: the connection, matcher, tracker and router, each
//! given the addresses of the others before any of them runs.

use super::UserRecipients;
use crate::proto::FrameworkInfo;
use crate::scheduler::call_gate::CallGate;
use crate::scheduler::config::{RuntimeConfig, secs};
use crate::scheduler::events::{Disconnected, MesosError, Subscribed};
use crate::scheduler::master_connection::{
    ConnectionSettings, ConnectionSinks, MasterConnection, SendCall,
};
use crate::scheduler::message_router::MessageRouter;
use crate::scheduler::offer_matcher::{MatcherSettings, OfferMatcher};
use crate::scheduler::task_tracker::{TaskTracker, TrackerSettings};
use crate::scheduler::watch::SubscriptionWatch;
use actix::prelude::*;

/// Addresses of the runtime's actors.
#[derive(Clone)]
pub(super) struct Actors {
    pub(super) connection: Addr<MasterConnection>,
    /// Every call goes through it (see [`CallGate`]).
    pub(super) gate: Addr<CallGate>,
    pub(super) matcher: Option<Addr<OfferMatcher>>,
    pub(super) tracker: Addr<TaskTracker>,
    pub(super) router: Addr<MessageRouter>,
}

/// Creates the actors' contexts first (their addresses reference each other), then runs
/// them. Called on the runtime's arbiter.
pub(super) fn wire(
    info: FrameworkInfo,
    config: RuntimeConfig,
    credentials: Option<(String, String)>,
    users: UserRecipients,
    watch_actor: SubscriptionWatch,
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

    let matcher = if users.raw.is_none() {
        let settings = MatcherSettings {
            strategy: config.strategy,
            refuse_seconds: config.refuse_seconds,
            offer_hold: secs(config.offer_hold_secs),
            revive_interval: secs(config.revive_interval_secs),
        };
        let matcher = OfferMatcher::new(settings, calls.clone(), tracker.clone().recipient())
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

    let mut subscribed: Vec<Recipient<Subscribed>> =
        vec![tracker.clone().recipient(), watch.clone().recipient()];
    let mut disconnected: Vec<Recipient<Disconnected>> =
        vec![tracker.clone().recipient(), watch.clone().recipient()];
    if let Some(m) = &matcher {
        subscribed.push(m.clone().recipient());
        disconnected.push(m.clone().recipient());
    }
    subscribed.extend(users.subscribed.iter().cloned());
    disconnected.extend(users.disconnected.iter().cloned());
    let mut errors: Vec<Recipient<MesosError>> = vec![watch.recipient()];
    errors.extend(users.errors.iter().cloned());

    let sinks = ConnectionSinks {
        offers,
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
    );
    match &matcher {
        Some(m) => {
            tracker_actor = tracker_actor
                .with_released(m.clone().recipient())
                .with_place_all(m.clone().recipient());
        }
        None => tracker_actor = tracker_actor.with_untracked_updates(),
    }
    tracker_ctx.run(tracker_actor);
    router_ctx.run(MessageRouter::new(calls, users.messages.clone()));
    connection_ctx.run(MasterConnection::new(settings, sinks));
    Actors {
        connection,
        gate,
        matcher,
        tracker,
        router,
    }
}
