//! A small `robots.txt` parser: groups of `User-agent` lines with their `Allow` and
//! `Disallow` rules, `*` wildcards and `$` anchors, the longest match wins and `Allow`
//! wins ties (RFC 9309). Caps on size, lines and rules keep a hostile file cheap.

/// Most bytes of `robots.txt` read (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 512 * 1024;
/// Most rules kept.
const MAX_RULES: usize = 2_000;
/// Longest line considered.
const MAX_LINE: usize = 2_000;

/// One `Allow`/`Disallow` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: String,
}

/// The rules that apply to us.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Robots {
    rules: Vec<Rule>,
    /// Everything is disallowed (robots.txt could not be fetched: 5xx or network error).
    disallow_all: bool,
}

impl Robots {
    /// No restrictions (no `robots.txt`, or a 4xx).
    pub fn allow_all() -> Self {
        Robots::default()
    }

    /// Everything forbidden (`robots.txt` unreachable).
    pub fn disallow_all() -> Self {
        Robots {
            rules: Vec::new(),
            disallow_all: true,
        }
    }

    /// Parses `text` and keeps the group for `agent` (its product token, e.g. `pinspider`
    /// from `pinspider/0.1`, matched case-insensitively), else the `*` group.
    pub fn parse(text: &str, agent: &str) -> Self {
        // Groups name a product token ("pinspider"), matched case-insensitively.
        let token = |a: &str| {
            a.split('/')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        };
        let agent = token(agent);
        let mut end = MAX_ROBOTS_BYTES.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let text = text.get(..end).unwrap_or_default();
        let mut ours: Vec<Rule> = Vec::new();
        let mut star: Vec<Rule> = Vec::new();
        let mut found_ours = false;
        // State of the current group.
        let mut agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        for line in text.lines() {
            if line.len() > MAX_LINE {
                continue;
            }
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if in_rules {
                        agents.clear();
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    if value.is_empty() && key == "disallow" {
                        continue; // "Disallow:" allows everything.
                    }
                    let rule = Rule {
                        allow: key == "allow",
                        pattern: value.to_string(),
                    };
                    let is_ours = agents.iter().any(|a| a != "*" && token(a) == agent);
                    if is_ours {
                        found_ours = true;
                        if ours.len() < MAX_RULES {
                            ours.push(rule.clone());
                        }
                    }
                    if agents.iter().any(|a| a == "*") && star.len() < MAX_RULES {
                        star.push(rule);
                    }
                }
                _ => {}
            }
        }
        Robots {
            rules: if found_ours { ours } else { star },
            disallow_all: false,
        }
    }

    /// Whether `path` (with its query) may be fetched.
    pub fn allowed(&self, path: &str) -> bool {
        if self.disallow_all {
            return false;
        }
        if path == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if matches(&rule.pattern, path) {
                let len = rule.pattern.len();
                best = match best {
                    Some((l, a)) if l > len || (l == len && a) => Some((l, a)),
                    _ => Some((len, rule.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// `pattern` matches a prefix of `path`; `*` matches any run, a final `$` anchors.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return true;
    };
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if last && anchored {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(pos) => rest = &rest[pos + part.len()..],
            None => return false,
        }
    }
    !anchored || rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_precedence() {
        let txt = "User-agent: *\nDisallow: /search/\nAllow: /search/about\n\n\
                   User-agent: OtherBot\nUser-agent: pinspider\nDisallow: /private\n";
        let ours = Robots::parse(txt, "pinspider/0.1");
        assert!(!ours.allowed("/private/x"));
        assert!(ours.allowed("/search/x")); // our group replaces `*`.
        let other = Robots::parse(txt, "somebot");
        // A group for a token that merely contains ours (or is contained in it) is not ours.
        let near = Robots::parse("User-agent: pin\nDisallow: /\n", "pinspider");
        assert!(near.allowed("/x"));
        let upper = Robots::parse("User-agent: PinSpider/2\nDisallow: /\n", "pinspider");
        assert!(!upper.allowed("/x"));
        assert!(!other.allowed("/search/x"));
        assert!(other.allowed("/search/about"));
        assert!(other.allowed("/techcrunch/"));
    }

    #[test]
    fn disallow_all_and_wildcards() {
        let all = Robots::parse("User-agent: *\nDisallow: /\n", "pinspider");
        assert!(!all.allowed("/"));
        assert!(!all.allowed("/techcrunch/"));
        assert!(all.allowed("/robots.txt"));
        let empty = Robots::parse("User-agent: *\nDisallow:\n", "pinspider");
        assert!(empty.allowed("/x"));
        let w = Robots::parse("User-agent: *\nDisallow: /*.json$\nDisallow: /a*b/\n", "x");
        assert!(!w.allowed("/x/y.json"));
        assert!(w.allowed("/x/y.json?z"));
        assert!(!w.allowed("/a123b/c"));
        assert!(w.allowed("/a123c/"));
        assert!(!Robots::disallow_all().allowed("/"));
        assert!(Robots::allow_all().allowed("/"));
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = format!("User-agent: *\nDisallow: /{}\n", "x".repeat(10_000));
        assert!(Robots::parse(&long, "p").allowed("/x"));
        let many = "User-agent: *\n".to_string() + &"Disallow: /a\n".repeat(100_000);
        let r = Robots::parse(&many, "p");
        assert_eq!(r.rules.len(), MAX_RULES);
        assert!(Robots::parse("\0\u{feff}garbage:::\n:\n", "p").allowed("/"));
    }
}
