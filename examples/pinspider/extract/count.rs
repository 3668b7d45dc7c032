//! Counts as Pinterest writes them: `56,312`, `1.2k`, `3.4m`, `12 Followers`, `1 234`.

/// Reads the first number of `raw` (thousands separators `,`, `'`, spaces, or `.` before
/// exactly three digits; suffixes `k`, `m`, `b`, case-insensitive) as an integer.
/// Returns `None` when there is no number or it does not fit in a `u64`.
pub fn parse_count(raw: &str) -> Option<u64> {
    let text = raw.trim();
    // Start at the first digit; give up if text comes before it (e.g. "Followers 12").
    let start = text.find(|c: char| c.is_ascii_digit())?;
    if text[..start].chars().any(|c| c.is_alphanumeric()) {
        return None;
    }
    let rest = &text[start..];
    let mut int_digits = String::new();
    let mut frac_digits = String::new();
    let mut in_frac = false;
    let mut end = rest.len();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '0'..='9' if in_frac => frac_digits.push(c),
            '0'..='9' => int_digits.push(c),
            ',' | '\'' | '\u{a0}' | '\u{202f}' | ' ' if !in_frac => {
                // A separator only if digits follow.
                if !matches!(chars.peek(), Some((_, d)) if d.is_ascii_digit()) {
                    end = i;
                    break;
                }
            }
            '.' if !in_frac => in_frac = true,
            _ => {
                end = i;
                break;
            }
        }
    }
    let suffix = rest[end..].trim_start();
    let multiplier: u128 = match suffix.chars().next().map(|c| c.to_ascii_lowercase()) {
        Some('k') if !next_is_letter(suffix) => 1_000,
        Some('m') if !next_is_letter(suffix) => 1_000_000,
        Some('b') if !next_is_letter(suffix) => 1_000_000_000,
        _ => 1,
    };
    if multiplier == 1 && !frac_digits.is_empty() {
        // "1.234" without a suffix: a European thousands separator, else not a count.
        if frac_digits.len() % 3 == 0 {
            int_digits.push_str(&frac_digits);
            frac_digits.clear();
        } else {
            return None;
        }
    }
    if int_digits.is_empty() || int_digits.len() > 20 || frac_digits.len() > 9 {
        return None;
    }
    let int: u128 = int_digits.parse().ok()?;
    let frac: u128 = if frac_digits.is_empty() {
        0
    } else {
        frac_digits.parse().ok()?
    };
    let scale = 10u128.checked_pow(u32::try_from(frac_digits.len()).ok()?)?;
    let value = int
        .checked_mul(multiplier)?
        .checked_add(frac.checked_mul(multiplier)? / scale)?;
    u64::try_from(value).ok()
}

/// `true` when the suffix letter is followed by another letter ("Boards", "Mio"), i.e. it
/// is a word rather than a multiplier.
fn next_is_letter(suffix: &str) -> bool {
    suffix.chars().nth(1).is_some_and(|c| c.is_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn plain_and_separated() {
        assert_eq!(parse_count("0"), Some(0));
        assert_eq!(parse_count("751"), Some(751));
        assert_eq!(parse_count("56,312"), Some(56312));
        assert_eq!(parse_count(" 1,234,567 "), Some(1_234_567));
        assert_eq!(parse_count("1 234"), Some(1234));
        assert_eq!(parse_count("1\u{a0}234"), Some(1234));
        assert_eq!(parse_count("1.234"), Some(1234));
        assert_eq!(parse_count("106168"), Some(106_168));
    }

    #[test]
    fn suffixes() {
        assert_eq!(parse_count("1.2k"), Some(1200));
        assert_eq!(parse_count("1.2K"), Some(1200));
        assert_eq!(parse_count("3.4m"), Some(3_400_000));
        assert_eq!(parse_count("12.5M followers"), Some(12_500_000));
        assert_eq!(parse_count("2b"), Some(2_000_000_000));
        assert_eq!(parse_count("999k"), Some(999_000));
        assert_eq!(parse_count("1.25k"), Some(1250));
    }

    #[test]
    fn with_words() {
        assert_eq!(parse_count("56,312 Followers"), Some(56312));
        assert_eq!(parse_count("19 Boards"), Some(19));
        assert_eq!(parse_count("0 Following"), Some(0));
        assert_eq!(parse_count("102 Likes"), Some(102));
        assert_eq!(parse_count("5 Mio"), Some(5));
    }

    #[test]
    fn not_counts() {
        assert_eq!(parse_count(""), None);
        assert_eq!(parse_count("many"), None);
        assert_eq!(parse_count("Followers 12"), None);
        assert_eq!(parse_count("1.5"), None);
        assert_eq!(parse_count("99999999999999999999999"), None);
        assert_eq!(parse_count("18446744073709551616"), None);
        assert_eq!(parse_count("99999999999999999999b"), None);
    }
}
