//! The board list of a profile page: the boards the known layers name (embedded JSON, the
//! 2014 `.Board` tiles), then every plain link to `/<user>/<slug>/` the page carries,
//! whatever markup it sits in. The known layers win; a plain link only fills their gaps
//! or adds a board they did not name. Boards are de-duplicated by their path (ignoring
//! case) and capped.

use super::BoardLink;
use super::count::parse_count;
use super::json_state::{JsonState, count_field, nested_username, str_field};
use super::legacy;
use super::links::{board_url, username_of};
use super::name::tidy;
use crate::model::Count;
use kuchiki::NodeRef;
use kuchiki::iter::NodeIterator;
use std::collections::HashMap;
use url::Url;

/// Most board candidates kept from one page (a hostile page may link a million paths).
pub const MAX_BOARD_CANDIDATES: usize = 2_000;
/// Longest slug accepted, in bytes (percent-encoded).
const MAX_SLUG_BYTES: usize = 300;

/// Second path segments that are pages of a profile, not boards (besides any slug
/// starting with `_`, which Pinterest keeps for itself: `_saved`, `_created`, `_tools`).
const RESERVED_SLUGS: &[&str] = &[
    "pins",
    "boards",
    "followers",
    "following",
    "likes",
    "activity",
    "tried",
    "topics",
    "more_ideas",
    "collages",
    "videos",
    "shop",
    "ideas",
    "feed",
    "settings",
];

/// The user's boards, known layers first, then plain links, at most
/// [`MAX_BOARD_CANDIDATES`].
pub fn board_links(
    doc: &NodeRef,
    states: &[JsonState],
    page_url: &Url,
    username: Option<&str>,
) -> Vec<BoardLink> {
    let mut boards = Boards::default();
    for state in states {
        for b in &state.boards {
            let Some(path) = str_field(b, &["url"]) else {
                continue;
            };
            let Some(url) = board_url(page_url, &path) else {
                continue;
            };
            let owner = nested_username(b, "owner").or_else(|| username_of(&url));
            if let (Some(owner), Some(user)) = (&owner, username) {
                if !owner.eq_ignore_ascii_case(user) {
                    continue;
                }
            }
            boards.add(BoardLink {
                url,
                title: str_field(b, &["name"]),
                pin_count: count_field(b, &["pin_count", "pinCount"]),
                cover_image: str_field(
                    b,
                    &["image_cover_url", "image_thumbnail_url", "imageCoverUrl"],
                ),
                from_markup: false,
            });
        }
    }
    for b in legacy::boards(doc) {
        let Some(url) = b.href.as_deref().and_then(|h| board_url(page_url, h)) else {
            continue;
        };
        boards.add(BoardLink {
            url,
            title: b.title,
            pin_count: b.pin_count,
            cover_image: b.cover,
            from_markup: false,
        });
    }
    if let Some(user) = username {
        for link in plain_links(doc, page_url, user) {
            boards.add(link);
        }
    }
    boards.list
}

/// Boards in first-seen order, looked up by lower-cased path.
#[derive(Default)]
struct Boards {
    list: Vec<BoardLink>,
    by_path: HashMap<String, usize>,
}

impl Boards {
    /// Adds `link`, or fills the gaps of the board already listed at its path.
    fn add(&mut self, link: BoardLink) {
        let key = link.url.path().to_lowercase();
        if let Some(&i) = self.by_path.get(&key) {
            if let Some(known) = self.list.get_mut(i) {
                known.title = known.title.take().or(link.title);
                known.pin_count = known.pin_count.take().or(link.pin_count);
                known.cover_image = known.cover_image.take().or(link.cover_image);
            }
            return;
        }
        if self.list.len() >= MAX_BOARD_CANDIDATES {
            return;
        }
        self.by_path.insert(key, self.list.len());
        self.list.push(link);
    }
}

