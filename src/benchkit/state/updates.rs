//! The status-update chains of the source: STARTING, then RUNNING once acknowledged, then
//! FINISHED, each with a fresh uuid to acknowledge.

use super::{Phase, SourceState};
use crate::benchkit::check::PendingUpdate;
use crate::proto::scheduler::{Event, event};
use crate::proto::{AgentId, TaskId, TaskState, TaskStatus, task_status};
use std::time::Instant;

impl SourceState {
    pub(super) fn send_update(
        &mut self,
        task: &TaskId,
        agent: &AgentId,
        state: TaskState,
        now: Instant,
    ) {
        let mut uuid = [0u8; 16];
        uuid[..8].copy_from_slice(&self.uuid_prefix);
        uuid[8..].copy_from_slice(&self.update_counter.to_be_bytes());
        uuid[8] = (uuid[8] & 0x3f) | 0x80;
        self.update_counter += 1;
        let ev = Event {
            r#type: Some(event::Type::Update as i32),
            update: Some(event::Update {
                status: TaskStatus {
                    task_id: task.clone(),
                    state: state as i32,
                    source: Some(task_status::Source::Executor as i32),
                    agent_id: Some(agent.clone()),
                    timestamp: Some(crate::proto::now_seconds()),
                    uuid: Some(uuid.to_vec()),
                    ..Default::default()
                },
            }),
            ..Default::default()
        };
        self.send_event(&ev);
        self.checker.update_sent(
            uuid,
            PendingUpdate {
                sent: now,
                task_id: task.value.clone(),
                agent_id: agent.value.clone(),
                state: state as i32,
            },
        );
    }

    pub(super) fn next_update(&mut self, acked: PendingUpdate, now: Instant) {
        let next = match TaskState::try_from(acked.state) {
            Ok(TaskState::TaskStarting) => TaskState::TaskRunning,
            Ok(TaskState::TaskRunning) => TaskState::TaskFinished,
            _ => return,
        };
        if self.phase == Phase::Done {
            return;
        }
        self.send_update(
            &TaskId::new(acked.task_id),
            &AgentId::new(acked.agent_id),
            next,
            now,
        );
    }
}
