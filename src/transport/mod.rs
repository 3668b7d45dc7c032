//! Client-side HTTP transport shared by the scheduler and executor runtimes (crate-private):
//! the `awc` client set up for Mesos with the RecordIO body adapter ([`client`]), and the
//! pipelining call client for plain `http://` masters ([`pipe`]).

pub(crate) mod client;
pub(crate) mod pipe;