/// Board candidates from the page's `<a href>` links: same site, `/<user>/<slug>/` with
/// `user` the page's user and `slug` not one of the profile's own pages. Titled from the
/// link's `title` attribute, else its text; a pin count shown in the link is kept.
pub fn plain_links(doc: &NodeRef, page_url: &Url, user: &str) -> Vec<BoardLink> {
    let Ok(anchors) = doc.select("a[href]") else {
        return Vec::new();
    };
    let mut out: Vec<BoardLink> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for a in anchors {
        let (url, title) = {
            let attrs = a.attributes.borrow();
            let Some(url) = attrs
                .get("href")
                .and_then(|h| candidate_url(page_url, h, user))
            else {
                continue;
            };
            (url, attrs.get("title").and_then(tidy))
        };
        let (text, pin_count) = tile_text(a.as_node());
        let title = title.or(text);
        let key = url.path().to_lowercase();
        match seen.get(&key) {
            // The same board linked twice (an image link, then a text link): the first
            // title and count found win.
            Some(&i) => {
                if let Some(b) = out.get_mut(i) {
                    b.title = b.title.take().or(title);
                    b.pin_count = b.pin_count.take().or(pin_count);
                }
            }
            None if out.len() < MAX_BOARD_CANDIDATES => {
                seen.insert(key, out.len());
                out.push(BoardLink {
                    url,
                    title,
                    pin_count,
                    cover_image: None,
                    from_markup: true,
                });
            }
            None => break,
        }
    }
    out
}

/// Most text pieces of one link looked at.
const MAX_TEXT_PIECES: usize = 50;

/// A link's text, its pieces joined by spaces (`<div>Viajes</div><div>12 Pins</div>` is
/// `Viajes 12 Pins`), and the tile's pin count when its last piece is one (a number and
/// a word, after some other text): `(Some("Viajes"), Some(12))`.
fn tile_text(link: &NodeRef) -> (Option<String>, Option<Count>) {
    let pieces: Vec<String> = link
        .inclusive_descendants()
        .text_nodes()
        .filter_map(|t| tidy(&t.borrow()))
        .take(MAX_TEXT_PIECES)
        .collect();
    let is_count = |p: &str| {
        p.starts_with(|c: char| c.is_ascii_digit())
            && p.contains(char::is_alphabetic)
            && parse_count(p).is_some()
    };
    match pieces.split_last() {
        Some((last, rest)) if !rest.is_empty() && is_count(last) => {
            (tidy(&rest.join(" ")), Some(Count::parse(last)))
        }
        _ => (tidy(&pieces.join(" ")), None),
    }
}

/// The board URL `href` points to, if it is a board of `user` on the page's site.
pub fn candidate_url(page_url: &Url, href: &str, user: &str) -> Option<Url> {
    let url = board_url(page_url, href.trim())?;
    let mut segs = url.path_segments()?.filter(|s| !s.is_empty());
    let (owner, slug) = (segs.next()?, segs.next()?);
    let slug_ok = slug.len() <= MAX_SLUG_BYTES
        && !slug.starts_with('_')
        && slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '%'))
        && decoded_slug_ok(slug)
        && !RESERVED_SLUGS.iter().any(|r| r.eq_ignore_ascii_case(slug));
    (owner.eq_ignore_ascii_case(user) && slug_ok).then_some(url)
}

