//! A tiny raw-HTTP scheduler (awc) for the local-cluster tests: subscribe, read the event
//! stream, send calls, wait for events with a deadline.
#![allow(dead_code)]

use bytes::Bytes;
use futures_util::StreamExt;
use mesos_actix::Encoding;
use mesos_actix::local::{LocalCluster, LocalClusterConfig};
use mesos_actix::proto::{
    CommandInfo, FrameworkInfo, Offer, Resource, TaskInfo, TaskState, TaskStatus, offer,
    scheduler::{Call, Event, call, event},
};
use std::time::Duration;
use tokio::sync::mpsc;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;

pub const WAIT: Duration = Duration::from_secs(20);

/// A cluster with short timers for tests.
pub fn test_config(agents: usize) -> LocalClusterConfig {
    LocalClusterConfig {
        agents,
        resources: "cpus:2;mem:1024;disk:1024;ports:[31000-31010]".into(),
        heartbeat_interval: Duration::from_millis(200),
        status_update_backoff: Duration::from_millis(200),
        status_update_backoff_max: Duration::from_secs(1),
        allocation_interval: Duration::from_millis(100),
        executor_shutdown_grace_period: Duration::from_secs(1),
        ..Default::default()
    }
}

pub async fn start(agents: usize) -> LocalCluster {
    LocalCluster::start(test_config(agents)).await.unwrap()
}

pub fn client() -> awc::Client {
    mesos_actix::__internals::client::http_client(Duration::from_secs(30))
}

pub struct Sched {
    pub url: String,
    pub encoding: Encoding,
    pub framework_id: String,
    pub stream_id: String,
    pub events: mpsc::UnboundedReceiver<Event>,
    pub client: awc::Client,
    pub auth: Option<(String, String)>,
    /// Events skipped by `wait_for`, seen again by later waits.
    pub backlog: std::collections::VecDeque<Event>,
    reader: actix_rt::task::JoinHandle<()>,
}

