//! Recorder actors standing in for the connection, the matcher and the user, around a
//! real `TaskTracker`.
#![allow(dead_code)]

use actix::prelude::*;
use mesos_actix::__internals::master_connection::{CallError, SendCall};
use mesos_actix::__internals::offer_matcher::{Place, Unplace};
use mesos_actix::__internals::task_tracker::{Launched, LaunchedAll, UpdateReceived};
use mesos_actix::__internals::task_tracker::{TaskTracker, TrackerLimits, TrackerSettings};
use mesos_actix::proto::scheduler::{Call, call};
use mesos_actix::proto::{AgentId, ExecutorId, TaskId, TaskState, TaskStatus, task_status};
use mesos_actix::scheduler::TaskSpec;
use mesos_actix::scheduler::TaskUpdate;
use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

/// Everything the stand-ins saw, in order.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A call the tracker sent.
    Call(Box<Call>),
    /// User recipient `n` finished handling an update.
    User(usize, Box<TaskUpdate>),
    /// The matcher was asked to queue an attempt.
    Place(TaskId, String),
    /// The matcher was asked to dequeue a task.
    Unplace(TaskId, bool),
}

pub type Log = Arc<Mutex<Vec<Entry>>>;

/// Stand-in for `MasterConnection`.
pub struct Conn {
    pub log: Log,
    pub answer: Arc<Mutex<Result<(), CallError>>>,
}
impl Actor for Conn {
    type Context = Context<Self>;
}
impl Handler<SendCall> for Conn {
    type Result = Result<(), CallError>;
    fn handle(&mut self, SendCall(call): SendCall, _: &mut Context<Self>) -> Self::Result {
        self.log.lock().unwrap().push(Entry::Call(Box::new(call)));
        self.answer.lock().unwrap().clone()
    }
}

/// Stand-in for `OfferMatcher`: a queue of task ids.
pub struct Matcher {
    pub log: Log,
    pub queue: Arc<Mutex<HashSet<String>>>,
}
impl Actor for Matcher {
    type Context = Context<Self>;
}
impl Handler<Place> for Matcher {
    type Result = ();
    fn handle(&mut self, msg: Place, _: &mut Context<Self>) {
        self.queue.lock().unwrap().insert(msg.task_id.value.clone());
        self.log
            .lock()
            .unwrap()
            .push(Entry::Place(msg.task_id, msg.spec.name.clone()));
    }
}
impl Handler<Unplace> for Matcher {
    type Result = bool;
    fn handle(&mut self, Unplace(id): Unplace, _: &mut Context<Self>) -> bool {
        let was = self.queue.lock().unwrap().remove(&id.value);
        self.log.lock().unwrap().push(Entry::Unplace(id, was));
        was
    }
}

/// Stand-in for the user's actor: takes `delay` to handle each update (a slow user).
pub struct User {
    pub n: usize,
    pub log: Log,
    pub delay: Duration,
}
impl Actor for User {
    type Context = Context<Self>;
}
impl Handler<TaskUpdate> for User {
    type Result = ResponseActFuture<Self, ()>;
    fn handle(&mut self, msg: TaskUpdate, _: &mut Context<Self>) -> Self::Result {
        let delay = self.delay;
        Box::pin(
            async move {
                if !delay.is_zero() {
                    // Simulates a slow consumer; nothing waits on this sleep.
                    actix_rt::time::sleep(delay).await;
                }
                msg
            }
            .into_actor(self)
            .map(|msg, act, _| {
                act.log
                    .lock()
                    .unwrap()
                    .push(Entry::User(act.n, Box::new(msg)))
            }),
        )
    }
}

/// A tracker wired to recorders.
pub struct Harness {
    pub tracker: Addr<TaskTracker>,
    pub log: Log,
    pub queue: Arc<Mutex<HashSet<String>>>,
    pub answer: Arc<Mutex<Result<(), CallError>>>,
}

pub fn settings() -> TrackerSettings {
    TrackerSettings {
        implicit_reconcile: Duration::ZERO,
        reconcile_backoff_initial: Duration::from_millis(50),
        reconcile_backoff_max: Duration::from_millis(200),
    }
}

impl Harness {
    /// A tracker with `users` user recipients, each taking `delay` per update.
    pub fn start(settings: TrackerSettings, users: usize, delay: Duration) -> Harness {
        Harness::start_with(settings, TrackerLimits::default(), users, |n, log| {
            User { n, log, delay }.start().recipient()
        })
    }

    /// A tracker bounded by `limits`, with `users` user recipients made by `user(n, log)`.
    pub fn start_with(
        settings: TrackerSettings,
        limits: TrackerLimits,
        users: usize,
        user: impl Fn(usize, Log) -> Recipient<TaskUpdate>,
    ) -> Harness {
        let log: Log = Arc::default();
        let queue: Arc<Mutex<HashSet<String>>> = Arc::default();
        let answer = Arc::new(Mutex::new(Ok(())));
        let conn = Conn {
            log: log.clone(),
            answer: answer.clone(),
        }
        .start();
        let matcher = Matcher {
            log: log.clone(),
            queue: queue.clone(),
        }
        .start();
        let users = (0..users).map(|n| user(n, log.clone())).collect();
        let tracker = TaskTracker::new(
            settings,
            conn.recipient(),
            matcher.clone().recipient(),
            matcher.recipient(),
            users,
        )
        .with_limits(limits)
        .start();
        Harness {
            tracker,
            log,
            queue,
            answer,
        }
    }

