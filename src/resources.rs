//! Resource algebra used by the offer matcher and the local allocator: scalars (fixed
//! point, 3 decimals, as Mesos), ranges (ports), sets, roles and reservations.
//!
//! A [`Resources`] collection keeps one entry per resource *identity*: the name plus
//! everything that makes two resources of that name not interchangeable (the deprecated
//! `role`, `allocation_info`, `reservation`/`reservations`, `disk`, `revocable`, `shared`,
//! `provider_id`). Adding merges amounts of the same identity; subtracting and taking never
//! mix identities, so reserved resources stay intact and what a task takes from an offer
//! carries the offer's `allocation_info` and reservations exactly as offered.
//!
//! ```
//! use mesos_actix::resources::{Demand, Resources};
//! let mut offer: Resources = "cpus:4;mem:4096;ports:[31000-32000]".parse().unwrap();
//! let want = Demand::new().scalar("cpus", 0.5).unwrap().ranges("ports", 2);
//! let taken = offer.take(&want).unwrap();
//! assert_eq!(taken.len(), 2);
//! assert_eq!(offer.to_string(), "cpus:3.5;mem:4096;ports:[31002-32000]");
//! ```

mod demand;
mod text;
mod unreserved;
mod values;
mod wire;

pub use demand::{Demand, Shortage};
pub use text::{MAX_TEXT_BYTES, parse};
pub use values::{MAX_SCALAR, Ranges, Scalar};

use crate::proto::{Resource, value};
use std::collections::BTreeSet;

