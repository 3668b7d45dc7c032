//! The agent's status-update manager: one ordered stream per task; only the oldest
//! unacknowledged update is forwarded, and it is resent with exponential backoff until the
//! framework acknowledges it. Duplicates (a uuid the stream already took, even one since
//! acknowledged, as an executor re-subscribing after an agent restart resends) are ignored,
//! also for a while after the task's stream ended. Pure bookkeeping: the agent actor drives
//! it and does the sending.

use crate::proto::{TaskState, TaskStatus};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// How many ended streams are remembered to drop late duplicates of their updates.
const ENDED_KEPT: usize = 4096;

#[derive(Debug)]
struct Stream {
    pending: VecDeque<TaskStatus>,
    /// Every uuid this stream took (a task has a handful of updates).
    seen: HashSet<Vec<u8>>,
    next_send: Option<Instant>,
    backoff: Duration,
    terminal_acked: bool,
}

/// What an acknowledgement did.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq)]
pub enum Acked {
    /// The head was acknowledged; `next` is the update to forward now (if any) and
    /// `terminal` says whether the acknowledged update ended the task.
    Done {
        /// The next update to forward.
        next: Option<TaskStatus>,
        /// The acknowledged update was terminal.
        terminal: bool,
    },
    /// The uuid does not match the head (duplicate or unknown): ignored.
    Ignored,
}

/// Per-task update streams of one agent, keyed by (framework id, task id).
#[derive(Debug)]
pub struct StatusUpdateManager {
    streams: HashMap<(String, String), Stream>,
    /// Streams whose terminal update was acknowledged, oldest first (bounded).
    ended: VecDeque<(String, String)>,
    /// The uuids those streams took (a reused task id with new updates still passes).
    ended_uuids: HashMap<(String, String), HashSet<Vec<u8>>>,
    base: Duration,
    max: Duration,
}

