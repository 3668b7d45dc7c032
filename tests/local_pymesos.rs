//! Interop with a framework we did not write: runs `scripts/pymesos-interop.sh` (a pymesos
//! scheduler and executor against `mesos-local`). The script installs pymesos into a
//! virtualenv when it is missing; if that is impossible (no package index), this test
//! fails with the script's message: it never passes silently.

#[test]
fn pymesos_scheduler_and_executor_run_on_mesos_local() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("bash")
        .arg(format!("{root}/scripts/pymesos-interop.sh"))
        .env("MESOS_LOCAL_BIN", env!("CARGO_BIN_EXE_mesos-local"))
        .output()
        .expect("cannot run scripts/pymesos-interop.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pymesos interop failed ({:?})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    assert!(stdout.contains("ALL TASKS FINISHED"), "{stdout}");
    assert!(stdout.contains("pymesos-interop: OK"), "{stdout}");
}
