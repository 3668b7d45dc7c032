//! Sending a call: [`SendCall`] (a prost message, encoded here) and [`SendEncoded`] (the
//! matcher's ACCEPTs, already protobuf bytes: sent as they are, written as JSON from the
//! bytes), both on the current subscription, pipelined on a call connection (plain
//! `http://`) or sent through `awc`, bounded in time and counted.

use super::{CallError, MasterConnection, Phase, SendCall, SendEncoded, Session, wire};
use crate::proto::scheduler;
use crate::scheduler::metrics::CallKind;
use actix::prelude::*;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use tracing::Instrument;

impl Handler<SendCall> for MasterConnection {
    type Result = ResponseFuture<Result<(), CallError>>;

    fn handle(&mut self, SendCall(mut call): SendCall, _ctx: &mut Self::Context) -> Self::Result {
        if self.phase == Phase::Stopped {
            return Box::pin(std::future::ready(Err(CallError::Stopped)));
        }
        if call.r#type == Some(scheduler::call::Type::Subscribe as i32) {
            return Box::pin(std::future::ready(Err(CallError::Rejected {
                status: 400,
                body: "SUBSCRIBE is sent by the connection itself".into(),
            })));
        }
        let kind = CallKind::of(call.r#type);
        let session = match self.call_session(kind) {
            Ok(session) => session,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        call.framework_id = Some(session.framework_id.clone());
        let body = self.wire.encoding.encode_call(&call);
        self.send_body(session, kind, body)
    }
}

impl Handler<SendEncoded> for MasterConnection {
    type Result = ResponseFuture<Result<(), CallError>>;

    fn handle(&mut self, SendEncoded(call): SendEncoded, _ctx: &mut Self::Context) -> Self::Result {
        // The matcher's ACCEPTs and the tracker's ACKNOWLEDGEs are built as bytes.
        let kind = CallKind::of(call.call_type());
        let session = match self.call_session(kind) {
            Ok(session) => session,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        let protobuf = call.into_bytes_for(&session.framework_id);
        let body = match self.wire.encoding.transcode_call(protobuf) {
            Ok(body) => body,
            Err(e) => {
                self.metrics.call_result(kind, false);
                // Never sent: the master did not see it (the ACCEPT's tasks are requeued).
                let e = CallError::NotSent(format!("an encoded call does not convert: {e}"));
                return Box::pin(std::future::ready(Err(e)));
            }
        };
        self.send_body(session, kind, body)
    }
}

impl MasterConnection {
    /// The subscription a call goes to, or why there is none (counted as a failed call
    /// of `kind` when not subscribed).
    fn call_session(&self, kind: CallKind) -> Result<Rc<Session>, CallError> {
        if self.phase == Phase::Stopped {
            return Err(CallError::Stopped);
        }
        self.session.clone().ok_or_else(|| {
            self.metrics.call_result(kind, false);
            CallError::NotSubscribed
        })
    }

    /// Sends an encoded call's `body` on the subscription's call connections, counted as
    /// a call of `kind`.
    fn send_body(
        &mut self,
        session: Rc<Session>,
        kind: CallKind,
        body: Vec<u8>,
    ) -> ResponseFuture<Result<(), CallError>> {
        let timeout = self.settings.call_timeout;
        let pipe = if self.settings.call_pipelining {
            // SUPPRESS and REVIVE share the first connection, so the master takes them in
            // the order sent: on two connections a REVIVE can overtake the SUPPRESS before
            // it and leave the framework suppressed with work pending.
            let connections = match kind {
                CallKind::Suppress | CallKind::Revive => 1,
                _ => self.settings.call_connections,
            };
            self.pipes.pick(
                &session.url,
                &session.stream_id,
                self.wire.encoding.content_type(),
                self.wire.authorization.as_deref(),
                connections,
            )
        } else {
            None
        };
        let send: Pin<Box<dyn Future<Output = Result<(), CallError>>>> = match pipe {
            Some(pipe) => Box::pin(pipe.call(&body)),
            None => Box::pin(wire::call(
                self.call_client(),
                session,
                Bytes::from(body),
                self.wire.clone(),
            )),
        };
        let metrics = self.metrics.clone();
        metrics.call_started();
        Box::pin(
            async move {
                // Bounds the whole exchange, body included; the client bounds the head.
                let result = match actix_rt::time::timeout(
                    timeout.saturating_add(Duration::from_secs(1)),
                    send,
                )
                .await
                {
                    Ok(result) => result,
                    Err(_) => Err(CallError::Transport("call timed out".into())),
                };
                metrics.call_done();
                metrics.call_result(kind, result.is_ok());
                result
            }
            .instrument(self.span.clone()),
        )
    }
}
