//! The mapping as it was before the streaming reader and writer: prost-reflect's dynamic
//! messages over a `serde_json::Value` tree. Kept for tests only, as the oracle the new
//! code is compared with (same JSON out, same messages and error kinds in).

use super::{JsonError, MAX_JSON_BYTES, MAX_JSON_DEPTH};
use prost::{Message, Name};
use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MessageDescriptor,
    SerializeOptions,
};
use serde_json::Value;
use std::sync::OnceLock;

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET)
            .unwrap_or_else(|_| DescriptorPool::new())
    })
}

fn descriptor<T: Name>() -> Result<MessageDescriptor, JsonError> {
    let name = T::full_name();
    pool()
        .get_message_by_name(&name)
        .ok_or(JsonError::UnknownType(name))
}

/// Encodes `message` as Mesos-style JSON (the old way).
pub(super) fn encode<T: Message + Name>(message: &T) -> Result<Vec<u8>, JsonError> {
    let desc = descriptor::<T>()?;
    let dynamic =
        DynamicMessage::decode(desc, message.encode_to_vec().as_slice()).map_err(|e| {
            JsonError::Schema {
                message: T::full_name(),
                reason: e.to_string(),
            }
        })?;
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .stringify_64_bit_integers(false)
        .skip_default_fields(true);
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::new(&mut out);
    dynamic
        .serialize_with_options(&mut ser, &options)
        .map_err(|e| JsonError::Syntax(e.to_string()))?;
    Ok(out)
}

/// Decodes Mesos-style JSON into a message of type `T` (the old way).
pub(super) fn decode<T: Message + Name + Default>(bytes: &[u8]) -> Result<T, JsonError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(JsonError::TooLarge(bytes.len()));
    }
    // serde_json refuses nesting beyond 128 levels itself; we check our own, lower cap too.
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|e| JsonError::Syntax(e.to_string()))?;
    if depth(&value) > MAX_JSON_DEPTH {
        return Err(JsonError::TooDeep);
    }
    let desc = descriptor::<T>()?;
    let schema_error = |reason: String| JsonError::Schema {
        message: T::full_name(),
        reason,
    };
    drop_unknown_enum_names(&desc, &mut value).map_err(schema_error)?;
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let dynamic = DynamicMessage::deserialize_with_options(desc, value, &options)
        .map_err(|e| schema_error(e.to_string()))?;
    dynamic
        .transcode_to::<T>()
        .map_err(|e| schema_error(e.to_string()))
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Removes enum values given as names the descriptor does not know: the field is left
/// unset (optional), the element dropped (repeated), or an error returned (required).
fn drop_unknown_enum_names(desc: &MessageDescriptor, value: &mut Value) -> Result<(), String> {
    let Value::Object(map) = value else {
        return Ok(());
    };
    let mut unset = Vec::new();
    for (key, item) in map.iter_mut() {
        let Some(field) = desc
            .get_field_by_name(key)
            .or_else(|| desc.get_field_by_json_name(key))
        else {
            continue;
        };
        if field.is_map() {
            if let (Value::Object(entries), Kind::Message(entry)) = (&mut *item, field.kind()) {
                if let Some(Kind::Message(value_desc)) = entry.map_entry_value_field().kind().into()
                {
                    for v in entries.values_mut() {
                        drop_unknown_enum_names(&value_desc, v)?;
                    }
                }
            }
            continue;
        }
        match (field.kind(), item) {
            (Kind::Message(inner), Value::Array(items)) => {
                for v in items.iter_mut() {
                    drop_unknown_enum_names(&inner, v)?;
                }
            }
            (Kind::Message(inner), v @ Value::Object(_)) => drop_unknown_enum_names(&inner, v)?,
            (Kind::Enum(e), Value::Array(items)) => {
                items.retain(|v| v.as_str().is_none_or(|s| e.get_value_by_name(s).is_some()));
            }
            (Kind::Enum(e), Value::String(s)) if e.get_value_by_name(s).is_none() => {
                if is_required(&field) {
                    return Err(format!("unknown value {s:?} for required enum field {key}"));
                }
                unset.push(key.clone());
            }
            _ => {}
        }
    }
    for key in unset {
        map.remove(&key);
    }
    Ok(())
}

fn is_required(field: &FieldDescriptor) -> bool {
    field.cardinality() == prost_reflect::Cardinality::Required
}
