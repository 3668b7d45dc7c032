//! Black-box tests of the `pinspider` example binary: `--demo` end to end, bad arguments,
//! and executor mode outside an agent.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The example binary, built once per test run (`cargo test` builds the example only as a
/// test harness, not as the binary).
fn binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/pinspider_cli-<hash> -> target/<profile>/examples/pinspider
        let profile_dir = exe.parent().unwrap().parent().unwrap();
        let bin = profile_dir.join("examples").join("pinspider");
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--example", "pinspider", "--manifest-path"])
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        // Without the variables cargo set for this test, so build scripts (ring's) see
        // the same environment as the outer build and nothing is rebuilt.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if (key.starts_with("CARGO_") && key != "CARGO_HOME")
                || key.starts_with("__CARGO")
                || key == "OUT_DIR"
            {
                build.env_remove(&key);
            }
        }
        let status = build
            .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
            .status()
            .unwrap();
        assert!(status.success(), "building the example failed");
        assert!(bin.exists(), "{bin:?} missing");
        bin
    })
    .clone()
}

/// Runs the binary with a deadline (polling, no fixed sleep).
fn run(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("MESOS_MASTER")
        .env("RUST_LOG", "info,actix_server=warn");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pinspider {args:?} did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

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
