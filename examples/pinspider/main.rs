//! pinspider: crawls Pinterest-style user profiles and boards with two Mesos executors.
#![warn(missing_docs)]

mod demo;
mod extract;
mod fetch;
mod fixtures;
mod model;
mod work;

fn main() {}
