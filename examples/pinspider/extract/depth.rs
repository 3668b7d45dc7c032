//! A pre-parse check of element nesting depth.
//!
//! html5ever's tree builder checks "has an element in scope" by walking the stack of open
//! elements for every start tag, so parsing is quadratic in nesting depth: a page of
//! 10,000 nested `<div>`s took about 8 s to parse in a debug build. Real profile pages nest
//! a few dozen levels, so pages estimated deeper than [`MAX_DEPTH`] are refused before
//! parsing, with an error result.

/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 1_000;

/// Elements that never nest (void elements) or that the parser closes implicitly when a
/// sibling starts (so counting them would overestimate depth).
const NON_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "rb", "rt",
    "rp", "thead", "tbody", "tfoot", "colgroup", "!doctype",
];

/// Elements whose content is raw text (skipped up to their end tag).
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript"];

/// Estimates the maximum nesting depth of `html` in one linear pass and fails if it
/// exceeds `max`.
pub fn check_depth(html: &str, max: usize) -> Result<(), String> {
    let bytes = html.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    while let Some(off) = bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'<'))
    {
        i += off + 1;
        if bytes.get(i..i + 3) == Some(b"!--") {
            i = find(bytes, i + 3, b"-->").map_or(bytes.len(), |p| p + 3);
            continue;
        }
        let closing = bytes.get(i) == Some(&b'/');
        let name_start = if closing { i + 1 } else { i };
        let name_len = bytes
            .get(name_start..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'!' || **b == b'-')
            .count();
        if name_len == 0 {
            continue;
        }
        let name = html
            .get(name_start..name_start + name_len)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let tag_end = find(bytes, name_start + name_len, b">").unwrap_or(bytes.len());
        let self_closing = tag_end > 0 && bytes.get(tag_end - 1) == Some(&b'/');
        i = tag_end;
        if closing {
            if !NON_NESTING.contains(&name.as_str()) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            let end = format!("</{name}");
            i = find_ci(bytes, i, end.as_bytes()).unwrap_or(bytes.len());
            continue;
        }
        if self_closing || NON_NESTING.contains(&name.as_str()) {
            continue;
        }
        depth += 1;
        if depth > max {
            return Err(format!("page nests deeper than {max} elements"));
        }
    }
    Ok(())
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_estimates() {
        assert!(check_depth("", 3).is_ok());
        assert!(check_depth("<div><div><div>x</div></div></div>", 3).is_ok());
        assert!(check_depth("<div><div><div><div>", 3).is_err());
        // Siblings, void elements, implied ends and self-closing tags do not nest.
        assert!(check_depth("<div></div><div></div><div></div><div></div>", 1).is_ok());
        assert!(check_depth("<ul><li>a<li>b<li>c<li>d</ul><br><img src=x><x/>", 1).is_ok());
        // Raw text and comments are skipped.
        assert!(check_depth("<script>\"<div><div><div>\"</SCRIPT><!-- <div><div> -->", 1).is_ok());
        let deep = "<div>".repeat(10_000);
        assert!(check_depth(&deep, MAX_DEPTH).is_err());
        assert!(check_depth("<<<>>> < / </ <a", 5).is_ok());
    }
}
