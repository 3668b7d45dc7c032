//! The HTTP side of [`FakeMaster`](super::FakeMaster): `/api/v1/scheduler` (and
//! `/master/api/v1/scheduler`), validating requests the way a real master does.

use super::state::{Inner, OpenStream, State};
use super::{RecordedCall, Response};
use crate::codec::Encoding;
use crate::proto::scheduler::{Call, Event, call, event};
use crate::proto::{FrameworkId, is_valid_uuid};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The stream id header.
const STREAM_ID: &str = "Mesos-Stream-Id";

/// Largest request body accepted.
pub(super) const MAX_BODY: usize = 16 * 1024 * 1024;

/// What a request was answered with, before it is turned into an `HttpResponse`.
enum Answer {
    Status(u16, String),
    Scripted(u16, Vec<(String, String)>, String),
    Stream {
        id: String,
        encoding: Encoding,
        rx: mpsc::UnboundedReceiver<Bytes>,
    },
}

/// The `/api/v1/scheduler` handler.
pub(super) async fn scheduler_api(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<State>>,
) -> HttpResponse {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let (call, answer) = process(&state, req.headers(), &body);
    let is_call = call.as_ref().and_then(|c| c.r#type) != Some(call::Type::Subscribe as i32);
    let (status, assigned_stream_id) = match &answer {
        Answer::Status(code, _) | Answer::Scripted(code, _, _) => (*code, None),
        Answer::Stream { id, .. } => (200, Some(id.clone())),
    };
    state.record(RecordedCall {
        path: req.path().to_owned(),
        headers,
        call,
        status,
        assigned_stream_id,
    });
    if is_call {
        // Held answers wait here (the request is already recorded).
        let mut held = state.calls_held.subscribe();
        let _ = held.wait_for(|held| !*held).await;
    }
    into_response(answer)
}

fn into_response(answer: Answer) -> HttpResponse {
    match answer {
        Answer::Status(code, text) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut builder = HttpResponse::build(status);
            if code == 401 {
                builder
                    .insert_header(("WWW-Authenticate", "Basic realm=\"mesos-master-scheduler\""));
            }
            builder.body(text)
        }
        Answer::Scripted(code, headers, text) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut builder = HttpResponse::build(status);
            for (name, value) in headers {
                builder.append_header((name, value));
            }
            builder.body(text)
        }
        Answer::Stream { id, encoding, rx } => {
            let body = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv()
                    .await
                    .map(|chunk| (Ok::<_, Infallible>(chunk), rx))
            });
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, encoding.content_type()))
                .insert_header((STREAM_ID, id))
                .streaming(body)
        }
    }
}

fn header(headers: &HeaderMap, name: impl actix_web::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn bad(text: impl Into<String>) -> Answer {
    Answer::Status(400, text.into())
}

/// Validates and answers one request; returns the decoded call (if it decoded).
fn process(state: &State, headers: &HeaderMap, body: &[u8]) -> (Option<Call>, Answer) {
    let mut inner = state.lock();
    if let Some(expected) = &inner.authorization {
        if header(headers, AUTHORIZATION) != Some(expected.as_str()) {
            // Still decode the body, so the test can see what was refused.
            let call = header(headers, CONTENT_TYPE)
                .and_then(Encoding::from_content_type)
                .and_then(|e| e.decode::<Call>(body).ok());
            return (call, Answer::Status(401, "401 Unauthorized.".into()));
        }
    }
    let Some(content_type) = header(headers, CONTENT_TYPE) else {
        return (None, bad("Expecting 'Content-Type' to be present"));
    };
    let Some(encoding) = Encoding::from_content_type(content_type) else {
        return (
            None,
            Answer::Status(
                415,
                format!(
                    "Expecting 'Content-Type' of application/json or application/x-protobuf, got '{content_type}'"
                ),
            ),
        );
    };
    let call: Call = match encoding.decode(body) {
        Ok(call) => call,
        Err(e) => return (None, bad(format!("Failed to parse body into Call: {e}"))),
    };
    let answer = match call.r#type.and_then(|t| call::Type::try_from(t).ok()) {
        None => bad("Failed to validate scheduler::Call: Expecting 'type' to be present"),
        Some(call::Type::Unknown) => bad("Failed to validate scheduler::Call: unknown type"),
        Some(call::Type::Subscribe) => subscribe(&mut inner, headers, &call),
        Some(kind) => other_call(&mut inner, headers, &call, kind),
    };
    (Some(call), answer)
}

