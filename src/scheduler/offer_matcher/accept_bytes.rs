//! ACCEPT calls written as protobuf bytes by the matcher, without building (and then
//! dropping) `TaskInfo` and `Resource` messages: a spec's fixed `TaskInfo` fields are
//! encoded once per spec when its first task is queued ([`SpecBytes`]), an offer's agent id once per offer
//! ([`OfferWire`]), each offered resource's identity once per pool entry (kept by the
//! entry), and the resources a task takes go straight from the pool into the task's bytes. The bytes decode to the call the prost
//! builder (`calls::accept`) would have made; the tests check that for many kinds of task.

use crate::proto::scheduler::call;
use crate::proto::{AgentId, ExecutorInfo, Filters, FrameworkId, OfferId, Resource, offer};
use crate::resources::{Amount, Demand, Resources};
use crate::scheduler::calls::{self, EncodedCall};
use crate::scheduler::spec::TaskSpec;
use prost::encoding::{WireType, encode_varint, encoded_len_varint, key_len};

// Field numbers (mesos.proto, scheduler.proto).
const CALL_FRAMEWORK_ID: u32 = 1;
const CALL_TYPE: u32 = 2;
const CALL_ACCEPT: u32 = 4;
const ACCEPT_OFFER_IDS: u32 = 1;
const ACCEPT_OPERATIONS: u32 = 2;
const ACCEPT_FILTERS: u32 = 3;
const OPERATION_TYPE: u32 = 1;
const OPERATION_LAUNCH: u32 = 2;
const LAUNCH_TASK_INFOS: u32 = 1;
const TASK_NAME: u32 = 1;
const TASK_ID: u32 = 2;
const TASK_AGENT_ID: u32 = 3;
const TASK_RESOURCES: u32 = 4;
const TASK_EXECUTOR: u32 = 5;
const TASK_DATA: u32 = 6;
const TASK_COMMAND: u32 = 7;
const TASK_CONTAINER: u32 = 9;
const TASK_LABELS: u32 = 10;
const TASK_KILL_POLICY: u32 = 12;
const RESOURCE_SCALAR: u32 = 3;
const RESOURCE_RANGES: u32 = 4;
const RESOURCE_SET: u32 = 5;
const ID_VALUE: u32 = 1;

/// A varint; one byte inline for values below 128 (most keys and lengths here).
#[inline]
fn varint(value: u64, out: &mut Vec<u8>) {
    match u8::try_from(value) {
        Ok(byte) if byte < 0x80 => out.push(byte),
        _ => encode_varint(value, out),
    }
}

/// A field key (the same bytes as `prost::encoding::encode_key`).
#[inline]
fn key(tag: u32, wire_type: WireType, out: &mut Vec<u8>) {
    varint(u64::from(tag) << 3 | wire_type as u64, out);
}

/// Key and length of a length-delimited field.
fn delimited(tag: u32, len: usize, out: &mut Vec<u8>) {
    key(tag, WireType::LengthDelimited, out);
    varint(len as u64, out);
}

/// Bytes of a length-delimited field holding `len` bytes.
fn field_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

/// A string field.
fn string_field(tag: u32, value: &str, out: &mut Vec<u8>) {
    delimited(tag, value.len(), out);
    out.extend_from_slice(value.as_bytes());
}

/// A message field whose only field is the string `value` (`TaskID`, `AgentID`, ...).
fn id_field(tag: u32, value: &str, out: &mut Vec<u8>) {
    delimited(tag, field_len(ID_VALUE, value.len()), out);
    string_field(ID_VALUE, value, out);
}

/// The `TaskInfo` fields of a spec that do not depend on the offer nor on the task's name,
/// encoded when the first task of the spec is queued and shared by the tasks of the same
/// spec: `data`, `command` (without a custom executor), `container`, `labels` and
/// `kill_policy`.
#[derive(Debug, Clone)]
pub(super) struct SpecBytes {
    rest: std::sync::Arc<[u8]>,
}

