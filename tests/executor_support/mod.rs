//! Test support for the executor runtime: a scriptable fake agent serving
//! `/slave(1)/api/v1/executor`, and a test executor actor that records what it is told.
#![allow(dead_code)]

use actix::prelude::*;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use bytes::Bytes;
use mesos_actix::Encoding;
use mesos_actix::executor::*;
use mesos_actix::proto::{
    AgentId, AgentInfo, ExecutorId, ExecutorInfo, FrameworkId, FrameworkInfo, TaskId, TaskInfo,
    TaskState, TaskStatus, executor, task_status,
};
use mesos_actix::recordio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

// A test that uses two support modules compiles it twice.
#[allow(clippy::duplicate_mod)]
#[path = "../wait/mod.rs"]
pub mod wait;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

pub const FRAMEWORK: &str = "fw-0001";
pub const EXECUTOR: &str = "exec-1";
pub const AGENT: &str = "agent-S0";

/// What the fake agent saw and how it behaves.
#[derive(Default)]
pub struct AgentState {
    /// Every SUBSCRIBE call, in order.
    pub subscribes: Vec<executor::Call>,
    /// Headers of each SUBSCRIBE: (Authorization, Accept, Content-Type, Mesos-Stream-Id).
    pub subscribe_headers: Vec<[Option<String>; 4]>,
    /// Every other call, in order.
    pub calls: Vec<executor::Call>,
    /// The open event stream.
    stream: Option<(UnboundedSender<Bytes>, Encoding)>,
    /// Every SUBSCRIBE request, answered or refused.
    pub attempts: usize,
    /// Answer every request with 503.
    pub down: bool,
    /// Answer SUBSCRIBE with this status instead of a stream.
    pub reject_subscribe: Option<u16>,
    /// Do not send SUBSCRIBED on subscribe.
    pub silent: bool,
    /// Do not acknowledge updates.
    pub no_ack: bool,
    /// Answer UPDATE calls with 400.
    pub reject_updates: bool,
}

#[derive(Clone)]
pub struct FakeAgent {
    pub port: u16,
    pub state: Arc<Mutex<AgentState>>,
    server: actix_web::dev::ServerHandle,
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn frame(encoding: Encoding, event: &executor::Event) -> Bytes {
    Bytes::from(recordio::encode(&encoding.encode(event)))
}

pub fn ack_event(status: &TaskStatus) -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Acknowledged as i32),
        acknowledged: Some(executor::event::Acknowledged {
            task_id: status.task_id.clone(),
            uuid: status.uuid.clone().unwrap_or_default(),
        }),
        ..Default::default()
    }
}

pub fn subscribed_event() -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Subscribed as i32),
        subscribed: Some(executor::event::Subscribed {
            executor_info: ExecutorInfo {
                executor_id: ExecutorId::new(EXECUTOR),
                framework_id: Some(FrameworkId::new(FRAMEWORK)),
                ..Default::default()
            },
            framework_info: FrameworkInfo {
                user: "root".into(),
                name: "test".into(),
                id: Some(FrameworkId::new(FRAMEWORK)),
                ..Default::default()
            },
            agent_info: AgentInfo {
                hostname: "localhost".into(),
                id: Some(AgentId::new(AGENT)),
                ..Default::default()
            },
            container_id: None,
        }),
        ..Default::default()
    }
}

