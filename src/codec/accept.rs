//! A faster protobuf encoding of a scheduler `Call` that carries an ACCEPT.
//!
//! prost computes a nested message's length again at every level above it, so a `TaskInfo`
//! inside `Call.accept.operations[].launch.task_infos[]` has its length computed five times
//! and its resources six. Here every `TaskInfo`'s length is computed once, the wrappers
//! around it are written by hand, and the bytes decode to the same `Call`. Any field this
//! does not expect falls back to prost.

use crate::proto::offer::{Operation, operation};
use crate::proto::scheduler::{Call, call};
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};

/// Protobuf bytes of `call`; `None` when it is not a plain ACCEPT (then use prost).
pub(super) fn encode(call: &Call) -> Option<Vec<u8>> {
    let Call {
        framework_id,
        r#type,
        accept: Some(accept),
        subscribe: None,
        decline: None,
        accept_inverse_offers: None,
        decline_inverse_offers: None,
        revive: None,
        kill: None,
        shutdown: None,
        acknowledge: None,
        acknowledge_operation_status: None,
        reconcile: None,
        reconcile_operations: None,
        message: None,
        request: None,
        suppress: None,
        update_framework: None,
    } = call
    else {
        return None;
    };
    let sizes: Vec<OpSize> = accept.operations.iter().map(OpSize::of).collect();
    let accept_len = accept_len(accept, &sizes);
    let head = framework_id
        .as_ref()
        .map_or(0, |f| prost::encoding::message::encoded_len(1, f))
        + r#type.map_or(0, |t| prost::encoding::int32::encoded_len(2, &t));
    let mut out = Vec::with_capacity(head + 1 + encoded_len_varint(accept_len as u64) + accept_len);
    if let Some(f) = framework_id {
        prost::encoding::message::encode(1, f, &mut out);
    }
    if let Some(t) = r#type {
        prost::encoding::int32::encode(2, t, &mut out);
    }
    delimited(4, accept_len, &mut out);
    for id in &accept.offer_ids {
        prost::encoding::message::encode(1, id, &mut out);
    }
    for (op, size) in accept.operations.iter().zip(&sizes) {
        delimited(2, size.total, &mut out);
        match (&size.launch, &op.launch) {
            (Some(launch), Some(l)) => {
                if let Some(t) = op.r#type {
                    prost::encoding::int32::encode(1, &t, &mut out);
                }
                // Operation.launch is field 2.
                delimited(2, launch.total, &mut out);
                for (task, len) in l.task_infos.iter().zip(&launch.tasks) {
                    delimited(1, *len, &mut out);
                    task.encode_raw(&mut out);
                }
            }
            _ => op.encode_raw(&mut out),
        }
    }
    if let Some(f) = &accept.filters {
        prost::encoding::message::encode(3, f, &mut out);
    }
    Some(out)
}

/// Key and length of a length-delimited field.
fn delimited(tag: u32, len: usize, out: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(len as u64, out);
}

/// Bytes of a length-delimited field holding `len` bytes.
fn field_len(tag: u32, len: usize) -> usize {
    prost::encoding::key_len(tag) + encoded_len_varint(len as u64) + len
}

/// The sizes of one operation, computed once.
struct OpSize {
    /// The operation's own length.
    total: usize,
    /// For a plain LAUNCH: the sizes inside it.
    launch: Option<LaunchSize>,
}

struct LaunchSize {
    total: usize,
    tasks: Vec<usize>,
}

impl OpSize {
    fn of(op: &Operation) -> OpSize {
        let Operation {
            r#type,
            id: None,
            launch: Some(operation::Launch { task_infos }),
            launch_group: None,
            reserve: None,
            unreserve: None,
            create: None,
            destroy: None,
        } = op
        else {
            return OpSize {
                total: op.encoded_len(),
                launch: None,
            };
        };
        let tasks: Vec<usize> = task_infos.iter().map(Message::encoded_len).collect();
        let total_launch: usize = tasks.iter().map(|len| field_len(1, *len)).sum();
        let type_len = r#type.map_or(0, |t| prost::encoding::int32::encoded_len(1, &t));
        OpSize {
            total: type_len + field_len(2, total_launch),
            launch: Some(LaunchSize {
                total: total_launch,
                tasks,
            }),
        }
    }
}