    pub async fn submit(&self, spec: TaskSpec) -> TaskId {
        self.tracker
            .send(mesos_actix::__internals::task_tracker::Track(spec))
            .await
            .unwrap()
            .unwrap()
    }

    /// The matcher puts the task into an ACCEPT on `agent`.
    pub async fn launch(&self, task_id: &TaskId, agent: &str) {
        assert!(self.queue.lock().unwrap().remove(&task_id.value));
        self.tracker
            .send(LaunchedAll(vec![Launched {
                task_id: task_id.clone(),
                agent_id: agent.into(),
                hostname: format!("{agent}.example").into(),
                offer_id: "o1".into(),
                executor_id: None,
            }]))
            .await
            .unwrap();
    }

    pub async fn update(&self, status: TaskStatus) {
        self.tracker.send(UpdateReceived(status)).await.unwrap();
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.log.lock().unwrap().clone()
    }

    pub fn calls_of(&self, kind: call::Type) -> Vec<Call> {
        self.entries()
            .into_iter()
            .filter_map(|e| match e {
                Entry::Call(c) if c.r#type == Some(kind as i32) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// (task id, uuid) of every ACKNOWLEDGE, in order.
    pub fn acks(&self) -> Vec<(String, Vec<u8>)> {
        self.calls_of(call::Type::Acknowledge)
            .into_iter()
            .map(|c| {
                let a = c.acknowledge.unwrap();
                (a.task_id.value, a.uuid)
            })
            .collect()
    }

    /// Task ids of every RECONCILE, in order (empty: implicit).
    pub fn reconciles(&self) -> Vec<Vec<(String, Option<String>)>> {
        self.calls_of(call::Type::Reconcile)
            .into_iter()
            .map(|c| {
                c.reconcile
                    .unwrap()
                    .tasks
                    .into_iter()
                    .map(|t| (t.task_id.value, t.agent_id.map(|a| a.value)))
                    .collect()
            })
            .collect()
    }

    pub fn kills(&self) -> Vec<mesos_actix::proto::scheduler::call::Kill> {
        self.calls_of(call::Type::Kill)
            .into_iter()
            .map(|c| c.kill.unwrap())
            .collect()
    }

    /// Updates user `n` handled, in order.
    pub fn user_updates(&self, n: usize) -> Vec<TaskUpdate> {
        self.entries()
            .into_iter()
            .filter_map(|e| match e {
                Entry::User(m, u) if m == n => Some(*u),
                _ => None,
            })
            .collect()
    }

    pub fn places(&self) -> Vec<TaskId> {
        self.entries()
            .into_iter()
            .filter_map(|e| match e {
                Entry::Place(id, _) => Some(id),
                _ => None,
            })
            .collect()
    }

    /// Polls `cond` every 10 ms for up to 10 s; panics with `what` if it never holds.
    pub async fn wait_for(&self, what: &str, cond: impl Fn(&Harness) -> bool) {
        wait::until_true(what, Duration::from_secs(10), || cond(self)).await;
    }
}

/// Polls a future-producing check every 10 ms for up to 10 s.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    wait::until_async(what, Duration::from_secs(10), check).await;
}

/// A status as an agent sends it (with a uuid when `uuid` is given).
pub fn status(task_id: &TaskId, state: TaskState, agent: &str, uuid: Option<u8>) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        source: Some(task_status::Source::Executor as i32),
        agent_id: Some(AgentId::new(agent)),
        executor_id: Some(ExecutorId::new(task_id.value.clone())),
        timestamp: Some(mesos_actix::proto::now_seconds()),
        uuid: uuid.map(uuid_bytes),
        ..Default::default()
    }
}

/// A reconciliation answer as a real master sends it: source master, no uuid.
pub fn reconciliation_answer(task_id: &TaskId, state: TaskState, agent: &str) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message: Some("Reconciliation: Latest task state".into()),
        source: Some(task_status::Source::Master as i32),
        reason: Some(task_status::Reason::Reconciliation as i32),
        agent_id: Some(AgentId::new(agent)),
        timestamp: Some(mesos_actix::proto::now_seconds()),
        ..Default::default()
    }
}

/// A deterministic, valid 16-byte v4 uuid numbered `n`.
pub fn uuid_bytes(n: u8) -> Vec<u8> {
    let mut b = vec![n; 16];
    b[6] = 0x40 | (n & 0x0f);
    b[8] = 0x80 | (n & 0x3f);
    b
}

pub fn spec(name: &str) -> TaskSpec {
    TaskSpec::new(name).cpus(0.1).mem(32.0).command("sleep 1")
}
