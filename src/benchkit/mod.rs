//! Benchmark kit: a loopback offer source speaking the v1 scheduler API with seeded,
//! pre-encoded offers, pacing modes and latency accounting (feature `testkit`).

pub mod check;
pub mod generator;
pub mod rng;
pub mod workload;
