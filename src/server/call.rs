//! Decoding and validating v1 calls as a Mesos master does: the exact `Content-Type`
//! (400 when missing, 415 when neither encoding), a body that decodes (400), the stateless
//! `scheduler::Call` validation (400), and for SUBSCRIBE the `Accept` header (406) and no
//! `Mesos-Stream-Id` (400).

use crate::codec::Encoding;
use crate::proto::scheduler::{Call, call::Type};
use actix_web::http::header::{self, HeaderMap};

/// The header naming a scheduler's event stream.
pub const STREAM_ID: &str = "Mesos-Stream-Id";

/// An error answer of the v1 APIs: an HTTP status and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {message}")]
pub struct ApiError {
    /// HTTP status code.
    pub status: u16,
    /// Body text.
    pub message: String,
}

impl ApiError {
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, message)
    }
    /// 403 Forbidden.
    #[cfg_attr(not(feature = "local"), allow(dead_code))] // used by the local cluster
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(403, message)
    }
    /// Any status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

/// A header's value as text (`None` when absent or not visible ASCII).
#[cfg_attr(not(feature = "testkit"), allow(dead_code))] // used by the test and bench kits
pub fn header_text(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The request body's encoding: exact `Content-Type` match (400 when missing, 415 when not
/// one of the two strings).
pub fn request_encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(ApiError::bad_request(
            "Expecting 'Content-Type' to be present",
        ));
    };
    let value = value.to_str().unwrap_or("");
    Encoding::from_content_type(value).ok_or_else(|| {
        ApiError::new(
            415,
            format!(
                "Expecting 'Content-Type' of application/json or application/x-protobuf, got '{value}'"
            ),
        )
    })
}

/// The response encoding from `Accept` (406 when neither type is acceptable).
pub fn response_encoding(headers: &HeaderMap) -> Result<Encoding, ApiError> {
    let accept = headers
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or("invalid"));
    Encoding::from_accept(accept).ok_or_else(|| {
        ApiError::new(
            406,
            "Expecting 'Accept' to allow application/json or application/x-protobuf",
        )
    })
}

/// A body that decodes as `T` in the request's encoding and passes `validate`. `api` names
/// the call in messages, as Mesos does (`scheduler::Call`, `Executor::Call`).
pub fn decode_call<T: prost::Message + prost::Name + Default>(
    headers: &HeaderMap,
    body: &[u8],
    api: &str,
    validate: impl Fn(&T) -> Result<(), String>,
) -> Result<(Encoding, T), ApiError> {
    let encoding = request_encoding(headers)?;
    let call: T = encoding.decode(body).map_err(|e| {
        ApiError::bad_request(format!("Failed to parse body into Call protobuf: {e}"))
    })?;
    validate(&call).map_err(|e| ApiError::bad_request(format!("Failed to validate {api}: {e}")))?;
    Ok((encoding, call))
}

/// A decoded and validated `scheduler::Call`, and the encoding its answers use (the
/// request's, or for SUBSCRIBE the one `Accept` asks for).
pub fn decode_scheduler_call(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Encoding, Call), ApiError> {
    let (encoding, call) = decode_call(headers, body, "scheduler::Call", validate_scheduler_call)?;
    if call.r#type() != Type::Subscribe {
        return Ok((encoding, call));
    }
    let accept = response_encoding(headers)?;
    if headers.contains_key(STREAM_ID) {
        return Err(ApiError::bad_request(
            "Subscribe calls should not include the 'Mesos-Stream-Id' header",
        ));
    }
    Ok((accept, call))
}

