//! The harness behind the crate's fuzz targets (test builds only).
//!
//! Every target is a `#[test] fn fuzz_*` beside the parser it attacks; it calls [`run`] with
//! a `proptest` strategy (structured generators and raw bytes) and a property. [`run`] runs
//! [`cases`] cases (`MESOS_ACTIX_FUZZ_CASES`, default 256 so `cargo test` stays fast),
//! catches panics as failures, shrinks a failure to a minimal input, and prints one line
//! `fuzz-target NAME: N executions, F failures` that `scripts/fuzz.sh` collects.
//!
//! [`Tape`] turns a byte string into choices, so that recursive, schema-guided inputs (JSON
//! documents shaped like a protobuf message, see [`json_for`]) shrink like plain bytes.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use prost_reflect::{DescriptorPool, Kind, MessageDescriptor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt::Debug;
use std::sync::OnceLock;

/// The variable holding the number of cases per target.
pub const CASES_VAR: &str = "MESOS_ACTIX_FUZZ_CASES";

/// Cases per target when [`CASES_VAR`] is unset or unreadable.
pub const DEFAULT_CASES: u32 = 256;

/// Cases per target: `MESOS_ACTIX_FUZZ_CASES`, else [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_CASES)
}

/// Runs `property` on [`cases`] inputs drawn from `strategy`; panics (failing the test)
/// with the shrunk input when the property fails or panics.
pub fn run<S>(target: &str, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let executions = Cell::new(0u64);
    let result = runner.run(&strategy, |value| {
        executions.set(executions.get() + 1);
        property(value)
    });
    let failures = u64::from(result.is_err());
    eprintln!(
        "fuzz-target {target}: {} executions, {failures} failures",
        executions.get()
    );
    if let Err(e) = result {
        panic!("fuzz target {target} failed: {e}");
    }
}

/// Bytes read as a sequence of choices; an exhausted tape reads as zeros.
pub struct Tape<'a> {
    bytes: &'a [u8],
}

impl<'a> Tape<'a> {
    /// A tape over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Tape { bytes }
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((b, rest)) => {
                self.bytes = rest;
                *b
            }
            None => 0,
        }
    }

    /// A choice in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }

    /// Whether the tape is used up.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Eight bytes as a `u64`.
    pub fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, _| (acc << 8) | u64::from(self.byte()))
    }
}

fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).unwrap_or_else(|e| {
            panic!("the crate's own descriptor set must decode: {e}");
        })
    })
}

/// The descriptor of message type `T`.
pub fn descriptor<T: prost::Name>() -> MessageDescriptor {
    let name = T::full_name();
    pool()
        .get_message_by_name(&name)
        .unwrap_or_else(|| panic!("{name} is in the descriptor set"))
}

const NASTY_STRINGS: &[&str] = &[
    "",
    "*",
    "NaN",
    "Infinity",
    "-Infinity",
    "-1",
    "18446744073709551616",
    "1e400",
    "\u{0}",
    "é",
    "AAAA",
    "!!!",
    "TASK_RUNNING",
    "SCALAR",
    "0x10",
];

fn scalar_json(tape: &mut Tape<'_>, kind: &Kind, depth: usize) -> Value {
    // Mostly well-typed values, sometimes the wrong type or an edge value.
    match tape.below(12) {
        0 => Value::Null,
        1 => Value::Bool(tape.byte() & 1 == 1),
        2 => Value::String(NASTY_STRINGS[tape.below(NASTY_STRINGS.len())].to_string()),
        3 => serde_json::json!(-(tape.u64() as i64).abs()),
        4 => serde_json::json!(f64::from(tape.byte()) / 7.0 - 3.0),
        5 => Value::Array(Vec::new()),
        _ => match kind {
            Kind::Bool => Value::Bool(tape.byte() & 1 == 1),
            Kind::String => {
                let len = tape.below(6);
                Value::String(
                    (0..len)
                        .map(|_| char::from(b'a' + tape.byte() % 26))
                        .collect(),
                )
            }
            Kind::Bytes => {
                let len = tape.below(24);
                let raw: Vec<u8> = (0..len).map(|_| tape.byte()).collect();
                use base64::Engine;
                Value::String(base64::engine::general_purpose::STANDARD.encode(raw))
            }
            Kind::Double | Kind::Float => match tape.below(4) {
                0 => serde_json::json!(f64::from(tape.byte()) * 0.125),
                1 => serde_json::json!(1e300),
                2 => Value::String("NaN".into()),
                _ => serde_json::json!(tape.u64() % 100_000),
            },
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
                match tape.below(3) {
                    0 => Value::String(tape.u64().to_string()),
                    1 => serde_json::json!(tape.u64()),
                    _ => serde_json::json!(tape.byte()),
                }
            }
            Kind::Enum(e) => {
                let values: Vec<_> = e.values().collect();
                match tape.below(4) {
                    0 => Value::String("NOT_A_VALUE_OF_THIS_ENUM".into()),
                    1 => serde_json::json!(tape.byte()),
                    _ if values.is_empty() => Value::Null,
                    _ => Value::String(values[tape.below(values.len())].name().to_string()),
                }
            }
            Kind::Message(m) => json_for(m, tape, depth + 1),
            _ => serde_json::json!(tape.byte()),
        },
    }
}

/// A JSON document shaped like message `desc` (known keys with mostly well-typed values,
/// sometimes wrong types, unknown keys and unknown enum names), read from `tape`.
pub fn json_for(desc: &MessageDescriptor, tape: &mut Tape<'_>, depth: usize) -> Value {
    let fields: Vec<_> = desc.fields().collect();
    let mut map = Map::new();
    if depth > 6 || fields.is_empty() {
        return Value::Object(map);
    }
    let count = tape.below(fields.len().min(8) + 1);
    for _ in 0..count {
        if tape.is_empty() {
            break;
        }
        if tape.below(16) == 0 {
            map.insert("unknown_key".into(), serde_json::json!({"x": [1, 2]}));
            continue;
        }
        let field = &fields[tape.below(fields.len())];
        let kind = field.kind();
        let value = if field.is_map() {
            Value::Object(Map::new())
        } else if field.is_list() {
            let n = tape.below(3);
            Value::Array(
                (0..n)
                    .map(|_| match &kind {
                        Kind::Message(m) => json_for(m, tape, depth + 1),
                        other => scalar_json(tape, other, depth),
                    })
                    .collect(),
            )
        } else {
            match &kind {
                Kind::Message(m) if tape.below(8) != 0 => json_for(m, tape, depth + 1),
                other => scalar_json(tape, other, depth),
            }
        };
        map.insert(field.name().to_string(), value);
    }
    Value::Object(map)
}
