//! Per-task bookkeeping of the tracker: one small [`TaskRecord`] per submitted task,
//! task-id generation and the retry decision.

use super::{TaskLocation, TaskSummary};
use crate::proto::{AgentId, ExecutorId, TaskId, TaskState};
use crate::scheduler::offer_matcher::Queued;
use crate::scheduler::spec::{RetryPolicy, TaskSpec};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// How many recent update uuids a task remembers to recognise duplicates.
const RECENT_UUIDS: usize = 4;

/// Longest spec-name prefix kept in a task id.
const MAX_NAME_PREFIX: usize = 96;

/// Everything the tracker keeps about one submitted task (its current attempt).
#[derive(Debug)]
pub(crate) struct TaskRecord {
    /// The spec's name.
    pub name: Arc<str>,
    /// The spec but for its name, shared with the matcher and with equal specs
    /// ([`SpecInterner`](crate::scheduler::spec::SpecInterner)).
    pub spec: Arc<TaskSpec>,
    /// The current attempt's task id.
    pub task_id: TaskId,
    /// The current attempt number (0 first).
    pub attempt: u32,
    /// Last known state of the current attempt.
    pub state: TaskState,
    /// The current attempt was handed to Mesos (placed into an ACCEPT, or heard of).
    pub launched: bool,
    /// The user asked to kill it: never retried, KILL resent after re-subscription.
    pub kill_requested: bool,
    /// Terminal with no retry left.
    pub is_final: bool,
    /// Adopted from a previous process: its ids are not of this tracker's form.
    pub adopted: bool,
    /// Sequence number of the last update applied (0: never heard of).
    pub heard_seq: u64,
    /// Where the current attempt runs and the uuids of its latest updates, once it was
    /// launched or heard of (`None` keeps a queued task's record small).
    placed: Option<Box<Placed>>,
}

/// What a record learns once its current attempt is launched or heard of.
#[derive(Debug, Default)]
struct Placed {
    /// The agent (shared with the launch notice).
    agent_id: Option<Arc<str>>,
    /// The agent's hostname (shared with the launch notice).
    hostname: Option<Arc<str>>,
    /// The executor.
    executor_id: Option<ExecutorId>,
    /// Hashes of the latest update uuids, to recognise resent duplicates (0: none).
    recent: [u64; RECENT_UUIDS],
}

/// What an update does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Deliver it; `is_final` says whether this is the task's last word.
    Deliver {
        /// Terminal and not retried.
        is_final: bool,
    },
    /// Deliver it as not final, then launch a new attempt.
    Retry,
}

impl TaskRecord {
    /// A fresh record for the first attempt of `spec` named `name`.
    pub fn new(name: Arc<str>, spec: Arc<TaskSpec>, task_id: TaskId) -> Self {
        TaskRecord {
            name,
            spec,
            task_id,
            attempt: 0,
            state: TaskState::TaskStaging,
            launched: false,
            kill_requested: false,
            is_final: false,
            adopted: false,
            heard_seq: 0,
            placed: None,
        }
    }

    /// Whether an update with this uuid was already seen for the current attempt.
    pub fn seen(&self, uuid: &[u8]) -> bool {
        self.placed
            .as_ref()
            .is_some_and(|p| p.recent.contains(&hash_uuid(uuid)))
    }

    /// Remembers an update uuid (the oldest of the remembered ones is forgotten).
    pub fn remember(&mut self, uuid: &[u8]) {
        let recent = &mut self.placed_mut().recent;
        recent.rotate_right(1);
        recent[0] = hash_uuid(uuid);
    }

    /// Applies a new state of the current attempt and decides what follows.
    pub fn apply(&mut self, state: TaskState) -> Outcome {
        self.state = state;
        if !state.is_terminal() {
            return Outcome::Deliver { is_final: false };
        }
        if !self.kill_requested
            && self.attempt < self.spec.retry.max_retries
            && retry_applies(state, &self.spec.retry)
        {
            return Outcome::Retry;
        }
        self.is_final = true;
        Outcome::Deliver { is_final: true }
    }

    /// Moves on to the next attempt under `task_id`: pending again, nowhere yet.
    pub fn next_attempt(&mut self, task_id: TaskId) {
        self.task_id = task_id;
        self.attempt += 1;
        self.state = TaskState::TaskStaging;
        self.launched = false;
        self.placed = None;
    }

