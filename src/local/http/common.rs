//! What the scheduler and executor endpoints share: request encoding from the exact
//! `Content-Type`, response encoding from `Accept`, error responses, streaming responses,
//! and HTTP Basic authentication against the credentials file.

// The helpers return the finished error response as their `Err` (it is sent as is).
#![allow(clippy::result_large_err)]

use crate::codec::Encoding;
use crate::local::config::LocalError;
use crate::local::wire::{ApiError, EventStream};
use crate::proto::scheduler::Call;
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

/// The response encoding from `Accept` (406 when neither type is acceptable).
pub fn response_encoding(req: &HttpRequest) -> Result<Encoding, HttpResponse> {
    crate::server::call::response_encoding(req.headers()).map_err(|e| error_response(&e))
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

/// The common front half of both v1 APIs: POST only, then [`crate::server::call::decode_call`]
/// (an exact `Content-Type`, a body that decodes as `T` and passes `validate`).
pub fn decode_call<T: prost::Message + prost::Name + Default>(
    req: &HttpRequest,
    body: &[u8],
    api: &str,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Result<(Encoding, T), HttpResponse> {
    require_post(req)?;
    crate::server::call::decode_call(req.headers(), body, api, validate)
        .map_err(|e| error_response(&e))
}

/// The scheduler API's front half: POST only, then
/// [`crate::server::call::decode_scheduler_call`]. The encoding is the one answers use.
pub fn decode_scheduler_call(
    req: &HttpRequest,
    body: &[u8],
) -> Result<(Encoding, Call), HttpResponse> {
    require_post(req)?;
    crate::server::call::decode_scheduler_call(req.headers(), body).map_err(|e| error_response(&e))
}