impl SpecBytes {
    /// The fixed fields of `spec` (its name is not read).
    pub(super) fn of(spec: &TaskSpec) -> SpecBytes {
        use prost::encoding::message;
        let mut b = Vec::with_capacity(64);
        if let Some(data) = &spec.data {
            delimited(TASK_DATA, data.len(), &mut b);
            b.extend_from_slice(data);
        }
        if spec.executor.is_none()
            && let Some(command) = &spec.command
        {
            message::encode(TASK_COMMAND, command, &mut b);
        }
        if let Some(container) = &spec.container {
            message::encode(TASK_CONTAINER, &**container, &mut b);
        }
        if let Some(labels) = spec.mesos_labels() {
            message::encode(TASK_LABELS, &labels, &mut b);
        }
        if let Some(grace) = spec.kill_grace_period {
            message::encode(TASK_KILL_POLICY, &calls::kill_policy(grace), &mut b);
        }
        SpecBytes { rest: b.into() }
    }

    fn rest(&self) -> &[u8] {
        &self.rest
    }

    /// Whether both are the same shared bytes.
    #[cfg(test)]
    pub(super) fn same(&self, other: &SpecBytes) -> bool {
        std::sync::Arc::ptr_eq(&self.rest, &other.rest)
    }
}

/// What an offer contributes to every task placed on it, encoded once: the agent id field.
#[derive(Debug, Default)]
pub(super) struct OfferWire {
    /// `TaskInfo.agent_id`, as a whole field.
    agent: Vec<u8>,
}

impl OfferWire {
    /// The wire parts of an offer of `agent_id`.
    pub(super) fn new(agent_id: &AgentId) -> OfferWire {
        let mut agent = Vec::with_capacity(agent_id.value.len() + 4);
        id_field(TASK_AGENT_ID, &agent_id.value, &mut agent);
        OfferWire { agent }
    }
}

/// Length of the value field of `amount` inside a `Resource` (key included).
fn amount_len(amount: &Amount) -> usize {
    match amount {
        // Value.Scalar { double value = 1 }: key + 8 bytes.
        Amount::Scalar(_) => field_len(RESOURCE_SCALAR, 9),
        Amount::Ranges(rs) => field_len(RESOURCE_RANGES, ranges_len(rs.pairs())),
        Amount::Set(items) => field_len(
            RESOURCE_SET,
            items.iter().map(|i| field_len(1, i.len())).sum(),
        ),
    }
}

fn range_len(begin: u64, end: u64) -> usize {
    2 + encoded_len_varint(begin) + encoded_len_varint(end)
}

fn ranges_len(pairs: &[(u64, u64)]) -> usize {
    pairs
        .iter()
        .map(|&(b, e)| field_len(1, range_len(b, e)))
        .sum()
}

/// Writes the value field of `amount` (the entry's type is already in its identity).
fn write_amount(amount: &Amount, out: &mut Vec<u8>) {
    match amount {
        Amount::Scalar(s) => {
            delimited(RESOURCE_SCALAR, 9, out);
            key(1, WireType::SixtyFourBit, out);
            out.extend_from_slice(&s.to_f64().to_le_bytes());
        }
        Amount::Ranges(rs) => {
            let pairs = rs.pairs();
            delimited(RESOURCE_RANGES, ranges_len(pairs), out);
            for &(begin, end) in pairs {
                delimited(1, range_len(begin, end), out);
                key(1, WireType::Varint, out);
                varint(begin, out);
                key(2, WireType::Varint, out);
                varint(end, out);
            }
        }
        Amount::Set(items) => {
            delimited(
                RESOURCE_SET,
                items.iter().map(|i| field_len(1, i.len())).sum(),
                out,
            );
            for item in items {
                string_field(1, item, out);
            }
        }
    }
}

/// Takes `demand` out of `pool` and appends the taken pieces to `out` as `TaskInfo`
/// resource fields; each pool entry encodes its identity once, for all the tasks it serves.
/// The caller has just checked that `demand` (or a larger one) fits `pool`.
pub(super) fn take_into(pool: &mut Resources, demand: &Demand, out: &mut Vec<u8>) {
    let encode = |meta: &Resource| prost::Message::encode_to_vec(meta).into_boxed_slice();
    pool.take_fitting_encoded(demand, encode, |ident, amount| {
        delimited(TASK_RESOURCES, ident.len() + amount_len(amount), out);
        out.extend_from_slice(ident);
        write_amount(amount, out);
    })
}

