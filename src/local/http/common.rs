//! What the scheduler and executor endpoints share: request encoding from the exact
//! `Content-Type`, response encoding from `Accept`, error responses, streaming responses,
//! and HTTP Basic authentication against the credentials file.

// The helpers return the finished error response as their `Err` (it is sent as is).
#![allow(clippy::result_large_err)]

use crate::codec::Encoding;
use crate::local::config::LocalError;
use crate::local::wire::{ApiError, EventStream};
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use std::collections::HashMap;
use std::path::Path;

/// Principal → secret.
#[derive(Debug, Clone, Default)]
pub struct Credentials(HashMap<String, String>);

impl Credentials {
    /// Reads `{"credentials":[{"principal":"p","secret":"s"}]}`.
    pub fn load(path: &Path) -> Result<Credentials, LocalError> {
        let err = |reason: String| LocalError::Credentials {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let list = value
            .get("credentials")
            .and_then(|c| c.as_array())
            .ok_or_else(|| err("expected {\"credentials\": [...]}".into()))?;
        let mut map = HashMap::new();
        for c in list {
            let principal = c
                .get("principal")
                .and_then(|p| p.as_str())
                .ok_or_else(|| err("a credential has no principal".into()))?;
            let secret = c.get("secret").and_then(|s| s.as_str()).unwrap_or("");
            map.insert(principal.to_string(), secret.to_string());
        }
        Ok(Credentials(map))
    }

    /// The authenticated principal of a request, or the 401 answer.
    pub fn authenticate(&self, req: &HttpRequest, realm: &str) -> Result<String, HttpResponse> {
        let unauthorized = || {
            HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, format!("Basic realm=\"{realm}\"")))
                .body("401 Unauthorized.")
        };
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(unauthorized)?;
        let encoded = value.strip_prefix("Basic ").ok_or_else(unauthorized)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(unauthorized)?;
        let parts: Vec<&str> = decoded.split(':').collect();
        let [principal, secret] = parts.as_slice() else {
            return Err(unauthorized());
        };
        match self.0.get(*principal) {
            Some(s) if s == secret => Ok(principal.to_string()),
            _ => Err(unauthorized()),
        }
    }
}

/// A plain-text error answer.
pub fn error_response(e: &ApiError) -> HttpResponse {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(e.message.clone())
}

/// 405 unless POST.
pub fn require_post(req: &HttpRequest) -> Result<(), HttpResponse> {
    if req.method() == Method::POST {
        Ok(())
    } else {
        Err(HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "POST"))
            .body(format!(
                "Expecting one of {{ 'POST' }}, but received '{}'",
                req.method()
            )))
    }
}

/// The request body's encoding: exact `Content-Type` match (400 when missing, 415 when not
/// one of the two strings).
pub fn request_encoding(req: &HttpRequest) -> Result<Encoding, HttpResponse> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Err(error_response(&ApiError::bad_request(
            "Expecting 'Content-Type' to be present",
        )));
    };
    let value = value.to_str().unwrap_or("");
    Encoding::from_content_type(value).ok_or_else(|| {
        error_response(&ApiError::new(
            415,
            format!(
                "Expecting 'Content-Type' of application/json or application/x-protobuf, got '{value}'"
            ),
        ))
    })
}

/// The response encoding from `Accept` (406 when neither type is acceptable).
pub fn response_encoding(req: &HttpRequest) -> Result<Encoding, HttpResponse> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("invalid"));
    Encoding::from_accept(accept).ok_or_else(|| {
        error_response(&ApiError::new(
            406,
            "Expecting 'Accept' to allow application/json or application/x-protobuf",
        ))
    })
}

/// A 200 streaming answer (chunked, no length) with the inner content type.
pub fn stream_response(
    encoding: Encoding,
    stream: EventStream,
    stream_id: Option<&str>,
) -> HttpResponse {
    let mut builder = HttpResponse::Ok();
    builder.content_type(encoding.content_type());
    if let Some(id) = stream_id {
        builder.insert_header(("Mesos-Stream-Id", id));
    }
    builder.streaming(stream.into_body())
}

/// The common front half of both v1 APIs: POST only, an exact `Content-Type`, a body that
/// decodes as `T` and passes `validate`. `api` names the call in messages, as Mesos does
/// (`scheduler::Call`, `Executor::Call`).
pub fn decode_call<T: prost::Message + prost::Name + Default>(
    req: &HttpRequest,
    body: &[u8],
    api: &str,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Result<(Encoding, T), HttpResponse> {
    require_post(req)?;
    let encoding = request_encoding(req)?;
    let call: T = encoding.decode(body).map_err(|e| {
        error_response(&ApiError::bad_request(format!(
            "Failed to parse body into Call protobuf: {e}"
        )))
    })?;
    validate(&call).map_err(|e| {
        error_response(&ApiError::bad_request(format!(
            "Failed to validate {api}: {e}"
        )))
    })?;
    Ok((encoding, call))
}
