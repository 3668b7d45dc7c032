//! Test kit for framework authors: [`FakeMaster`], a scriptable loopback server for
//! `/api/v1/scheduler`.
//!
//! It behaves like a Mesos master's scheduler endpoint (both encodings, RecordIO event
//! stream, `Mesos-Stream-Id`, the same 400/401/403/406/415 answers for bad requests) and
//! lets a test drive it: push events, cut the stream, stall heartbeats, answer the next
//! SUBSCRIBE with a redirect or an error, and inspect every request it received.
//!
//! ```no_run
//! use mesos_actix::testkit::{FakeMaster, Response};
//! use std::time::Duration;
//!
//! #[actix_rt::main]
//! async fn main() -> std::io::Result<()> {
//!     let master = FakeMaster::start().await?;
//!     master.set_heartbeat_interval(0.2);
//!     master.respond_next_subscribe(Response::status(503, "No leader elected"));
//!     // ... start a framework against `master.url()` ...
//!     assert!(master.wait_for_subscribes(2, Duration::from_secs(10)).await);
//!     let offer = master.offer("o1", 2.0, 1024.0);
//!     master.send_offers(vec![offer]);
//!     let accept = master
//!         .wait_for_call(|c| c.call_type() == Some(mesos_actix::proto::scheduler::call::Type::Accept),
//!                        Duration::from_secs(10))
//!         .await;
//!     assert!(accept.is_some());
//!     Ok(())
//! }
//! ```

mod server;
mod state;

