//! The event stream of [`MasterConnection`]: each RecordIO record is decoded as a
//! `scheduler::Event` and handed to the sinks as a typed message.

use super::{MasterConnection, Phase, Session};
use crate::codec::Encoding;
use crate::codec::offers::offers_event;
use crate::proto::scheduler::{Event, event};
use crate::proto::{TaskState, scheduler};
use crate::scheduler::events::{
    ExecutorMessage, Failure, MesosErrorKind, OfferIntake, Offers, Rescind, Subscribed,
};
use crate::scheduler::task_tracker::UpdateReceived;
use crate::transport::client::StreamError;
use actix::prelude::*;
use bytes::Bytes;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// One item of a subscription's stream, tagged with the generation it belongs to.
pub(super) struct StreamItem {
    generation: u64,
    /// A record or a read error; `None` when the stream ended.
    item: Option<Result<Bytes, StreamError>>,
}

impl StreamItem {
    /// A record (or error) of subscription `generation`.
    pub(super) fn record(generation: u64, item: Result<Bytes, StreamError>) -> Self {
        StreamItem {
            generation,
            item: Some(item),
        }
    }

    /// The end of subscription `generation`'s stream.
    pub(super) fn end(generation: u64) -> Self {
        StreamItem {
            generation,
            item: None,
        }
    }
}

impl StreamHandler<StreamItem> for MasterConnection {
    fn handle(&mut self, item: StreamItem, ctx: &mut Self::Context) {
        if item.generation != self.generation || self.phase != Phase::Streaming {
            return;
        }
        match item.item {
            Some(Ok(record)) => {
                self.last_event = Instant::now();
                if self.slim_offers(&record) {
                    return;
                }
                match self.stream_encoding.decode::<Event>(&record) {
                    Ok(event) => self.on_event(event, ctx),
                    Err(e) => self.malformed(ctx, format!("undecodable event: {e}")),
                }
            }
            Some(Err(StreamError::Framing(e))) => self.malformed(ctx, e.to_string()),
            Some(Err(StreamError::Transport(e))) => {
                self.lose_stream(ctx, format!("event stream failed: {e}"))
            }
            None => self.lose_stream(ctx, "the master closed the event stream".into()),
        }
    }

    /// The end of a stream arrives as an item (so it can be told apart from a stream that
    /// was cancelled); the actor must not stop when a stream finishes.
    fn finished(&mut self, _ctx: &mut Self::Context) {}
}

impl MasterConnection {
    /// Sends the offers of a protobuf OFFERS event to the built-in matcher, decoded
    /// straight from `record` ([`offers_event`]); `false` when there is no matcher, the
    /// stream is JSON, or the record is not such an event (then prost decodes it).
    fn slim_offers(&self, record: &[u8]) -> bool {
        let Some(matcher) = &self.sinks.matcher else {
            return false;
        };
        if self.stream_encoding != Encoding::Protobuf {
            return false;
        }
        match offers_event(record) {
            Ok(Some(offers)) => {
                self.metrics.offers_received(offers.len());
                matcher.do_send(OfferIntake(offers));
                true
            }
            Ok(None) => false,
            Err(e) => {
                tracing::debug!(parent: &self.span, error = %e, "slim offer decode declined; decoding with prost");
                false
            }
        }
    }

