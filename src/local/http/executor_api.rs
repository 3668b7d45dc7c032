//! `POST /slave(N)/api/v1/executor` and plain `/api/v1/executor` (routed to the agent that
//! runs the calling executor): content type, body and call validation, then the agent.

use super::AppState;
use super::common::{decode_call, error_response, response_encoding, stream_response};
use crate::local::agent::{ExecutorApiCall, ExecutorReply, HasExecutor, LocalAgent};
use crate::local::wire::ApiError;
use crate::proto::{TaskState, executor::Call, executor::call::Type, task_status::Source};
use actix::Addr;
use actix_web::{HttpRequest, HttpResponse, web};

/// Stateless `executor::Call` validation (the agent's `validation::executor::call`).
pub fn validate(call: &Call) -> Result<(), String> {
    let Some(t) = call.r#type else {
        return Err("Expecting 'type' to be present".into());
    };
    match Type::try_from(t).unwrap_or(Type::Unknown) {
        Type::Subscribe if call.subscribe.is_none() => {
            Err("Expecting 'subscribe' to be present".into())
        }
        Type::Message if call.message.is_none() => Err("Expecting 'message' to be present".into()),
        Type::Update => {
            let status = &call
                .update
                .as_ref()
                .ok_or("Expecting 'update' to be present")?
                .status;
            if !status
                .uuid
                .as_deref()
                .is_some_and(crate::proto::is_valid_uuid)
            {
                return Err("Not a valid UUID".into());
            }
            if status.source != Some(Source::Executor as i32) {
                return Err("Received Call from executor with invalid source".into());
            }
            if status.state == TaskState::TaskStaging as i32 {
                return Err("Received TASK_STAGING from executor".into());
            }
            if status
                .executor_id
                .as_ref()
                .is_some_and(|e| *e != call.executor_id)
            {
                return Err("ExecutorID in Call and TaskStatus differ".into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Which agent a request is for: `slave(N)` from the path, else the one running the
/// executor (the first agent when none does: it answers "cannot be found").
async fn route(state: &AppState, slave: Option<&str>, call: &Call) -> Option<Addr<LocalAgent>> {
    if let Some(slave) = slave {
        let n: usize = slave
            .strip_prefix("slave(")?
            .strip_suffix(')')?
            .parse()
            .ok()?;
        return state.agents.get(n.checked_sub(1)?).cloned();
    }
    let mut chosen = None;
    let mut best = 0;
    for agent in &state.agents {
        let query = HasExecutor {
            framework_id: call.framework_id.value.clone(),
            executor_id: call.executor_id.value.clone(),
            kind: call.r#type(),
            task_id: call.update.as_ref().map(|u| u.status.task_id.value.clone()),
        };
        let score = agent.send(query).await.unwrap_or(0);
        if score > best {
            best = score;
            chosen = Some(agent.clone());
        }
        if score == 2 {
            break;
        }
    }
    chosen.or_else(|| state.agents.first().cloned())
}

async fn serve(
    req: HttpRequest,
    body: web::Bytes,
    state: &AppState,
    slave: Option<&str>,
) -> HttpResponse {
    let (encoding, call) = match decode_call::<Call>(&req, &body, "Executor::Call", validate) {
        Ok(decoded) => decoded,
        Err(resp) => return resp,
    };
    if call.r#type() == Type::Unknown {
        return HttpResponse::NotImplemented().finish();
    }
    let mut accept = encoding;
    if call.r#type() == Type::Subscribe {
        accept = match response_encoding(&req) {
            Ok(e) => e,
            Err(resp) => return resp,
        };
    }
    let Some(agent) = route(state, slave, &call).await else {
        return HttpResponse::NotFound().finish();
    };
    match agent.send(ExecutorApiCall { call, accept }).await {
        Ok(Ok(ExecutorReply::Accepted)) => HttpResponse::Accepted().finish(),
        Ok(Ok(ExecutorReply::Stream(stream))) => stream_response(accept, stream, None),
        Ok(Err(e)) => error_response(&e),
        Err(e) => error_response(&ApiError::new(503, format!("Agent unavailable: {e}"))),
    }
}

/// `/api/v1/executor`.
pub async fn handle_plain(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> HttpResponse {
    serve(req, body, &state, None).await
}

/// `/{slave}/api/v1/executor` with `slave` = `slave(N)`.
pub async fn handle_agent(
    req: HttpRequest,
    body: web::Bytes,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    serve(req, body, &state, Some(path.as_str())).await
}
