//! Fuzz targets of page extraction: generated and mutated HTML, and counts. The same
//! harness as the library's (`src/fuzzing.rs`): `MESOS_ACTIX_FUZZ_CASES` cases (default
//! 256), one `fuzz-target NAME: N executions, F failures` line for `scripts/fuzz.sh`.

use super::count::parse_count;
use super::{extract_board, extract_profile};
use crate::fixtures::PAGES;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use url::Url;

fn run<S>(target: &str, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("MESOS_ACTIX_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(256);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    });
    let executions = Cell::new(0u64);
    let result = runner.run(&strategy, |value| {
        executions.set(executions.get() + 1);
        property(value)
    });
    let failures = u64::from(result.is_err());
    eprintln!(
        "fuzz-target {target}: {} executions, {failures} failures",
        executions.get()
    );
    if let Err(e) = result {
        panic!("fuzz target {target} failed: {e}");
    }
}

/// Pieces of pages in every generation the extractors read, and broken ones.
fn piece() -> impl Strategy<Value = String> {
    let text = "[a-zA-Z0-9 &;#<>/\"'=.,:{}\\[\\]\\-|()é]{0,24}";
    prop_oneof![
        text.prop_map(|t| t.to_string()),
        Just("<div class=\"UserProfileHeader\">".to_string()),
        Just("<div class=\"Board\"><a href=\"/u/b/\">".to_string()),
        Just("</div>".to_string()),
        Just("<h1>".to_string()),
        Just("<title>".to_string()),
        text.prop_map(|t| format!("<meta property=\"og:title\" content=\"{t}\">")),
        (
            prop_oneof![
                Just("pinterestapp:followers"),
                Just("pinterestapp:pins"),
                Just("pinterestapp:boards"),
                Just("pinterestapp:about")
            ],
            text
        )
            .prop_map(|(k, t)| format!("<meta name=\"{k}\" content=\"{t}\">")),
        text.prop_map(|t| format!("<a href=\"{t}\">{t}</a>")),
        (
            prop_oneof![
                Just("__PWS_DATA__"),
                Just("__PWS_INITIAL_PROPS__"),
                Just("initial-state")
            ],
            json()
        )
            .prop_map(|(id, j)| format!(
                "<script id=\"{id}\" type=\"application/json\">{j}</script>"
            )),
        Just("<script>".to_string()),
        Just("<!--".to_string()),
    ]
}

/// JSON-ish state: the keys the extractors look up, with any kind of value.
fn json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("\"x\"".to_string()),
        Just("12".to_string()),
        Just("-1e999".to_string()),
        Just("\"1.2k\"".to_string()),
        Just("[]".to_string()),
        Just("{".to_string()),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        let key = prop_oneof![
            Just("props"),
            Just("initialReduxState"),
            Just("users"),
            Just("boards"),
            Just("username"),
            Just("full_name"),
            Just("follower_count"),
            Just("pin_count"),
            Just("resourceResponses"),
            Just("data"),
            Just("url"),
            Just("name"),
            Just("owner"),
        ];
        prop_oneof![
            vec((key, inner.clone()), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
            vec(inner, 0..3).prop_map(|v| format!("[{}]", v.join(","))),
        ]
    })
}

/// A page: generated pieces, any text, or a fixture page with a slice replaced.
fn page() -> impl Strategy<Value = String> {
    prop_oneof![
        vec(piece(), 0..24).prop_map(|p| p.concat()),
        any::<String>(),
        (
            0..PAGES.len(),
            any::<usize>(),
            0usize..400,
            vec(piece(), 0..3)
        )
            .prop_map(|(i, at, len, insert)| {
                let html = PAGES[i].1;
                let mut start = at % (html.len() + 1);
                while !html.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + len).min(html.len());
                while !html.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}{}{}", &html[..start], insert.concat(), &html[end..])
            }),
    ]
}

fn page_url() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("https://www.pinterest.com/techcrunch/".to_string()),
        Just("https://www.pinterest.com/techcrunch/gadgets/".to_string()),
        Just("http://127.0.0.1:8080/u/".to_string()),
        Just("https://x/".to_string()),
        "https://[a-z]{1,5}(/[a-zA-Z0-9%_.\\-]{0,8}){0,3}/?",
    ]
}

/// Any page at any URL: a profile and a board record, never a panic.
#[test]
fn fuzz_page_extraction() {
    run("page_extraction", (page(), page_url()), |(html, url)| {
        let Ok(url) = Url::parse(&url) else {
            return Ok(());
        };
        let profile = extract_profile(&html, &url);
        prop_assert_eq!(&profile.profile.url, &url.to_string());
        for u in &profile.users {
            prop_assert!(matches!(u.scheme(), "http" | "https"), "user URL {}", u);
        }
        let board = extract_board(&html, &url);
        prop_assert_eq!(&board.board.url, &url.to_string());
        Ok(())
    });
}

/// Any text as a count: a number or nothing, never a panic; plain numbers read back.
#[test]
fn fuzz_count_text() {
    let input = (
        prop_oneof![any::<String>(), "[0-9 ,.'kKmMbB]{0,30}( Followers)?"],
        any::<u64>(),
    );
    run("count_text", input, |(text, n)| {
        let _ = parse_count(&text);
        prop_assert_eq!(parse_count(&n.to_string()), Some(n));
        Ok(())
    });
}
