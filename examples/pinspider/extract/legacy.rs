//! Layer 3: the class-based DOM of 2014 that the original pinspider read with jsoup:
//! `UserProfileHeader`, `fixedHeaderName`, `aboutText`, `locationWrapper`, `website`,
//! `facebook`, `twitter`, `UserInfoBar li`, and boards as `.Board` with `.boardName`.

use crate::model::Count;
use kuchiki::NodeRef;

/// Most `.Board` elements read from one page.
const MAX_BOARDS: usize = 500;

/// The fields of a 2014 profile header.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LegacyProfile {
    /// `.fixedHeaderName` (or `h2.userProfileHeaderName`) text.
    pub name: Option<String>,
    /// `.aboutText` text.
    pub about: Option<String>,
    /// `.locationWrapper` text.
    pub location: Option<String>,
    /// `.website` href.
    pub website: Option<String>,
    /// `.facebook` href.
    pub facebook: Option<String>,
    /// `.twitter` href.
    pub twitter: Option<String>,
    /// `.UserInfoBar li` counts.
    pub boards: Option<Count>,
    /// Pins.
    pub pins: Option<Count>,
    /// Likes.
    pub likes: Option<Count>,
    /// Followers.
    pub followers: Option<Count>,
    /// Following.
    pub following: Option<Count>,
}

/// A board tile of a 2014 profile page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LegacyBoard {
    /// `.title` text.
    pub title: Option<String>,
    /// `.fullName` text: the owner's display name.
    pub full_name: Option<String>,
    /// The first link's href.
    pub href: Option<String>,
    /// `.PinCount`.
    pub pin_count: Option<Count>,
    /// `.boardCover` src.
    pub cover: Option<String>,
}

fn first_text(root: &NodeRef, selector: &str) -> Option<String> {
    let node = root.select_first(selector).ok()?;
    clean(&node.text_contents())
}

fn first_attr(root: &NodeRef, selector: &str, attr: &str) -> Option<String> {
    let node = root.select_first(selector).ok()?;
    let attrs = node.attributes.borrow();
    clean(attrs.get(attr)?)
}

/// Collapses whitespace; `None` when empty.
pub fn clean(text: &str) -> Option<String> {
    let s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!s.is_empty()).then_some(s)
}

/// The profile header, if the page has a `.UserProfileHeader`.
pub fn profile(doc: &NodeRef) -> Option<LegacyProfile> {
    let header = doc.select_first(".UserProfileHeader").ok()?;
    let header = header.as_node();
    let mut p = LegacyProfile {
        name: first_text(header, ".fixedHeaderName")
            .or_else(|| first_text(doc, ".fixedHeaderName"))
            .or_else(|| first_text(doc, "h2.userProfileHeaderName")),
        about: first_text(doc, ".aboutText"),
        location: first_text(doc, ".locationWrapper"),
        website: first_attr(doc, ".website", "href"),
        facebook: first_attr(doc, ".facebook", "href"),
        twitter: first_attr(doc, ".twitter", "href"),
        ..Default::default()
    };
    // `.UserInfoBar li`: "19 Boards", "751 Pins", "102 Likes", "56,312 Followers",
    // "0 Following". Match by label; fall back to position for unlabelled items.
    if let Ok(items) = doc.select(".UserInfoBar li") {
        for (i, li) in items.take(10).enumerate() {
            let Some(text) = clean(&li.text_contents()) else {
                continue;
            };
            let label = text.to_ascii_lowercase();
            let first_word = text.split(' ').next().unwrap_or_default();
            let count = Some(Count::parse(first_word));
            let slot = if label.contains("board") {
                &mut p.boards
            } else if label.contains("pin") {
                &mut p.pins
            } else if label.contains("like") {
                &mut p.likes
            } else if label.contains("follower") {
                &mut p.followers
            } else if label.contains("following") {
                &mut p.following
            } else {
                match i {
                    0 => &mut p.boards,
                    1 => &mut p.pins,
                    2 => &mut p.likes,
                    3 => &mut p.followers,
                    4 => &mut p.following,
                    _ => continue,
                }
            };
            if slot.is_none() {
                *slot = count;
            }
        }
    }
    Some(p)
}

/// The `.Board` tiles that contain a `.boardName`.
pub fn boards(doc: &NodeRef) -> Vec<LegacyBoard> {
    let Ok(tiles) = doc.select(".Board") else {
        return Vec::new();
    };
    tiles
        .filter(|b| b.as_node().select_first(".boardName").is_ok())
        .take(MAX_BOARDS)
        .map(|b| {
            let b = b.as_node();
            LegacyBoard {
                title: first_text(b, ".boardName .title").or_else(|| first_text(b, ".title")),
                full_name: first_text(b, ".fullName"),
                href: first_attr(b, ".boardLinkWrapper", "href")
                    .or_else(|| first_attr(b, "a", "href")),
                pin_count: first_text(b, ".PinCount")
                    .map(|t| Count::parse(t.split(' ').next().unwrap_or_default())),
                cover: first_attr(b, ".boardCover", "src")
                    .or_else(|| first_attr(b, ".boardCover img", "src")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuchiki::traits::TendrilSink;

    #[test]
    fn header_and_boards() {
        let doc = kuchiki::parse_html().one(
            r#"<div class="UserProfileHeader"><h1 class="fixedHeaderName"> Tech  Crunch </h1>
            <p class="aboutText">News</p><li class="locationWrapper">SF, CA</li>
            <a class="website" href="http://techcrunch.com/">w</a>
            <a class="twitter" href="http://twitter.com/TechCrunch">t</a></div>
            <ul class="UserInfoBar"><li>19 Boards</li><li>751 Pins</li><li>102 Likes</li>
            <li><a>56,312 Followers</a></li><li>0 Following</li></ul>
            <div class="Board"><a href="/tc/gadgets/" class="boardLinkWrapper">
              <div class="boardName"><h3 class="title">Gadgets</h3></div>
              <img class="boardCover" src="http://i/c.jpg" alt="Gadgets"></a>
              <h4 class="fullName">TechCrunch</h4><div class="PinCount">42 Pins</div></div>
            <div class="Board">no name, skipped</div>"#,
        );
        let p = profile(&doc).unwrap();
        assert_eq!(p.name.as_deref(), Some("Tech Crunch"));
        assert_eq!(p.location.as_deref(), Some("SF, CA"));
        assert_eq!(p.facebook, None);
        assert_eq!(p.followers.unwrap().value, Some(56312));
        assert_eq!(p.following.unwrap().value, Some(0));
        assert_eq!(p.likes.unwrap().raw, "102");
        let b = boards(&doc);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].title.as_deref(), Some("Gadgets"));
        assert_eq!(b[0].href.as_deref(), Some("/tc/gadgets/"));
        assert_eq!(b[0].pin_count.as_ref().unwrap().value, Some(42));
        assert_eq!(b[0].cover.as_deref(), Some("http://i/c.jpg"));
        assert!(profile(&kuchiki::parse_html().one("<p>x</p>")).is_none());
    }
}
