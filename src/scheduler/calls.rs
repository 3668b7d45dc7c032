//! Every call the scheduler runtime sends to the master is built here: SUBSCRIBE and
//! TEARDOWN (the connection), ACCEPT, DECLINE, SUPPRESS and REVIVE (the matcher),
//! ACKNOWLEDGE, RECONCILE and KILL (the tracker) and MESSAGE (the router). The connection
//! fills in the framework id of calls built without one.
//!
//! The matcher's ACCEPTs are written as protobuf bytes directly ([`EncodedCall`], built in
//! `offer_matcher::accept_bytes`); every other call is a prost message.

use crate::proto::scheduler::{Call, call};
use crate::proto::{
    AgentId, DurationInfo, ExecutorId, Filters, FrameworkId, FrameworkInfo, KillPolicy, OfferId,
    TaskId, TaskStatus,
};
use std::time::Duration;

/// A call protobuf-encoded by its builder, with the framework id it was built for (if
/// any) as its first field. The connection sends the bytes as they are when that id is
/// the subscription's, and decodes them for JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedCall {
    bytes: Vec<u8>,
    /// Where the fields after `framework_id` begin.
    body_start: usize,
}

// Read by the benchmarks and the tests.
#[cfg_attr(not(any(test, feature = "bench")), allow(dead_code))]
impl EncodedCall {
    /// Bytes whose first `body_start` bytes are the `framework_id` field (or nothing).
    pub(crate) fn from_parts(bytes: Vec<u8>, body_start: usize) -> EncodedCall {
        EncodedCall {
            body_start: body_start.min(bytes.len()),
            bytes,
        }
    }

    /// The protobuf bytes as built.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The protobuf bytes with `framework_id` as the call's framework id (no copy when it
    /// is the one the call was built with).
    pub fn into_bytes_for(self, framework_id: &FrameworkId) -> Vec<u8> {
        if self.body_start == 0 {
            // Built without one (the tracker's ACKNOWLEDGEs): one allocation.
            let len = prost::encoding::message::encoded_len(1, framework_id);
            let mut out = Vec::with_capacity(len + self.bytes.len());
            prost::encoding::message::encode(1, framework_id, &mut out);
            out.extend_from_slice(&self.bytes);
            return out;
        }
        let mut head = Vec::with_capacity(framework_id.value.len() + 4);
        prost::encoding::message::encode(1, framework_id, &mut head);
        match self.bytes.get(..self.body_start) {
            Some(built) if built == head.as_slice() => self.bytes,
            _ => {
                let body = self.bytes.get(self.body_start..).unwrap_or_default();
                head.extend_from_slice(body);
                head
            }
        }
    }

    /// The call's `type` (the first field after the framework id, as the builders write
    /// it); `None` when it is not there.
    pub(crate) fn call_type(&self) -> Option<i32> {
        use prost::encoding::{WireType, decode_key, decode_varint};
        let mut body = self.bytes.get(self.body_start..)?;
        if decode_key(&mut body).ok()? != (2, WireType::Varint) {
            return None;
        }
        i32::try_from(decode_varint(&mut body).ok()?).ok()
    }

    /// The call as a prost message (for JSON, and for tests).
    pub fn decode(&self) -> Result<Call, prost::DecodeError> {
        prost::Message::decode(self.bytes.as_slice())
    }
}

/// A call on its way to the connection: a prost message, or bytes built directly.
#[derive(Debug, Clone, PartialEq)]
pub enum OutCall {
    /// A prost message (encoded by the connection; boxed, a `Call` is large).
    Message(Box<Call>),
    /// Protobuf bytes (the matcher's ACCEPTs).
    Encoded(EncodedCall),
}

#[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
impl OutCall {
    /// The call as a prost message (decoding encoded bytes; `None` if they do not decode,
    /// which the builders' tests rule out).
    pub fn to_call(&self) -> Option<std::borrow::Cow<'_, Call>> {
        match self {
            OutCall::Message(c) => Some(std::borrow::Cow::Borrowed(c)),
            OutCall::Encoded(e) => e.decode().ok().map(std::borrow::Cow::Owned),
        }
    }
}

impl From<Call> for OutCall {
    fn from(c: Call) -> OutCall {
        OutCall::Message(Box::new(c))
    }
}

/// A call of `type` for `framework_id` with no payload yet.
fn base(r#type: call::Type, framework_id: Option<FrameworkId>) -> Call {
    Call {
        framework_id,
        r#type: Some(r#type as i32),
        ..Default::default()
    }
}

