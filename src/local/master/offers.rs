//! Allocation rounds: turning free agent resources into offers, and taking offers back.

use super::{LocalMaster, OfferRecord};
use crate::local::allocator::{Candidate, dominant_share};
use crate::proto::{
    Address, Offer, Url, framework_info::capability::Type as Cap, resource, scheduler,
};
use crate::resources::Resources;
use std::collections::HashMap;

impl LocalMaster {
    /// One round: every agent's free resources go to a fair choice of eligible framework.
    pub(super) fn allocate(&mut self) {
        self.allocator.expire();
        let mut cluster_total = Resources::new();
        for a in &self.agents {
            cluster_total.merge(&a.total);
        }
        let mut offered_by_fw: HashMap<&str, Resources> = HashMap::new();
        for o in self.offers.values() {
            offered_by_fw
                .entry(o.framework_id.as_str())
                .or_default()
                .merge(&o.resources);
        }
        let candidates: Vec<Candidate> = self
            .frameworks
            .values()
            .filter(|f| f.connected() && !f.suppressed && f.active)
            .map(|f| {
                let mut held = f.used();
                if let Some(o) = offered_by_fw.get(f.id.as_str()) {
                    held.merge(o);
                }
                Candidate {
                    framework_id: f.id.clone(),
                    share: dominant_share(&held, &cluster_total),
                }
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let free: Vec<(usize, Resources)> = self
            .agents
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.removed)
            .map(|(i, a)| (i + 1, a.free()))
            .collect();
        let gpu_agents: Vec<usize> = self
            .agents
            .iter()
            .enumerate()
            .filter(|(_, a)| a.total.scalar("gpus").to_f64() > 0.0)
            .map(|(i, _)| i + 1)
            .collect();
        let gpu_frameworks: Vec<String> = self
            .frameworks
            .values()
            .filter(|f| f.has(Cap::GpuResources))
            .map(|f| f.id.clone())
            .collect();
        // Without GPU_RESOURCES, a framework gets no offers from GPU agents at all.
        let eligible = |fw: &str, agent: usize| {
            !gpu_agents.contains(&agent) || gpu_frameworks.iter().any(|g| g == fw)
        };
        let grants = self
            .allocator
            .allocate(&free, &candidates, &cluster_total, &eligible);
        let mut events: HashMap<String, Vec<Offer>> = HashMap::new();
        for (agent, framework_id) in grants {
            let Some(resources) = free
                .iter()
                .find(|(i, _)| *i == agent)
                .map(|(_, r)| r.clone())
            else {
                continue;
            };
            if let Some(offer) = self.make_offer(agent, &framework_id, resources) {
                events.entry(framework_id).or_default().push(offer);
            }
        }
        for (framework_id, offers) in events {
            if let Some(fw) = self.frameworks.get(&framework_id) {
                tracing::debug!(framework = %framework_id, count = offers.len(), "sending offers");
                fw.send(&scheduler::Event {
                    r#type: Some(scheduler::event::Type::Offers as i32),
                    offers: Some(scheduler::event::Offers { offers }),
                    ..Default::default()
                });
            }
        }
    }

    fn make_offer(
        &mut self,
        agent: usize,
        framework_id: &str,
        resources: Resources,
    ) -> Option<Offer> {
        let fw = self.frameworks.get(framework_id)?;
        let multi_role = fw.has(Cap::MultiRole);
        let role = fw.role();
        let executor_ids = fw
            .executors
            .keys()
            .filter(|(a, _)| *a == agent)
            .map(|(_, e)| e.as_str().into())
            .collect();
        self.next_offer += 1;
        let id = format!("{}-O{}", self.info.id, self.next_offer);
        let port = self.info.port;
        let hostname = self.config.hostname.clone();
        let record = self.agent_mut(agent)?;
        let alloc_role = multi_role.then_some(role.as_str());
        let offer = Offer {
            id: id.as_str().into(),
            framework_id: framework_id.into(),
            agent_id: record.info.id.clone().unwrap_or_default(),
            hostname: hostname.clone(),
            url: Some(Url {
                scheme: "http".into(),
                address: Address {
                    hostname: Some(hostname),
                    ip: Some("127.0.0.1".into()),
                    port: i32::try_from(port).unwrap_or(0),
                },
                path: Some(format!("/slave({agent})")),
                ..Default::default()
            }),
            resources: offered_protos(&resources, alloc_role),
            attributes: record.info.attributes.clone(),
            executor_ids,
            allocation_info: alloc_role.map(|r| resource::AllocationInfo {
                role: Some(r.to_string()),
            }),
            ..Default::default()
        };
        record.offered.merge(&resources);
        self.offers.insert(
            id,
            OfferRecord {
                offer: offer.clone(),
                framework_id: framework_id.to_string(),
                agent,
                resources,
            },
        );
        Some(offer)
    }

    /// Takes an offer back (its resources become free again). Returns it.
    pub(super) fn remove_offer(&mut self, offer_id: &str) -> Option<OfferRecord> {
        let record = self.offers.remove(offer_id)?;
        if let Some(agent) = self.agent_mut(record.agent) {
            agent.offered.subtract_present(&record.resources);
        }
        Some(record)
    }

    /// The ids of a framework's outstanding offers.
    fn offer_ids_of(&self, framework_id: &str) -> Vec<String> {
        self.offers
            .iter()
            .filter(|(_, o)| o.framework_id == framework_id)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Drops every outstanding offer of a framework without RESCIND (re-subscribe,
    /// disconnection, removal).
    pub(super) fn discard_offers(&mut self, framework_id: &str) {
        let ids = self.offer_ids_of(framework_id);
        for id in ids {
            self.remove_offer(&id);
        }
    }

    /// Rescinds every outstanding offer of a framework with RESCIND events (SUPPRESS does
    /// not; used when its roles change).
    pub(super) fn rescind_offers(&mut self, framework_id: &str) {
        let ids = self.offer_ids_of(framework_id);
        for id in ids {
            self.remove_offer(&id);
            if let Some(fw) = self.frameworks.get(framework_id) {
                fw.send(&scheduler::Event {
                    r#type: Some(scheduler::event::Type::Rescind as i32),
                    rescind: Some(scheduler::event::Rescind {
                        offer_id: id.as_str().into(),
                    }),
                    ..Default::default()
                });
            }
        }
    }
}

/// Offered resources as protos: unreserved (`role: "*"`), with `allocation_info` when the
/// framework is MULTI_ROLE (`allocation_role`).
fn offered_protos(
    resources: &Resources,
    allocation_role: Option<&str>,
) -> Vec<crate::proto::Resource> {
    let mut resources = resources.clone();
    if let Some(role) = allocation_role {
        resources.allocate(role);
    }
    let mut out = resources.to_proto();
    for r in &mut out {
        #[allow(deprecated)]
        {
            r.role = Some("*".to_string());
        }
    }
    out
}
