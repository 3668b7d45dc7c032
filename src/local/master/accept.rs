//! ACCEPT: offer validation, LAUNCH and LAUNCH_GROUP validation against the offered
//! resources, and the updates Mesos sends when either fails.

use super::{ExecutorRecord, LocalMaster, TaskRecord};
use crate::local::agent::LaunchTasks;
use crate::local::wire::master_status;
use crate::proto::{
    ExecutorInfo, TaskInfo, TaskState, executor_info, framework_info::capability::Type as Cap,
    offer::operation::Type as Op, scheduler, task_status::Reason,
};
use crate::resources::Resources;
use actix::prelude::*;
use std::collections::HashSet;

impl LocalMaster {
    fn send_status(&self, framework_id: &str, status: crate::proto::TaskStatus) {
        if let Some(fw) = self.frameworks.get(framework_id) {
            fw.send(&scheduler::Event {
                r#type: Some(scheduler::event::Type::Update as i32),
                update: Some(scheduler::event::Update { status }),
                ..Default::default()
            });
        }
    }

    fn task_error(&self, framework_id: &str, task: &TaskInfo, reason: Reason, message: String) {
        self.metrics.count_terminal(TaskState::TaskError);
        let status = master_status(
            &task.task_id,
            TaskState::TaskError,
            reason,
            message,
            Some(task.agent_id.clone()),
            None,
        );
        self.send_status(framework_id, status);
    }

