//! URLs: usernames from profile URLs, board URLs from paths, and other users discovered
//! on a page (links to `/<username>/`, pinners and owners in the embedded JSON).

use super::json_state::{JsonState, nested_username, str_field};
use kuchiki::NodeRef;
use url::Url;

/// Most links read from one page, and most users reported from one page.
const MAX_LINKS: usize = 5_000;
const MAX_USERS: usize = 200;

/// First path segments that are Pinterest pages, not users.
const RESERVED: &[&str] = &[
    "pin",
    "pins",
    "search",
    "ideas",
    "about",
    "login",
    "logout",
    "signup",
    "settings",
    "resource",
    "today",
    "explore",
    "business",
    "categories",
    "topics",
    "news_hub",
    "help",
    "privacy",
    "terms",
    "password",
    "videos",
    "shopping",
    "_",
];

/// Second path segments that are tabs of a profile, not boards.
const PROFILE_TABS: &[&str] = &[
    "pins",
    "boards",
    "followers",
    "following",
    "_saved",
    "_created",
    "likes",
];

/// Whether `name` looks like a Pinterest username (letters, digits, `_`; 1–30).
pub fn is_username(name: &str) -> bool {
    (1..=30).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
}

/// The username of a profile or board URL: its first path segment, if it is one.
pub fn username_of(url: &Url) -> Option<String> {
    let first = url.path_segments()?.next()?;
    is_username(first).then(|| first.to_string())
}

/// `<origin>/<username>/` on the same site as `base`.
pub fn profile_url(base: &Url, username: &str) -> Option<Url> {
    if !is_username(username) {
        return None;
    }
    base.join(&format!("/{username}/")).ok()
}

/// The absolute URL of a board path such as `/cindybcindyb/juicing/`, if it has the shape
/// `/<username>/<slug>/` and is on the same site as `base`.
pub fn board_url(base: &Url, href: &str) -> Option<Url> {
    let url = base.join(href).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        [user, slug] if is_username(user) && !PROFILE_TABS.contains(slug) => {
            let mut url = url.clone();
            url.set_query(None);
            url.set_fragment(None);
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            Some(url)
        }
        _ => None,
    }
}

/// Profile URLs of the `<a href="/<username>/">` links on the page (same site only).
pub fn linked_users(doc: &NodeRef, page_url: &Url) -> Vec<Url> {
    let Ok(anchors) = doc.select("a[href]") else {
        return Vec::new();
    };
    anchors
        .take(MAX_LINKS)
        .filter_map(|a| {
            let href = a.attributes.borrow().get("href")?.to_string();
            let url = page_url.join(&href).ok()?;
            if url.origin() != page_url.origin() {
                return None;
            }
            let segs: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
            match segs.as_slice() {
                [user] => profile_url(page_url, user),
                _ => None,
            }
        })
        .collect()
}

/// Profile URLs of the users named in the embedded JSON: user objects, pinners, owners.
pub fn json_users(states: &[JsonState], page_url: &Url) -> Vec<Url> {
    let mut names = Vec::new();
    for s in states {
        names.extend(s.users.iter().filter_map(|u| str_field(u, &["username"])));
        names.extend(s.pins.iter().filter_map(|p| nested_username(p, "pinner")));
        names.extend(s.boards.iter().filter_map(|b| nested_username(b, "owner")));
    }
    names
        .iter()
        .filter_map(|n| profile_url(page_url, n))
        .collect()
}

/// Unique profile URLs in first-seen order, without `own` (the page's user), capped.
pub fn dedup_users(users: Vec<Url>, own: Option<&str>) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    for u in users {
        let name = username_of(&u);
        if own.is_some_and(|o| name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(o))) {
            continue;
        }
        if !out.contains(&u) {
            out.push(u);
        }
        if out.len() >= MAX_USERS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuchiki::traits::TendrilSink;

    #[test]
    fn usernames_and_boards() {
        let base = Url::parse("http://127.0.0.1:8080/techcrunch/").unwrap();
        assert_eq!(username_of(&base).as_deref(), Some("techcrunch"));
        assert_eq!(username_of(&base.join("/pin/123/").unwrap()), None);
        assert_eq!(username_of(&base.join("/robots.txt").unwrap()), None);
        assert_eq!(
            board_url(&base, "/cindy/juicing").unwrap().as_str(),
            "http://127.0.0.1:8080/cindy/juicing/"
        );
        assert_eq!(board_url(&base, "/cindy/followers/"), None);
        assert_eq!(board_url(&base, "http://evil.example/cindy/juicing/"), None);
        assert_eq!(board_url(&base, "/a/b/c/"), None);
        assert_eq!(profile_url(&base, "x y"), None);
    }

    #[test]
    fn linked_users_same_site_only() {
        let base = Url::parse("http://h/techcrunch/").unwrap();
        let doc = kuchiki::parse_html().one(
            r#"<a href="/lindarden/">L</a><a href="http://other/x/">o</a>
               <a href="/search/">s</a><a href="/techcrunch/">me</a><a href="/lindarden">again</a>"#,
        );
        let users = dedup_users(linked_users(&doc, &base), Some("techcrunch"));
        assert_eq!(users, vec![Url::parse("http://h/lindarden/").unwrap()]);
    }
}
