//! [`Demand`]: what a task asks for by name, and taking it out of a pool of
//! [`Resources`] with the identities (roles, `allocation_info`, reservations) kept.

use super::{Amount, Entry, ResourceError, Resources, Scalar, is_plain};
use crate::proto::Resource;
use crate::scheduler::spec::ResourceRequest;
use std::fmt;

/// Amounts wanted by name, without identity: any plain (not revocable, not shared, not a
/// volume) entry of that name may serve them. Names are kept sorted and unique; zero
/// amounts are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Demand {
    /// Scalars by name.
    pub scalars: Vec<(String, Scalar)>,
    /// Number of range values by name (`ports`).
    pub ranges: Vec<(String, u64)>,
    /// Number of set items by name.
    pub sets: Vec<(String, usize)>,
}

/// One resource that was short: `needed` of `name`, only `available`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shortage {
    /// Resource name.
    pub name: String,
    /// Amount needed (scalar value, or a count for ranges and sets).
    pub needed: f64,
    /// Amount available.
    pub available: f64,
}

impl fmt::Display for Shortage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not enough {}: need {}, have {}",
            self.name, self.needed, self.available
        )
    }
}

fn upsert<T: Copy>(v: &mut Vec<(String, T)>, name: &str, add: impl Fn(T) -> T, zero: T) {
    match v.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
        Ok(i) => {
            if let Some(slot) = v.get_mut(i) {
                slot.1 = add(slot.1);
            }
        }
        Err(i) => v.insert(i, (name.to_string(), add(zero))),
    }
}

impl Demand {
    /// Nothing.
    pub fn new() -> Demand {
        Demand::default()
    }

    /// Adds `value` of scalar `name`; an error for negative or non-finite values.
    pub fn scalar(mut self, name: &str, value: f64) -> Result<Demand, ResourceError> {
        let s = Scalar::from_f64(value).ok_or_else(|| ResourceError::Invalid {
            name: name.to_string(),
            message: format!("cannot ask for {value}"),
        })?;
        if !s.is_zero() {
            upsert(&mut self.scalars, name, |x| x.plus(s), Scalar::ZERO);
        }
        Ok(self)
    }

    /// Adds `count` values of ranges resource `name`.
    pub fn ranges(mut self, name: &str, count: u64) -> Demand {
        if count > 0 {
            upsert(&mut self.ranges, name, |x| x.saturating_add(count), 0);
        }
        self
    }

    /// Adds `count` items of set resource `name`.
    pub fn set(mut self, name: &str, count: usize) -> Demand {
        if count > 0 {
            upsert(&mut self.sets, name, |x| x.saturating_add(count), 0);
        }
        self
    }

    /// The demand of a task's [`ResourceRequest`].
    pub fn from_request(request: &ResourceRequest) -> Result<Demand, ResourceError> {
        let mut d = Demand::new();
        for (name, value) in &request.scalars {
            d = d.scalar(name, *value)?;
        }
        for (name, count) in &request.ranges {
            d = d.ranges(name, *count);
        }
        for (name, count) in &request.sets {
            d = d.set(name, *count);
        }
        Ok(d)
    }

    /// The demand equivalent to concrete resources (for example an executor's own
    /// resources): scalar amounts, and counts of range values and set items.
    pub fn from_resources(resources: &[Resource]) -> Result<Demand, ResourceError> {
        let mut d = Demand::new();
        for r in resources {
            d = match Amount::of(r)? {
                Amount::Scalar(s) => d.scalar(&r.name, s.to_f64())?,
                Amount::Ranges(rs) => d.ranges(&r.name, rs.count()),
                Amount::Set(items) => d.set(&r.name, items.len()),
            };
        }
        Ok(d)
    }

    /// The sum of both demands.
    pub fn plus(&self, other: &Demand) -> Demand {
        let mut d = self.clone();
        for (n, s) in &other.scalars {
            upsert(&mut d.scalars, n, |x| x.plus(*s), Scalar::ZERO);
        }
        for (n, c) in &other.ranges {
            upsert(&mut d.ranges, n, |x| x.saturating_add(*c), 0);
        }
        for (n, c) in &other.sets {
            upsert(&mut d.sets, n, |x| x.saturating_add(*c), 0);
        }
        d
    }

    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        self.scalars.is_empty() && self.ranges.is_empty() && self.sets.is_empty()
    }

    /// Componentwise minimum of the scalars (a name missing on either side counts as 0 and
    /// is dropped); ranges and sets are dropped. A lower bound of both demands.
    pub fn scalar_floor(&self, other: &Demand) -> Demand {
        let scalars = self
            .scalars
            .iter()
            .filter_map(|(n, a)| {
                other
                    .scalars
                    .iter()
                    .find(|(m, _)| m == n)
                    .map(|(_, b)| (n.clone(), (*a).min(*b)))
            })
            .collect();
        Demand {
            scalars,
            ..Demand::default()
        }
    }
}

impl Resources {
    /// Total of scalar `name` over the plain entries (those a [`Demand`] may use).
    pub fn plain_scalar(&self, name: &str) -> Scalar {
        self.entries
            .iter()
            .filter(|e| e.meta.name == name && is_plain(&e.meta))
            .fold(Scalar::ZERO, |acc, e| match &e.amount {
                Amount::Scalar(s) => acc.plus(*s),
                _ => acc,
            })
    }

