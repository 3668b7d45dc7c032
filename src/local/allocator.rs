//! The local allocator: which framework gets each agent's free resources, honouring decline
//! filters. Pure bookkeeping (no actor): the master calls it and sends the offers.
//!
//! Fairness: on every round, each agent with allocatable free resources goes, whole, to the
//! eligible framework with the smallest current share (cpus and mem it holds, dominant
//! share), ties broken by rotation. A framework is eligible when it is connected, not
//! suppressed, and has no active filter covering those resources on that agent.

use crate::resources::Resources;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Default `Filters.refuse_seconds`.
pub const DEFAULT_REFUSE: Duration = Duration::from_secs(5);
/// Largest `refuse_seconds` honoured (365 days).
pub const MAX_REFUSE: Duration = Duration::from_secs(365 * 24 * 3600);

/// How long resources declined with `filters` stay away from the framework.
pub fn refuse_duration(filters: Option<&crate::proto::Filters>) -> Duration {
    match filters.and_then(|f| f.refuse_seconds) {
        None => DEFAULT_REFUSE,
        Some(s) if !s.is_finite() && s > 0.0 => MAX_REFUSE,
        Some(s) if s.is_nan() || s < 0.0 => DEFAULT_REFUSE,
        Some(s) if s >= MAX_REFUSE.as_secs_f64() => MAX_REFUSE,
        Some(s) => Duration::from_secs_f64(s),
    }
}

#[derive(Debug, Clone)]
struct Filter {
    resources: Resources,
    until: Instant,
}

/// A framework that may receive offers in this round, with its current dominant share.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Framework id.
    pub framework_id: String,
    /// Its dominant share of the cluster (0..1).
    pub share: f64,
}

/// Decline filters and the rotation used to break ties.
#[derive(Debug, Default)]
pub struct Allocator {
    filters: HashMap<(String, usize), Vec<Filter>>,
    rotation: usize,
}

impl Allocator {
    /// Keeps `resources` of `agent` away from `framework_id` for `refuse`.
    pub fn add_filter(
        &mut self,
        framework_id: &str,
        agent: usize,
        resources: Resources,
        refuse: Duration,
    ) {
        if refuse.is_zero() || resources.is_empty() {
            return;
        }
        self.filters
            .entry((framework_id.to_string(), agent))
            .or_default()
            .push(Filter {
                resources,
                until: Instant::now() + refuse,
            });
    }

    /// Drops every filter of `framework_id` (REVIVE, re-subscribe, removal).
    pub fn clear_filters(&mut self, framework_id: &str) {
        self.filters.retain(|(fw, _), _| fw != framework_id);
    }

    /// Whether offering `resources` of `agent` to `framework_id` is filtered now: an active
    /// filter exists whose resources contain them.
    pub fn is_filtered(&self, framework_id: &str, agent: usize, resources: &Resources) -> bool {
        let now = Instant::now();
        self.filters
            .get(&(framework_id.to_string(), agent))
            .is_some_and(|fs| {
                fs.iter()
                    .any(|f| f.until > now && f.resources.contains(resources))
            })
    }

    /// Removes expired filters and returns when the next one expires.
    pub fn expire(&mut self) -> Option<Instant> {
        let now = Instant::now();
        for fs in self.filters.values_mut() {
            fs.retain(|f| f.until > now);
        }
        self.filters.retain(|_, fs| !fs.is_empty());
        self.filters.values().flatten().map(|f| f.until).min()
    }

    /// One allocation round: `agents` are (index, free resources); returns (agent index,
    /// framework id) pairs, each agent at most once. `eligible(framework, agent)` can rule
    /// a framework out for an agent (e.g. GPU agents for frameworks without GPU_RESOURCES).
    pub fn allocate(
        &mut self,
        agents: &[(usize, Resources)],
        candidates: &[Candidate],
        cluster_total: &Resources,
        eligible: &dyn Fn(&str, usize) -> bool,
    ) -> Vec<(usize, String)> {
        let mut shares: Vec<Candidate> = candidates.to_vec();
        let mut out = Vec::new();
        if shares.is_empty() {
            return out;
        }
        self.rotation = self.rotation.wrapping_add(1);
        let n = shares.len();
        for (agent, free) in agents {
            if !allocatable(free) {
                continue;
            }
            let mut order: Vec<usize> = (0..n).collect();
            let rot = self.rotation;
            order.sort_by(|&a, &b| {
                shares[a]
                    .share
                    .partial_cmp(&shares[b].share)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(((a + n - rot % n) % n).cmp(&((b + n - rot % n) % n)))
            });
            let chosen = order.into_iter().find(|&i| {
                eligible(&shares[i].framework_id, *agent)
                    && !self.is_filtered(&shares[i].framework_id, *agent, free)
            });
            if let Some(i) = chosen {
                if let Some(c) = shares.get_mut(i) {
                    c.share += dominant_share(free, cluster_total);
                    out.push((*agent, c.framework_id.clone()));
                }
            }
        }
        out
    }
}

/// Whether `free` is worth offering (Mesos' minimum: 0.01 cpus or 32 MB of memory).
pub fn allocatable(free: &Resources) -> bool {
    free.scalar("cpus").to_f64() >= 0.01 || free.scalar("mem").to_f64() >= 32.0
}

/// The larger of the cpus and mem fractions `used` takes of `total`.
pub fn dominant_share(used: &Resources, total: &Resources) -> f64 {
    let frac = |name: &str| {
        let t = total.scalar(name).to_f64();
        if t > 0.0 {
            used.scalar(name).to_f64() / t
        } else {
            0.0
        }
    };
    frac("cpus").max(frac("mem"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> Resources {
        Resources::unreserved(&crate::resources::parse(s).unwrap().to_proto())
    }

    #[test]
    fn filters_and_fairness() {
        let mut a = Allocator::default();
        let total = set("cpus:4;mem:400");
        let agents = vec![(0, set("cpus:2;mem:200")), (1, set("cpus:2;mem:200"))];
        let cands = vec![
            Candidate {
                framework_id: "a".into(),
                share: 0.0,
            },
            Candidate {
                framework_id: "b".into(),
                share: 0.0,
            },
        ];
        let got = a.allocate(&agents, &cands, &total, &|_, _| true);
        assert_eq!(got.len(), 2);
        assert_ne!(got[0].1, got[1].1, "both frameworks get an agent");
        a.add_filter("a", 0, set("cpus:2;mem:200"), Duration::from_secs(60));
        a.add_filter("b", 0, set("cpus:2;mem:200"), Duration::from_secs(60));
        let got = a.allocate(&agents[..1], &cands, &total, &|_, _| true);
        assert!(got.is_empty());
        // More resources than the filter covers are offered again.
        let got = a.allocate(&[(0, set("cpus:3;mem:300"))], &cands, &total, &|_, _| true);
        assert_eq!(got.len(), 1);
        a.clear_filters("a");
        assert_eq!(
            a.allocate(&agents[..1], &cands, &total, &|_, _| true)[0].1,
            "a"
        );
    }

    #[test]
    fn refuse_seconds_rules() {
        use crate::proto::Filters;
        assert_eq!(refuse_duration(None), DEFAULT_REFUSE);
        let f = |s| Filters {
            refuse_seconds: Some(s),
        };
        assert_eq!(refuse_duration(Some(&f(-1.0))), DEFAULT_REFUSE);
        assert_eq!(refuse_duration(Some(&f(1e12))), MAX_REFUSE);
        assert_eq!(refuse_duration(Some(&f(0.0))), Duration::ZERO);
    }
}
