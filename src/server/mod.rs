//! What our three HTTP servers share (the local cluster's front, the test kit's
//! [`FakeMaster`](crate::testkit::FakeMaster) and the benchmark's offer source): decoding and
//! validating scheduler calls as a Mesos master does ([`call`]), bounded per-subscriber event
//! streams ([`stream`]), and TCP_NODELAY on every accepted socket ([`tcp`]).

pub mod call;
pub mod stream;
pub mod tcp;

pub use call::ApiError;