/// Why resources could not be built, parsed or subtracted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResourceError {
    /// The text is longer than [`MAX_TEXT_BYTES`].
    #[error("resource text is {len} bytes, more than the limit of {max}")]
    TooLong {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Too many resources, ranges or set items.
    #[error("too many {what} (limit {max})")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// The text does not follow `name(role):value;...`.
    #[error("bad resource text at {at:?}: {message}")]
    Syntax {
        /// The offending piece (truncated).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A resource's value is missing, of the wrong type, negative or not finite.
    #[error("invalid resource {name:?}: {message}")]
    Invalid {
        /// Resource name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Subtracting more than is there.
    #[error("cannot subtract: {0}")]
    Insufficient(Shortage),
}

/// The amount of one resource entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amount {
    /// A scalar (`cpus`, `mem`, ...).
    Scalar(Scalar),
    /// Ranges (`ports`).
    Ranges(Ranges),
    /// A set of items.
    Set(BTreeSet<String>),
}

impl Amount {
    fn is_empty(&self) -> bool {
        match self {
            Amount::Scalar(s) => s.is_zero(),
            Amount::Ranges(r) => r.is_empty(),
            Amount::Set(s) => s.is_empty(),
        }
    }

    /// Reads the amount of a proto `Resource`, checking it matches the declared type.
    pub fn of(r: &Resource) -> Result<Amount, ResourceError> {
        Amount::from_parts(
            &r.name,
            r.r#type,
            r.scalar.map(|s| s.value),
            r.ranges
                .as_ref()
                .map(|rs| rs.range.iter().map(|x| (x.begin, x.end))),
            r.set.as_ref().map(|s| s.item.iter().cloned()),
        )
    }

    /// The amount of resource `name` of type `kind` from its value fields (those of a
    /// proto `Resource`, or read from its bytes by [`wire`]).
    fn from_parts(
        name: &str,
        kind: i32,
        scalar: Option<f64>,
        ranges: Option<impl ExactSizeIterator<Item = (u64, u64)>>,
        set: Option<impl Iterator<Item = String>>,
    ) -> Result<Amount, ResourceError> {
        let invalid = |message: &str| ResourceError::Invalid {
            name: name.to_string(),
            message: message.to_string(),
        };
        match value::Type::try_from(kind) {
            Ok(value::Type::Scalar) => {
                let v = scalar.ok_or_else(|| invalid("no scalar"))?;
                Scalar::from_f64(v)
                    .map(Amount::Scalar)
                    .ok_or_else(|| invalid("scalar is negative, not finite or too large"))
            }
            Ok(value::Type::Ranges) => {
                let rs = ranges.ok_or_else(|| invalid("no ranges"))?;
                if rs.len() > text::MAX_RANGES {
                    return Err(ResourceError::TooMany {
                        what: "ranges",
                        max: text::MAX_RANGES,
                    });
                }
                Ranges::new(rs)
                    .map(Amount::Ranges)
                    .ok_or_else(|| invalid("a range has begin > end"))
            }
            Ok(value::Type::Set) => {
                let s = set.ok_or_else(|| invalid("no set"))?;
                Ok(Amount::Set(s.collect()))
            }
            _ => Err(invalid("type must be SCALAR, RANGES or SET")),
        }
    }
}

/// One entry: the identity (a `Resource` with its value fields cleared) and its amount.
#[derive(Debug, Clone)]
struct Entry {
    meta: Resource,
    amount: Amount,
    /// The identity as encoded protobuf fields, once a take asked for it
    /// ([`Resources::take_each_encoded`]); a cache, cleared when `meta` changes.
    wire: Option<Box<[u8]>>,
}

impl PartialEq for Entry {
    /// The identity and amount (the encoded cache does not count).
    fn eq(&self, other: &Entry) -> bool {
        self.meta == other.meta && self.amount == other.amount
    }
}

impl Entry {
    fn new(meta: Resource, amount: Amount) -> Entry {
        Entry {
            meta,
            amount,
            wire: None,
        }
    }

    fn from_proto(mut r: Resource) -> Result<Entry, ResourceError> {
        if r.name.is_empty() {
            return Err(ResourceError::Invalid {
                name: String::new(),
                message: "empty name".into(),
            });
        }
        let amount = Amount::of(&r)?;
        r.scalar = None;
        r.ranges = None;
        r.set = None;
        Ok(Entry::new(r, amount))
    }

    fn to_proto(&self) -> Resource {
        with_amount(&self.meta, &self.amount)
    }
}

/// A copy of `meta` (identity) carrying `amount`.
fn with_amount(meta: &Resource, amount: &Amount) -> Resource {
    let mut r = meta.clone();
    match amount {
        Amount::Scalar(s) => {
            r.r#type = value::Type::Scalar as i32;
            r.scalar = Some(value::Scalar { value: s.to_f64() });
        }
        Amount::Ranges(rs) => {
            r.r#type = value::Type::Ranges as i32;
            r.ranges = Some(value::Ranges {
                range: rs
                    .pairs()
                    .iter()
                    .map(|&(begin, end)| value::Range { begin, end })
                    .collect(),
            });
        }
        Amount::Set(items) => {
            r.r#type = value::Type::Set as i32;
            r.set = Some(value::Set {
                item: items.iter().cloned().collect(),
            });
        }
    }
    r
}

/// Whether two resources are the same kind of thing (everything but the amount agrees).
/// An unset deprecated `role` equals `"*"`.
#[allow(deprecated)] // the legacy `role` is part of the identity
pub fn same_identity(a: &Resource, b: &Resource) -> bool {
    a.name == b.name
        && a.r#type == b.r#type
        && a.role.as_deref().unwrap_or("*") == b.role.as_deref().unwrap_or("*")
        && a.allocation_info == b.allocation_info
        && a.reservation == b.reservation
        && a.reservations == b.reservations
        && a.disk == b.disk
        && a.revocable == b.revocable
        && a.shared == b.shared
        && a.provider_id == b.provider_id
}

/// Whether a resource can serve a plain request by name (not revocable, not shared, no
/// persistent volume or disk source).
pub fn is_plain(r: &Resource) -> bool {
    r.revocable.is_none()
        && r.shared.is_none()
        && r.disk
            .as_ref()
            .is_none_or(|d| d.persistence.is_none() && d.volume.is_none() && d.source.is_none())
}

/// Whether a resource is reserved (to any role).
#[allow(deprecated)]
pub fn is_reserved(r: &Resource) -> bool {
    !r.reservations.is_empty()
        || r.reservation.is_some()
        || r.role.as_deref().is_some_and(|x| x != "*")
}

/// The role a resource is reserved to, if any (the last refinement, else the legacy role).
#[allow(deprecated)]
pub fn reserved_role(r: &Resource) -> Option<&str> {
    if let Some(last) = r.reservations.last() {
        return last.role.as_deref();
    }
    r.role.as_deref().filter(|x| *x != "*")
}

/// A collection of resources, one entry per identity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    entries: Vec<Entry>,
}

