//! pinspider: crawls Pinterest-style user profiles and boards with two Mesos executors.
#![warn(missing_docs)]

mod extract;
mod fetch;
mod fixtures;
mod model;

fn main() {}