    /// Routes one decoded event. Unknown event types are ignored (forward compatibility);
    /// an event missing its payload, or an update with an unknown task state, is malformed.
    fn on_event(&mut self, event: Event, ctx: &mut Context<Self>) {
        let kind = event.r#type.and_then(|t| event::Type::try_from(t).ok());
        let Some(kind) = kind else {
            tracing::debug!(parent: &self.span, r#type = ?event.r#type, "ignoring event of unknown type");
            return;
        };
        let missing = |name: &str| format!("{name} event without its payload");
        match kind {
            event::Type::Subscribed => match event.subscribed {
                Some(subscribed) => self.on_subscribed(subscribed, ctx),
                None => self.malformed(ctx, missing("SUBSCRIBED")),
            },
            event::Type::Offers => match event.offers {
                Some(offers) => {
                    self.metrics.offers_received(offers.offers.len());
                    self.sinks.offers.do_send(Offers(offers.offers))
                }
                None => self.malformed(ctx, missing("OFFERS")),
            },
            event::Type::Rescind => match event.rescind {
                Some(rescind) => {
                    self.metrics.offer_rescinded();
                    self.sinks.rescinds.do_send(Rescind(rescind.offer_id))
                }
                None => self.malformed(ctx, missing("RESCIND")),
            },
            event::Type::Update => match event.update {
                Some(update) if TaskState::try_from(update.status.state).is_ok() => {
                    self.sinks.updates.do_send(UpdateReceived(update.status))
                }
                Some(update) => self.malformed(
                    ctx,
                    format!(
                        "UPDATE of task {} with unknown state {}",
                        update.status.task_id, update.status.state
                    ),
                ),
                None => self.malformed(ctx, missing("UPDATE")),
            },
            event::Type::Message => match event.message {
                Some(m) => self.sinks.messages.do_send(ExecutorMessage {
                    agent_id: m.agent_id,
                    executor_id: m.executor_id,
                    data: m.data,
                }),
                None => self.malformed(ctx, missing("MESSAGE")),
            },
            event::Type::Failure => {
                let failure = event.failure.unwrap_or_default();
                let failure = Failure {
                    agent_id: failure.agent_id,
                    executor_id: failure.executor_id,
                    status: failure.status,
                };
                for sink in &self.sinks.failures {
                    sink.do_send(failure.clone());
                }
            }
            event::Type::Error => {
                let message = event
                    .error
                    .map(|e| e.message)
                    .unwrap_or_else(|| "ERROR event without a message".into());
                if !self.restart_fresh(&message, ctx) {
                    self.fatal(ctx, MesosErrorKind::ErrorEvent, message);
                }
            }
            event::Type::Heartbeat => {
                tracing::trace!(parent: &self.span, "heartbeat");
            }
            event::Type::Unknown
            | event::Type::InverseOffers
            | event::Type::RescindInverseOffer
            | event::Type::UpdateOperationStatus => {
                tracing::debug!(parent: &self.span, ?kind, "ignoring event");
            }
        }
    }

    /// SUBSCRIBED: the subscription is live; calls may flow with this stream id.
    fn on_subscribed(&mut self, subscribed: scheduler::event::Subscribed, ctx: &mut Context<Self>) {
        let interval = subscribed
            .heartbeat_interval_seconds
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(super::DEFAULT_HEARTBEAT, |s| {
                Duration::from_secs_f64(s.min(1e6))
            });
        self.heartbeat_interval = interval;
        let (url, stream_id) = match (self.pending.take(), &self.session) {
            (Some(pending), _) => pending,
            (None, Some(session)) => (session.url.clone(), session.stream_id.clone()),
            (None, None) => return self.malformed(ctx, "SUBSCRIBED without a stream".into()),
        };
        let framework_id = subscribed.framework_id;
        if self.framework_id.as_ref() != Some(&framework_id) {
            self.span
                .record("framework_id", tracing::field::display(&framework_id));
        }
        self.framework_id = Some(framework_id.clone());
        self.session = Some(Rc::new(Session {
            url: url.clone(),
            stream_id,
            framework_id: framework_id.clone(),
        }));
        let resubscribed = self.ever_subscribed;
        self.ever_subscribed = true;
        self.backoff.reset();
        self.disconnected_since = None;
        self.unreachable_in_round = 0;
        self.arm_watchdog(ctx);
        self.metrics.subscribed();
        tracing::info!(parent: &self.span, %framework_id, %url, resubscribed, ?interval, "subscribed");
        let message = Subscribed {
            framework_id,
            heartbeat_interval: interval,
            master_info: subscribed.master_info,
            master_url: url,
            resubscribed,
        };
        for sink in &self.sinks.subscribed {
            sink.do_send(message.clone());
        }
    }
}