impl StatusUpdateManager {
    /// A manager resending after `base`, doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        StatusUpdateManager {
            streams: HashMap::new(),
            ended: VecDeque::new(),
            ended_uuids: HashMap::new(),
            base: base.max(Duration::from_millis(10)),
            max: max.max(base),
        }
    }

    /// Queues `status` of `framework_id`'s task. Returns the update to forward now (when
    /// it became the head), or `None` (queued behind the head, or a duplicate).
    pub fn push(&mut self, framework_id: &str, status: TaskStatus) -> Option<TaskStatus> {
        let key = (framework_id.to_string(), status.task_id.value.clone());
        let late = self
            .ended_uuids
            .get(&key)
            .is_some_and(|seen| status.uuid.as_ref().is_some_and(|u| seen.contains(u)));
        if late {
            return None;
        }
        let stream = self.streams.entry(key).or_insert_with(|| Stream {
            pending: VecDeque::new(),
            seen: HashSet::new(),
            next_send: None,
            backoff: self.base,
            terminal_acked: false,
        });
        if stream.terminal_acked {
            return None;
        }
        if let Some(uuid) = &status.uuid {
            if !stream.seen.insert(uuid.clone()) {
                return None;
            }
        }
        stream.pending.push_back(status);
        if stream.pending.len() == 1 {
            stream.backoff = self.base;
            stream.next_send = Some(Instant::now() + stream.backoff);
            return stream.pending.front().cloned();
        }
        None
    }

    /// Applies the framework's acknowledgement of `uuid` for the task.
    pub fn acknowledge(&mut self, framework_id: &str, task_id: &str, uuid: &[u8]) -> Acked {
        let key = (framework_id.to_string(), task_id.to_string());
        let Some(stream) = self.streams.get_mut(&key) else {
            return Acked::Ignored;
        };
        let matches = stream
            .pending
            .front()
            .is_some_and(|s| s.uuid.as_deref() == Some(uuid));
        if !matches {
            return Acked::Ignored;
        }
        let acked = stream.pending.pop_front();
        let terminal =
            acked.is_some_and(|s| TaskState::try_from(s.state).is_ok_and(|st| st.is_terminal()));
        if terminal {
            stream.terminal_acked = true;
        }
        stream.backoff = self.base;
        let next = stream.pending.front().cloned();
        stream.next_send = next.as_ref().map(|_| Instant::now() + self.base);
        if terminal && next.is_none() {
            if let Some(ended) = self.streams.remove(&key) {
                self.remember_ended(key, ended.seen);
            }
        }
        Acked::Done { next, terminal }
    }

    /// The latest queued update of every task whose updates are not all acknowledged, by
    /// framework id.
    pub fn latest_pending(&self) -> impl Iterator<Item = (&str, &TaskStatus)> {
        self.streams
            .iter()
            .filter_map(|((fw, _), s)| s.pending.back().map(|st| (fw.as_str(), st)))
    }

    /// Heads whose resend time has come (their backoff doubles, up to the cap).
    pub fn due(&mut self) -> Vec<(String, TaskStatus)> {
        let now = Instant::now();
        let max = self.max;
        let mut out = Vec::new();
        for ((fw, _), s) in self.streams.iter_mut() {
            if let (Some(at), Some(head)) = (s.next_send, s.pending.front()) {
                if at <= now {
                    s.backoff = (s.backoff * 2).min(max);
                    s.next_send = Some(now + s.backoff);
                    out.push((fw.clone(), head.clone()));
                }
            }
        }
        out
    }

    /// Every head of `framework_id`'s tasks, to resend at once (the framework re-subscribed).
    pub fn heads(&mut self, framework_id: &str) -> Vec<TaskStatus> {
        let base = self.base;
        self.streams
            .iter_mut()
            .filter(|((fw, _), _)| fw == framework_id)
            .filter_map(|(_, s)| {
                s.backoff = base;
                s.next_send = Some(Instant::now() + base);
                s.pending.front().cloned()
            })
            .collect()
    }

    /// Every head of every stream, to resend at once (the agent recovered).
    pub fn all_heads(&mut self) -> Vec<(String, TaskStatus)> {
        let base = self.base;
        self.streams
            .iter_mut()
            .filter_map(|((fw, _), s)| {
                s.backoff = base;
                s.next_send = Some(Instant::now() + base);
                s.pending.front().map(|h| (fw.clone(), h.clone()))
            })
            .collect()
    }

    fn remember_ended(&mut self, key: (String, String), seen: HashSet<Vec<u8>>) {
        if self.ended_uuids.insert(key.clone(), seen).is_none() {
            self.ended.push_back(key);
        }
        while self.ended.len() > ENDED_KEPT {
            if let Some(old) = self.ended.pop_front() {
                self.ended_uuids.remove(&old);
            }
        }
    }

    /// The number of unacknowledged updates of a task.
    #[cfg(test)]
    pub fn pending(&self, framework_id: &str, task_id: &str) -> usize {
        self.streams
            .get(&(framework_id.to_string(), task_id.to_string()))
            .map_or(0, |s| s.pending.len())
    }

    /// Forgets every stream of `framework_id` (framework removed).
    pub fn remove_framework(&mut self, framework_id: &str) {
        self.streams.retain(|(fw, _), _| fw != framework_id);
        self.ended.retain(|(fw, _)| fw != framework_id);
        self.ended_uuids.retain(|(fw, _), _| fw != framework_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::wire::executor_status;
    use crate::proto::{TaskId, task_status::Source};

    #[test]
    fn only_head_is_forwarded_until_acked() {
        let mut m = StatusUpdateManager::new(Duration::from_millis(10), Duration::from_millis(40));
        let t = TaskId::new("t");
        let a = executor_status(&t, TaskState::TaskRunning, Source::Executor, None);
        let b = executor_status(&t, TaskState::TaskFinished, Source::Executor, None);
        assert_eq!(m.push("f", a.clone()), Some(a.clone()));
        assert_eq!(m.push("f", a.clone()), None, "duplicate");
        assert_eq!(m.push("f", b.clone()), None, "queued behind head");
        assert_eq!(m.acknowledge("f", "t", &[1; 16]), Acked::Ignored);
        assert_eq!(
            m.acknowledge("f", "t", a.uuid.as_ref().unwrap()),
            Acked::Done {
                next: Some(b.clone()),
                terminal: false
            }
        );
        assert_eq!(
            m.acknowledge("f", "t", b.uuid.as_ref().unwrap()),
            Acked::Done {
                next: None,
                terminal: true
            }
        );
        assert_eq!(m.pending("f", "t"), 0);
        assert_eq!(
            m.push("f", b.clone()),
            None,
            "late duplicate of an ended stream"
        );
        assert_eq!(m.pending("f", "t"), 0);
    }

    #[test]
    fn an_update_acknowledged_already_is_not_forwarded_again() {
        let mut m = StatusUpdateManager::new(Duration::from_millis(10), Duration::from_millis(40));
        let t = TaskId::new("t");
        let a = executor_status(&t, TaskState::TaskRunning, Source::Executor, None);
        assert_eq!(m.push("f", a.clone()), Some(a.clone()));
        let acked = m.acknowledge("f", "t", a.uuid.as_ref().unwrap());
        assert_eq!(
            acked,
            Acked::Done {
                next: None,
                terminal: false
            }
        );
        // An executor re-subscribing after an agent restart carries it again.
        assert_eq!(m.push("f", a.clone()), None);
        assert_eq!(m.pending("f", "t"), 0);
        assert!(m.all_heads().is_empty());
    }
}