    /// The current attempt under `task_id`, for the matcher's queue.
    pub fn queued(&self, task_id: TaskId) -> Queued {
        Queued {
            task_id,
            name: Arc::clone(&self.name),
            spec: Arc::clone(&self.spec),
        }
    }

    /// Forgets where the current attempt was going to run.
    pub fn forget_place(&mut self) {
        if let Some(p) = &mut self.placed {
            p.agent_id = None;
            p.hostname = None;
            p.executor_id = None;
        }
    }

    fn placed_mut(&mut self) -> &mut Placed {
        self.placed.get_or_insert_with(Default::default)
    }

    /// Learns where the matcher launched the current attempt.
    pub fn set_launch(
        &mut self,
        agent_id: Arc<str>,
        hostname: Arc<str>,
        executor_id: Option<ExecutorId>,
    ) {
        let p = self.placed_mut();
        p.agent_id = Some(agent_id);
        p.hostname = Some(hostname);
        p.executor_id = executor_id;
    }

    /// Learns the agent (and executor) an update of the current attempt names; allocates
    /// only when they changed.
    pub fn learn_place(&mut self, agent_id: Option<&AgentId>, executor_id: Option<&ExecutorId>) {
        let p = self.placed_mut();
        if let Some(a) = agent_id
            && p.agent_id.as_deref() != Some(a.value.as_str())
        {
            p.agent_id = Some(Arc::from(a.value.as_str()));
        }
        if let Some(e) = executor_id
            && p.executor_id.as_ref() != Some(e)
        {
            p.executor_id = Some(e.clone());
        }
    }

    /// The agent of the current attempt, as Mesos calls want it.
    pub fn agent(&self) -> Option<AgentId> {
        self.placed
            .as_ref()
            .and_then(|p| p.agent_id.as_deref())
            .map(AgentId::new)
    }

    /// Marks the current attempt as killed before launch (final).
    pub fn killed_before_launch(&mut self) {
        self.state = TaskState::TaskKilled;
        self.is_final = true;
    }

    /// Where the current attempt runs (or ran), once it was handed to an agent.
    pub fn location(&self) -> Option<TaskLocation> {
        let agent_id = self.agent().filter(|_| self.launched)?;
        let p = self.placed.as_deref()?;
        let executor_id = p
            .executor_id
            .clone()
            .or_else(|| self.spec.executor.as_ref().map(|e| e.executor_id.clone()))
            .unwrap_or_else(|| ExecutorId::new(self.task_id.value.clone()));
        Some(TaskLocation {
            agent_id,
            hostname: p.hostname.as_deref().unwrap_or_default().to_owned(),
            executor_id,
        })
    }

    /// The summary [`ListTasks`](super::ListTasks) reports.
    pub fn summary(&self) -> TaskSummary {
        TaskSummary {
            name: self.name.to_string(),
            task_id: self.task_id.clone(),
            state: self.state,
            attempt: self.attempt,
            is_final: self.is_final,
        }
    }

    /// Whether the current attempt is with Mesos and not terminal: what explicit
    /// reconciliation asks about.
    pub fn needs_reconcile(&self) -> bool {
        self.launched && !self.state.is_terminal()
    }
}

/// Whether a terminal `state` calls for a relaunch under `policy` (retries left aside).
pub(crate) fn retry_applies(state: TaskState, policy: &RetryPolicy) -> bool {
    match state {
        TaskState::TaskFailed => policy.retry_failed,
        TaskState::TaskLost
        | TaskState::TaskDropped
        | TaskState::TaskError
        | TaskState::TaskGone
        | TaskState::TaskGoneByOperator => true,
        _ => false,
    }
}

