//! Benchmark kit: a loopback offer source speaking the v1 scheduler API with seeded,
//! pre-encoded offers, pacing modes and latency accounting (feature `testkit`).

pub mod check;
pub mod cpu;
pub mod driver;
pub mod generator;
pub mod report;
pub mod rng;
pub mod source;
pub mod stand_in;
pub mod stand_in_matcher;
pub mod state;
pub mod workload;
