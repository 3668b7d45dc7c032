//! A minimal resource model for the local cluster: parsing of the Mesos text syntax (by
//! the crate's own parser), addition, subtraction and
//! containment of scalars (3-decimal fixed point), ranges and sets, and the flat JSON
//! shape of `/state`. Roles and reservations are ignored: every local resource is
//! unreserved (`*`). Kept in this one file so it can be swapped for `crate::resources`.

use crate::proto::{Attribute, Resource, resource, value};
use std::collections::{BTreeMap, BTreeSet};

/// Scalars are kept as thousandths, as Mesos does (fixed point, 3 decimals).
const SCALE: f64 = 1000.0;

/// A bag of unreserved resources keyed by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceSet {
    scalars: BTreeMap<String, i64>,
    ranges: BTreeMap<String, Vec<(u64, u64)>>,
    sets: BTreeMap<String, BTreeSet<String>>,
}

fn to_fixed(v: f64) -> i64 {
    (v * SCALE).round() as i64
}

impl ResourceSet {
    /// Parses the Mesos text syntax (`cpus:4;mem:4096;ports:[31000-32000];disks:{a,b}`)
    /// with the crate's capped parser ([`crate::resources::parse`]); a role after a name is
    /// accepted and, like every role here, ignored.
    pub fn parse(text: &str) -> Result<ResourceSet, String> {
        let parsed = crate::resources::parse(text).map_err(|e| e.to_string())?;
        Ok(ResourceSet::from_protos(&parsed.to_proto()))
    }

    fn ranges_of(name: &str, ranges: Vec<(u64, u64)>) -> ResourceSet {
        let mut set = ResourceSet::default();
        set.ranges.insert(name.to_string(), normalize(ranges));
        set
    }

    /// Reads resource protos (roles, reservations and allocation info are ignored).
    pub fn from_protos(resources: &[Resource]) -> ResourceSet {
        let mut set = ResourceSet::default();
        for r in resources {
            if let Some(s) = &r.scalar {
                if s.value.is_finite() && s.value > 0.0 {
                    let e = set.scalars.entry(r.name.clone()).or_default();
                    *e = e.saturating_add(to_fixed(s.value));
                }
            } else if let Some(rs) = &r.ranges {
                let ranges = rs
                    .range
                    .iter()
                    .filter(|x| x.begin <= x.end)
                    .map(|x| (x.begin, x.end))
                    .collect();
                set.add(&ResourceSet::ranges_of(&r.name, ranges));
            } else if let Some(items) = &r.set {
                set.sets
                    .entry(r.name.clone())
                    .or_default()
                    .extend(items.item.iter().cloned());
            }
        }
        set
    }

    /// Resource protos, unreserved (`role: "*"`), with `allocation_info` when `allocation_role`
    /// is given.
    pub fn to_protos(&self, allocation_role: Option<&str>) -> Vec<Resource> {
        let mut out = Vec::new();
        for (name, v) in &self.scalars {
            if *v > 0 {
                out.push(Resource::scalar(name.clone(), *v as f64 / SCALE));
            }
        }
        for (name, ranges) in &self.ranges {
            if !ranges.is_empty() {
                out.push(Resource::ranges(name.clone(), ranges));
            }
        }
        for (name, items) in &self.sets {
            if !items.is_empty() {
                let refs: Vec<&str> = items.iter().map(String::as_str).collect();
                out.push(Resource::set(name.clone(), &refs));
            }
        }
        for r in &mut out {
            #[allow(deprecated)]
            {
                r.role = Some("*".to_string());
            }
            if let Some(role) = allocation_role {
                r.allocation_info = Some(resource::AllocationInfo {
                    role: Some(role.to_string()),
                });
            }
        }
        out
    }

