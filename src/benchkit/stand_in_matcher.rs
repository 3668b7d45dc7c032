//! TEMPORARY STAND-IN for the `OfferMatcher` internals: a naive first-fit over an ordered
//! queue, used by the stand-in scheduler client, by the in-process ceiling and by the
//! matching benchmarks until the real matcher is merged. Not part of the runtime; the lead
//! replaces its uses with the real `OfferMatcher` placement code.

use crate::proto::scheduler::{Call, call};
use crate::proto::{
    CommandInfo, Filters, FrameworkId, Offer, OfferId, Resource, TaskId, TaskInfo, offer,
};
use crate::scheduler::TaskSpec;

/// One queued task, reduced to what first-fit needs.
#[derive(Debug, Clone, PartialEq)]
pub struct StandInTask {
    /// The task id to launch it under.
    pub task_id: String,
    /// Its name.
    pub name: String,
    /// cpus.
    pub cpus: f64,
    /// mem (MB).
    pub mem: f64,
    /// disk (MB).
    pub disk: f64,
    /// Number of ports.
    pub ports: u64,
}

impl StandInTask {
    /// The task for `spec`, launched as `task_id`.
    pub fn from_spec(task_id: impl Into<String>, spec: &TaskSpec) -> Self {
        let scalar = |n: &str| spec.resources.scalars.get(n).copied().unwrap_or(0.0);
        StandInTask {
            task_id: task_id.into(),
            name: spec.name.clone(),
            cpus: scalar("cpus"),
            mem: scalar("mem"),
            disk: scalar("disk"),
            ports: spec.resources.ranges.get("ports").copied().unwrap_or(0),
        }
    }
}

/// The stand-in first-fit matcher: tasks in queue order, each placed on the first offer
/// with room for it.
#[derive(Debug, Clone, Default)]
pub struct StandInFirstFit {
    queue: Vec<StandInTask>,
    /// `refuse_seconds` sent with DECLINEs.
    pub refuse_seconds: f64,
}

impl StandInFirstFit {
    /// An empty queue; declines with a 5 s filter.
    pub fn new() -> Self {
        StandInFirstFit {
            queue: Vec::new(),
            refuse_seconds: 5.0,
        }
    }

    /// Queues a task at the end.
    pub fn push(&mut self, task: StandInTask) {
        self.queue.push(task);
    }

    /// Tasks queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Places queued tasks on `offer`, first fit in queue order; placed tasks leave the
    /// queue. Answers the TaskInfos to launch.
    pub fn place(&mut self, offer: &Offer) -> Vec<TaskInfo> {
        let scalar = |name: &str| -> f64 {
            offer
                .resources
                .iter()
                .filter(|r| r.name == name)
                .filter_map(|r| r.scalar.as_ref())
                .map(|s| s.value)
                .sum()
        };
        let (mut cpus, mut mem, mut disk) = (scalar("cpus"), scalar("mem"), scalar("disk"));
        let mut ports: Vec<(u64, u64)> = offer
            .resources
            .iter()
            .filter(|r| r.name == "ports")
            .filter_map(|r| r.ranges.as_ref())
            .flat_map(|r| r.range.iter().map(|x| (x.begin, x.end)))
            .collect();
        let mut free_ports: u64 = ports.iter().map(|(b, e)| e.saturating_sub(*b) + 1).sum();
        let mut launched = Vec::new();
        let mut kept = Vec::with_capacity(self.queue.len());
        for task in self.queue.drain(..) {
            let fits = cpus > 0.0
                && task.cpus <= cpus + 1e-9
                && task.mem <= mem + 1e-9
                && task.disk <= disk + 1e-9
                && task.ports <= free_ports;
            if !fits {
                kept.push(task);
                continue;
            }
            cpus -= task.cpus;
            mem -= task.mem;
            disk -= task.disk;
            free_ports -= task.ports;
            let taken = take_ports(&mut ports, task.ports);
            launched.push(task_info(offer, &task, &taken));
        }
        self.queue = kept;
        launched
    }

