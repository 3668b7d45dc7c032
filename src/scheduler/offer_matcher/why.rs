//! Why a pending task is not placed: the nearest miss of each agent among the offers
//! held now and those most recently considered.

use super::engine::{MAX_REJECTIONS, MatcherCore};
use super::queue::Bucket;
use super::round::{demand_for, offer_role, on_host};
use super::{OfferRejection, PendingReason, RejectReason};
use crate::proto::{AgentId, ExecutorInfo, Offer, TaskId};
use crate::resources::{Resources, Scalar};
use foldhash::{HashSet, HashSetExt};

impl MatcherCore {
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

    /// Why `task_id` is still pending, judged against the offers held now and those most
    /// recently considered since it was queued; `None` when it is not pending.
    pub fn why_pending(&self, task_id: &TaskId) -> Option<PendingReason> {
        if let Some(msg) = self.invalid.get(task_id) {
            return Some(PendingReason::Rejected(vec![OfferRejection {
                agent_id: AgentId::default(),
                hostname: String::new(),
                reason: RejectReason::Invalid(msg.clone()),
            }]));
        }
        let (p, bucket) = self.queue.get(task_id)?;
        let held = self
            .held
            .iter()
            .map(|h| (&h.offer, &h.pool, h.new_execs.as_slice()));
        let recent = self
            .recent
            .iter()
            .filter(|s| s.round >= p.since_round)
            .map(|s| (&s.offer, &s.pool, &[][..]));
        let mut rejections: Vec<OfferRejection> = held
            .chain(recent)
            .filter_map(|(offer, pool, execs)| {
                self.reject_reason(bucket, &p.name, offer, pool, execs)
                    .map(|reason| OfferRejection {
                        agent_id: offer.agent_id.clone(),
                        hostname: offer.hostname.clone(),
                        reason,
                    })
            })
            .collect();
        if rejections.is_empty() {
            return Some(PendingReason::NoOffers);
        }
        // Offers were seen since it was queued; if no agent ever offered enough, say so.
        {
            let demand = if bucket.executor_id.is_some() {
                &bucket.with_executor
            } else {
                &bucket.demand
            };
            for (name, need) in &demand.scalars {
                let largest = self.largest.get(name).copied().unwrap_or(Scalar::ZERO);
                if need.milli() > largest.milli() {
                    return Some(PendingReason::NeverFits {
                        resource: name.clone(),
                        needed: need.to_f64(),
                        largest: largest.to_f64(),
                    });
                }
            }
        }
        rejections.sort_by(|a, b| rank(&a.reason).total_cmp(&rank(&b.reason)));
        // One entry per agent: its nearest miss.
        let mut seen = HashSet::new();
        rejections.retain(|r| seen.insert(r.agent_id.clone()));
        rejections.truncate(MAX_REJECTIONS);
        Some(PendingReason::Rejected(rejections))
    }
}

/// Lower is a nearer miss: short resources by how much is missing, then constraints, then
/// roles.
fn rank(r: &RejectReason) -> f64 {
    match r {
        RejectReason::Short {
            needed, available, ..
        } if *needed > 0.0 => 1.0 - (available / needed).clamp(0.0, 1.0),
        RejectReason::Short { .. } => 1.0,
        RejectReason::Constraint(_) => 2.0,
        RejectReason::Role(_) => 3.0,
        RejectReason::Invalid(_) => 4.0,
    }
}
