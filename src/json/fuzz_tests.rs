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

/// Our decoding of `bytes` as a `T` against the prost-reflect reference (`super::reference`):
/// the same message, or the same kind of error; then our JSON for that message against the
/// reference's, byte for byte (as values when they differ only in the order of map
/// entries, which both write in hash order).
fn check_same_as_reference<T>(bytes: &[u8]) -> Result<(), TestCaseError>
where
    T: Message + Name + Default + PartialEq + std::fmt::Debug,
{
    let ours = decode::<T>(bytes);
    let theirs = reference::decode::<T>(bytes);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => prop_assert!(
            a == b || a.encode_to_vec() == b.encode_to_vec(),
            "{} decoded as {a:?}, the reference as {b:?}",
            String::from_utf8_lossy(bytes)
        ),
        (Err(a), Err(b)) => prop_assert_eq!(
            std::mem::discriminant(a),
            std::mem::discriminant(b),
            "{} failed with {}, the reference with {}",
            String::from_utf8_lossy(bytes),
            a,
            b
        ),
        _ => {
            return Err(TestCaseError::fail(format!(
                "{}: ours {ours:?}, the reference {theirs:?}",
                String::from_utf8_lossy(bytes)
            )));
        }
    }
    match ours {
        Ok(message) => check_same_json(&message),
        Err(_) => Ok(()),
    }
}

/// Our JSON for `message` against the reference's (see [`check_same_as_reference`]), also
/// when written from its protobuf bytes.
fn check_same_json<T: Message + Name>(message: &T) -> Result<(), TestCaseError> {
    let fail = |e: JsonError| TestCaseError::fail(e.to_string());
    let ours = encode(message).map_err(fail)?;
    let theirs = reference::encode(message).map_err(fail)?;
    if ours != theirs {
        let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b);
        let (a, b) = (parse(&ours), parse(&theirs));
        prop_assert!(
            a.is_ok() && a.ok() == b.ok(),
            "ours {} the reference {}",
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }
    prop_assert_eq!(
        encode_protobuf::<T>(&message.encode_to_vec()).ok(),
        Some(ours)
    );
    Ok(())
}

/// Generated documents shaped like events and calls, and raw bytes: decoded and encoded
/// as the prost-reflect reference does.
#[test]
fn fuzz_json_same_as_reference() {
    let input = (vec(any::<u8>(), 0..1024), 0..5usize, raw_inputs());
    run("json_same_as_reference", input, |(tape, which, raw)| {
        let doc = |desc| {
            let doc = json_for(&desc, &mut Tape::new(&tape), 0);
            serde_json::to_vec(&doc).unwrap_or_default()
        };
        match which {
            0 => {
                check_same_as_reference::<scheduler::Event>(&doc(descriptor::<scheduler::Event>()))
            }
            1 => check_same_as_reference::<scheduler::Call>(&doc(descriptor::<scheduler::Call>())),
            2 => check_same_as_reference::<executor::Event>(&doc(descriptor::<executor::Event>())),
            3 => check_same_as_reference::<executor::Call>(&doc(descriptor::<executor::Call>())),
            _ => {
                check_same_as_reference::<scheduler::Event>(&raw)?;
                check_same_as_reference::<scheduler::Call>(&raw)
            }
        }
    });
}

/// Protobuf bytes written as JSON directly (the matcher's ACCEPTs): corrupted bytes give an
/// error or JSON, never a panic; bytes prost would write give exactly [`encode`]'s JSON.
#[test]
fn fuzz_encode_protobuf_bytes() {
    let input = (vec(any::<u8>(), 0..1024), any::<(usize, u8)>());
    run("encode_protobuf_bytes", input, |(tape, (at, byte))| {
        let doc = json_for(&descriptor::<scheduler::Call>(), &mut Tape::new(&tape), 0);
        let json = serde_json::to_vec(&doc).unwrap_or_default();
        let Ok(call) = decode::<scheduler::Call>(&json) else {
            return Ok(());
        };
        check_same_json(&call)?;
        // The ACCEPT fast path (protobuf bytes built by hand) writes the same JSON.
        prop_assert_eq!(
            Encoding::Json.encode_call(&call),
            encode(&call).unwrap_or_default()
        );
        let mut bytes = call.encode_to_vec();
        if !bytes.is_empty() {
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(bytes.len() - at / 3);
        }
        if let Ok(out) = encode_protobuf::<scheduler::Call>(&bytes) {
            prop_assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
        }
        Ok(())
    });
}
