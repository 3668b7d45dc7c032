//! The executor's books (facts sheet §4.5): the tasks it was given and has not yet had an
//! update acknowledged for (*unacknowledged tasks*), the updates the agent has not yet
//! acknowledged (*unacknowledged updates*), and which tasks are still alive. Both lists go
//! into every re-SUBSCRIBE. Pure bookkeeping, no I/O.

use crate::proto::{TaskInfo, TaskState, TaskStatus};
use std::collections::VecDeque;

#[derive(Debug, Clone)]
struct TaskEntry {
    info: TaskInfo,
    /// At least one update of this task was acknowledged by the agent.
    acked_any: bool,
    /// A terminal update was recorded for this task.
    terminal_sent: bool,
}

/// Tasks and updates not yet settled with the agent.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Live tasks in launch order: launched, terminal update not yet acknowledged.
    tasks: Vec<TaskEntry>,
    /// Unacknowledged updates in the order they were made.
    updates: Vec<TaskStatus>,
    /// Ids of recently finished tasks (terminal update acknowledged), oldest first.
    finished: VecDeque<String>,
}

/// How many finished task ids the ledger remembers (to refuse updates after the end).
const FINISHED_MEMORY: usize = 4096;

impl Ledger {
    fn task(&self, task_id: &str) -> Option<&TaskEntry> {
        self.tasks.iter().find(|t| t.info.task_id.value == task_id)
    }

    fn task_mut(&mut self, task_id: &str) -> Option<&mut TaskEntry> {
        self.tasks
            .iter_mut()
            .find(|t| t.info.task_id.value == task_id)
    }

    /// Records a launched task; `false` (and nothing recorded) when a live task has that id.
    pub fn launch(&mut self, task: TaskInfo) -> bool {
        if self.task(&task.task_id.value).is_some() {
            return false;
        }
        self.finished.retain(|id| *id != task.task_id.value);
        self.tasks.push(TaskEntry {
            info: task,
            acked_any: false,
            terminal_sent: false,
        });
        true
    }

    /// Whether a live task has this id.
    pub fn is_live(&self, task_id: &str) -> bool {
        self.task(task_id).is_some()
    }

    /// Whether a terminal update was already recorded for this task (live, or finished
    /// recently).
    pub fn terminal_sent(&self, task_id: &str) -> bool {
        match self.task(task_id) {
            Some(t) => t.terminal_sent,
            None => self.finished.iter().any(|id| id == task_id),
        }
    }

    /// Records an update we are about to send (its `uuid` must be set).
    pub fn record(&mut self, status: TaskStatus) {
        let terminal = TaskState::try_from(status.state).is_ok_and(TaskState::is_terminal);
        if terminal {
            if let Some(t) = self.task_mut(&status.task_id.value) {
                t.terminal_sent = true;
            }
        }
        self.updates.push(status);
    }

    /// The unacknowledged update with this uuid.
    pub fn update(&self, uuid: &[u8]) -> Option<&TaskStatus> {
        self.updates
            .iter()
            .find(|u| u.uuid.as_deref() == Some(uuid))
    }

    /// Settles an update the agent acknowledged. Returns its state the first time, `None`
    /// for an unknown or already acknowledged uuid (or one of another task).
    pub fn acknowledge(&mut self, task_id: &str, uuid: &[u8]) -> Option<TaskState> {
        let index = self
            .updates
            .iter()
            .position(|u| u.uuid.as_deref() == Some(uuid) && u.task_id.value == task_id)?;
        let status = self.updates.remove(index);
        let state = TaskState::try_from(status.state).unwrap_or(TaskState::TaskStaging);
        if let Some(t) = self.task_mut(task_id) {
            t.acked_any = true;
        }
        if state.is_terminal() && self.is_live(task_id) {
            self.tasks.retain(|t| t.info.task_id.value != task_id);
            if self.finished.len() >= FINISHED_MEMORY {
                self.finished.pop_front();
            }
            self.finished.push_back(task_id.to_string());
        }
        Some(state)
    }