    pub(super) fn accept(
        &mut self,
        id: &str,
        accept: scheduler::call::Accept,
        ctx: &mut Context<Self>,
    ) {
        let launched: Vec<TaskInfo> = accept
            .operations
            .iter()
            .flat_map(|op| {
                let mut tasks = Vec::new();
                if let Some(l) = &op.launch {
                    tasks.extend(l.task_infos.iter().cloned());
                }
                if let Some(g) = &op.launch_group {
                    tasks.extend(g.task_group.tasks.iter().cloned());
                }
                tasks
            })
            .collect();
        let mut problem = None;
        let mut agent = None;
        let mut seen = HashSet::new();
        if accept.offer_ids.is_empty() {
            problem = Some("No offers specified".to_string());
        }
        for offer_id in &accept.offer_ids {
            match self.offers.get(&offer_id.value) {
                Some(o) if o.framework_id == id && seen.insert(offer_id.value.clone()) => {
                    if agent.is_some_and(|a| a != o.agent) {
                        problem = Some("Aggregated offers must belong to one single agent".into());
                    }
                    agent = Some(o.agent);
                }
                _ => {
                    problem = Some(format!("Offer {} is no longer valid", offer_id.value));
                }
            }
        }
        let (Some(agent), None) = (agent, problem.clone()) else {
            // Every offer in the call is discarded; launches are lost.
            for offer_id in &accept.offer_ids {
                if self
                    .offers
                    .get(&offer_id.value)
                    .is_some_and(|o| o.framework_id == id)
                {
                    self.remove_offer(&offer_id.value);
                }
            }
            let partition_aware = self
                .frameworks
                .get(id)
                .is_some_and(|f| f.has(Cap::PartitionAware));
            let state = if partition_aware {
                TaskState::TaskDropped
            } else {
                TaskState::TaskLost
            };
            let why = problem.unwrap_or_default();
            for task in &launched {
                let status = master_status(
                    &task.task_id,
                    state,
                    Reason::InvalidOffers,
                    format!("Task launched with invalid offers: {why}"),
                    Some(task.agent_id.clone()),
                    None,
                );
                self.send_status(id, status);
            }
            self.schedule_allocation(ctx);
            return;
        };
        let mut available = Resources::new();
        let mut offer_ids = Vec::new();
        for offer_id in &accept.offer_ids {
            if let Some(record) = self.remove_offer(&offer_id.value) {
                available.merge(&record.resources);
                offer_ids.push(record.offer.id);
            }
        }
        for op in accept.operations {
            match op.r#type() {
                Op::Launch => {
                    for task in op.launch.map(|l| l.task_infos).unwrap_or_default() {
                        if op.id.is_some() {
                            self.task_error(
                                id,
                                &task,
                                Reason::TaskInvalid,
                                "Operation ID must not be set for LAUNCH".into(),
                            );
                            continue;
                        }
                        match self.validate_task(id, &task, agent, None, &available) {
                            Ok(needed) => {
                                available.subtract_present(&needed);
                                self.launch(id, agent, task.executor.clone(), vec![task], false);
                            }
                            Err(e) => self.task_error(id, &task, Reason::TaskInvalid, e),
                        }
                    }
                }
                Op::LaunchGroup => {
                    let Some(group) = op.launch_group else {
                        continue;
                    };
                    match self.validate_group(
                        id,
                        &group.executor,
                        &group.task_group.tasks,
                        agent,
                        &available,
                    ) {
                        Ok(needed) if op.id.is_none() => {
                            available.subtract_present(&needed);
                            self.launch(
                                id,
                                agent,
                                Some(group.executor),
                                group.task_group.tasks,
                                true,
                            );
                        }
                        Ok(_) => {
                            for t in &group.task_group.tasks {
                                self.task_error(
                                    id,
                                    t,
                                    Reason::TaskGroupInvalid,
                                    "Operation ID must not be set for LAUNCH_GROUP".into(),
                                );
                            }
                        }
                        Err(e) => {
                            for t in &group.task_group.tasks {
                                self.task_error(id, t, Reason::TaskGroupInvalid, e.clone());
                            }
                        }
                    }
                }
                other => {
                    tracing::debug!(
                        ?other,
                        "offer operation not supported by the local cluster; dropped"
                    );
                }
            }
        }
        // The unused remainder is declined with the call's filters.
        let refuse = crate::local::allocator::refuse_duration(accept.filters.as_ref());
        self.allocator.add_filter(id, agent, available, refuse);
        self.schedule_allocation(ctx);
    }

    /// Checks one task; returns the resources it needs (task plus a new executor's).
    fn validate_task(
        &self,
        id: &str,
        task: &TaskInfo,
        agent: usize,
        group_executor: Option<&ExecutorInfo>,
        available: &Resources,
    ) -> Result<Resources, String> {
        let fw = self.frameworks.get(id).ok_or("Framework cannot be found")?;
        let task_id = &task.task_id.value;
        if !crate::local::wire::valid_id(task_id) {
            return Err(format!("Task ID '{task_id}' is invalid"));
        }
        if fw.tasks.contains_key(task_id) {
            return Err(format!("Task has duplicate ID: {task_id}"));
        }
        let agent_id = self
            .agent(agent)
            .and_then(|a| a.info.id.clone())
            .unwrap_or_default();
        if task.agent_id != agent_id {
            return Err(format!("Task uses invalid agent: {}", task.agent_id.value));
        }
        let executor = task.executor.as_ref().or(group_executor);
        match (group_executor, &task.executor, &task.command) {
            (None, Some(_), Some(_)) => {
                return Err(
                    "Task should have at most one of CommandInfo or ExecutorInfo present".into(),
                );
            }
            (None, None, None) => {
                return Err(
                    "Task should have at least one of CommandInfo or ExecutorInfo present".into(),
                );
            }
            (Some(g), Some(e), _) if g != e => {
                return Err(
                    "The executor of a task in a group must match the group's executor".into(),
                );
            }
            _ => {}
        }
        if task.resources.is_empty() {
            return Err("Task uses no resources".into());
        }
        if task.resources.iter().any(|r| {
            r.scalar
                .as_ref()
                .is_some_and(|s| !s.value.is_finite() || s.value < 0.0)
        }) {
            return Err("Task uses invalid resources".into());
        }
        let mut needed = Resources::unreserved(&task.resources);
        if let Some(ex) = executor {
            let custom = ex.r#type != Some(executor_info::Type::Default as i32);
            if !crate::local::wire::valid_id(&ex.executor_id.value) {
                return Err(format!("Executor ID '{}' is invalid", ex.executor_id.value));
            }
            if custom && ex.command.is_none() {
                return Err("Executor of type CUSTOM must have a CommandInfo".into());
            }
            if ex.framework_id.as_ref().is_some_and(|f| f.value != id) {
                return Err("ExecutorInfo has an invalid FrameworkID".into());
            }
            if !fw
                .executors
                .contains_key(&(agent, ex.executor_id.value.clone()))
            {
                needed.merge(&Resources::unreserved(&ex.resources));
            }
        }
        if !available.contains(&needed) {
            return Err("Task uses more resources than available".into());
        }
        Ok(needed)
    }

    fn validate_group(
        &self,
        id: &str,
        executor: &ExecutorInfo,
        tasks: &[TaskInfo],
        agent: usize,
        available: &Resources,
    ) -> Result<Resources, String> {
        if executor.r#type.is_none() || executor.r#type == Some(executor_info::Type::Unknown as i32)
        {
            return Err("'ExecutorInfo.type' must be set".into());
        }
        if executor.r#type == Some(executor_info::Type::Default as i32)
            && executor.command.is_some()
        {
            return Err("'ExecutorInfo.command' must not be set for 'DEFAULT' executor".into());
        }
        if tasks.is_empty() {
            return Err("Task group is empty".into());
        }
        let mut left = available.clone();
        let mut total = Resources::new();
        let mut ids = HashSet::new();
        let mut counted_executor = false;
        for t in tasks {
            if !ids.insert(t.task_id.value.clone()) {
                return Err(format!(
                    "Task group has duplicate task ID: {}",
                    t.task_id.value
                ));
            }
            if executor.r#type == Some(executor_info::Type::Default as i32) && t.command.is_none() {
                return Err("Tasks of a DEFAULT executor need a CommandInfo".into());
            }
            let mut needed = self.validate_task(id, t, agent, Some(executor), &left)?;
            if counted_executor {
                // The executor's resources are counted once.
                needed = Resources::unreserved(&t.resources);
            }
            counted_executor = true;
            left.subtract_present(&needed);
            total.merge(&needed);
        }
        Ok(total)
    }

    /// Records the tasks (and a new executor) and hands them to the agent.
    fn launch(
        &mut self,
        id: &str,
        agent: usize,
        executor: Option<ExecutorInfo>,
        tasks: Vec<TaskInfo>,
        group: bool,
    ) {
        let now = crate::proto::now_seconds();
        let Some(fw) = self.frameworks.get_mut(id) else {
            return;
        };
        let role = fw.role();
        let mut used = Resources::new();
        let mut executor = executor;
        if let Some(ex) = executor.as_mut() {
            ex.framework_id = Some(id.into());
            let key = (agent, ex.executor_id.value.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = fw.executors.entry(key) {
                let resources = Resources::unreserved(&ex.resources);
                used.merge(&resources);
                slot.insert(ExecutorRecord { resources });
            }
        }
        let mut tasks = tasks;
        for task in &mut tasks {
            if !group {
                if let Some(ex) = task.executor.as_mut() {
                    ex.framework_id = Some(id.into());
                }
            }
            let resources = Resources::unreserved(&task.resources);
            used.merge(&resources);
            let executor_id = executor
                .as_ref()
                .map(|e| e.executor_id.value.clone())
                .unwrap_or_else(|| task.task_id.value.clone());
            fw.tasks.insert(
                task.task_id.value.clone(),
                TaskRecord {
                    info: task.clone(),
                    agent,
                    executor_id,
                    state: TaskState::TaskStaging,
                    statuses: vec![(TaskState::TaskStaging, now)],
                    resources,
                    released: false,
                    role: role.clone(),
                    message: None,
                },
            );
        }
        let framework_info = fw.info.clone();
        if let Some(a) = self.agent_mut(agent) {
            a.used.merge(&used);
            a.addr.do_send(LaunchTasks {
                framework_info,
                executor,
                tasks,
                group,
            });
        }
    }
}