use crate::codec::Encoding;
use crate::proto::scheduler::{Call, Event, call, event};
use crate::proto::{AgentId, FrameworkId, MasterInfo, Offer, OfferId, Resource, TaskStatus};
use actix_web::{App, HttpServer, web};
use base64::Engine as _;
use bytes::Bytes;
use state::State;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A scripted answer to a coming SUBSCRIBE (see [`FakeMaster::respond_next_subscribe`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Answer with this status, headers and body instead of opening a stream.
    Status {
        /// HTTP status code (307, 503, 401, ...).
        code: u16,
        /// Extra response headers, such as `Location`.
        headers: Vec<(String, String)>,
        /// Response body.
        body: String,
    },
    /// Answer `200` with a stream that carries one `ERROR` event with this message and
    /// then ends, as a master does for a SUBSCRIBE it refuses after parsing it.
    Error(String),
}

impl Response {
    /// A plain status answer with a body.
    pub fn status(code: u16, body: impl Into<String>) -> Response {
        Response::Status {
            code,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// `307 Temporary Redirect` to `location`, verbatim.
    pub fn redirect(location: impl Into<String>) -> Response {
        Response::Status {
            code: 307,
            headers: vec![("Location".into(), location.into())],
            body: String::new(),
        }
    }

    /// The redirect a real follower master sends towards `leader`:
    /// `Location: //localhost:PORT/master/api/v1/scheduler` (no scheme, a hostname, the
    /// `/master` path).
    pub fn redirect_to(leader: &FakeMaster) -> Response {
        Response::redirect(format!(
            "//localhost:{}/master/api/v1/scheduler",
            leader.port()
        ))
    }
}

/// One request the fake master received, with its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedCall {
    /// Request path (`/api/v1/scheduler` or `/master/api/v1/scheduler`).
    pub path: String,
    /// Request headers (names in lower case), in the order received.
    pub headers: Vec<(String, String)>,
    /// The decoded call, if the body decoded.
    pub call: Option<Call>,
    /// The status code answered.
    pub status: u16,
    /// For a SUBSCRIBE answered with a stream: the `Mesos-Stream-Id` it was given.
    pub assigned_stream_id: Option<String>,
}

impl RecordedCall {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Mesos-Stream-Id` header the request carried.
    pub fn mesos_stream_id(&self) -> Option<&str> {
        self.header("Mesos-Stream-Id")
    }

    /// The call's type, if the body decoded and named a known type.
    pub fn call_type(&self) -> Option<call::Type> {
        self.call
            .as_ref()
            .and_then(|c| c.r#type)
            .and_then(|t| call::Type::try_from(t).ok())
    }

    /// Whether this is a SUBSCRIBE.
    pub fn is_subscribe(&self) -> bool {
        self.call_type() == Some(call::Type::Subscribe)
    }

    /// `Call.framework_id`, if set.
    pub fn framework_id(&self) -> Option<&FrameworkId> {
        self.call.as_ref().and_then(|c| c.framework_id.as_ref())
    }
}

/// Stops the server when the last handle goes away.
struct Guard {
    state: Arc<State>,
    server: actix_web::dev::ServerHandle,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.state.close();
        // The stop command is sent at once; waiting for it is not needed.
        drop(self.server.stop(false));
    }
}

/// A fake Mesos master serving `/api/v1/scheduler` and `/master/api/v1/scheduler` on
/// `127.0.0.1` (a port of its own). Cheap to clone; the server stops when the last clone
/// is dropped.
///
/// Default behaviour: every SUBSCRIBE gets a new `200` stream with a new stream id that
/// starts with `SUBSCRIBED` (the framework id, the heartbeat interval) and `HEARTBEAT`,
/// followed by a `HEARTBEAT` every interval; a second subscription ends the first stream
/// (after an `ERROR "Framework failed over"`, like Mesos). Other calls get `202` when they
/// carry the framework id and the current `Mesos-Stream-Id`; `TEARDOWN` also ends the
/// stream and forgets the framework.
#[derive(Clone)]
pub struct FakeMaster {
    state: Arc<State>,
    port: u16,
    _guard: Arc<Guard>,
}

impl std::fmt::Debug for FakeMaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeMaster")
            .field("port", &self.port)
            .finish()
    }
}

impl FakeMaster {
    /// Starts a fake master on `127.0.0.1:0` inside the caller's actix system.
    pub async fn start() -> std::io::Result<FakeMaster> {
        let master_info = MasterInfo {
            id: uuid::Uuid::new_v4().to_string(),
            ip: u32::from_le_bytes([127, 0, 0, 1]),
            port: 0,
            hostname: Some("localhost".into()),
            version: Some("1.11.0".into()),
            ..Default::default()
        };
        let state = Arc::new(State::new(master_info));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(server::MAX_BODY))
                .service(
                    web::resource(["/api/v1/scheduler", "/master/api/v1/scheduler"])
                        .route(web::post().to(server::scheduler_api)),
                )
        })
        .workers(1)
        .on_connect(crate::server::tcp::on_connect)
        .disable_signals()
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))?;
        let port = server
            .addrs()
            .first()
            .map(|a| a.port())
            .ok_or_else(|| std::io::Error::other("fake master bound no address"))?;
        {
            let mut inner = state.lock();
            inner.master_info.port = u32::from(port);
            inner.master_info.pid = Some(format!("master@127.0.0.1:{port}"));
        }
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        actix_rt::spawn(state::heartbeats(state.clone()));
        Ok(FakeMaster {
            state: state.clone(),
            port,
            _guard: Arc::new(Guard {
                state,
                server: handle,
            }),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`, to give a framework as its master.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the fake listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sets the heartbeat interval (seconds) announced in later `SUBSCRIBED` events and
    /// used for the `HEARTBEAT`s sent from now on. Non-positive values are ignored.
    pub fn set_heartbeat_interval(&self, secs: f64) {
        if secs.is_finite() && secs > 0.0 {
            self.state.lock().heartbeat_interval = Duration::from_secs_f64(secs.min(1e6));
            self.state.heartbeat_changed.notify_waiters();
        }
    }

    /// Stops (`true`) or resumes (`false`) the periodic heartbeats, to trigger a
    /// subscriber's watchdog.
    pub fn stall_heartbeats(&self, stall: bool) {
        self.state.lock().stalled = stall;
        self.state.heartbeat_changed.notify_waiters();
    }

    /// Holds back (`true`) or releases (`false`) the answers to calls other than
    /// SUBSCRIBE: a held call is recorded at once but answered only when released, as a
    /// slow master would.
    pub fn hold_calls(&self, hold: bool) {
        self.state.calls_held.send_replace(hold);
    }

    /// Requires HTTP Basic credentials on every request; others get `401`.
    pub fn require_credentials(&self, principal: &str, secret: &str) {
        let token =
            base64::engine::general_purpose::STANDARD.encode(format!("{principal}:{secret}"));
        self.state.lock().authorization = Some(format!("Basic {token}"));
    }

    /// The framework id of the current (or last) subscription.
    pub fn framework_id(&self) -> Option<FrameworkId> {
        self.state.lock().framework_id.clone()
    }

    /// The stream id of the open stream, if a subscriber is connected.
    pub fn stream_id(&self) -> Option<String> {
        self.state.lock().stream.as_ref().map(|s| s.id.clone())
    }

    /// The encoding of the open stream.
    pub fn stream_encoding(&self) -> Option<Encoding> {
        self.state.lock().stream.as_ref().map(|s| s.tx.encoding)
    }

    /// Queues an answer for the next SUBSCRIBE that passes validation (answers are used
    /// in the order queued; afterwards SUBSCRIBE opens a stream again).
    pub fn respond_next_subscribe(&self, response: Response) {
        self.state.lock().script.push_back(response);
    }

    /// Sends one event on the open stream, in its encoding. `false` if no subscriber.
    pub fn send_event(&self, event: &Event) -> bool {
        self.send_events(std::slice::from_ref(event))
    }

    /// Sends several events in one chunk. `false` if no subscriber.
    pub fn send_events(&self, events: &[Event]) -> bool {
        let inner = self.state.lock();
        inner
            .stream
            .as_ref()
            .is_some_and(|s| s.push(s.frame(events)))
    }

    /// Sends `bytes` verbatim on the open stream (for malformed RecordIO). `false` if no
    /// subscriber.
    pub fn send_raw(&self, bytes: impl Into<Bytes>) -> bool {
        let inner = self.state.lock();
        inner.stream.as_ref().is_some_and(|s| s.push(bytes.into()))
    }

    /// `events` encoded for the open stream and framed as RecordIO, ready to be pushed
    /// (repeatedly, cheaply) with [`send_raw`](Self::send_raw). `None` if no subscriber.
    pub fn frame_events(&self, events: &[Event]) -> Option<Bytes> {
        let inner = self.state.lock();
        inner.stream.as_ref().map(|s| s.frame(events))
    }

    /// Sends `payload` framed as one RecordIO record, verbatim (for undecodable events).
    pub fn send_record(&self, payload: &[u8]) -> bool {
        self.send_raw(crate::recordio::encode(payload))
    }

    /// Sends an `OFFERS` event.
    pub fn send_offers(&self, offers: Vec<Offer>) -> bool {
        self.send_event(&Event {
            r#type: Some(event::Type::Offers as i32),
            offers: Some(event::Offers { offers }),
            ..Default::default()
        })
    }

    /// Sends an `UPDATE` event.
    pub fn send_update(&self, status: TaskStatus) -> bool {
        self.send_event(&Event {
            r#type: Some(event::Type::Update as i32),
            update: Some(event::Update { status }),
            ..Default::default()
        })
    }

    /// A simple offer for the current framework from agent `fake-agent-S0` on
    /// `localhost`: `cpus`, `mem` and ports 31000-32000, all for role `*`.
    pub fn offer(&self, id: &str, cpus: f64, mem: f64) -> Offer {
        let allocation = || {
            Some(crate::proto::resource::AllocationInfo {
                role: Some("*".into()),
            })
        };
        let resources = [
            Resource::scalar("cpus", cpus),
            Resource::scalar("mem", mem),
            Resource::ranges("ports", &[(31000, 32000)]),
        ]
        .into_iter()
        .map(|mut r| {
            r.allocation_info = allocation();
            r
        })
        .collect();
        Offer {
            id: OfferId::new(id),
            framework_id: self.framework_id().unwrap_or_default(),
            agent_id: AgentId::new("fake-agent-S0"),
            hostname: "localhost".into(),
            resources,
            allocation_info: allocation(),
            ..Default::default()
        }
    }

    /// Ends the open stream, as a master or network failure would. `false` if none.
    pub fn cut_stream(&self) -> bool {
        self.state.lock().stream.take().is_some()
    }

    /// Every request received so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.state.lock().calls.clone()
    }

    /// How many SUBSCRIBE requests were received (whatever they were answered).
    pub fn subscribe_count(&self) -> usize {
        self.state
            .lock()
            .calls
            .iter()
            .filter(|c| c.is_subscribe())
            .count()
    }

    /// Waits until a received request matches `predicate` (including earlier ones) and
    /// returns the first match, or `None` after `timeout`.
    pub async fn wait_for_call(
        &self,
        predicate: impl Fn(&RecordedCall) -> bool,
        timeout: Duration,
    ) -> Option<RecordedCall> {
        let deadline = deadline_after(timeout);
        loop {
            let notified = self.state.recorded.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = self.state.lock().calls.iter().find(|c| predicate(c)) {
                return Some(found.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let _ = actix_rt::time::timeout(left, notified).await;
        }
    }

    /// Waits until at least `n` SUBSCRIBE requests were received; `false` on timeout.
    pub async fn wait_for_subscribes(&self, n: usize, timeout: Duration) -> bool {
        let deadline = deadline_after(timeout);
        loop {
            let notified = self.state.recorded.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.subscribe_count() >= n {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = actix_rt::time::timeout(left, notified).await;
        }
    }
}

/// `now + timeout`, or a day from now when that overflows.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests;