/// SUBSCRIBE for `framework_info`, with `framework_id` in both places once known, else in
/// neither.
pub(crate) fn subscribe(
    mut framework_info: FrameworkInfo,
    framework_id: Option<FrameworkId>,
) -> Call {
    framework_info.id = framework_id.clone();
    let mut c = base(call::Type::Subscribe, framework_id);
    c.subscribe = Some(call::Subscribe {
        framework_info,
        ..Default::default()
    });
    c
}

/// TEARDOWN of `framework_id`.
pub(crate) fn teardown(framework_id: FrameworkId) -> Call {
    base(call::Type::Teardown, Some(framework_id))
}

/// One ACCEPT with one LAUNCH of `tasks` on `offer_ids` (all of one agent and role), as
/// a prost message: what the matcher's bytes must decode to.
#[cfg(test)]
pub(crate) fn accept(
    framework_id: Option<FrameworkId>,
    offer_ids: Vec<OfferId>,
    tasks: Vec<crate::proto::TaskInfo>,
    filters: Filters,
) -> Call {
    let mut c = base(call::Type::Accept, framework_id);
    c.accept = Some(call::Accept {
        offer_ids,
        operations: vec![crate::proto::offer::Operation {
            r#type: Some(crate::proto::offer::operation::Type::Launch as i32),
            launch: Some(crate::proto::offer::operation::Launch { task_infos: tasks }),
            ..Default::default()
        }],
        filters: Some(filters),
    });
    c
}

/// DECLINE of `offer_ids` with `filters`.
pub(crate) fn decline(
    framework_id: Option<FrameworkId>,
    offer_ids: Vec<OfferId>,
    filters: Filters,
) -> Call {
    let mut c = base(call::Type::Decline, framework_id);
    c.decline = Some(call::Decline {
        offer_ids,
        filters: Some(filters),
    });
    c
}

/// SUPPRESS of every role.
pub(crate) fn suppress(framework_id: Option<FrameworkId>) -> Call {
    let mut c = base(call::Type::Suppress, framework_id);
    c.suppress = Some(call::Suppress { roles: Vec::new() });
    c
}

/// REVIVE of every role.
pub(crate) fn revive(framework_id: Option<FrameworkId>) -> Call {
    let mut c = base(call::Type::Revive, framework_id);
    c.revive = Some(call::Revive { roles: Vec::new() });
    c
}

/// MESSAGE of `data` to `executor_id` on `agent_id`.
pub(crate) fn message(agent_id: AgentId, executor_id: ExecutorId, data: Vec<u8>) -> Call {
    let mut c = base(call::Type::Message, None);
    c.message = Some(call::Message {
        agent_id,
        executor_id,
        data,
    });
    c
}

/// The kill policy for a grace period (the one conversion, for KILL calls and for the
/// `kill_policy` of launched tasks).
pub(crate) fn kill_policy(grace: Duration) -> KillPolicy {
    KillPolicy {
        grace_period: Some(DurationInfo {
            nanoseconds: i64::try_from(grace.as_nanos()).unwrap_or(i64::MAX),
        }),
    }
}

/// The ACKNOWLEDGE for `status`, when it carries a (non-empty) uuid and an agent id.
///
/// Updates without a uuid are master-generated and must never be acknowledged. An update
/// with a uuid but no agent id cannot be acknowledged (the field is required); that is
/// logged.
pub(crate) fn acknowledge(status: &TaskStatus) -> Option<Call> {
    let (agent_id, uuid) = ack_parts(status)?;
    Some(Call {
        r#type: Some(call::Type::Acknowledge as i32),
        acknowledge: Some(call::Acknowledge {
            agent_id: agent_id.clone(),
            task_id: status.task_id.clone(),
            uuid: uuid.clone(),
        }),
        ..Default::default()
    })
}

/// [`acknowledge`] written as protobuf bytes, without building (and dropping) a `Call`.
pub(crate) fn acknowledge_encoded(status: &TaskStatus) -> Option<EncodedCall> {
    use prost::encoding::{WireType, bytes, encode_key, encode_varint, int32, message};
    let (agent_id, uuid) = ack_parts(status)?;
    // Field numbers of scheduler.proto: Call.type = 2, Call.acknowledge = 8;
    // Acknowledge.agent_id = 1, .task_id = 2, .uuid = 3.
    let ack_len = message::encoded_len(1, agent_id)
        + message::encoded_len(2, &status.task_id)
        + bytes::encoded_len(3, uuid);
    let mut out = Vec::with_capacity(ack_len + 8);
    int32::encode(2, &(call::Type::Acknowledge as i32), &mut out);
    encode_key(8, WireType::LengthDelimited, &mut out);
    encode_varint(ack_len as u64, &mut out);
    message::encode(1, agent_id, &mut out);
    message::encode(2, &status.task_id, &mut out);
    bytes::encode(3, uuid, &mut out);
    Some(EncodedCall::from_parts(out, 0))
}

