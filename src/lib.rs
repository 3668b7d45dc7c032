#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod allocator;
pub mod codec;
pub mod executor;
pub mod json;
pub mod proto;
pub mod recordio;

pub use codec::Encoding;
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod benchkit;
#[cfg(feature = "local")]
pub mod local;
pub mod resources;
pub mod scheduler;
mod transport;

#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod __internals;
#[cfg(test)]
mod fuzzing;
#[cfg(any(feature = "local", feature = "testkit"))]
mod server;
#[cfg(feature = "testkit")]
pub mod testkit;
mod zk;
