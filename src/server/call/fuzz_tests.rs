//! Fuzz targets of the local master's request parsing: headers, body and validation of
//! scheduler calls (see `crate::fuzzing`). The executor API's are in
//! `crate::local::http::fuzz_tests`.

use super::*;
use crate::fuzzing::{Tape, descriptor, json_for, run};
use actix_web::http::header::{HeaderName, HeaderValue};
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;

/// Request headers: one of the exact content types or junk, an optional `Accept`, an
/// optional stream id.
pub(crate) fn headers() -> impl Strategy<Value = HeaderMap> {
    let content_type = prop_oneof![
        Just(Some(b"application/json".to_vec())),
        Just(Some(b"application/x-protobuf".to_vec())),
        Just(None),
        vec(any::<u8>(), 0..40).prop_map(Some),
    ];
    let accept = prop_oneof![
        Just(None),
        Just(Some(b"application/json".to_vec())),
        Just(Some(b"application/x-protobuf;q=0.5, text/*".to_vec())),
        vec(any::<u8>(), 0..40).prop_map(Some),
    ];
    (content_type, accept, any::<bool>()).prop_map(|(ct, accept, stream_id)| {
        let mut map = HeaderMap::new();
        let mut put = |name: &'static str, value: Option<Vec<u8>>| {
            if let Some(v) = value.and_then(|v| HeaderValue::from_bytes(&v).ok()) {
                map.insert(HeaderName::from_static(name), v);
            }
        };
        put("content-type", ct);
        put("accept", accept);
        if stream_id {
            put("mesos-stream-id", Some(b"s-1".to_vec()));
        }
        map
    })
}

/// A body: raw bytes, a JSON document shaped like a `T`, or that document in protobuf.
pub(crate) fn body<T: Message + prost::Name + Default>() -> impl Strategy<Value = Vec<u8>> {
    (vec(any::<u8>(), 0..768), 0u8..3).prop_map(|(bytes, how)| {
        if how == 0 {
            return bytes;
        }
        let doc = json_for(&descriptor::<T>(), &mut Tape::new(&bytes), 0);
        let json = serde_json::to_vec(&doc).unwrap_or_default();
        if how == 1 {
            return json;
        }
        crate::json::decode::<T>(&json)
            .map(|m| m.encode_to_vec())
            .unwrap_or(bytes)
    })
}

/// Any headers and body: an answer or one of the documented statuses, never a panic; an
/// accepted call passes validation again after an encode/decode round trip.
#[test]
fn fuzz_scheduler_call_request() {
    run(
        "scheduler_call_request",
        (headers(), body::<Call>()),
        |(headers, body)| {
            match decode_scheduler_call(&headers, &body) {
                Err(e) => prop_assert!(
                    matches!(e.status, 400 | 406 | 415),
                    "unexpected status {}",
                    e.status
                ),
                Ok((_, call)) => {
                    prop_assert!(validate_scheduler_call(&call).is_ok());
                    let again = Call::decode(call.encode_to_vec().as_slice())
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(validate_scheduler_call(&again).is_ok());
                    let json = crate::json::encode(&call)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let again: Call = crate::json::decode(&json)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert!(validate_scheduler_call(&again).is_ok());
                }
            }
            Ok(())
        },
    );
}
