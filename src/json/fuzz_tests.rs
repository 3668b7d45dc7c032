//! Fuzz targets of event decoding, JSON and protobuf, for scheduler and executor events
//! (see `crate::fuzzing`).

use super::*;
use crate::codec::Encoding;
use crate::fuzzing::{Tape, descriptor, json_for, run};
use crate::proto::{executor, scheduler};
use proptest::collection::vec;
use proptest::prelude::*;

/// Decodes `bytes` both ways as a `T`; whatever decodes must encode again (both ways) and
/// decode to the same message.
fn check_decode<T>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    T: Message + Name + Default,
{
    for encoding in [Encoding::Json, Encoding::Protobuf] {
        let Ok(message) = encoding.decode::<T>(bytes) else {
            continue;
        };
        let json = encode(&message).map_err(|e| TestCaseError::fail(format!("encode: {e}")))?;
        let back: T = decode(&json).map_err(|e| {
            TestCaseError::fail(format!(
                "re-decoding our own JSON {} failed: {e}",
                String::from_utf8_lossy(&json)
            ))
        })?;
        // Bytes, not `==`: a NaN double is equal to itself only bit for bit. A NaN's payload
        // cannot be written as JSON (`"NaN"`), so it comes back canonical.
        if !json.windows(5).any(|w| w == b"\"NaN\"") {
            prop_assert_eq!(back.encode_to_vec(), message.encode_to_vec());
        }
        let proto = T::decode(message.encode_to_vec().as_slice())
            .map_err(|e| TestCaseError::fail(format!("protobuf round trip: {e}")))?;
        prop_assert_eq!(proto.encode_to_vec(), message.encode_to_vec());
    }
    Ok(())
}

fn raw_inputs() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..512),
        // JSON-looking text.
        "[{}\\[\\]\":,a-z0-9_ .\\-]{0,200}".prop_map(String::into_bytes),
    ]
}

/// Raw bytes as scheduler and executor events, in both encodings.
#[test]
fn fuzz_event_raw_bytes() {
    run("event_raw_bytes", raw_inputs(), |bytes| {
        check_decode::<scheduler::Event>(&bytes)?;
        check_decode::<executor::Event>(&bytes)
    });
}

/// JSON documents shaped like events (known keys, wrong types, unknown enum names) and
/// their protobuf encodings, corrupted.
#[test]
fn fuzz_event_schema_json() {
    let input = (
        vec(any::<u8>(), 0..1024),
        any::<bool>(),
        any::<(usize, u8)>(),
    );
    run(
        "event_schema_json",
        input,
        |(tape, executor_side, (at, byte))| {
            let desc = if executor_side {
                descriptor::<executor::Event>()
            } else {
                descriptor::<scheduler::Event>()
            };
            let doc = json_for(&desc, &mut Tape::new(&tape), 0);
            let bytes = serde_json::to_vec(&doc).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut proto = if executor_side {
                check_decode::<executor::Event>(&bytes)?;
                Encoding::Json
                    .decode::<executor::Event>(&bytes)
                    .map(|m| m.encode_to_vec())
                    .unwrap_or_default()
            } else {
                check_decode::<scheduler::Event>(&bytes)?;
                Encoding::Json
                    .decode::<scheduler::Event>(&bytes)
                    .map(|m| m.encode_to_vec())
                    .unwrap_or_default()
            };
            if !proto.is_empty() {
                let at = at % proto.len();
                proto[at] = byte;
                proto.truncate(proto.len() - at / 2);
            }
            check_decode::<scheduler::Event>(&proto)?;
            check_decode::<executor::Event>(&proto)
        },
    );
}