/// The parts of one task's `TaskInfo` that vary per launch.
pub(super) struct TaskParts<'a> {
    /// The task's name.
    pub name: &'a str,
    pub spec: &'a SpecBytes,
    pub task_id: &'a str,
    /// The task's `resources` fields (from [`take_into`]).
    pub resources: &'a [u8],
    /// Its custom executor, as sent.
    pub executor: Option<&'a ExecutorInfo>,
}

/// Appends one `Launch.task_infos` entry for `task` on the offer of `wire`.
pub(super) fn write_task(task: &TaskParts<'_>, wire: &OfferWire, out: &mut Vec<u8>) {
    let executor_len = task.executor.map(prost::Message::encoded_len);
    let len = field_len(TASK_NAME, task.name.len())
        + field_len(TASK_ID, field_len(ID_VALUE, task.task_id.len()))
        + wire.agent.len()
        + task.resources.len()
        + executor_len.map_or(0, |l| field_len(TASK_EXECUTOR, l))
        + task.spec.rest().len();
    out.reserve(field_len(LAUNCH_TASK_INFOS, len));
    delimited(LAUNCH_TASK_INFOS, len, out);
    string_field(TASK_NAME, task.name, out);
    id_field(TASK_ID, task.task_id, out);
    out.extend_from_slice(&wire.agent);
    out.extend_from_slice(task.resources);
    if let (Some(e), Some(l)) = (task.executor, executor_len) {
        delimited(TASK_EXECUTOR, l, out);
        prost::Message::encode_raw(e, out);
    }
    out.extend_from_slice(task.spec.rest());
}

/// One ACCEPT with one LAUNCH of the encoded `tasks` (from [`write_task`]) on the pooled
/// `offer_ids`, with `filters`.
pub(super) fn accept(
    framework_id: Option<&FrameworkId>,
    offer_ids: &[OfferId],
    tasks: &[u8],
    filters: Filters,
) -> EncodedCall {
    let launch_len = tasks.len();
    let operation_len = key_len(OPERATION_TYPE)
        + encoded_len_varint(offer::operation::Type::Launch as u64)
        + field_len(OPERATION_LAUNCH, launch_len);
    let ids_len: usize = offer_ids
        .iter()
        .map(|id| field_len(ACCEPT_OFFER_IDS, field_len(ID_VALUE, id.value.len())))
        .sum();
    let filters_len = prost::Message::encoded_len(&filters);
    let accept_len = ids_len
        + field_len(ACCEPT_OPERATIONS, operation_len)
        + field_len(ACCEPT_FILTERS, filters_len);
    let framework_len = framework_id.map_or(0, |f| {
        field_len(CALL_FRAMEWORK_ID, field_len(ID_VALUE, f.value.len()))
    });
    let mut out = Vec::with_capacity(
        framework_len
            + key_len(CALL_TYPE)
            + encoded_len_varint(call::Type::Accept as u64)
            + field_len(CALL_ACCEPT, accept_len),
    );
    if let Some(f) = framework_id {
        id_field(CALL_FRAMEWORK_ID, &f.value, &mut out);
    }
    let body_start = out.len();
    key(CALL_TYPE, WireType::Varint, &mut out);
    varint(call::Type::Accept as u64, &mut out);
    delimited(CALL_ACCEPT, accept_len, &mut out);
    for id in offer_ids {
        id_field(ACCEPT_OFFER_IDS, &id.value, &mut out);
    }
    delimited(ACCEPT_OPERATIONS, operation_len, &mut out);
    key(OPERATION_TYPE, WireType::Varint, &mut out);
    varint(offer::operation::Type::Launch as u64, &mut out);
    delimited(OPERATION_LAUNCH, launch_len, &mut out);
    out.extend_from_slice(tasks);
    delimited(ACCEPT_FILTERS, filters_len, &mut out);
    prost::Message::encode_raw(&filters, &mut out);
    EncodedCall::from_parts(out, body_start)
}
