//! Layer 2: the embedded JSON application state of the newer page generations:
//! `__PWS_INITIAL_PROPS__` (root `initialReduxState`), `__PWS_DATA__`
//! (root `props.initialReduxState`), the 2018 `initial-state`
//! (`resourceResponses[..].response.data`), and the Relay calls ([`super::relay`]),
//! normalised into one shape.

use crate::model::Count;
use kuchiki::NodeRef;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Objects kept per map (users, boards, pins), against hostile pages.
const MAX_OBJECTS: usize = 1_000;

/// One embedded state script, normalised.
#[derive(Debug, Default, Clone)]
pub struct JsonState {
    /// Which script: `pws_initial_props`, `pws_data` or `initial_state`.
    pub source: &'static str,
    /// `page_metadata.metatags` (2018 pages): the same keys as the meta tags.
    pub metatags: BTreeMap<String, String>,
    /// User objects (`username`, `full_name`, `about`, `follower_count`, ...).
    pub users: Vec<Map<String, Value>>,
    /// Board objects (`name`, `url`, `pin_count`, `follower_count`, `image_cover_url`, ...).
    pub boards: Vec<Map<String, Value>>,
    /// Pin objects (`pinner`, `board`, `images`, ...).
    pub pins: Vec<Map<String, Value>>,
}

/// The scripts we know, by element id, with their source names.
const SCRIPTS: [(&str, &str); 3] = [
    ("__PWS_INITIAL_PROPS__", "pws_initial_props"),
    ("__PWS_DATA__", "pws_data"),
    ("initial-state", "initial_state"),
];

/// Every embedded state found in the page, and a message for each script that was
/// present but unreadable (invalid JSON, too deep, unexpected shape).
pub fn embedded_states(doc: &NodeRef) -> (Vec<JsonState>, Vec<String>) {
    let mut states = Vec::new();
    let mut errors = Vec::new();
    for (id, source) in SCRIPTS {
        let Ok(script) = doc.select_first(&format!("script[id=\"{id}\"]")) else {
            continue;
        };
        let text = script.text_contents();
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => match normalise(source, &value) {
                Some(state) => states.push(state),
                None => errors.push(format!("{id}: no application state in the JSON")),
            },
            Err(e) => errors.push(format!("{id}: invalid JSON: {e}")),
        }
    }
    let (relay, relay_errors) = super::relay::relay_state(doc);
    states.extend(relay);
    errors.extend(relay_errors);
    (states, errors)
}

fn normalise(source: &'static str, root: &Value) -> Option<JsonState> {
    let mut state = JsonState {
        source,
        ..Default::default()
    };
    match source {
        "pws_initial_props" => redux(root.get("initialReduxState")?, &mut state),
        "pws_data" => redux(root.get("props")?.get("initialReduxState")?, &mut state),
        _ => initial_state(root.get("resourceResponses")?.as_array()?, &mut state),
    }
    Some(state)
}

fn redux(redux: &Value, state: &mut JsonState) {
    let objects = |name: &str| -> Vec<Map<String, Value>> {
        match redux.get(name) {
            Some(Value::Object(map)) => map
                .values()
                .filter_map(Value::as_object)
                .take(MAX_OBJECTS)
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    };
    state.users = objects("users");
    state.boards = objects("boards");
    state.pins = objects("pins");
}

fn initial_state(responses: &[Value], state: &mut JsonState) {
    for response in responses.iter().take(MAX_OBJECTS) {
        let Some(data) = response.get("response").and_then(|r| r.get("data")) else {
            continue;
        };
        if let Some(tags) = data
            .get("page_metadata")
            .and_then(|m| m.get("metatags"))
            .and_then(Value::as_object)
        {
            for (k, v) in tags {
                if let Some(v) = v.as_str() {
                    state
                        .metatags
                        .entry(k.to_ascii_lowercase())
                        .or_insert_with(|| v.to_string());
                }
            }
        }
        match data {
            Value::Object(obj) if obj.get("type").and_then(Value::as_str) == Some("user") => {
                state.users.push(obj.clone());
            }
            Value::Array(items) => {
                for item in items.iter().take(MAX_OBJECTS) {
                    if let Some(obj) = item.as_object() {
                        let is_board = obj.get("type").and_then(Value::as_str) == Some("board")
                            || obj.contains_key("pin_count");
                        if is_board {
                            state.boards.push(obj.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The first of `keys` that holds a non-empty string.
pub fn str_field(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|k| obj.get(*k))
        .filter_map(Value::as_str)
        .map(str::trim)
        .find(|s| !s.is_empty())
        .map(str::to_string)
}

/// The first of `keys` that holds a count (a JSON number, or a string like `"1.2k"`).
pub fn count_field(obj: &Map<String, Value>, keys: &[&str]) -> Option<Count> {
    keys.iter()
        .filter_map(|k| obj.get(*k))
        .find_map(|v| match v {
            Value::Number(n) => n.as_u64().map(Count::from_number),
            Value::String(s) if !s.trim().is_empty() => Some(Count::parse(s)),
            _ => None,
        })
}

/// A username nested in `obj[key]` (`{"pinner": {"username": ...}}` or `{"owner": ...}`).
pub fn nested_username(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_object)
        .and_then(|o| str_field(o, &["username"]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuchiki::traits::TendrilSink;

    fn states(html: &str) -> (Vec<JsonState>, Vec<String>) {
        embedded_states(&kuchiki::parse_html().one(html))
    }

    #[test]
    fn three_generations() {
        let (s, e) = states(
            r#"<script id="__PWS_INITIAL_PROPS__" type="application/json">
            {"initialReduxState":{"users":{"1":{"username":"a","follower_count":5}},"boards":{"9":{"name":"B","pin_count":"1.2k"}}}}</script>
            <script id="__PWS_DATA__" type="application/json">{"props":{"initialReduxState":{"users":{"a":{"username":"a"}}}}}</script>
            <script id="initial-state" type="application/json">{"resourceResponses":[
              {"response":{"data":{"page_metadata":{"metatags":{"pinterestapp:followers":"7"}}}}},
              {"response":{"data":[{"name":"X","url":"/a/x/","pin_count":3}]}}]}</script>"#,
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].source, "pws_initial_props");
        assert_eq!(
            count_field(&s[0].users[0], &["follower_count"]),
            Some(Count::from_number(5))
        );
        assert_eq!(
            count_field(&s[0].boards[0], &["pin_count"]).unwrap().value,
            Some(1200)
        );
        assert_eq!(s[1].users.len(), 1);
        assert_eq!(s[2].metatags["pinterestapp:followers"], "7");
        assert_eq!(str_field(&s[2].boards[0], &["url"]).unwrap(), "/a/x/");
    }

    #[test]
    fn invalid_and_deep_json_are_errors() {
        let deep = format!(
            r#"<script id="__PWS_DATA__">{}{}</script>"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let (s, e) = states(&deep);
        assert!(s.is_empty());
        assert_eq!(e.len(), 1);
        let (s, e) = states(r#"<script id="__PWS_DATA__">{"props": {"initialRedux</script>"#);
        assert!(s.is_empty());
        assert!(e[0].contains("invalid JSON"), "{e:?}");
        let (s, e) = states(r#"<script id="__PWS_DATA__">[1,2]</script>"#);
        assert!(s.is_empty());
        assert!(e[0].contains("no application state"));
    }
}
