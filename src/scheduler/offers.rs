//! `OfferMatcher`: the queue of pending tasks and the placement of tasks onto offers.
//!
//! On [`Offers`] it places pending tasks with the resource algebra of
//! [`crate::resources`] under the configured [`Strategy`](super::placement::Strategy) and
//! the tasks' constraints, sends one ACCEPT per used offer and declines the rest (batched)
//! with the configured refuse filter. It SUPPRESSes when nothing is pending, REVIVEs
//! (rate-limited) when work arrives, never holds an offer past a bound, forgets every offer
//! on a new subscription, and can say why a pending task is not placed.

use super::spec::TaskSpec;
use crate::proto::{AgentId, ExecutorId, OfferId, TaskId};
use actix::prelude::*;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// Messages handled by OfferMatcher.
// ---------------------------------------------------------------------------------------

/// Queue one attempt of a task for placement (sent by the tracker).
#[derive(Message, Debug, Clone)]
#[rtype(result = "()")]
pub struct Place {
    /// The Mesos task id of this attempt.
    pub task_id: TaskId,
    /// The spec to launch.
    pub spec: Arc<TaskSpec>,
}

/// Remove a task from the queue if it is still pending. Answers whether it was.
#[derive(Message, Debug, Clone)]
#[rtype(result = "bool")]
pub struct Unplace(pub TaskId);

/// Why is this pending task not placed? `None` when it is not pending.
#[derive(Message, Debug, Clone)]
#[rtype(result = "Option<PendingReason>")]
pub struct WhyPending(pub TaskId);

/// Sent by the matcher to the tracker when a task was put into an ACCEPT.
#[derive(Message, Debug, Clone, PartialEq)]
#[rtype(result = "()")]
pub struct Launched {
    /// The task id.
    pub task_id: TaskId,
    /// The agent it goes to.
    pub agent_id: AgentId,
    /// The agent's hostname.
    pub hostname: String,
    /// The offer used.
    pub offer_id: OfferId,
    /// Its executor (the task id for command tasks, as Mesos names them).
    pub executor_id: ExecutorId,
}

/// Why a pending task has not been placed.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingReason {
    /// No offer has been seen since the task was queued (or all were declined earlier).
    NoOffers,
    /// The offers seen were each rejected; one line per offer, best first.
    Rejected(Vec<OfferRejection>),
}

/// Why one offer did not fit a task.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferRejection {
    /// The offer's agent hostname.
    pub hostname: String,
    /// What did not fit.
    pub reason: RejectReason,
}

/// What did not fit in one offer.
#[derive(Debug, Clone, PartialEq)]
pub enum RejectReason {
    /// A resource was short: `needed` of `name`, only `available` offered.
    Short {
        /// Resource name (`cpus`, `mem`, `ports`, ...).
        name: String,
        /// Amount needed.
        needed: f64,
        /// Amount available.
        available: f64,
    },
    /// A constraint failed (its description).
    Constraint(String),
    /// The offer is for another role than the task's.
    Role(String),
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RejectReason::Short {
                name,
                needed,
                available,
            } => {
                write!(f, "not enough {name}: need {needed}, offered {available}")
            }
            RejectReason::Constraint(c) => write!(f, "constraint failed: {c}"),
            RejectReason::Role(r) => write!(f, "offer is for role {r}"),
        }
    }
}