impl Resources {
    /// No resources.
    pub fn new() -> Resources {
        Resources::default()
    }

    /// Validates and merges proto resources; any invalid entry is an error.
    pub fn from_proto(resources: Vec<Resource>) -> Result<Resources, ResourceError> {
        let mut out = Resources::new();
        for r in resources {
            out.add_entry(Entry::from_proto(r)?)?;
        }
        Ok(out)
    }

    /// Like [`Resources::from_proto`] but skips invalid entries, returning why each was
    /// skipped (for offers: use what is valid, log the rest).
    pub fn from_proto_lossy(resources: Vec<Resource>) -> (Resources, Vec<ResourceError>) {
        let mut out = Resources {
            entries: Vec::with_capacity(resources.len()),
        };
        let mut errors = Vec::new();
        for r in resources {
            if let Err(e) = Entry::from_proto(r).and_then(|e| out.add_entry(e)) {
                errors.push(e);
            }
        }
        (out, errors)
    }

    /// The resources as proto messages (amounts rounded to 3 decimals, ranges merged).
    pub fn to_proto(&self) -> Vec<Resource> {
        self.entries.iter().map(Entry::to_proto).collect()
    }

    /// Whether there is nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of distinct entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Iterates over `(identity, amount)`; the identity has its value fields cleared.
    pub fn iter(&self) -> impl Iterator<Item = (&Resource, &Amount)> {
        self.entries.iter().map(|e| (&e.meta, &e.amount))
    }

