//! Placement: the strategies that choose which offer a task goes to, and the constraints
//! on hostnames and agent attributes that rule offers out.

use regex::Regex;

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
