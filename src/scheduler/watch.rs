//! `SubscriptionWatch`: a tiny actor that follows the subscription's life (subscribed,
//! disconnected, fatal error) and publishes it on a `tokio::sync::watch` channel, so the
//! [`Framework`](super::Framework) handle can wait for a subscription or see why it ended.

use super::events::{Disconnected, MesosError, Subscribed};
use crate::proto::FrameworkId;
use actix::prelude::*;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The subscription as last heard of.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum LinkState {
    /// Not subscribed yet.
    #[default]
    Connecting,
    /// Subscribed with this framework id.
    Subscribed(FrameworkId),
    /// Disconnected; the runtime is retrying.
    Reconnecting(String),
    /// The runtime gave up or was refused for good.
    Failed(MesosError),
}

/// Publishes [`LinkState`] changes.
pub(crate) struct SubscriptionWatch {
    state: watch::Sender<LinkState>,
    /// The master in use (`scheme://host:port`), updated on every subscription.
    master_url: Arc<Mutex<String>>,
}

impl SubscriptionWatch {
    /// A watch and the receiver that follows it.
    /// `master_url` is rewritten with the master of each subscription.
    pub(crate) fn new(
        master_url: Arc<Mutex<String>>,
    ) -> (SubscriptionWatch, watch::Receiver<LinkState>) {
        let (state, rx) = watch::channel(LinkState::Connecting);
        (SubscriptionWatch { state, master_url }, rx)
    }
}

impl Actor for SubscriptionWatch {
    type Context = Context<Self>;
}

impl Handler<Subscribed> for SubscriptionWatch {
    type Result = ();
    fn handle(&mut self, msg: Subscribed, _: &mut Context<Self>) {
        if let Ok(url) = url::Url::parse(&msg.master_url) {
            *self
                .master_url
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                url.origin().ascii_serialization();
        }
        self.state
            .send_replace(LinkState::Subscribed(msg.framework_id));
    }
}

impl Handler<Disconnected> for SubscriptionWatch {
    type Result = ();
    fn handle(&mut self, msg: Disconnected, _: &mut Context<Self>) {
        // A final disconnection comes with a `MesosError`, which sets `Failed`.
        if msg.will_retry {
            self.state.send_replace(LinkState::Reconnecting(msg.reason));
        }
    }
}

impl Handler<MesosError> for SubscriptionWatch {
    type Result = ();
    fn handle(&mut self, msg: MesosError, _: &mut Context<Self>) {
        use super::events::MesosErrorKind::*;
        // Malformed streams, refused calls and ZooKeeper trouble are reported but not fatal.
        if !matches!(msg.kind, MalformedStream | CallRejected | ZooKeeper) {
            self.state.send_replace(LinkState::Failed(msg));
        }
    }
}
