//! The Relay variant of the embedded state: inline scripts calling
//! `__PWS_RELAY_REGISTER_COMPLETED_REQUEST__("<request>", <json>)` with camelCase keys.
//! The nesting of the responses varies, so user and board objects are found by their
//! keys, walking each response with a node budget.

use super::json_state::JsonState;
use kuchiki::NodeRef;
use serde_json::{Map, Value};

const CALL: &str = "__PWS_RELAY_REGISTER_COMPLETED_REQUEST__(";
/// Most calls read from one page.
const MAX_CALLS: usize = 200;
/// Most JSON nodes visited per page.
const MAX_NODES: usize = 200_000;
/// Most objects kept per kind.
const MAX_OBJECTS: usize = 1_000;

/// The Relay responses of the page as one normalised state (`None` without any), and a
/// message for each call that could not be read.
pub fn relay_state(doc: &NodeRef) -> (Option<JsonState>, Vec<String>) {
    let mut errors = Vec::new();
    let mut responses = Vec::new();
    let Ok(scripts) = doc.select("script") else {
        return (None, errors);
    };
    for script in scripts {
        let text = script.text_contents();
        let mut rest = text.as_str();
        while let Some(pos) = rest.find(CALL) {
            rest = rest.get(pos + CALL.len()..).unwrap_or_default();
            if responses.len() + errors.len() >= MAX_CALLS {
                break;
            }
            match call_args(rest) {
                Ok(v) => responses.push(v),
                Err(e) => errors.push(format!("{CALL}...): {e}")),
            }
        }
    }
    if responses.is_empty() {
        return (None, errors);
    }
    let mut state = JsonState {
        source: "pws_relay",
        ..Default::default()
    };
    let mut budget = MAX_NODES;
    for r in &responses {
        collect(r, &mut state, &mut budget);
    }
    (Some(state), errors)
}

/// Parses `"<request>", <json>` at the start of `s`; answers the JSON.
fn call_args(s: &str) -> Result<Value, String> {
    let mut values = serde_json::Deserializer::from_str(s.trim_start()).into_iter::<String>();
    match values.next() {
        Some(Ok(_request)) => {}
        Some(Err(e)) => return Err(format!("request name: {e}")),
        None => return Err("no arguments".into()),
    }
    let offset = values.byte_offset();
    let after = s
        .trim_start()
        .get(offset..)
        .unwrap_or_default()
        .trim_start();
    let after = after
        .strip_prefix(',')
        .ok_or("expected a second argument")?;
    let mut values = serde_json::Deserializer::from_str(after).into_iter::<Value>();
    match values.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(format!("invalid JSON: {e}")),
        None => Err("no response".into()),
    }
}

fn is_user(o: &Map<String, Value>) -> bool {
    o.contains_key("username")
        && [
            "fullName",
            "followerCount",
            "pinCount",
            "full_name",
            "follower_count",
        ]
        .iter()
        .any(|k| o.contains_key(*k))
}

fn is_board(o: &Map<String, Value>) -> bool {
    o.contains_key("name")
        && o.contains_key("url")
        && ["pinCount", "pin_count"].iter().any(|k| o.contains_key(*k))
}

/// Walks `v` iteratively (no recursion: hostile depth cannot overflow the stack).
fn collect(v: &Value, state: &mut JsonState, budget: &mut usize) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        match v {
            Value::Object(o) => {
                if is_user(o) && state.users.len() < MAX_OBJECTS {
                    state.users.push(o.clone());
                } else if is_board(o) && state.boards.len() < MAX_OBJECTS {
                    state.boards.push(o.clone());
                }
                stack.extend(o.values());
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuchiki::traits::TendrilSink;

    #[test]
    fn finds_users_and_boards_in_calls() {
        let doc = kuchiki::parse_html().one(
            r#"<script>window.x=1;__PWS_RELAY_REGISTER_COMPLETED_REQUEST__("UserProfileQuery", {"data":{"v3GetUserHandler":{"data":{"username":"relay","fullName":"Relay User","followerCount":"1.2k","pinCount":5}}}});
            __PWS_RELAY_REGISTER_COMPLETED_REQUEST__("Boards", {"data":{"edges":[{"node":{"name":"R","url":"/relay/r/","pinCount":3,"owner":{"username":"relay"}}}]}});
            __PWS_RELAY_REGISTER_COMPLETED_REQUEST__("Bad", {"data": );</script>"#,
        );
        let (state, errors) = relay_state(&doc);
        let state = state.unwrap();
        assert_eq!(state.source, "pws_relay");
        assert_eq!(state.users.len(), 1);
        assert_eq!(state.boards.len(), 1);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            relay_state(&kuchiki::parse_html().one("<script>x()</script>"))
                .0
                .is_none()
        );
    }
}
