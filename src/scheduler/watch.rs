//! `SubscriptionWatch`: a tiny actor that follows the subscription's life (subscribed,
//! disconnected, fatal error) and publishes it on a `tokio::sync::watch` channel, so the
//! [`Framework`](super::Framework) handle can wait for a subscription or see why it ended.

use super::events::{Disconnected, MesosError, Subscribed};
use crate::proto::FrameworkId;
use actix::prelude::*;
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
}

impl SubscriptionWatch {
    /// A watch and the receiver that follows it.
    pub(crate) fn new() -> (SubscriptionWatch, watch::Receiver<LinkState>) {
        let (state, rx) = watch::channel(LinkState::Connecting);
        (SubscriptionWatch { state }, rx)
    }
}

impl Actor for SubscriptionWatch {
    type Context = Context<Self>;
}

impl Handler<Subscribed> for SubscriptionWatch {
    type Result = ();
    fn handle(&mut self, msg: Subscribed, _: &mut Context<Self>) {
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
        // Malformed streams and refused calls are reported but not fatal.
        if !matches!(msg.kind, MalformedStream | CallRejected) {
            self.state.send_replace(LinkState::Failed(msg));
        }
    }
}
