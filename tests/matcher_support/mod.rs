//! Shared helpers for the matcher tests: offers from resource text, call inspection, and
//! a recorder actor standing in for the connection and the tracker.
#![allow(dead_code, deprecated)]

use actix::prelude::*;
use mesos_actix::__internals::master_connection::{CallError, SendCall};
pub use mesos_actix::__internals::offer_matcher::testing::*;
use mesos_actix::__internals::task_tracker::{Launched, LaunchedAll};
use mesos_actix::proto::scheduler::Call;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

/// What the recorder saw.
#[derive(Default)]
pub struct Seen {
    /// Calls, in order.
    pub calls: Vec<Call>,
    /// Launch notices, in order.
    pub launched: Vec<Launched>,
}

/// Stands in for the MasterConnection (records calls) and the TaskTracker (records
/// launches).
pub struct Recorder(pub Arc<Mutex<Seen>>);

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<SendCall> for Recorder {
    type Result = Result<(), CallError>;
    fn handle(&mut self, msg: SendCall, _: &mut Context<Self>) -> Self::Result {
        self.0.lock().unwrap().calls.push(msg.0);
        Ok(())
    }
}

impl Handler<LaunchedAll> for Recorder {
    type Result = ();
    fn handle(&mut self, msg: LaunchedAll, _: &mut Context<Self>) {
        self.0.lock().unwrap().launched.extend(msg.0);
    }
}

/// Polls `cond` on the recorded state every 10 ms for up to 10 s.
pub async fn wait_for(seen: &Arc<Mutex<Seen>>, what: &str, cond: impl Fn(&Seen) -> bool) {
    wait::until_true(what, Duration::from_secs(10), || {
        cond(&seen.lock().unwrap())
    })
    .await;
}