/// Stateless `scheduler::Call` validation (the master's `validation::scheduler::call`).
pub fn validate_scheduler_call(call: &Call) -> Result<(), String> {
    let Some(t) = call.r#type else {
        return Err("Expecting 'type' to be present".into());
    };
    let kind = Type::try_from(t).unwrap_or(Type::Unknown);
    if kind == Type::Subscribe {
        let sub = call
            .subscribe
            .as_ref()
            .ok_or("Expecting 'subscribe' to be present")?;
        // Our decoders cannot tell a missing proto2 `required` string from an empty one;
        // a FrameworkInfo with neither user nor name is what `{}` decodes to.
        if sub.framework_info.user.is_empty() && sub.framework_info.name.is_empty() {
            return Err("Missing required fields: framework_info.user, framework_info.name".into());
        }
        let info_id = sub.framework_info.id.as_ref().map(|i| &i.value);
        let call_id = call.framework_id.as_ref().map(|i| &i.value);
        if info_id != call_id {
            return Err("'framework_id' differs from 'subscribe.framework_info.id'".into());
        }
        return Ok(());
    }
    if kind == Type::Unknown {
        return Err("Unknown call type".into());
    }
    if call.framework_id.is_none() {
        return Err("Expecting 'framework_id' to be present".into());
    }
    let missing = |name: &str| Err(format!("Expecting '{name}' to be present"));
    match kind {
        Type::Accept if call.accept.is_none() => missing("accept"),
        Type::Decline if call.decline.is_none() => missing("decline"),
        Type::Kill if call.kill.is_none() => missing("kill"),
        Type::Shutdown if call.shutdown.is_none() => missing("shutdown"),
        Type::Reconcile if call.reconcile.is_none() => missing("reconcile"),
        Type::Message if call.message.is_none() => missing("message"),
        Type::Request if call.request.is_none() => missing("request"),
        Type::AcceptInverseOffers if call.accept_inverse_offers.is_none() => {
            missing("accept_inverse_offers")
        }
        Type::DeclineInverseOffers if call.decline_inverse_offers.is_none() => {
            missing("decline_inverse_offers")
        }
        Type::ReconcileOperations if call.reconcile_operations.is_none() => {
            missing("reconcile_operations")
        }
        Type::UpdateFramework => match &call.update_framework {
            None => missing("update_framework"),
            Some(u) if u.framework_info.id != call.framework_id => {
                Err("'framework_id' differs from 'update_framework.framework_info.id'".into())
            }
            Some(_) => Ok(()),
        },
        Type::Acknowledge => match &call.acknowledge {
            None => missing("acknowledge"),
            Some(a) if !crate::proto::is_valid_uuid(&a.uuid) => Err("Not a valid UUID".into()),
            Some(_) => Ok(()),
        },
        Type::AcknowledgeOperationStatus => match &call.acknowledge_operation_status {
            None => missing("acknowledge_operation_status"),
            Some(a) if !crate::proto::is_valid_uuid(&a.uuid) => Err("Not a valid UUID".into()),
            Some(a) if a.agent_id.is_none() => missing("agent_id"),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn statuses() {
        let json = [("content-type", "application/json")];
        let status = |h: &HeaderMap, body: &str| {
            decode_scheduler_call(h, body.as_bytes())
                .err()
                .map(|e| e.status)
        };
        assert_eq!(status(&headers(&[]), "{}"), Some(400));
        assert_eq!(
            status(&headers(&[("content-type", "text/plain")]), "{}"),
            Some(415)
        );
        assert_eq!(status(&headers(&json), "not json"), Some(400));
        assert_eq!(status(&headers(&json), "{}"), Some(400));
        let sub = r#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u","name":"n"}}}"#;
        assert_eq!(status(&headers(&json), sub), None);
        let bad_accept = [
            ("content-type", "application/json"),
            ("accept", "text/html"),
        ];
        assert_eq!(status(&headers(&bad_accept), sub), Some(406));
        let with_id = [
            ("content-type", "application/json"),
            ("mesos-stream-id", "x"),
        ];
        assert_eq!(status(&headers(&with_id), sub), Some(400));
        let decline = r#"{"type":"DECLINE","framework_id":{"value":"f"}}"#;
        assert_eq!(status(&headers(&json), decline), Some(400));
    }
}