    fn add_entry(&mut self, entry: Entry) -> Result<(), ResourceError> {
        if entry.amount.is_empty() {
            return Ok(());
        }
        if self
            .entries
            .iter()
            .any(|e| e.meta.name == entry.meta.name && e.meta.r#type != entry.meta.r#type)
        {
            return Err(ResourceError::Invalid {
                name: entry.meta.name,
                message: "type differs from an entry of the same name".into(),
            });
        }
        if let Some(existing) = self
            .entries
            .iter_mut()
            .find(|e| same_identity(&e.meta, &entry.meta))
        {
            existing.amount = match (&existing.amount, entry.amount) {
                (Amount::Scalar(a), Amount::Scalar(b)) => {
                    // A sum above the cap could not be written back (to protobuf or text).
                    let sum = a.checked_plus(b).ok_or_else(|| ResourceError::Invalid {
                        name: entry.meta.name.clone(),
                        message: format!("the sum exceeds the {MAX_SCALAR} cap"),
                    })?;
                    Amount::Scalar(sum)
                }
                (Amount::Ranges(a), Amount::Ranges(b)) => Amount::Ranges(a.union(&b)),
                (Amount::Set(a), Amount::Set(b)) => Amount::Set(a.union(&b).cloned().collect()),
                _ => {
                    return Err(ResourceError::Invalid {
                        name: entry.meta.name,
                        message: "type differs from an entry of the same name".into(),
                    });
                }
            };
        } else {
            if self.entries.len() >= text::MAX_RESOURCES {
                return Err(ResourceError::TooMany {
                    what: "resources",
                    max: text::MAX_RESOURCES,
                });
            }
            self.entries.push(entry);
        }
        Ok(())
    }

    /// Adds one proto resource (merged into its identity's entry).
    pub fn push(&mut self, resource: Resource) -> Result<(), ResourceError> {
        self.add_entry(Entry::from_proto(resource)?)
    }

    /// Adds everything in `other`. An error when a scalar sum would exceed [`MAX_SCALAR`]
    /// or an entry's type differs from one of the same name.
    pub fn add(&mut self, other: &Resources) -> Result<(), ResourceError> {
        for e in &other.entries {
            self.add_entry(e.clone())?;
        }
        Ok(())
    }

    /// Whether every entry of `other` is covered by the entry of the same identity here.
    pub fn contains(&self, other: &Resources) -> bool {
        other.entries.iter().all(|o| {
            self.entries
                .iter()
                .find(|e| same_identity(&e.meta, &o.meta))
                .is_some_and(|e| match (&e.amount, &o.amount) {
                    (Amount::Scalar(a), Amount::Scalar(b)) => a >= b,
                    (Amount::Ranges(a), Amount::Ranges(b)) => a.contains(b),
                    (Amount::Set(a), Amount::Set(b)) => b.is_subset(a),
                    _ => false,
                })
        })
    }

    /// Removes `other` (identity by identity); on error nothing is changed.
    pub fn subtract(&mut self, other: &Resources) -> Result<(), ResourceError> {
        if !self.contains(other) {
            let short = other
                .entries
                .iter()
                .find(|o| {
                    let mut one = Resources::new();
                    one.entries.push((*o).clone());
                    !self.contains(&one)
                })
                .map(|o| Shortage {
                    name: o.meta.name.clone(),
                    needed: amount_size(&o.amount),
                    available: self
                        .entries
                        .iter()
                        .find(|e| same_identity(&e.meta, &o.meta))
                        .map_or(0.0, |e| amount_size(&e.amount)),
                })
                .unwrap_or_default();
            return Err(ResourceError::Insufficient(short));
        }
        for o in &other.entries {
            if let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| same_identity(&e.meta, &o.meta))
            {
                match (&mut e.amount, &o.amount) {
                    (Amount::Scalar(a), Amount::Scalar(b)) => {
                        *a = a.minus(*b).unwrap_or(Scalar::ZERO)
                    }
                    (Amount::Ranges(a), Amount::Ranges(b)) => a.remove(b),
                    (Amount::Set(a), Amount::Set(b)) => a.retain(|x| !b.contains(x)),
                    _ => {}
                }
            }
        }
        self.entries.retain(|e| !e.amount.is_empty());
        Ok(())
    }

    /// Sets `allocation_info.role` on every entry (as the master does when it offers
    /// resources to a role), merging entries that become identical.
    pub fn allocate(&mut self, role: &str) {
        self.set_allocation(Some(crate::proto::resource::AllocationInfo {
            role: Some(role.to_string()),
        }));
    }

    /// Clears `allocation_info` on every entry (resources going back to an agent's free
    /// pool), merging entries that become identical.
    pub fn unallocate(&mut self) {
        self.set_allocation(None);
    }

    fn set_allocation(&mut self, info: Option<crate::proto::resource::AllocationInfo>) {
        let entries = std::mem::take(&mut self.entries);
        for mut e in entries {
            e.meta.allocation_info = info.clone();
            e.wire = None;
            // Entries were valid and of consistent types, so re-adding cannot fail.
            if let Err(err) = self.add_entry(e) {
                tracing::error!(error = %err, "resources: dropped an entry while re-allocating");
            }
        }
    }

    /// Total scalar amount of `name` over all identities.
    pub fn scalar(&self, name: &str) -> Scalar {
        self.entries
            .iter()
            .filter(|e| e.meta.name == name)
            .fold(Scalar::ZERO, |acc, e| match &e.amount {
                Amount::Scalar(s) => acc.plus(*s),
                _ => acc,
            })
    }

    /// Number of values of the ranges resource `name` over all identities.
    pub fn ranges_count(&self, name: &str) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.meta.name == name)
            .fold(0u64, |acc, e| match &e.amount {
                Amount::Ranges(r) => acc.saturating_add(r.count()),
                _ => acc,
            })
    }
}

/// The size of an amount as a number (scalar value, count of range values or set items).
fn amount_size(a: &Amount) -> f64 {
    match a {
        Amount::Scalar(s) => s.to_f64(),
        Amount::Ranges(r) => r.count() as f64,
        Amount::Set(s) => s.len() as f64,
    }
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
