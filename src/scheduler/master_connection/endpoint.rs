//! Master URLs: the scheduler endpoint of a master base URL, and where a 307 `Location`
//! points (real masters send a protocol-relative `//leader-host:5050/master/api/v1/scheduler`).

/// The scheduler API path on a master.
pub(super) const SCHEDULER_PATH: &str = "/api/v1/scheduler";

/// The scheduler endpoint of a master given as a base URL (`http://m1:5050`), a bare
/// `host:port` (taken as `http://`), or already the full endpoint URL.
pub(super) fn scheduler_url(master: &str) -> String {
    let master = master.trim().trim_end_matches('/');
    let with_scheme = if master.contains("://") {
        master.to_string()
    } else {
        format!("http://{master}")
    };
    if with_scheme.ends_with(SCHEDULER_PATH) {
        with_scheme
    } else {
        format!("{with_scheme}{SCHEDULER_PATH}")
    }
}

/// Whether `master` names an HTTP(S) master (a bare `host:port` counts as `http`).
/// `zk://` URLs (ZooKeeper leader detection) are not supported here.
pub(super) fn is_supported(master: &str) -> bool {
    match master.trim().split_once("://") {
        None => !master.trim().is_empty(),
        Some((scheme, _)) => {
            scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
        }
    }
}

/// Resolves a redirect `Location` against the URL that answered it: protocol-relative
/// (`//host:port/path`, the real master's form), absolute, or a path. Only `http` and
/// `https` targets are accepted.
pub(super) fn resolve_location(current: &str, location: &str) -> Option<String> {
    let base = url::Url::parse(current).ok()?;
    let target = base.join(location.trim()).ok()?;
    if matches!(target.scheme(), "http" | "https") && target.host().is_some() {
        Some(target.to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_from_master_forms() {
        assert_eq!(
            scheduler_url("http://m1:5050"),
            "http://m1:5050/api/v1/scheduler"
        );
        assert_eq!(
            scheduler_url("https://m1:5050/"),
            "https://m1:5050/api/v1/scheduler"
        );
        assert_eq!(scheduler_url("m1:5050"), "http://m1:5050/api/v1/scheduler");
        assert_eq!(
            scheduler_url("http://m1:5050/master/api/v1/scheduler"),
            "http://m1:5050/master/api/v1/scheduler"
        );
    }

    #[test]
    fn supported_schemes() {
        assert!(is_supported("http://m1:5050"));
        assert!(is_supported("HTTPS://m1:5050"));
        assert!(is_supported("m1:5050"));
        assert!(!is_supported("zk://zk1:2181/mesos"));
        assert!(!is_supported(" "));
    }

    #[test]
    fn real_master_location_is_protocol_relative() {
        let from = "https://10.0.0.1:5050/api/v1/scheduler";
        assert_eq!(
            resolve_location(from, "//leader-host:5050/master/api/v1/scheduler").as_deref(),
            Some("https://leader-host:5050/master/api/v1/scheduler")
        );
        assert_eq!(
            resolve_location(from, "http://other:5051/api/v1/scheduler").as_deref(),
            Some("http://other:5051/api/v1/scheduler")
        );
        assert_eq!(
            resolve_location(from, "/master/api/v1/scheduler").as_deref(),
            Some("https://10.0.0.1:5050/master/api/v1/scheduler")
        );
        assert_eq!(resolve_location(from, "ftp://x/y"), None);
        assert_eq!(resolve_location("not a url", "//x:1/y"), None);
    }
}