async fn serve(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<AgentState>>>,
) -> HttpResponse {
    let mut st = state.lock().unwrap();
    let Some(encoding) = header(&req, "content-type")
        .as_deref()
        .and_then(Encoding::from_content_type)
    else {
        return HttpResponse::UnsupportedMediaType().finish();
    };
    let call: executor::Call = match encoding.decode(&body) {
        Ok(c) => c,
        Err(e) => return HttpResponse::BadRequest().body(e.to_string()),
    };
    use executor::call::Type;
    let kind = call.r#type.and_then(|t| Type::try_from(t).ok());
    if kind == Some(Type::Subscribe) {
        st.attempts += 1;
    }
    if st.down {
        return HttpResponse::ServiceUnavailable().body("Agent has not finished recovery");
    }
    match kind {
        Some(Type::Subscribe) => {
            st.subscribe_headers.push([
                header(&req, "authorization"),
                header(&req, "accept"),
                header(&req, "content-type"),
                header(&req, "mesos-stream-id"),
            ]);
            let carried: Vec<TaskStatus> = call
                .subscribe
                .as_ref()
                .map(|s| {
                    s.unacknowledged_updates
                        .iter()
                        .map(|u| u.status.clone())
                        .collect()
                })
                .unwrap_or_default();
            st.subscribes.push(call);
            if let Some(code) = st.reject_subscribe {
                return HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                    .body("refused");
            }
            let Some(out) = Encoding::from_accept(header(&req, "accept").as_deref()) else {
                return HttpResponse::NotAcceptable().finish();
            };
            let (tx, mut rx) = unbounded_channel::<Bytes>();
            if !st.silent {
                let _ = tx.send(frame(out, &subscribed_event()));
                if !st.no_ack {
                    for status in &carried {
                        let _ = tx.send(frame(out, &ack_event(status)));
                    }
                }
            }
            st.stream = Some((tx, out)); // a new SUBSCRIBE closes the previous stream
            let body = futures_util::stream::poll_fn(move |cx| {
                rx.poll_recv(cx).map(|o| o.map(Ok::<_, actix_web::Error>))
            });
            HttpResponse::Ok()
                .content_type(out.content_type())
                .streaming(body)
        }
        Some(Type::Update) => {
            let Some(update) = call.update.as_ref() else {
                return HttpResponse::BadRequest().body("no update");
            };
            let s = &update.status;
            if st.reject_updates {
                return HttpResponse::BadRequest().body("Task is unknown");
            }
            let valid = s
                .uuid
                .as_deref()
                .is_some_and(mesos_actix::proto::is_valid_uuid)
                && s.source == Some(task_status::Source::Executor as i32)
                && s.state != TaskState::TaskStaging as i32;
            if !valid {
                return HttpResponse::BadRequest()
                    .body("Failed to validate Executor::Call: Not a valid UUID");
            }
            let status = s.clone();
            st.calls.push(call);
            if !st.no_ack {
                if let Some((tx, enc)) = &st.stream {
                    let _ = tx.send(frame(*enc, &ack_event(&status)));
                }
            }
            HttpResponse::Accepted().finish()
        }
        Some(_) => {
            st.calls.push(call);
            HttpResponse::Accepted().finish()
        }
        None => HttpResponse::BadRequest().body("no type"),
    }
}

impl FakeAgent {
    pub async fn start() -> FakeAgent {
        let state = Arc::new(Mutex::new(AgentState::default()));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/slave(1)/api/v1/executor", web::post().to(serve))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_rt::spawn(server);
        FakeAgent {
            port,
            state,
            server: handle,
        }
    }

    /// The environment a real agent would set (checkpointing as given, short timings).
    pub fn env(&self, checkpoint: bool) -> Vec<(String, String)> {
        let mut v = vec![
            (
                "MESOS_SLAVE_PID",
                format!("slave(1)@127.0.0.1:{}", self.port),
            ),
            ("MESOS_AGENT_ENDPOINT", format!("127.0.0.1:{}", self.port)),
            ("MESOS_FRAMEWORK_ID", FRAMEWORK.into()),
            ("MESOS_EXECUTOR_ID", EXECUTOR.into()),
            ("MESOS_SLAVE_ID", AGENT.into()),
            ("MESOS_DIRECTORY", "/tmp".into()),
            (
                "MESOS_CHECKPOINT",
                if checkpoint { "1" } else { "0" }.into(),
            ),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "1secs".into()),
            ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "tok.en".into()),
        ];
        // Optional without checkpointing (used after a malformed stream); short here.
        v.push(("MESOS_SUBSCRIPTION_BACKOFF_MAX", "50ms".into()));
        if checkpoint {
            v.push(("MESOS_RECOVERY_TIMEOUT", "10secs".into()));
        }
        v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    pub fn with(&self, f: impl FnOnce(&mut AgentState)) {
        f(&mut self.state.lock().unwrap())
    }

    pub fn send(&self, event: executor::Event) {
        let st = self.state.lock().unwrap();
        let (tx, enc) = st.stream.as_ref().expect("no open stream");
        tx.send(frame(*enc, &event)).expect("stream closed");
    }

    pub fn send_raw(&self, bytes: &[u8]) {
        let st = self.state.lock().unwrap();
        let (tx, _) = st.stream.as_ref().expect("no open stream");
        tx.send(Bytes::copy_from_slice(bytes))
            .expect("stream closed");
    }

    /// Closes the event stream (the executor sees the connection end).
    pub fn cut(&self) {
        self.state.lock().unwrap().stream = None;
    }

    /// SUBSCRIBE requests, including those refused while down.
    pub fn attempts(&self) -> usize {
        self.state.lock().unwrap().attempts
    }

    /// SUBSCRIBE requests answered.
    pub fn subscribe_count(&self) -> usize {
        self.state.lock().unwrap().subscribes.len()
    }

    pub fn updates(&self) -> Vec<TaskStatus> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter_map(|c| c.update.as_ref().map(|u| u.status.clone()))
            .collect()
    }

    pub fn updates_of(&self, task: &str) -> Vec<TaskStatus> {
        self.updates()
            .into_iter()
            .filter(|s| s.task_id.value == task)
            .collect()
    }

    pub fn call_types(&self) -> Vec<executor::call::Type> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter_map(|c| {
                c.r#type
                    .and_then(|t| executor::call::Type::try_from(t).ok())
            })
            .collect()
    }

    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .calls
            .iter()
            .filter_map(|c| c.message.as_ref().map(|m| m.data.clone()))
            .collect()
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

