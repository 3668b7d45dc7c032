//! Waiting for a call's answer without holding a future in the actor's context.
//!
//! An actix context polls every future it holds (`ctx.spawn`) on each of its wake-ups, so
//! with thousands of calls in flight each answer cost a pass over all the others (W5, one
//! ACKNOWLEDGE per update, showed `ContextFut::poll` on top of its profile). Instead, the
//! future runs as a task of its own and its output comes back to the actor as one
//! [`Resume`] message, handled where the context's `map` would have run.

use actix::prelude::*;
use std::future::Future;

/// The work to run on the actor once the future is done.
type Then<A> = Box<dyn FnOnce(&mut A, &mut <A as Actor>::Context) + Send>;

/// Resumes an actor's work with the output of a future awaited outside its context.
pub(crate) struct Resume<A: Actor>(Then<A>);

impl<A: Actor> Message for Resume<A> {
    type Result = ();
}

impl<A: Actor> Resume<A> {
    /// Runs the resumed work on the actor.
    pub(crate) fn run(self, actor: &mut A, ctx: &mut A::Context) {
        (self.0)(actor, ctx)
    }
}

/// Awaits `future` in a task of its own on this arbiter, then runs `then` on the actor
/// with its output. If the actor has stopped meanwhile, `then` does not run.
pub(crate) fn await_then<A, T>(
    ctx: &Context<A>,
    future: impl Future<Output = T> + 'static,
    then: impl FnOnce(&mut A, T, &mut Context<A>) + Send + 'static,
) where
    A: Actor<Context = Context<A>> + Handler<Resume<A>>,
    T: Send + 'static,
{
    let actor = ctx.address();
    actix_rt::spawn(async move {
        let out = future.await;
        actor.do_send(Resume(Box::new(move |a: &mut A, ctx: &mut Context<A>| {
            then(a, out, ctx)
        })));
    });
}
