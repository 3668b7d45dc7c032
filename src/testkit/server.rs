//! The HTTP side of [`FakeMaster`](super::FakeMaster): `/api/v1/scheduler` (and
//! `/master/api/v1/scheduler`), validating requests the way a real master does
//! ([`crate::server::call`]).

use super::state::STREAM_LIMIT;
use super::state::{Inner, OpenStream, State};
use super::{RecordedCall, Response};
use crate::codec::Encoding;
use crate::proto::FrameworkId;
use crate::proto::scheduler::{Call, Event, call, event};
use crate::server::call::{STREAM_ID, decode_scheduler_call, header_text, request_encoding};
use crate::server::stream::{EventStream, event_stream};
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

/// Largest request body accepted.
pub(super) const MAX_BODY: usize = 16 * 1024 * 1024;

/// What a request was answered with, before it is turned into an `HttpResponse`.
enum Answer {
    Status(u16, String),
    Scripted(u16, Vec<(String, String)>, String),
    Stream {
        id: String,
        encoding: Encoding,
        body: EventStream,
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
        Answer::Stream { id, encoding, body } => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, encoding.content_type()))
            .insert_header((STREAM_ID, id))
            .streaming(body.into_body()),
    }
}

fn bad(text: impl Into<String>) -> Answer {
    Answer::Status(400, text.into())
}

/// Validates and answers one request; returns the decoded call (if it decoded).
fn process(state: &State, headers: &HeaderMap, body: &[u8]) -> (Option<Call>, Answer) {
    let mut inner = state.lock();
    // Whatever is refused, the test can still see the call when the body decodes.
    let lenient = || {
        request_encoding(headers)
            .ok()
            .and_then(|e| e.decode::<Call>(body).ok())
    };
    if let Some(expected) = &inner.authorization {
        if header_text(headers, AUTHORIZATION) != Some(expected.as_str()) {
            return (lenient(), Answer::Status(401, "401 Unauthorized.".into()));
        }
    }
    let (encoding, call) = match decode_scheduler_call(headers, body) {
        Ok(decoded) => decoded,
        Err(e) => return (lenient(), Answer::Status(e.status, e.message)),
    };
    let answer = if call.r#type() == call::Type::Subscribe {
        subscribe(&mut inner, encoding, &call)
    } else {
        other_call(&mut inner, headers, &call)
    };
    (Some(call), answer)
}

fn subscribe(inner: &mut Inner, encoding: Encoding, call: &Call) -> Answer {
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
    let (tx, body, _closed) = event_stream(encoding, STREAM_LIMIT);
    let stream = OpenStream {
        id: uuid::Uuid::new_v4().to_string(),
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
    Answer::Stream { id, encoding, body }
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

fn other_call(inner: &mut Inner, headers: &HeaderMap, call: &Call) -> Answer {
    // Validation made sure it is there.
    let Some(framework_id) = &call.framework_id else {
        return bad("Expecting 'framework_id' to be present");
    };
    if inner.framework_id.as_ref() != Some(framework_id) {
        return bad("Framework cannot be found");
    }
    let Some(stream) = &inner.stream else {
        return Answer::Status(403, "Framework is not subscribed".into());
    };
    match header_text(headers, STREAM_ID) {
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
    if call.r#type() == call::Type::Teardown {
        inner.stream = None;
        inner.framework_id = None;
    }
    Answer::Status(202, String::new())
}
