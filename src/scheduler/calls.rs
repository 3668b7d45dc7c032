//! Every call the scheduler runtime sends to the master is built here: SUBSCRIBE and
//! TEARDOWN (the connection), ACCEPT, DECLINE, SUPPRESS and REVIVE (the matcher),
//! ACKNOWLEDGE, RECONCILE and KILL (the tracker) and MESSAGE (the router). The connection
//! fills in the framework id of calls built without one.

use crate::proto::scheduler::{Call, call};
use crate::proto::{
    AgentId, DurationInfo, ExecutorId, Filters, FrameworkId, FrameworkInfo, KillPolicy, OfferId,
    TaskId, TaskInfo, TaskStatus, offer,
};
use std::time::Duration;

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

/// One ACCEPT with one LAUNCH of `tasks` on `offer_ids` (all of one agent and role).
pub(crate) fn accept(
    framework_id: Option<FrameworkId>,
    offer_ids: Vec<OfferId>,
    tasks: Vec<TaskInfo>,
    filters: Filters,
) -> Call {
    let mut c = base(call::Type::Accept, framework_id);
    c.accept = Some(call::Accept {
        offer_ids,
        operations: vec![offer::Operation {
            r#type: Some(offer::operation::Type::Launch as i32),
            launch: Some(offer::operation::Launch { task_infos: tasks }),
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
    let uuid = status.uuid.as_ref().filter(|u| !u.is_empty())?;
    let Some(agent_id) = status.agent_id.clone() else {
        tracing::warn!(
            task_id = %status.task_id,
            "update has a uuid but no agent id: cannot acknowledge it"
        );
        return None;
    };
    Some(Call {
        r#type: Some(call::Type::Acknowledge as i32),
        acknowledge: Some(call::Acknowledge {
            agent_id,
            task_id: status.task_id.clone(),
            uuid: uuid.clone(),
        }),
        ..Default::default()
    })
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