    /// Resource protos as an agent describes itself (no role, no allocation info).
    pub fn to_plain_protos(&self) -> Vec<Resource> {
        let mut out = self.to_protos(None);
        for r in &mut out {
            #[allow(deprecated)]
            {
                r.role = None;
            }
        }
        out
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.scalars.values().all(|v| *v <= 0)
            && self.ranges.values().all(Vec::is_empty)
            && self.sets.values().all(BTreeSet::is_empty)
    }

    /// The scalar named `name` (0 when absent).
    pub fn scalar(&self, name: &str) -> f64 {
        self.scalars.get(name).copied().unwrap_or(0) as f64 / SCALE
    }

    /// Adds `other` to this set.
    pub fn add(&mut self, other: &ResourceSet) {
        for (name, v) in &other.scalars {
            let e = self.scalars.entry(name.clone()).or_default();
            *e = e.saturating_add(*v);
        }
        for (name, ranges) in &other.ranges {
            let entry = self.ranges.entry(name.clone()).or_default();
            entry.extend(ranges.iter().copied());
            *entry = normalize(std::mem::take(entry));
        }
        for (name, items) in &other.sets {
            self.sets
                .entry(name.clone())
                .or_default()
                .extend(items.iter().cloned());
        }
    }

    /// Whether every resource of `other` is available in this set.
    pub fn contains(&self, other: &ResourceSet) -> bool {
        other
            .scalars
            .iter()
            .all(|(name, v)| *v <= 0 || self.scalars.get(name).copied().unwrap_or(0) >= *v)
            && other.ranges.iter().all(|(name, ranges)| {
                let mine = self.ranges.get(name).map(Vec::as_slice).unwrap_or(&[]);
                ranges
                    .iter()
                    .all(|(b, e)| mine.iter().any(|(mb, me)| mb <= b && e <= me))
            })
            && other.sets.iter().all(|(name, items)| {
                let mine = self.sets.get(name);
                items.iter().all(|i| mine.is_some_and(|m| m.contains(i)))
            })
    }

    /// Removes `other` from this set; what is not present is ignored (callers check
    /// [`contains`](Self::contains) first).
    pub fn subtract(&mut self, other: &ResourceSet) {
        for (name, v) in &other.scalars {
            if let Some(mine) = self.scalars.get_mut(name) {
                *mine = mine.saturating_sub(*v).max(0);
            }
        }
        for (name, ranges) in &other.ranges {
            if let Some(mine) = self.ranges.get_mut(name) {
                for &(b, e) in ranges {
                    let mut next = Vec::new();
                    for &(mb, me) in mine.iter() {
                        if e < mb || b > me {
                            next.push((mb, me));
                            continue;
                        }
                        if mb < b {
                            next.push((mb, b - 1));
                        }
                        if e < me {
                            next.push((e + 1, me));
                        }
                    }
                    *mine = next;
                }
            }
        }
        for (name, items) in &other.sets {
            if let Some(mine) = self.sets.get_mut(name) {
                for i in items {
                    mine.remove(i);
                }
            }
        }
    }

    /// The flat object of `/state`: scalars by name (`cpus`, `gpus`, `mem`, `disk` always
    /// present), ranges as `"[31000-32000]"`, sets as `"{a,b}"`.
    pub fn flat_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for name in ["cpus", "gpus", "mem", "disk"] {
            map.insert(name.into(), serde_json::json!(self.scalar(name)));
        }
        for name in self.scalars.keys() {
            map.insert(name.clone(), serde_json::json!(self.scalar(name)));
        }
        for (name, ranges) in &self.ranges {
            let text: Vec<String> = ranges.iter().map(|(b, e)| format!("{b}-{e}")).collect();
            map.insert(name.clone(), format!("[{}]", text.join(", ")).into());
        }
        for (name, items) in &self.sets {
            let text: Vec<&str> = items.iter().map(String::as_str).collect();
            map.insert(name.clone(), format!("{{{}}}", text.join(", ")).into());
        }
        serde_json::Value::Object(map)
    }
}

