//! `CallGate`: every call of the runtime's actors (and [`Framework::call`]) passes through
//! it on its way to the `MasterConnection`, so a shutdown can close the gate and wait for
//! the calls still in flight before TEARDOWN goes out.
//!
//! Without it a TEARDOWN could overtake an ACKNOWLEDGE or a DECLINE sent a moment earlier
//! on another connection; the master then refuses the late call (`400 Framework cannot be
//! found`), or the call connections close with the call unanswered.
//!
//! [`Framework::call`]: super::Framework::call

use crate::scheduler::master_connection::{CallError, MasterConnection, SendCall, SendEncoded};
use actix::prelude::*;
use tokio::sync::oneshot;

// ---------------------------------------------------------------------------------------
// Messages handled by CallGate (it also handles `SendCall`, forwarding it).
// ---------------------------------------------------------------------------------------

/// Closes the gate: every later [`SendCall`] answers [`CallError::Stopped`] at once.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct CloseGate;

/// Resolves once no call that passed the gate is still waiting for the master's answer.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub struct CallsDrained;

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// Forwards [`SendCall`] to the connection and counts the calls in flight; see the
/// [module docs](self).
pub struct CallGate {
    connection: Addr<MasterConnection>,
    closed: bool,
    in_flight: usize,
    waiters: Vec<oneshot::Sender<()>>,
}

impl CallGate {
    /// A gate in front of `connection`, open.
    pub fn new(connection: Addr<MasterConnection>) -> CallGate {
        CallGate {
            connection,
            closed: false,
            in_flight: 0,
            waiters: Vec::new(),
        }
    }

    fn wake_if_drained(&mut self) {
        if self.in_flight == 0 {
            for waiter in self.waiters.drain(..) {
                let _ = waiter.send(());
            }
        }
    }
}

impl Actor for CallGate {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Context<Self>) {
        // Waiters resolve when their sender is dropped.
        self.waiters.clear();
    }
}

impl Handler<SendCall> for CallGate {
    type Result = ResponseActFuture<Self, Result<(), CallError>>;

    fn handle(&mut self, call: SendCall, _: &mut Context<Self>) -> Self::Result {
        self.forward(call)
    }
}

impl Handler<SendEncoded> for CallGate {
    type Result = ResponseActFuture<Self, Result<(), CallError>>;

    fn handle(&mut self, call: SendEncoded, _: &mut Context<Self>) -> Self::Result {
        self.forward(call)
    }
}

impl CallGate {
    /// Forwards a call message to the connection, counted while in flight.
    fn forward<M>(&mut self, call: M) -> ResponseActFuture<Self, Result<(), CallError>>
    where
        M: Message<Result = Result<(), CallError>> + Send + 'static,
        MasterConnection: Handler<M>,
    {
        if self.closed {
            return Box::pin(fut::ready(Err(CallError::Stopped)));
        }
        self.in_flight += 1;
        let send = self.connection.send(call);
        Box::pin(
            async move { send.await.unwrap_or(Err(CallError::Stopped)) }
                .into_actor(self)
                .map(|result, act, _| {
                    act.in_flight = act.in_flight.saturating_sub(1);
                    act.wake_if_drained();
                    result
                }),
        )
    }
}

impl Handler<CloseGate> for CallGate {
    type Result = ();

    fn handle(&mut self, _: CloseGate, _: &mut Context<Self>) {
        self.closed = true;
    }
}

impl Handler<CallsDrained> for CallGate {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: CallsDrained, _: &mut Context<Self>) -> Self::Result {
        if self.in_flight == 0 {
            return Box::pin(async {});
        }
        let (tx, rx) = oneshot::channel();
        self.waiters.push(tx);
        Box::pin(async move {
            let _ = rx.await;
        })
    }
}
