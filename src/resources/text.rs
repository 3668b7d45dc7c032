//! The Mesos text syntax for resources: `cpus:4;mem:4096;ports:[31000-32000];gpus:1`,
//! `name(role):value` for statically reserved resources, `{a,b}` for sets.

use super::{Amount, Entry, Ranges, ResourceError, Resources, Scalar, reserved_role};
use crate::proto::resource::ReservationInfo;
use crate::proto::resource::reservation_info;
use crate::proto::{Resource, value};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Longest resource text accepted.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Most entries in one collection.
pub(super) const MAX_RESOURCES: usize = 1024;
/// Most ranges in one resource.
pub(super) const MAX_RANGES: usize = 10_000;
/// Most items in one set.
const MAX_SET_ITEMS: usize = 10_000;
/// Longest name or role.
const MAX_NAME: usize = 128;

fn syntax(at: &str, message: impl Into<String>) -> ResourceError {
    let at: String = at.chars().take(40).collect();
    ResourceError::Syntax {
        at,
        message: message.into(),
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

fn valid_role(s: &str) -> bool {
    s == "*"
        || (!s.is_empty()
            && s.len() <= MAX_NAME
            && s != "."
            && s != ".."
            && !s.starts_with('/')
            && !s.ends_with('/')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
}

fn parse_u64(s: &str, whole: &str) -> Result<u64, ResourceError> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax(
            whole,
            format!("{s:?} is not a non-negative integer"),
        ));
    }
    s.parse()
        .map_err(|_| syntax(whole, format!("{s:?} is out of range")))
}

fn parse_amount(v: &str, whole: &str) -> Result<Amount, ResourceError> {
    if let Some(inner) = v.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| syntax(whole, "ranges must end with ']'"))?;
        let mut pairs = Vec::new();
        for part in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if pairs.len() >= MAX_RANGES {
                return Err(ResourceError::TooMany {
                    what: "ranges",
                    max: MAX_RANGES,
                });
            }
            let (b, e) = match part.split_once('-') {
                Some((b, e)) => (parse_u64(b, whole)?, parse_u64(e, whole)?),
                None => {
                    let x = parse_u64(part, whole)?;
                    (x, x)
                }
            };
            if b > e {
                return Err(syntax(whole, format!("range {b}-{e} has begin > end")));
            }
            pairs.push((b, e));
        }
        return Ranges::new(pairs)
            .map(Amount::Ranges)
            .ok_or_else(|| syntax(whole, "bad range"));
    }
    if let Some(inner) = v.strip_prefix('{') {
        let inner = inner
            .strip_suffix('}')
            .ok_or_else(|| syntax(whole, "sets must end with '}'"))?;
        let mut items = BTreeSet::new();
        for item in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if items.len() >= MAX_SET_ITEMS {
                return Err(ResourceError::TooMany {
                    what: "set items",
                    max: MAX_SET_ITEMS,
                });
            }
            if item.chars().any(|c| c.is_control() || "{}[];".contains(c)) {
                return Err(syntax(whole, format!("bad set item {item:?}")));
            }
            items.insert(item.to_string());
        }
        return Ok(Amount::Set(items));
    }
    let v = v.trim();
    let ok_chars = !v.is_empty()
        && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && v.bytes().filter(|b| *b == b'.').count() <= 1;
    if !ok_chars {
        return Err(syntax(whole, format!("{v:?} is not a non-negative number")));
    }
    let f: f64 = v
        .parse()
        .map_err(|_| syntax(whole, format!("{v:?} is not a number")))?;
    Scalar::from_f64(f)
        .map(Amount::Scalar)
        .ok_or_else(|| syntax(whole, format!("{v} is out of range")))
}

fn parse_item(item: &str) -> Result<Entry, ResourceError> {
    let (head, val) = item
        .split_once(':')
        .ok_or_else(|| syntax(item, "expected name:value"))?;
    let head = head.trim();
    let (name, role) = match head.split_once('(') {
        Some((name, rest)) => {
            let role = rest
                .strip_suffix(')')
                .ok_or_else(|| syntax(item, "role must be closed with ')'"))?
                .trim();
            if !valid_role(role) {
                return Err(syntax(item, format!("invalid role {role:?}")));
            }
            (name.trim(), Some(role))
        }
        None => (head, None),
    };
    if !valid_name(name) {
        return Err(syntax(item, format!("invalid resource name {name:?}")));
    }
    let amount = parse_amount(val.trim(), item)?;
    let r#type = match &amount {
        Amount::Scalar(_) => value::Type::Scalar,
        Amount::Ranges(_) => value::Type::Ranges,
        Amount::Set(_) => value::Type::Set,
    } as i32;
    let reservations = match role {
        Some(role) if role != "*" => vec![ReservationInfo {
            r#type: Some(reservation_info::Type::Static as i32),
            role: Some(role.to_string()),
            ..Default::default()
        }],
        _ => Vec::new(),
    };
    Ok(Entry::new(
        Resource {
            name: name.to_string(),
            r#type,
            reservations,
            ..Default::default()
        },
        amount,
    ))
}

/// Parses `cpus:4;mem:4096;disk:10240;ports:[31000-32000];gpus:1;zones:{a,b}`. A
/// `name(role):value` item is statically reserved to `role` (refinement format: one
/// `reservations` entry of type STATIC); `name(*)` is unreserved. Entries of the same
/// name and role are merged. Input longer than [`MAX_TEXT_BYTES`], too many entries,
/// bad names, negative or non-numeric amounts and reversed ranges are errors.
pub fn parse(text: &str) -> Result<Resources, ResourceError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ResourceError::TooLong {
            len: text.len(),
            max: MAX_TEXT_BYTES,
        });
    }
    let mut out = Resources::new();
    for item in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        out.add_entry(parse_item(item)?)?;
    }
    Ok(out)
}

impl FromStr for Resources {
    type Err = ResourceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl fmt::Display for Resources {
    /// The text syntax [`parse`] reads (reserved entries as `name(role):value`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(&e.meta.name)?;
            if let Some(role) = reserved_role(&e.meta) {
                write!(f, "({role})")?;
            }
            f.write_str(":")?;
            match &e.amount {
                Amount::Scalar(s) => write!(f, "{s}")?,
                Amount::Ranges(r) => write!(f, "{r}")?,
                Amount::Set(items) => {
                    f.write_str("{")?;
                    for (j, item) in items.iter().enumerate() {
                        if j > 0 {
                            f.write_str(",")?;
                        }
                        f.write_str(item)?;
                    }
                    f.write_str("}")?;
                }
            }
        }
        Ok(())
    }
}
