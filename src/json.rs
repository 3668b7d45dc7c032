//! Mesos-style JSON for our protobuf types: proto field names verbatim (snake_case),
//! enums as name strings, bytes as standard base64, 64-bit integers written as numbers and
//! read as numbers or strings.
//!
//! Decoding is lenient the way Apache Mesos is: unknown keys are ignored, and an unknown
//! enum name on an optional or repeated field is dropped rather than failing the whole
//! message (real masters send `"capabilities":[{}]` for values their writer did not know).
//! Input is capped in size and nesting depth.
//!
//! Both directions go through protobuf bytes in one streaming pass driven by tables built
//! once from the descriptor set (`schema`): JSON is read token by token straight into the
//! wire format that prost then decodes (`read`), and JSON is written straight from a
//! message's wire format (`write`), so the matcher's ACCEPTs, built as protobuf bytes, are
//! written as JSON without being decoded ([`encode_protobuf`]). The mapping is exactly the
//! one prost-reflect's dynamic messages gave (kept in the tests as the reference).

use prost::{Message, Name};
use serde::de::DeserializeSeed;

mod read;
mod schema;
mod write;

/// The largest JSON document [`decode`] accepts (bytes).
pub const MAX_JSON_BYTES: usize = 64 * 1024 * 1024;

/// The deepest nesting [`decode`] accepts (objects and arrays).
pub const MAX_JSON_DEPTH: usize = 100;

/// Why a JSON document could not be turned into a message, or a message into JSON.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// The document is larger than [`MAX_JSON_BYTES`].
    #[error("JSON document of {0} bytes exceeds the {MAX_JSON_BYTES}-byte cap")]
    TooLarge(usize),
    /// The document nests deeper than [`MAX_JSON_DEPTH`].
    #[error("JSON document nests deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    /// Not JSON at all.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// JSON, but not a valid message of the expected type.
    #[error("JSON does not match {message}: {reason}")]
    Schema {
        /// The protobuf message type expected.
        message: String,
        /// What did not fit.
        reason: String,
    },
    /// The message type is not in our descriptor set (a bug, not bad input).
    #[error("unknown message type {0}")]
    UnknownType(String),
}

/// The schema and the index of message type `T`.
fn message_type<T: Name>() -> Result<(&'static schema::Schema, u32), JsonError> {
    let schema = schema::Schema::get();
    let name = T::full_name();
    match schema.message_index(&name) {
        Some(index) => Ok((schema, index)),
        None => Err(JsonError::UnknownType(name)),
    }
}

/// Encodes `message` as Mesos-style JSON.
pub fn encode<T: Message + Name>(message: &T) -> Result<Vec<u8>, JsonError> {
    encode_protobuf::<T>(&message.encode_to_vec())
}

/// Writes the protobuf encoding of a `T` (`bytes`) as Mesos-style JSON, without decoding
/// it into a `T` first: the same text [`encode`] gives for the decoded message.
pub fn encode_protobuf<T: Name>(bytes: &[u8]) -> Result<Vec<u8>, JsonError> {
    let (schema, index) = message_type::<T>()?;
    let mut writer = write::Writer::new(schema, bytes.len() * 2 + 64);
    writer
        .message(index, bytes, 0)
        .map_err(|reason| JsonError::Schema {
            message: T::full_name(),
            reason,
        })?;
    Ok(writer.out)
}

/// Decodes Mesos-style JSON into a message of type `T`.
pub fn decode<T: Message + Name + Default>(bytes: &[u8]) -> Result<T, JsonError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(JsonError::TooLarge(bytes.len()));
    }
    let (schema, index) = message_type::<T>()?;
    let mut reader = read::Reader::new(schema, bytes.len());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = read::MessageSeed {
        reader: &mut reader,
        msg: index,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = read {
        return Err(classify::<T>(bytes, e));
    }
    T::decode(reader.out.as_slice()).map_err(|e| JsonError::Schema {
        message: T::full_name(),
        reason: e.to_string(),
    })
}