fn subscribe(inner: &mut Inner, headers: &HeaderMap, call: &Call) -> Answer {
    if headers.contains_key(STREAM_ID) {
        return bad("Subscribe calls should not include the 'Mesos-Stream-Id' header");
    }
    let Some(subscribe) = &call.subscribe else {
        return bad("Failed to validate scheduler::Call: Expecting 'subscribe' to be present");
    };
    if call.framework_id != subscribe.framework_info.id {
        return bad("'framework_id' differs from 'subscribe.framework_info.id'");
    }
    let Some(encoding) = Encoding::from_accept(header(headers, ACCEPT)) else {
        return Answer::Status(406, "Unsupported 'Accept' header".into());
    };
    let scripted = inner.script.pop_front();
    if let Some(Response::Status {
        code,
        headers,
        body,
    }) = scripted
    {
        return Answer::Scripted(code, headers, body);
    }
    let framework_id = call
        .framework_id
        .clone()
        .or_else(|| inner.framework_id.clone())
        .unwrap_or_else(|| FrameworkId::new(format!("{}-0000", uuid::Uuid::new_v4())));
    // Only one subscription per framework: the old stream hears it failed over.
    if let Some(old) = inner.stream.take() {
        let error = error_event("Framework failed over");
        old.push(old.frame([&error]));
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let stream = OpenStream {
        id: uuid::Uuid::new_v4().to_string(),
        encoding,
        tx,
    };
    let first = match scripted {
        Some(Response::Error(message)) => vec![error_event(&message)],
        _ => {
            let subscribed = Event {
                r#type: Some(event::Type::Subscribed as i32),
                subscribed: Some(event::Subscribed {
                    framework_id: framework_id.clone(),
                    heartbeat_interval_seconds: Some(inner.heartbeat_interval.as_secs_f64()),
                    master_info: Some(inner.master_info.clone()),
                }),
                ..Default::default()
            };
            let heartbeat = Event {
                r#type: Some(event::Type::Heartbeat as i32),
                ..Default::default()
            };
            vec![subscribed, heartbeat]
        }
    };
    stream.push(stream.frame(&first));
    let id = stream.id.clone();
    if first.len() > 1 {
        inner.framework_id = Some(framework_id);
        inner.stream = Some(stream);
    } // else: the ERROR answer's stream ends right after its one event
    Answer::Stream { id, encoding, rx }
}

fn error_event(message: &str) -> Event {
    Event {
        r#type: Some(event::Type::Error as i32),
        error: Some(event::Error {
            message: message.to_string(),
        }),
        ..Default::default()
    }
}

fn other_call(inner: &mut Inner, headers: &HeaderMap, call: &Call, kind: call::Type) -> Answer {
    let Some(framework_id) = &call.framework_id else {
        return bad("Failed to validate scheduler::Call: Expecting 'framework_id' to be present");
    };
    if inner.framework_id.as_ref() != Some(framework_id) {
        return bad("Framework cannot be found");
    }
    let Some(stream) = &inner.stream else {
        return Answer::Status(403, "Framework is not subscribed".into());
    };
    match header(headers, STREAM_ID) {
        None => {
            return bad("All non-subscribe calls should include the 'Mesos-Stream-Id' header");
        }
        Some(id) if id != stream.id => {
            return bad(format!(
                "The stream ID '{id}' included in this request didn't match the stream ID \
                 currently associated with framework ID {framework_id}"
            ));
        }
        Some(_) => {}
    }
    match kind {
        call::Type::Acknowledge => match &call.acknowledge {
            None => {
                return bad(
                    "Failed to validate scheduler::Call: Expecting 'acknowledge' to be present",
                );
            }
            Some(ack) if !is_valid_uuid(&ack.uuid) => {
                return bad("Failed to validate scheduler::Call: Not a valid UUID");
            }
            Some(_) => {}
        },
        call::Type::Teardown => {
            inner.stream = None;
            inner.framework_id = None;
        }
        _ => {}
    }
    Answer::Status(202, String::new())
}
