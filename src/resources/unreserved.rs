//! The unreserved view of resources the local cluster keeps: every entry is identified by
//! its name and type only (roles, reservations, allocation info and the other identity
//! fields are dropped), invalid values are skipped rather than refused, and subtraction
//! takes away what is there.

use super::{Amount, Entry, Ranges, Resources, Scalar};
use crate::proto::{Resource, value};

impl Resources {
    /// Reads resource protos as unreserved (`*`) resources keyed by name: whatever value
    /// field is set decides the type; a scalar that is not positive and finite, a range
    /// with begin > end, and an entry whose type conflicts with an earlier one of the same
    /// name are skipped.
    pub fn unreserved(resources: &[Resource]) -> Resources {
        let mut out = Resources::new();
        for r in resources {
            let (kind, amount) = if let Some(s) = &r.scalar {
                match Scalar::from_f64(s.value).filter(|_| s.value > 0.0) {
                    Some(v) => (value::Type::Scalar, Amount::Scalar(v)),
                    None => continue,
                }
            } else if let Some(rs) = &r.ranges {
                let pairs = rs.range.iter().filter(|x| x.begin <= x.end);
                match Ranges::new(pairs.map(|x| (x.begin, x.end))) {
                    Some(v) => (value::Type::Ranges, Amount::Ranges(v)),
                    None => continue,
                }
            } else if let Some(items) = &r.set {
                (
                    value::Type::Set,
                    Amount::Set(items.item.iter().cloned().collect()),
                )
            } else {
                continue;
            };
            let meta = Resource {
                name: r.name.clone(),
                r#type: kind as i32,
                ..Default::default()
            };
            out.merge_entry(Entry::new(meta, amount));
        }
        out
    }

    /// Adds everything in `other` that can be added: an entry whose type conflicts with one
    /// of the same name here, or one past the entry limit, is skipped (and logged).
    pub fn merge(&mut self, other: &Resources) {
        for e in &other.entries {
            self.merge_entry(e.clone());
        }
    }

    fn merge_entry(&mut self, entry: Entry) {
        let name = entry.meta.name.clone();
        if let Err(error) = self.add_entry(entry) {
            tracing::warn!(%name, %error, "resources: skipped an entry that cannot be merged");
        }
    }

    /// Removes as much of `other` as is here, identity by identity: scalars stop at zero,
    /// range values and set items that are not here are ignored.
    pub fn subtract_present(&mut self, other: &Resources) {
        for o in &other.entries {
            let Some(e) = self
                .entries
                .iter_mut()
                .find(|e| super::same_identity(&e.meta, &o.meta))
            else {
                continue;
            };
            match (&mut e.amount, &o.amount) {
                (Amount::Scalar(a), Amount::Scalar(b)) => *a = a.minus(*b).unwrap_or(Scalar::ZERO),
                (Amount::Ranges(a), Amount::Ranges(b)) => a.remove(b),
                (Amount::Set(a), Amount::Set(b)) => a.retain(|x| !b.contains(x)),
                _ => {}
            }
        }
        self.entries.retain(|e| !e.amount.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreserved(text: &str) -> Resources {
        Resources::unreserved(&super::super::parse(text).unwrap().to_proto())
    }

    #[test]
    fn roles_are_ignored_and_algebra_saturates() {
        let total = unreserved("cpus(web):4;mem:4096;disk:10240;ports:[31000-32000]");
        let task = unreserved("cpus:0.1;mem:32;ports:[31000-31001]");
        assert!(total.contains(&task));
        let mut free = total.clone();
        free.subtract_present(&task);
        assert_eq!(free.scalar("cpus").to_f64(), 3.9);
        assert!(!free.contains(&task));
        free.merge(&task);
        assert!(free.contains(&total) && total.contains(&free));
        let mut small = unreserved("cpus:1");
        small.subtract_present(&unreserved("cpus:2;mem:5;ports:[1-2]"));
        assert!(small.is_empty());
    }

    #[test]
    fn invalid_values_are_skipped() {
        let mut cpus = Resource::scalar("cpus", -1.0);
        let mut ports = Resource::ranges("ports", &[(5, 9)]);
        if let Some(r) = ports.ranges.as_mut() {
            r.range.push(value::Range { begin: 9, end: 1 });
        }
        let good = Resource::scalar("mem", 2.0);
        cpus.r#type = value::Type::Scalar as i32;
        let r = Resources::unreserved(&[cpus, ports, good]);
        assert_eq!(r.scalar("cpus"), Scalar::ZERO);
        assert_eq!(r.ranges_count("ports"), 5);
        assert_eq!(r.scalar("mem").to_f64(), 2.0);
    }
}
