//! `MessageRouter`: framework messages in both directions.
//!
//! Executor-to-scheduler MESSAGE events (as [`ExecutorMessage`]) go to every user
//! recipient; scheduler-to-executor messages go out as MESSAGE calls. Framework messages
//! are best effort in Mesos: anything that must not be lost should also travel in the
//! terminal status update's `data`.

use super::events::ExecutorMessage;
use crate::proto::scheduler::Call;
use crate::proto::{AgentId, ExecutorId};
use crate::scheduler::master_connection::{CallError, SendCall};
use actix::prelude::*;

// ---------------------------------------------------------------------------------------
// Messages handled by MessageRouter (it also handles `events::ExecutorMessage`).
// ---------------------------------------------------------------------------------------

/// Send `data` to an executor.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "Result<(), crate::scheduler::master_connection::CallError>")]
pub struct SendMessage {
    /// The executor's agent.
    pub agent_id: AgentId,
    /// The executor.
    pub executor_id: ExecutorId,
    /// The payload.
    pub data: Vec<u8>,
}

impl SendMessage {
    /// The MESSAGE call carrying this message.
    pub fn to_call(&self) -> Call {
        super::calls::message(
            self.agent_id.clone(),
            self.executor_id.clone(),
            self.data.clone(),
        )
    }
}

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// Routes framework messages: MESSAGE events to every user recipient (in arrival order),
/// [`SendMessage`] out as MESSAGE calls.
pub struct MessageRouter {
    calls: Recipient<SendCall>,
    users: Vec<Recipient<ExecutorMessage>>,
}

impl MessageRouter {
    /// A router sending calls through `calls` and delivering messages to each of `users`.
    pub fn new(
        calls: Recipient<SendCall>,
        users: Vec<Recipient<ExecutorMessage>>,
    ) -> MessageRouter {
        MessageRouter { calls, users }
    }
}

impl Actor for MessageRouter {
    type Context = Context<Self>;
}

impl Handler<ExecutorMessage> for MessageRouter {
    type Result = ();

    fn handle(&mut self, msg: ExecutorMessage, _: &mut Context<Self>) {
        if self.users.is_empty() {
            tracing::debug!(
                executor_id = %msg.executor_id,
                bytes = msg.data.len(),
                "framework message dropped: no recipient registered"
            );
            return;
        }
        // `do_send` queues at once, whatever the mailbox fill: messages keep their order.
        if let Some((last, rest)) = self.users.split_last() {
            for user in rest {
                user.do_send(msg.clone());
            }
            last.do_send(msg);
        }
    }
}

impl Handler<SendMessage> for MessageRouter {
    type Result = ResponseFuture<Result<(), CallError>>;

    fn handle(&mut self, msg: SendMessage, _: &mut Context<Self>) -> Self::Result {
        let send = self.calls.send(SendCall(msg.to_call()));
        Box::pin(async move {
            match send.await {
                Ok(result) => result,
                Err(_) => Err(CallError::Stopped),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::scheduler::call;

    #[test]
    fn message_call_shape() {
        let call = SendMessage {
            agent_id: AgentId::new("a"),
            executor_id: ExecutorId::new("e"),
            data: b"hi".to_vec(),
        }
        .to_call();
        assert_eq!(call.r#type, Some(call::Type::Message as i32));
        let m = call.message.unwrap();
        assert_eq!(
            (
                m.agent_id.value.as_str(),
                m.executor_id.value.as_str(),
                m.data.as_slice()
            ),
            ("a", "e", &b"hi"[..])
        );
    }
}
