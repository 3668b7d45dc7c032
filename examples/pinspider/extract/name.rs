//! Display names out of page titles. Pinterest writes a profile's `og:title` and `<title>`
//! as `Jane Doe (janedoe) - Profile | Pinterest`, `Jane Doe (janedoe) | Pinterest` or
//! `Jane Doe (janedoe) on Pinterest`, with the words in the page's language (`- Profil |
//! Pinterest`, `- Perfil | Pinterest`, `- Profilo`, `- Profiel`, `- プロフィール`, `sur
//! Pinterest`, `auf Pinterest`, ...). The name is the part before them; the page's `<h1>`,
//! where present, settles whether a trailing `(...)` is part of the name.

use super::links::is_username;
use kuchiki::NodeRef;

/// Longest display name kept, in characters.
const MAX_NAME_CHARS: usize = 200;
/// Longest text examined (a hostile title may be megabytes long).
const MAX_INPUT_CHARS: usize = 2_000;

/// "Profile" in the languages Pinterest serves (lower case).
const PROFILE_WORDS: &[&str] = &[
    "profile",
    "profil",
    "perfil",
    "profilo",
    "profiel",
    "profiili",
    "profilis",
    "profilul",
    "profili",
    "профиль",
    "профіль",
    "προφίλ",
    "プロフィール",
    "프로필",
    "个人资料",
    "個人資料",
    "個人檔案",
    "โปรไฟล์",
];

/// "on" before "Pinterest" (`on Pinterest`, `sur Pinterest`, `auf Pinterest`, ...).
const ON_WORDS: &[&str] = &[
    "on", "sur", "auf", "en", "no", "na", "su", "op", "på", "em", "w", "в", "на", "di", "pe",
];

/// Characters that separate the name from the site's suffix.
const SEPARATORS: &[char] = &['|', '-', '–', '—', '·', ':', '｜', '•'];

const SITE: &str = "pinterest";

/// Whitespace collapsed, control characters dropped, length capped to a name's;
/// `None` when empty.
pub fn tidy(text: &str) -> Option<String> {
    tidy_to(text, MAX_NAME_CHARS)
}

