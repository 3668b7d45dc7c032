//! Adoption of the tasks a previous scheduler process left running, and the reconciliation
//! answers that repeat what the user already knows.
//!
//! A process that resumes a stored framework id knows none of the framework's tasks. With
//! adoption on ([`TaskTracker::with_adoption`]) an update for a task id this tracker never
//! issued (one of a previous process: its random part differs) creates a record for it: its
//! name and attempt are read back from the id, it is launched, and it is never relaunched
//! (its spec died with the old process); the user gets its updates like any other task's
//! and decides what to resubmit.

use super::TaskTracker;
use super::record::TaskRecord;
use crate::proto::{TaskState, TaskStatus};
use crate::scheduler::spec::TaskSpec;
use std::sync::Arc;

/// The spec name and attempt encoded in a task id `<name>.<nonce><seq>.<attempt>`, and
/// its `<nonce><seq>` part; `None` for ids of another shape.
fn parse_task_id(id: &str) -> Option<(&str, &str, u32)> {
    let (rest, attempt) = id.rsplit_once('.')?;
    let (name, middle) = rest.rsplit_once('.')?;
    let attempt = attempt.parse().ok()?;
    (!name.is_empty() && middle.len() > 8).then_some((name, middle, attempt))
}

/// Whether an update only repeats the state the user was already given: a master-made
/// update (no uuid, such as a reconciliation answer) of a task heard of before, with the
/// same non-terminal state. It is not delivered again.
fn is_repeat(record: &TaskRecord, state: TaskState, status: &TaskStatus) -> bool {
    let master_made = status.uuid.as_deref().is_none_or(<[u8]>::is_empty);
    master_made && record.heard_seq != 0 && record.state == state && !state.is_terminal()
}

/// When the update [`is_repeat`], counts it as heard (so reconciliation knows the task
/// answered: `seq` is the tracker's update counter) and answers `true`: acknowledge only.
pub(super) fn heard_again(
    record: &mut TaskRecord,
    state: TaskState,
    status: &TaskStatus,
    seq: &mut u64,
) -> bool {
    if !is_repeat(record, state, status) {
        return false;
    }
    *seq += 1;
    record.heard_seq = *seq;
    true
}

impl TaskTracker {
    /// Adopts the tasks of a previous process of the same framework (see the module docs).
    pub fn with_adoption(mut self) -> Self {
        self.adopt_unknown = true;
        self
    }

    /// Creates the record of a task a previous process launched, when adoption is on and
    /// `status` names such a task; answers its key.
    pub(super) fn adopt(&mut self, status: &TaskStatus) -> Option<u64> {
        if !self.adopt_unknown {
            return None;
        }
        let id = status.task_id.value.as_str();
        let (name, attempt) = match parse_task_id(id) {
            Some((_, middle, _)) if middle.starts_with(&format!("{:08x}", self.nonce)) => {
                return None; // one of ours, forgotten on purpose
            }
            Some((name, _, attempt)) => (name, attempt),
            None => (id, 0),
        };
        let spec = Arc::new(TaskSpec::default().retries(0));
        let mut record = TaskRecord::new(Arc::from(name), spec, status.task_id.clone());
        record.attempt = attempt;
        record.launched = true;
        record.adopted = true;
        let key = self.next_key;
        self.next_key += 1;
        self.records.insert(key, record);
        self.by_id.insert(id.to_string(), key);
        self.open += 1;
        tracing::info!(task_id = %status.task_id, state = status.state, "adopted a task of a previous scheduler process");
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::TaskId;
    use crate::scheduler::task_tracker::record::task_id_for;

    #[test]
    fn ids_parse_back_to_name_and_attempt() {
        let id = task_id_for("web", 0xabc, 7, 2);
        let (name, middle, attempt) = parse_task_id(&id.value).unwrap();
        assert_eq!((name, attempt), ("web", 2));
        assert!(middle.starts_with("00000abc"));
        assert!(parse_task_id("plain").is_none());
        assert!(parse_task_id("a.b.c").is_none());
    }

    #[test]
    fn only_master_made_repeats_of_a_known_state_are_repeats() {
        let mut r = TaskRecord::new(
            "t".into(),
            Arc::new(TaskSpec::new("t")),
            TaskId::new("t.0.0"),
        );
        let status = TaskStatus::default();
        assert!(
            !is_repeat(&r, TaskState::TaskStaging, &status),
            "never heard of"
        );
        r.heard_seq = 1;
        r.state = TaskState::TaskRunning;
        assert!(is_repeat(&r, TaskState::TaskRunning, &status));
        assert!(!is_repeat(&r, TaskState::TaskKilling, &status));
        let with_uuid = TaskStatus {
            uuid: Some(vec![1; 16]),
            ..Default::default()
        };
        assert!(!is_repeat(&r, TaskState::TaskRunning, &with_uuid));
    }
}