pub fn launch(task: &str, data: &str) -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Launch as i32),
        launch: Some(executor::event::Launch {
            task: TaskInfo {
                name: task.into(),
                task_id: TaskId::new(task),
                agent_id: AgentId::new(AGENT),
                data: Some(data.as_bytes().to_vec()),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

pub fn kill(task: &str) -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Kill as i32),
        kill: Some(executor::event::Kill {
            task_id: TaskId::new(task),
            kill_policy: None,
        }),
        ..Default::default()
    }
}

pub fn message(data: &[u8]) -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Message as i32),
        message: Some(executor::event::Message {
            data: data.to_vec(),
        }),
        ..Default::default()
    }
}

pub fn shutdown() -> executor::Event {
    executor::Event {
        r#type: Some(executor::event::Type::Shutdown as i32),
        ..Default::default()
    }
}

/// Polls `cond` every 20 ms for up to 15 s; panics with `what` when it never holds.
pub async fn wait_for(what: &str, cond: impl FnMut() -> bool) {
    wait::until_true(what, Duration::from_secs(15), cond).await;
}

pub fn state(status: &TaskStatus) -> TaskState {
    TaskState::try_from(status.state).unwrap()
}

// ---------------------------------------------------------------------------------------
// A test executor.
// ---------------------------------------------------------------------------------------

/// What the test executor was told.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    Registered { resubscribed: bool },
    Launch(String),
    Group(Vec<String>),
    Kill(String),
    Message(Vec<u8>),
    Shutdown(ShutdownReason),
    Ack(String, TaskState, Vec<u8>),
    Error(AgentErrorKind),
}

/// Behaves by task data: `finish` (RUNNING then FINISHED), `killable` (RUNNING, KILLED on
/// Kill or Shutdown), `stubborn` (RUNNING, ignores Kill and Shutdown), anything else:
/// nothing. Echoes messages back prefixed with `echo:`.
pub struct TestExecutor {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    killable: Vec<String>,
}

impl TestExecutor {
    pub fn new() -> (TestExecutor, Arc<Mutex<Vec<Seen>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        (
            TestExecutor {
                seen: seen.clone(),
                killable: Vec::new(),
            },
            seen,
        )
    }

    fn push(&self, s: Seen) {
        self.seen.lock().unwrap().push(s);
    }
}

impl Actor for TestExecutor {
    type Context = Context<Self>;
}

impl Handler<Launch> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: Launch, ctx: &mut Context<Self>) {
        let id = msg.task.task_id.value.clone();
        self.push(Seen::Launch(id.clone()));
        let data = String::from_utf8(msg.task.data.clone().unwrap_or_default()).unwrap();
        let h = msg.handle;
        match data.as_str() {
            "finish" => {
                ctx.spawn(actix::fut::wrap_future(async move {
                    h.update(id.clone(), TaskState::TaskRunning, None)
                        .await
                        .unwrap();
                    h.send_update(
                        StatusUpdate::new(id, TaskState::TaskFinished)
                            .message("done")
                            .data(b"result".to_vec()),
                    )
                    .await
                    .unwrap();
                }));
            }
            "killable" | "stubborn" => {
                if data == "killable" {
                    self.killable.push(id.clone());
                }
                ctx.spawn(actix::fut::wrap_future(async move {
                    h.update(id, TaskState::TaskRunning, None).await.unwrap();
                }));
            }
            _ => {}
        }
    }
}

