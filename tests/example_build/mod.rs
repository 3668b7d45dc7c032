//! Builds an example binary once per test run, as a user's `cargo build --example NAME`
//! would (`cargo test --test X` alone builds examples only as test harnesses, not as
//! binaries). Shared by the black-box tests that run examples.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The path of `examples/NAME` in this test's target directory, built on first use.
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let mut built = BUILT
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(bin) = built.get(name) {
        return bin.clone();
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test>-<hash> -> target/<profile>/examples/NAME
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let bin = profile_dir.join("examples").join(name);
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--example", name, "--manifest-path"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    // Without the variables cargo set for this test, so build scripts (ring's) see the same
    // environment as the outer build and nothing is rebuilt.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if (key.starts_with("CARGO_") && key != "CARGO_HOME")
            || key.starts_with("__CARGO")
            || key == "OUT_DIR"
        {
            build.env_remove(&key);
        }
    }
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let status = build
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .status()
        .unwrap();
    assert!(status.success(), "building the example {name} failed");
    assert!(bin.exists(), "{bin:?} missing");
    built.insert(name.to_string(), bin.clone());
    bin
}
