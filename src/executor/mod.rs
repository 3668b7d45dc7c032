//! The executor runtime: one actor that talks to the agent's v1 executor API and hands
//! `Launch`, `Kill`, `FrameworkMessage` and `Shutdown` to the user's actor.

pub mod duration;
pub mod env;

pub use duration::{DurationError, parse_duration};
pub use env::{EnvError, EnvProblem, ExecutorEnv};