fn accept_len(accept: &call::Accept, sizes: &[OpSize]) -> usize {
    let ids: usize = accept
        .offer_ids
        .iter()
        .map(|id| prost::encoding::message::encoded_len(1, id))
        .sum();
    let ops: usize = sizes.iter().map(|s| field_len(2, s.total)).sum();
    let filters = accept
        .filters
        .as_ref()
        .map_or(0, |f| prost::encoding::message::encoded_len(3, f));
    ids + ops + filters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{
        AgentId, CommandInfo, ExecutorId, ExecutorInfo, Filters, FrameworkId, OfferId, OperationId,
        Resource, TaskId, TaskInfo,
    };

    fn task(n: usize) -> TaskInfo {
        TaskInfo {
            name: format!("task-{n}"),
            task_id: TaskId::new(format!("t-{n}")),
            agent_id: AgentId::new("agent"),
            resources: vec![Resource::scalar("cpus", 0.5), Resource::scalar("mem", 64.0)],
            command: Some(CommandInfo {
                value: Some("sleep 1".into()),
                ..Default::default()
            }),
            executor: (n % 2 == 1).then(|| ExecutorInfo {
                executor_id: ExecutorId::new("e"),
                resources: vec![Resource::scalar("cpus", 0.1)],
                ..Default::default()
            }),
            data: Some(vec![7; n * 50]),
            ..Default::default()
        }
    }

    fn launch(tasks: usize) -> Operation {
        Operation {
            r#type: Some(crate::proto::offer::operation::Type::Launch as i32),
            launch: Some(operation::Launch {
                task_infos: (0..tasks).map(task).collect(),
            }),
            ..Default::default()
        }
    }

    fn accept_call(operations: Vec<Operation>) -> Call {
        Call {
            framework_id: Some(FrameworkId::new("fw")),
            r#type: Some(call::Type::Accept as i32),
            accept: Some(call::Accept {
                offer_ids: vec![OfferId::new("o1"), OfferId::new("o2")],
                operations,
                filters: Some(Filters {
                    refuse_seconds: Some(5.0),
                }),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn same_bytes_as_prost() {
        let mut with_id = launch(2);
        with_id.id = Some(OperationId::new("op"));
        let cases = vec![
            accept_call(vec![]),
            accept_call(vec![launch(0)]),
            accept_call(vec![launch(1)]),
            // Large tasks: lengths above one varint byte.
            accept_call(vec![launch(12), launch(3)]),
            accept_call(vec![with_id, launch(2)]),
            accept_call(vec![Operation {
                r#type: Some(crate::proto::offer::operation::Type::Reserve as i32),
                reserve: Some(operation::Reserve {
                    resources: vec![Resource::scalar("cpus", 1.0)],
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            Call {
                accept: Some(call::Accept::default()),
                ..Default::default()
            },
        ];
        for call in cases {
            let fast = encode(&call).expect("a plain ACCEPT");
            assert_eq!(fast, call.encode_to_vec());
            assert_eq!(Call::decode(fast.as_slice()).unwrap(), call);
            assert_eq!(crate::codec::Encoding::Protobuf.encode_call(&call), fast);
        }
    }

    #[test]
    fn other_calls_fall_back_to_prost() {
        let mut call = accept_call(vec![launch(1)]);
        call.decline = Some(call::Decline::default());
        assert!(encode(&call).is_none());
        assert_eq!(
            crate::codec::Encoding::Protobuf.encode_call(&call),
            call.encode_to_vec()
        );
        let revive = Call {
            r#type: Some(call::Type::Revive as i32),
            ..Default::default()
        };
        assert!(encode(&revive).is_none());
    }
}