/// A task id for attempt `attempt` of the task numbered `seq` of the tracker `nonce`:
/// `<name>.<nonce><seq>.<attempt>`, the name reduced to `[A-Za-z0-9_-]` (other
/// characters become `_`) and shortened, so the id is valid for Mesos and as a sandbox
/// directory name.
pub(crate) fn task_id_for(name: &str, nonce: u32, seq: u64, attempt: u32) -> TaskId {
    // Written by hand: `format!` costs about as much as the rest of a submission. Sized
    // exactly: the id is kept for as long as the task.
    let prefix = match name.chars().take(MAX_NAME_PREFIX).count() {
        0 => "task".len(),
        n => n,
    };
    let seq_digits = (seq.checked_ilog2().unwrap_or(0) / 4 + 1) as usize;
    let attempt_digits = (attempt.checked_ilog10().unwrap_or(0) + 1) as usize;
    let mut id = String::with_capacity(prefix + 10 + seq_digits + attempt_digits);
    for c in name.chars().take(MAX_NAME_PREFIX) {
        let keep = c.is_ascii_alphanumeric() || c == '_' || c == '-';
        id.push(if keep { c } else { '_' });
    }
    if id.is_empty() {
        id.push_str("task");
    }
    id.push('.');
    push_digits(&mut id, u64::from(nonce), 16, 8);
    push_digits(&mut id, seq, 16, 1);
    id.push('.');
    push_digits(&mut id, u64::from(attempt), 10, 1);
    TaskId::new(id)
}

/// Appends `v` in `radix` (10 or 16, lowercase), zero-padded to `width` digits.
fn push_digits(out: &mut String, mut v: u64, radix: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut start = buf.len();
    while v > 0 || buf.len() - start < width {
        start -= 1;
        let d = (v % radix) as u8;
        if let Some(slot) = buf.get_mut(start) {
            *slot = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        }
        v /= radix;
        if start == 0 {
            break;
        }
    }
    for &b in buf.get(start..).unwrap_or_default() {
        out.push(char::from(b));
    }
}

/// The key and attempt an id of this tracker's form `<name>.<nonce><seq>.<attempt>`
/// names, when its nonce is `nonce`; `None` for any other id. The caller still compares
/// the whole id with the record's (the name part is not checked here).
pub(crate) fn own_key(id: &str, nonce: u32) -> Option<(u64, u32)> {
    // On every update and launch notice: a few byte comparisons from the end, no
    // `str::parse` (the whole id is compared with the record's afterwards).
    let b = id.as_bytes();
    let dot = b.iter().rposition(|&c| c == b'.')?;
    let attempt = number(b.get(dot + 1..)?, 10, 10)?;
    let rest = b.get(..dot)?;
    let middle = rest.get(rest.iter().rposition(|&c| c == b'.')? + 1..)?;
    let mut hex = [0u8; 8];
    for (i, slot) in hex.iter_mut().enumerate() {
        let d = (nonce >> (28 - 4 * i)) & 0xf;
        *slot = if d < 10 { b'0' } else { b'a' - 10 } + d as u8;
    }
    if middle.get(..8)? != hex.as_slice() {
        return None;
    }
    Some((
        number(middle.get(8..)?, 16, 16)?,
        u32::try_from(attempt).ok()?,
    ))
}

/// The value of 1 to `max_len` lowercase digits in `radix` (10 or 16, so 16 digits never
/// overflow); `None` for anything else.
fn number(b: &[u8], radix: u64, max_len: usize) -> Option<u64> {
    if b.is_empty() || b.len() > max_len {
        return None;
    }
    let mut v = 0u64;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' if radix == 16 => c - b'a' + 10,
            _ => return None,
        };
        v = v * radix + u64::from(d);
    }
    Some(v)
}

