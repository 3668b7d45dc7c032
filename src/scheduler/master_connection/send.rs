//! Sending a call: calls the matcher built as protobuf bytes ([`SendEncoded`]), the
//! checks every call goes through, and the send on the call connections.

use super::{CallError, MasterConnection, Phase, SendEncoded, Session, wire};
use crate::codec::Encoding;
use actix::prelude::*;
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;
use tracing::Instrument;

impl Handler<SendEncoded> for MasterConnection {
    type Result = ResponseFuture<Result<(), CallError>>;

    fn handle(&mut self, SendEncoded(call): SendEncoded, _ctx: &mut Self::Context) -> Self::Result {
        let session = match self.call_session() {
            Ok(session) => session,
            Err(e) => return Box::pin(std::future::ready(Err(e))),
        };
        let body = match self.wire.encoding {
            Encoding::Protobuf => call.into_bytes_for(&session.framework_id),
            Encoding::Json => match call.decode() {
                Ok(mut call) => {
                    call.framework_id = Some(session.framework_id.clone());
                    self.wire.encoding.encode_call(&call)
                }
                Err(e) => {
                    let e = CallError::Transport(format!("an encoded call does not decode: {e}"));
                    return Box::pin(std::future::ready(Err(e)));
                }
            },
        };
        self.send_body(session, body)
    }
}

impl MasterConnection {
    /// The subscription a call goes to, or why there is none.
    pub(super) fn call_session(&self) -> Result<Rc<Session>, CallError> {
        if self.phase == Phase::Stopped {
            return Err(CallError::Stopped);
        }
        self.session.clone().ok_or(CallError::NotSubscribed)
    }

    /// Sends an encoded call's `body` on the subscription's call connections.
    pub(super) fn send_body(
        &mut self,
        session: Rc<Session>,
        body: Vec<u8>,
    ) -> ResponseFuture<Result<(), CallError>> {
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
        Box::pin(
            async move {
                // Bounds the whole exchange, body included; the client bounds the head.
                match actix_rt::time::timeout(timeout.saturating_add(Duration::from_secs(1)), send)
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err(CallError::Transport("call timed out".into())),
                }
            }
            .instrument(self.span.clone()),
        )
    }
}
