//! ZooKeeper master detection for [`MasterConnection`]: when the master is given as
//! `zk://`, a [`LeaderDetector`] names the leader; the connection subscribes to it and, when
//! the leader changes, closes its stream and re-subscribes to the new one with the
//! framework id (the tracker reconciles after every subscription). While ZooKeeper is
//! unreachable the current master is kept, the outage is reported once as a
//! [`MesosErrorKind::ZooKeeper`] error, and the detector retries by itself.

use super::{MasterConnection, Phase};
use crate::scheduler::events::MesosErrorKind;
use crate::zk::{Leader, LeaderDetector, LeaderScheme, ZkOptions, ZkStatus};
use actix::prelude::*;
use futures_util::{Stream, StreamExt};
use std::time::Instant;
use tokio::sync::watch;

/// What the detector publishes, as one stream for the actor.
pub(super) enum ZkEvent {
    /// The leader changed (`None`: no master registered).
    Leader(Option<Leader>),
    /// Detection's health changed.
    Status(ZkStatus),
}

/// Every later value of `rx` (not the current one).
fn changes<T: Clone + 'static>(rx: watch::Receiver<T>) -> impl Stream<Item = T> {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        let value = rx.borrow_and_update().clone();
        Some((value, rx))
    })
}

impl MasterConnection {
    /// Starts leader detection when the master is a `zk://` group (`https` leaders when a
    /// TLS configuration is set).
    pub(super) fn start_detection(&mut self, ctx: &mut Context<Self>) {
        let Some(url) = self.settings.zk.clone() else {
            return;
        };
        let options = ZkOptions {
            scheme: if self.settings.tls.is_some() {
                LeaderScheme::Https
            } else {
                LeaderScheme::Http
            },
            ..ZkOptions::default()
        };
        let detector = LeaderDetector::spawn(url, options);
        let events = futures_util::stream::select(
            changes(detector.leader()).map(ZkEvent::Leader),
            changes(detector.status()).map(ZkEvent::Status),
        );
        ctx.add_stream(events);
        self.detector = Some(detector);
    }

    /// A new leader: subscribe to it now (closing the subscription to the old one).
    fn on_leader(&mut self, leader: Leader, ctx: &mut Context<Self>) {
        let base = leader.url.as_str().trim_end_matches('/').to_string();
        if self.settings.masters.first() == Some(&base) || self.phase == Phase::Stopped {
            return;
        }
        tracing::info!(parent: &self.span, leader = %base, node = %leader.node, "ZooKeeper names a new leading master");
        self.settings.masters = vec![base.clone()];
        self.master_index = 0;
        self.unreachable_in_round = 0;
        self.leader_url = None;
        if self.phase == Phase::Streaming {
            self.close_stream(ctx);
            self.broadcast_disconnected(format!("leading master changed to {base}"), true);
            self.disconnected_since.get_or_insert_with(Instant::now);
        }
        self.backoff.reset();
        // Abandons an attempt in flight or a pending retry; `connect` starts afresh.
        self.generation += 1;
        self.connect(ctx);
    }

    fn on_zk_status(&mut self, status: ZkStatus) {
        match status {
            ZkStatus::Failing { error, failures } => {
                let current = self.settings.masters.first().cloned().unwrap_or_default();
                tracing::warn!(parent: &self.span, %error, failures, master = %current, "ZooKeeper detection failing; keeping the current master");
                if !self.zk_failing {
                    self.zk_failing = true;
                    self.broadcast_error(
                        MesosErrorKind::ZooKeeper,
                        format!(
                            "ZooKeeper unreachable ({error}); keeping master {current:?}, retrying"
                        ),
                    );
                }
            }
            ZkStatus::Watching => {
                if std::mem::take(&mut self.zk_failing) {
                    tracing::info!(parent: &self.span, "ZooKeeper detection resumed");
                }
            }
            ZkStatus::Connecting => {}
        }
    }
}

impl StreamHandler<ZkEvent> for MasterConnection {
    fn handle(&mut self, event: ZkEvent, ctx: &mut Self::Context) {
        match event {
            ZkEvent::Leader(Some(leader)) => self.on_leader(leader, ctx),
            ZkEvent::Leader(None) => {
                tracing::info!(parent: &self.span, "ZooKeeper names no leading master for now");
            }
            ZkEvent::Status(status) => self.on_zk_status(status),
        }
    }

    /// The detector lives as long as the actor; its end must not stop the actor.
    fn finished(&mut self, _ctx: &mut Self::Context) {}
}
