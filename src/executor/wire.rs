//! The executor API on the wire: building calls, posting them, and what the event stream
//! yields to the runtime.

use super::env::ExecutorEnv;
use crate::codec::Encoding;
use crate::proto::{TaskInfo, TaskStatus, executor};
use crate::transport::client::StreamError;
use awc::http::header;
use bytes::Bytes;

/// One item of a subscription's event stream, tagged with the connection it came from.
#[derive(Debug)]
pub(crate) struct WireItem {
    /// The connection generation.
    pub generation: u64,
    /// What arrived.
    pub event: WireEvent,
}

/// What a subscription stream yields.
#[derive(Debug)]
pub(crate) enum WireEvent {
    /// One complete RecordIO record (an encoded event).
    Record(Bytes),
    /// The stream broke (bad framing or a transport error); nothing follows.
    Broken(StreamError),
    /// The agent closed the stream.
    Ended,
}

impl actix::Message for WireItem {
    type Result = ();
}

fn call(env: &ExecutorEnv, kind: executor::call::Type) -> executor::Call {
    executor::Call {
        executor_id: env.executor_id.clone(),
        framework_id: env.framework_id.clone(),
        r#type: Some(kind as i32),
        ..Default::default()
    }
}

/// SUBSCRIBE with the unacknowledged tasks and updates (`subscribe` is always present).
pub(crate) fn subscribe(
    env: &ExecutorEnv,
    tasks: Vec<TaskInfo>,
    updates: &[TaskStatus],
) -> executor::Call {
    let mut c = call(env, executor::call::Type::Subscribe);
    c.subscribe = Some(executor::call::Subscribe {
        unacknowledged_tasks: tasks,
        unacknowledged_updates: updates
            .iter()
            .map(|s| executor::call::Update { status: s.clone() })
            .collect(),
    });
    c
}

/// UPDATE carrying `status`.
pub(crate) fn update(env: &ExecutorEnv, status: TaskStatus) -> executor::Call {
    let mut c = call(env, executor::call::Type::Update);
    c.update = Some(executor::call::Update { status });
    c
}

/// MESSAGE carrying `data`.
pub(crate) fn message(env: &ExecutorEnv, data: Vec<u8>) -> executor::Call {
    let mut c = call(env, executor::call::Type::Message);
    c.message = Some(executor::call::Message { data });
    c
}

/// HEARTBEAT.
pub(crate) fn heartbeat(env: &ExecutorEnv) -> executor::Call {
    call(env, executor::call::Type::Heartbeat)
}

/// A POST of `call` to the executor endpoint with the right headers: `Content-Type`,
/// `Accept` (for SUBSCRIBE) and `Authorization: Bearer` when there is a token.
pub(crate) fn post(
    client: &awc::Client,
    env: &ExecutorEnv,
    call: &executor::Call,
    accept: bool,
) -> awc::SendClientRequest {
    let encoding = env.encoding;
    let mut req = client
        .post(&env.endpoint)
        .insert_header((header::CONTENT_TYPE, encoding.content_type()));
    if accept {
        req = req.insert_header((header::ACCEPT, encoding.content_type()));
    }
    if let Some(token) = &env.auth_token {
        req = req.insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
    }
    req.send_body(encoding.encode(call))
}

/// Why a (non-SUBSCRIBE) call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CallFailure {
    /// The request could not be sent or the answer not received.
    Transport(String),
    /// The agent answered with a non-2xx status.
    Status {
        /// HTTP status.
        status: u16,
        /// Body (shortened).
        body: String,
    },
}

impl CallFailure {
    /// Whether sending the same call again later may succeed: transport failures, 5xx,
    /// 404 (routes not installed yet), 403 "Executor is not subscribed" (a stale
    /// connection), 408 and 429.
    pub fn retryable(&self) -> bool {
        match self {
            CallFailure::Transport(_) => true,
            CallFailure::Status { status, .. } => {
                *status >= 500 || matches!(status, 403 | 404 | 408 | 429)
            }
        }
    }
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallFailure::Transport(e) => write!(f, "transport: {e}"),
            CallFailure::Status { status, body } => write!(f, "{status} {body}"),
        }
    }
}

fn shorten(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    text.trim().to_string()
}

/// Sends one call and waits for a 2xx answer (the agent answers 202 with no body).
pub(crate) async fn send_call(
    client: awc::Client,
    env: ExecutorEnv,
    call: executor::Call,
) -> Result<(), CallFailure> {
    let mut resp = post(&client, &env, &call, false)
        .await
        .map_err(|e| CallFailure::Transport(e.to_string()))?;
    let status = resp.status();
    let body = resp.body().limit(64 * 1024).await.unwrap_or_default();
    if status.is_success() {
        Ok(())
    } else {
        Err(CallFailure::Status {
            status: status.as_u16(),
            body: shorten(&body),
        })
    }
}

/// The encoding of a SUBSCRIBE answer: its exact `Content-Type`, else what we asked for.
pub(crate) fn response_encoding(resp_content_type: Option<&str>, asked: Encoding) -> Encoding {
    resp_content_type
        .and_then(Encoding::from_content_type)
        .unwrap_or(asked)
}
