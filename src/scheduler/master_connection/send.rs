//! [`SendCall`]: one call to the master on the current subscription, pipelined on a call
//! connection (plain `http://`) or sent through `awc`, bounded in time and counted.

use super::{CallError, MasterConnection, Phase, SendCall, wire};
use crate::proto::scheduler;
use actix::prelude::*;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
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
        let kind = crate::scheduler::metrics::CallKind::of(call.r#type);
        let Some(session) = self.session.clone() else {
            self.metrics.call_result(kind, false);
            return Box::pin(std::future::ready(Err(CallError::NotSubscribed)));
        };
        call.framework_id = Some(session.framework_id.clone());
        let body = self.wire.encoding.encode_call(&call);
        let timeout = self.settings.call_timeout;
        let pipe = if self.settings.call_pipelining {
            let connections = self.settings.call_connections;
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
