//! Black-box tests of the `pinspider` example binary: `--demo` end to end, bad arguments,
//! and executor mode outside an agent.

mod pinspider_support;

use pinspider_support::run;

#[test]
fn demo_prints_profiles_boards_and_a_summary() {
    let out = run(&["--demo"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut users: Vec<&str> = lines
        .iter()
        .filter(|v| v["kind"] == "profile")
        .map(|v| v["username"].as_str().unwrap())
        .collect();
    users.sort();
    assert_eq!(
        users,
        [
            "cindybcindyb",
            "josenunez",
            "lindarden",
            "nsfdf",
            "techcrunch"
        ]
    );
    assert_eq!(lines.iter().filter(|v| v["kind"] == "board").count(), 10);
    assert!(lines.iter().all(|v| v.get("error").is_none()), "{stdout}");
    let tc = lines
        .iter()
        .find(|v| v["username"] == "techcrunch")
        .unwrap();
    assert_eq!(tc["followers"]["value"], 56312);
    assert_eq!(tc["followers"]["raw"], "56,312");
    assert!(stderr.contains("5 users (5 ok, 0 failed)"), "{stderr}");
    assert!(stderr.contains("10 boards"), "{stderr}");
}

#[test]
fn config_from_environment_and_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.jsonl");
    let out = run(
        &["--demo", "--output", file.to_str().unwrap()],
        &[("PINSPIDER_MAX_USERS", "1")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("\"kind\":\"profile\""))
            .count(),
        1
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("\"kind\":\"board\""))
            .count(),
        3
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["ftp://example.org/u/"][..],
        &["https://www.pinterest.com/"],
        &[],
        &["--rate=0", "--demo"],
    ] {
        let out = run(args, &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn executor_mode_outside_an_agent_fails_cleanly() {
    let out = run(&["executor", "--kind", "profile"], &[]);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.status.code().is_some(), "killed by a signal");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
