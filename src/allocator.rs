//! The global allocator picked by this crate's features, for binaries that opt in.
//!
//! The library never sets a global allocator: that is the application's choice. A binary
//! (this crate's `mesos-local` and examples, or yours) invokes
//! [`global_allocator!`](crate::global_allocator) once; it installs jemalloc with the feature
//! `jemalloc`, mimalloc with `mimalloc` (jemalloc wins if both are on), and leaves the system
//! allocator in place otherwise. `BENCHMARKS.md` has the measurements behind the choice.
//!
//! ```
//! mesos_actix::global_allocator!();
//!
//! fn main() {
//!     println!("allocator: {}", mesos_actix::allocator::NAME);
//! }
//! ```

/// The allocator type the features select.
#[cfg(feature = "jemalloc")]
pub type Chosen = tikv_jemallocator::Jemalloc;
/// The allocator the features select.
#[cfg(feature = "jemalloc")]
pub const CHOSEN: Chosen = tikv_jemallocator::Jemalloc;
/// The name of the allocator the features select.
#[cfg(feature = "jemalloc")]
pub const NAME: &str = "jemalloc";

/// The allocator type the features select.
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
pub type Chosen = mimalloc::MiMalloc;
/// The allocator the features select.
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
pub const CHOSEN: Chosen = mimalloc::MiMalloc;
/// The name of the allocator the features select.
#[cfg(all(feature = "mimalloc", not(feature = "jemalloc")))]
pub const NAME: &str = "mimalloc";

/// The allocator type the features select.
#[cfg(not(any(feature = "jemalloc", feature = "mimalloc")))]
pub type Chosen = std::alloc::System;
/// The allocator the features select.
#[cfg(not(any(feature = "jemalloc", feature = "mimalloc")))]
pub const CHOSEN: Chosen = std::alloc::System;
/// The name of the allocator the features select.
#[cfg(not(any(feature = "jemalloc", feature = "mimalloc")))]
pub const NAME: &str = "system";

/// Makes [`allocator::CHOSEN`](crate::allocator::CHOSEN) the global allocator of the binary
/// that invokes it (at most once per binary, at module level). See [`allocator`](crate::allocator).
#[macro_export]
macro_rules! global_allocator {
    () => {
        #[global_allocator]
        static MESOS_ACTIX_GLOBAL_ALLOCATOR: $crate::allocator::Chosen = $crate::allocator::CHOSEN;
    };
}
