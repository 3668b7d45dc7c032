//! One matching round: pending tasks in submission order, each bucket tried against the
//! offers of the round under the strategy; placed tasks become `TaskInfo`s on their offer.

use super::RejectReason;
use super::engine::{HeldOffer, LaunchRecord, MatcherCore, Outcome};
use super::queue::{Bucket, Pending};
use crate::proto::scheduler::Call;
use crate::proto::{
    AgentId, ExecutorId, ExecutorInfo, FrameworkId, Offer, OfferId, Resource, TaskInfo,
    executor_info,
};
use crate::resources::{Demand, Resources};
use crate::scheduler::calls;
use crate::scheduler::offer_matcher::placement::{Candidate, Strategy, room_after};
use crate::scheduler::task_tracker::Launched;
use foldhash::{HashMap, HashMapExt};

/// The role the offer is allocated to, when it says.
fn offer_role(offer: &Offer) -> Option<&str> {
    offer
        .allocation_info
        .as_ref()
        .and_then(|a| a.role.as_deref())
}

/// Whether the task's executor must be started (and paid for) on this offer.
fn needs_executor(bucket: &Bucket, offer: &Offer, new_execs: &[ExecutorInfo]) -> bool {
    bucket.executor_id.as_ref().is_some_and(|id| {
        !offer.executor_ids.contains(id) && !new_execs.iter().any(|e| e.executor_id == *id)
    })
}

fn demand_for<'b>(bucket: &'b Bucket, offer: &Offer, new_execs: &[ExecutorInfo]) -> &'b Demand {
    if needs_executor(bucket, offer, new_execs) {
        &bucket.with_executor
    } else {
        &bucket.demand
    }
}

fn on_host(
    bucket: &Bucket,
    name: &str,
    host: &str,
    per_name_host: &HashMap<String, HashMap<String, usize>>,
) -> usize {
    if !bucket.counts_per_host {
        return 0;
    }
    per_name_host
        .get(name)
        .and_then(|m| m.get(host))
        .copied()
        .unwrap_or(0)
}

fn fits(
    bucket: &Bucket,
    name: &str,
    h: &HeldOffer,
    per_name_host: &HashMap<String, HashMap<String, usize>>,
) -> bool {
    if let (Some(want), Some(have)) = (&bucket.role, offer_role(&h.offer))
        && want != have
    {
        return false;
    }
    if !bucket.constraints.is_empty() {
        let n = on_host(bucket, name, &h.offer.hostname, per_name_host);
        if !bucket.constraints.iter().all(|c| c.holds(&h.offer, n)) {
            return false;
        }
    }
    h.pool.fits(demand_for(bucket, &h.offer, &h.new_execs))
}

impl MatcherCore {
    /// Places pending tasks on the held offers from index `start` on.
    pub(super) fn run_round(&mut self, start: usize, out: &mut Outcome) {
        self.round += 1;
        let end = self.held.len();
        if start >= end || self.queue.is_empty() {
            return;
        }
        let floor = self.queue.take_floor();
        let mut alive = 0usize;
        for h in self.held.iter_mut().skip(start) {
            h.dead = !h.pool.fits(&floor);
            alive += usize::from(!h.dead);
        }
        let strategy = self.settings.strategy;
        let several = end - start > 1;
        let mut cursors: HashMap<usize, usize> = HashMap::new();
        // Offers before this index are all dead: no search starts before it.
        let mut first_alive = start;
        while self.held.get(first_alive).is_some_and(|h| h.dead) {
            first_alive += 1;
        }
        let mut from = 0u64;
        while alive > 0 {
            let Some((seq, b)) = self.queue.next_ready(from) else {
                break;
            };
            from = seq + 1;
            let (Some(bucket), Some(head)) = (self.queue.bucket(b), self.queue.head(b)) else {
                continue;
            };
            let name = head.spec.name.as_str();
            let chosen = if strategy == Strategy::FirstFit {
                let first = cursors.get(&b).copied().unwrap_or(start).max(first_alive);
                let found = (first..end).find(|&i| {
                    self.held
                        .get(i)
                        .is_some_and(|h| !h.dead && fits(bucket, name, h, &self.per_name_host))
                });
                if several {
                    cursors.insert(b, found.unwrap_or(end));
                }
                found
            } else {
                let mut best: Option<Candidate> = None;
                for (i, h) in self.held.iter().enumerate().skip(start) {
                    if h.dead || !fits(bucket, name, h, &self.per_name_host) {
                        continue;
                    }
                    let cand = Candidate {
                        index: i,
                        room: room_after(&h.pool, demand_for(bucket, &h.offer, &h.new_execs)),
                        ours_on_host: self.per_host.get(&h.offer.hostname).copied().unwrap_or(0),
                    };
                    if best.as_ref().is_none_or(|b| strategy.prefers(&cand, b)) {
                        best = Some(cand);
                    }
                }
                best.map(|c| c.index)
            };
            let Some(i) = chosen else {
                continue;
            };
            let Some(h) = self.held.get_mut(i) else {
                continue;
            };
            let need_exec = needs_executor(bucket, &h.offer, &h.new_execs);
            let Ok(task_res) = h.pool.take(&bucket.demand) else {
                tracing::error!("matcher: a checked fit failed to take; task stays pending");
                continue;
            };
            let exec_res = if need_exec {
                match h.pool.take(&bucket.exec_demand) {
                    Ok(r) => Some(r),
                    Err(short) => {
                        tracing::error!(%short, "matcher: executor resources vanished; task stays pending");
                        for r in task_res {
                            if let Err(e) = h.pool.push(r) {
                                tracing::error!(error = %e, "matcher: could not return resources");
                            }
                        }
                        continue;
                    }
                }
            } else {
                None
            };
            let counted = bucket.counts_per_host;
            let Some(p) = self.queue.pop_head(b) else {
                continue;
            };
            let Some(h) = self.held.get_mut(i) else {
                continue;
            };
            let (task, launched) = build_task(
                p,
                h,
                task_res,
                exec_res,
                self.framework_id.as_ref(),
                &mut self.executors,
            );
            let spread = strategy == Strategy::Spread;
            let record = LaunchRecord {
                counted_name: counted.then(|| task.name.clone()),
                host: (counted || spread).then(|| h.offer.hostname.clone()),
            };
            if let Some(host) = &record.host {
                if let Some(name) = &record.counted_name {
                    *self
                        .per_name_host
                        .entry(name.clone())
                        .or_default()
                        .entry(host.clone())
                        .or_default() += 1;
                }
                *self.per_host.entry(host.clone()).or_default() += 1;
            }
            self.launched.insert(task.task_id.clone(), record);
            h.placed.push(task);
            out.launched.push(launched);
            if !h.pool.fits(&floor) {
                h.dead = true;
                alive -= 1;
                while self.held.get(first_alive).is_some_and(|h| h.dead) {
                    first_alive += 1;
                }
            }
        }
        self.queue.restore_floor(floor);
    }

