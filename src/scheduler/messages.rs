//! `MessageRouter`: framework messages in both directions.
//!
//! Executor-to-scheduler MESSAGE events (as [`FrameworkMessage`]) go to every user
//! recipient; scheduler-to-executor messages go out as MESSAGE calls. Framework messages
//! are best effort in Mesos: anything that must not be lost should also travel in the
//! terminal status update's `data`.

use crate::proto::{AgentId, ExecutorId};
use actix::prelude::*;

// ---------------------------------------------------------------------------------------
// Messages handled by MessageRouter (it also handles `events::FrameworkMessage`).
// ---------------------------------------------------------------------------------------

/// Send `data` to an executor.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
#[rtype(result = "Result<(), super::connection::CallError>")]
pub struct SendMessage {
    /// The executor's agent.
    pub agent_id: AgentId,
    /// The executor.
    pub executor_id: ExecutorId,
    /// The payload.
    pub data: Vec<u8>,
}
