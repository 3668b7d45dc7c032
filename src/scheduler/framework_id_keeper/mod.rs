//! `FrameworkIdKeeper`: keeps the [`FrameworkIdStore`] in step with the subscription. It
//! saves the id of every SUBSCRIBED that differs from the last one saved, clears the store
//! when the framework is gone for good (TEARDOWN, "Framework has been removed", the
//! failover timeout given up on), and, when the process resumed a stored framework,
//! reconciles implicitly after its first SUBSCRIBED so the tasks the previous process left
//! running are reported (and adopted by the tracker).

use crate::proto::FrameworkId;
use crate::scheduler::calls;
use crate::scheduler::events::{MesosError, MesosErrorKind, Subscribed};
use crate::scheduler::framework_id_store::FrameworkIdStore;
use crate::scheduler::master_connection::SendCall;
use actix::prelude::*;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// Messages handled by FrameworkIdKeeper.
// ---------------------------------------------------------------------------------------

/// The framework was torn down: forget its id. Answers once the store was cleared.
#[derive(Message, Debug, Clone, Copy)]
#[rtype(result = "()")]
pub(crate) struct ForgetFrameworkId;

// ---------------------------------------------------------------------------------------
// The actor.
// ---------------------------------------------------------------------------------------

/// Whether an `ERROR` message from the master says the framework id may not be used again
/// (Mesos: `Framework has been removed`, after TEARDOWN or an expired failover timeout).
pub(crate) fn is_removed_error(message: &str) -> bool {
    message.contains("Framework has been removed")
}

/// Saves and clears the framework id in a [`FrameworkIdStore`]; see the module docs.
pub(crate) struct FrameworkIdKeeper {
    /// `None`: no store configured (the keeper still reconciles a resumed framework).
    store: Option<Arc<dyn FrameworkIdStore>>,
    /// The id last saved (or loaded), to skip rewriting it on every re-subscription.
    saved: Option<FrameworkId>,
    /// The id this process resumed with, until its first SUBSCRIBED.
    resumed: Option<FrameworkId>,
    calls: Recipient<SendCall>,
}

impl FrameworkIdKeeper {
    /// A keeper of `store` (if any); `resumed` is the id the runtime subscribes with (loaded from
    /// the store or given to the builder), if any. Calls go through `calls`.
    pub(crate) fn new(
        store: Option<Arc<dyn FrameworkIdStore>>,
        resumed: Option<FrameworkId>,
        calls: Recipient<SendCall>,
    ) -> Self {
        FrameworkIdKeeper {
            store,
            saved: None,
            resumed,
            calls,
        }
    }

    fn clear(&mut self, why: &str) {
        self.saved = None;
        let Some(store) = &self.store else {
            return;
        };
        match store.clear() {
            Ok(()) => tracing::info!(why, "framework id store cleared"),
            Err(e) => tracing::error!(error = %e, why, "could not clear the framework id store"),
        }
    }
}

impl Actor for FrameworkIdKeeper {
    type Context = Context<Self>;
}

impl Handler<Subscribed> for FrameworkIdKeeper {
    type Result = ();

    fn handle(&mut self, msg: Subscribed, _: &mut Context<Self>) {
        if let Some(resumed) = self.resumed.take() {
            if resumed == msg.framework_id {
                // The previous process's tasks are unknown to this one: ask for all of them.
                tracing::info!(framework_id = %msg.framework_id, "resumed framework: reconciling all its tasks");
                self.calls.do_send(SendCall(calls::reconcile(Vec::new())));
            } else {
                tracing::warn!(old = %resumed, new = %msg.framework_id, "the stored framework is gone; subscribed as a new framework");
            }
        }
        let Some(store) = self
            .store
            .as_ref()
            .filter(|_| self.saved.as_ref() != Some(&msg.framework_id))
        else {
            return;
        };
        match store.save(&msg.framework_id) {
            Ok(()) => self.saved = Some(msg.framework_id),
            Err(e) => tracing::error!(error = %e, "could not save the framework id"),
        }
    }
}

impl Handler<MesosError> for FrameworkIdKeeper {
    type Result = ();

    fn handle(&mut self, msg: MesosError, _: &mut Context<Self>) {
        let gone = match msg.kind {
            MesosErrorKind::ErrorEvent => is_removed_error(&msg.message),
            MesosErrorKind::GaveUp => msg.message.contains("failover timeout"),
            _ => false,
        };
        if gone {
            self.clear(&msg.message);
        }
    }
}

impl Handler<ForgetFrameworkId> for FrameworkIdKeeper {
    type Result = ();

    fn handle(&mut self, _: ForgetFrameworkId, _: &mut Context<Self>) {
        self.clear("torn down");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework_id_store::FrameworkIdStoreError;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Memory(Mutex<Option<FrameworkId>>);

    impl FrameworkIdStore for Memory {
        fn load(&self) -> Result<Option<FrameworkId>, FrameworkIdStoreError> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn save(&self, id: &FrameworkId) -> Result<(), FrameworkIdStoreError> {
            *self.0.lock().unwrap() = Some(id.clone());
            Ok(())
        }
        fn clear(&self) -> Result<(), FrameworkIdStoreError> {
            *self.0.lock().unwrap() = None;
            Ok(())
        }
    }

    /// Swallows calls.
    struct Calls;
    impl Actor for Calls {
        type Context = Context<Self>;
    }
    impl Handler<SendCall> for Calls {
        type Result = Result<(), crate::scheduler::master_connection::CallError>;
        fn handle(&mut self, _: SendCall, _: &mut Context<Self>) -> Self::Result {
            Ok(())
        }
    }

    fn subscribed(id: &str) -> Subscribed {
        Subscribed {
            framework_id: FrameworkId::new(id),
            heartbeat_interval: std::time::Duration::from_secs(15),
            master_info: None,
            master_url: "http://m:5050".into(),
            resubscribed: false,
        }
    }

    fn error(kind: MesosErrorKind, message: &str) -> MesosError {
        MesosError {
            kind,
            message: message.into(),
        }
    }

    #[actix_rt::test]
    async fn saves_on_subscribed_and_clears_only_when_the_framework_is_gone() {
        let store = Arc::new(Memory::default());
        let calls = Calls.start().recipient();
        let keeper = FrameworkIdKeeper::new(Some(store.clone()), None, calls).start();
        keeper.send(subscribed("f1")).await.unwrap();
        assert_eq!(store.load().unwrap(), Some(FrameworkId::new("f1")));
        for kept in [
            error(MesosErrorKind::ErrorEvent, "Framework failed over"),
            error(MesosErrorKind::Unauthorized, "401"),
            error(MesosErrorKind::GaveUp, "no usable master URL configured"),
        ] {
            keeper.send(kept).await.unwrap();
            assert!(store.load().unwrap().is_some());
        }
        keeper
            .send(error(
                MesosErrorKind::ErrorEvent,
                "Framework has been removed",
            ))
            .await
            .unwrap();
        assert_eq!(store.load().unwrap(), None);
        keeper.send(subscribed("f2")).await.unwrap();
        keeper
            .send(error(
                MesosErrorKind::GaveUp,
                "no subscription for longer than the failover timeout (5 s)",
            ))
            .await
            .unwrap();
        assert_eq!(store.load().unwrap(), None);
        keeper.send(subscribed("f3")).await.unwrap();
        keeper.send(ForgetFrameworkId).await.unwrap();
        assert_eq!(store.load().unwrap(), None);
    }
}