    /// One ACCEPT with one LAUNCH of `tasks` on the pooled `offer_ids` (one agent).
    pub(super) fn accept_call(&self, offer_ids: Vec<OfferId>, tasks: Vec<TaskInfo>) -> Call {
        calls::accept(self.framework_id.clone(), offer_ids, tasks, self.filters())
    }

    /// Why `offer` (with `pool` left) does not take a task of `bucket`, or `None` if it
    /// would.
    pub(super) fn reject_reason(
        &self,
        bucket: &Bucket,
        name: &str,
        offer: &Offer,
        pool: &Resources,
        new_execs: &[ExecutorInfo],
    ) -> Option<RejectReason> {
        if let (Some(want), Some(have)) = (&bucket.role, offer_role(offer))
            && want != have
        {
            return Some(RejectReason::Role(have.to_string()));
        }
        let n = on_host(bucket, name, &offer.hostname, &self.per_name_host);
        for c in &bucket.constraints {
            if let Err(msg) = c.check(offer, n) {
                return Some(RejectReason::Constraint(msg));
            }
        }
        pool.shortage(demand_for(bucket, offer, new_execs))
            .map(|s| RejectReason::Short {
                name: s.name,
                needed: s.needed,
                available: s.available,
            })
    }
}

/// Sets what Mesos needs on an executor we launch: our framework id, and type CUSTOM
/// when unset.
fn complete_executor(info: &mut ExecutorInfo, framework_id: Option<&FrameworkId>) {
    if let Some(id) = framework_id {
        info.framework_id = Some(id.clone());
    }
    if info.r#type.is_none() {
        info.r#type = Some(executor_info::Type::Custom as i32);
    }
}

/// The `TaskInfo` of `p` on offer `h`, with the resources taken for it.
fn build_task(
    p: Pending,
    h: &mut HeldOffer,
    resources: Vec<Resource>,
    exec_resources: Option<Vec<Resource>>,
    framework_id: Option<&FrameworkId>,
    executors: &mut HashMap<AgentId, HashMap<ExecutorId, ExecutorInfo>>,
) -> (TaskInfo, Launched) {
    let spec = &p.spec;
    let agent_id = &h.offer.agent_id;
    let executor = spec.executor.as_ref().map(|e| {
        if let Some(res) = exec_resources {
            let mut info = (**e).clone();
            info.resources = res;
            complete_executor(&mut info, framework_id);
            h.new_execs.push(info.clone());
            executors
                .entry(agent_id.clone())
                .or_default()
                .insert(info.executor_id.clone(), info.clone());
            info
        } else if let Some(info) = h.new_execs.iter().find(|x| x.executor_id == e.executor_id) {
            info.clone()
        } else if let Some(info) = executors.get(agent_id).and_then(|m| m.get(&e.executor_id)) {
            info.clone()
        } else {
            // Already on the agent but not launched by this matcher instance: send the
            // spec's executor with the offer's allocation.
            let mut info = (**e).clone();
            complete_executor(&mut info, framework_id);
            for r in &mut info.resources {
                if r.allocation_info.is_none() {
                    r.allocation_info = h.offer.allocation_info.clone();
                }
            }
            info
        }
    });
    let executor_id = match &executor {
        Some(e) => e.executor_id.clone(),
        None => ExecutorId::new(p.task_id.value.clone()),
    };
    let kill_policy = spec
        .kill_grace_period
        .map(crate::scheduler::calls::kill_policy);
    let launched = Launched {
        task_id: p.task_id.clone(),
        agent_id: agent_id.clone(),
        hostname: h.offer.hostname.clone(),
        offer_id: h.offer.id.clone(),
        executor_id,
    };
    let task = TaskInfo {
        name: spec.name.clone(),
        task_id: p.task_id,
        agent_id: agent_id.clone(),
        resources,
        command: if executor.is_some() {
            None
        } else {
            spec.command.clone()
        },
        executor,
        container: spec.container.as_deref().cloned(),
        data: spec.data.clone(),
        labels: spec.mesos_labels(),
        kill_policy,
        ..Default::default()
    };
    (task, launched)
}
