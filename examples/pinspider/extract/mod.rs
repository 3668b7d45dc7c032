//! Extraction of profile and board pages with `kuchiki` (the `kuchikiki` fork).
//!
//! Every page generation is read, falling back in this order: meta tags ([`meta`]) →
//! embedded JSON ([`json_state`]: `__PWS_INITIAL_PROPS__`, `__PWS_DATA__`, `initial-state`)
//! → the 2014 class-based DOM ([`legacy`]). The first layer that has a field wins.
//! Display names are cleaned of Pinterest's title suffixes in every layer ([`name`]), and
//! a Pinterest-formatted `<title>` is the last source of a name. A profile's boards are
//! the ones the layers name plus every plain `<a href="/<user>/<slug>/">` on the page,
//! whatever its markup ([`boards`]).
//!
//! Trees are not `Send`: the functions here parse and extract in one go and return plain
//! data, so they can be called from any task. They never panic on input; a page with
//! nothing readable gives a record with an `error`.

pub mod boards;
pub mod count;
pub mod depth;
pub mod json_state;
pub mod legacy;
pub mod links;
pub mod meta;
pub mod name;
pub mod relay;

#[cfg(test)]
mod fuzz_tests;

use crate::model::{Board, Count, Profile};
use json_state::{JsonState, count_field, nested_username, str_field};
use kuchiki::traits::TendrilSink;
pub use links::{profile_url, username_of};
use name::display_name;
use url::Url;

/// A board as listed on a profile page, before its own page is visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardLink {
    /// Absolute board page URL.
    pub url: Url,
    /// Title shown on the tile.
    pub title: Option<String>,
    /// Pin count shown on the tile.
    pub pin_count: Option<Count>,
    /// Cover image.
    pub cover_image: Option<String>,
    /// Found only as a plain `<a href="/<user>/<slug>/">` link (no known layer named it):
    /// a candidate, visited only where `robots.txt` allows.
    pub from_markup: bool,
}

/// What a profile page yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePage {
    /// The profile record.
    pub profile: Profile,
    /// The user's boards.
    pub boards: Vec<BoardLink>,
    /// Profile URLs of other users linked from the page.
    pub users: Vec<Url>,
}

/// What a board page yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardPage {
    /// The board record.
    pub board: Board,
    /// Profile URLs of other users (pinners) found on the page.
    pub users: Vec<Url>,
}

/// Sets `slot` from `value` if it is empty; records `source` when it did.
fn fill<T>(slot: &mut Option<T>, value: Option<T>, source: &str, used: &mut Vec<String>) {
    if slot.is_none() && value.is_some() {
        *slot = value;
        if !used.iter().any(|s| s == source) {
            used.push(source.to_string());
        }
    }
}

fn count_tag(tags: &std::collections::BTreeMap<String, String>, name: &str) -> Option<Count> {
    meta::get(tags, name).map(Count::parse)
}

