//! Benchmark kit: a loopback offer source speaking the v1 scheduler API with seeded,
//! pre-encoded offers, pacing modes and latency accounting (feature `testkit`).
//!
//! | file | contents |
//! |---|---|
//! | `generator.rs` | [`generator::OfferGenerator`]: seeded agents and offers, pre-encoded in both encodings |
//! | `workload.rs` | [`workload::Workload`] W1–W8, [`workload::RunConfig`], pacing, the task queue |
//! | `state.rs` | the source's state machine: subscription, pacing, updates, end of run |
//! | `source.rs` | [`source::OfferSource`]: the HTTP server on its own thread, [`source::SourceHandle`] |
//! | `check.rs` | `Checker`: timestamps, latency histograms, correctness checks |
//! | `report.rs` | [`report::Report`]: offers/s, tasks/s, acks/s, percentiles, calls per offer |
//! | `ceiling.rs` | the in-process ceiling (decode -> match -> encode on one core) |
//! | `limit.rs` | the harness's own limit: the same source answered by a minimal client |
//! | `alloc_switch.rs` | an allocator picked at run time, to compare allocators with one build |
//! | `wake.rs` | the thread wake-up floor: a two-thread ping-pong round trip |
//! | `driver.rs` | [`driver::drive`]: queue tasks, start the run, keep the queue full |
//! | `cpu.rs` | process and thread CPU time |
//! | `memory.rs` | resident memory, bytes per queued task |
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use mesos_actix::benchkit::{driver, source::OfferSource, workload::Workload};
//! use mesos_actix::scheduler::Framework;
//! use std::time::Duration;
//! let config = Workload::W2.config(true);
//! let mut source = OfferSource::start(config.clone(), 0)?;
//! let framework = Framework::builder(mesos_actix::proto::FrameworkInfo::new("bench"))
//!     .master(source.url())
//!     .start()
//!     .await?;
//! let report = driver::drive(&framework, &mut source, &config, Duration::from_secs(60)).await?;
//! println!("{report}");
//! # Ok(()) }
//! ```

#[cfg(all(feature = "jemalloc", feature = "mimalloc"))]
pub mod alloc_switch;
pub mod ceiling;
mod check;
mod cpu;
pub mod driver;
pub mod generator;
pub mod limit;
pub mod memory;
pub mod report;
mod rng;
pub mod source;
mod state;
pub mod wake;
pub mod workload;
