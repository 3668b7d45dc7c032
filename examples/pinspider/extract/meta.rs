//! Layer 1: `<meta>` tags. Pinterest writes them as
//! `<meta property="X" name="X" content="Y" data-app>`, so either attribute names the tag.

use kuchiki::NodeRef;
use std::collections::BTreeMap;

/// Most meta tags read from one page (a hostile page may have millions).
const MAX_META_TAGS: usize = 2_000;
/// Longest content kept per tag, in characters.
const MAX_CONTENT_CHARS: usize = 10_000;

/// The page's meta tags by name (`og:title`, `pinterestapp:followers`, `followers`,
/// `description`, ...), first occurrence wins, names lower-cased. Entities are already
/// decoded by the parser.
pub fn meta_tags(doc: &NodeRef) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let Ok(metas) = doc.select("meta") else {
        return tags;
    };
    for meta in metas.take(MAX_META_TAGS) {
        let attrs = meta.attributes.borrow();
        let Some(content) = attrs.get("content") else {
            continue;
        };
        let content: String = content.trim().chars().take(MAX_CONTENT_CHARS).collect();
        for key in ["property", "name"] {
            if let Some(name) = attrs.get(key) {
                let name = name.trim().to_ascii_lowercase();
                if !name.is_empty() {
                    tags.entry(name).or_insert_with(|| content.clone());
                }
            }
        }
    }
    tags
}

/// A non-empty tag value.
pub fn get<'a>(tags: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    tags.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuchiki::traits::TendrilSink;

    #[test]
    fn property_or_name_and_entities() {
        let doc = kuchiki::parse_html().one(
            r#"<head><meta property="og:title" name="og:title" content="O&#39;Brien &amp; Jos&eacute;" data-app>
               <meta name="pinterestapp:followers" content="56,312">
               <meta property="OG:Image" content=" http://i/x.jpg ">
               <meta property="og:title" content="second">
               <meta charset="utf-8"></head>"#,
        );
        let tags = meta_tags(&doc);
        assert_eq!(get(&tags, "og:title"), Some("O'Brien & José"));
        assert_eq!(get(&tags, "pinterestapp:followers"), Some("56,312"));
        assert_eq!(get(&tags, "og:image"), Some("http://i/x.jpg"));
        assert_eq!(get(&tags, "charset"), None);
    }
}