/// Whether a percent-encoded slug decodes to text a board slug can be: UTF-8 without
/// control characters, separators, dots or the replacement character.
fn decoded_slug_ok(slug: &str) -> bool {
    let raw = slug.as_bytes();
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                bytes.push(v);
                i += 3;
            }
            (b'%', None) => return false,
            _ => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).is_ok_and(|s| {
        !s.is_empty()
            && !s
                .chars()
                .any(|c| c.is_control() || matches!(c, '/' | '\\' | '.' | '\u{fffd}' | '%'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuchiki::traits::TendrilSink;

    fn base() -> Url {
        Url::parse("http://h:8080/marisol/").unwrap()
    }

    fn paths(links: &[BoardLink]) -> Vec<&str> {
        links.iter().map(|b| b.url.path()).collect()
    }

    #[test]
    fn candidates_and_what_is_not_one() {
        let ok = |h: &str| candidate_url(&base(), h, "marisol").map(|u| u.path().to_string());
        assert_eq!(ok("/marisol/viajes/").as_deref(), Some("/marisol/viajes/"));
        assert_eq!(ok("viajes").as_deref(), Some("/marisol/viajes/"));
        assert_eq!(
            ok(" /Marisol/Viajes?x=1#top ").as_deref(),
            Some("/Marisol/Viajes/")
        );
        assert_eq!(
            ok("http://h:8080/marisol/caf%C3%A9/").as_deref(),
            Some("/marisol/caf%C3%A9/")
        );
        assert_eq!(ok("/marisol/café/").as_deref(), Some("/marisol/caf%C3%A9/"));
        for bad in [
            "/pin/123/",
            "/_/graphql/",
            "/search/pins/?q=x",
            "/marisol/pins/",
            "/marisol/followers/",
            "/marisol/following/",
            "/marisol/_saved/",
            "/marisol/_created/",
            "/marisol/_tools/more/",
            "/marisol/",
            "/marisol/a/b/",
            "/otra/viajes/",
            "/marisol/viajes.rss",
            "/marisol/../pin/1/",
            "/marisol/%2e%2e/",
            "/marisol/%00/",
            "/marisol/a%2fb/",
            "/marisol/a%5Cb/",
            "/marisol/%ff%fe/",
            "/marisol/%EF%BF%BD/",
            "/marisol/%zz/",
            "/marisol/%2525/",
            "/x/../../marisol/",
            "javascript:alert('/marisol/viajes/')",
            "mailto:marisol@h",
            "data:text/html,/marisol/viajes/",
            "http://other.example/marisol/viajes/",
            "https://h:8080/marisol/viajes/",
            "//other.example/marisol/viajes/",
            "http://h:8081/marisol/viajes/",
            "",
        ] {
            assert_eq!(ok(bad), None, "{bad:?}");
        }
        assert_eq!(ok(&format!("/marisol/{}/", "a".repeat(10_000))), None);
    }

    #[test]
    fn titles_from_attribute_or_text_and_duplicates() {
        let doc = kuchiki::parse_html().one(
            r#"<div class="q9"><a href="/marisol/viajes/"><img alt=""></a>
               <a href="/marisol/viajes/" title=" Viajes  ">ignored text</a>
               <span><a href="/marisol/recetas/">Recetas <b>caseras</b></a></span>
               <a href="/MARISOL/RECETAS/" title="Dup">dup</a>
               <a href="/marisol/empty/"></a>
               <a href="/marisol/tile/"><div>Tile</div><div>1,203 Pins</div></a>
               <a href="/marisol/2024/"><span>2024</span></a></div>"#,
        );
        let links = plain_links(&doc, &base(), "marisol");
        assert_eq!(
            paths(&links),
            vec![
                "/marisol/viajes/",
                "/marisol/recetas/",
                "/marisol/empty/",
                "/marisol/tile/",
                "/marisol/2024/"
            ]
        );
        let titles: Vec<_> = links.iter().map(|b| b.title.as_deref()).collect();
        assert_eq!(
            titles,
            vec![
                Some("Viajes"),
                Some("Recetas caseras"),
                None,
                Some("Tile"),
                Some("2024")
            ]
        );
        let pins: Vec<_> = links
            .iter()
            .map(|b| b.pin_count.as_ref().and_then(|c| c.value))
            .collect();
        assert_eq!(pins, vec![None, None, None, Some(1203), None]);
        assert!(links.iter().all(|b| b.from_markup));
    }

    #[test]
    fn known_layers_win_and_plain_links_fill_gaps() {
        let doc = kuchiki::parse_html().one(
            r#"<script id="__PWS_INITIAL_PROPS__" type="application/json">
               {"initialReduxState":{"boards":{
                 "1":{"url":"/marisol/viajes/","pin_count":7},
                 "2":{"url":"/marisol/recetas/","name":"Recetas (JSON)","pin_count":3}}}}
               </script>
               <a href="/marisol/recetas/" title="Recetas (link)">r</a>
               <a href="/marisol/Viajes/" title="Viajes (link)">v</a>
               <a href="/marisol/nuevo/">Nuevo</a>"#,
        );
        let (states, errors) = super::super::json_state::embedded_states(&doc);
        assert!(errors.is_empty(), "{errors:?}");
        let links = board_links(&doc, &states, &base(), Some("marisol"));
        assert_eq!(
            paths(&links),
            vec!["/marisol/viajes/", "/marisol/recetas/", "/marisol/nuevo/"]
        );
        assert_eq!(links[0].title.as_deref(), Some("Viajes (link)"));
        assert_eq!(links[0].pin_count.as_ref().and_then(|c| c.value), Some(7));
        assert!(!links[0].from_markup);
        assert_eq!(links[1].title.as_deref(), Some("Recetas (JSON)"));
        assert!(links[2].from_markup);
    }

    #[test]
    fn links_past_the_cap_are_dropped() {
        let mut html = String::new();
        for i in 0..(MAX_BOARD_CANDIDATES + 500) {
            html.push_str(&format!("<a href=\"/marisol/b{i}/\">{i}</a>"));
        }
        let doc = kuchiki::parse_html().one(html);
        let links = board_links(&doc, &[], &base(), Some("marisol"));
        assert_eq!(links.len(), MAX_BOARD_CANDIDATES);
        assert_eq!(links[0].url.path(), "/marisol/b0/");
    }
}
