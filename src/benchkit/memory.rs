//! Resident memory of the process (Linux), for the "bytes resident per tracked task"
//! figure: the driver reads it before and after queueing a run's tasks, while the source
//! is still idle, so the growth is the framework's bookkeeping for those tasks. It hands
//! them over in batches of 64: the benchmark's own spec values of one batch are freed
//! before the next is built, so their memory is reused instead of counted.

/// Resident set size of this process in bytes, from `/proc/self/statm` (`None` when the
/// file is missing or unreadable, e.g. on a non-Linux system).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    parse_statm(&statm, page_size())
}

/// The resident pages (second field) of a `statm` line times `page`.
fn parse_statm(statm: &str, page: u64) -> Option<u64> {
    let pages: u64 = statm.split_ascii_whitespace().nth(1)?.parse().ok()?;
    pages.checked_mul(page)
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// Bytes per task of the growth from `before` to `after` (`None` if either is unknown or
/// there are no tasks; 0 when the process shrank).
pub fn per_task(before: Option<u64>, after: Option<u64>, tasks: usize) -> Option<f64> {
    let (before, after) = (before?, after?);
    (tasks > 0).then(|| after.saturating_sub(before) as f64 / tasks as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let rss = resident_bytes().expect("linux /proc");
        assert!(rss > 0);
    }

    #[test]
    fn hostile_statm_is_none() {
        assert_eq!(parse_statm("", 4096), None);
        assert_eq!(parse_statm("12", 4096), None);
        assert_eq!(parse_statm("12 x 3", 4096), None);
        assert_eq!(parse_statm("1 99999999999999999999", 4096), None);
        assert_eq!(parse_statm("1 18446744073709551615", 4096), None);
        assert_eq!(parse_statm("100 25 3 1 0 9 0\n", 4096), Some(102_400));
    }

    #[test]
    fn growth_per_task() {
        assert_eq!(per_task(Some(1000), Some(3000), 4), Some(500.0));
        assert_eq!(per_task(Some(3000), Some(1000), 4), Some(0.0));
        assert_eq!(per_task(None, Some(1000), 4), None);
        assert_eq!(per_task(Some(1), Some(2), 0), None);
    }
}
