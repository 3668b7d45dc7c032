//! New offers join the held ones: offers of one agent and allocation role pool (their
//! resources together, one ACCEPT naming all of them); a rescinded offer leaves its pool.

use super::accept_bytes::OfferWire;
use super::engine::{HeldOffer, MatcherCore, Outcome, later};
use crate::proto::{Offer, OfferId};
use crate::resources::{Amount, Resources};
use crate::scheduler::events::IncomingOffer;
use foldhash::{HashMap, HashMapExt};
use std::hash::BuildHasher;
use std::time::Instant;

impl MatcherCore {
    /// New offers: pool them with the held offers of the same agent and role, place what
    /// fits, ACCEPT each used pool once (naming all its offers), hold or DECLINE the rest.
    pub fn offers(&mut self, offers: Vec<Offer>, now: Instant) -> Outcome {
        self.intake(
            offers.into_iter().map(IncomingOffer::from_offer).collect(),
            now,
        )
    }

    /// Like [`MatcherCore::offers`], for offers whose resources are already built (by the
    /// connection's slim decode of the event's bytes).
    pub fn intake(&mut self, offers: Vec<IncomingOffer>, now: Instant) -> Outcome {
        let mut out = Outcome::default();
        self.connected = true;
        self.last_offer_news = Some(now);
        let deadline = later(now, self.settings.offer_hold);
        let mut fresh: Vec<HeldOffer> = Vec::new();
        // Pool key hash -> index in `fresh` (no key copies; see `slot`).
        let mut by_agent: HashMap<u64, usize> = HashMap::new();
        for incoming in offers {
            let IncomingOffer {
                offer,
                pool,
                invalid,
            } = incoming;
            if !self.held_ids.insert(offer.id.clone()) {
                tracing::warn!(offer_id = %offer.id, "offer received twice; ignoring the copy");
                continue;
            }
            for e in invalid {
                tracing::warn!(offer_id = %offer.id, error = %e, "ignoring an invalid offered resource");
            }
            let h = HeldOffer {
                wire: OfferWire::new(&offer.agent_id),
                offer,
                others: Vec::new(),
                parts: Vec::new(),
                pool,
                deadline,
                placed: Vec::new(),
                names: None,
                new_execs: Vec::new(),
                dead: false,
            };
            match slot(&by_agent, &fresh, &h.offer).and_then(|i| fresh.get_mut(i)) {
                Some(newer) => {
                    // Both are this call's: the later one is the newer.
                    let mut h = h;
                    std::mem::swap(newer, &mut h);
                    if let Some(h) = pool_into(newer, h) {
                        fresh.push(h);
                    }
                }
                None => {
                    let key = by_agent.hasher().hash_one(pool_key(&h.offer));
                    by_agent.entry(key).or_insert(fresh.len());
                    fresh.push(h);
                }
            }
        }
        // Held offers of the same agents join the new ones; the pool takes the new
        // deadline and moves to the end (deadlines stay in arrival order).
        if !by_agent.is_empty() && !self.held.is_empty() {
            for h in std::mem::take(&mut self.held) {
                match slot(&by_agent, &fresh, &h.offer).and_then(|i| fresh.get_mut(i)) {
                    Some(newer) => {
                        if let Some(h) = pool_into(newer, h) {
                            self.held.push(h);
                        }
                    }
                    None => self.held.push(h),
                }
            }
        }
        for h in &fresh {
            self.note_size(&h.pool);
        }
        let start = self.held.len();
        self.held.extend(fresh);
        if !self.queue.is_empty() {
            self.run_round(start, &mut out);
        }
        self.finish_round(now, start, &mut out);
        self.executor_use.launched(&out.launched, &self.executors);
        out
    }

    /// Records the scalars of an agent's pool as the largest seen, where they are.
    fn note_size(&mut self, pool: &Resources) {
        for (meta, amount) in pool.iter() {
            if let Amount::Scalar(_) = amount {
                let total = pool.plain_scalar(&meta.name);
                match self.largest.get_mut(meta.name.as_str()) {
                    Some(best) if total.milli() > best.milli() => *best = total,
                    Some(_) => {}
                    None => {
                        self.largest.insert(meta.name.clone(), total);
                    }
                }
            }
        }
    }

    /// A rescinded offer is dropped (never accepted, never declined); an offer pooled
    /// with others of its agent leaves the pool with its resources.
    pub fn rescind(&mut self, offer_id: &OfferId) {
        if !self.held_ids.remove(offer_id) {
            return;
        }
        let Some(i) = self
            .held
            .iter()
            .position(|h| h.offer.id == *offer_id || h.others.contains(offer_id))
        else {
            return;
        };
        let Some(h) = self.held.get_mut(i) else {
            return;
        };
        if h.others.is_empty() {
            self.held.remove(i);
            return;
        }
        if h.offer.id == *offer_id {
            h.offer.id = h.others.remove(0);
        } else {
            h.others.retain(|id| id != offer_id);
        }
        h.parts.retain(|(id, _)| id != offer_id);
        let (pool, _) = Resources::from_proto_lossy(
            h.parts
                .iter()
                .flat_map(|(_, r)| r.iter().cloned())
                .collect(),
        );
        h.pool = pool;
        if h.others.is_empty() {
            h.parts.clear();
        }
    }
}

/// Offers pool when they are of the same agent and the same allocation role (Mesos
/// requires both of the offers in one ACCEPT).
fn pool_key(offer: &Offer) -> (&str, Option<&str>) {
    let role = offer
        .allocation_info
        .as_ref()
        .and_then(|a| a.role.as_deref());
    (offer.agent_id.value.as_str(), role)
}

/// The index in `fresh` of the pool of `offer`'s agent and role, if this call has one.
/// `by_agent` maps a pool key's hash to the first fresh pool of that hash; on a hash
/// collision of two keys the later one's offers are held apart (never wrongly pooled).
fn slot(by_agent: &HashMap<u64, usize>, fresh: &[HeldOffer], offer: &Offer) -> Option<usize> {
    let i = *by_agent.get(&by_agent.hasher().hash_one(pool_key(offer)))?;
    fresh
        .get(i)
        .filter(|f| pool_key(&f.offer) == pool_key(offer))
        .map(|_| i)
}

/// Moves the offers of `older` into `newer`'s pool (`newer` keeps its offer, deadline and
/// metadata). `older` comes back unchanged when the resources do not add up.
fn pool_into(newer: &mut HeldOffer, older: HeldOffer) -> Option<HeldOffer> {
    let mut pool = newer.pool.clone();
    if let Err(e) = pool.add(&older.pool) {
        tracing::warn!(error = %e, agent_id = %older.offer.agent_id, "offers of one agent do not pool; holding them apart");
        return Some(older);
    }
    if newer.parts.is_empty() {
        newer
            .parts
            .push((newer.offer.id.clone(), newer.pool.to_proto()));
    }
    if older.parts.is_empty() {
        newer
            .parts
            .push((older.offer.id.clone(), older.pool.to_proto()));
    } else {
        newer.parts.extend(older.parts);
    }
    newer.pool = pool;
    // `older.wire` is dropped: offers of one agent have the same agent id field.
    newer.others.push(older.offer.id);
    newer.others.extend(older.others);
    None
}