/// Extracts a profile page fetched from `page_url`.
pub fn extract_profile(html: &str, page_url: &Url) -> ProfilePage {
    let username = username_of(page_url);
    let mut p = Profile {
        url: page_url.to_string(),
        username: username.clone(),
        ..Default::default()
    };
    if let Err(e) = depth::check_depth(html, depth::MAX_DEPTH) {
        p.error = Some(e);
        return ProfilePage {
            profile: p,
            boards: Vec::new(),
            users: Vec::new(),
        };
    }
    let doc = kuchiki::parse_html().one(html);
    let mut used = Vec::new();

    // 1. Meta tags (and the same keys carried as JSON metatags by 2018 pages).
    let tags = meta::meta_tags(&doc);
    let (states, json_errors) = json_state::embedded_states(&doc);
    let h1 = name::first_h1(&doc);
    let clean = |raw: &str| display_name(raw, username.as_deref(), h1.as_deref());
    let json_tags = states.iter().filter(|s| !s.metatags.is_empty());
    for (tags, source) in
        std::iter::once((&tags, "meta")).chain(json_tags.map(|s| (&s.metatags, s.source)))
    {
        fill(
            &mut p.name,
            meta::get(tags, "og:title").and_then(clean),
            source,
            &mut used,
        );
        fill(
            &mut p.about,
            meta::get(tags, "pinterestapp:about").map(str::to_string),
            source,
            &mut used,
        );
        fill(
            &mut p.followers,
            count_tag(tags, "pinterestapp:followers"),
            source,
            &mut used,
        );
        fill(
            &mut p.following,
            count_tag(tags, "pinterestapp:following"),
            source,
            &mut used,
        );
        fill(
            &mut p.boards,
            count_tag(tags, "pinterestapp:boards"),
            source,
            &mut used,
        );
        fill(
            &mut p.pins,
            count_tag(tags, "pinterestapp:pins"),
            source,
            &mut used,
        );
        fill(
            &mut p.image,
            meta::get(tags, "og:image").map(str::to_string),
            source,
            &mut used,
        );
    }

    // 2. Embedded JSON user objects.
    for state in &states {
        let Some(user) = pick_user(state, username.as_deref()) else {
            continue;
        };
        let s = state.source;
        fill(
            &mut p.username,
            str_field(user, &["username"]),
            s,
            &mut used,
        );
        fill(
            &mut p.name,
            str_field(user, &["full_name", "fullName"]).and_then(|n| clean(&n)),
            s,
            &mut used,
        );
        fill(&mut p.about, str_field(user, &["about"]), s, &mut used);
        fill(
            &mut p.location,
            str_field(user, &["location"]),
            s,
            &mut used,
        );
        fill(
            &mut p.website,
            str_field(user, &["website_url", "websiteUrl", "domain_url"]),
            s,
            &mut used,
        );
        fill(
            &mut p.followers,
            count_field(user, &["follower_count", "followerCount"]),
            s,
            &mut used,
        );
        fill(
            &mut p.following,
            count_field(user, &["following_count", "followingCount"]),
            s,
            &mut used,
        );
        fill(
            &mut p.boards,
            count_field(user, &["board_count", "boardCount"]),
            s,
            &mut used,
        );
        fill(
            &mut p.pins,
            count_field(user, &["pin_count", "pinCount"]),
            s,
            &mut used,
        );
        fill(
            &mut p.image,
            str_field(
                user,
                &[
                    "image_xlarge_url",
                    "image_medium_url",
                    "imageXlargeUrl",
                    "imageMediumUrl",
                ],
            ),
            s,
            &mut used,
        );
    }

    // 3. The 2014 DOM.
    if let Some(l) = legacy::profile(&doc) {
        let s = "legacy_dom";
        fill(&mut p.name, l.name.and_then(|n| clean(&n)), s, &mut used);
        fill(&mut p.about, l.about, s, &mut used);
        fill(&mut p.location, l.location, s, &mut used);
        fill(&mut p.website, l.website, s, &mut used);
        fill(&mut p.facebook, l.facebook, s, &mut used);
        fill(&mut p.twitter, l.twitter, s, &mut used);
        fill(&mut p.boards, l.boards, s, &mut used);
        fill(&mut p.pins, l.pins, s, &mut used);
        fill(&mut p.likes, l.likes, s, &mut used);
        fill(&mut p.followers, l.followers, s, &mut used);
        fill(&mut p.following, l.following, s, &mut used);
    }
    // 4. A Pinterest-formatted `<title>` (`Jane Doe (janedoe) | Pinterest`) for the name
    // alone; a bare `<title>` could be anything.
    let titled = name::page_title(&doc)
        .and_then(|t| name::title_name(&t, username.as_deref(), h1.as_deref()));
    fill(&mut p.name, titled, "title", &mut used);
    p.sources = used;
    if p.sources.is_empty() {
        p.error = Some(no_data("profile", &json_errors));
    }

    let boards = boards::board_links(&doc, &states, page_url, p.username.as_deref());
    let mut users = links::linked_users(&doc, page_url);
    users.extend(links::json_users(&states, page_url));
    let users = links::dedup_users(users, p.username.as_deref());
    ProfilePage {
        profile: p,
        boards,
        users,
    }
}

