//! Shared helpers of the `connection_*` tests: a collector actor standing in for every
//! sink of a `MasterConnection`, and bounded waits on what it saw.

#![allow(dead_code)]

use actix::prelude::*;
use mesos_actix::__internals::master_connection::{
    ConnectionSettings, ConnectionSinks, MasterConnection,
};
use mesos_actix::__internals::task_tracker::UpdateReceived;
use mesos_actix::codec::Encoding;
use mesos_actix::proto::FrameworkInfo;
use mesos_actix::scheduler::{
    Disconnected, ExecutorMessage, Failure, MesosError, MesosErrorKind, Offers, Rescind, Subscribed,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

/// Long enough for anything in these tests on a loaded machine.
pub const WAIT: Duration = Duration::from_secs(20);

/// Everything the connection told its sinks.
#[derive(Debug, Clone)]
pub enum Seen {
    Subscribed(Subscribed),
    Disconnected(Disconnected),
    Offers(Offers),
    Rescind(Rescind),
    Update(UpdateReceived),
    Message(ExecutorMessage),
    Failure(Failure),
    Error(MesosError),
}

/// The collector's log, shared with the test (single-threaded test runtime).
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<Seen>>>);

impl Log {
    pub fn all(&self) -> Vec<Seen> {
        self.0.borrow().clone()
    }

    pub fn subscribed(&self) -> Vec<Subscribed> {
        self.pick(|s| match s {
            Seen::Subscribed(x) => Some(x.clone()),
            _ => None,
        })
    }

    pub fn disconnected(&self) -> Vec<Disconnected> {
        self.pick(|s| match s {
            Seen::Disconnected(x) => Some(x.clone()),
            _ => None,
        })
    }

    pub fn errors(&self) -> Vec<MesosError> {
        self.pick(|s| match s {
            Seen::Error(x) => Some(x.clone()),
            _ => None,
        })
    }

    pub fn errors_of(&self, kind: MesosErrorKind) -> Vec<MesosError> {
        self.errors()
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }

    pub fn pick<T>(&self, f: impl Fn(&Seen) -> Option<T>) -> Vec<T> {
        self.0.borrow().iter().filter_map(f).collect()
    }

    /// Polls (every 10 ms, up to [`WAIT`]) until `cond` holds; `false` on timeout.
    pub async fn wait(&self, cond: impl Fn(&Log) -> bool) -> bool {
        wait::holds_within(WAIT, || cond(self)).await
    }

    /// Waits for the `n`th `Subscribed` and returns it.
    pub async fn nth_subscribed(&self, n: usize) -> Subscribed {
        assert!(
            self.wait(|l| l.subscribed().len() >= n).await,
            "no subscription #{n}; saw {:?}",
            self.all()
        );
        self.subscribed()[n - 1].clone()
    }
}

/// One actor for every sink.
pub struct Collector(pub Log);

impl Actor for Collector {
    type Context = Context<Self>;
}

macro_rules! collect {
    ($($msg:ty => $variant:ident),*) => {$(
        impl Handler<$msg> for Collector {
            type Result = ();
            fn handle(&mut self, msg: $msg, _: &mut Self::Context) {
                self.0.0.borrow_mut().push(Seen::$variant(msg));
            }
        }
    )*};
}

collect!(
    Subscribed => Subscribed,
    Disconnected => Disconnected,
    Offers => Offers,
    Rescind => Rescind,
    UpdateReceived => Update,
    ExecutorMessage => Message,
    Failure => Failure,
    MesosError => Error
);

/// Test settings: short backoff, small record cap, two call connections.
pub fn settings(masters: Vec<String>, encoding: Encoding) -> ConnectionSettings {
    ConnectionSettings {
        masters,
        zk: None,
        tls: None,
        framework_info: FrameworkInfo::new("conn-test"),
        encoding,
        credentials: None,
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        heartbeat_misses: 5.0,
        call_timeout: Duration::from_secs(10),
        max_record_bytes: 1024 * 1024,
        call_connections: 2,
        call_pipelining: true,
    }
}

/// Starts a collector and a connection that reports to it.
pub fn start(settings: ConnectionSettings) -> (Addr<MasterConnection>, Log) {
    let log = Log::default();
    let collector = Collector(log.clone()).start();
    (
        MasterConnection::new(settings, sinks(&collector)).start(),
        log,
    )
}

/// Every sink of a connection, all of them `collector`.
pub fn sinks(collector: &Addr<Collector>) -> ConnectionSinks {
    ConnectionSinks {
        offers: collector.clone().recipient(),
        matcher: None,
        rescinds: collector.clone().recipient(),
        updates: collector.clone().recipient(),
        messages: collector.clone().recipient(),
        subscribed: vec![collector.clone().recipient()],
        disconnected: vec![collector.clone().recipient()],
        failures: vec![collector.clone().recipient()],
        errors: vec![collector.clone().recipient()],
    }
}

/// A URL on which nothing listens (a port that was just bound and released).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Waits (bounded) until the actor behind `addr` has stopped.
pub async fn wait_stopped<A: Actor>(addr: &Addr<A>) -> bool {
    wait::holds_within(WAIT, || !addr.connected()).await
}
