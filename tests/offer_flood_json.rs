//! `examples/offer_flood.rs` as a user runs it, on a tiny workload: its last line is the
//! JSON report with every figure the benchmark suite reads, among them the harness's own
//! limit and the thread wake-up round trip measured in the same run.

mod example_build;

use example_build::example_binary;
use std::process::{Command, Stdio};

#[test]
fn json_line_has_every_key() {
    let out = Command::new(example_binary("offer_flood"))
        .args([
            "--quick",
            "--max-offers",
            "200",
            "--queue",
            "100",
            "--ceiling-secs",
            "0.1",
            "--limit-secs",
            "0.2",
            "--wake-round-trips",
            "200",
            "--timeout",
            "60",
        ])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    let line: serde_json::Value = serde_json::from_str(last).unwrap();
    for key in [
        "offers_per_sec",
        "ceiling_offers_per_sec",
        "limit_offers_per_sec",
        "p50_us",
        "p99_us",
        "wake_rtt_us",
        "fraction_of_ceiling",
        "fraction_of_limit",
        "limit_p50_us",
        "allocator",
    ] {
        let value = line
            .get(key)
            .unwrap_or_else(|| panic!("{key} missing: {last}"));
        assert!(!value.is_null(), "{key} is null: {last}");
    }
    for key in [
        "offers_per_sec",
        "ceiling_offers_per_sec",
        "limit_offers_per_sec",
        "wake_rtt_us",
    ] {
        assert!(line[key].as_f64().unwrap() > 0.0, "{key}: {last}");
    }
    assert_eq!(line["workload"], "W2");
    assert_eq!(line["offers_answered"], 200);
    assert_eq!(line["violations"], 0);
}