impl Drop for Sched {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

pub fn framework(name: &str) -> FrameworkInfo {
    let mut info = FrameworkInfo::new(name);
    info.failover_timeout = Some(0.0);
    info
}

pub fn subscribe_call(info: &FrameworkInfo) -> Call {
    Call {
        framework_id: info.id.clone(),
        r#type: Some(call::Type::Subscribe as i32),
        subscribe: Some(call::Subscribe {
            framework_info: info.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Sched {
    pub async fn subscribe(url: &str, encoding: Encoding, info: FrameworkInfo) -> Sched {
        Self::subscribe_auth(url, encoding, info, None).await
    }

    pub async fn subscribe_auth(
        url: &str,
        encoding: Encoding,
        info: FrameworkInfo,
        auth: Option<(String, String)>,
    ) -> Sched {
        let client = client();
        let body = encoding.encode(&subscribe_call(&info));
        let mut req = client
            .post(format!("{url}/api/v1/scheduler"))
            .insert_header(("Content-Type", encoding.content_type()))
            .insert_header(("Accept", encoding.content_type()));
        if let Some((p, s)) = &auth {
            req = req.basic_auth(p, s);
        }
        let resp = req.send_body(body).await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(
            resp.headers()
                .get("content-type")
                .unwrap()
                .to_str()
                .unwrap(),
            encoding.content_type()
        );
        let stream_id = resp
            .headers()
            .get("Mesos-Stream-Id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let (tx, mut events) = mpsc::unbounded_channel();
        let reader = actix_rt::spawn(async move {
            let mut records = Box::pin(mesos_actix::__internals::client::records(resp, 1 << 24));
            while let Some(Ok(record)) = records.next().await {
                let ev: Event = encoding.decode(&record).unwrap();
                if tx.send(ev).is_err() {
                    break;
                }
            }
        });
        let first = tokio::time::timeout(WAIT, events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.r#type(), event::Type::Subscribed, "{first:?}");
        let framework_id = first.subscribed.unwrap().framework_id.value;
        Sched {
            url: url.to_string(),
            encoding,
            framework_id,
            stream_id,
            events,
            client,
            auth,
            backlog: Default::default(),
            reader,
        }
    }

    /// Closes the subscription connection.
    pub fn disconnect(&mut self) {
        self.reader.abort();
    }

    pub async fn post(&self, call: &Call) -> (u16, Bytes) {
        let mut req = self
            .client
            .post(format!("{}/api/v1/scheduler", self.url))
            .insert_header(("Content-Type", self.encoding.content_type()))
            .insert_header(("Mesos-Stream-Id", self.stream_id.as_str()));
        if let Some((p, s)) = &self.auth {
            req = req.basic_auth(p, s);
        }
        let mut resp = req.send_body(self.encoding.encode(call)).await.unwrap();
        let body = resp.body().await.unwrap_or_default();
        (resp.status().as_u16(), body)
    }

    pub fn call(&self, t: call::Type) -> Call {
        Call {
            framework_id: Some(self.framework_id.as_str().into()),
            r#type: Some(t as i32),
            ..Default::default()
        }
    }

    pub async fn next(&mut self) -> Event {
        tokio::time::timeout(WAIT, self.events.recv())
            .await
            .expect("timed out waiting for an event")
            .expect("event stream ended")
    }

    /// The next event that is not a HEARTBEAT and satisfies `pred`; others are skipped.
    pub async fn wait_for(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i).unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap_or_else(|| panic!("stream ended waiting for {what}"));
            if pred(&ev) {
                return ev;
            }
            if ev.r#type() != event::Type::Heartbeat {
                self.backlog.push_back(ev);
            }
        }
    }

    pub async fn offers(&mut self) -> Vec<Offer> {
        self.wait_for("offers", |e| e.r#type() == event::Type::Offers)
            .await
            .offers
            .unwrap()
            .offers
    }

    /// The next UPDATE for `task`; acknowledged when it carries a uuid.
    pub async fn update(&mut self, task: &str) -> TaskStatus {
        let ev = self
            .wait_for(&format!("an update of {task}"), |e| {
                e.update
                    .as_ref()
                    .is_some_and(|u| u.status.task_id.value == task)
            })
            .await;
        let status = ev.update.unwrap().status;
        if status.uuid.is_some() {
            self.ack(&status).await;
        }
        status
    }

    /// Waits for `task` to reach `state`, acknowledging everything on the way.
    pub async fn until_state(&mut self, task: &str, state: TaskState) -> TaskStatus {
        loop {
            let s = self.update(task).await;
            if s.state() == state {
                return s;
            }
            assert!(
                !s.state().is_terminal(),
                "task {task} ended in {:?} ({:?}) waiting for {state:?}",
                s.state(),
                s.message
            );
        }
    }

    pub async fn ack(&self, status: &TaskStatus) {
        let mut c = self.call(call::Type::Acknowledge);
        c.acknowledge = Some(call::Acknowledge {
            agent_id: status.agent_id.clone().unwrap(),
            task_id: status.task_id.clone(),
            uuid: status.uuid.clone().unwrap(),
        });
        let (code, body) = self.post(&c).await;
        assert_eq!(code, 202, "{body:?}");
    }

    pub async fn launch(&self, offer: &Offer, tasks: Vec<TaskInfo>) -> u16 {
        let mut c = self.call(call::Type::Accept);
        c.accept = Some(call::Accept {
            offer_ids: vec![offer.id.clone()],
            operations: vec![offer::Operation {
                r#type: Some(offer::operation::Type::Launch as i32),
                launch: Some(offer::operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            // The unused remainder comes back soon (the default filter is 5 s).
            filters: Some(mesos_actix::proto::Filters {
                refuse_seconds: Some(0.1),
            }),
        });
        self.post(&c).await.0
    }

    pub async fn decline(&self, offers: &[Offer], refuse_seconds: f64) {
        let mut c = self.call(call::Type::Decline);
        c.decline = Some(call::Decline {
            offer_ids: offers.iter().map(|o| o.id.clone()).collect(),
            filters: Some(mesos_actix::proto::Filters {
                refuse_seconds: Some(refuse_seconds),
            }),
        });
        assert_eq!(self.post(&c).await.0, 202);
    }
}

pub fn task_resources(cpus: f64, mem: f64) -> Vec<Resource> {
    vec![Resource::scalar("cpus", cpus), Resource::scalar("mem", mem)]
}

pub fn command_task(id: &str, offer: &Offer, command: &str) -> TaskInfo {
    TaskInfo {
        name: id.into(),
        task_id: id.into(),
        agent_id: offer.agent_id.clone(),
        resources: task_resources(0.1, 32.0),
        command: Some(CommandInfo {
            value: Some(command.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Polls `f` (every [`wait::EVERY`]) until it returns Some, for up to [`WAIT`].
pub async fn poll<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    wait::until(what, WAIT, f).await
}
