//! Compiles `proto/mesos/v1/*.proto` with `protox` (a pure-Rust protobuf compiler, so no
//! `protoc` is needed on any machine) and generates the Rust types with `prost-build`.
//! The encoded descriptor set is kept too: the JSON mapping in `src/json.rs` reads it.

use protox::prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/mesos/v1/mesos.proto",
        "proto/mesos/v1/scheduler.proto",
        "proto/mesos/v1/executor.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(
        out_dir.join("mesos_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    prost_build::Config::new()
        .enable_type_names()
        .compile_fds(descriptors)?;
    Ok(())
}