fn no_data(what: &str, json_errors: &[String]) -> String {
    if json_errors.is_empty() {
        format!("no {what} data found on the page")
    } else {
        format!(
            "no {what} data found on the page ({})",
            json_errors.join("; ")
        )
    }
}

fn pick_user<'a>(
    state: &'a JsonState,
    username: Option<&str>,
) -> Option<&'a serde_json::Map<String, serde_json::Value>> {
    let by_name = username.and_then(|u| {
        state
            .users
            .iter()
            .find(|o| str_field(o, &["username"]).is_some_and(|n| n.eq_ignore_ascii_case(u)))
    });
    by_name.or(if state.users.len() == 1 {
        state.users.first()
    } else {
        None
    })
}

/// Extracts a board page fetched from `page_url`.
pub fn extract_board(html: &str, page_url: &Url) -> BoardPage {
    let mut b = Board {
        url: page_url.to_string(),
        owner: username_of(page_url),
        ..Default::default()
    };
    if let Err(e) = depth::check_depth(html, depth::MAX_DEPTH) {
        b.error = Some(e);
        return BoardPage {
            board: b,
            users: Vec::new(),
        };
    }
    b.owner = None;
    let doc = kuchiki::parse_html().one(html);
    let mut used = Vec::new();
    let tags = meta::meta_tags(&doc);
    let (states, json_errors) = json_state::embedded_states(&doc);
    let s = "meta";
    fill(
        &mut b.title,
        meta::get(&tags, "og:title").map(str::to_string),
        s,
        &mut used,
    );
    let pinner = meta::get(&tags, "pinterestapp:pinner")
        .and_then(|u| Url::parse(u).ok().or_else(|| page_url.join(u).ok()))
        .and_then(|u| username_of(&u));
    fill(&mut b.owner, pinner, s, &mut used);
    fill(
        &mut b.pin_count,
        count_tag(&tags, "pinterestapp:pins"),
        s,
        &mut used,
    );
    let followers =
        count_tag(&tags, "followers").or_else(|| count_tag(&tags, "pinterestapp:followers"));
    fill(&mut b.followers, followers, s, &mut used);
    fill(
        &mut b.category,
        meta::get(&tags, "pinterestapp:category").map(str::to_string),
        s,
        &mut used,
    );
    fill(
        &mut b.cover_image,
        meta::get(&tags, "og:image").map(str::to_string),
        s,
        &mut used,
    );

    for state in &states {
        let this = state.boards.iter().find(|o| {
            str_field(o, &["url"])
                .and_then(|p| links::board_url(page_url, &p))
                .is_some_and(|u| {
                    u.path().trim_end_matches('/') == page_url.path().trim_end_matches('/')
                })
        });
        let Some(o) = this.or(if state.boards.len() == 1 {
            state.boards.first()
        } else {
            None
        }) else {
            continue;
        };
        let s = state.source;
        fill(&mut b.title, str_field(o, &["name"]), s, &mut used);
        fill(&mut b.owner, nested_username(o, "owner"), s, &mut used);
        fill(
            &mut b.pin_count,
            count_field(o, &["pin_count", "pinCount"]),
            s,
            &mut used,
        );
        fill(
            &mut b.followers,
            count_field(o, &["follower_count", "followerCount"]),
            s,
            &mut used,
        );
        fill(&mut b.category, str_field(o, &["category"]), s, &mut used);
        fill(
            &mut b.cover_image,
            str_field(
                o,
                &["image_cover_url", "image_thumbnail_url", "imageCoverUrl"],
            ),
            s,
            &mut used,
        );
    }
    if used.is_empty() {
        b.error = Some(no_data("board", &json_errors));
    }
    if b.owner.is_none() {
        b.owner = username_of(page_url);
    }
    b.sources = used;
    let mut users = links::linked_users(&doc, page_url);
    users.extend(links::json_users(&states, page_url));
    if let Some(pinner) = meta::get(&tags, "pinterestapp:pinner") {
        if let Some(u) = Url::parse(pinner).ok().as_ref().and_then(username_of) {
            users.extend(profile_url(page_url, &u));
        }
    }
    let users = links::dedup_users(users, b.owner.as_deref());
    BoardPage { board: b, users }
}
