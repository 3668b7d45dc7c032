//! Parsing of stout duration strings, the format Mesos uses for durations in flags and in
//! the executor's environment: `<number><unit>` with `unit` one of
//! `ns us ms secs mins hrs days weeks` (`5secs`, `250ms`, `1.5mins`, `2hrs`).

use std::time::Duration;

/// The longest duration accepted: 365 days. Anything longer in an executor's environment is
/// a mistake, and capping it keeps every later `Instant + Duration` free of overflow.
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// The longest duration string accepted (bytes).
const MAX_LEN: usize = 64;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    /// The empty string.
    #[error("empty duration")]
    Empty,
    /// Longer than 64 bytes.
    #[error("duration string of {0} bytes is too long")]
    TooLong(usize),
    /// A leading `-`.
    #[error("negative duration")]
    Negative,
    /// No number, or a number that is not plain decimal (`1.2.3`, `1e3`, `+5`).
    #[error("invalid number {0:?}")]
    BadNumber(String),
    /// No unit, or one Mesos does not know.
    #[error("unknown unit {0:?} (expected one of ns, us, ms, secs, mins, hrs, days, weeks)")]
    BadUnit(String),
    /// More than [`MAX_DURATION`] (365 days).
    #[error("duration exceeds the 365-day cap")]
    TooLarge,
}

/// Parses a stout duration string such as `5secs`, `250ms` or `1.5mins`.
///
/// Leading and trailing whitespace is ignored; the number is plain decimal (digits with an
/// optional fraction), the unit exact and lower-case. Results above [`MAX_DURATION`] and
/// negative values are refused; a fraction finer than a nanosecond is truncated.
pub(crate) fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    if input.len() > MAX_LEN {
        return Err(DurationError::TooLong(input.len()));
    }
    let s = input.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    if s.starts_with('-') {
        return Err(DurationError::Negative);
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let nanos_per_unit: f64 = match unit {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "secs" => 1e9,
        "mins" => 60e9,
        "hrs" => 3600e9,
        "days" => 86_400e9,
        "weeks" => 604_800e9,
        other => return Err(DurationError::BadUnit(other.to_string())),
    };
    let well_formed = !number.is_empty()
        && number.chars().filter(|&c| c == '.').count() <= 1
        && number.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(DurationError::BadNumber(number.to_string()));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| DurationError::BadNumber(number.to_string()))?;
    let nanos = value * nanos_per_unit;
    if !nanos.is_finite() || nanos > MAX_DURATION.as_nanos() as f64 {
        return Err(DurationError::TooLarge);
    }
    // In range and non-negative: the cast cannot saturate.
    Ok(Duration::from_nanos(nanos as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesos_examples() {
        assert_eq!(parse_duration("5secs"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5mins"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2hrs"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("15mins"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("3days"), Ok(Duration::from_secs(3 * 86400)));
        assert_eq!(parse_duration("1weeks"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("10us"), Ok(Duration::from_micros(10)));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
        assert_eq!(parse_duration(" 2secs\n"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0secs"), Ok(Duration::ZERO));
        assert_eq!(parse_duration(".5secs"), Ok(Duration::from_millis(500)));
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("   "), Err(DurationError::Empty));
        assert_eq!(parse_duration("-5secs"), Err(DurationError::Negative));
        assert!(matches!(
            parse_duration("5parsecs"),
            Err(DurationError::BadUnit(u)) if u == "parsecs"
        ));
        assert!(matches!(parse_duration("5"), Err(DurationError::BadUnit(u)) if u.is_empty()));
        assert!(matches!(
            parse_duration("5 secs"),
            Err(DurationError::BadUnit(_))
        ));
        assert!(matches!(
            parse_duration("5SECS"),
            Err(DurationError::BadUnit(_))
        ));
        assert!(matches!(
            parse_duration("secs"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration("1.2.3secs"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration(".secs"),
            Err(DurationError::BadNumber(_))
        ));
        assert!(matches!(
            parse_duration("1e3secs"),
            Err(DurationError::BadUnit(_))
        ));
        assert!(matches!(
            parse_duration("+5secs"),
            Err(DurationError::BadUnit(_))
        ));
        assert!(matches!(
            parse_duration("5secs5"),
            Err(DurationError::BadUnit(_))
        ));
        assert!(matches!(
            parse_duration("٣secs"),
            Err(DurationError::BadUnit(_))
        ));
    }

    #[test]
    fn huge_values_are_capped_not_overflowed() {
        assert_eq!(parse_duration("366days"), Err(DurationError::TooLarge));
        assert_eq!(
            parse_duration("99999999999999999999weeks"),
            Err(DurationError::TooLarge)
        );
        let long = format!("{}secs", "9".repeat(60));
        assert_eq!(parse_duration(&long), Err(DurationError::TooLarge));
        let too_long = format!("{}secs", "9".repeat(100));
        assert!(matches!(
            parse_duration(&too_long),
            Err(DurationError::TooLong(_))
        ));
        assert_eq!(parse_duration("365days"), Ok(MAX_DURATION));
        assert_eq!(
            parse_duration("52weeks").map(|d| d.as_secs()),
            Ok(52 * 604_800)
        );
    }
}