impl Handler<LaunchGroup> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: LaunchGroup, _: &mut Context<Self>) {
        let ids = msg
            .task_group
            .tasks
            .iter()
            .map(|t| t.task_id.value.clone())
            .collect();
        self.push(Seen::Group(ids));
    }
}

impl Handler<Kill> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: Kill, ctx: &mut Context<Self>) {
        let id = msg.task_id.value.clone();
        self.push(Seen::Kill(id.clone()));
        if self.killable.contains(&id) {
            self.killable.retain(|k| k != &id);
            let h = msg.handle;
            ctx.spawn(actix::fut::wrap_future(async move {
                h.update(id, TaskState::TaskKilled, Some("killed".into()))
                    .await
                    .unwrap();
            }));
        }
    }
}

impl Handler<Shutdown> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: Shutdown, ctx: &mut Context<Self>) {
        self.push(Seen::Shutdown(msg.reason.clone()));
        let h = msg.handle;
        for id in std::mem::take(&mut self.killable) {
            let h = h.clone();
            ctx.spawn(actix::fut::wrap_future(async move {
                let _ = h
                    .update(id, TaskState::TaskKilled, Some("shutdown".into()))
                    .await;
            }));
        }
    }
}

impl Handler<SchedulerMessage> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: SchedulerMessage, ctx: &mut Context<Self>) {
        self.push(Seen::Message(msg.data.clone()));
        let mut reply = b"echo:".to_vec();
        reply.extend_from_slice(&msg.data);
        let h = msg.handle;
        ctx.spawn(actix::fut::wrap_future(async move {
            h.send_message(reply).await.unwrap();
        }));
    }
}

impl Handler<Registered> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: Registered, _: &mut Context<Self>) {
        self.push(Seen::Registered {
            resubscribed: msg.resubscribed,
        });
    }
}

impl Handler<Acknowledged> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: Acknowledged, _: &mut Context<Self>) {
        self.push(Seen::Ack(msg.task_id.value, msg.state, msg.uuid));
    }
}

impl Handler<AgentError> for TestExecutor {
    type Result = ();
    fn handle(&mut self, msg: AgentError, _: &mut Context<Self>) {
        self.push(Seen::Error(msg.kind));
    }
}

/// Test timings: quick retries.
pub fn settings() -> ExecutorSettings {
    ExecutorSettings {
        call_retry_delay: Duration::from_millis(50),
        initial_subscribe_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// Starts a runtime for `vars` with a [`TestExecutor`] registered for every event.
pub fn start_executor(vars: Vec<(String, String)>) -> (RunningExecutor, Arc<Mutex<Vec<Seen>>>) {
    start_executor_with(vars, settings())
}

/// [`start_executor`] with other settings.
pub fn start_executor_with(
    vars: Vec<(String, String)>,
    settings: ExecutorSettings,
) -> (RunningExecutor, Arc<Mutex<Vec<Seen>>>) {
    let env = ExecutorEnv::from_vars(vars).unwrap();
    let (exec, seen) = TestExecutor::new();
    let addr = exec.start();
    let running = ExecutorBuilder::new(env)
        .settings(settings)
        .on_registered(addr.clone().recipient())
        .on_message(addr.clone().recipient())
        .on_acknowledged(addr.clone().recipient())
        .on_error(addr.clone().recipient())
        .start(addr);
    (running, seen)
}

pub fn seen_has(seen: &Arc<Mutex<Vec<Seen>>>, f: impl Fn(&Seen) -> bool) -> bool {
    seen.lock().unwrap().iter().any(f)
}

pub fn seen_count(seen: &Arc<Mutex<Vec<Seen>>>, f: impl Fn(&Seen) -> bool) -> usize {
    seen.lock().unwrap().iter().filter(|s| f(s)).count()
}