    /// Values of ranges `name` (`ranges`) or items of set `name` (`!ranges`) over the plain
    /// entries: a set demand is not covered by ranges of the same name, nor the reverse.
    fn plain_count(&self, name: &str, ranges: bool) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.meta.name == name && is_plain(&e.meta))
            .fold(0u64, |acc, e| match &e.amount {
                Amount::Ranges(r) if ranges => acc.saturating_add(r.count()),
                Amount::Set(s) if !ranges => acc.saturating_add(s.len() as u64),
                _ => acc,
            })
    }

    /// The first resource of `demand` this pool cannot cover, without allocating:
    /// `(name, needed, available)`.
    fn first_short<'d>(&self, demand: &'d Demand) -> Option<(&'d str, f64, f64)> {
        for (name, need) in &demand.scalars {
            let have = self.plain_scalar(name);
            if have < *need {
                return Some((name, need.to_f64(), have.to_f64()));
            }
        }
        let counts = demand
            .ranges
            .iter()
            .map(|(n, c)| (n, *c, true))
            .chain(demand.sets.iter().map(|(n, c)| (n, *c as u64, false)));
        for (name, need, ranges) in counts {
            let have = self.plain_count(name, ranges);
            if have < need {
                return Some((name, need as f64, have as f64));
            }
        }
        None
    }

    /// The first resource of `demand` this pool cannot cover, or `None` when it fits.
    pub fn shortage(&self, demand: &Demand) -> Option<Shortage> {
        self.first_short(demand)
            .map(|(name, needed, available)| Shortage {
                name: name.to_string(),
                needed,
                available,
            })
    }

    /// Whether `demand` fits.
    pub fn fits(&self, demand: &Demand) -> bool {
        self.first_short(demand).is_none()
    }

    /// Takes `demand` out of this pool and returns the taken pieces as proto resources,
    /// each with the identity (role, `allocation_info`, reservations, ...) of the entry
    /// it came from. Ranges give their lowest free values, sets their first items. On a
    /// shortage nothing is taken.
    pub fn take(&mut self, demand: &Demand) -> Result<Vec<Resource>, Shortage> {
        let mut out = Vec::with_capacity(demand.scalars.len() + demand.ranges.len());
        self.take_each(demand, |meta, piece| {
            out.push(super::with_amount(meta, piece))
        })?;
        Ok(out)
    }

    /// Like [`Resources::take`], but hands each taken piece to `each` as its identity
    /// (the entry's `Resource` with the value fields cleared) and amount, in the order
    /// `take` returns them, without building a `Resource`. On a shortage nothing is taken
    /// and `each` is not called.
    pub fn take_each(
        &mut self,
        demand: &Demand,
        mut each: impl FnMut(&Resource, &Amount),
    ) -> Result<(), Shortage> {
        if let Some(short) = self.shortage(demand) {
            return Err(short);
        }
        self.take_pieces(demand, |e, piece| each(&e.meta, piece));
        Ok(())
    }

    /// Like [`Resources::take_each`] for a `demand` the caller has just seen fit
    /// ([`Resources::fits`], for it or a larger demand; not checked again), handing each
    /// piece's identity as bytes: `encode` makes them from the identity the first time an
    /// entry gives a piece, and the entry keeps them for its later pieces (the matcher
    /// writes them straight into its ACCEPT).
    pub(crate) fn take_fitting_encoded(
        &mut self,
        demand: &Demand,
        encode: impl Fn(&Resource) -> Box<[u8]>,
        mut each: impl FnMut(&[u8], &Amount),
    ) {
        debug_assert!(
            self.fits(demand),
            "take_fitting_encoded: demand does not fit"
        );
        self.take_pieces(demand, |e, piece| {
            let wire = e.wire.get_or_insert_with(|| encode(&e.meta));
            each(wire, piece)
        });
    }

    /// Takes `demand` (which fits), handing each piece to `each` with the entry it came
    /// from.
    fn take_pieces(&mut self, demand: &Demand, mut each: impl FnMut(&mut Entry, &Amount)) {
        for (name, need) in &demand.scalars {
            let mut left = *need;
            for e in self.entries.iter_mut() {
                if left.is_zero() {
                    break;
                }
                if e.meta.name != *name || !is_plain(&e.meta) {
                    continue;
                }
                if let Amount::Scalar(have) = &mut e.amount {
                    let piece = (*have).min(left);
                    if piece.is_zero() {
                        continue;
                    }
                    *have = have.minus(piece).unwrap_or(Scalar::ZERO);
                    left = left.minus(piece).unwrap_or(Scalar::ZERO);
                    each(e, &Amount::Scalar(piece));
                }
            }
        }
        for (name, need) in &demand.ranges {
            let mut left = *need;
            for e in self.entries.iter_mut() {
                if left == 0 {
                    break;
                }
                if e.meta.name != *name || !is_plain(&e.meta) {
                    continue;
                }
                if let Amount::Ranges(have) = &mut e.amount {
                    let n = have.count().min(left);
                    if n == 0 {
                        continue;
                    }
                    if let Some(piece) = have.take_lowest(n) {
                        left -= n;
                        each(e, &Amount::Ranges(piece));
                    }
                }
            }
        }
        for (name, need) in &demand.sets {
            let mut left = *need;
            for e in self.entries.iter_mut() {
                if left == 0 {
                    break;
                }
                if e.meta.name != *name || !is_plain(&e.meta) {
                    continue;
                }
                if let Amount::Set(have) = &mut e.amount {
                    let picked: std::collections::BTreeSet<String> =
                        have.iter().take(left).cloned().collect();
                    if picked.is_empty() {
                        continue;
                    }
                    have.retain(|x| !picked.contains(x));
                    left -= picked.len();
                    each(e, &Amount::Set(picked));
                }
            }
        }
        self.entries.retain(|e| !e.amount.is_empty());
    }
}
