//! The scheduler calls the tracker makes: ACKNOWLEDGE, RECONCILE and KILL.

use crate::proto::scheduler::{Call, call};
use crate::proto::{AgentId, DurationInfo, KillPolicy, TaskId, TaskStatus};
use std::time::Duration;

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
            kill_policy: grace.map(|g| KillPolicy {
                grace_period: Some(DurationInfo {
                    nanoseconds: i64::try_from(g.as_nanos()).unwrap_or(i64::MAX),
                }),
            }),
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
