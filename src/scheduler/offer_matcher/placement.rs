//! Placement: the strategies that choose which offer a task goes to, and the constraints
//! on hostnames and agent attributes that rule offers out.
//!
//! Constraints read the pseudo attribute `hostname` (the offer's hostname, which wins over
//! an agent attribute of that name) and the agent's attributes of every value type:
//! TEXT as is, SCALAR as a number (`4`, `1.5`), RANGES as `[1-2,5-6]`, SET as `{a,b}`.
//! `Equals` compares numbers numerically, sets as sets and ranges as ranges; `Like` and
//! `Unlike` match the rendered text. `UniqueHostname` and `MaxPerHost` count the tasks of
//! the same spec name the matcher has placed on the host (and not yet released).

use crate::proto::{Attribute, Offer, value};
use crate::resources::{Demand, Ranges, Resources, Scalar};
use regex::Regex;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// How the matcher chooses among offers that fit a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The first offer (in arrival order) that fits.
    #[default]
    FirstFit,
    /// The fitting offer with the least room left: packs agents tightly.
    BinPack,
    /// The fitting offer on the agent running the fewest of our tasks: spreads load.
    Spread,
}

/// A rule on where a task may run. `attribute` names an agent attribute; the pseudo
/// attribute `hostname` is the agent's hostname.
#[derive(Debug, Clone)]
pub enum Constraint {
    /// At most one task of this spec (by name) per hostname.
    UniqueHostname,
    /// At most `n` tasks of this spec per hostname.
    MaxPerHost(usize),
    /// The attribute exists and equals `value` (text, scalar or set rendered as text).
    Equals {
        /// Attribute name, or `hostname`.
        attribute: String,
        /// Wanted value.
        value: String,
    },
    /// The attribute exists and its text matches the regex (anchored at both ends).
    Like {
        /// Attribute name, or `hostname`.
        attribute: String,
        /// The pattern.
        regex: Regex,
    },
    /// The attribute is missing or its text does not match the regex.
    Unlike {
        /// Attribute name, or `hostname`.
        attribute: String,
        /// The pattern.
        regex: Regex,
    },
}

impl PartialEq for Constraint {
    fn eq(&self, other: &Self) -> bool {
        use Constraint::*;
        match (self, other) {
            (UniqueHostname, UniqueHostname) => true,
            (MaxPerHost(a), MaxPerHost(b)) => a == b,
            (
                Equals {
                    attribute: a,
                    value: x,
                },
                Equals {
                    attribute: b,
                    value: y,
                },
            ) => a == b && x == y,
            (
                Like {
                    attribute: a,
                    regex: x,
                },
                Like {
                    attribute: b,
                    regex: y,
                },
            )
            | (
                Unlike {
                    attribute: a,
                    regex: x,
                },
                Unlike {
                    attribute: b,
                    regex: y,
                },
            ) => a == b && x.as_str() == y.as_str(),
            _ => false,
        }
    }
}

impl Constraint {
    /// `attribute` must equal `value`.
    pub fn equals(attribute: impl Into<String>, value: impl Into<String>) -> Self {
        Constraint::Equals {
            attribute: attribute.into(),
            value: value.into(),
        }
    }

    /// `attribute` must match `pattern` (anchored); an invalid pattern is an error.
    pub fn like(attribute: impl Into<String>, pattern: &str) -> Result<Self, regex::Error> {
        Ok(Constraint::Like {
            attribute: attribute.into(),
            regex: anchored(pattern)?,
        })
    }

    /// `attribute` must not match `pattern` (anchored); an invalid pattern is an error.
    pub fn unlike(attribute: impl Into<String>, pattern: &str) -> Result<Self, regex::Error> {
        Ok(Constraint::Unlike {
            attribute: attribute.into(),
            regex: anchored(pattern)?,
        })
    }
}

fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
}

impl Constraint {
    /// Whether checking it needs the count of same-named tasks on the host.
    pub(crate) fn counts_per_host(&self) -> bool {
        matches!(self, Constraint::UniqueHostname | Constraint::MaxPerHost(_))
    }

    /// Like [`Constraint::check`] without describing the failure (cheaper for counts).
    pub(crate) fn holds(&self, offer: &Offer, on_host: usize) -> bool {
        match self {
            Constraint::UniqueHostname => on_host == 0,
            Constraint::MaxPerHost(n) => on_host < *n,
            _ => self.check(offer, on_host).is_ok(),
        }
    }

    /// Checks the constraint against `offer`, where `on_host` tasks of the same spec
    /// name already run (or were placed). `Err` describes the failure.
    pub(crate) fn check(&self, offer: &Offer, on_host: usize) -> Result<(), String> {
        match self {
            Constraint::UniqueHostname => {
                if on_host == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "unique hostname: {on_host} task(s) of this spec already on {}",
                        offer.hostname
                    ))
                }
            }
            Constraint::MaxPerHost(n) => {
                if on_host < *n {
                    Ok(())
                } else {
                    Err(format!(
                        "max {n} per host: {on_host} task(s) of this spec already on {}",
                        offer.hostname
                    ))
                }
            }
            Constraint::Equals { attribute, value } => match lookup(offer, attribute) {
                None => Err(format!("{attribute} == {value:?}: attribute missing")),
                Some(found) if found.equals(value) => Ok(()),
                Some(found) => Err(format!(
                    "{attribute} == {value:?}: agent has {:?}",
                    found.text()
                )),
            },
            Constraint::Like { attribute, regex } => match lookup(offer, attribute) {
                None => Err(format!(
                    "{attribute} like {}: attribute missing",
                    show(regex)
                )),
                Some(found) if regex.is_match(&found.text()) => Ok(()),
                Some(found) => Err(format!(
                    "{attribute} like {}: agent has {:?}",
                    show(regex),
                    found.text()
                )),
            },
            Constraint::Unlike { attribute, regex } => match lookup(offer, attribute) {
                Some(found) if regex.is_match(&found.text()) => Err(format!(
                    "{attribute} unlike {}: agent has {:?}",
                    show(regex),
                    found.text()
                )),
                _ => Ok(()),
            },
        }
    }
}

