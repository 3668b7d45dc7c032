//! Value types of the resource algebra: fixed-point scalars and normalized ranges.

use std::fmt;

/// A scalar amount in fixed point with three decimals, as Mesos keeps them
/// (`0.1 + 0.2` is exactly `0.3`, and subtracting it again leaves exactly zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Scalar(i64);

/// The largest amount a scalar may hold (in units), far above any real resource (a
/// million million cpus, or an exabyte of `mem` in MB). Below it every amount, in
/// thousandths, survives the trip through an `f64` (protobuf) or text exactly; 1e15, the
/// cap before fuzzing found `999999999999999.001` coming back as `999999999999999`, did not.
pub const MAX_SCALAR: f64 = 1e12;

/// [`MAX_SCALAR`] in thousandths.
const MAX_MILLI: i64 = 1_000_000_000_000_000;

impl Scalar {
    /// Zero.
    pub const ZERO: Scalar = Scalar(0);

    /// Rounds `value` to three decimals. `None` for non-finite, negative or absurdly
    /// large values.
    pub fn from_f64(value: f64) -> Option<Scalar> {
        if !value.is_finite() || !(0.0..=MAX_SCALAR).contains(&value) {
            return None;
        }
        Some(Scalar((value * 1000.0).round() as i64))
    }

    /// From thousandths.
    pub const fn from_milli(milli: i64) -> Scalar {
        Scalar(milli)
    }

    /// In thousandths.
    pub const fn milli(self) -> i64 {
        self.0
    }

    /// As a float (exactly the float nearest the decimal value).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, saturating.
    pub fn plus(self, other: Scalar) -> Scalar {
        Scalar(self.0.saturating_add(other.0))
    }

    /// `self + other`, `None` above [`MAX_SCALAR`].
    pub fn checked_plus(self, other: Scalar) -> Option<Scalar> {
        self.0
            .checked_add(other.0)
            .filter(|sum| *sum <= MAX_MILLI)
            .map(Scalar)
    }

    /// `self - other`, `None` when that would be negative.
    pub fn minus(self, other: Scalar) -> Option<Scalar> {
        (self.0 >= other.0).then(|| Scalar(self.0 - other.0))
    }
}

impl fmt::Display for Scalar {
    /// `4`, `0.5`, `1.25`: three decimals at most, trailing zeros dropped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (int, frac) = (abs / 1000, abs % 1000);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{sign}{int}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// A set of unsigned integers as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ranges(Vec<(u64, u64)>);

impl Ranges {
    /// Builds normalized ranges from inclusive `(begin, end)` pairs; `None` if a pair has
    /// `begin > end`.
    pub fn new(pairs: impl IntoIterator<Item = (u64, u64)>) -> Option<Ranges> {
        let mut v: Vec<(u64, u64)> = Vec::new();
        for (b, e) in pairs {
            if b > e {
                return None;
            }
            v.push((b, e));
        }
        Some(Ranges::normalized(v))
    }

    /// Sorts and merges pairs already known to have `begin <= end`.
    fn normalized(mut v: Vec<(u64, u64)>) -> Ranges {
        if v.windows(2).all(|w| match w {
            [a, b] => a.1 < b.0 && b.0 - a.1 > 1,
            _ => true,
        }) {
            return Ranges(v);
        }
        v.sort_unstable();
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
        for (b, e) in v {
            match out.last_mut() {
                Some(last) if b <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => out.push((b, e)),
            }
        }
        Ranges(out)
    }

    /// The ranges, sorted and disjoint.
    pub fn pairs(&self) -> &[(u64, u64)] {
        &self.0
    }