fn tidy_to(text: &str, max_chars: usize) -> Option<String> {
    let text: String = text
        .chars()
        .take(MAX_INPUT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(max_chars)
        .collect();
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// `s` without a trailing `pinterest` (any case), if it ends so.
fn strip_site(s: &str) -> Option<&str> {
    let cut = s.len().checked_sub(SITE.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(SITE).then(|| &s[..cut])
}

/// `s` without a trailing ` - Profile` (a separator after whitespace, then a profile word).
fn strip_profile_word(s: &str) -> Option<&str> {
    let (at, sep) = s
        .char_indices()
        .rev()
        .find(|(_, c)| SEPARATORS.contains(c))?;
    let word = s[at + sep.len_utf8()..].trim().to_lowercase();
    let head = &s[..at];
    let spaced = head.ends_with(char::is_whitespace) || sep == '|';
    (spaced && PROFILE_WORDS.contains(&word.as_str())).then_some(head)
}

/// The title without its site suffixes, and whether it had one.
fn strip_suffixes(title: &str) -> (&str, bool) {
    let mut s = title.trim();
    let mut marked = false;
    loop {
        if let Some(head) = strip_site(s) {
            let head = head.trim_end();
            if let Some(h) = head.strip_suffix(SEPARATORS) {
                s = h.trim_end();
                marked = true;
                continue;
            }
            if let Some((before, word)) = head.rsplit_once(char::is_whitespace) {
                if ON_WORDS.contains(&word.to_lowercase().as_str()) && !before.trim().is_empty() {
                    s = before.trim_end();
                    marked = true;
                    continue;
                }
            }
        }
        if marked {
            if let Some(head) = strip_profile_word(s) {
                s = head.trim_end();
                continue;
            }
        }
        return (s, marked);
    }
}

/// `s` without a trailing `(username)` / `(@username)`: always when it is `username`,
/// and when it merely looks like one if the title was Pinterest-formatted (`marked`).
fn strip_handle<'a>(s: &'a str, username: Option<&str>, marked: bool) -> &'a str {
    let Some(inner_end) = s.strip_suffix(')') else {
        return s;
    };
    let Some(open) = inner_end.rfind('(') else {
        return s;
    };
    let inner = inner_end[open + 1..].trim();
    let inner = inner.strip_prefix('@').unwrap_or(inner);
    let own = username.is_some_and(|u| u.eq_ignore_ascii_case(inner));
    if own || (marked && is_username(inner)) {
        s[..open].trim_end()
    } else {
        s
    }
}

/// What a title says the display name is, with the `<h1>` as the referee, and whether the
/// title carried Pinterest's suffix.
fn parse(title: &str, username: Option<&str>, h1: Option<&str>) -> (Option<String>, bool) {
    let Some(title) = tidy_to(title, MAX_INPUT_CHARS) else {
        return (None, false);
    };
    let (bare, marked) = strip_suffixes(&title);
    let name = strip_handle(bare, username, marked);
    // The page's heading confirms which reading is right: "Acme (Official)" stays whole
    // when that is what the page shows.
    if let Some(h1) = h1.and_then(tidy) {
        for reading in [name, bare] {
            if tidy(reading).as_ref() == Some(&h1) {
                return (Some(h1), marked);
            }
        }
    }
    (tidy(name), marked)
}

/// The display name in `title` (an `og:title`, a JSON `full_name`, a header's text).
pub fn display_name(title: &str, username: Option<&str>, h1: Option<&str>) -> Option<String> {
    parse(title, username, h1).0
}

/// The display name in a `<title>`, only if it is Pinterest-formatted (a bare `<title>`
/// could be anything).
pub fn title_name(title: &str, username: Option<&str>, h1: Option<&str>) -> Option<String> {
    match parse(title, username, h1) {
        (name, true) => name,
        _ => None,
    }
}

/// The text of the page's first `<h1>`.
pub fn first_h1(doc: &NodeRef) -> Option<String> {
    doc.select_first("h1")
        .ok()
        .and_then(|h| tidy(&h.text_contents()))
}

/// The text of the page's `<title>`.
pub fn page_title(doc: &NodeRef) -> Option<String> {
    doc.select_first("title")
        .ok()
        .and_then(|t| tidy(&t.text_contents()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(t: &str) -> Option<String> {
        display_name(t, Some("janedoe"), None)
    }

    #[test]
    fn suffixes_in_several_languages() {
        for t in [
            "Jane Doe (janedoe) - Profile | Pinterest",
            "Jane Doe (janedoe) | Pinterest",
            "Jane Doe (janedoe) on Pinterest",
            "Jane Doe (janedoe) - Profil | Pinterest",
            "Jane Doe (janedoe) – Profil | Pinterest",
            "Jane Doe (janedoe) - Perfil | Pinterest",
            "Jane Doe (janedoe) - Profilo | Pinterest",
            "Jane Doe (janedoe) - Profiel | Pinterest",
            "Jane Doe (janedoe) - プロフィール | Pinterest",
            "Jane Doe (janedoe) - Профиль | Pinterest",
            "Jane Doe (@janedoe) sur Pinterest",
            "Jane Doe (JaneDoe) auf PINTEREST",
            "  Jane \n Doe   (janedoe)  -  Profile  |  Pinterest ",
            "Jane Doe",
            "Jane Doe (janedoe)",
        ] {
            assert_eq!(name(t).as_deref(), Some("Jane Doe"), "{t:?}");
        }
    }

    #[test]
    fn names_that_only_look_like_suffixes_stay() {
        assert_eq!(
            name("Jean-Pierre Profil").as_deref(),
            Some("Jean-Pierre Profil")
        );
        assert_eq!(
            name("I love Pinterest").as_deref(),
            Some("I love Pinterest")
        );
        assert_eq!(name("Acme (Official)").as_deref(), Some("Acme (Official)"));
        assert_eq!(
            name("Design - Profile").as_deref(),
            Some("Design - Profile")
        );
        // Pinterest-formatted: a handle-looking "(...)" is the handle...
        assert_eq!(
            display_name("Acme (acme_inc) | Pinterest", None, None).as_deref(),
            Some("Acme")
        );
        // ...unless the page's heading says it is part of the name.
        assert_eq!(
            display_name("Acme (Official) | Pinterest", None, Some("Acme (Official)")).as_deref(),
            Some("Acme (Official)")
        );
        // A heading that is something else does not override the title.
        assert_eq!(
            display_name("Jane Doe (janedoe) | Pinterest", None, Some("Boards")).as_deref(),
            Some("Jane Doe")
        );
    }

    #[test]
    fn weird_titles() {
        assert_eq!(name(""), None);
        assert_eq!(name("   "), None);
        assert_eq!(name("| Pinterest"), None);
        assert_eq!(name("(janedoe) - Profile | Pinterest"), None);
        assert_eq!(name("Pinterest").as_deref(), Some("Pinterest"));
        assert_eq!(name("Jane\u{0}Doe\u{7}").as_deref(), Some("Jane Doe"));
        assert_eq!(name("((((((").as_deref(), Some("(((((("));
        assert_eq!(name(")").as_deref(), Some(")"));
        assert_eq!(name("é | Pinterest").as_deref(), Some("é"));
        assert_eq!(
            name("東京 - プロフィール | Pinterest").as_deref(),
            Some("東京")
        );
        let long = "x".repeat(1_000_000);
        assert_eq!(name(&long).unwrap().chars().count(), MAX_NAME_CHARS);
        let many = "| Pinterest ".repeat(100);
        assert_eq!(name(&many), None);
        // Past what is read, the suffix is not seen: a long garbage name, capped.
        let more = "| Pinterest ".repeat(10_000);
        assert_eq!(name(&more).unwrap().chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn title_name_needs_the_site_suffix() {
        assert_eq!(title_name("Broken", None, None), None);
        assert_eq!(
            title_name(
                "Klaus Klein (gartenfreund) – Profil | Pinterest",
                None,
                None
            )
            .as_deref(),
            Some("Klaus Klein")
        );
    }
}