/// Checks every constraint; the first failure's description.
#[cfg(test)]
pub(crate) fn check_all(
    constraints: &[Constraint],
    offer: &Offer,
    on_host: usize,
) -> Result<(), String> {
    constraints.iter().try_for_each(|c| c.check(offer, on_host))
}

/// The user's pattern, without the anchoring added by [`Constraint::like`].
fn show(regex: &Regex) -> &str {
    let s = regex.as_str();
    s.strip_prefix("^(?:")
        .and_then(|x| x.strip_suffix(")$"))
        .unwrap_or(s)
}

/// An attribute value found on an offer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AttrValue<'a> {
    /// Text (and the hostname).
    Text(&'a str),
    /// A scalar.
    Scalar(f64),
    /// Ranges.
    Ranges(Ranges),
    /// A set.
    Set(BTreeSet<&'a str>),
}

impl AttrValue<'_> {
    /// As text: the text, `4` / `1.5`, `[1-2,5-6]`, `{a,b}`.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            AttrValue::Text(t) => Cow::Borrowed(t),
            AttrValue::Scalar(v) => Cow::Owned(match Scalar::from_f64(*v) {
                Some(s) => s.to_string(),
                None => v.to_string(),
            }),
            AttrValue::Ranges(r) => Cow::Owned(r.to_string()),
            AttrValue::Set(items) => {
                let joined: Vec<&str> = items.iter().copied().collect();
                Cow::Owned(format!("{{{}}}", joined.join(",")))
            }
        }
    }

    /// Whether it equals `wanted` (numerically, as a set or as ranges when typed so).
    pub(crate) fn equals(&self, wanted: &str) -> bool {
        let wanted = wanted.trim();
        match self {
            AttrValue::Text(t) => *t == wanted,
            AttrValue::Scalar(v) => match wanted.parse::<f64>() {
                Ok(w) => (v * 1000.0).round() == (w * 1000.0).round(),
                Err(_) => self.text() == wanted,
            },
            AttrValue::Set(items) => {
                let inner = wanted
                    .strip_prefix('{')
                    .and_then(|x| x.strip_suffix('}'))
                    .unwrap_or(wanted);
                let want: BTreeSet<&str> = inner
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .collect();
                *items == want
            }
            AttrValue::Ranges(r) => match crate::resources::parse(&format!("x:{wanted}")) {
                Ok(parsed) => parsed
                    .iter()
                    .any(|(_, a)| matches!(a, crate::resources::Amount::Ranges(w) if w == r)),
                Err(_) => self.text() == wanted,
            },
        }
    }
}

/// The value of `name` on `offer`: the hostname for `hostname`, else the agent
/// attribute (`None` when missing or malformed).
pub(crate) fn lookup<'a>(offer: &'a Offer, name: &str) -> Option<AttrValue<'a>> {
    if name == "hostname" {
        return Some(AttrValue::Text(&offer.hostname));
    }
    offer
        .attributes
        .iter()
        .find(|a| a.name == name)
        .and_then(attr_value)
}

fn attr_value(a: &Attribute) -> Option<AttrValue<'_>> {
    match value::Type::try_from(a.r#type).ok()? {
        value::Type::Text => a.text.as_ref().map(|t| AttrValue::Text(&t.value)),
        value::Type::Scalar => a.scalar.map(|s| AttrValue::Scalar(s.value)),
        value::Type::Ranges => a
            .ranges
            .as_ref()
            .and_then(|r| Ranges::new(r.range.iter().map(|x| (x.begin, x.end))))
            .map(AttrValue::Ranges),
        value::Type::Set => a
            .set
            .as_ref()
            .map(|s| AttrValue::Set(s.item.iter().map(String::as_str).collect())),
    }
}

/// What a strategy knows about one offer that fits a task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    /// Position of the offer in arrival order.
    pub index: usize,
    /// Room left after placing the task: for each scalar the task asks for, how many
    /// more times that amount would still fit, summed. Smaller is fuller.
    pub room: f64,
    /// Our tasks (any spec) placed on the offer's host and not yet released.
    pub ours_on_host: usize,
}

impl Strategy {
    /// Whether `a` is a better choice than `b` under this strategy (ties go to the
    /// earlier offer).
    pub(crate) fn prefers(self, a: &Candidate, b: &Candidate) -> bool {
        let key = |c: &Candidate| match self {
            Strategy::FirstFit => (0.0, c.index),
            Strategy::BinPack => (c.room, c.index),
            Strategy::Spread => (c.ours_on_host as f64, c.index),
        };
        let (ka, kb) = (key(a), key(b));
        ka.0 < kb.0 || (ka.0 == kb.0 && ka.1 < kb.1)
    }
}

/// The [`Candidate::room`] of placing `demand` on `pool`.
pub(crate) fn room_after(pool: &Resources, demand: &Demand) -> f64 {
    demand
        .scalars
        .iter()
        .filter(|(_, need)| !need.is_zero())
        .map(|(name, need)| {
            let have = pool.plain_scalar(name).milli() as f64;
            (have - need.milli() as f64) / need.milli() as f64
        })
        .sum()
}

#[cfg(test)]
mod tests;