    /// How many values (saturating at `u64::MAX`).
    pub fn count(&self) -> u64 {
        self.0.iter().fold(0u64, |acc, (b, e)| {
            acc.saturating_add((e - b).saturating_add(1))
        })
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `value` is in the ranges.
    pub fn contains_value(&self, value: u64) -> bool {
        self.0.iter().any(|&(b, e)| b <= value && value <= e)
    }

    /// Whether every value of `other` is in `self`.
    pub fn contains(&self, other: &Ranges) -> bool {
        other
            .0
            .iter()
            .all(|&(ob, oe)| self.0.iter().any(|&(b, e)| b <= ob && oe <= e))
    }

    /// The union of both.
    pub fn union(&self, other: &Ranges) -> Ranges {
        let mut v = Vec::with_capacity(self.0.len() + other.0.len());
        v.extend_from_slice(&self.0);
        v.extend_from_slice(&other.0);
        Ranges::normalized(v)
    }

    /// Removes every value of `other` from `self` (values not present are ignored).
    pub fn remove(&mut self, other: &Ranges) {
        for &(ob, oe) in &other.0 {
            let mut out = Vec::with_capacity(self.0.len() + 1);
            for &(b, e) in &self.0 {
                if oe < b || ob > e {
                    out.push((b, e));
                    continue;
                }
                if b < ob {
                    out.push((b, ob - 1));
                }
                if oe < e {
                    out.push((oe + 1, e));
                }
            }
            self.0 = out;
        }
    }

    /// Takes the `n` lowest values out of `self` and returns them; `None` (and `self`
    /// unchanged) when fewer than `n` are present.
    pub fn take_lowest(&mut self, n: u64) -> Option<Ranges> {
        if self.count() < n {
            return None;
        }
        let mut taken = Vec::new();
        let mut left = n;
        while left > 0 {
            let Some(first) = self.0.first_mut() else {
                break;
            };
            let size = (first.1 - first.0).saturating_add(1);
            if size <= left {
                taken.push(*first);
                left -= size;
                self.0.remove(0);
            } else {
                let end = first.0 + (left - 1);
                taken.push((first.0, end));
                first.0 = end + 1;
                left = 0;
            }
        }
        Some(Ranges(taken))
    }
}

impl fmt::Display for Ranges {
    /// `[31000-31005,31010-31010]`, as Mesos writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, (b, e)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{b}-{e}")?;
        }
        f.write_str("]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_has_no_float_drift() {
        let a = Scalar::from_f64(0.1).unwrap();
        let b = Scalar::from_f64(0.2).unwrap();
        let sum = a.plus(b);
        assert_eq!(sum, Scalar::from_f64(0.3).unwrap());
        assert_eq!(sum.to_f64(), 0.3);
        assert_eq!(sum.minus(a).unwrap().minus(b), Some(Scalar::ZERO));
        assert_eq!(a.minus(b), None);
        assert_eq!(Scalar::from_f64(0.0004), Some(Scalar::ZERO));
        assert_eq!(Scalar::from_f64(f64::NAN), None);
        assert_eq!(Scalar::from_f64(-1.0), None);
        assert_eq!(Scalar::from_f64(f64::INFINITY), None);
        assert_eq!(Scalar::from_f64(1.25).unwrap().to_string(), "1.25");
        assert_eq!(Scalar::from_f64(4.0).unwrap().to_string(), "4");
        assert_eq!(Scalar::from_f64(0.05).unwrap().to_string(), "0.05");
    }

    #[test]
    fn ranges_normalize_and_count() {
        let r = Ranges::new([(5, 6), (1, 2), (3, 4), (10, 12)]).unwrap();
        assert_eq!(r.pairs(), &[(1, 6), (10, 12)]);
        assert_eq!(r.count(), 9);
        assert!(Ranges::new([(2, 1)]).is_none());
        let all = Ranges::new([(0, u64::MAX)]).unwrap();
        assert_eq!(all.count(), u64::MAX);
        assert_eq!(r.to_string(), "[1-6,10-12]");
    }

    #[test]
    fn ranges_contain_remove_union() {
        let mut r = Ranges::new([(31000, 32000)]).unwrap();
        let sub = Ranges::new([(31000, 31001), (31500, 31500)]).unwrap();
        assert!(r.contains(&sub));
        assert!(!sub.contains(&r));
        r.remove(&sub);
        assert_eq!(r.pairs(), &[(31002, 31499), (31501, 32000)]);
        assert!(!r.contains_value(31500));
        let back = r.union(&sub);
        assert_eq!(back.pairs(), &[(31000, 32000)]);
        // Removing absent values is a no-op.
        let mut r2 = Ranges::new([(1, 3)]).unwrap();
        r2.remove(&Ranges::new([(10, 20)]).unwrap());
        assert_eq!(r2.pairs(), &[(1, 3)]);
        r2.remove(&Ranges::new([(0, u64::MAX)]).unwrap());
        assert!(r2.is_empty());
    }

    #[test]
    fn take_lowest_spans_ranges() {
        let mut r = Ranges::new([(10, 11), (20, 30)]).unwrap();
        let t = r.take_lowest(4).unwrap();
        assert_eq!(t.pairs(), &[(10, 11), (20, 21)]);
        assert_eq!(r.pairs(), &[(22, 30)]);
        assert!(r.take_lowest(10).is_none());
        assert_eq!(r.pairs(), &[(22, 30)]);
        let t = r.take_lowest(0).unwrap();
        assert!(t.is_empty());
        let mut edge = Ranges::new([(u64::MAX - 1, u64::MAX)]).unwrap();
        assert_eq!(edge.take_lowest(2).unwrap().count(), 2);
        assert!(edge.is_empty());
    }
}