/// Why `bytes` did not decode as a `T`, in the order the checks are made: not JSON (the
/// whole document is checked, however early the reading stopped), then too deep, then
/// not a `T` (`error`, what stopped the reading).
fn classify<T: Name>(bytes: &[u8], error: serde_json::Error) -> JsonError {
    match read::max_depth(bytes) {
        Err(e) => JsonError::Syntax(e.to_string()),
        Ok(depth) if depth > MAX_JSON_DEPTH => JsonError::TooDeep,
        Ok(_) => JsonError::Schema {
            message: T::full_name(),
            reason: error.to_string(),
        },
    }
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod mapping_tests;

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{TaskState, scheduler};
    use serde_json::Value;

    #[test]
    fn decodes_real_master_subscribed_event() {
        let raw = br#"{"type":"SUBSCRIBED","subscribed":{"framework_id":{"value":"f-0001"},"heartbeat_interval_seconds":15.0,"master_info":{"id":"m","ip":16777343,"port":5151,"pid":"master@127.0.0.1:5151","hostname":"localhost","version":"1.11.0","address":{"hostname":"localhost","ip":"127.0.0.1","port":5151},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},{}]}}}"#;
        let event: scheduler::Event = decode(raw).unwrap();
        assert_eq!(event.r#type(), scheduler::event::Type::Subscribed);
        let sub = event.subscribed.unwrap();
        assert_eq!(sub.framework_id.value, "f-0001");
        let info = sub.master_info.unwrap();
        assert_eq!(info.ip, 16777343);
        assert_eq!(info.capabilities.len(), 3);
    }

    #[test]
    fn unknown_enum_names_are_dropped_not_fatal() {
        let raw = br#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING","source":"SOURCE_FROM_THE_FUTURE","uuid":"GxRCH4TcTriZaGtZk6nj4w=="}}}"#;
        let event: scheduler::Event = decode(raw).unwrap();
        let status = event.update.unwrap().status;
        assert_eq!(status.state(), TaskState::TaskRunning);
        assert_eq!(status.source, None);
        assert_eq!(status.uuid.unwrap().len(), 16);
    }

    #[test]
    fn unknown_required_enum_is_an_error() {
        let raw = br#"{"type":"UPDATE","update":{"status":{"task_id":{"value":"t"},"state":"TASK_EXPLODED"}}}"#;
        assert!(matches!(
            decode::<scheduler::Event>(raw),
            Err(JsonError::Schema { .. })
        ));
    }

    #[test]
    fn int64_as_string_and_unknown_keys_accepted() {
        let raw = br#"{"nanoseconds":"12345","whatever":[1,2]}"#;
        let t: crate::proto::TimeInfo = decode(raw).unwrap();
        assert_eq!(t.nanoseconds, 12345);
    }

    #[test]
    fn encodes_snake_case_enum_names_and_numbers() {
        let call = scheduler::Call {
            framework_id: Some("f1".into()),
            r#type: Some(scheduler::call::Type::Decline as i32),
            decline: Some(scheduler::call::Decline {
                offer_ids: vec!["o1".into()],
                filters: Some(crate::proto::Filters {
                    refuse_seconds: Some(3600.0),
                }),
            }),
            ..Default::default()
        };
        let json: Value = serde_json::from_slice(&encode(&call).unwrap()).unwrap();
        assert_eq!(json["type"], "DECLINE");
        assert_eq!(json["framework_id"]["value"], "f1");
        assert_eq!(json["decline"]["offer_ids"][0]["value"], "o1");
        assert_eq!(json["decline"]["filters"]["refuse_seconds"], 3600.0);
        let t = crate::proto::TimeInfo { nanoseconds: 7 };
        assert_eq!(encode(&t).unwrap(), br#"{"nanoseconds":7}"#);
    }

    #[test]
    fn hostile_input_is_rejected_cleanly() {
        assert!(matches!(
            decode::<scheduler::Event>(b"{\"type\":"),
            Err(JsonError::Syntax(_))
        ));
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(decode::<scheduler::Event>(deep.as_bytes()).is_err());
        let deep_ok_for_serde = "{\"a\":".repeat(110) + "1" + &"}".repeat(110);
        assert!(decode::<scheduler::Event>(deep_ok_for_serde.as_bytes()).is_err());
        assert!(decode::<scheduler::Event>(br#"{"type":42.5}"#).is_err());
        assert!(decode::<scheduler::Event>(br#"[]"#).is_err());
    }

    /// Fuzzing regression (`fuzz_event_schema_json`): a double written to JSON read back
    /// one ulp off (serde_json without `float_roundtrip`).
    #[test]
    fn fuzz_regression_doubles_read_back_bit_for_bit() {
        for bits in [
            0xC3B8_BA37_B6A9_917E_u64,
            0x3FB9_9999_9999_999A,
            0x7FEF_FFFF_FFFF_FFFF,
        ] {
            let event = scheduler::Event {
                r#type: Some(scheduler::event::Type::Subscribed as i32),
                subscribed: Some(scheduler::event::Subscribed {
                    heartbeat_interval_seconds: Some(f64::from_bits(bits)),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let back: scheduler::Event = decode(&encode(&event).unwrap()).unwrap();
            let seconds = back.subscribed.unwrap().heartbeat_interval_seconds.unwrap();
            assert_eq!(seconds.to_bits(), bits);
        }
    }

    #[test]
    fn round_trip_offer_with_ranges_and_allocation_info() {
        let raw = br#"{"id":{"value":"o"},"framework_id":{"value":"f"},"agent_id":{"value":"a"},"hostname":"h","resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","allocation_info":{"role":"*"}}],"allocation_info":{"role":"*"}}"#;
        let offer: crate::proto::Offer = decode(raw).unwrap();
        assert_eq!(
            offer.resources[0].ranges.as_ref().unwrap().range[0].end,
            32000
        );
        let back: Value = serde_json::from_slice(&encode(&offer).unwrap()).unwrap();
        assert_eq!(back["resources"][0]["ranges"]["range"][0]["begin"], 31000);
        assert_eq!(back["resources"][0]["allocation_info"]["role"], "*");
    }
}
