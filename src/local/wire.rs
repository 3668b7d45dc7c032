//! Wire helpers shared by the master and the agents: bounded event streams and API errors
//! (from [`crate::server`]), status-update builders and
//! stout-style duration strings.

use crate::codec::Encoding;
use crate::proto::{AgentId, ExecutorId, TaskId, TaskState, TaskStatus, task_status};
use std::time::Duration;

pub use crate::server::ApiError;
pub use crate::server::stream::{ClosedSignal, EventSender as Subscriber, EventStream};

/// Most bytes one event stream (scheduler or executor) may hold queued for a reader that
/// does not keep up; past it the reader is disconnected.
pub const EVENT_STREAM_LIMIT: usize = 16 << 20;

/// A new bounded event stream: the sender, the body, and the signal that it closed.
pub fn event_stream(encoding: Encoding) -> (Subscriber, EventStream, ClosedSignal) {
    crate::server::stream::event_stream(encoding, EVENT_STREAM_LIMIT)
}

/// A status update as an executor (or the agent on its behalf) sends it: fresh uuid,
/// timestamp, and the given source.
pub fn executor_status(
    task_id: &TaskId,
    state: TaskState,
    source: task_status::Source,
    message: Option<String>,
) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message,
        source: Some(source as i32),
        timestamp: Some(crate::proto::now_seconds()),
        uuid: Some(crate::proto::new_uuid_bytes()),
        ..Default::default()
    }
}

/// A status the master generates (reconciliation, invalid offers, task errors): no uuid,
/// source SOURCE_MASTER.
pub fn master_status(
    task_id: &TaskId,
    state: TaskState,
    reason: task_status::Reason,
    message: impl Into<String>,
    agent_id: Option<AgentId>,
    executor_id: Option<ExecutorId>,
) -> TaskStatus {
    TaskStatus {
        task_id: task_id.clone(),
        state: state as i32,
        message: Some(message.into()),
        source: Some(task_status::Source::Master as i32),
        reason: Some(reason as i32),
        agent_id,
        executor_id,
        timestamp: Some(crate::proto::now_seconds()),
        ..Default::default()
    }
}

/// Whether a framework-chosen id (task, executor, framework) is usable: not empty, not
/// `.` or `..`, no `/`, `\\`, whitespace or control characters (ids become path names in
/// the sandbox, so anything else could escape it).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 1024
        && id != "."
        && id != ".."
        && !id.contains(|c: char| c == '/' || c == '\\' || c.is_whitespace() || c.is_control())
}

/// A duration in stout's format (`5secs`, `15mins`, `250ms`), as Mesos writes it into
/// executor environment variables.
pub fn stout_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    let units: [(u128, &str); 7] = [
        (7 * 24 * 3600 * 1_000_000_000, "weeks"),
        (24 * 3600 * 1_000_000_000, "days"),
        (3600 * 1_000_000_000, "hrs"),
        (60 * 1_000_000_000, "mins"),
        (1_000_000_000, "secs"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ];
    for (unit, name) in units {
        if ns >= unit {
            let value = ns as f64 / unit as f64;
            return if value.fract() == 0.0 {
                format!("{}{name}", value as u64)
            } else {
                format!("{value}{name}")
            };
        }
    }
    format!("{ns}ns")
}

/// A `DurationInfo` as a `Duration` (negative → zero).
pub fn duration_of(info: Option<&crate::proto::DurationInfo>) -> Option<Duration> {
    info.map(|d| Duration::from_nanos(d.nanoseconds.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stout() {
        assert_eq!(stout_duration(Duration::from_secs(5)), "5secs");
        assert_eq!(stout_duration(Duration::from_secs(900)), "15mins");
        assert_eq!(stout_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(stout_duration(Duration::from_millis(1500)), "1.5secs");
    }
}
