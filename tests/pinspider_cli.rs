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

/// Kills the child when dropped (also when an assertion fails).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn runs_against_a_separately_started_mesos_local() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mesos-local"))
        .args(["--port", "0", "--agents", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let cluster = KillOnDrop(child);
    // "mesos-local listening on http://127.0.0.1:PORT", read with a deadline.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                let _ = tx.send(url.to_string());
                break;
            }
        }
    });
    let master = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("mesos-local did not say where it listens");
    let out = run(&["--demo", "--master", &master], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("5 users (5 ok, 0 failed)"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 15, "{stdout}");
    drop(cluster);
}