fn parse_ranges(inner: &str) -> Result<Vec<(u64, u64)>, String> {
    let mut out = Vec::new();
    for r in inner.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let (b, e) = r.split_once('-').unwrap_or((r, r));
        let b: u64 = b.trim().parse().map_err(|_| format!("bad range {r:?}"))?;
        let e: u64 = e.trim().parse().map_err(|_| format!("bad range {r:?}"))?;
        if b > e {
            return Err(format!("bad range {r:?}: begin > end"));
        }
        out.push((b, e));
    }
    Ok(out)
}

fn normalize(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (b, e) in ranges {
        match out.last_mut() {
            Some(last) if b <= last.1.saturating_add(1) => last.1 = last.1.max(e),
            _ => out.push((b, e)),
        }
    }
    out
}

/// Parses attributes in Mesos text syntax (`rack:r1;zone:a;level:2;ids:[1-3]`): numbers
/// become SCALAR, `[..]` RANGES, anything else TEXT.
pub fn parse_attributes(text: &str) -> Result<Vec<Attribute>, String> {
    let mut out = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, val) = part
            .split_once(':')
            .ok_or_else(|| format!("attribute {part:?} is not name:value"))?;
        let (name, val) = (name.trim().to_string(), val.trim());
        let mut attr = Attribute {
            name,
            ..Default::default()
        };
        if let Some(inner) = val.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            attr.r#type = value::Type::Ranges as i32;
            attr.ranges = Some(value::Ranges {
                range: parse_ranges(inner)?
                    .into_iter()
                    .map(|(begin, end)| value::Range { begin, end })
                    .collect(),
            });
        } else if let Ok(number) = val.parse::<f64>() {
            attr.r#type = value::Type::Scalar as i32;
            attr.scalar = Some(value::Scalar { value: number });
        } else {
            attr.r#type = value::Type::Text as i32;
            attr.text = Some(value::Text {
                value: val.to_string(),
            });
        }
        out.push(attr);
    }
    Ok(out)
}

/// The `/state` JSON object of attributes (`{"rack": "r1", "level": 2}`).
pub fn attributes_json(attributes: &[Attribute]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for a in attributes {
        let v = if let Some(t) = &a.text {
            serde_json::json!(t.value)
        } else if let Some(s) = &a.scalar {
            serde_json::json!(s.value)
        } else if let Some(r) = &a.ranges {
            let text: Vec<String> = r
                .range
                .iter()
                .map(|x| format!("{}-{}", x.begin, x.end))
                .collect();
            serde_json::json!(format!("[{}]", text.join(", ")))
        } else {
            serde_json::Value::Null
        };
        map.insert(a.name.clone(), v);
    }
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_algebra() {
        let total = ResourceSet::parse("cpus:4;mem:4096;disk:10240;ports:[31000-32000]").unwrap();
        let task = ResourceSet::parse("cpus:0.1;mem:32;ports:[31000-31001]").unwrap();
        assert!(total.contains(&task));
        let mut free = total.clone();
        free.subtract(&task);
        assert!((free.scalar("cpus") - 3.9).abs() < 1e-9);
        assert!(!free.contains(&task));
        free.add(&task);
        assert_eq!(free, total);
        assert!(ResourceSet::parse("cpus:x").is_err());
        assert!(ResourceSet::parse("ports:[5-1]").is_err());
        let json = total.flat_json();
        assert_eq!(json["ports"], "[31000-32000]");
        assert_eq!(json["gpus"], 0.0);
    }

    #[test]
    fn protos_round_trip() {
        let total = ResourceSet::parse("cpus:2;mem:100;ports:[1-3,5-9];s:{a,b}").unwrap();
        let protos = total.to_protos(Some("*"));
        assert_eq!(ResourceSet::from_protos(&protos), total);
        assert!(
            protos
                .iter()
                .all(|r| r.allocation_info.as_ref().unwrap().role.as_deref() == Some("*"))
        );
    }

    #[test]
    fn attributes() {
        let a = parse_attributes("rack:r1;level:2;ids:[1-3]").unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(attributes_json(&a)["rack"], "r1");
    }
}
