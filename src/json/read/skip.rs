//! Skipping JSON values (unknown keys) with their nesting counted, and measuring a
//! document's nesting.

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Nesting levels while skipping a value: the current one and the deepest seen.
pub(super) struct Depth {
    pub now: usize,
    pub max: usize,
}

/// Any JSON value, checked and skipped, its nesting counted (an error beyond `cap`).
pub(super) struct Skip<'d> {
    pub depth: &'d mut Depth,
    pub cap: usize,
}

impl Skip<'_> {
    fn enter<E: Error>(&mut self) -> Result<(), E> {
        self.depth.now += 1;
        self.depth.max = self.depth.max.max(self.depth.now);
        if self.depth.now > self.cap {
            return Err(E::custom("nesting too deep"));
        }
        Ok(())
    }

    fn inner(&mut self) -> Skip<'_> {
        Skip {
            depth: &mut *self.depth,
            cap: self.cap,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Skip<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        self.enter()?;
        while seq.next_element_seed(self.inner())?.is_some() {}
        self.depth.now -= 1;
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        self.enter()?;
        while map.next_key_seed(self.inner())?.is_some() {
            map.next_value_seed(self.inner())?;
        }
        self.depth.now -= 1;
        Ok(())
    }
}

/// The deepest nesting of a JSON document (checking its syntax on the way), for telling
/// apart why a decoding failed.
pub(in crate::json) fn max_depth(bytes: &[u8]) -> Result<usize, serde_json::Error> {
    let mut depth = Depth { now: 0, max: 0 };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Skip {
        depth: &mut depth,
        cap: usize::MAX,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(depth.max)
}