/// The agent id and uuid an ACKNOWLEDGE of `status` needs (see [`acknowledge`]).
fn ack_parts(status: &TaskStatus) -> Option<(&AgentId, &Vec<u8>)> {
    let uuid = status.uuid.as_ref().filter(|u| !u.is_empty())?;
    let Some(agent_id) = &status.agent_id else {
        tracing::warn!(
            task_id = %status.task_id,
            "update has a uuid but no agent id: cannot acknowledge it"
        );
        return None;
    };
    Some((agent_id, uuid))
}

/// RECONCILE for `tasks` (explicit), or for no task at all (implicit).
pub(crate) fn reconcile(tasks: Vec<(TaskId, Option<AgentId>)>) -> Call {
    Call {
        r#type: Some(call::Type::Reconcile as i32),
        reconcile: Some(call::Reconcile {
            tasks: tasks
                .into_iter()
                .map(|(task_id, agent_id)| call::reconcile::Task { task_id, agent_id })
                .collect(),
        }),
        ..Default::default()
    }
}

/// KILL of `task_id` on `agent_id`, with a kill policy when a grace period is given.
pub(crate) fn kill(task_id: TaskId, agent_id: Option<AgentId>, grace: Option<Duration>) -> Call {
    Call {
        r#type: Some(call::Type::Kill as i32),
        kill: Some(call::Kill {
            task_id,
            agent_id,
            kill_policy: grace.map(kill_policy),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_needs_uuid_and_agent() {
        let mut status = TaskStatus {
            task_id: TaskId::new("t"),
            agent_id: Some(AgentId::new("a")),
            ..Default::default()
        };
        assert!(acknowledge(&status).is_none());
        status.uuid = Some(vec![]);
        assert!(acknowledge(&status).is_none());
        status.uuid = Some(vec![1; 16]);
        let call = acknowledge(&status).unwrap();
        assert_eq!(call.r#type, Some(call::Type::Acknowledge as i32));
        let ack = call.acknowledge.unwrap();
        assert_eq!(ack.agent_id.value, "a");
        assert_eq!(ack.task_id.value, "t");
        assert_eq!(ack.uuid, vec![1; 16]);
        status.agent_id = None;
        assert!(acknowledge(&status).is_none());
    }

    #[test]
    fn encoded_ack_decodes_to_the_built_one() {
        let mut status = TaskStatus {
            task_id: TaskId::new("task-7.0000abc1.0"),
            agent_id: Some(AgentId::new("agent-1")),
            uuid: Some((0..16).collect()),
            ..Default::default()
        };
        let fw = FrameworkId::new("fw-1");
        let encoded = acknowledge_encoded(&status).unwrap();
        assert_eq!(encoded.call_type(), Some(call::Type::Acknowledge as i32));
        let mut built = acknowledge(&status).unwrap();
        assert_eq!(encoded.decode().unwrap(), built);
        built.framework_id = Some(fw.clone());
        let bytes = encoded.into_bytes_for(&fw);
        assert_eq!(
            <Call as prost::Message>::decode(bytes.as_slice()).unwrap(),
            built
        );
        status.agent_id = None;
        assert!(acknowledge_encoded(&status).is_none());
        status.agent_id = Some(AgentId::new("a"));
        status.uuid = Some(vec![]);
        assert!(acknowledge_encoded(&status).is_none());
    }

    #[test]
    fn kill_policy_from_grace() {
        let call = kill(TaskId::new("t"), None, Some(Duration::from_millis(1500)));
        let kill = call.kill.unwrap();
        assert_eq!(
            kill.kill_policy.unwrap().grace_period.unwrap().nanoseconds,
            1_500_000_000
        );
        assert!(
            super::kill(TaskId::new("t"), None, None)
                .kill
                .unwrap()
                .kill_policy
                .is_none()
        );
    }

    #[test]
    fn implicit_reconcile_has_no_tasks() {
        let call = reconcile(vec![]);
        assert_eq!(call.r#type, Some(call::Type::Reconcile as i32));
        assert!(call.reconcile.unwrap().tasks.is_empty());
    }
}
