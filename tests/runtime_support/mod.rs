//! Shared support of the `runtime_*` tests: an actor that records what the runtime tells
//! the user, and bounded waits on it.

#![allow(dead_code)]

use actix::prelude::*;
use mesos_actix::scheduler::{ExecutorMessage, MesosError, Subscribed, TaskUpdate};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

/// Everything the recorder heard.
#[derive(Default)]
pub struct Heard {
    pub updates: Vec<TaskUpdate>,
    pub messages: Vec<ExecutorMessage>,
    pub subscribed: Vec<Subscribed>,
    pub errors: Vec<MesosError>,
}

/// Records every event into a shared [`Heard`].
#[derive(Clone, Default)]
pub struct Recorder {
    pub heard: Arc<Mutex<Heard>>,
}

impl Actor for Recorder {
    type Context = Context<Self>;
}

macro_rules! record {
    ($msg:ty, $field:ident) => {
        impl Handler<$msg> for Recorder {
            type Result = ();
            fn handle(&mut self, msg: $msg, _: &mut Context<Self>) {
                self.heard.lock().unwrap().$field.push(msg);
            }
        }
    };
}
record!(TaskUpdate, updates);
record!(ExecutorMessage, messages);
record!(Subscribed, subscribed);
record!(MesosError, errors);

impl Recorder {
    /// Polls `check` (every [`wait::EVERY`]) until it holds or `timeout` passes; answers whether it held.
    pub async fn wait_until(&self, timeout: Duration, check: impl Fn(&Heard) -> bool) -> bool {
        wait::holds_within(timeout, || check(&self.heard.lock().unwrap())).await
    }

    /// The final updates heard so far.
    pub fn finals(&self) -> Vec<TaskUpdate> {
        self.heard
            .lock()
            .unwrap()
            .updates
            .iter()
            .filter(|u| u.is_final)
            .cloned()
            .collect()
    }
}

/// The hello_executor example binary (built by `cargo test` along with the tests).
pub fn hello_executor() -> std::path::PathBuf {
    let mut path = std::env::current_exe().expect("test binary path");
    path.pop(); // deps/
    path.pop(); // debug/
    path.push("examples");
    path.push("hello_executor");
    path
}