    /// Places tasks on every offer and builds the answers: one ACCEPT per used offer and
    /// one DECLINE for all the others.
    pub fn answer(&mut self, framework_id: &FrameworkId, offers: &[Offer]) -> Vec<Call> {
        let mut calls = Vec::new();
        let mut declined = Vec::new();
        for o in offers {
            let tasks = self.place(o);
            if tasks.is_empty() {
                declined.push(o.id.clone());
            } else {
                calls.push(accept_call(framework_id, o.id.clone(), tasks));
            }
        }
        if !declined.is_empty() {
            calls.push(decline_call(framework_id, declined, self.refuse_seconds));
        }
        calls
    }
}

fn take_ports(ranges: &mut Vec<(u64, u64)>, mut count: u64) -> Vec<(u64, u64)> {
    let mut taken = Vec::new();
    while count > 0 {
        let Some(first) = ranges.first_mut() else {
            break;
        };
        let have = first.1 - first.0 + 1;
        let n = have.min(count);
        taken.push((first.0, first.0 + n - 1));
        count -= n;
        if n == have {
            ranges.remove(0);
        } else {
            first.0 += n;
        }
    }
    taken
}

fn task_info(offer: &Offer, task: &StandInTask, ports: &[(u64, u64)]) -> TaskInfo {
    let alloc = |mut r: Resource| {
        r.allocation_info = offer.allocation_info.clone();
        r
    };
    let mut resources = vec![
        alloc(Resource::scalar("cpus", task.cpus)),
        alloc(Resource::scalar("mem", task.mem)),
    ];
    if task.disk > 0.0 {
        resources.push(alloc(Resource::scalar("disk", task.disk)));
    }
    if !ports.is_empty() {
        resources.push(alloc(Resource::ranges("ports", ports)));
    }
    TaskInfo {
        name: task.name.clone(),
        task_id: TaskId::new(task.task_id.clone()),
        agent_id: offer.agent_id.clone(),
        resources,
        command: Some(CommandInfo {
            value: Some("true".into()),
            shell: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// ACCEPT of one offer launching `tasks`.
pub fn accept_call(framework_id: &FrameworkId, offer_id: OfferId, tasks: Vec<TaskInfo>) -> Call {
    Call {
        framework_id: Some(framework_id.clone()),
        r#type: Some(call::Type::Accept as i32),
        accept: Some(call::Accept {
            offer_ids: vec![offer_id],
            operations: vec![offer::Operation {
                r#type: Some(offer::operation::Type::Launch as i32),
                launch: Some(offer::operation::Launch { task_infos: tasks }),
                ..Default::default()
            }],
            filters: Some(Filters {
                refuse_seconds: Some(5.0),
            }),
        }),
        ..Default::default()
    }
}

/// DECLINE of `offer_ids` with a refuse filter.
pub fn decline_call(
    framework_id: &FrameworkId,
    offer_ids: Vec<OfferId>,
    refuse_seconds: f64,
) -> Call {
    Call {
        framework_id: Some(framework_id.clone()),
        r#type: Some(call::Type::Decline as i32),
        decline: Some(call::Decline {
            offer_ids,
            filters: Some(Filters {
                refuse_seconds: Some(refuse_seconds),
            }),
        }),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchkit::check::fits;
    use crate::benchkit::generator::{GeneratorConfig, OfferGenerator, ResourceSummary};
    use crate::benchkit::workload::{TaskMix, task_specs};

    #[test]
    fn first_fit_respects_the_offer() {
        let g = OfferGenerator::new(GeneratorConfig {
            agents: 20,
            ..Default::default()
        });
        let mut m = StandInFirstFit::new();
        for (i, spec) in task_specs(TaskMix::Mixed, 1, 0, 200).iter().enumerate() {
            m.push(StandInTask::from_spec(format!("t{i}"), spec));
        }
        let offers: Vec<Offer> = (0..20).map(|i| g.offer(i, i as u64).unwrap()).collect();
        let mut launched = 0;
        for o in &offers {
            let tasks = m.place(o);
            let all: Vec<Resource> = tasks.iter().flat_map(|t| t.resources.clone()).collect();
            let offered = ResourceSummary::of(&o.resources);
            fits(&ResourceSummary::of(&all), &[&offered]).unwrap();
            launched += tasks.len();
        }
        assert!(launched > 0);
        assert_eq!(m.len(), 200 - launched);
        let fid = g.framework_id().clone();
        let calls = m.answer(&fid, &offers[..2]);
        assert!(!calls.is_empty());
    }
}