    /// Forgets an update the agent refused outright (it will never be acknowledged). A
    /// refused terminal update leaves the task without one.
    pub fn drop_update(&mut self, uuid: &[u8]) -> Option<TaskStatus> {
        let index = self
            .updates
            .iter()
            .position(|u| u.uuid.as_deref() == Some(uuid))?;
        let status = self.updates.remove(index);
        let still_terminal = self.updates.iter().any(|u| {
            u.task_id == status.task_id
                && TaskState::try_from(u.state).is_ok_and(TaskState::is_terminal)
        });
        if let Some(t) = self.task_mut(&status.task_id.value) {
            t.terminal_sent = still_terminal;
        }
        Some(status)
    }

    /// Tasks launched but with no update acknowledged yet (SUBSCRIBE's
    /// `unacknowledged_tasks`).
    pub fn unacknowledged_tasks(&self) -> Vec<TaskInfo> {
        self.tasks
            .iter()
            .filter(|t| !t.acked_any)
            .map(|t| t.info.clone())
            .collect()
    }

    /// Every unacknowledged update, oldest first (SUBSCRIBE's `unacknowledged_updates`).
    pub fn unacknowledged_updates(&self) -> &[TaskStatus] {
        &self.updates
    }

    /// Live tasks with no terminal update recorded.
    pub fn unfinished_tasks(&self) -> Vec<TaskInfo> {
        self.tasks
            .iter()
            .filter(|t| !t.terminal_sent)
            .map(|t| t.info.clone())
            .collect()
    }

    /// Nothing left to settle: every task's terminal update and every update acknowledged.
    pub fn is_settled(&self) -> bool {
        self.tasks.is_empty() && self.updates.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{TaskId, new_uuid_bytes};

    fn task(id: &str) -> TaskInfo {
        TaskInfo {
            name: id.into(),
            task_id: TaskId::new(id),
            ..Default::default()
        }
    }

    fn status(id: &str, state: TaskState) -> TaskStatus {
        TaskStatus {
            task_id: TaskId::new(id),
            state: state as i32,
            uuid: Some(new_uuid_bytes()),
            ..Default::default()
        }
    }

    #[test]
    fn lifecycle() {
        let mut l = Ledger::default();
        assert!(l.launch(task("a")));
        assert!(!l.launch(task("a")), "duplicate launch refused");
        assert_eq!(l.unacknowledged_tasks().len(), 1);
        let running = status("a", TaskState::TaskRunning);
        let r_uuid = running.uuid.clone().unwrap();
        l.record(running);
        let done = status("a", TaskState::TaskFinished);
        let d_uuid = done.uuid.clone().unwrap();
        l.record(done);
        assert!(l.terminal_sent("a"));
        assert_eq!(l.unacknowledged_updates().len(), 2);
        assert_eq!(l.acknowledge("a", &r_uuid), Some(TaskState::TaskRunning));
        assert_eq!(l.acknowledge("a", &r_uuid), None, "acknowledged once only");
        assert!(l.unacknowledged_tasks().is_empty());
        assert!(l.is_live("a"));
        assert!(!l.is_settled());
        assert_eq!(l.acknowledge("b", &d_uuid), None, "wrong task");
        assert_eq!(l.acknowledge("a", &d_uuid), Some(TaskState::TaskFinished));
        assert!(!l.is_live("a"));
        assert!(l.is_settled());
        assert!(l.terminal_sent("a"), "finished tasks take no more updates");
        assert!(l.launch(task("a")), "id reusable after the terminal ack");
        assert!(!l.terminal_sent("a"));
    }

    #[test]
    fn refused_terminal_update_reopens_the_task() {
        let mut l = Ledger::default();
        l.launch(task("a"));
        let done = status("a", TaskState::TaskFailed);
        let uuid = done.uuid.clone().unwrap();
        l.record(done);
        assert!(l.unfinished_tasks().is_empty());
        assert!(l.drop_update(&uuid).is_some());
        assert_eq!(l.unfinished_tasks().len(), 1);
        assert!(l.drop_update(&uuid).is_none());
    }
}
