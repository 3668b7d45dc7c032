//! Which launched tasks run on which of the executors the matcher launched, so that an
//! executor's `ExecutorInfo` is forgotten once its last task is over (which includes every
//! task of an agent that was removed: they end LOST, GONE or UNREACHABLE). The matcher
//! keeps an executor's info only to send the same info again for a later task while the
//! executor runs; a task for an executor it forgot takes the path of an executor launched
//! by an earlier scheduler instance.

use crate::proto::{AgentId, ExecutorId, ExecutorInfo, TaskId};
use crate::scheduler::task_tracker::Launched;
use foldhash::HashMap;

/// The executors the matcher launched, by agent (as `MatcherCore` keeps them).
pub(in crate::scheduler::offer_matcher) type Executors =
    HashMap<AgentId, HashMap<ExecutorId, ExecutorInfo>>;

/// Live tasks per launched executor.
#[derive(Debug, Default)]
pub(in crate::scheduler::offer_matcher) struct ExecutorUse {
    /// Launched task -> its executor, for tasks on an executor in `Executors`.
    by_task: HashMap<TaskId, (AgentId, ExecutorId)>,
    /// Executor -> how many of `by_task` run on it.
    tasks: HashMap<(AgentId, ExecutorId), usize>,
}

impl ExecutorUse {
    /// Counts the tasks of `launched` that run on an executor of `executors`.
    pub fn launched(&mut self, launched: &[Launched], executors: &Executors) {
        for l in launched {
            // A command task runs on no executor of ours.
            let Some(executor_id) = &l.executor_id else {
                continue;
            };
            let agent_id = AgentId::new(&*l.agent_id);
            let known = executors
                .get(&agent_id)
                .is_some_and(|m| m.contains_key(executor_id));
            if !known {
                continue;
            }
            let at = (agent_id, executor_id.clone());
            if self.by_task.insert(l.task_id.clone(), at.clone()).is_none() {
                *self.tasks.entry(at).or_default() += 1;
            }
        }
    }

    /// `task_id` is over: when it was its executor's last task, the executor's info goes
    /// (and the agent's entry once it holds none).
    pub fn ended(&mut self, task_id: &TaskId, executors: &mut Executors) {
        let Some(at) = self.by_task.remove(task_id) else {
            return;
        };
        let Some(n) = self.tasks.get_mut(&at) else {
            return;
        };
        *n = n.saturating_sub(1);
        if *n > 0 {
            return;
        }
        self.tasks.remove(&at);
        let (agent_id, executor_id) = at;
        if let Some(m) = executors.get_mut(&agent_id) {
            m.remove(&executor_id);
            if m.is_empty() {
                executors.remove(&agent_id);
            }
        }
    }

    /// Forgets everything (another framework id: its executors are not ours).
    pub fn clear(&mut self) {
        self.by_task.clear();
        self.tasks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(task: &str, agent: &str, executor: &str) -> Launched {
        Launched {
            task_id: TaskId::new(task),
            agent_id: agent.into(),
            hostname: agent.into(),
            offer_id: "o".into(),
            executor_id: Some(ExecutorId::new(executor)),
        }
    }

    fn executors(entries: &[(&str, &str)]) -> Executors {
        let mut m = Executors::default();
        for (agent, executor) in entries {
            m.entry(AgentId::new(*agent)).or_default().insert(
                ExecutorId::new(*executor),
                ExecutorInfo {
                    executor_id: ExecutorId::new(*executor),
                    ..Default::default()
                },
            );
        }
        m
    }

    #[test]
    fn executor_goes_with_its_last_task_and_the_agent_with_its_last_executor() {
        let mut execs = executors(&[("a1", "e1"), ("a1", "e2"), ("a2", "e1")]);
        let mut usage = ExecutorUse::default();
        usage.launched(
            &[
                launch("t1", "a1", "e1"),
                launch("t2", "a1", "e1"),
                launch("t3", "a1", "e2"),
                launch("t4", "a2", "e1"),
                launch("cmd", "a2", "cmd"), // not an executor of ours
                Launched {
                    executor_id: None, // a command task
                    ..launch("cmd2", "a2", "-")
                },
            ],
            &execs,
        );
        usage.ended(&TaskId::new("t1"), &mut execs);
        assert!(execs[&AgentId::new("a1")].contains_key(&ExecutorId::new("e1")));
        usage.ended(&TaskId::new("t2"), &mut execs);
        assert!(!execs[&AgentId::new("a1")].contains_key(&ExecutorId::new("e1")));
        usage.ended(&TaskId::new("t2"), &mut execs); // twice: nothing more
        usage.ended(&TaskId::new("cmd"), &mut execs);
        usage.ended(&TaskId::new("t3"), &mut execs);
        assert!(!execs.contains_key(&AgentId::new("a1")));
        // An agent removed: its tasks end LOST, and its executors go with them.
        usage.ended(&TaskId::new("t4"), &mut execs);
        assert!(execs.is_empty());
        assert!(usage.by_task.is_empty() && usage.tasks.is_empty());
    }

    /// Through the matcher: launched on an offer, forgotten when its tasks are released.
    #[test]
    fn the_matcher_forgets_an_executor_with_its_last_task() {
        use crate::scheduler::offer_matcher::testing::{core, offer, place};
        use crate::scheduler::{Strategy, TaskSpec};
        let (mut m, now) = core(Strategy::FirstFit);
        let exec = ExecutorInfo {
            executor_id: ExecutorId::new("ex"),
            command: Some(crate::proto::CommandInfo {
                value: Some("./exec".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        for id in ["e0", "e1"] {
            let spec = TaskSpec::new("crawl")
                .cpus(1.0)
                .mem(64.0)
                .executor(exec.clone());
            place(&mut m, id, spec, now);
        }
        let out = m.offers(vec![offer("o1", "h1", "cpus:4;mem:1024", None)], now);
        assert_eq!(out.launched.len(), 2);
        let agent = AgentId::new(&*out.launched[0].agent_id);
        assert!(m.executors[&agent].contains_key(&ExecutorId::new("ex")));
        m.released(&TaskId::new("e0"), now);
        assert!(
            m.executors.contains_key(&agent),
            "one task still runs on it"
        );
        m.released(&TaskId::new("e1"), now);
        assert!(m.executors.is_empty());
    }
}