/// A uuid's hash, never 0 (0 marks an empty slot).
fn hash_uuid(uuid: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    uuid.hash(&mut h);
    h.finish().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(retries: u32, retry_failed: bool) -> TaskRecord {
        let mut spec = TaskSpec::new("t").command("true").retries(retries);
        spec.retry.retry_failed = retry_failed;
        TaskRecord::new("t".into(), Arc::new(spec), TaskId::new("t.0.0"))
    }

    #[test]
    fn record_is_small() {
        assert!(std::mem::size_of::<TaskRecord>() <= 320);
    }

    #[test]
    fn own_ids_name_their_key_and_attempt() {
        for (name, seq, attempt) in [
            ("t", 0, 0),
            ("my task.x", 0xabc0, 7),
            ("", u64::MAX, u32::MAX),
        ] {
            let id = task_id_for(name, 0x1f, seq, attempt);
            assert_eq!(own_key(&id.value, 0x1f), Some((seq, attempt)), "{id}");
            assert_eq!(own_key(&id.value, 0x2f), None, "another tracker's nonce");
        }
        for other in [
            "",
            "t",
            "t.0.0",
            "t.0000001f.0",
            "t.0000001f1.",
            "t.0000001f1.x",
            "t.0000001fz.0",
            "t.0000001f1.99999999999",
            "t.0000001f11111111111111111111.0",
            "t.0000001f1.0.",
        ] {
            assert_eq!(own_key(other, 0x1f), None, "{other}");
        }
    }

    #[test]
    fn ids_are_mesos_safe_and_unique() {
        let a = task_id_for("my task/../x", 0xabc, 1, 0);
        assert_eq!(a.value, "my_task____x.00000abc1.0");
        assert_ne!(a, task_id_for("my task/../x", 0xabc, 1, 1));
        assert_ne!(a, task_id_for("my task/../x", 0xabc, 2, 0));
        assert_eq!(task_id_for("", 1, 0, 0).value, "task.000000010.0");
        let long = task_id_for(&"é".repeat(500), 1, 0, 0);
        assert!(long.value.len() < 120);
        assert!(long.value.is_ascii());
        for (nonce, seq, attempt) in [
            (0, 0, 0),
            (u32::MAX, u64::MAX, u32::MAX),
            (0x1f, 0xabc0, 10),
        ] {
            assert_eq!(
                task_id_for("t", nonce, seq, attempt).value,
                format!("t.{nonce:08x}{seq:x}.{attempt}")
            );
        }
    }

    #[test]
    fn ids_are_sized_exactly() {
        for (name, nonce, seq, attempt) in [
            ("task-12345", 0xabc, 0x1234_5678, 0),
            ("t", 0, 0, 0),
            ("", u32::MAX, u64::MAX, u32::MAX),
            ("x".repeat(300).as_str(), 1, 15, 9),
            ("abcd", 1, 16, 10),
        ] {
            let id = task_id_for(name, nonce, seq, attempt).value;
            assert_eq!(id.capacity(), id.len(), "{id}");
        }
    }

    #[test]
    fn retry_policy_decisions() {
        let policy = RetryPolicy::default();
        for s in [
            TaskState::TaskFailed,
            TaskState::TaskLost,
            TaskState::TaskDropped,
            TaskState::TaskError,
            TaskState::TaskGone,
            TaskState::TaskGoneByOperator,
        ] {
            assert!(retry_applies(s, &policy), "{s:?}");
        }
        for s in [
            TaskState::TaskFinished,
            TaskState::TaskKilled,
            TaskState::TaskRunning,
        ] {
            assert!(!retry_applies(s, &policy), "{s:?}");
        }
        let no_failed = RetryPolicy {
            max_retries: 3,
            retry_failed: false,
        };
        assert!(!retry_applies(TaskState::TaskFailed, &no_failed));
        assert!(retry_applies(TaskState::TaskLost, &no_failed));
    }

    #[test]
    fn apply_walks_attempts_until_final() {
        let mut r = record(1, true);
        assert_eq!(
            r.apply(TaskState::TaskRunning),
            Outcome::Deliver { is_final: false }
        );
        assert_eq!(r.apply(TaskState::TaskFailed), Outcome::Retry);
        r.next_attempt(TaskId::new("t.0.1"));
        assert_eq!(r.attempt, 1);
        assert_eq!(r.state, TaskState::TaskStaging);
        assert_eq!(
            r.apply(TaskState::TaskFailed),
            Outcome::Deliver { is_final: true }
        );
        assert!(r.is_final);

        let mut r = record(1, false);
        assert_eq!(
            r.apply(TaskState::TaskFailed),
            Outcome::Deliver { is_final: true }
        );

        let mut r = record(5, true);
        r.kill_requested = true;
        assert_eq!(
            r.apply(TaskState::TaskLost),
            Outcome::Deliver { is_final: true }
        );
    }

    #[test]
    fn duplicate_uuids_are_recognised() {
        let mut r = record(0, true);
        assert!(!r.seen(b"a"));
        r.remember(b"a");
        r.remember(b"b");
        assert!(r.seen(b"a") && r.seen(b"b"));
        for u in [b"c", b"d", b"e", b"f"] {
            r.remember(u);
        }
        assert!(!r.seen(b"a"));
        assert!(r.seen(b"f"));
    }

    #[test]
    fn location_only_once_launched() {
        let mut r = record(0, true);
        assert!(r.location().is_none());
        r.launched = true;
        r.set_launch("a1".into(), "h".into(), None);
        let loc = r.location().unwrap();
        assert_eq!(loc.executor_id.value, "t.0.0");
        assert_eq!(loc.hostname, "h");
    }
}
