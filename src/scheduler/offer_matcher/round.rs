//! One matching round: pending tasks in submission order, each bucket tried against the
//! offers of the round under the strategy; placed tasks become `TaskInfo`s on their offer.

use super::accept_bytes::{self, TaskParts};
use super::engine::{HeldOffer, LaunchRecord, MatcherCore, Outcome, SharedNames};
use super::queue::{Bucket, Pending};
use crate::proto::{
    AgentId, ExecutorId, ExecutorInfo, FrameworkId, Offer, Resource, executor_info,
};
use crate::resources::Demand;
use crate::scheduler::offer_matcher::placement::{Candidate, Strategy, room_after};
use crate::scheduler::task_tracker::Launched;
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

/// The role the offer is allocated to, when it says.
pub(super) fn offer_role(offer: &Offer) -> Option<&str> {
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

pub(super) fn demand_for<'b>(
    bucket: &'b Bucket,
    offer: &Offer,
    new_execs: &[ExecutorInfo],
) -> &'b Demand {
    if needs_executor(bucket, offer, new_execs) {
        &bucket.with_executor
    } else {
        &bucket.demand
    }
}

pub(super) fn on_host(
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
            let name = &*head.name;
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
            // The executor path is rarer: its pool is restored whole if the second take
            // fails (the fit was checked for both, so neither should).
            let backup = need_exec.then(|| h.pool.clone());
            self.scratch.clear();
            accept_bytes::take_into(&mut h.pool, &bucket.demand, &mut self.scratch);
            let exec_res = match backup {
                Some(backup) => match h.pool.take(&bucket.exec_demand) {
                    Ok(r) => Some(r),
                    Err(short) => {
                        tracing::error!(%short, "matcher: executor resources vanished; task stays pending");
                        h.pool = backup;
                        continue;
                    }
                },
                None => None,
            };
            let counted = bucket.counts_per_host;
            let Some(p) = self.queue.pop_head(b) else {
                continue;
            };
            let Some(h) = self.held.get_mut(i) else {
                continue;
            };
            if h.placed.capacity() == 0
                && let Some(buffer) = self.spare_placed.pop()
            {
                h.placed = buffer;
            }
            let counted_name = counted.then(|| p.name.to_string());
            let launched = build_task(
                p,
                h,
                &self.scratch,
                exec_res,
                self.framework_id.as_ref(),
                &mut self.executors,
            );
            let spread = strategy == Strategy::Spread;
            let record = LaunchRecord {
                counted_name,
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
            self.launched.insert(launched.task_id.clone(), record);
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

/// Writes the `TaskInfo` of `p` on offer `h` (with the encoded `resources` taken for it)
/// into `h.placed`; the launch notice.
fn build_task(
    p: Pending,
    h: &mut HeldOffer,
    resources: &[u8],
    exec_resources: Option<Vec<Resource>>,
    framework_id: Option<&FrameworkId>,
    executors: &mut HashMap<AgentId, HashMap<ExecutorId, ExecutorInfo>>,
) -> Launched {
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
    let parts = TaskParts {
        name: &p.name,
        spec: &p.bytes,
        task_id: &p.task_id.value,
        resources,
        executor: executor.as_ref(),
    };
    accept_bytes::write_task(&parts, &h.wire, &mut h.placed);
    let offer = &h.offer;
    let names = h.names.get_or_insert_with(|| SharedNames {
        agent_id: Arc::from(offer.agent_id.value.as_str()),
        hostname: Arc::from(offer.hostname.as_str()),
        offer_id: Arc::from(offer.id.value.as_str()),
    });
    Launched {
        task_id: p.task_id,
        agent_id: names.agent_id.clone(),
        hostname: names.hostname.clone(),
        offer_id: names.offer_id.clone(),
        executor_id: executor.map(|e| e.executor_id),
    }
}
